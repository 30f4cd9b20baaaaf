package webhook

import (
	"encoding/json"
	"time"
)

// Status values of statuses[].status.
const (
	StatusSent      = "sent"
	StatusDelivered = "delivered"
	StatusRead      = "read"
	StatusPlayed    = "played"
	StatusFailed    = "failed"
)

// Status is one delivery status of an outbound message (value.statuses[]).
// The deduplication key is (ID, Status); statuses arrive out of order, so
// apply them with StatusAdvances.
type Status struct {
	// ID is the wamid of the outbound message.
	ID string
	// Status is one of the Status* constants; on an Invalid status it may
	// be whatever unknown value Meta sent.
	Status    string
	Timestamp time.Time
	// RecipientID is the user's phone (or a group ID for group sends);
	// RecipientUserID its BSUID, when Meta sends one.
	RecipientID            string
	RecipientUserID        string
	RecipientType          string
	RecipientParticipantID string
	// BizOpaqueCallbackData echoes what was set on the send, if anything.
	BizOpaqueCallbackData string
	// Conversation is omitted by Meta from v24.0 on except inside a free
	// entry-point window.
	Conversation *StatusConversation
	// Pricing is sent with "sent" and with one of "delivered"/"read".
	Pricing *Pricing
	// Errors explains a "failed" status.
	Errors []Error

	// Raw is this status's own JSON as sent.
	Raw json.RawMessage
	// Path is where the status sits in the payload.
	Path string
	// Invalid is set when the status has no id, an unknown status value, or
	// no or a malformed timestamp. Problems under Path say why.
	Invalid bool
}

// StatusConversation is statuses[].conversation.
type StatusConversation struct {
	ID string
	// ExpiresAt is expiration_timestamp; sent only with "sent".
	ExpiresAt time.Time
	// OriginType is origin.type (service, marketing, utility, …).
	OriginType string
}

// Pricing is statuses[].pricing.
type Pricing struct {
	// Billable is nil when absent; Meta is deprecating it in favour of
	// Type plus Category.
	Billable     *bool
	PricingModel string
	Type         string
	Category     string
}

// StatusRank orders the forward-moving statuses: sent=1 < delivered=2 <
// read=3 < played=4. It returns 0 for "failed" and for unknown values, which
// do not sit on that line; use StatusAdvances to decide whether to apply an
// incoming status.
func StatusRank(status string) int {
	switch status {
	case StatusSent:
		return 1
	case StatusDelivered:
		return 2
	case StatusRead:
		return 3
	case StatusPlayed:
		return 4
	}
	return 0
}

// StatusAdvances reports whether a stored status current ("" when none is
// stored yet) should be replaced by an incoming status next. Webhooks arrive
// late, twice and out of order, so statuses only move forward:
//
//   - sent < delivered < read < played; a status never replaces itself or a
//     higher one (a late "delivered" never overwrites "read").
//   - "failed" replaces nothing but "" and "sent": once a message was
//     delivered, a failure report cannot be true for it.
//   - "failed" is terminal except that a later delivered, read or played
//     replaces it, because those prove the message arrived after all.
//   - Unknown values never replace anything.
func StatusAdvances(current, next string) bool {
	if next != StatusFailed && StatusRank(next) == 0 {
		return false
	}
	switch current {
	case "":
		return true
	case StatusFailed:
		return StatusRank(next) >= StatusRank(StatusDelivered)
	}
	if next == StatusFailed {
		return current == StatusSent
	}
	return StatusRank(next) > StatusRank(current)
}
