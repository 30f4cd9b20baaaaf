package i18n

// phoneMessages say why a phone number was refused (internal/phone), beside
// a form's input or a CSV file's row.
var phoneMessages = map[string]entry{
	"phone.missing":    {"The phone number is missing.", "Manca il numero di telefono."},
	"phone.characters": {"A phone number has only digits, spaces, +, -, dots and brackets (no letters, no extension).", "Un numero di telefono ha solo cifre, spazi, +, -, punti e parentesi (niente lettere né interni)."},
	"phone.no_country_code": {"Write the number with its country code, e.g. +39 333 123 4567 or 0039 333 123 4567.",
		"Scrivi il numero con il prefisso del paese, es. +39 333 123 4567 o 0039 333 123 4567."},
	"phone.unknown_country": {"No country has this code: check the digits after + (or 00).", "Nessun paese ha questo prefisso: controlla le cifre dopo + (o 00)."},
	"phone.too_short":       {"Too short for its country's numbering plan: a digit is missing.", "Troppo corto per il piano di numerazione del suo paese: manca una cifra."},
	"phone.too_long":        {"Too long for its country's numbering plan: a digit too many.", "Troppo lungo per il piano di numerazione del suo paese: c'è una cifra di troppo."},
	"phone.wrong_length":    {"Its country's numbering plan has no numbers of this length.", "Il piano di numerazione del suo paese non ha numeri di questa lunghezza."},
	"phone.not_in_plan": {"Not a number in use in its country's numbering plan: check the digits.",
		"Non è un numero in uso nel piano di numerazione del suo paese: controlla le cifre."},

	// The countries offered for numbers written without their country code
	// (phone.Regions).
	"country.IT": {"Italy", "Italia"},
	"country.SM": {"San Marino", "San Marino"},
	"country.VA": {"Vatican City", "Città del Vaticano"},
	"country.CH": {"Switzerland", "Svizzera"},
	"country.FR": {"France", "Francia"},
	"country.DE": {"Germany", "Germania"},
	"country.AT": {"Austria", "Austria"},
	"country.ES": {"Spain", "Spagna"},
	"country.PT": {"Portugal", "Portogallo"},
	"country.GB": {"United Kingdom", "Regno Unito"},
	"country.IE": {"Ireland", "Irlanda"},
	"country.BE": {"Belgium", "Belgio"},
	"country.NL": {"Netherlands", "Paesi Bassi"},
	"country.LU": {"Luxembourg", "Lussemburgo"},
	"country.GR": {"Greece", "Grecia"},
	"country.MT": {"Malta", "Malta"},
	"country.SI": {"Slovenia", "Slovenia"},
	"country.HR": {"Croatia", "Croazia"},
	"country.PL": {"Poland", "Polonia"},
	"country.RO": {"Romania", "Romania"},
	"country.US": {"United States", "Stati Uniti"},
}
