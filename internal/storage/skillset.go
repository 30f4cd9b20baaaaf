package storage

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"switchboard/internal/domain"
)

// Routing configuration: skillsets, their members and the numbers they
// serve, agents' capacity, the tenant's requeue policy and contacts'
// priority (docs/spec routing.md). Every change writes one audit entry and,
// in the same transaction, asks the tenant's dispatcher to reload
// (CmdReload), so the live router works with the new configuration from the
// commit on, and never with half of it.

// Limits of the routing configuration, as the schema checks them.
const (
	MaxPriority        = 1000 // priorities go from -MaxPriority to MaxPriority
	MaxCapacity        = 1000 // capacities go from 0
	MaxGraceSeconds    = 86400
	MaxSkillsetNameLen = 100 // characters, after trimming
)

// Skillset is a named group of agents, with the numbers it serves.
type Skillset struct {
	ID        string
	Name      string
	CreatedAt time.Time
	Members   []SkillsetMember // agent priority first, then e-mail (ListSkillsets only)
	Numbers   []SkillsetNumber // skillset priority first, then phone (ListSkillsets only)
}

// SkillsetMember is an agent of a skillset with its agent priority.
type SkillsetMember struct {
	UserID   string
	Email    string
	Name     string
	Priority int
	// Routed is false for a member who is no longer an active agent: the
	// membership stays for when they return, the router ignores it.
	Routed bool
}

// SkillsetNumber is a number a skillset serves, with its skillset priority.
type SkillsetNumber struct {
	NumberID      string
	DisplayPhone  string
	PhoneNumberID string
	Priority      int
}

// RoutingAgent is an agent as routing sees it: capacity and skillsets.
type RoutingAgent struct {
	UserID    string
	Email     string
	Name      string
	Active    bool
	Capacity  *int // nil: the tenant's default
	Skillsets []AgentSkillset
}

// AgentSkillset is one skillset of an agent, with its agent priority there.
type AgentSkillset struct {
	SkillsetID string
	Name       string
	Priority   int
}

// SkillsetInUseError refuses to delete a skillset that numbers still link:
// the administrator unlinks it first.
type SkillsetInUseError struct {
	Skillset string
	Numbers  []string // the numbers' display phones
}

func (e *SkillsetInUseError) Error() string {
	if len(e.Numbers) == 0 {
		return fmt.Sprintf("skillset %q serves numbers: unlink it from them first", e.Skillset)
	}
	them := "these numbers"
	if len(e.Numbers) == 1 {
		them = "this number"
	}
	return fmt.Sprintf("skillset %q serves %s: unlink it from %s first", e.Skillset, strings.Join(e.Numbers, ", "), them)
}

// Validation errors of the routing configuration. Keys other than form.*
// are under routing.*; see the CLI for their English wording.
var (
	errSkillsetTaken = &domain.FieldError{Field: "name", Key: "routing.skillset_taken"}
	errNotAgent      = &domain.FieldError{Field: "agent", Key: "routing.not_agent"}
	errAgentInactive = &domain.FieldError{Field: "agent", Key: "routing.agent_inactive"}
)

// checkSkillsetName trims a skillset's name and checks it.
func checkSkillsetName(name string) (string, error) {
	name = strings.TrimSpace(name)
	switch {
	case name == "":
		return "", &domain.FieldError{Field: "name", Key: "form.required"}
	case utf8.RuneCountInString(name) > MaxSkillsetNameLen:
		return "", &domain.FieldError{Field: "name", Key: "form.too_long"}
	case !utf8.ValidString(name) || strings.IndexFunc(name, unicode.IsControl) >= 0:
		return "", &domain.FieldError{Field: "name", Key: "routing.name_invalid"}
	}
	return name, nil
}

func checkRoutingID(field, id string) error {
	if !domain.ValidID(id) {
		return &domain.FieldError{Field: field, Key: "routing.id_invalid"}
	}
	return nil
}

func checkPriority(field string, p int) error {
	if p < -MaxPriority || p > MaxPriority {
		return &domain.FieldError{Field: field, Key: "routing.priority_range"}
	}
	return nil
}

func checkCapacity(field string, c int) error {
	if c < 0 || c > MaxCapacity {
		return &domain.FieldError{Field: field, Key: "routing.capacity_range"}
	}
	return nil
}

