package onboarding

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"unicode/utf8"

	"switchboard/internal/auth"
	"switchboard/internal/domain"
	"switchboard/internal/number"
	"switchboard/internal/storage"
	"switchboard/internal/tenant"
)

// Service signs companies up and gives them their sandbox number.
type Service struct {
	store   *storage.Store
	hasher  *auth.Hasher
	numbers *number.Service
	// added is told of a new sandbox number (the sandbox registers it with
	// its fake of Meta at once); nil when there is no sandbox.
	added func(domain.Number)
}

// NewService returns the onboarding service; hasher may be nil for callers
// that only give sandbox numbers.
func NewService(store *storage.Store, hasher *auth.Hasher, numbers *number.Service, added func(domain.Number)) *Service {
	return &Service{store: store, hasher: hasher, numbers: numbers, added: added}
}

// Signup is a checked sign-up form.
type Signup struct {
	PlanID, AdminName, AdminEmail, AdminPassword string
	storage.Questionnaire
}

// ParseSignup reads and checks the whole sign-up form: the plan, the first
// administrator and the questionnaire. Typed holds the values to show
// again (never the passwords).
func ParseSignup(form url.Values) (Signup, map[string]string, []*domain.FieldError) {
	q, typed, errs := ParseQuestionnaire(form)
	s := Signup{Questionnaire: q, PlanID: strings.TrimSpace(form.Get("plan_id")),
		AdminName: strings.TrimSpace(form.Get("admin_name")), AdminEmail: tenant.NormalizeEmail(form.Get("admin_email")),
		AdminPassword: form.Get("admin_password")}
	typed["plan_id"], typed["admin_name"], typed["admin_email"] = s.PlanID, s.AdminName, s.AdminEmail
	fail := func(field, key string) { errs = append(errs, &domain.FieldError{Field: field, Key: key}) }
	if !domain.ValidID(s.PlanID) {
		fail("plan_id", "tenant.plan_invalid")
	}
	switch {
	case s.AdminName == "":
		fail("admin_name", "form.required")
	case utf8.RuneCountInString(s.AdminName) > 200:
		fail("admin_name", "form.too_long")
	}
	if key := tenant.CheckEmail(s.AdminEmail); key != "" {
		fail("admin_email", key)
	}
	if auth.CheckPassword(s.AdminPassword) != nil {
		fail("admin_password", "password.invalid")
	} else if form.Get("confirm_password") != s.AdminPassword {
		fail("confirm_password", "password.mismatch")
	}
	return s, typed, errs
}

// Conflicts of a sign-up, said beside their field.
var (
	ErrCompanyTaken = &domain.FieldError{Field: "company_name", Key: "onboarding.company_taken"}
	ErrEmailTaken   = &domain.FieldError{Field: "admin_email", Key: "user.email_taken"}
	ErrPlan         = &domain.FieldError{Field: "plan_id", Key: "tenant.plan_invalid"}
)

// Result is what a sign-up created. SandboxErr says why the sandbox number
// could not be given: the tenant exists all the same, and the onboarding
// page offers to try again.
type Result struct {
	Tenant     domain.Tenant
	Admin      domain.User
	SandboxErr error
}

// SignUp creates the tenant (named after the company), its administrator
// and the application in one transaction, then gives the tenant its sandbox
// number. A taken name or e-mail, or an unknown plan, is a FieldError;
// storage.ErrSignupClosed when the operator closed sign-up.
func (s *Service) SignUp(ctx context.Context, actor storage.Actor, in Signup, skillsetName string) (Result, error) {
	var res Result
	if _, err := s.store.Plan(ctx, in.PlanID); errors.Is(err, storage.ErrNotFound) {
		return res, ErrPlan
	} else if err != nil {
		return res, err
	}
	// Said before the slow hash, and again in the transaction for a race.
	if _, _, err := s.store.UserForSignIn(ctx, in.AdminEmail); err == nil {
		return res, ErrEmailTaken
	}
	hash, err := s.hasher.Hash(ctx, in.AdminPassword)
	if err != nil {
		return res, err
	}
	res.Tenant, res.Admin, err = s.store.CreateSignup(ctx, actor, storage.NewSignup{
		Tenant: storage.NewTenant{Name: in.CompanyName, Slug: Slug(in.CompanyName), PlanID: in.PlanID,
			Admin: domain.User{Email: in.AdminEmail, Name: in.AdminName, PasswordHash: hash}},
		Questionnaire: in.Questionnaire,
	})
	switch {
	case errors.Is(err, storage.ErrCompanyTaken):
		return res, ErrCompanyTaken
	case errors.Is(err, storage.ErrEmailTaken):
		return res, ErrEmailTaken
	case err != nil:
		return res, err
	}
	who := actor
	who.UserID, who.Email = res.Admin.ID, res.Admin.Email
	_, res.SandboxErr = s.EnsureSandbox(ctx, who, res.Tenant.ID, skillsetName)
	return res, nil
}

// EnsureSandbox gives a tenant a sandbox number linked to a skillset named
// skillsetName (created when missing), unless it has a sandbox number
// already: then it returns that one and changes nothing. The customer
// simulator writes to it at once; conversations wait in the skillset's
// queue for the tenant's agents, and the administrator may take them over.
func (s *Service) EnsureSandbox(ctx context.Context, actor storage.Actor, tenantID, skillsetName string) (domain.Number, error) {
	ns, err := s.store.ListNumbers(ctx, tenantID)
	if err != nil {
		return domain.Number{}, err
	}
	for _, n := range ns {
		if n.Sandbox {
			return n, nil
		}
	}
	n, err := s.numbers.Add(ctx, actor, number.AddInput{TenantID: tenantID, Sandbox: true})
	if err != nil {
		return n, fmt.Errorf("sandbox number: %w", err)
	}
	if s.added != nil {
		s.added(n)
	}
	k, err := s.store.SkillsetByName(ctx, tenantID, skillsetName)
	if errors.Is(err, storage.ErrNotFound) {
		var id string
		id, err = s.store.CreateSkillset(ctx, tenantID, actor, skillsetName)
		k.ID = id
	}
	if err != nil {
		return n, fmt.Errorf("default skillset: %w", err)
	}
	if err := s.store.LinkNumberSkillset(ctx, tenantID, actor, n.ID, k.ID, 1); err != nil {
		return n, fmt.Errorf("link sandbox number: %w", err)
	}
	return n, nil
}
