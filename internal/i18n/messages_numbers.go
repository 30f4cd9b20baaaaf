package i18n

// numberMessages are the words for the administrator's managed-number pages (linked skillsets, business hours and holidays) and the tenant's settings.
var numberMessages = map[string]entry{}