// configReload asks the tenant's dispatcher, in the caller's transaction,
// to read its configuration again: it sees the change once it commits.
func configReload(ctx context.Context, tx pgx.Tx, tenantID string, actor Actor) error {
	who := actor.Email
	if who == "" {
		who = actor.UserID
	}
	_, err := enqueueRouting(ctx, tx, tenantID, RoutingCommand{Kind: CmdReload, Actor: who})
	return err
}

func isForeignKeyViolation(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "23503"
}

// skillsetName returns a skillset's name, locking the row against deletion
// (FOR KEY SHARE) until the caller's transaction ends.
func skillsetName(ctx context.Context, tx pgx.Tx, tenantID, skillsetID string) (string, error) {
	var name string
	err := tx.QueryRow(ctx, `SELECT name FROM skillsets WHERE tenant_id = $1 AND id = $2 FOR KEY SHARE`,
		tenantID, skillsetID).Scan(&name)
	return name, notFound(err)
}

// CreateSkillset adds a skillset. A name taken in the tenant (in any case)
// is a FieldError on "name".
func (s *Store) CreateSkillset(ctx context.Context, tenantID string, actor Actor, name string) (string, error) {
	name, err := checkSkillsetName(name)
	if err != nil {
		return "", err
	}
	var id string
	err = s.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `INSERT INTO skillsets (tenant_id, name) VALUES ($1, $2) RETURNING id`, tenantID, name).Scan(&id)
		if isUniqueViolation(err) {
			return errSkillsetTaken
		}
		if err != nil {
			return err
		}
		if err := audit(ctx, tx, tenantID, actor, "skillset.create", name, nil); err != nil {
			return err
		}
		return configReload(ctx, tx, tenantID, actor)
	})
	return id, err
}

// RenameSkillset renames a skillset; a taken name is a FieldError on "name".
func (s *Store) RenameSkillset(ctx context.Context, tenantID string, actor Actor, skillsetID, name string) error {
	if err := checkRoutingID("skillset", skillsetID); err != nil {
		return err
	}
	name, err := checkSkillsetName(name)
	if err != nil {
		return err
	}
	return s.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		var before string
		if err := tx.QueryRow(ctx, `SELECT name FROM skillsets WHERE tenant_id = $1 AND id = $2 FOR UPDATE`,
			tenantID, skillsetID).Scan(&before); err != nil {
			return notFound(err)
		}
		_, err := tx.Exec(ctx, `UPDATE skillsets SET name = $3 WHERE tenant_id = $1 AND id = $2`, tenantID, skillsetID, name)
		if isUniqueViolation(err) {
			return errSkillsetTaken
		}
		if err != nil {
			return err
		}
		if err := audit(ctx, tx, tenantID, actor, "skillset.rename", name,
			map[string]any{"before": map[string]any{"name": before}, "after": map[string]any{"name": name}}); err != nil {
			return err
		}
		return configReload(ctx, tx, tenantID, actor)
	})
}

