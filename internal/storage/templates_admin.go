package storage

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"switchboard/internal/domain"
)

// A template's life in Switchboard (migration 000013): the administrator
// writes a draft, submits it (review "submitted"), the operator forwards it
// to Meta (review "at_meta", Meta's status PENDING), and Meta's webhooks,
// through the catalog sync, move status to APPROVED, REJECTED, PAUSED or
// DISABLED. A rejected template can be edited (back to "draft") and
// submitted again; Meta's immediate refusal of a forward sends it back to
// the administrator as a draft with Meta's words in forward_error.

// ErrTemplateLocked is an edit, submission or deletion of a template whose
// state does not allow it (submitted, at Meta and not rejected).
var ErrTemplateLocked = errors.New("template: not in a state that allows this")

// PlanLimitError is a template past the plan's limit.
type PlanLimitError struct{ Limit int }

func (e *PlanLimitError) Error() string {
	return fmt.Sprintf("the plan allows %d templates", e.Limit)
}

// AdminTemplate is a template with its lifecycle, as the administrator's and
// the operator's pages show it.
type AdminTemplate struct {
	ID, TenantID, WABAID, NumberID, MetaID string
	Name, Language, Category, UseCase      string
	Status, RejectedReason, Review         string
	ForwardError                           string
	Draft, Components                      json.RawMessage
	SubmittedBy, ForwardedBy               string
	SubmittedAt, ForwardedAt               *time.Time
	UpdatedAt                              time.Time
	// RejectionDetail is Meta's explanation from the latest rejection
	// webhook (rejection_info.reason), when there is one.
	RejectionDetail string
	// The operator's queue: whose and through which number.
	TenantName, NumberPhone string
	Sandbox                 bool
}

// Template states as the pages name them.
const (
	TemplateDraft     = "draft"     // being written
	TemplateRefused   = "refused"   // Meta refused the forward at once
	TemplateSubmitted = "submitted" // waiting for the operator
	TemplatePending   = "pending"   // at Meta, in review
	TemplateApproved  = "approved"
	TemplateRejected  = "rejected"
	TemplatePaused    = "paused"
	TemplateDisabled  = "disabled"
	TemplateDeleted   = "deleted" // deleted at Meta (by us or in WhatsApp Manager)
	TemplateOther     = "other"   // Meta's rarer states (archived, in appeal, …)
)

// TemplateStates lists the states in the order the filter offers them.
func TemplateStates() []string {
	return []string{TemplateDraft, TemplateRefused, TemplateSubmitted, TemplatePending, TemplateApproved,
		TemplateRejected, TemplatePaused, TemplateDisabled, TemplateDeleted, TemplateOther}
}

// State is where the template stands, from our review and Meta's status.
func (t AdminTemplate) State() string {
	switch {
	case t.Status == "DELETED" || t.Status == "PENDING_DELETION":
		return TemplateDeleted
	case t.Status == "REJECTED" && t.Review != "submitted":
		return TemplateRejected
	case t.Review == "draft" && t.ForwardError != "":
		return TemplateRefused
	case t.Review == "draft":
		return TemplateDraft
	case t.Review == "submitted":
		return TemplateSubmitted
	}
	switch t.Status {
	case "PENDING", "IN_APPEAL", "":
		return TemplatePending
	case "APPROVED":
		return TemplateApproved
	case "PAUSED":
		return TemplatePaused
	case "DISABLED":
		return TemplateDisabled
	}
	return TemplateOther
}

// DeletableAtMeta reports whether the administrator may delete it at Meta:
// Meta has it, it is not deleted already, it is not waiting for the
// operator to forward it, and Meta did not disable it (Meta refuses to
// delete a disabled template, §7.1).
func (t AdminTemplate) DeletableAtMeta() bool {
	return t.MetaID != "" && t.Review != "submitted" && t.State() != TemplateDeleted && t.Status != "DISABLED"
}

// EditDiscardable reports whether an edit of a template Meta has can be
// dropped, going back to what Meta has.
func (t AdminTemplate) EditDiscardable() bool {
	return t.MetaID != "" && t.Review == "draft" && t.State() != TemplateDeleted
}

// Editable reports whether the administrator may change it: a draft, or a
// template Meta rejected, approved or paused (Meta's rule for edits; an
// approved one keeps its category, and Meta allows one edit a day and ten
// in 30 days, which it enforces itself).
func (t AdminTemplate) Editable() bool {
	if t.State() == TemplateDeleted {
		return false
	}
	return t.Review == "draft" || (t.Review == "at_meta" && (t.Status == "REJECTED" || t.Status == "APPROVED" || t.Status == "PAUSED"))
}

