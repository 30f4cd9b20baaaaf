// Package domain is the shared vocabulary of Switchboard: the types that more
// than one service or surface speaks about. It imports only the standard
// library.
package domain

import (
	"crypto/rand"
	"encoding/hex"
	"regexp"
	"time"
)

// Role is what a user may do. Operators run the platform; administrators and
// agents belong to one tenant.
type Role string

const (
	RoleOperator Role = "operator"
	RoleAdmin    Role = "admin"
	RoleAgent    Role = "agent"
)

// Valid reports whether r is one of the three roles.
func (r Role) Valid() bool { return r == RoleOperator || r == RoleAdmin || r == RoleAgent }

// HoldsConversations reports whether users of the role can hold
// conversations: agents, and administrators, who take conversations over.
// The router hands out queued conversations only to skillset members, and
// only agents can be members, so an administrator holds only what it took.
func (r Role) HoldsConversations() bool { return r == RoleAgent || r == RoleAdmin }

// Tenant status values.
const (
	TenantActive    = "active"
	TenantSuspended = "suspended"
)

// Plan holds a tenant's limits. Agents are unlimited on every plan.
type Plan struct {
	ID                       string
	Name                     string
	MaxTemplates             int
	MaxNumbers               int
	MaxBusinessConversations int // a month
	Tenants                  int // how many tenants are on it (listings only)
}

// Tenant is a company that serves its customers through Switchboard.
type Tenant struct {
	ID        string
	Name      string
	Slug      string
	PlanID    string
	PlanName  string
	Status    string
	CreatedAt time.Time
	Users     int // listings only
}

// User is a person who signs in.
type User struct {
	ID           string
	TenantID     string // empty for operators
	Email        string
	Name         string
	Role         Role
	PasswordHash string
	Language     string // "" means: follow the browser
	Active       bool
	CreatedAt    time.Time
}

// Session is a signed-in browser.
type Session struct {
	ID         string
	UserID     string
	TenantID   string
	CreatedAt  time.Time
	LastSeenAt time.Time
	ExpiresAt  time.Time
	UserAgent  string
	IP         string
	Current    bool // the session that asks (listings only)
}

// AuditEntry records an administrative action: who did what to what.
type AuditEntry struct {
	ID         int64
	TenantID   string
	ActorID    string
	ActorEmail string
	Action     string
	Target     string
	Detail     map[string]any
	IP         string
	CreatedAt  time.Time
}

var uuidRE = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

// ValidID reports whether s is a canonical lower-case UUID, the form of every
// id in URLs; anything else is answered 404 before it reaches Postgres.
func ValidID(s string) bool { return uuidRE.MatchString(s) }

// Number is one of a tenant's WhatsApp numbers. The access token is sealed
// (internal/secrets) and never leaves the number service in clear.
type Number struct {
	ID             string
	TenantID       string
	PhoneNumberID  string // Meta's id; routes webhooks to the tenant
	DisplayPhone   string
	WABAID         string
	AppID          string // empty: the platform's own Meta app
	AppSlug        string
	AccessTokenEnc string
	Sandbox        bool
	Status         string
	QualityRating  string
	MessagingLimit string
	Throughput     int
	CreatedAt      time.Time
}

// MetaApp is a Meta app other than the platform's own, registered by the
// operator; its webhooks arrive at /webhooks/whatsapp/{slug}.
type MetaApp struct {
	ID             string
	Slug           string
	Name           string
	MetaAppID      string // Meta's numeric App ID; "" for apps registered before it was asked
	AppSecretEnc   string
	VerifyTokenEnc string
	CreatedAt      time.Time
}

// FieldError says which input is wrong; Key is an i18n message key, so a
// console shows it beside the field and the CLI prints it naming the flag.
type FieldError struct {
	Field string
	Key   string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Key }

// Contact is a customer of a tenant, known by their WhatsApp id and/or
// Meta's business-scoped user id.
type Contact struct {
	ID        string
	TenantID  string
	WaID      string
	UserID    string
	Name      string
	Phone     string
	Priority  int
	Consent   string
	CreatedAt time.Time
}

// Conversation states.
const (
	ConversationBot      = "bot"
	ConversationQueued   = "queued"
	ConversationAssigned = "assigned"
	ConversationClosed   = "closed"
)

// Conversation is one open (or closed) thread between a contact and a number.
type Conversation struct {
	ID              string
	TenantID        string
	NumberID        string
	ContactID       string
	Status          string
	AssignedAgentID string
	LastInboundAt   *time.Time
	WindowExpiresAt *time.Time
	LastMessageAt   *time.Time
	CreatedAt       time.Time
	ClosedAt        *time.Time
	// QueuedAt is when it entered the queue (its arrival, kept on requeue).
	QueuedAt *time.Time
	// TargetSkillsetID restricts the queue after a transfer to a skillset.
	TargetSkillsetID string
	// CloseOutcome is the tenant's outcome it was closed with ("" for none).
	CloseOutcome string
	// Assignment explains why the current agent holds it (nil unless assigned).
	Assignment *Assignment
}

// Assignment is how a conversation came to its agent: by the router (Kind
// "assigned", with the deciding step of the distribution rule) or by a
// transfer (Kind "transferred", Step 0).
type Assignment struct {
	Kind    string
	AgentID string
	Step    int
	Reason  string
	At      time.Time
}

// Media is a file attached to a message, fetched from Meta into the blob
// store.
type Media struct {
	ID          string
	TenantID    string
	NumberID    string
	MetaMediaID string
	URL         string
	MimeType    string
	Filename    string
	Size        *int64
	SHA256      string
	BlobKey     string
	State       string // pending | stored | failed
	Attempts    int
	LastError   string
}

// Message is one message of a conversation, either way.
type Message struct {
	ID                  string
	TenantID            string
	ConversationID      string
	WAMID               string
	Direction           string // inbound | outbound
	Type                string
	Text                string
	MediaID             string
	Media               *Media
	Details             map[string]any
	ContextWAMID        string
	Forwarded           bool
	FrequentlyForwarded bool
	Reaction            string
	Status              string
	Sender              string // outbound: agent:<id>, api:<key id>, system
	// Uncertain: the send may or may not have reached the customer (a
	// crash came between Meta's answer and our record of it).
	Uncertain    bool
	ErrorCode    *int
	ErrorTitle   string
	ErrorDetails string
	Timestamp    time.Time // WhatsApp's, which orders the conversation
	CreatedAt    time.Time
}

// Digits keeps only the digits of s: phone numbers as Meta compares them.
func Digits(s string) string {
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] >= '0' && s[i] <= '9' {
			out = append(out, s[i])
		}
	}
	return string(out)
}

// NewID returns a random (version 4) UUID in the canonical form of ids.
func NewID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}