// DeleteSkillset deletes a skillset and its memberships. While numbers link
// it, it is refused with a *SkillsetInUseError naming them. Conversations
// transferred to it go back to the tenant's whole queue.
func (s *Store) DeleteSkillset(ctx context.Context, tenantID string, actor Actor, skillsetID string) error {
	if err := checkRoutingID("skillset", skillsetID); err != nil {
		return err
	}
	return s.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		// FOR UPDATE waits for links being added (their foreign key check
		// holds FOR KEY SHARE) and holds off new ones, so the check below
		// sees every link there will be.
		var name string
		if err := tx.QueryRow(ctx, `SELECT name FROM skillsets WHERE tenant_id = $1 AND id = $2 FOR UPDATE`,
			tenantID, skillsetID).Scan(&name); err != nil {
			return notFound(err)
		}
		rows, err := tx.Query(ctx, `SELECT n.display_phone FROM number_skillsets l
			JOIN numbers n ON n.id = l.number_id AND n.tenant_id = l.tenant_id
			WHERE l.tenant_id = $1 AND l.skillset_id = $2 ORDER BY n.display_phone`, tenantID, skillsetID)
		if err != nil {
			return err
		}
		numbers, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return err
		}
		if len(numbers) > 0 {
			return &SkillsetInUseError{Skillset: name, Numbers: numbers}
		}
		var members int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM skillset_members WHERE tenant_id = $1 AND skillset_id = $2`,
			tenantID, skillsetID).Scan(&members); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `DELETE FROM skillsets WHERE tenant_id = $1 AND id = $2`, tenantID, skillsetID)
		if isForeignKeyViolation(err) {
			return &SkillsetInUseError{Skillset: name}
		}
		if err != nil {
			return err
		}
		if err := audit(ctx, tx, tenantID, actor, "skillset.delete", name, map[string]any{"members": members}); err != nil {
			return err
		}
		return configReload(ctx, tx, tenantID, actor)
	})
}

// SkillsetByName finds a skillset by name, in any case, without its members
// and numbers.
func (s *Store) SkillsetByName(ctx context.Context, tenantID, name string) (Skillset, error) {
	var ss Skillset
	err := s.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		return notFound(tx.QueryRow(ctx, `SELECT id, name, created_at FROM skillsets
			WHERE tenant_id = $1 AND lower(name) = lower($2)`, tenantID, strings.TrimSpace(name)).Scan(&ss.ID, &ss.Name, &ss.CreatedAt))
	})
	return ss, err
}

// ListSkillsets lists a tenant's skillsets by name, each with its members
// and the numbers it serves.
func (s *Store) ListSkillsets(ctx context.Context, tenantID string) ([]Skillset, error) {
	var out []Skillset
	err := s.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT id, name, created_at FROM skillsets WHERE tenant_id = $1 ORDER BY lower(name), id`, tenantID)
		if err != nil {
			return err
		}
		index := map[string]int{}
		for rows.Next() {
			var ss Skillset
			if err := rows.Scan(&ss.ID, &ss.Name, &ss.CreatedAt); err != nil {
				return err
			}
			index[ss.ID] = len(out)
			out = append(out, ss)
		}
		if err := rows.Err(); err != nil {
			return err
		}

		rows, err = tx.Query(ctx, `SELECT m.skillset_id, u.id, u.email, u.name, m.priority, u.active AND u.role = 'agent'
			FROM skillset_members m JOIN users u ON u.id = m.user_id AND u.tenant_id = m.tenant_id
			WHERE m.tenant_id = $1 ORDER BY m.priority DESC, u.email`, tenantID)
		if err != nil {
			return err
		}
		for rows.Next() {
			var id string
			var m SkillsetMember
			if err := rows.Scan(&id, &m.UserID, &m.Email, &m.Name, &m.Priority, &m.Routed); err != nil {
				return err
			}
			if i, ok := index[id]; ok {
				out[i].Members = append(out[i].Members, m)
			}
		}
		if err := rows.Err(); err != nil {
			return err
		}

		rows, err = tx.Query(ctx, `SELECT l.skillset_id, n.id, n.display_phone, n.phone_number_id, l.priority
			FROM number_skillsets l JOIN numbers n ON n.id = l.number_id AND n.tenant_id = l.tenant_id
			WHERE l.tenant_id = $1 ORDER BY l.priority DESC, n.display_phone`, tenantID)
		if err != nil {
			return err
		}
		for rows.Next() {
			var id string
			var n SkillsetNumber
			if err := rows.Scan(&id, &n.NumberID, &n.DisplayPhone, &n.PhoneNumberID, &n.Priority); err != nil {
				return err
			}
			if i, ok := index[id]; ok {
				out[i].Numbers = append(out[i].Numbers, n)
			}
		}
		return rows.Err()
	})
	return out, err
}

