package i18n

// templateMessages are the words for the composer once the 24-hour window has closed: choosing an approved template and filling its parameters.
var templateMessages = map[string]entry{}
