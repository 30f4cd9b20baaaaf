package tenant

import (
	"context"
	"errors"
	"strings"
	"time"
	"unicode/utf8"

	"switchboard/internal/auth"
	"switchboard/internal/domain"
	"switchboard/internal/storage"
)

// Invitations: an administrator invites an agent by e-mail and name; the
// person opens the link and chooses a password with the same policy as a
// password change, then is signed in.

// CheckNewUser normalises and checks a new user's e-mail and name, for
// CreateUser and InviteAgent alike.
func CheckNewUser(email, name string) (string, string, *FieldError) {
	email, name = NormalizeEmail(email), strings.TrimSpace(name)
	if key := CheckEmail(email); key != "" {
		return email, name, &FieldError{Field: "email", Key: key}
	}
	if utf8.RuneCountInString(name) > 200 {
		return email, name, &FieldError{Field: "name", Key: "form.too_long"}
	}
	return email, name, nil
}

// Invite is an invitation just made: its token exists only here and in the
// link shown to the administrator.
type Invite struct {
	UserID, Token string
	ExpiresAt     time.Time
}

// InviteAgent adds an agent to the tenant with an invitation link valid for
// storage.InvitationTTL. A taken e-mail (in any tenant: e-mails sign in
// across the platform) is a FieldError on "email". Agents are unlimited.
func InviteAgent(ctx context.Context, store *storage.Store, actor storage.Actor, tenantID, email, name string, now time.Time) (Invite, error) {
	email, name, fe := CheckNewUser(email, name)
	if fe != nil {
		return Invite{}, fe
	}
	token, hash, err := auth.NewInviteToken()
	if err != nil {
		return Invite{}, err
	}
	expires := now.Add(storage.InvitationTTL)
	id, err := store.InviteAgent(ctx, tenantID, actor, email, name, hash, expires)
	if errors.Is(err, storage.ErrConflict) {
		return Invite{}, &FieldError{Field: "email", Key: "user.email_taken"}
	}
	if err != nil {
		return Invite{}, err
	}
	return Invite{UserID: id, Token: token, ExpiresAt: expires}, nil
}

// ReinviteAgent gives an agent who has not joined yet a new link; the old
// ones stop working.
func ReinviteAgent(ctx context.Context, store *storage.Store, actor storage.Actor, tenantID, userID string, now time.Time) (Invite, error) {
	token, hash, err := auth.NewInviteToken()
	if err != nil {
		return Invite{}, err
	}
	expires := now.Add(storage.InvitationTTL)
	if err := store.ReinviteAgent(ctx, tenantID, actor, userID, hash, expires); err != nil {
		return Invite{}, err
	}
	return Invite{UserID: userID, Token: token, ExpiresAt: expires}, nil
}

// AcceptInvitation checks the password against the policy, hashes it and
// uses the invitation up; it returns the agent to sign in. A token that
// does not work is storage.ErrNotFound, ErrInvitationUsed or
// ErrInvitationExpired.
func AcceptInvitation(ctx context.Context, store *storage.Store, hasher *auth.Hasher, token, password, ip string) (domain.User, error) {
	hash := auth.InviteTokenHash(token)
	if hash == nil {
		return domain.User{}, storage.ErrNotFound
	}
	if auth.CheckPassword(password) != nil {
		return domain.User{}, &FieldError{Field: "new_password", Key: "password.invalid"}
	}
	encoded, err := hasher.Hash(ctx, password)
	if err != nil {
		return domain.User{}, err
	}
	return store.AcceptInvitation(ctx, hash, encoded, ip)
}