// SetSkillsetMember makes an agent a member of a skillset with an agent
// priority, or changes the priority of a member. The user must be an
// active agent of the tenant (a FieldError on "agent" otherwise).
func (s *Store) SetSkillsetMember(ctx context.Context, tenantID string, actor Actor, skillsetID, userID string, priority int) error {
	if err := checkRoutingID("skillset", skillsetID); err != nil {
		return err
	}
	if err := checkRoutingID("agent", userID); err != nil {
		return err
	}
	if err := checkPriority("priority", priority); err != nil {
		return err
	}
	return s.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		skillset, err := skillsetName(ctx, tx, tenantID, skillsetID)
		if err != nil {
			return err
		}
		var email, role string
		var active bool
		err = tx.QueryRow(ctx, `SELECT email, role, active FROM users WHERE tenant_id = $1 AND id = $2 FOR KEY SHARE`,
			tenantID, userID).Scan(&email, &role, &active)
		switch {
		case errors.Is(err, pgx.ErrNoRows) || (err == nil && role != string(domain.RoleAgent)):
			return errNotAgent
		case err != nil:
			return err
		case !active:
			return errAgentInactive
		}
		var before *int
		if err := tx.QueryRow(ctx, `WITH old AS (
				SELECT priority FROM skillset_members WHERE tenant_id = $1 AND skillset_id = $2 AND user_id = $3)
			INSERT INTO skillset_members (tenant_id, skillset_id, user_id, priority) VALUES ($1, $2, $3, $4)
			ON CONFLICT (skillset_id, user_id) DO UPDATE SET priority = EXCLUDED.priority
			RETURNING (SELECT priority FROM old)`, tenantID, skillsetID, userID, priority).Scan(&before); err != nil {
			return err
		}
		if err := audit(ctx, tx, tenantID, actor, "skillset.member_set", skillset, map[string]any{"agent": email,
			"before": priorityDetail(before), "after": map[string]any{"priority": priority}}); err != nil {
			return err
		}
		return configReload(ctx, tx, tenantID, actor)
	})
}

// priorityDetail is the audit's "before" of an upsert: null when the row
// is new.
func priorityDetail(p *int) any {
	if p == nil {
		return nil
	}
	return map[string]any{"priority": *p}
}

// RemoveSkillsetMember takes an agent out of a skillset; ErrNotFound when
// they were not a member.
func (s *Store) RemoveSkillsetMember(ctx context.Context, tenantID string, actor Actor, skillsetID, userID string) error {
	if err := checkRoutingID("skillset", skillsetID); err != nil {
		return err
	}
	if err := checkRoutingID("agent", userID); err != nil {
		return err
	}
	return s.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		var skillset, email string
		var priority int
		err := tx.QueryRow(ctx, `DELETE FROM skillset_members m USING skillsets s, users u
			WHERE m.tenant_id = $1 AND m.skillset_id = $2 AND m.user_id = $3
			  AND s.id = m.skillset_id AND s.tenant_id = m.tenant_id AND u.id = m.user_id AND u.tenant_id = m.tenant_id
			RETURNING s.name, u.email, m.priority`, tenantID, skillsetID, userID).Scan(&skillset, &email, &priority)
		if err != nil {
			return notFound(err)
		}
		if err := audit(ctx, tx, tenantID, actor, "skillset.member_remove", skillset, map[string]any{"agent": email,
			"before": map[string]any{"priority": priority}}); err != nil {
			return err
		}
		return configReload(ctx, tx, tenantID, actor)
	})
}

// LinkNumberSkillset makes a skillset serve a number with a skillset
// priority, or changes the priority of the link.
func (s *Store) LinkNumberSkillset(ctx context.Context, tenantID string, actor Actor, numberID, skillsetID string, priority int) error {
	if err := checkRoutingID("number", numberID); err != nil {
		return err
	}
	if err := checkRoutingID("skillset", skillsetID); err != nil {
		return err
	}
	if err := checkPriority("priority", priority); err != nil {
		return err
	}
	return s.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		skillset, err := skillsetName(ctx, tx, tenantID, skillsetID)
		if err != nil {
			return err
		}
		var phone string
		if err := tx.QueryRow(ctx, `SELECT display_phone FROM numbers WHERE tenant_id = $1 AND id = $2 FOR KEY SHARE`,
			tenantID, numberID).Scan(&phone); err != nil {
			return notFound(err)
		}
		var before *int
		if err := tx.QueryRow(ctx, `WITH old AS (
				SELECT priority FROM number_skillsets WHERE tenant_id = $1 AND number_id = $2 AND skillset_id = $3)
			INSERT INTO number_skillsets (tenant_id, number_id, skillset_id, priority) VALUES ($1, $2, $3, $4)
			ON CONFLICT (number_id, skillset_id) DO UPDATE SET priority = EXCLUDED.priority
			RETURNING (SELECT priority FROM old)`, tenantID, numberID, skillsetID, priority).Scan(&before); err != nil {
			return err
		}
		if err := audit(ctx, tx, tenantID, actor, "skillset.number_link", skillset, map[string]any{"number": phone,
			"before": priorityDetail(before), "after": map[string]any{"priority": priority}}); err != nil {
			return err
		}
		return configReload(ctx, tx, tenantID, actor)
	})
}

