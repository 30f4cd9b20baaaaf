package i18n

// consoleMessages are the words for the agent console's live page beyond its
// first version: inbox details, notifications, keyboard help.
var consoleMessages = map[string]entry{
	"agent.inbox.priority":      {"Contact priority", "Priorità del contatto"},
	"agent.inbox.priority_n":    {"priority %d", "priorità %d"},
	"agent.inbox.unread":        {"Unread messages", "Messaggi non letti"},
	"agent.inbox.waiting":       {"Waiting in your skillsets", "In attesa nei tuoi gruppi di competenza"},
	"agent.inbox.window_left":   {"window: %s left", "finestra: ancora %s"},
	"agent.inbox.window_closed": {"window closed: templates only", "finestra chiusa: solo modelli"},

	"agent.notify.toggle":   {"Notifications and sound", "Notifiche e suono"},
	"agent.notify.denied":   {"The browser blocks notifications for this site: only the sound and the tab title will tell you.", "Il browser blocca le notifiche per questo sito: ti avviseranno solo il suono e il titolo della scheda."},
	"agent.notify.assigned": {"New conversation assigned to you", "Nuova conversazione assegnata a te"},
	"agent.notify.message":  {"New message from a customer", "Nuovo messaggio da un cliente"},

	"agent.keys.open":               {"Keyboard shortcuts (?)", "Scorciatoie da tastiera (?)"},
	"agent.keys.title":              {"Keyboard shortcuts", "Scorciatoie da tastiera"},
	"agent.keys.next_prev":          {"Next / previous conversation", "Conversazione successiva / precedente"},
	"agent.keys.next_prev_anywhere": {"The same, even while writing", "Lo stesso, anche mentre scrivi"},
	"agent.keys.compose":            {"Write a reply (focus the composer)", "Scrivi una risposta (vai al campo di testo)"},
	"agent.keys.send":               {"Send", "Invia"},
	"agent.keys.escape":             {"Leave the composer, close this help", "Esci dal campo di testo, chiudi questo aiuto"},
	"agent.keys.close":              {"Close the conversation", "Chiudi la conversazione"},
	"agent.keys.home":               {"Back to my conversations", "Torna alle mie conversazioni"},
	"agent.keys.help":               {"Show this help", "Mostra questo aiuto"},
	"agent.keys.dismiss":            {"Close", "Chiudi"},
	"agent.session_expired": {"Not sent: your session has ended. Sign in again (in another tab, to keep what you wrote here), then send.",
		"Non inviato: la sessione è scaduta. Accedi di nuovo (in un'altra scheda, per non perdere quanto hai scritto qui), poi invia."},

	"conversation.take_over":  {"Take over (answer it yourself)", "Prendi in carico (rispondi tu)"},
	"conversation.taken_over": {"The conversation is yours: answer it here.", "La conversazione è tua: rispondi qui."},
	"nav.my_conversations":    {"My conversations", "Le mie conversazioni"},
}
