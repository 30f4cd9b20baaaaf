package i18n

// reviewMessages are the words the review of the day's changes added: a
// menu bot collecting into a field the tenant has not defined.
var reviewMessages = map[string]entry{
	"bot.err.field_unknown": {"No contact field has the key \"%s\": save into one of the contact fields defined, or into name.",
		"Nessun campo del contatto ha la chiave \"%s\": salva in uno dei campi del contatto definiti, oppure in name."},
}
