package softbot

// phrases are what the bot itself says to customers (not the
// administrator's texts) in the tenant's language.
var phrases = map[string]map[string]string{
	"en": {
		"choose":         "Sorry, I didn't understand. Please choose one of the options.",
		"type":           "Please type your answer as a message.",
		"invalid_text":   "Please type a short answer.",
		"invalid_email":  "That doesn't look like an e-mail address. Please try again (for example name@example.com).",
		"invalid_number": "Please type digits only.",
		"invalid_name":   "Please type your name using letters only.",
		"handoff":        "I'll pass you to one of our team. Please wait a moment.",
	},
	"it": {
		"choose":         "Scusa, non ho capito. Scegli una delle opzioni, per favore.",
		"type":           "Scrivi la risposta in un messaggio, per favore.",
		"invalid_text":   "Scrivi una risposta breve, per favore.",
		"invalid_email":  "Non sembra un indirizzo e-mail. Riprova (per esempio nome@esempio.it).",
		"invalid_number": "Scrivi solo cifre, per favore.",
		"invalid_name":   "Scrivi il tuo nome usando solo lettere, per favore.",
		"handoff":        "Ti passo a una persona del nostro team. Attendi un momento, per favore.",
	},
}

func phrase(lang, key string) string {
	if p, ok := phrases[lang]; ok {
		return p[key]
	}
	return phrases["en"][key]
}

// Phrase is a bot phrase by key, for callers outside the menu (the
// hand-off notice when a customer asks for a person).
func Phrase(lang, key string) string { return phrase(lang, key) }
