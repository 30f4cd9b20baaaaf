package api

import (
	"time"

	"switchboard/internal/domain"
)

// The JSON shapes of the API, as docs/api/openapi.yaml describes them.

type contactJSON struct {
	ID        string    `json:"id"`
	WaID      string    `json:"wa_id"`
	Name      string    `json:"name"`
	Phone     string    `json:"phone"`
	Priority  int       `json:"priority"`
	Consent   string    `json:"consent"`
	CreatedAt time.Time `json:"created_at"`
}

func toContact(c domain.Contact) contactJSON {
	return contactJSON{ID: c.ID, WaID: c.WaID, Name: c.Name, Phone: c.Phone, Priority: c.Priority, Consent: c.Consent, CreatedAt: c.CreatedAt}
}

type conversationJSON struct {
	ID               string          `json:"id"`
	NumberID         string          `json:"number_id"`
	ContactID        string          `json:"contact_id"`
	Status           string          `json:"status"`
	AssignedAgentID  *string         `json:"assigned_agent_id"`
	Assignment       *assignmentJSON `json:"assignment"`
	QueuedAt         *time.Time      `json:"queued_at"`
	TargetSkillsetID *string         `json:"target_skillset_id"`
	WindowExpiresAt  *time.Time      `json:"window_expires_at"`
	CreatedAt        time.Time       `json:"created_at"`
	ClosedAt         *time.Time      `json:"closed_at"`
}

// assignmentJSON is how the current agent came to hold the conversation:
// the router's decision (kind "assigned", with the deciding step of the
// distribution rule and its explanation) or a transfer (kind "transferred",
// step null).
type assignmentJSON struct {
	AgentID string    `json:"agent_id"`
	Kind    string    `json:"kind"`
	Step    *int      `json:"step"`
	Reason  string    `json:"reason"`
	At      time.Time `json:"at"`
}

func toConversation(c domain.Conversation) conversationJSON {
	out := conversationJSON{ID: c.ID, NumberID: c.NumberID, ContactID: c.ContactID, Status: c.Status,
		QueuedAt: c.QueuedAt, WindowExpiresAt: c.WindowExpiresAt, CreatedAt: c.CreatedAt, ClosedAt: c.ClosedAt}
	if c.AssignedAgentID != "" {
		out.AssignedAgentID = &c.AssignedAgentID
	}
	if c.TargetSkillsetID != "" {
		out.TargetSkillsetID = &c.TargetSkillsetID
	}
	if a := c.Assignment; a != nil && c.AssignedAgentID != "" {
		out.Assignment = &assignmentJSON{AgentID: a.AgentID, Kind: a.Kind, Reason: a.Reason, At: a.At}
		if a.AgentID == "" {
			// The event outlived its agent's row (ON DELETE SET NULL).
			out.Assignment.AgentID = c.AssignedAgentID
		}
		if a.Kind != "transferred" {
			step := a.Step
			out.Assignment.Step = &step
		}
	}
	return out
}

type mediaJSON struct {
	ID       string `json:"id"`
	MimeType string `json:"mime_type"`
	Filename string `json:"filename"`
	Size     *int64 `json:"size"`
	SHA256   string `json:"sha256"`
}

type locationJSON struct {
	Latitude  float64 `json:"latitude"`
	Longitude float64 `json:"longitude"`
	Name      string  `json:"name"`
	Address   string  `json:"address"`
}

type contextJSON struct {
	WAMID     string `json:"wamid"`
	Forwarded bool   `json:"forwarded"`
}

type errorJSON struct {
	Code    int    `json:"code"`
	Title   string `json:"title"`
	Details string `json:"details"`
}

type messageJSON struct {
	ID             string        `json:"id"`
	ConversationID string        `json:"conversation_id"`
	WAMID          string        `json:"wamid"`
	Direction      string        `json:"direction"`
	Type           string        `json:"type"`
	Text           string        `json:"text"`
	Media          *mediaJSON    `json:"media"`
	Location       *locationJSON `json:"location"`
	Context        *contextJSON  `json:"context"`
	Status         string        `json:"status"`
	Error          *errorJSON    `json:"error"`
	Timestamp      time.Time     `json:"timestamp"`
	CreatedAt      time.Time     `json:"created_at"`
}

func toMessage(m domain.Message) messageJSON {
	out := messageJSON{ID: m.ID, ConversationID: m.ConversationID, WAMID: m.WAMID, Direction: m.Direction, Type: m.Type,
		Text: m.Text, Status: m.Status, Timestamp: m.Timestamp, CreatedAt: m.CreatedAt}
	if m.Media != nil {
		out.Media = &mediaJSON{ID: m.Media.ID, MimeType: m.Media.MimeType, Filename: m.Media.Filename, Size: m.Media.Size, SHA256: m.Media.SHA256}
	}
	if loc, ok := m.Details["location"].(map[string]any); ok {
		l := &locationJSON{}
		l.Latitude, _ = loc["latitude"].(float64)
		l.Longitude, _ = loc["longitude"].(float64)
		l.Name, _ = loc["name"].(string)
		l.Address, _ = loc["address"].(string)
		out.Location = l
	}
	if m.ContextWAMID != "" || m.Forwarded || m.FrequentlyForwarded {
		out.Context = &contextJSON{WAMID: m.ContextWAMID, Forwarded: m.Forwarded || m.FrequentlyForwarded}
	}
	if m.ErrorCode != nil {
		out.Error = &errorJSON{Code: *m.ErrorCode, Title: m.ErrorTitle, Details: m.ErrorDetails}
	}
	return out
}
