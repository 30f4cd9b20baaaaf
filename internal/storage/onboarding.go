package storage

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"switchboard/internal/domain"
)

// Onboarding: the platform's self-service switch, the applications that
// sign-up creates (one per tenant) and their timeline. The rules of the
// moves live in internal/onboarding; the store moves only from the state
// the caller saw, so of two operators acting at once one wins.

// Application states.
const (
	AppSubmitted       = "submitted"
	AppInReview        = "in_review"
	AppWaitingForMeta  = "waiting_for_meta"
	AppNumberConnected = "number_connected"
	AppRejected        = "rejected"
)

// AppStates lists the states in the order of the journey (rejected last).
func AppStates() []string {
	return []string{AppSubmitted, AppInReview, AppWaitingForMeta, AppNumberConnected, AppRejected}
}

// Errors of onboarding, each said to the user in its own words.
var (
	ErrSignupClosed     = errors.New("self-service sign-up is closed")
	ErrCompanyTaken     = errors.New("a tenant already has this name")
	ErrEmailTaken       = errors.New("the e-mail address is taken")
	ErrApplicationMoved = errors.New("the application moved meanwhile")
	ErrApplicationFinal = errors.New("the application is closed to changes")
	ErrNoLiveNumber     = errors.New("the tenant has no live number")
)

// Questionnaire is what the company tells us for Meta's verification.
type Questionnaire struct {
	CompanyName          string
	VATNumber            string
	MetaBusinessID       string
	Phone                string // E.164
	MonthlyConversations int
	UseCases             []string
}

// Application is a tenant's questionnaire and where it stands.
type Application struct {
	ID, TenantID, TenantName, TenantSlug string
	Questionnaire
	PlanID, PlanName string
	State            string
	RejectReason     string
	StateChangedAt   time.Time
	CreatedAt        time.Time
}

// ApplicationEvent is one line of an application's timeline.
type ApplicationEvent struct {
	Kind       string // "state" or "edit"
	FromState  string
	ToState    string
	Note       string
	ActorEmail string
	// ActorInTenant: the actor is one of the tenant's users (else the
	// platform's operator, whose address the tenant is not shown).
	ActorInTenant bool
	At            time.Time
}

const applicationColumns = `a.id, a.tenant_id, t.name, t.slug, a.company_name, a.vat_number, a.meta_business_id, a.phone,
	a.monthly_conversations, a.use_cases, a.plan_id, p.name, a.state, a.reject_reason, a.state_changed_at, a.created_at`

const applicationFrom = ` FROM applications a JOIN tenants t ON t.id = a.tenant_id JOIN plans p ON p.id = a.plan_id`

func scanApplication(row pgx.Row) (Application, error) {
	var a Application
	err := row.Scan(&a.ID, &a.TenantID, &a.TenantName, &a.TenantSlug, &a.CompanyName, &a.VATNumber, &a.MetaBusinessID, &a.Phone,
		&a.MonthlyConversations, &a.UseCases, &a.PlanID, &a.PlanName, &a.State, &a.RejectReason, &a.StateChangedAt, &a.CreatedAt)
	return a, notFound(err)
}

// SelfServiceSignup reports whether the operator lets companies sign up by
// themselves.
func (s *Store) SelfServiceSignup(ctx context.Context) (bool, error) {
	var on bool
	err := s.InPlatform(ctx, func(tx pgx.Tx) error {
		return tx.QueryRow(ctx, `SELECT self_service_signup FROM platform_settings`).Scan(&on)
	})
	return on, err
}

