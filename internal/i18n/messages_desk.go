package i18n

// deskMessages are the words for the agent's tools in a conversation: canned replies, private notes, close outcomes, transfer with a note, mark read.
var deskMessages = map[string]entry{}