// CategoryFixed reports whether Meta keeps the category as it is: a
// template it approved (paused ones included) cannot change category.
func (t AdminTemplate) CategoryFixed() bool {
	return t.MetaID != "" && (t.Status == "APPROVED" || t.Status == "PAUSED")
}

// LiveWhileEdited reports whether Meta still sends the approved version of
// a template whose edit is not yet at Meta.
func (t AdminTemplate) LiveWhileEdited() bool {
	return t.MetaID != "" && t.Status == "APPROVED" && (t.Review == "draft" || t.Review == "submitted")
}

// Source is what the editor starts from: the draft, or for a template never
// written here (synced from Meta) Meta's components.
func (t AdminTemplate) Source() json.RawMessage {
	if len(t.Draft) > 2 {
		return t.Draft
	}
	return t.Components
}

const adminTemplateColumns = `t.id, t.tenant_id, t.waba_id, coalesce(t.number_id::text, ''), t.meta_id, t.name, t.language,
	t.category, t.use_case, t.status, t.rejected_reason, t.review, t.forward_error, t.draft, t.components,
	t.submitted_by, t.forwarded_by, t.submitted_at, t.forwarded_at, t.updated_at,
	coalesce((SELECT e.detail->>'rejection_reason' FROM template_events e
		WHERE e.tenant_id = t.tenant_id AND e.template_id = t.meta_id AND t.meta_id <> '' AND e.event = 'REJECTED'
		ORDER BY e.created_at DESC, e.id DESC LIMIT 1), ''),
	tn.name, coalesce(n.display_phone, ''), coalesce(n.sandbox, false)`

const adminTemplateFrom = ` FROM templates t JOIN tenants tn ON tn.id = t.tenant_id
	LEFT JOIN numbers n ON n.tenant_id = t.tenant_id AND n.id = t.number_id`

func scanAdminTemplate(row pgx.Row) (AdminTemplate, error) {
	var t AdminTemplate
	err := row.Scan(&t.ID, &t.TenantID, &t.WABAID, &t.NumberID, &t.MetaID, &t.Name, &t.Language, &t.Category, &t.UseCase,
		&t.Status, &t.RejectedReason, &t.Review, &t.ForwardError, &t.Draft, &t.Components,
		&t.SubmittedBy, &t.ForwardedBy, &t.SubmittedAt, &t.ForwardedAt, &t.UpdatedAt,
		&t.RejectionDetail, &t.TenantName, &t.NumberPhone, &t.Sandbox)
	return t, notFound(err)
}

func queryAdminTemplates(ctx context.Context, tx pgx.Tx, where string, args ...any) ([]AdminTemplate, error) {
	rows, err := tx.Query(ctx, `SELECT `+adminTemplateColumns+adminTemplateFrom+` `+where, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []AdminTemplate
	for rows.Next() {
		t, err := scanAdminTemplate(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// ListAdminTemplates lists a tenant's templates, every WABA, by name and
// language.
func (s *Store) ListAdminTemplates(ctx context.Context, tenantID string) ([]AdminTemplate, error) {
	var out []AdminTemplate
	err := s.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		var err error
		out, err = queryAdminTemplates(ctx, tx, `WHERE t.tenant_id = $1 ORDER BY t.name, t.language, t.waba_id`, tenantID)
		return err
	})
	return out, err
}

// AdminTemplateByID finds one of the tenant's templates; another tenant's
// is ErrNotFound.
func (s *Store) AdminTemplateByID(ctx context.Context, tenantID, id string) (AdminTemplate, error) {
	var t AdminTemplate
	err := s.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		var err error
		t, err = scanAdminTemplate(tx.QueryRow(ctx, `SELECT `+adminTemplateColumns+adminTemplateFrom+` WHERE t.tenant_id = $1 AND t.id = $2`, tenantID, id))
		return err
	})
	return t, err
}

// TemplateUsage is how many of the tenant's templates count against its
// plan, and the plan's limit.
type TemplateUsage struct{ Used, Limit int }

// countedTemplates is the plan's rule: every template of the tenant counts
// (drafts too: they are on their way), except those Meta rejected or
// deleted. Each language of a name is a template.
const countedTemplates = `SELECT count(*) FROM templates
	WHERE tenant_id = $1 AND status NOT IN ('REJECTED', 'DELETED', 'PENDING_DELETION') AND id::text <> $2`

