package webhook

import (
	"encoding/json"
	"strconv"
	"time"
)

// Wire shapes for the builder, field for field as Meta sends them: unix
// seconds as strings in messages and statuses, optional keys omitted. They
// are separate from the exported types so that marshalling a parsed Message
// for storage never silently produces (or depends on) Meta's layout.

type wireEnvelope struct {
	Object string      `json:"object"`
	Entry  []wireEntry `json:"entry"`
}

type wireEntry struct {
	ID      string       `json:"id"`
	Time    *int64       `json:"time,omitempty"`
	Changes []wireChange `json:"changes"`
}

type wireChange struct {
	Value any    `json:"value"`
	Field string `json:"field"`
}

type wireMessagesValue struct {
	MessagingProduct string        `json:"messaging_product"`
	Metadata         wireMetadata  `json:"metadata"`
	Contacts         []wireContact `json:"contacts,omitempty"`
	Messages         []wireMessage `json:"messages,omitempty"`
	Statuses         []wireStatus  `json:"statuses,omitempty"`
	Errors           []wireError   `json:"errors,omitempty"`
}

type wireMetadata struct {
	DisplayPhoneNumber string `json:"display_phone_number"`
	PhoneNumberID      string `json:"phone_number_id"`
}

type wireContact struct {
	Profile         *wireProfile `json:"profile,omitempty"`
	WaID            string       `json:"wa_id,omitempty"`
	UserID          string       `json:"user_id,omitempty"`
	ParentUserID    string       `json:"parent_user_id,omitempty"`
	IdentityKeyHash string       `json:"identity_key_hash,omitempty"`
}

type wireProfile struct {
	Name     string `json:"name,omitempty"`
	Username string `json:"username,omitempty"`
}

type wireMessage struct {
	Context          *wireContext        `json:"context,omitempty"`
	From             string              `json:"from,omitempty"`
	FromUserID       string              `json:"from_user_id,omitempty"`
	FromParentUserID string              `json:"from_parent_user_id,omitempty"`
	ID               string              `json:"id"`
	Timestamp        string              `json:"timestamp"`
	Type             string              `json:"type"`
	Text             *wireText           `json:"text,omitempty"`
	Image            *wireMedia          `json:"image,omitempty"`
	Video            *wireMedia          `json:"video,omitempty"`
	Audio            *wireMedia          `json:"audio,omitempty"`
	Document         *wireMedia          `json:"document,omitempty"`
	Sticker          *wireMedia          `json:"sticker,omitempty"`
	Location         *wireLocation       `json:"location,omitempty"`
	Contacts         []wireSharedContact `json:"contacts,omitempty"`
	Interactive      *wireInteractive    `json:"interactive,omitempty"`
	Button           *wireButton         `json:"button,omitempty"`
	Reaction         *wireReaction       `json:"reaction,omitempty"`
	Order            *wireOrder          `json:"order,omitempty"`
	Identity         *wireIdentity       `json:"identity,omitempty"`
	System           *wireSystem         `json:"system,omitempty"`
	Unsupported      *wireUnsupported    `json:"unsupported,omitempty"`
	Referral         *wireReferral       `json:"referral,omitempty"`
	Errors           []wireError         `json:"errors,omitempty"`
}

type wireText struct {
	Body string `json:"body"`
}

type wireMedia struct {
	Caption  string `json:"caption,omitempty"`
	Filename string `json:"filename,omitempty"`
	MimeType string `json:"mime_type,omitempty"`
	SHA256   string `json:"sha256,omitempty"`
	ID       string `json:"id,omitempty"`
	URL      string `json:"url,omitempty"`
	Voice    *bool  `json:"voice,omitempty"`
	Animated *bool  `json:"animated,omitempty"`
}

type wireLocation struct {
	Address   string  `json:"address,omitempty"`
	Latitude  float64 `json:"latitude"`
	Longitude float64 `json:"longitude"`
	Name      string  `json:"name,omitempty"`
	URL       string  `json:"url,omitempty"`
}

type wireSharedContact struct {
	Addresses []wireAddress    `json:"addresses,omitempty"`
	Birthday  string           `json:"birthday,omitempty"`
	Emails    []wireEmail      `json:"emails,omitempty"`
	Name      wireContactName  `json:"name"`
	Org       *wireOrg         `json:"org,omitempty"`
	Phones    []wirePhone      `json:"phones,omitempty"`
	URLs      []wireContactURL `json:"urls,omitempty"`
}