// SetSelfServiceSignup opens or closes self-service sign-up, audited as a
// platform action.
func (s *Store) SetSelfServiceSignup(ctx context.Context, actor Actor, on bool) error {
	return s.InPlatform(ctx, func(tx pgx.Tx) error {
		var before bool
		if err := tx.QueryRow(ctx, `SELECT self_service_signup FROM platform_settings FOR UPDATE`).Scan(&before); err != nil {
			return err
		}
		if before == on {
			return nil
		}
		if _, err := tx.Exec(ctx, `UPDATE platform_settings SET self_service_signup = $1, updated_at = now()`, on); err != nil {
			return err
		}
		return audit(ctx, tx, "", actor, "platform.self_service_signup", "", map[string]any{
			"before": map[string]any{"enabled": before}, "after": map[string]any{"enabled": on}})
	})
}

// NewSignup is what a self-service sign-up creates: the tenant, its first
// administrator and the application.
type NewSignup struct {
	Tenant NewTenant // Name, Slug (a base: a suffix is added when taken), PlanID, Admin
	Questionnaire
}

// CreateSignup creates the tenant, its administrator and the application in
// one transaction, and audits it. Sign-up must still be open, the company's
// name free (case-insensitive) and the e-mail unused; otherwise
// ErrSignupClosed, ErrCompanyTaken or ErrEmailTaken, and nothing is left
// behind. The returned user carries its new id.
func (s *Store) CreateSignup(ctx context.Context, actor Actor, ns NewSignup) (domain.Tenant, domain.User, error) {
	var t domain.Tenant
	admin := ns.Tenant.Admin
	err := s.InPlatform(ctx, func(tx pgx.Tx) error {
		// The operator may have closed sign-up since the form was shown;
		// FOR SHARE makes closing wait for sign-ups under way.
		var open bool
		if err := tx.QueryRow(ctx, `SELECT self_service_signup FROM platform_settings FOR SHARE`).Scan(&open); err != nil {
			return err
		}
		if !open {
			return ErrSignupClosed
		}
		// No unique index on names (the operator may name two tenants
		// alike): two sign-ups of one name take turns on this lock.
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext('tenant-name:' || lower($1)))`, ns.Tenant.Name); err != nil {
			return err
		}
		var taken bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM tenants WHERE lower(name) = lower($1))`, ns.Tenant.Name).Scan(&taken); err != nil {
			return err
		}
		if taken {
			return ErrCompanyTaken
		}
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM users WHERE email = $1)`, admin.Email).Scan(&taken); err != nil {
			return err
		}
		if taken {
			return ErrEmailTaken
		}
		slug, err := freeSlug(ctx, tx, ns.Tenant.Slug)
		if err != nil {
			return err
		}
		t, err = scanTenant(tx.QueryRow(ctx, `
			WITH t AS (
				INSERT INTO tenants (name, slug, plan_id) VALUES ($1, $2, $3)
				RETURNING id, name, slug, plan_id, status, created_at)
			SELECT `+tenantColumns+` FROM t JOIN plans p ON p.id = t.plan_id`, ns.Tenant.Name, slug, ns.Tenant.PlanID))
		if err != nil {
			return err
		}
		admin.TenantID, admin.Role, admin.Active = t.ID, domain.RoleAdmin, true
		if admin.ID, err = insertUser(ctx, tx, admin); errors.Is(err, ErrConflict) {
			return ErrEmailTaken
		} else if err != nil {
			return err
		}
		q := ns.Questionnaire
		var appID string
		if err := tx.QueryRow(ctx, `INSERT INTO applications (tenant_id, plan_id, company_name, vat_number, meta_business_id, phone,
				monthly_conversations, use_cases) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
			t.ID, t.PlanID, q.CompanyName, q.VATNumber, q.MetaBusinessID, q.Phone, q.MonthlyConversations, q.UseCases).Scan(&appID); err != nil {
			return err
		}
		who := actor
		who.UserID, who.Email = admin.ID, admin.Email
		if err := applicationEvent(ctx, tx, t.ID, appID, who, "state", "", AppSubmitted, ""); err != nil {
			return err
		}
		return audit(ctx, tx, t.ID, who, "application.submit", t.Slug, map[string]any{
			"name": t.Name, "plan": t.PlanName, "admin": admin.Email, "after": questionnaireDetail(q)})
	})
	return t, admin, err
}

