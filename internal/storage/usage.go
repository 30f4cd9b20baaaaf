package storage

import (
	"context"

	"github.com/jackc/pgx/v5"
)

// Usage is what a tenant uses of its plan, for the operator console.
type Usage struct {
	Numbers   int
	Templates int // as the plan counts them (templates_admin.go): each language, all but rejected or deleted ones
	// BusinessConversations are this calendar month's (in the tenant's time
	// zone) business-initiated conversations: see usageColumns.
	BusinessConversations int
	Agents                int // active agents, invited ones included
	Contacts              int
}

// usageColumns computes a tenant's usage for the tenant row t, each by an
// index. A business-initiated conversation is counted, as Meta prices them,
// from the templates sent outside the customer's 24-hour window (no message
// from the customer to that number in the 24 hours before): each such
// template counts once, unless another template went to the same customer
// from the same number in the 24 hours before it (the same conversation).
// Templates that failed are not counted: they never reached the customer.
const usageColumns = `
	(SELECT count(*) FROM numbers n WHERE n.tenant_id = t.id),
	(SELECT count(*) FROM templates tp WHERE tp.tenant_id = t.id AND tp.status NOT IN ('REJECTED', 'DELETED', 'PENDING_DELETION')),
	(SELECT count(*) FROM messages m JOIN conversations c ON c.tenant_id = m.tenant_id AND c.id = m.conversation_id
		WHERE m.tenant_id = t.id AND m.direction = 'outbound' AND m.type = 'template' AND m.status <> 'failed'
		  AND m.created_at >= date_trunc('month', now() AT TIME ZONE t.time_zone) AT TIME ZONE t.time_zone
		  AND NOT EXISTS (SELECT 1 FROM conversations c2 JOIN messages i ON i.tenant_id = c2.tenant_id AND i.conversation_id = c2.id
			WHERE c2.tenant_id = t.id AND c2.number_id = c.number_id AND c2.contact_id = c.contact_id
			  AND ((i.direction = 'inbound' AND i.wa_timestamp > m.created_at - interval '24 hours' AND i.wa_timestamp <= m.created_at)
			    OR (i.direction = 'outbound' AND i.type = 'template' AND i.status <> 'failed' AND i.id <> m.id
			        AND i.created_at > m.created_at - interval '24 hours' AND i.created_at <= m.created_at)))),
	(SELECT count(*) FROM users u WHERE u.tenant_id = t.id AND u.role = 'agent' AND u.active),
	(SELECT count(*) FROM contacts ct WHERE ct.tenant_id = t.id)`

func usageDest(u *Usage) []any {
	return []any{&u.Numbers, &u.Templates, &u.BusinessConversations, &u.Agents, &u.Contacts}
}

// TenantUsage returns one tenant's usage.
func (s *Store) TenantUsage(ctx context.Context, tenantID string) (Usage, error) {
	var u Usage
	err := s.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		return notFound(tx.QueryRow(ctx, `SELECT `+usageColumns+` FROM tenants t WHERE t.id = $1`, tenantID).Scan(usageDest(&u)...))
	})
	return u, err
}

// ListTenantUsage returns every tenant's usage by tenant id (platform
// scope: the operator's list of tenants).
func (s *Store) ListTenantUsage(ctx context.Context) (map[string]Usage, error) {
	out := map[string]Usage{}
	err := s.InPlatform(ctx, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT t.id, `+usageColumns+` FROM tenants t`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id string
			var u Usage
			if err := rows.Scan(append([]any{&id}, usageDest(&u)...)...); err != nil {
				return err
			}
			out[id] = u
		}
		return rows.Err()
	})
	return out, err
}

// SetTenantPlan moves a tenant to another plan, audited with the plan
// before and after. A tenant already using more than the new plan allows
// keeps what it has (nothing is disconnected); the limits refuse only what
// would be added, as when the operator lowers a plan's limits.
func (s *Store) SetTenantPlan(ctx context.Context, actor Actor, tenantID, planID string) error {
	return s.InPlatform(ctx, func(tx pgx.Tx) error {
		var slug, before, after string
		err := tx.QueryRow(ctx, `SELECT t.slug, p.name FROM tenants t JOIN plans p ON p.id = t.plan_id
			WHERE t.id = $1 FOR UPDATE OF t`, tenantID).Scan(&slug, &before)
		if err != nil {
			return notFound(err)
		}
		if err := tx.QueryRow(ctx, `SELECT name FROM plans WHERE id = $1`, planID).Scan(&after); err != nil {
			return notFound(err)
		}
		if _, err := tx.Exec(ctx, `UPDATE tenants SET plan_id = $2, updated_at = now() WHERE id = $1`, tenantID, planID); err != nil {
			return err
		}
		return audit(ctx, tx, tenantID, actor, "tenant.plan", slug, map[string]any{
			"before": map[string]any{"plan": before}, "after": map[string]any{"plan": after}})
	})
}