type wireContactName struct {
	FormattedName string `json:"formatted_name"`
	FirstName     string `json:"first_name,omitempty"`
	LastName      string `json:"last_name,omitempty"`
	MiddleName    string `json:"middle_name,omitempty"`
	Prefix        string `json:"prefix,omitempty"`
	Suffix        string `json:"suffix,omitempty"`
}

type wireAddress struct {
	Street      string `json:"street,omitempty"`
	City        string `json:"city,omitempty"`
	State       string `json:"state,omitempty"`
	Zip         string `json:"zip,omitempty"`
	Country     string `json:"country,omitempty"`
	CountryCode string `json:"country_code,omitempty"`
	Type        string `json:"type,omitempty"`
}

type wireEmail struct {
	Email string `json:"email"`
	Type  string `json:"type,omitempty"`
}

type wireOrg struct {
	Company    string `json:"company,omitempty"`
	Department string `json:"department,omitempty"`
	Title      string `json:"title,omitempty"`
}

type wirePhone struct {
	Phone string `json:"phone"`
	WaID  string `json:"wa_id,omitempty"`
	Type  string `json:"type,omitempty"`
}

type wireContactURL struct {
	URL  string `json:"url"`
	Type string `json:"type,omitempty"`
}

type wireInteractive struct {
	Type        string         `json:"type"`
	ButtonReply *wireReply     `json:"button_reply,omitempty"`
	ListReply   *wireReply     `json:"list_reply,omitempty"`
	NFMReply    *wireFlowReply `json:"nfm_reply,omitempty"`
}

type wireReply struct {
	ID          string `json:"id"`
	Title       string `json:"title"`
	Description string `json:"description,omitempty"`
}

type wireFlowReply struct {
	ResponseJSON string `json:"response_json"`
	Body         string `json:"body"`
	Name         string `json:"name"`
}

type wireButton struct {
	Payload string `json:"payload"`
	Text    string `json:"text"`
}

type wireReaction struct {
	MessageID string `json:"message_id"`
	// Emoji is always written; "" is how Meta marks a removed reaction.
	Emoji string `json:"emoji"`
}

type wireOrder struct {
	CatalogID    string          `json:"catalog_id"`
	Text         string          `json:"text,omitempty"`
	ProductItems []wireOrderItem `json:"product_items"`
}

type wireOrderItem struct {
	ProductRetailerID string  `json:"product_retailer_id"`
	Quantity          int     `json:"quantity"`
	ItemPrice         float64 `json:"item_price"`
	Currency          string  `json:"currency"`
}

type wireSystem struct {
	Body string `json:"body"`
	WaID string `json:"wa_id,omitempty"`
	Type string `json:"type"`
}

type wireIdentity struct {
	Acknowledged     bool   `json:"acknowledged"`
	CreatedTimestamp string `json:"created_timestamp,omitempty"`
	Hash             string `json:"hash,omitempty"`
}

type wireUnsupported struct {
	Type string `json:"type"`
}

type wireContext struct {
	From                string               `json:"from,omitempty"`
	ID                  string               `json:"id,omitempty"`
	Forwarded           bool                 `json:"forwarded,omitempty"`
	FrequentlyForwarded bool                 `json:"frequently_forwarded,omitempty"`
	ReferredProduct     *wireReferredProduct `json:"referred_product,omitempty"`
}

type wireReferredProduct struct {
	CatalogID         string `json:"catalog_id"`
	ProductRetailerID string `json:"product_retailer_id"`
}

type wireReferral struct {
	SourceURL      string       `json:"source_url,omitempty"`
	SourceID       string       `json:"source_id,omitempty"`
	SourceType     string       `json:"source_type,omitempty"`
	Body           string       `json:"body,omitempty"`
	Headline       string       `json:"headline,omitempty"`
	MediaType      string       `json:"media_type,omitempty"`
	ImageURL       string       `json:"image_url,omitempty"`
	VideoURL       string       `json:"video_url,omitempty"`
	ThumbnailURL   string       `json:"thumbnail_url,omitempty"`
	CtwaClid       string       `json:"ctwa_clid,omitempty"`
	WelcomeMessage *wireWelcome `json:"welcome_message,omitempty"`
}

type wireWelcome struct {
	Text string `json:"text"`
}

type wireError struct {
	Code      int            `json:"code"`
	Title     string         `json:"title"`
	Message   string         `json:"message,omitempty"`
	ErrorData *wireErrorData `json:"error_data,omitempty"`
	Href      string         `json:"href,omitempty"`
}

type wireErrorData struct {
	Details string `json:"details"`
}

