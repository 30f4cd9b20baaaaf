package storage

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"switchboard/internal/domain"
)

// ErrLimit is returned when the tenant's plan does not allow one more.
var ErrLimit = errors.New("plan limit reached")

const numberColumns = `n.id, n.tenant_id, n.phone_number_id, n.display_phone, n.waba_id, coalesce(n.app_id::text, ''),
	coalesce(a.slug, ''), n.access_token_enc, n.sandbox, n.status, n.quality_rating, n.messaging_limit, n.throughput, n.created_at`

const numberFrom = ` FROM numbers n LEFT JOIN meta_apps a ON a.id = n.app_id`

func scanNumber(row pgx.Row) (domain.Number, error) {
	var n domain.Number
	err := row.Scan(&n.ID, &n.TenantID, &n.PhoneNumberID, &n.DisplayPhone, &n.WABAID, &n.AppID, &n.AppSlug,
		&n.AccessTokenEnc, &n.Sandbox, &n.Status, &n.QualityRating, &n.MessagingLimit, &n.Throughput, &n.CreatedAt)
	return n, notFound(err)
}

// queryNumbers runs a query selecting numberColumns and scans every row.
func queryNumbers(ctx context.Context, tx pgx.Tx, where string, args ...any) ([]domain.Number, error) {
	rows, err := tx.Query(ctx, `SELECT `+numberColumns+numberFrom+` `+where, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []domain.Number
	for rows.Next() {
		n, err := scanNumber(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, rows.Err()
}

// CreateNumber adds a number to a tenant within its plan's limit. The tenant
// row is locked so two concurrent additions cannot both pass the check.
// A phone_number_id already connected anywhere is ErrConflict.
func (s *Store) CreateNumber(ctx context.Context, actor Actor, n domain.Number) (string, error) {
	var id string
	err := s.InTenant(ctx, n.TenantID, func(tx pgx.Tx) error {
		var limit, count int
		if err := tx.QueryRow(ctx, `SELECT p.max_numbers FROM tenants t JOIN plans p ON p.id = t.plan_id
			WHERE t.id = $1 FOR UPDATE OF t`, n.TenantID).Scan(&limit); err != nil {
			return notFound(err)
		}
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM numbers WHERE tenant_id = $1`, n.TenantID).Scan(&count); err != nil {
			return err
		}
		if count >= limit {
			return ErrLimit
		}
		err := tx.QueryRow(ctx, `INSERT INTO numbers (tenant_id, phone_number_id, display_phone, waba_id, app_id,
				access_token_enc, sandbox, throughput)
			VALUES ($1, $2, $3, $4, nullif($5, '')::uuid, $6, $7, $8) RETURNING id`,
			n.TenantID, n.PhoneNumberID, n.DisplayPhone, n.WABAID, n.AppID, n.AccessTokenEnc, n.Sandbox, n.Throughput).Scan(&id)
		if isUniqueViolation(err) {
			return ErrConflict
		}
		if err != nil {
			return err
		}
		return audit(ctx, tx, n.TenantID, actor, "number.add", n.DisplayPhone, map[string]any{"phone_number_id": n.PhoneNumberID, "sandbox": n.Sandbox})
	})
	return id, err
}

// ListNumbers lists a tenant's numbers.
func (s *Store) ListNumbers(ctx context.Context, tenantID string) ([]domain.Number, error) {
	var out []domain.Number
	err := s.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		var err error
		out, err = queryNumbers(ctx, tx, `WHERE n.tenant_id = $1 ORDER BY n.display_phone`, tenantID)
		return err
	})
	return out, err
}

// Number returns one of a tenant's numbers.
func (s *Store) Number(ctx context.Context, tenantID, id string) (domain.Number, error) {
	var n domain.Number
	err := s.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		var err error
		n, err = scanNumber(tx.QueryRow(ctx, `SELECT `+numberColumns+numberFrom+` WHERE n.tenant_id = $1 AND n.id = $2`, tenantID, id))
		return err
	})
	return n, err
}

// NumberByPhoneNumberID finds the number a webhook concerns, whatever its
// tenant: the webhook names only Meta's id. Platform scope.
func (s *Store) NumberByPhoneNumberID(ctx context.Context, phoneNumberID string) (domain.Number, error) {
	var n domain.Number
	err := s.InPlatform(ctx, func(tx pgx.Tx) error {
		var err error
		n, err = scanNumber(tx.QueryRow(ctx, `SELECT `+numberColumns+numberFrom+` WHERE n.phone_number_id = $1`, phoneNumberID))
		return err
	})
	return n, err
}

// SetNumberToken replaces a number's sealed access token.
func (s *Store) SetNumberToken(ctx context.Context, actor Actor, tenantID, id, sealed string) error {
	return s.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		var display string
		// A new token reconnects a number Meta had refused the old one for.
		err := tx.QueryRow(ctx, `UPDATE numbers SET access_token_enc = $3, updated_at = now(),
				status = CASE WHEN status = 'disconnected' THEN 'connected' ELSE status END
			WHERE tenant_id = $1 AND id = $2 RETURNING display_phone`, tenantID, id, sealed).Scan(&display)
		if err != nil {
			return notFound(err)
		}
		return audit(ctx, tx, tenantID, actor, "number.token_replace", display, nil)
	})
}

// CreateMetaApp registers a further Meta app (operator). A taken slug is
// ErrConflict.
func (s *Store) CreateMetaApp(ctx context.Context, actor Actor, a domain.MetaApp) (string, error) {
	var id string
	err := s.InPlatform(ctx, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `INSERT INTO meta_apps (slug, name, app_secret_enc, verify_token_enc, meta_app_id)
			VALUES ($1, $2, $3, $4, $5) RETURNING id`, a.Slug, a.Name, a.AppSecretEnc, a.VerifyTokenEnc, a.MetaAppID).Scan(&id)
		if isUniqueViolation(err) {
			return ErrConflict
		}
		if err != nil {
			return err
		}
		return audit(ctx, tx, "", actor, "meta_app.create", a.Slug, map[string]any{"name": a.Name, "meta_app_id": a.MetaAppID})
	})
	return id, err
}

// MetaAppBySlug finds a registered Meta app.
func (s *Store) MetaAppBySlug(ctx context.Context, slug string) (domain.MetaApp, error) {
	var a domain.MetaApp
	err := s.InPlatform(ctx, func(tx pgx.Tx) error {
		return notFound(tx.QueryRow(ctx, `SELECT `+metaAppColumns+` FROM meta_apps WHERE slug = $1`, slug).Scan(metaAppDest(&a)...))
	})
	return a, err
}

// ListMetaApps lists the registered Meta apps.
func (s *Store) ListMetaApps(ctx context.Context) ([]domain.MetaApp, error) {
	var out []domain.MetaApp
	err := s.InPlatform(ctx, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT `+metaAppColumns+` FROM meta_apps ORDER BY slug`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var a domain.MetaApp
			if err := rows.Scan(metaAppDest(&a)...); err != nil {
				return err
			}
			out = append(out, a)
		}
		return rows.Err()
	})
	return out, err
}

// NumberEvent is something Meta said about a number or its account.
type NumberEvent struct {
	Field, Event string
	Detail       map[string]any
	CreatedAt    time.Time
}

// ListNumberEvents lists a number's events, newest first.
func (s *Store) ListNumberEvents(ctx context.Context, tenantID, numberID string, limit int) ([]NumberEvent, error) {
	var out []NumberEvent
	err := s.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT field, event, detail, created_at FROM number_events
			WHERE tenant_id = $1 AND number_id = $2 ORDER BY created_at DESC, id DESC LIMIT $3`, tenantID, numberID, limit)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var e NumberEvent
			if err := rows.Scan(&e.Field, &e.Event, &e.Detail, &e.CreatedAt); err != nil {
				return err
			}
			out = append(out, e)
		}
		return rows.Err()
	})
	return out, err
}

// TemplateEventRow is Meta's decision or note about one template.
type TemplateEventRow struct {
	WABAID, TemplateID, Name, Language, Event, Reason string
	Detail                                            map[string]any
	CreatedAt                                         time.Time
}

// ListTemplateEvents lists a tenant's template events for a WABA, newest first.
func (s *Store) ListTemplateEvents(ctx context.Context, tenantID, wabaID string, limit int) ([]TemplateEventRow, error) {
	var out []TemplateEventRow
	err := s.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT waba_id, template_id, template_name, language, event, reason, detail, created_at
			FROM template_events WHERE tenant_id = $1 AND waba_id = $2 ORDER BY created_at DESC, id DESC LIMIT $3`, tenantID, wabaID, limit)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var e TemplateEventRow
			if err := rows.Scan(&e.WABAID, &e.TemplateID, &e.Name, &e.Language, &e.Event, &e.Reason, &e.Detail, &e.CreatedAt); err != nil {
				return err
			}
			out = append(out, e)
		}
		return rows.Err()
	})
	return out, err
}