// TemplateUsage reads the tenant's count and limit.
func (s *Store) TemplateUsage(ctx context.Context, tenantID string) (TemplateUsage, error) {
	var u TemplateUsage
	err := s.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		var err error
		u, err = templateUsage(ctx, tx, tenantID, "", false)
		return err
	})
	return u, err
}

// templateUsage counts, except the template being saved or submitted.
// lock serialises the check per tenant, so two creations at once cannot
// both take the last place.
func templateUsage(ctx context.Context, tx pgx.Tx, tenantID, except string, lock bool) (TemplateUsage, error) {
	var u TemplateUsage
	q := `SELECT p.max_templates FROM tenants tn JOIN plans p ON p.id = tn.plan_id WHERE tn.id = $1`
	if lock {
		q += ` FOR UPDATE OF tn`
	}
	if err := tx.QueryRow(ctx, q, tenantID).Scan(&u.Limit); err != nil {
		return u, notFound(err)
	}
	err := tx.QueryRow(ctx, countedTemplates, tenantID, except).Scan(&u.Used)
	return u, err
}

// TemplateInput is what the editor saves.
type TemplateInput struct {
	ID                                 string // empty for a new draft
	NumberID, Name, Language, Category string
	UseCase                            string
	Components                         json.RawMessage // Meta's shape
}

// SaveTemplateDraft creates a draft (within the plan's limit) or changes an
// editable one, which becomes a draft again. The template's WABA is its
// number's. A name taken in that WABA and language is ErrConflict; a
// template Meta knows keeps its name, language and WABA (Meta edits only
// the rest). It returns the template's id.
func (s *Store) SaveTemplateDraft(ctx context.Context, tenantID string, actor Actor, in TemplateInput) (string, error) {
	id := in.ID
	err := s.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		var wabaID string
		if err := tx.QueryRow(ctx, `SELECT waba_id FROM numbers WHERE tenant_id = $1 AND id = $2`, tenantID, in.NumberID).Scan(&wabaID); err != nil {
			return notFound(err)
		}
		after := map[string]any{"name": in.Name, "language": in.Language, "category": in.Category, "use_case": in.UseCase,
			"waba_id": wabaID, "components": in.Components}
		if in.ID == "" {
			u, err := templateUsage(ctx, tx, tenantID, "", true)
			if err != nil {
				return err
			}
			if u.Used+1 > u.Limit {
				return &PlanLimitError{Limit: u.Limit}
			}
			// A template deleted at Meta leaves its row (the history); a new
			// draft of the same name and language takes it over, as a
			// template Meta never had (Meta decides whether the name may be
			// used again: an approved one only after 30 days).
			err = tx.QueryRow(ctx, `INSERT INTO templates (tenant_id, waba_id, number_id, name, language, category, use_case,
					review, draft, synced_at)
				VALUES ($1, $2, $3, $4, $5, $6, $7, 'draft', $8, now())
				ON CONFLICT (tenant_id, waba_id, name, language) DO UPDATE SET number_id = excluded.number_id,
					category = excluded.category, use_case = excluded.use_case, review = 'draft', draft = excluded.draft,
					meta_id = '', status = '', components = '[]', header_params = 0, body_params = 0, rejected_reason = '',
					forward_error = '', submitted_by = '', forwarded_by = '', submitted_at = NULL, forwarded_at = NULL,
					synced_at = now(), updated_at = now()
				WHERE templates.status = 'DELETED'
				RETURNING id`,
				tenantID, wabaID, in.NumberID, in.Name, in.Language, in.Category, in.UseCase, in.Components).Scan(&id)
			if errors.Is(err, pgx.ErrNoRows) {
				return ErrConflict // the name and language are a live template's
			}
			if err != nil {
				return err
			}
			return audit(ctx, tx, tenantID, actor, "template.create", in.Name+" ("+in.Language+")", map[string]any{"after": after})
		}
		before, err := lockTemplate(ctx, tx, tenantID, in.ID)
		if err != nil {
			return err
		}
		if !before.Editable() {
			return ErrTemplateLocked
		}
		if before.CategoryFixed() {
			after["category"] = before.Category // Meta keeps it, whatever is posted
		}
		_, err = tx.Exec(ctx, `UPDATE templates SET
				number_id = CASE WHEN meta_id = '' THEN $3::uuid ELSE coalesce((SELECT id FROM numbers
					WHERE tenant_id = $1 AND id = $3 AND waba_id = templates.waba_id), number_id) END,
				waba_id = CASE WHEN meta_id = '' THEN $4 ELSE waba_id END,
				name = CASE WHEN meta_id = '' THEN $5 ELSE name END,
				language = CASE WHEN meta_id = '' THEN $6 ELSE language END,
				category = CASE WHEN meta_id <> '' AND status IN ('APPROVED', 'PAUSED') THEN category ELSE $7 END,
				use_case = $8, draft = $9, review = 'draft', forward_error = '', updated_at = now()
			WHERE tenant_id = $1 AND id = $2`,
			tenantID, in.ID, in.NumberID, wabaID, in.Name, in.Language, in.Category, in.UseCase, in.Components)
		if err != nil {
			return err
		}
		return audit(ctx, tx, tenantID, actor, "template.update", before.Name+" ("+before.Language+")", map[string]any{
			"before": map[string]any{"name": before.Name, "language": before.Language, "category": before.Category,
				"use_case": before.UseCase, "waba_id": before.WABAID, "components": before.Source()},
			"after": after})
	})
	if isUniqueViolation(err) {
		return "", ErrConflict
	}
	return id, err
}