// freeSlug returns base, or base-2, base-3… whichever no tenant has.
func freeSlug(ctx context.Context, tx pgx.Tx, base string) (string, error) {
	for i := 1; i <= 1000; i++ {
		slug := base
		if i > 1 {
			suffix := "-" + strconv.Itoa(i)
			if len(slug)+len(suffix) > 40 {
				slug = strings.TrimRight(slug[:40-len(suffix)], "-")
			}
			slug += suffix
		}
		var taken bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM tenants WHERE slug = $1)`, slug).Scan(&taken); err != nil {
			return "", err
		}
		if !taken {
			return slug, nil
		}
	}
	return "", ErrConflict
}

func questionnaireDetail(q Questionnaire) map[string]any {
	return map[string]any{"company_name": q.CompanyName, "vat_number": q.VATNumber, "meta_business_id": q.MetaBusinessID,
		"phone": q.Phone, "monthly_conversations": q.MonthlyConversations, "use_cases": q.UseCases}
}

func applicationEvent(ctx context.Context, tx pgx.Tx, tenantID, appID string, a Actor, kind, from, to, note string) error {
	_, err := tx.Exec(ctx, `INSERT INTO application_events (tenant_id, application_id, kind, from_state, to_state, note, actor_id, actor_email)
		VALUES ($1, $2, $3, $4, $5, $6, nullif($7, '')::uuid, $8)`, tenantID, appID, kind, from, to, note, a.UserID, a.Email)
	return err
}

func applicationEvents(ctx context.Context, tx pgx.Tx, tenantID, appID string) ([]ApplicationEvent, error) {
	rows, err := tx.Query(ctx, `SELECT e.kind, e.from_state, e.to_state, e.note, e.actor_email,
			EXISTS (SELECT 1 FROM users u WHERE u.tenant_id = e.tenant_id AND u.id = e.actor_id), e.created_at
		FROM application_events e WHERE e.tenant_id = $1 AND e.application_id = $2 ORDER BY e.id`, tenantID, appID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []ApplicationEvent
	for rows.Next() {
		var e ApplicationEvent
		if err := rows.Scan(&e.Kind, &e.FromState, &e.ToState, &e.Note, &e.ActorEmail, &e.ActorInTenant, &e.At); err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// TenantApplication returns a tenant's own application and its timeline;
// ErrNotFound when the tenant was created by the operator.
func (s *Store) TenantApplication(ctx context.Context, tenantID string) (Application, []ApplicationEvent, error) {
	var a Application
	var events []ApplicationEvent
	err := s.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		var err error
		if a, err = scanApplication(tx.QueryRow(ctx, `SELECT `+applicationColumns+applicationFrom+` WHERE a.tenant_id = $1`, tenantID)); err != nil {
			return err
		}
		events, err = applicationEvents(ctx, tx, tenantID, a.ID)
		return err
	})
	return a, events, err
}

// Application returns any tenant's application and its timeline (the
// operator console).
func (s *Store) Application(ctx context.Context, id string) (Application, []ApplicationEvent, error) {
	var a Application
	var events []ApplicationEvent
	err := s.InPlatform(ctx, func(tx pgx.Tx) error {
		var err error
		if a, err = scanApplication(tx.QueryRow(ctx, `SELECT `+applicationColumns+applicationFrom+` WHERE a.id = $1`, id)); err != nil {
			return err
		}
		events, err = applicationEvents(ctx, tx, a.TenantID, a.ID)
		return err
	})
	return a, events, err
}

// MaxApplicationsListed bounds the operator's list (the oldest waiting
// first matter most).
const MaxApplicationsListed = 500

// ListApplications lists applications in a state ("" for all), oldest
// first, with how many are in each state.
func (s *Store) ListApplications(ctx context.Context, state string) ([]Application, map[string]int, error) {
	var out []Application
	counts := map[string]int{}
	err := s.InPlatform(ctx, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT state, count(*) FROM applications GROUP BY state`)
		if err != nil {
			return err
		}
		for rows.Next() {
			var st string
			var n int
			if err := rows.Scan(&st, &n); err != nil {
				rows.Close()
				return err
			}
			counts[st] = n
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		rows, err = tx.Query(ctx, `SELECT `+applicationColumns+applicationFrom+`
			WHERE ($1 = '' OR a.state = $1) ORDER BY a.created_at, a.id LIMIT $2`, state, MaxApplicationsListed)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			a, err := scanApplication(rows)
			if err != nil {
				return err
			}
			out = append(out, a)
		}
		return rows.Err()
	})
	return out, counts, err
}

