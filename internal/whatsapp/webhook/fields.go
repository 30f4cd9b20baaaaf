package webhook

import (
	"encoding/json"
	"time"
)

// Template IDs arrive as JSON integers up to 2^63; a float64 would round
// them above 2^53. The fields below keep them as the exact digit string.

// TemplateStatusUpdate is the value of message_template_status_update.
type TemplateStatusUpdate struct {
	// Event is APPROVED, REJECTED, PAUSED, DISABLED, PENDING_DELETION, ….
	Event string
	// TemplateID is message_template_id, digits exactly as sent.
	TemplateID string
	Name       string
	// Language is as sent; Meta uses both "en-US" and "en_US".
	Language string
	// Reason is NONE, INVALID_FORMAT, PROMOTIONAL, …; "" when null.
	Reason   string
	Category string
	// RejectionReason and RejectionRecommendation are rejection_info.
	RejectionReason         string
	RejectionRecommendation string
	// OtherInfoTitle (FIRST_PAUSE, SECOND_PAUSE, UNPAUSE, DISABLED, …) and
	// OtherInfoDescription are other_info, sent on pauses and locks.
	OtherInfoTitle       string
	OtherInfoDescription string
	// DisableDate is disable_info.disable_date; zero when absent.
	DisableDate time.Time
}

// TemplateQualityUpdate is the value of message_template_quality_update.
type TemplateQualityUpdate struct {
	TemplateID string
	Name       string
	Language   string
	// PreviousQualityScore and NewQualityScore are GREEN, YELLOW, RED, UNKNOWN.
	PreviousQualityScore string
	NewQualityScore      string
}

// TemplateCategoryUpdate is the value of template_category_update.
type TemplateCategoryUpdate struct {
	TemplateID       string
	Name             string
	Language         string
	PreviousCategory string
	NewCategory      string
	// CorrectCategory is sent when Meta announces a future recategorisation.
	CorrectCategory string
}

// PhoneNumberQualityUpdate is the value of phone_number_quality_update.
type PhoneNumberQualityUpdate struct {
	DisplayPhoneNumber string
	// Event is e.g. THROUGHPUT_UPGRADE, ONBOARDING, UPGRADE, DOWNGRADE, FLAGGED.
	Event string
	// CurrentLimit and OldLimit are TIER_* values; Meta removed them in
	// February 2026 in favour of MaxDailyConversations.
	CurrentLimit string
	OldLimit     string
	// MaxDailyConversations is max_daily_conversations_per_business (TIER_*).
	MaxDailyConversations string
}

// AccountUpdate is the value of account_update. Only the fields the product
// acts on are typed; Raw has the event-specific rest.
type AccountUpdate struct {
	Event string
	// ViolationType is violation_info.violation_type (ACCOUNT_VIOLATION).
	ViolationType string
	// Restrictions is restriction_info (ACCOUNT_RESTRICTION).
	Restrictions []Restriction
	// Raw is the whole value (the same bytes as Change.Raw).
	Raw json.RawMessage
}

// Restriction is one account restriction.
type Restriction struct {
	Type       string
	Expiration time.Time
}

// UserPreference is one element of value.user_preferences: a user asking to
// stop or resume marketing messages.
type UserPreference struct {
	WaID   string
	UserID string
	Detail string
	// Category is e.g. "marketing_messages".
	Category string
	// Value is "stop", "resume" or "signup".
	Value     string
	Timestamp time.Time
	// SignupID is sent with Value "signup".
	SignupID string
}

// AutomaticEvent is one element of value.automatic_events: a purchase or
// lead event attributed to a Click-to-WhatsApp ad.
type AutomaticEvent struct {
	// ID is the wamid of the message the event was detected in.
	ID        string
	EventName string
	Timestamp time.Time
	CtwaClid  string
	// Currency and Value are custom_data; Value is price × 1000.
	Currency string
	Value    float64
	Raw      json.RawMessage
}