// SubmitTemplate hands a draft to the operator, within the plan's limit
// (a plan lowered since, or a rejected template coming back, may be past
// it).
func (s *Store) SubmitTemplate(ctx context.Context, tenantID string, actor Actor, id string) error {
	return s.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		t, err := lockTemplate(ctx, tx, tenantID, id)
		if err != nil {
			return err
		}
		if t.Review != "draft" || t.NumberID == "" || t.State() == TemplateDeleted {
			return ErrTemplateLocked
		}
		u, err := templateUsage(ctx, tx, tenantID, id, true)
		if err != nil {
			return err
		}
		if u.Used+1 > u.Limit {
			return &PlanLimitError{Limit: u.Limit}
		}
		if _, err := tx.Exec(ctx, `UPDATE templates SET review = 'submitted', forward_error = '', submitted_by = $3,
				submitted_at = now(), updated_at = now() WHERE tenant_id = $1 AND id = $2`, tenantID, id, actor.Email); err != nil {
			return err
		}
		return audit(ctx, tx, tenantID, actor, "template.submit", t.Name+" ("+t.Language+")", map[string]any{
			"before": map[string]any{"state": t.State()}, "after": map[string]any{"state": TemplateSubmitted}})
	})
}

// DeleteTemplateDraft deletes a draft Meta never had.
func (s *Store) DeleteTemplateDraft(ctx context.Context, tenantID string, actor Actor, id string) error {
	return s.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		var name, lang string
		err := tx.QueryRow(ctx, `DELETE FROM templates WHERE tenant_id = $1 AND id = $2 AND review = 'draft' AND meta_id = ''
			RETURNING name, language`, tenantID, id).Scan(&name, &lang)
		if errors.Is(err, pgx.ErrNoRows) {
			var exists bool
			if err := tx.QueryRow(ctx, `SELECT true FROM templates WHERE tenant_id = $1 AND id = $2`, tenantID, id).Scan(&exists); err != nil {
				return notFound(err)
			}
			return ErrTemplateLocked
		}
		if err != nil {
			return err
		}
		return audit(ctx, tx, tenantID, actor, "template.delete", name+" ("+lang+")", nil)
	})
}

// lockTemplate reads one of the tenant's templates and locks its row until
// the transaction ends: every change to a template starts here, so two
// changes (or a change and the operator's forward) never cross.
func lockTemplate(ctx context.Context, tx pgx.Tx, tenantID, id string) (AdminTemplate, error) {
	return scanAdminTemplate(tx.QueryRow(ctx, `SELECT `+adminTemplateColumns+adminTemplateFrom+`
		WHERE t.tenant_id = $1 AND t.id = $2 FOR UPDATE OF t`, tenantID, id))
}

// DeleteTemplateAtMeta deletes one of the tenant's templates at Meta (this
// language only) through del, with the row locked so that two deletions
// or a deletion and an edit do not cross; once Meta agreed the row says
// DELETED (Meta's webhook says so too, later) and no longer counts against
// the plan. A template Meta does not have is ErrTemplateLocked; what del
// returns (Meta's refusal) is returned and nothing changes.
func (s *Store) DeleteTemplateAtMeta(ctx context.Context, tenantID string, actor Actor, id string, del func(AdminTemplate) error) error {
	if !domain.ValidID(id) {
		return ErrNotFound
	}
	return s.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		t, err := lockTemplate(ctx, tx, tenantID, id)
		if err != nil {
			return notFound(err)
		}
		if !t.DeletableAtMeta() {
			return ErrTemplateLocked
		}
		if err := del(t); err != nil {
			return err
		}
		// An edit in progress goes with it: there is nothing left to edit,
		// and the page shows what Meta had.
		if _, err := tx.Exec(ctx, `UPDATE templates SET status = 'DELETED', review = 'at_meta', draft = components, forward_error = '',
				updated_at = now()
			WHERE tenant_id = $1 AND id = $2`, tenantID, id); err != nil {
			return err
		}
		return audit(ctx, tx, tenantID, actor, "template.delete_at_meta", t.Name+" ("+t.Language+")", map[string]any{
			"before": map[string]any{"state": t.State(), "meta_id": t.MetaID}, "after": map[string]any{"state": TemplateDeleted}})
	})
}

