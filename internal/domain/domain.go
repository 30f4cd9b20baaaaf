// Package domain is the shared vocabulary of Switchboard: the types that more
// than one service or surface speaks about. It imports only the standard
// library.
package domain

import (
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
