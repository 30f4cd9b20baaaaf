package storage

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"switchboard/internal/domain"
)

// The tenant's team: agents invited by link, deactivated and reactivated,
// and what the administrator sees of each at a glance. Skillsets,
// memberships and capacity are in skillset.go.

// InvitationTTL is how long an invitation link works.
const InvitationTTL = 7 * 24 * time.Hour

// Why an invitation link no longer works. An unknown token (or one whose
// agent was deactivated, or whose tenant is suspended) is ErrNotFound.
var (
	ErrInvitationUsed    = errors.New("invitation already used")
	ErrInvitationExpired = errors.New("invitation expired")
)

// errAlreadyJoined refuses a new link for an agent who has chosen a
// password already: they sign in, or change their password.
var errAlreadyJoined = &domain.FieldError{Field: "agent", Key: "admin.team.already_joined"}

// Invitation is an invitation as its page shows it.
type Invitation struct {
	TenantID, TenantName string
	UserID, Email, Name  string
	ExpiresAt            time.Time
}

// AgentFacts is what the team page shows of an agent beside its routing
// configuration: the conversations it holds and whether it has joined.
type AgentFacts struct {
	Load int // conversations assigned to it now
	// Invited is true while the agent has never chosen a password;
	// InviteExpires is when its newest unused link stops working (nil: none).
	Invited       bool
	InviteExpires *time.Time
}

// InviteAgent adds an agent who has no password yet and an invitation whose
// token's SHA-256 is tokenHash, valid until expiresAt. The caller validated
// the e-mail and name (tenant.CheckNewUser); a taken e-mail is ErrConflict.
// Agents are unlimited: no plan limit applies.
func (s *Store) InviteAgent(ctx context.Context, tenantID string, actor Actor, email, name string, tokenHash []byte, expiresAt time.Time) (string, error) {
	var id string
	err := s.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		var err error
		// An empty hash matches no password (auth.Hasher.Verify), so nobody
		// signs in as the agent before they accept.
		if id, err = insertUser(ctx, tx, domain.User{TenantID: tenantID, Email: email, Name: name, Role: domain.RoleAgent}); err != nil {
			return err
		}
		if err := insertInvitation(ctx, tx, tenantID, id, actor, tokenHash, expiresAt); err != nil {
			return err
		}
		return audit(ctx, tx, tenantID, actor, "user.invite", email, map[string]any{"role": domain.RoleAgent,
			"expires_at": expiresAt.UTC()})
	})
	return id, err
}

func insertInvitation(ctx context.Context, tx pgx.Tx, tenantID, userID string, actor Actor, tokenHash []byte, expiresAt time.Time) error {
	_, err := tx.Exec(ctx, `INSERT INTO invitations (tenant_id, user_id, token_hash, created_by, expires_at) VALUES ($1, $2, $3, $4, $5)`,
		tenantID, userID, tokenHash, actor.Email, expiresAt)
	return err
}

// ReinviteAgent replaces an agent's unused invitations with a new one (the
// link was lost, or expired). Only for an active agent who has not joined
// yet: FieldErrors on "agent" otherwise.
func (s *Store) ReinviteAgent(ctx context.Context, tenantID string, actor Actor, userID string, tokenHash []byte, expiresAt time.Time) error {
	if err := checkRoutingID("agent", userID); err != nil {
		return err
	}
	return s.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		var email, role, hash string
		var active bool
		err := tx.QueryRow(ctx, `SELECT email, role, password_hash, active FROM users WHERE tenant_id = $1 AND id = $2 FOR UPDATE`,
			tenantID, userID).Scan(&email, &role, &hash, &active)
		switch {
		case errors.Is(err, pgx.ErrNoRows) || (err == nil && role != string(domain.RoleAgent)):
			return errNotAgent
		case err != nil:
			return err
		case !active:
			return errAgentInactive
		case hash != "":
			return errAlreadyJoined
		}
		if _, err := tx.Exec(ctx, `DELETE FROM invitations WHERE tenant_id = $1 AND user_id = $2 AND used_at IS NULL`,
			tenantID, userID); err != nil {
			return err
		}
		if err := insertInvitation(ctx, tx, tenantID, userID, actor, tokenHash, expiresAt); err != nil {
			return err
		}
		return audit(ctx, tx, tenantID, actor, "user.reinvite", email, map[string]any{"expires_at": expiresAt.UTC()})
	})
}

// invitationQuery reads an invitation by its token's hash, across tenants
// (the person is not signed in), only while its agent is active and its
// tenant is not suspended.
const invitationQuery = `SELECT i.id, i.tenant_id, t.name, u.id, u.email, u.name, i.expires_at, i.used_at IS NOT NULL, i.expires_at <= now()
	FROM invitations i JOIN users u ON u.id = i.user_id AND u.tenant_id = i.tenant_id JOIN tenants t ON t.id = i.tenant_id
	WHERE i.token_hash = $1 AND u.active AND u.role = 'agent' AND t.status = 'active'`