// UnlinkNumberSkillset stops a skillset serving a number; ErrNotFound when
// it did not. Conversations waiting on the number stay queued until another
// skillset serves it.
func (s *Store) UnlinkNumberSkillset(ctx context.Context, tenantID string, actor Actor, numberID, skillsetID string) error {
	if err := checkRoutingID("number", numberID); err != nil {
		return err
	}
	if err := checkRoutingID("skillset", skillsetID); err != nil {
		return err
	}
	return s.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		var skillset, phone string
		var priority int
		err := tx.QueryRow(ctx, `DELETE FROM number_skillsets l USING skillsets s, numbers n
			WHERE l.tenant_id = $1 AND l.number_id = $2 AND l.skillset_id = $3
			  AND s.id = l.skillset_id AND s.tenant_id = l.tenant_id AND n.id = l.number_id AND n.tenant_id = l.tenant_id
			RETURNING s.name, n.display_phone, l.priority`, tenantID, numberID, skillsetID).Scan(&skillset, &phone, &priority)
		if err != nil {
			return notFound(err)
		}
		if err := audit(ctx, tx, tenantID, actor, "skillset.number_unlink", skillset, map[string]any{"number": phone,
			"before": map[string]any{"priority": priority}}); err != nil {
			return err
		}
		return configReload(ctx, tx, tenantID, actor)
	})
}

// SetAgentCapacity sets how many conversations an agent may hold at once;
// nil returns the agent to the tenant's default. The user must be an agent
// of the tenant (a FieldError on "agent" otherwise).
func (s *Store) SetAgentCapacity(ctx context.Context, tenantID string, actor Actor, userID string, capacity *int) error {
	if err := checkRoutingID("agent", userID); err != nil {
		return err
	}
	if capacity != nil {
		if err := checkCapacity("capacity", *capacity); err != nil {
			return err
		}
	}
	return s.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		var email, role string
		var before *int
		err := tx.QueryRow(ctx, `SELECT email, role, capacity FROM users WHERE tenant_id = $1 AND id = $2 FOR UPDATE`,
			tenantID, userID).Scan(&email, &role, &before)
		if errors.Is(err, pgx.ErrNoRows) || (err == nil && role != string(domain.RoleAgent)) {
			return errNotAgent
		}
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE users SET capacity = $3, updated_at = now() WHERE tenant_id = $1 AND id = $2`,
			tenantID, userID, capacity); err != nil {
			return err
		}
		// null: the tenant's default.
		if err := audit(ctx, tx, tenantID, actor, "routing.agent_capacity", email, map[string]any{
			"before": map[string]any{"capacity": before}, "after": map[string]any{"capacity": capacity}}); err != nil {
			return err
		}
		return configReload(ctx, tx, tenantID, actor)
	})
}

// ListRoutingAgents lists a tenant's agents (deactivated ones too) by
// e-mail, with their capacity and skillsets.
func (s *Store) ListRoutingAgents(ctx context.Context, tenantID string) ([]RoutingAgent, error) {
	var out []RoutingAgent
	err := s.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT id, email, name, active, capacity FROM users
			WHERE tenant_id = $1 AND role = 'agent' ORDER BY email`, tenantID)
		if err != nil {
			return err
		}
		index := map[string]int{}
		for rows.Next() {
			var a RoutingAgent
			if err := rows.Scan(&a.UserID, &a.Email, &a.Name, &a.Active, &a.Capacity); err != nil {
				return err
			}
			index[a.UserID] = len(out)
			out = append(out, a)
		}
		if err := rows.Err(); err != nil {
			return err
		}
		rows, err = tx.Query(ctx, `SELECT m.user_id, s.id, s.name, m.priority
			FROM skillset_members m JOIN skillsets s ON s.id = m.skillset_id AND s.tenant_id = m.tenant_id
			WHERE m.tenant_id = $1 ORDER BY lower(s.name), s.id`, tenantID)
		if err != nil {
			return err
		}
		for rows.Next() {
			var user string
			var m AgentSkillset
			if err := rows.Scan(&user, &m.SkillsetID, &m.Name, &m.Priority); err != nil {
				return err
			}
			if i, ok := index[user]; ok {
				out[i].Skillsets = append(out[i].Skillsets, m)
			}
		}
		return rows.Err()
	})
	return out, err
}

