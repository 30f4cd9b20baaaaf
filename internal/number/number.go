// Package number manages a tenant's WhatsApp numbers and the Meta apps they
// belong to, and is the only place their secrets are sealed and opened.
package number

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"
	"regexp"
	"strings"
	"unicode/utf8"

	"switchboard/internal/domain"
	"switchboard/internal/secrets"
	"switchboard/internal/storage"
)

// Sealed fields, used as associated data.
const (
	fieldAccessToken = "numbers.access_token"
	fieldAppSecret   = "meta_apps.app_secret"
	fieldVerifyToken = "meta_apps.verify_token"
)

// Service validates, seals and stores.
type Service struct {
	store *storage.Store
	box   *secrets.Box
	// PlatformAppID is the Meta App ID of the platform's own app
	// (META_APP_ID), for numbers registered with no other app; "" when not
	// configured (meta_app_id.go).
	PlatformAppID string
}

// NewService returns the number service.
func NewService(store *storage.Store, box *secrets.Box) *Service {
	return &Service{store: store, box: box}
}

var (
	digitsRE  = regexp.MustCompile(`^[0-9]{1,30}$`)
	displayRE = regexp.MustCompile(`^\+?[0-9 ]{5,20}$`)
	slugRE    = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,38}[a-z0-9])?$`)
)

// AddInput is what connecting a number asks for. For a sandbox number the
// Meta ids and the token may be left empty: they are made up, as the
// sandbox is our own fake of Meta.
type AddInput struct {
	TenantID, PhoneNumberID, DisplayPhone, WABAID, AppSlug, AccessToken string
	Sandbox                                                             bool
	Throughput                                                          int
}

// Add validates and connects a number, within the tenant's plan.
func (s *Service) Add(ctx context.Context, actor storage.Actor, in AddInput) (domain.Number, error) {
	in.PhoneNumberID, in.DisplayPhone = strings.TrimSpace(in.PhoneNumberID), strings.TrimSpace(in.DisplayPhone)
	in.WABAID, in.AppSlug, in.AccessToken = strings.TrimSpace(in.WABAID), strings.TrimSpace(in.AppSlug), strings.TrimSpace(in.AccessToken)
	if in.Sandbox {
		fillSandbox(&in)
	}
	if in.Throughput == 0 {
		in.Throughput = 80
	}
	switch {
	case !digitsRE.MatchString(in.PhoneNumberID):
		return domain.Number{}, &domain.FieldError{Field: "phone_number_id", Key: "number.id_invalid"}
	case !displayRE.MatchString(in.DisplayPhone):
		return domain.Number{}, &domain.FieldError{Field: "display_phone", Key: "number.display_invalid"}
	case !digitsRE.MatchString(in.WABAID):
		return domain.Number{}, &domain.FieldError{Field: "waba_id", Key: "number.id_invalid"}
	case in.AccessToken == "" || utf8.RuneCountInString(in.AccessToken) > 1000 || strings.ContainsAny(in.AccessToken, " \t\r\n"):
		return domain.Number{}, &domain.FieldError{Field: "access_token", Key: "number.token_invalid"}
	case in.Throughput < 1 || in.Throughput > 1000:
		return domain.Number{}, &domain.FieldError{Field: "throughput", Key: "number.throughput_invalid"}
	}
	n := domain.Number{TenantID: in.TenantID, PhoneNumberID: in.PhoneNumberID, DisplayPhone: in.DisplayPhone,
		WABAID: in.WABAID, Sandbox: in.Sandbox, Throughput: in.Throughput}
	if in.AppSlug != "" {
		app, err := s.store.MetaAppBySlug(ctx, in.AppSlug)
		if errors.Is(err, storage.ErrNotFound) {
			return domain.Number{}, &domain.FieldError{Field: "app", Key: "number.app_unknown"}
		} else if err != nil {
			return domain.Number{}, err
		}
		n.AppID, n.AppSlug = app.ID, app.Slug
	}
	sealed, err := s.box.Seal(in.TenantID, fieldAccessToken, in.AccessToken)
	if err != nil {
		return domain.Number{}, err
	}
	n.AccessTokenEnc = sealed
	n.ID, err = s.store.CreateNumber(ctx, actor, n)
	switch {
	case errors.Is(err, storage.ErrConflict):
		return domain.Number{}, &domain.FieldError{Field: "phone_number_id", Key: "number.taken"}
	case errors.Is(err, storage.ErrLimit):
		return domain.Number{}, &domain.FieldError{Field: "phone_number_id", Key: "number.plan_limit"}
	}
	return n, err
}

// fillSandbox makes up what a sandbox number lacks: Meta-shaped ids and a
// random token that only our fake of Meta will accept.
func fillSandbox(in *AddInput) {
	if in.PhoneNumberID == "" {
		in.PhoneNumberID = "1" + randomDigits(14)
	}
	if in.WABAID == "" {
		in.WABAID = "2" + randomDigits(14)
	}
	if in.DisplayPhone == "" {
		in.DisplayPhone = "+1 555 01" + randomDigits(2) + " " + randomDigits(4)
	}
	if in.AccessToken == "" {
		in.AccessToken = "SANDBOX" + randomDigits(24)
	}
}

func randomDigits(n int) string {
	var b strings.Builder
	for range n {
		d, _ := rand.Int(rand.Reader, big.NewInt(10))
		b.WriteString(d.String())
	}
	return b.String()
}

// AccessToken opens a number's token, for calls to the Graph API only. It
// is never shown nor logged.
func (s *Service) AccessToken(n domain.Number) (string, error) {
	return s.box.Open(n.TenantID, fieldAccessToken, n.AccessTokenEnc)
}

// MaskedToken is what pages show of a token.
func (s *Service) MaskedToken(n domain.Number) string {
	t, err := s.AccessToken(n)
	if err != nil {
		return "(cannot be decrypted: SECRET_KEY changed?)"
	}
	return secrets.Mask(t)
}

// ReplaceToken seals and stores a new token for a number.
func (s *Service) ReplaceToken(ctx context.Context, actor storage.Actor, tenantID, numberID, token string) error {
	token = strings.TrimSpace(token)
	if token == "" || utf8.RuneCountInString(token) > 1000 || strings.ContainsAny(token, " \t\r\n") {
		return &domain.FieldError{Field: "access_token", Key: "number.token_invalid"}
	}
	sealed, err := s.box.Seal(tenantID, fieldAccessToken, token)
	if err != nil {
		return err
	}
	return s.store.SetNumberToken(ctx, actor, tenantID, numberID, sealed)
}

// RegisterApp registers a further Meta app with its secrets, without Meta's
// App ID (the CLI and tests; the console asks for it: CreateApp).
func (s *Service) RegisterApp(ctx context.Context, actor storage.Actor, slug, name, appSecret, verifyToken string) (string, error) {
	return s.createApp(ctx, actor, AppInput{Slug: slug, Name: name, AppSecret: appSecret, VerifyToken: verifyToken}, false)
}

// AppSecrets returns a registered app's id, secret and verify token;
// storage.ErrNotFound when there is no such app.
func (s *Service) AppSecrets(ctx context.Context, slug string) (id, secret, verifyToken string, err error) {
	app, err := s.store.MetaAppBySlug(ctx, slug)
	if err != nil {
		return "", "", "", err
	}
	if secret, err = s.box.Open("", fieldAppSecret, app.AppSecretEnc); err != nil {
		return "", "", "", fmt.Errorf("app %s: %w", slug, err)
	}
	if verifyToken, err = s.box.Open("", fieldVerifyToken, app.VerifyTokenEnc); err != nil {
		return "", "", "", fmt.Errorf("app %s: %w", slug, err)
	}
	return app.ID, secret, verifyToken, nil
}

// SandboxApp is the Meta app our fake of Meta signs its webhooks as. Its
// secret is derived from SECRET_KEY, so the sandbox works with no setting
// and stays private to this deployment.
func SandboxApp(secretKey []byte) (secret, verifyToken string) {
	mac := hmac.New(sha256.New, secretKey)
	mac.Write([]byte("switchboard sandbox meta app secret"))
	secret = hex.EncodeToString(mac.Sum(nil))
	return secret, secret[:24]
}
