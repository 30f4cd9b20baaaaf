package i18n

// contactsAdminMessages are the words for the administrator's contact pages (search, edit, CSV import and export, a person's data exported or erased).
var contactsAdminMessages = map[string]entry{}