type wireStatus struct {
	ID                     string            `json:"id"`
	Status                 string            `json:"status"`
	Timestamp              string            `json:"timestamp"`
	RecipientID            string            `json:"recipient_id,omitempty"`
	RecipientUserID        string            `json:"recipient_user_id,omitempty"`
	RecipientType          string            `json:"recipient_type,omitempty"`
	RecipientParticipantID string            `json:"recipient_participant_id,omitempty"`
	BizOpaqueCallbackData  string            `json:"biz_opaque_callback_data,omitempty"`
	Conversation           *wireConversation `json:"conversation,omitempty"`
	Pricing                *wirePricing      `json:"pricing,omitempty"`
	Errors                 []wireError       `json:"errors,omitempty"`
}

type wireConversation struct {
	ID                  string      `json:"id"`
	ExpirationTimestamp string      `json:"expiration_timestamp,omitempty"`
	Origin              *wireOrigin `json:"origin,omitempty"`
}

type wireOrigin struct {
	Type string `json:"type"`
}

type wirePricing struct {
	Billable     *bool  `json:"billable,omitempty"`
	PricingModel string `json:"pricing_model,omitempty"`
	Type         string `json:"type,omitempty"`
	Category     string `json:"category,omitempty"`
}

type wireTemplateStatus struct {
	Event         string           `json:"event"`
	TemplateID    json.RawMessage  `json:"message_template_id"`
	Name          string           `json:"message_template_name"`
	Language      string           `json:"message_template_language"`
	Reason        *string          `json:"reason"`
	Category      string           `json:"message_template_category,omitempty"`
	DisableInfo   *wireDisableInfo `json:"disable_info,omitempty"`
	OtherInfo     *wireOtherInfo   `json:"other_info,omitempty"`
	RejectionInfo *wireRejection   `json:"rejection_info,omitempty"`
}

type wireDisableInfo struct {
	DisableDate string `json:"disable_date"`
}

type wireOtherInfo struct {
	Title       string `json:"title"`
	Description string `json:"description,omitempty"`
}

type wireRejection struct {
	Reason         string `json:"reason"`
	Recommendation string `json:"recommendation,omitempty"`
}

// unixString writes a time the way messages and statuses carry it.
func unixString(t time.Time) string { return strconv.FormatInt(t.Unix(), 10) }

// unixStringOpt is unixString, or "" (omitted) for the zero time.
func unixStringOpt(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return unixString(t)
}

func toWireErrors(errs []Error) []wireError {
	var out []wireError
	for _, e := range errs {
		w := wireError{Code: e.Code, Title: e.Title, Message: e.Message, Href: e.Href}
		if e.Details != "" {
			w.ErrorData = &wireErrorData{Details: e.Details}
		}
		out = append(out, w)
	}
	return out
}

func toWireMedia(m *Media, typ string) *wireMedia {
	if m == nil {
		return nil
	}
	w := &wireMedia{Caption: m.Caption, Filename: m.Filename, MimeType: m.MimeType, SHA256: m.SHA256, ID: m.ID, URL: m.URL}
	// Meta always sends voice on audio and animated on stickers, also when false.
	switch typ {
	case TypeAudio:
		w.Voice = &m.Voice
	case TypeSticker:
		w.Animated = &m.Animated
	}
	return w
}

// wireType is the "type" Meta would have sent for m.
func wireType(m Message) string {
	if m.Type == TypeUnsupported && m.Unsupported != nil && m.Unsupported.SentType != "" {
		return m.Unsupported.SentType
	}
	return m.Type
}

