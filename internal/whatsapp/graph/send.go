package graph

import (
	"context"
	"errors"
)

// SendResult is Meta's answer to an accepted send (§4.1). Accepted is not
// delivered: delivery, and most policy failures (131047, 131026, 131049…),
// arrive later as status webhooks for WAMID.
type SendResult struct {
	WAMID string // the message id that status webhooks carry
	WaID  string // the recipient's WhatsApp id, as Meta normalised the number
	// MessageStatus is set for template sends only: "accepted",
	// "held_for_quality_assessment" or "paused" (template pacing: the message
	// waits and may end as a failed 132015 status).
	MessageStatus string
}

// Message statuses of SendResult.MessageStatus.
const (
	MessageAccepted          = "accepted"
	MessageHeldForAssessment = "held_for_quality_assessment"
	MessagePaused            = "paused"
)

// Send sends msg from phoneNumberID. The message is validated first (an
// error wrapping ErrInvalidMessage sends nothing).
func (c *Client) Send(ctx context.Context, token, phoneNumberID string, msg OutgoingMessage) (SendResult, error) {
	var res SendResult
	body, err := msg.wire()
	if err != nil {
		return res, err
	}
	var ans struct {
		Contacts []struct {
			Input string `json:"input"`
			WaID  string `json:"wa_id"`
		} `json:"contacts"`
		Messages []struct {
			ID            string `json:"id"`
			MessageStatus string `json:"message_status"`
		} `json:"messages"`
	}
	if err := c.callJSON(ctx, "POST", c.endpoint(phoneNumberID, "messages"), token, body, &ans); err != nil {
		return res, err
	}
	if len(ans.Messages) == 0 || ans.Messages[0].ID == "" {
		// A 200 without an id: Meta may or may not have the message, and
		// there is nothing to correlate webhooks with. Not retryable, so
		// the outbox does not risk a duplicate.
		return res, errors.New("graph: send answer without a message id")
	}
	res.WAMID, res.MessageStatus = ans.Messages[0].ID, ans.Messages[0].MessageStatus
	if len(ans.Contacts) > 0 {
		res.WaID = ans.Contacts[0].WaID
	}
	return res, nil
}

// MarkRead marks the inbound message wamid (and every earlier one in the
// chat) as read, showing the customer blue ticks (§4.3). With typing, it also
// shows a typing indicator, which WhatsApp dismisses when we reply or after
// 25 seconds. An unknown or too old wamid gives code 131009.
func (c *Client) MarkRead(ctx context.Context, token, phoneNumberID, wamid string, typing bool) error {
	if wamid == "" {
		return invalidf("mark as read needs a message id")
	}
	type indicator struct {
		Type string `json:"type"`
	}
	body := struct {
		MessagingProduct string     `json:"messaging_product"`
		Status           string     `json:"status"`
		MessageID        string     `json:"message_id"`
		TypingIndicator  *indicator `json:"typing_indicator,omitempty"`
	}{MessagingProduct: "whatsapp", Status: "read", MessageID: wamid}
	if typing {
		body.TypingIndicator = &indicator{Type: "text"}
	}
	return c.callSuccess(ctx, "POST", c.endpoint(phoneNumberID, "messages"), token, body)
}
