package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"time"

	"switchboard/internal/domain"
	"switchboard/internal/storage"
)

// Session lifetimes (ASVS 3.3.2, level 2).
const (
	AbsoluteTimeout = 12 * time.Hour
	IdleTimeout     = 30 * time.Minute
	// touchEvery limits writes: last_seen_at is refreshed at most this often,
	// which makes the idle timeout exact to within a minute.
	touchEvery = time.Minute
)

// ErrNoSession means the token is unknown, expired, idle too long, or its
// user or tenant may no longer sign in.
var ErrNoSession = errors.New("no valid session")

// Principal is who a request acts for. The tenant always comes from here,
// never from the request.
type Principal struct {
	SessionID string
	UserID    string
	TenantID  string // empty for operators
	Role      domain.Role
	Email     string
	Name      string
	Language  string
}

// Actor returns the principal as the author of an audited action.
func (p Principal) Actor(ip string) storage.Actor {
	return storage.Actor{UserID: p.UserID, Email: p.Email, IP: ip}
}

// Sessions creates and resolves server-side sessions.
type Sessions struct {
	store *storage.Store
	now   func() time.Time
}

// NewSessions returns a session manager; now is the clock (tests move it).
func NewSessions(store *storage.Store, now func() time.Time) *Sessions {
	return &Sessions{store: store, now: now}
}

// Start creates a session for u and returns its token (256 random bits,
// base64url) — the only place the token exists outside the browser.
func (m *Sessions) Start(ctx context.Context, u domain.User, ip, userAgent string) (string, Principal, error) {
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return "", Principal{}, err
	}
	token := base64.RawURLEncoding.EncodeToString(raw)
	if len(userAgent) > 300 {
		userAgent = userAgent[:300]
	}
	id, err := m.store.CreateSession(ctx, domain.Session{
		UserID: u.ID, TenantID: u.TenantID, ExpiresAt: m.now().Add(AbsoluteTimeout), UserAgent: userAgent, IP: ip,
	}, hashToken(token))
	if err != nil {
		return "", Principal{}, err
	}
	return token, principal(id, u), nil
}

// Resolve returns the principal for a token, or ErrNoSession.
func (m *Sessions) Resolve(ctx context.Context, token string) (Principal, error) {
	if token == "" || len(token) > 100 {
		return Principal{}, ErrNoSession
	}
	sess, u, tenantStatus, err := m.store.SessionByToken(ctx, hashToken(token))
	if errors.Is(err, storage.ErrNotFound) {
		return Principal{}, ErrNoSession
	}
	if err != nil {
		return Principal{}, err
	}
	now := m.now()
	if now.After(sess.ExpiresAt) || now.Sub(sess.LastSeenAt) > IdleTimeout || !u.Active ||
		(u.Role != domain.RoleOperator && tenantStatus != domain.TenantActive) {
		// Best effort: the row is useless now; an error here changes nothing.
		_ = m.store.DeleteSession(ctx, u.TenantID, u.ID, sess.ID)
		return Principal{}, ErrNoSession
	}
	if now.Sub(sess.LastSeenAt) > touchEvery {
		if err := m.store.TouchSession(ctx, u.TenantID, sess.ID, now); err != nil {
			return Principal{}, err
		}
	}
	return principal(sess.ID, u), nil
}

// End deletes the session (sign-out).
func (m *Sessions) End(ctx context.Context, p Principal) error {
	err := m.store.DeleteSession(ctx, p.TenantID, p.UserID, p.SessionID)
	if errors.Is(err, storage.ErrNotFound) {
		return nil
	}
	return err
}

func principal(sessionID string, u domain.User) Principal {
	return Principal{SessionID: sessionID, UserID: u.ID, TenantID: u.TenantID, Role: u.Role,
		Email: u.Email, Name: u.Name, Language: u.Language}
}

func hashToken(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}