func toWireMessage(m Message) wireMessage {
	w := wireMessage{
		From: m.From, FromUserID: m.FromUserID, FromParentUserID: m.FromParentUserID,
		ID: m.ID, Timestamp: unixString(m.Timestamp), Type: wireType(m),
		Errors: toWireErrors(m.Errors),
	}
	if m.Text != nil {
		w.Text = &wireText{Body: m.Text.Body}
	}
	w.Image = toWireMedia(m.Image, TypeImage)
	w.Video = toWireMedia(m.Video, TypeVideo)
	w.Audio = toWireMedia(m.Audio, TypeAudio)
	w.Document = toWireMedia(m.Document, TypeDocument)
	w.Sticker = toWireMedia(m.Sticker, TypeSticker)
	if l := m.Location; l != nil {
		w.Location = &wireLocation{Address: l.Address, Latitude: l.Latitude, Longitude: l.Longitude, Name: l.Name, URL: l.URL}
	}
	for _, c := range m.Contacts {
		w.Contacts = append(w.Contacts, toWireSharedContact(c))
	}
	if it := m.Interactive; it != nil {
		wi := &wireInteractive{Type: it.Type}
		if r := it.ButtonReply; r != nil {
			wi.ButtonReply = &wireReply{ID: r.ID, Title: r.Title}
		}
		if r := it.ListReply; r != nil {
			wi.ListReply = &wireReply{ID: r.ID, Title: r.Title, Description: r.Description}
		}
		if r := it.NFMReply; r != nil {
			wi.NFMReply = &wireFlowReply{ResponseJSON: r.ResponseJSON, Body: r.Body, Name: r.Name}
		}
		w.Interactive = wi
	}
	if b := m.Button; b != nil {
		w.Button = &wireButton{Payload: b.Payload, Text: b.Text}
	}
	if r := m.Reaction; r != nil {
		w.Reaction = &wireReaction{MessageID: r.MessageID, Emoji: r.Emoji}
	}
	if o := m.Order; o != nil {
		wo := &wireOrder{CatalogID: o.CatalogID, Text: o.Text, ProductItems: []wireOrderItem{}}
		for _, it := range o.Items {
			wo.ProductItems = append(wo.ProductItems, wireOrderItem(it))
		}
		w.Order = wo
	}
	if s := m.System; s != nil {
		w.System = &wireSystem{Body: s.Body, WaID: s.WaID, Type: s.Type}
	}
	if id := m.Identity; id != nil {
		w.Identity = &wireIdentity{Acknowledged: id.Acknowledged, CreatedTimestamp: unixStringOpt(id.CreatedTimestamp), Hash: id.Hash}
	}
	if u := m.Unsupported; u != nil && u.Type != "" {
		w.Unsupported = &wireUnsupported{Type: u.Type}
	}
	if c := m.Context; c != nil {
		w.Context = &wireContext{From: c.From, ID: c.ID, Forwarded: c.Forwarded, FrequentlyForwarded: c.FrequentlyForwarded}
		if rp := c.ReferredProduct; rp != nil {
			w.Context.ReferredProduct = &wireReferredProduct{CatalogID: rp.CatalogID, ProductRetailerID: rp.ProductRetailerID}
		}
	}
	if r := m.Referral; r != nil {
		w.Referral = &wireReferral{
			SourceURL: r.SourceURL, SourceID: r.SourceID, SourceType: r.SourceType, Body: r.Body,
			Headline: r.Headline, MediaType: r.MediaType, ImageURL: r.ImageURL, VideoURL: r.VideoURL,
			ThumbnailURL: r.ThumbnailURL, CtwaClid: r.CtwaClid,
		}
		if r.WelcomeText != "" {
			w.Referral.WelcomeMessage = &wireWelcome{Text: r.WelcomeText}
		}
	}
	return w
}

func toWireSharedContact(c SharedContact) wireSharedContact {
	w := wireSharedContact{
		Birthday: c.Birthday,
		Name: wireContactName{
			FormattedName: c.Name.FormattedName, FirstName: c.Name.FirstName, LastName: c.Name.LastName,
			MiddleName: c.Name.MiddleName, Prefix: c.Name.Prefix, Suffix: c.Name.Suffix,
		},
	}
	if c.Org != (ContactOrg{}) {
		w.Org = &wireOrg{Company: c.Org.Company, Department: c.Org.Department, Title: c.Org.Title}
	}
	for _, p := range c.Phones {
		w.Phones = append(w.Phones, wirePhone(p))
	}
	for _, e := range c.Emails {
		w.Emails = append(w.Emails, wireEmail(e))
	}
	for _, u := range c.URLs {
		w.URLs = append(w.URLs, wireContactURL(u))
	}
	for _, a := range c.Addresses {
		w.Addresses = append(w.Addresses, wireAddress(a))
	}
	return w
}

func toWireStatus(s Status) wireStatus {
	w := wireStatus{
		ID: s.ID, Status: s.Status, Timestamp: unixString(s.Timestamp),
		RecipientID: s.RecipientID, RecipientUserID: s.RecipientUserID,
		RecipientType: s.RecipientType, RecipientParticipantID: s.RecipientParticipantID,
		BizOpaqueCallbackData: s.BizOpaqueCallbackData, Errors: toWireErrors(s.Errors),
	}
	if c := s.Conversation; c != nil {
		w.Conversation = &wireConversation{ID: c.ID, ExpirationTimestamp: unixStringOpt(c.ExpiresAt)}
		if c.OriginType != "" {
			w.Conversation.Origin = &wireOrigin{Type: c.OriginType}
		}
	}
	if p := s.Pricing; p != nil {
		w.Pricing = &wirePricing{Billable: p.Billable, PricingModel: p.PricingModel, Type: p.Type, Category: p.Category}
	}
	return w
}
