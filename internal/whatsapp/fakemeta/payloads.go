package fakemeta

// Webhook JSON, written from the contract (§2) rather than shared with
// Switchboard's parser: the parser and this fake are two independent readings
// of one document, so a misreading in either shows up as a failing test.
// Field order follows Meta's examples; omitempty mirrors "only if…" notes.

type hookEnvelope struct {
	Object string      `json:"object"`
	Entry  []hookEntry `json:"entry"`
}

type hookEntry struct {
	ID string `json:"id"`
	// Time is set only for non-"messages" fields (§2.2 notes); messages
	// entries carry no time.
	Time    int64        `json:"time,omitempty"`
	Changes []hookChange `json:"changes"`
}

type hookChange struct {
	Value any    `json:"value"`
	Field string `json:"field"`
}

// messagesValue is the value of a "messages" change (§2.2).
type messagesValue struct {
	MessagingProduct string        `json:"messaging_product"`
	Metadata         hookMetadata  `json:"metadata"`
	Contacts         []hookContact `json:"contacts,omitempty"`
	Messages         []hookMessage `json:"messages,omitempty"`
	Statuses         []hookStatus  `json:"statuses,omitempty"`
	Errors           []hookError   `json:"errors,omitempty"`
}

type hookMetadata struct {
	DisplayPhoneNumber string `json:"display_phone_number"`
	PhoneNumberID      string `json:"phone_number_id"`
}

type hookContact struct {
	Profile hookProfile `json:"profile"`
	// WaID is absent for a username-only (BSUID-only) user (§2.2, 2026).
	WaID   string `json:"wa_id,omitempty"`
	UserID string `json:"user_id,omitempty"`
}

type hookProfile struct {
	Name     string `json:"name"`
	Username string `json:"username,omitempty"`
}

// hookMessage is one inbound message (§2.3). Exactly one type object is set.
type hookMessage struct {
	Context     *hookContext     `json:"context,omitempty"`
	From        string           `json:"from,omitempty"`
	FromUserID  string           `json:"from_user_id,omitempty"`
	ID          string           `json:"id"`
	Timestamp   string           `json:"timestamp"`
	Type        string           `json:"type"`
	Text        *hookText        `json:"text,omitempty"`
	Image       *hookMedia       `json:"image,omitempty"`
	Video       *hookMedia       `json:"video,omitempty"`
	Audio       *hookMedia       `json:"audio,omitempty"`
	Document    *hookMedia       `json:"document,omitempty"`
	Sticker     *hookMedia       `json:"sticker,omitempty"`
	Location    *Location        `json:"location,omitempty"`
	Contacts    []Contact        `json:"contacts,omitempty"`
	Interactive *hookInteractive `json:"interactive,omitempty"`
	Button      *hookButton      `json:"button,omitempty"`
	Reaction    *hookReaction    `json:"reaction,omitempty"`
}

type hookContext struct {
	Forwarded           bool   `json:"forwarded,omitempty"`
	FrequentlyForwarded bool   `json:"frequently_forwarded,omitempty"`
	From                string `json:"from,omitempty"`
	ID                  string `json:"id,omitempty"`
}

type hookText struct {
	Body string `json:"body"`
}

// hookMedia covers image, video, audio, document and sticker. sha256 is
// base64 here, as in real webhooks (pywa fixtures); the media-URL endpoint
// reports the same digest in hex, as Graph does.
type hookMedia struct {
	Caption  string `json:"caption,omitempty"`
	Filename string `json:"filename,omitempty"`
	MimeType string `json:"mime_type"`
	SHA256   string `json:"sha256"`
	ID       string `json:"id"`
	URL      string `json:"url,omitempty"`
	Voice    *bool  `json:"voice,omitempty"`
	Animated *bool  `json:"animated,omitempty"`
}

type hookInteractive struct {
	Type        string       `json:"type"`
	ButtonReply *hookReplyID `json:"button_reply,omitempty"`
	ListReply   *hookReplyID `json:"list_reply,omitempty"`
}

type hookReplyID struct {
	ID          string `json:"id"`
	Title       string `json:"title"`
	Description string `json:"description,omitempty"`
}

type hookButton struct {
	Payload string `json:"payload"`
	Text    string `json:"text"`
}

// hookReaction omits emoji on removal, one of the two forms §2.3 lists.
type hookReaction struct {
	MessageID string `json:"message_id"`
	Emoji     string `json:"emoji,omitempty"`
}

