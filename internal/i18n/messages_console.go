package i18n

// consoleMessages are the words for the agent console's live page beyond its first version: inbox details, notifications, keyboard help, narrow screens.
var consoleMessages = map[string]entry{}
