package i18n

// mediaMessages are the words for sending and showing photos, videos, audio and documents in the agent console.
var mediaMessages = map[string]entry{}