// hookStatus is one status update (§2.4).
type hookStatus struct {
	ID                    string            `json:"id"`
	Status                string            `json:"status"`
	Timestamp             string            `json:"timestamp"`
	RecipientID           string            `json:"recipient_id"`
	BizOpaqueCallbackData string            `json:"biz_opaque_callback_data,omitempty"`
	Conversation          *hookConversation `json:"conversation,omitempty"`
	Pricing               *hookPricing      `json:"pricing,omitempty"`
	Errors                []hookError       `json:"errors,omitempty"`
}

type hookConversation struct {
	ID                  string     `json:"id"`
	ExpirationTimestamp string     `json:"expiration_timestamp,omitempty"`
	Origin              hookOrigin `json:"origin"`
}

type hookOrigin struct {
	Type string `json:"type"`
}

type hookPricing struct {
	Billable     bool   `json:"billable"`
	PricingModel string `json:"pricing_model"`
	Type         string `json:"type"`
	Category     string `json:"category"`
}

type hookError struct {
	Code      int           `json:"code"`
	Title     string        `json:"title"`
	Message   string        `json:"message"`
	ErrorData hookErrorData `json:"error_data"`
	Href      string        `json:"href"`
}

type hookErrorData struct {
	Details string `json:"details"`
}

// templateStatusValue is the value of a message_template_status_update
// change (§2.6). It has no messaging_product or metadata.
type templateStatusValue struct {
	Event                   string             `json:"event"`
	MessageTemplateID       int64              `json:"message_template_id"`
	MessageTemplateName     string             `json:"message_template_name"`
	MessageTemplateLanguage string             `json:"message_template_language"`
	Reason                  *string            `json:"reason"`
	MessageTemplateCategory string             `json:"message_template_category,omitempty"`
	DisableInfo             *hookDisableInfo   `json:"disable_info,omitempty"`
	OtherInfo               *hookOtherInfo     `json:"other_info,omitempty"`
	RejectionInfo           *hookRejectionInfo `json:"rejection_info,omitempty"`
}

type hookDisableInfo struct {
	DisableDate int64 `json:"disable_date"`
}

type hookOtherInfo struct {
	Title       string `json:"title"`
	Description string `json:"description"`
}

type hookRejectionInfo struct {
	Reason         string `json:"reason"`
	Recommendation string `json:"recommendation"`
}

// Location is a location object, the same shape inbound (§2.3) and outbound
// (§4.2). A "current location" share has only latitude and longitude.
type Location struct {
	Latitude  float64 `json:"latitude"`
	Longitude float64 `json:"longitude"`
	Name      string  `json:"name,omitempty"`
	Address   string  `json:"address,omitempty"`
	URL       string  `json:"url,omitempty"`
}

// Contact is a shared contact card, the same shape inbound and outbound.
type Contact struct {
	Addresses []ContactAddress `json:"addresses,omitempty"`
	Birthday  string           `json:"birthday,omitempty"`
	Emails    []ContactEmail   `json:"emails,omitempty"`
	Name      ContactName      `json:"name"`
	Org       *ContactOrg      `json:"org,omitempty"`
	Phones    []ContactPhone   `json:"phones,omitempty"`
	URLs      []ContactURL     `json:"urls,omitempty"`
}

type ContactAddress struct {
	Street      string `json:"street,omitempty"`
	City        string `json:"city,omitempty"`
	State       string `json:"state,omitempty"`
	Zip         string `json:"zip,omitempty"`
	Country     string `json:"country,omitempty"`
	CountryCode string `json:"country_code,omitempty"`
	Type        string `json:"type,omitempty"`
}

type ContactEmail struct {
	Email string `json:"email,omitempty"`
	Type  string `json:"type,omitempty"`
}

type ContactName struct {
	FormattedName string `json:"formatted_name"`
	FirstName     string `json:"first_name,omitempty"`
	LastName      string `json:"last_name,omitempty"`
	MiddleName    string `json:"middle_name,omitempty"`
	Suffix        string `json:"suffix,omitempty"`
	Prefix        string `json:"prefix,omitempty"`
}

type ContactOrg struct {
	Company    string `json:"company,omitempty"`
	Department string `json:"department,omitempty"`
	Title      string `json:"title,omitempty"`
}

type ContactPhone struct {
	Phone string `json:"phone,omitempty"`
	WaID  string `json:"wa_id,omitempty"`
	Type  string `json:"type,omitempty"`
}

type ContactURL struct {
	URL  string `json:"url,omitempty"`
	Type string `json:"type,omitempty"`
}