// NumberForOperator returns any tenant's number (platform scope: the
// operator console and the sandbox's customer simulator).
func (s *Store) NumberForOperator(ctx context.Context, id string) (domain.Number, error) {
	var n domain.Number
	err := s.InPlatform(ctx, func(tx pgx.Tx) error {
		var err error
		n, err = scanNumber(tx.QueryRow(ctx, `SELECT `+numberColumns+numberFrom+` WHERE n.id = $1`, id))
		return err
	})
	return n, err
}

// ListSandboxNumbers lists every tenant's sandbox numbers (platform scope):
// the fake of Meta inside serve must know them.
func (s *Store) ListSandboxNumbers(ctx context.Context) ([]domain.Number, error) {
	var out []domain.Number
	err := s.InPlatform(ctx, func(tx pgx.Tx) error {
		var err error
		out, err = queryNumbers(ctx, tx, `WHERE n.sandbox ORDER BY n.created_at`)
		return err
	})
	return out, err
}

// DisconnectedNumbers lists the numbers Meta refused the token of, across
// tenants, for the operator (platform scope).
func (s *Store) DisconnectedNumbers(ctx context.Context) ([]domain.Number, error) {
	var out []domain.Number
	err := s.InPlatform(ctx, func(tx pgx.Tx) error {
		var err error
		out, err = queryNumbers(ctx, tx, `WHERE n.status = 'disconnected' ORDER BY n.updated_at DESC`)
		return err
	})
	return out, err
}
