package storage

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"switchboard/internal/domain"
)

const metaAppColumns = `id, slug, name, meta_app_id, app_secret_enc, verify_token_enc, created_at`

func metaAppDest(a *domain.MetaApp) []any {
	return []any{&a.ID, &a.Slug, &a.Name, &a.MetaAppID, &a.AppSecretEnc, &a.VerifyTokenEnc, &a.CreatedAt}
}

// MetaApp finds a registered Meta app by id (platform scope).
func (s *Store) MetaApp(ctx context.Context, id string) (domain.MetaApp, error) {
	var a domain.MetaApp
	err := s.InPlatform(ctx, func(tx pgx.Tx) error {
		return notFound(tx.QueryRow(ctx, `SELECT `+metaAppColumns+` FROM meta_apps WHERE id = $1`, id).Scan(metaAppDest(&a)...))
	})
	return a, err
}

// MetaAppChange is an edit of a registered app. An empty sealed secret
// keeps the one stored: secrets are replaced, never shown back.
type MetaAppChange struct {
	ID, Name, MetaAppID          string
	AppSecretEnc, VerifyTokenEnc string
}

// UpdateMetaApp changes an app's name, Meta App ID and, when given, its
// secrets. The audit entry has the name and id before and after, and only
// whether each secret was replaced. Webhooks read the app at each request,
// so the next one already uses what was saved.
func (s *Store) UpdateMetaApp(ctx context.Context, actor Actor, c MetaAppChange) error {
	return s.InPlatform(ctx, func(tx pgx.Tx) error {
		var slug, name, metaID string
		err := tx.QueryRow(ctx, `SELECT slug, name, meta_app_id FROM meta_apps WHERE id = $1 FOR UPDATE`, c.ID).Scan(&slug, &name, &metaID)
		if err != nil {
			return notFound(err)
		}
		if _, err := tx.Exec(ctx, `UPDATE meta_apps SET name = $2, meta_app_id = $3,
				app_secret_enc = coalesce(nullif($4, ''), app_secret_enc),
				verify_token_enc = coalesce(nullif($5, ''), verify_token_enc), updated_at = now()
			WHERE id = $1`, c.ID, c.Name, c.MetaAppID, c.AppSecretEnc, c.VerifyTokenEnc); err != nil {
			return err
		}
		return audit(ctx, tx, "", actor, "meta_app.update", slug, map[string]any{
			"before":              map[string]any{"name": name, "meta_app_id": metaID},
			"after":               map[string]any{"name": c.Name, "meta_app_id": c.MetaAppID},
			"app_secret_replaced": c.AppSecretEnc != "", "verify_token_replaced": c.VerifyTokenEnc != ""})
	})
}

// AppNumber is a number that receives its webhooks through a registered
// app, with its tenant.
type AppNumber struct {
	AppID, NumberID, DisplayPhone, Status string
	TenantID, TenantName                  string
	CreatedAt                             time.Time
}

// ListAppNumbers lists the numbers of every registered app, by app id
// (platform scope: the operator's apps page).
func (s *Store) ListAppNumbers(ctx context.Context) (map[string][]AppNumber, error) {
	out := map[string][]AppNumber{}
	err := s.InPlatform(ctx, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT n.app_id::text, n.id, n.display_phone, n.status, t.id, t.name, n.created_at
			FROM numbers n JOIN tenants t ON t.id = n.tenant_id
			WHERE n.app_id IS NOT NULL ORDER BY t.name, n.display_phone`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var n AppNumber
			if err := rows.Scan(&n.AppID, &n.NumberID, &n.DisplayPhone, &n.Status, &n.TenantID, &n.TenantName, &n.CreatedAt); err != nil {
				return err
			}
			out[n.AppID] = append(out[n.AppID], n)
		}
		return rows.Err()
	})
	return out, err
}