func scanInvitation(row pgx.Row) (string, Invitation, error) {
	var id string
	var inv Invitation
	var used, expired bool
	err := row.Scan(&id, &inv.TenantID, &inv.TenantName, &inv.UserID, &inv.Email, &inv.Name, &inv.ExpiresAt, &used, &expired)
	switch {
	case err != nil:
		return "", inv, notFound(err)
	case used:
		return "", inv, ErrInvitationUsed
	case expired:
		return "", inv, ErrInvitationExpired
	}
	return id, inv, nil
}

// InvitationByToken returns the invitation whose token's SHA-256 is
// tokenHash: ErrNotFound, ErrInvitationUsed or ErrInvitationExpired when
// it does not work.
func (s *Store) InvitationByToken(ctx context.Context, tokenHash []byte) (Invitation, error) {
	var inv Invitation
	err := s.InPlatform(ctx, func(tx pgx.Tx) error {
		var err error
		_, inv, err = scanInvitation(tx.QueryRow(ctx, invitationQuery, tokenHash))
		return err
	})
	return inv, err
}

// AcceptInvitation sets the invited agent's password hash and uses the
// invitation up, once: of two acceptances at the same moment, the second
// finds it used. It returns the agent, to sign them in.
func (s *Store) AcceptInvitation(ctx context.Context, tokenHash []byte, passwordHash, ip string) (domain.User, error) {
	var u domain.User
	err := s.InPlatform(ctx, func(tx pgx.Tx) error {
		id, inv, err := scanInvitation(tx.QueryRow(ctx, invitationQuery+` FOR UPDATE OF i, u`, tokenHash))
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE users SET password_hash = $3, password_changed_at = now(), updated_at = now()
			WHERE tenant_id = $1 AND id = $2`, inv.TenantID, inv.UserID, passwordHash); err != nil {
			return err
		}
		// Every other link of theirs stops working with this one.
		if _, err := tx.Exec(ctx, `UPDATE invitations SET used_at = now() WHERE tenant_id = $1 AND user_id = $2 AND used_at IS NULL`,
			inv.TenantID, inv.UserID); err != nil {
			return err
		}
		if err := audit(ctx, tx, inv.TenantID, Actor{UserID: inv.UserID, Email: inv.Email, IP: ip}, "user.invitation_accept",
			inv.Email, map[string]any{"invitation": id}); err != nil {
			return err
		}
		u, err = scanUser(tx.QueryRow(ctx, `SELECT `+userColumns+` FROM users u WHERE u.tenant_id = $1 AND u.id = $2`,
			inv.TenantID, inv.UserID))
		return err
	})
	return u, err
}

// SetAgentActive deactivates or reactivates an agent of the tenant. A
// deactivated agent's sessions end at once, so they can no longer sign in
// nor act; the dispatcher reloads in the same transaction and, no longer
// finding them among the active agents, puts the conversations they held
// back in the queue (routing.tenantLoop.rebuild). Their skillset
// memberships stay for when they return. The user must be an agent of the
// tenant (a FieldError on "agent" otherwise); no change is not audited.
func (s *Store) SetAgentActive(ctx context.Context, tenantID string, actor Actor, userID string, active bool) error {
	if err := checkRoutingID("agent", userID); err != nil {
		return err
	}
	return s.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		var email, role string
		var before bool
		err := tx.QueryRow(ctx, `SELECT email, role, active FROM users WHERE tenant_id = $1 AND id = $2 FOR UPDATE`,
			tenantID, userID).Scan(&email, &role, &before)
		if errors.Is(err, pgx.ErrNoRows) || (err == nil && role != string(domain.RoleAgent)) {
			return errNotAgent
		}
		if err != nil || before == active {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE users SET active = $3, updated_at = now() WHERE tenant_id = $1 AND id = $2`,
			tenantID, userID, active); err != nil {
			return err
		}
		action := "user.reactivate"
		if !active {
			action = "user.deactivate"
			if _, err := tx.Exec(ctx, `DELETE FROM sessions WHERE tenant_id = $1 AND user_id = $2`, tenantID, userID); err != nil {
				return err
			}
		}
		if err := audit(ctx, tx, tenantID, actor, action, email, map[string]any{
			"before": map[string]any{"active": before}, "after": map[string]any{"active": active}}); err != nil {
			return err
		}
		return configReload(ctx, tx, tenantID, actor)
	})
}

// AgentTeamFacts returns, for each agent of the tenant (by id), the
// conversations it holds and whether it is still invited.
func (s *Store) AgentTeamFacts(ctx context.Context, tenantID string) (map[string]AgentFacts, error) {
	out := map[string]AgentFacts{}
	err := s.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT u.id,
				(SELECT count(*) FROM conversations c WHERE c.tenant_id = u.tenant_id AND c.status = 'assigned' AND c.assigned_agent_id = u.id),
				u.password_hash = '',
				(SELECT max(i.expires_at) FROM invitations i WHERE i.tenant_id = u.tenant_id AND i.user_id = u.id AND i.used_at IS NULL)
			FROM users u WHERE u.tenant_id = $1 AND u.role = 'agent'`, tenantID)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id string
			var f AgentFacts
			if err := rows.Scan(&id, &f.Load, &f.Invited, &f.InviteExpires); err != nil {
				return err
			}
			out[id] = f
		}
		return rows.Err()
	})
	return out, err
}
