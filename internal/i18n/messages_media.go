package i18n

// mediaMessages are the words for sending and showing photos, videos, audio and documents in the agent console.
var mediaMessages = map[string]entry{
	// Attaching a file (attach.templ, attach.js, agentdesk/media.go).
	"agent.media.attach":           {"Attach:", "Allega:"},
	"agent.media.attach.image":     {"Photo", "Foto"},
	"agent.media.attach.video":     {"Video", "Video"},
	"agent.media.attach.audio":     {"Audio", "Audio"},
	"agent.media.attach.document":  {"Document", "Documento"},
	"agent.media.hint":             {"or drop a file on the conversation, or paste an image", "oppure trascina un file sulla conversazione o incolla un'immagine"},
	"agent.media.caption":          {"Caption (optional)", "Didascalia (facoltativa)"},
	"agent.media.send":             {"Send file", "Invia file"},
	"agent.media.remove":           {"Remove", "Rimuovi"},
	"agent.media.sending":          {"Sending…", "Invio in corso…"},
	"agent.media.drop":             {"Drop the file to attach it", "Rilascia il file per allegarlo"},
	"agent.media.no_file":          {"Choose a file to send.", "Scegli un file da inviare."},
	"agent.media.kind_invalid":     {"Choose whether the file is a photo, a video, an audio or a document.", "Scegli se il file è una foto, un video, un audio o un documento."},
	"agent.media.caption_too_long": {"A caption holds at most %d characters.", "Una didascalia contiene al massimo %d caratteri."},
	"agent.media.audio_caption":    {"WhatsApp shows no caption under audio: remove the caption, or send it as a message.", "WhatsApp non mostra didascalie sotto un audio: togli la didascalia o inviala come messaggio."},
	"agent.media.too_large":        {"%[1]s is %[2]s: the largest %[3]s WhatsApp accepts is %[4]s. Nothing was sent.", "%[1]s pesa %[2]s: come %[3]s WhatsApp accetta al massimo %[4]s. Non è stato inviato nulla."},
	"agent.media.bad_type":         {"%[1]s cannot be sent as a %[2]s: WhatsApp accepts %[3]s. Nothing was sent.", "%[1]s non si può inviare come %[2]s: WhatsApp accetta %[3]s. Non è stato inviato nulla."},
	"agent.media.empty":            {"%s is empty. Nothing was sent.", "%s è vuoto. Non è stato inviato nulla."},

	// What a message is, in placeholders, excerpts and refusals.
	"agent.media.kind.text":        {"message", "messaggio"},
	"agent.media.kind.image":       {"photo", "foto"},
	"agent.media.kind.video":       {"video", "video"},
	"agent.media.kind.audio":       {"audio", "audio"},
	"agent.media.kind.voice":       {"voice note", "messaggio vocale"},
	"agent.media.kind.document":    {"document", "documento"},
	"agent.media.kind.sticker":     {"sticker", "sticker"},
	"agent.media.kind.location":    {"location", "posizione"},
	"agent.media.kind.contacts":    {"shared contact", "contatto condiviso"},
	"agent.media.kind.interactive": {"interactive message", "messaggio interattivo"},
	"agent.media.kind.button":      {"button reply", "risposta a un pulsante"},
	"agent.media.kind.reaction":    {"reaction", "reazione"},
	"agent.media.kind.order":       {"order", "ordine"},
	"agent.media.kind.system":      {"notice", "avviso"},
	"agent.media.kind.template":    {"template", "modello"},
	"agent.media.kind.unsupported": {"unsupported message", "messaggio non supportato"},
	"agent.media.kind.unknown":     {"unsupported message", "messaggio non supportato"},

	// Showing messages (MessageList).
	"agent.msg.media_downloading":    {"[%s: downloading]", "[%s: download in corso]"},
	"agent.msg.media_failed":         {"[%s: could not be downloaded]", "[%s: impossibile scaricarlo]"},
	"agent.msg.open_map":             {"Open the map", "Apri la mappa"},
	"agent.msg.chose":                {"Chose:", "Ha scelto:"},
	"agent.msg.forwarded":            {"Forwarded", "Inoltrato"},
	"agent.msg.frequently_forwarded": {"Forwarded many times", "Inoltrato molte volte"},
	"agent.msg.from_ad":              {"From an ad: %s", "Da un annuncio: %s"},
	"agent.msg.quote_missing":        {"Reply to an earlier message", "Risposta a un messaggio precedente"},
	"agent.msg.reaction":             {"The customer's reaction", "La reazione del cliente"},
	"agent.msg.our_reaction":         {"Our reaction", "La nostra reazione"},
	"agent.msg.template":             {"Template", "Modello"},
	"agent.msg.unsupported":          {"WhatsApp could not show this message", "WhatsApp non può mostrare questo messaggio"},

	// Replying to a specific message.
	"agent.reply":              {"Reply", "Rispondi"},
	"agent.reply.quoting":      {"Replying to:", "In risposta a:"},
	"agent.reply.cancel":       {"Cancel reply", "Annulla risposta"},
	"agent.reply.unknown":      {"The message you are replying to is not in this conversation: nothing was sent.", "Il messaggio a cui rispondi non è in questa conversazione: non è stato inviato nulla."},
	"agent.reply.not_quotable": {"That message has not reached WhatsApp, so it cannot be quoted: nothing was sent.", "Quel messaggio non è arrivato a WhatsApp, quindi non si può citare: non è stato inviato nulla."},
}