// TenantRoutingSettings returns a tenant's routing options.
func (s *Store) TenantRoutingSettings(ctx context.Context, tenantID string) (RoutingSettings, error) {
	var st RoutingSettings
	err := s.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		var grace int
		if err := tx.QueryRow(ctx, `SELECT default_capacity, requeue_on_offline, requeue_grace_seconds FROM tenants WHERE id = $1`,
			tenantID).Scan(&st.DefaultCapacity, &st.RequeueOnOffline, &grace); err != nil {
			return notFound(err)
		}
		st.RequeueGrace = time.Duration(grace) * time.Second
		return nil
	})
	return st, err
}

// SetRoutingSettings sets a tenant's default capacity (0 to 1000), whether
// an agent's conversations go back to the queue when it goes offline, and
// the grace period before they do (0 to 86400 seconds). The tenants table
// is written in platform scope only, so this runs there, on this tenant.
func (s *Store) SetRoutingSettings(ctx context.Context, tenantID string, actor Actor, defaultCapacity int, requeueOnOffline bool, graceSeconds int) error {
	if err := checkCapacity("default_capacity", defaultCapacity); err != nil {
		return err
	}
	if graceSeconds < 0 || graceSeconds > MaxGraceSeconds {
		return &domain.FieldError{Field: "grace", Key: "routing.grace_range"}
	}
	return s.InPlatform(ctx, func(tx pgx.Tx) error {
		var slug string
		var capacity, grace int
		var requeue bool
		if err := tx.QueryRow(ctx, `SELECT slug, default_capacity, requeue_on_offline, requeue_grace_seconds
			FROM tenants WHERE id = $1 FOR UPDATE`, tenantID).Scan(&slug, &capacity, &requeue, &grace); err != nil {
			return notFound(err)
		}
		if _, err := tx.Exec(ctx, `UPDATE tenants SET default_capacity = $2, requeue_on_offline = $3, requeue_grace_seconds = $4,
				updated_at = now() WHERE id = $1`, tenantID, defaultCapacity, requeueOnOffline, graceSeconds); err != nil {
			return err
		}
		if err := audit(ctx, tx, tenantID, actor, "routing.settings", slug, map[string]any{
			"before": map[string]any{"default_capacity": capacity, "requeue_on_offline": requeue, "requeue_grace_seconds": grace},
			"after": map[string]any{"default_capacity": defaultCapacity, "requeue_on_offline": requeueOnOffline,
				"requeue_grace_seconds": graceSeconds}}); err != nil {
			return err
		}
		return configReload(ctx, tx, tenantID, actor)
	})
}

// SetContactPriority sets a contact's priority in the queue (-1000 to
// 1000, larger first); conversations already waiting move at once.
func (s *Store) SetContactPriority(ctx context.Context, tenantID string, actor Actor, contactID string, priority int) error {
	if err := checkRoutingID("contact", contactID); err != nil {
		return err
	}
	if err := checkPriority("priority", priority); err != nil {
		return err
	}
	return s.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		var who string
		var before int
		if err := tx.QueryRow(ctx, `SELECT coalesce(nullif(phone, ''), wa_id, user_id, ''), priority FROM contacts
			WHERE tenant_id = $1 AND id = $2 FOR UPDATE`, tenantID, contactID).Scan(&who, &before); err != nil {
			return notFound(err)
		}
		if _, err := tx.Exec(ctx, `UPDATE contacts SET priority = $3, updated_at = now() WHERE tenant_id = $1 AND id = $2`,
			tenantID, contactID, priority); err != nil {
			return err
		}
		if err := audit(ctx, tx, tenantID, actor, "routing.contact_priority", who, map[string]any{
			"before": map[string]any{"priority": before}, "after": map[string]any{"priority": priority}}); err != nil {
			return err
		}
		return configReload(ctx, tx, tenantID, actor)
	})
}

// SkillsetName returns a skillset's name; ErrNotFound when the tenant has
// no such skillset.
func (s *Store) SkillsetName(ctx context.Context, tenantID, skillsetID string) (string, error) {
	var name string
	err := s.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		return tx.QueryRow(ctx, `SELECT name FROM skillsets WHERE tenant_id = $1 AND id = $2`, tenantID, skillsetID).Scan(&name)
	})
	return name, notFound(err)
}
