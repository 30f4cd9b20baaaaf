// Package tenant creates and manages tenants and their users with the same
// rules whether the request comes from the operator console, the CLI or the
// demo seed.
package tenant

import (
	"context"
	"errors"
	"net/mail"
	"regexp"
	"strings"
	"unicode/utf8"

	"switchboard/internal/auth"
	"switchboard/internal/domain"
	"switchboard/internal/storage"
)

// FieldError is domain.FieldError, named here for the tenant's callers.
type FieldError = domain.FieldError

// Service applies the rules and writes through the store.
type Service struct {
	store  *storage.Store
	hasher *auth.Hasher
}

// NewService returns the tenant service.
func NewService(store *storage.Store, hasher *auth.Hasher) *Service {
	return &Service{store: store, hasher: hasher}
}

var slugRE = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,38}[a-z0-9])?$`)

// NewTenantInput is what creating a tenant asks for.
type NewTenantInput struct {
	Name, Slug, PlanID, AdminEmail, AdminName, AdminPassword string
}

// Normalize trims and lower-cases what should be.
func (in *NewTenantInput) Normalize() {
	in.Name = strings.TrimSpace(in.Name)
	in.Slug = strings.ToLower(strings.TrimSpace(in.Slug))
	in.AdminEmail = NormalizeEmail(in.AdminEmail)
	in.AdminName = strings.TrimSpace(in.AdminName)
}

// Validate returns every problem, field by field.
func (in NewTenantInput) Validate() []*FieldError {
	var errs []*FieldError
	// The settings page renames with the same rule.
	var fe *FieldError
	if _, err := storage.CheckTenantName(in.Name); errors.As(err, &fe) {
		errs = append(errs, fe)
	}
	switch {
	case in.Slug == "":
		errs = append(errs, &FieldError{Field: "slug", Key: "form.required"})
	case !slugRE.MatchString(in.Slug):
		errs = append(errs, &FieldError{Field: "slug", Key: "tenant.slug_invalid"})
	}
	if !domain.ValidID(in.PlanID) {
		errs = append(errs, &FieldError{Field: "plan_id", Key: "tenant.plan_invalid"})
	}
	if key := CheckEmail(in.AdminEmail); key != "" {
		errs = append(errs, &FieldError{Field: "admin_email", Key: key})
	}
	if utf8.RuneCountInString(in.AdminName) > 200 {
		errs = append(errs, &FieldError{Field: "admin_name", Key: "form.too_long"})
	}
	if auth.CheckPassword(in.AdminPassword) != nil {
		errs = append(errs, &FieldError{Field: "admin_password", Key: "password.invalid"})
	}
	return errs
}

// ErrSlugTaken and ErrEmailTaken name the conflict precisely.
var (
	ErrSlugTaken  = &FieldError{Field: "slug", Key: "tenant.slug_taken"}
	ErrEmailTaken = &FieldError{Field: "admin_email", Key: "user.email_taken"}
	ErrPlan       = &FieldError{Field: "plan_id", Key: "tenant.plan_invalid"}
)

// Create validates in, creates the tenant and its first administrator in
// one transaction, and audits it. On any error nothing is created.
func (s *Service) Create(ctx context.Context, actor storage.Actor, in NewTenantInput) (domain.Tenant, error) {
	in.Normalize()
	if errs := in.Validate(); len(errs) > 0 {
		return domain.Tenant{}, errs[0]
	}
	if _, err := s.store.Plan(ctx, in.PlanID); errors.Is(err, storage.ErrNotFound) {
		return domain.Tenant{}, ErrPlan
	} else if err != nil {
		return domain.Tenant{}, err
	}
	if _, err := s.store.TenantBySlug(ctx, in.Slug); err == nil {
		return domain.Tenant{}, ErrSlugTaken
	}
	if _, _, err := s.store.UserForSignIn(ctx, in.AdminEmail); err == nil {
		return domain.Tenant{}, ErrEmailTaken
	}
	hash, err := s.hasher.Hash(ctx, in.AdminPassword)
	if err != nil {
		return domain.Tenant{}, err
	}
	t, err := s.store.CreateTenant(ctx, actor, storage.NewTenant{
		Name: in.Name, Slug: in.Slug, PlanID: in.PlanID,
		Admin: domain.User{Email: in.AdminEmail, Name: in.AdminName, PasswordHash: hash},
	})
	if errors.Is(err, storage.ErrConflict) {
		// A race with another creator: the unique indexes decided.
		if _, e := s.store.TenantBySlug(ctx, in.Slug); e == nil {
			return domain.Tenant{}, ErrSlugTaken
		}
		return domain.Tenant{}, ErrEmailTaken
	}
	return t, err
}

// NewUserInput is what adding a user asks for.
type NewUserInput struct {
	TenantID, Email, Name, Password string
	Role                            domain.Role
}

// CreateUser validates and adds a user to a tenant (or an operator, with an
// empty TenantID and RoleOperator).
func (s *Service) CreateUser(ctx context.Context, actor storage.Actor, in NewUserInput) (string, error) {
	var fe *FieldError
	if in.Email, in.Name, fe = CheckNewUser(in.Email, in.Name); fe != nil && fe.Field == "email" {
		return "", fe
	}
	if !in.Role.Valid() || (in.Role == domain.RoleOperator) != (in.TenantID == "") {
		return "", &FieldError{Field: "role", Key: "user.role_invalid"}
	}
	if fe != nil {
		return "", fe
	}
	if auth.CheckPassword(in.Password) != nil {
		return "", &FieldError{Field: "password", Key: "password.invalid"}
	}
	hash, err := s.hasher.Hash(ctx, in.Password)
	if err != nil {
		return "", err
	}
	id, err := s.store.CreateUser(ctx, actor, domain.User{TenantID: in.TenantID, Email: in.Email, Name: in.Name, Role: in.Role, PasswordHash: hash})
	if errors.Is(err, storage.ErrConflict) {
		return "", &FieldError{Field: "email", Key: "user.email_taken"}
	}
	return id, err
}

// SetStatus suspends or reactivates a tenant.
func (s *Service) SetStatus(ctx context.Context, actor storage.Actor, tenantID string, suspend bool) error {
	status := domain.TenantActive
	if suspend {
		status = domain.TenantSuspended
	}
	return s.store.SetTenantStatus(ctx, actor, tenantID, status)
}

// NormalizeEmail trims and lower-cases an address.
func NormalizeEmail(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// CheckEmail returns a message key when s is not a plain address.
func CheckEmail(s string) string {
	if s == "" {
		return "form.required"
	}
	if len(s) > 254 {
		return "form.too_long"
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || a.Name != "" || !strings.Contains(s[strings.LastIndex(s, "@")+1:], ".") && !strings.HasSuffix(s, "@localhost") {
		return "form.email_invalid"
	}
	return ""
}
