package storage

import (
	"context"

	"github.com/jackc/pgx/v5"

	"switchboard/internal/domain"
)

const planColumns = `p.id, p.name, p.max_templates, p.max_numbers, p.max_business_conversations`

func scanPlan(row pgx.Row, extra ...any) (domain.Plan, error) {
	var p domain.Plan
	dest := append([]any{&p.ID, &p.Name, &p.MaxTemplates, &p.MaxNumbers, &p.MaxBusinessConversations}, extra...)
	return p, notFound(row.Scan(dest...))
}

// ListPlans lists the plans with how many tenants use each.
func (s *Store) ListPlans(ctx context.Context) ([]domain.Plan, error) {
	var out []domain.Plan
	err := s.InPlatform(ctx, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT `+planColumns+`,
				(SELECT count(*) FROM tenants t WHERE t.plan_id = p.id)
			FROM plans p ORDER BY p.max_business_conversations, p.name`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var n int
			p, err := scanPlan(rows, &n)
			if err != nil {
				return err
			}
			p.Tenants = n
			out = append(out, p)
		}
		return rows.Err()
	})
	return out, err
}

// Plan finds a plan by id.
func (s *Store) Plan(ctx context.Context, id string) (domain.Plan, error) {
	var p domain.Plan
	err := s.InPlatform(ctx, func(tx pgx.Tx) error {
		var err error
		p, err = scanPlan(tx.QueryRow(ctx, `SELECT `+planColumns+` FROM plans p WHERE p.id = $1`, id))
		return err
	})
	return p, err
}

// PlanByName finds a plan by its name, case-insensitively.
func (s *Store) PlanByName(ctx context.Context, name string) (domain.Plan, error) {
	var p domain.Plan
	err := s.InPlatform(ctx, func(tx pgx.Tx) error {
		var err error
		p, err = scanPlan(tx.QueryRow(ctx, `SELECT `+planColumns+` FROM plans p WHERE lower(p.name) = lower($1)`, name))
		return err
	})
	return p, err
}

// SavePlan creates a plan (empty ID) or updates its name and limits; a taken
// name is ErrConflict.
func (s *Store) SavePlan(ctx context.Context, actor Actor, p domain.Plan) (string, error) {
	var id string
	err := s.InPlatform(ctx, func(tx pgx.Tx) error {
		var err error
		if p.ID == "" {
			err = tx.QueryRow(ctx, `INSERT INTO plans (name, max_templates, max_numbers, max_business_conversations)
				VALUES ($1, $2, $3, $4) RETURNING id`, p.Name, p.MaxTemplates, p.MaxNumbers, p.MaxBusinessConversations).Scan(&id)
		} else {
			err = tx.QueryRow(ctx, `UPDATE plans SET name = $2, max_templates = $3, max_numbers = $4,
				max_business_conversations = $5, updated_at = now() WHERE id = $1 RETURNING id`,
				p.ID, p.Name, p.MaxTemplates, p.MaxNumbers, p.MaxBusinessConversations).Scan(&id)
		}
		if isUniqueViolation(err) {
			return ErrConflict
		}
		if err != nil {
			return notFound(err)
		}
		return audit(ctx, tx, "", actor, "plan.save", p.Name, map[string]any{
			"max_templates": p.MaxTemplates, "max_numbers": p.MaxNumbers,
			"max_business_conversations": p.MaxBusinessConversations})
	})
	return id, err
}