// UpdateQuestionnaire replaces a tenant's answers while its number is not
// yet connected (ErrApplicationFinal after), audited with before and after
// and shown in the timeline.
func (s *Store) UpdateQuestionnaire(ctx context.Context, tenantID string, actor Actor, q Questionnaire) error {
	return s.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		before, err := scanApplication(tx.QueryRow(ctx, `SELECT `+applicationColumns+applicationFrom+
			` WHERE a.tenant_id = $1 FOR UPDATE OF a`, tenantID))
		if err != nil {
			return err
		}
		if before.State == AppNumberConnected {
			return ErrApplicationFinal
		}
		if _, err := tx.Exec(ctx, `UPDATE applications SET company_name = $2, vat_number = $3, meta_business_id = $4, phone = $5,
				monthly_conversations = $6, use_cases = $7, updated_at = now() WHERE tenant_id = $1`,
			tenantID, q.CompanyName, q.VATNumber, q.MetaBusinessID, q.Phone, q.MonthlyConversations, q.UseCases); err != nil {
			return err
		}
		if err := applicationEvent(ctx, tx, tenantID, before.ID, actor, "edit", before.State, before.State, ""); err != nil {
			return err
		}
		return audit(ctx, tx, tenantID, actor, "application.update", before.TenantSlug, map[string]any{
			"before": questionnaireDetail(before.Questionnaire), "after": questionnaireDetail(q)})
	})
}

// MoveApplication moves an application from the state the operator saw to
// another, with a note (the reason of a rejection), recorded in the
// timeline and in the tenant's audit log. ErrApplicationMoved when it is no
// longer in that state; ErrNoLiveNumber when "number connected" is claimed
// for a tenant without a live (non-sandbox) number.
func (s *Store) MoveApplication(ctx context.Context, actor Actor, id, from, to, note string) error {
	return s.InPlatform(ctx, func(tx pgx.Tx) error {
		a, err := scanApplication(tx.QueryRow(ctx, `SELECT `+applicationColumns+applicationFrom+` WHERE a.id = $1 FOR UPDATE OF a`, id))
		if err != nil {
			return err
		}
		if a.State != from {
			return ErrApplicationMoved
		}
		if to == AppNumberConnected {
			var live bool
			if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM numbers WHERE tenant_id = $1 AND NOT sandbox)`, a.TenantID).Scan(&live); err != nil {
				return err
			}
			if !live {
				return ErrNoLiveNumber
			}
		}
		reason := ""
		if to == AppRejected {
			reason = note
		}
		if _, err := tx.Exec(ctx, `UPDATE applications SET state = $3, reject_reason = $4, state_changed_at = now(), updated_at = now()
			WHERE tenant_id = $1 AND id = $2`, a.TenantID, a.ID, to, reason); err != nil {
			return err
		}
		if err := applicationEvent(ctx, tx, a.TenantID, a.ID, actor, "state", from, to, note); err != nil {
			return err
		}
		return audit(ctx, tx, a.TenantID, actor, "application.move", a.TenantSlug, map[string]any{
			"before": map[string]any{"state": from}, "after": map[string]any{"state": to, "note": note}})
	})
}