// DiscardTemplateEdit drops the edit of a template Meta has: the draft goes
// back to Meta's components and the template to where Meta has it.
func (s *Store) DiscardTemplateEdit(ctx context.Context, tenantID string, actor Actor, id string) error {
	if !domain.ValidID(id) {
		return ErrNotFound
	}
	return s.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		t, err := lockTemplate(ctx, tx, tenantID, id)
		if err != nil {
			return notFound(err)
		}
		if !t.EditDiscardable() {
			return ErrTemplateLocked
		}
		if _, err := tx.Exec(ctx, `UPDATE templates SET review = 'at_meta', draft = components, forward_error = '', updated_at = now()
			WHERE tenant_id = $1 AND id = $2`, tenantID, id); err != nil {
			return err
		}
		return audit(ctx, tx, tenantID, actor, "template.discard_edit", t.Name+" ("+t.Language+")", map[string]any{
			"before": map[string]any{"components": t.Draft}, "after": map[string]any{"components": t.Components}})
	})
}

// SubmittedTemplates is the operator's queue: every tenant's submissions,
// oldest first.
func (s *Store) SubmittedTemplates(ctx context.Context) ([]AdminTemplate, error) {
	var out []AdminTemplate
	err := s.InPlatform(ctx, func(tx pgx.Tx) error {
		var err error
		out, err = queryAdminTemplates(ctx, tx, `WHERE t.review = 'submitted' ORDER BY t.submitted_at, t.id`)
		return err
	})
	return out, err
}

// ForwardOutcome is Meta's answer to a forward: an id and status, or its
// immediate refusal in its own words.
type ForwardOutcome struct {
	MetaID, Status string
	Refused        string
}

// ForwardTemplate forwards a submitted template: forward (the Graph call)
// runs while the row is locked, so two operators pressing the button at
// once send it once; the second finds it no longer submitted
// (ErrTemplateLocked). A refusal sends it back to the administrator as a
// draft with Meta's words; an error from forward (Meta unreachable)
// changes nothing and is returned.
func (s *Store) ForwardTemplate(ctx context.Context, actor Actor, id string, forward func(AdminTemplate) (ForwardOutcome, error)) (ForwardOutcome, error) {
	var out ForwardOutcome
	err := s.InPlatform(ctx, func(tx pgx.Tx) error {
		t, err := scanAdminTemplate(tx.QueryRow(ctx, `SELECT `+adminTemplateColumns+adminTemplateFrom+` WHERE t.id = $1 FOR UPDATE OF t`, id))
		if err != nil {
			return err
		}
		if t.Review != "submitted" || t.State() == TemplateDeleted {
			return ErrTemplateLocked
		}
		if out, err = forward(t); err != nil {
			return err
		}
		target := t.Name + " (" + t.Language + ")"
		if out.Refused != "" {
			if _, err := tx.Exec(ctx, `UPDATE templates SET review = 'draft', forward_error = $3, forwarded_by = $4,
					forwarded_at = now(), updated_at = now() WHERE tenant_id = $1 AND id = $2`,
				t.TenantID, id, out.Refused, actor.Email); err != nil {
				return err
			}
			return audit(ctx, tx, t.TenantID, actor, "template.forward_refused", target, map[string]any{"reason": out.Refused})
		}
		status := out.Status
		if status == "" {
			status = "PENDING"
		}
		if _, err := tx.Exec(ctx, `UPDATE templates SET review = 'at_meta', meta_id = $3, status = $4, rejected_reason = '',
				components = draft, forward_error = '', forwarded_by = $5, forwarded_at = now(), updated_at = now()
			WHERE tenant_id = $1 AND id = $2`, t.TenantID, id, out.MetaID, status, actor.Email); err != nil {
			return err
		}
		return audit(ctx, tx, t.TenantID, actor, "template.forward", target, map[string]any{
			"before": map[string]any{"state": TemplateSubmitted}, "after": map[string]any{"meta_id": out.MetaID, "status": status}})
	})
	return out, err
}
