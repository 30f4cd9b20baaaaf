package storage

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"switchboard/internal/domain"
)

// Actor is who performs an administrative action, for the audit log. The CLI
// acts with an empty UserID and Email "cli".
type Actor struct {
	UserID string
	Email  string
	IP     string
}

// audit appends one entry inside the caller's transaction, so the log never
// records an action that did not happen, nor misses one that did. An empty
// tenantID records a platform action.
func audit(ctx context.Context, tx pgx.Tx, tenantID string, a Actor, action, target string, detail map[string]any) error {
	if detail == nil {
		detail = map[string]any{}
	}
	_, err := tx.Exec(ctx, `INSERT INTO audit_log (tenant_id, actor_id, actor_email, action, target, detail, ip)
		VALUES (nullif($1, '')::uuid, nullif($2, '')::uuid, $3, $4, $5, $6, $7)`,
		tenantID, a.UserID, a.Email, action, target, detail, a.IP)
	return err
}

// ListAudit returns a tenant's most recent audit entries, newest first.
func (s *Store) ListAudit(ctx context.Context, tenantID string, limit int) ([]domain.AuditEntry, error) {
	var out []domain.AuditEntry
	err := s.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT id, coalesce(tenant_id::text, ''), coalesce(actor_id::text, ''),
				actor_email, action, target, detail, ip, created_at
			FROM audit_log WHERE tenant_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2`, tenantID, limit)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var e domain.AuditEntry
			if err := rows.Scan(&e.ID, &e.TenantID, &e.ActorID, &e.ActorEmail, &e.Action, &e.Target, &e.Detail, &e.IP, &e.CreatedAt); err != nil {
				return err
			}
			out = append(out, e)
		}
		return rows.Err()
	})
	return out, err
}

// AuditFilter narrows a tenant's audit log. Empty fields match everything;
// From is inclusive and To exclusive, both instants (the caller turns the
// administrator's days into instants in the tenant's time zone).
type AuditFilter struct {
	Text   string // in the action, target, actor's e-mail or detail
	Action string // exactly
	Actor  string // the actor's e-mail, exactly (case-insensitive)
	From   time.Time
	To     time.Time
	// Before continues a listing after its last row: the keyset
	// (created_at, id) of that row, so paging neither skips nor repeats
	// entries written meanwhile.
	Before *AuditCursor
}

// AuditCursor is one audit entry's place in the newest-first order.
type AuditCursor struct {
	At time.Time
	ID int64
}

// AuditPageSize is how many entries the audit page shows at once.
const AuditPageSize = 100

// auditFilterSQL is the WHERE clause of a filter, its arguments from $2 on
// ($1 is the tenant, first so audit_log_tenant_created leads the plan).
func auditFilterSQL(f AuditFilter) (string, []any) {
	where := ` WHERE tenant_id = $1`
	var args []any
	add := func(cond string, v any) {
		args = append(args, v)
		where += " AND " + strings.ReplaceAll(cond, "$?", "$"+strconv.Itoa(len(args)+1))
	}
	if t := strings.TrimSpace(f.Text); t != "" {
		add(`(action ILIKE '%' || $? || '%' OR target ILIKE '%' || $? || '%' OR actor_email ILIKE '%' || $? || '%'
			OR detail::text ILIKE '%' || $? || '%')`, likeEscape(t))
	}
	if f.Action != "" {
		add(`action = $?`, f.Action)
	}
	if f.Actor != "" {
		add(`lower(actor_email) = lower($?)`, f.Actor)
	}
	if !f.From.IsZero() {
		add(`created_at >= $?`, f.From)
	}
	if !f.To.IsZero() {
		add(`created_at < $?`, f.To)
	}
	if f.Before != nil {
		args = append(args, f.Before.At, f.Before.ID)
		n := len(args) // the cursor's two arguments are $n and $n+1
		where += " AND (created_at, id) < ($" + strconv.Itoa(n) + ", $" + strconv.Itoa(n+1) + ")"
	}
	return where, args
}

// EachAudit calls fn with a tenant's audit entries matching f, newest first,
// at most limit of them, as Postgres returns them: an export streams the
// log without holding it in memory.
func (s *Store) EachAudit(ctx context.Context, tenantID string, f AuditFilter, limit int, fn func(domain.AuditEntry) error) error {
	where, args := auditFilterSQL(f)
	return s.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT id, coalesce(tenant_id::text, ''), coalesce(actor_id::text, ''),
				actor_email, action, target, detail, ip, created_at
			FROM audit_log`+where+` ORDER BY created_at DESC, id DESC LIMIT `+strconv.Itoa(limit),
			append([]any{tenantID}, args...)...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var e domain.AuditEntry
			if err := rows.Scan(&e.ID, &e.TenantID, &e.ActorID, &e.ActorEmail, &e.Action, &e.Target, &e.Detail, &e.IP, &e.CreatedAt); err != nil {
				return err
			}
			if err := fn(e); err != nil {
				return err
			}
		}
		return rows.Err()
	})
}

// SearchAudit returns one page of a tenant's audit entries matching f,
// newest first, and whether older ones follow.
func (s *Store) SearchAudit(ctx context.Context, tenantID string, f AuditFilter) ([]domain.AuditEntry, bool, error) {
	var out []domain.AuditEntry
	err := s.EachAudit(ctx, tenantID, f, AuditPageSize+1, func(e domain.AuditEntry) error {
		out = append(out, e)
		return nil
	})
	if err != nil {
		return nil, false, err
	}
	more := len(out) > AuditPageSize
	if more {
		out = out[:AuditPageSize]
	}
	return out, more, nil
}

// AuditChoices lists the actions and actors present in a tenant's audit
// log, for the page's filters.
func (s *Store) AuditChoices(ctx context.Context, tenantID string) (actions, actors []string, err error) {
	err = s.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT DISTINCT action FROM audit_log WHERE tenant_id = $1 ORDER BY 1`, tenantID)
		if err != nil {
			return err
		}
		if actions, err = pgx.CollectRows(rows, pgx.RowTo[string]); err != nil {
			return err
		}
		rows, err = tx.Query(ctx, `SELECT DISTINCT actor_email FROM audit_log WHERE tenant_id = $1 AND actor_email <> '' ORDER BY 1`, tenantID)
		if err != nil {
			return err
		}
		actors, err = pgx.CollectRows(rows, pgx.RowTo[string])
		return err
	})
	return actions, actors, err
}
