package i18n

// teamMessages are the words for the administrator's pages for skillsets and agents (invitations, deactivation, capacity, membership).
var teamMessages = map[string]entry{}
