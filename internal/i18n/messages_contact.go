package i18n

// contactMessages are the words for the contact panel beside a conversation: consent and its history, tags, custom fields, past conversations.
var contactMessages = map[string]entry{}
