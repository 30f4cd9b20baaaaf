package number

import (
	"context"
	"errors"
	"strings"
	"unicode/utf8"

	"switchboard/internal/domain"
	"switchboard/internal/storage"
)

// AppInput is a Meta app as the operator registers or edits it. On an edit
// an empty secret keeps the stored one: secrets are replaced, never shown.
type AppInput struct {
	Slug, Name, MetaAppID  string
	AppSecret, VerifyToken string
}

// CreateApp registers a further Meta app with Meta's App ID and its secrets
// (the operator console).
func (s *Service) CreateApp(ctx context.Context, actor storage.Actor, in AppInput) (string, error) {
	return s.createApp(ctx, actor, in, true)
}

func (s *Service) createApp(ctx context.Context, actor storage.Actor, in AppInput, needMetaID bool) (string, error) {
	in.Slug = strings.ToLower(strings.TrimSpace(in.Slug))
	switch {
	case !slugRE.MatchString(in.Slug):
		return "", &domain.FieldError{Field: "slug", Key: "tenant.slug_invalid"}
	case in.Slug == "sandbox":
		// /webhooks/whatsapp/sandbox belongs to the sandbox.
		return "", &domain.FieldError{Field: "slug", Key: "number.app_taken"}
	}
	if err := checkApp(&in, needMetaID, true); err != nil {
		return "", err
	}
	secretEnc, err := s.box.Seal("", fieldAppSecret, in.AppSecret)
	if err != nil {
		return "", err
	}
	verifyEnc, err := s.box.Seal("", fieldVerifyToken, in.VerifyToken)
	if err != nil {
		return "", err
	}
	id, err := s.store.CreateMetaApp(ctx, actor, domain.MetaApp{Slug: in.Slug, Name: in.Name, MetaAppID: in.MetaAppID,
		AppSecretEnc: secretEnc, VerifyTokenEnc: verifyEnc})
	if errors.Is(err, storage.ErrConflict) {
		return "", &domain.FieldError{Field: "slug", Key: "number.app_taken"}
	}
	return id, err
}

// UpdateApp changes an app's name and Meta App ID, and replaces a secret
// only when a new one is given. The slug stays: it is the webhook address
// configured at Meta. storage.ErrNotFound when there is no such app.
func (s *Service) UpdateApp(ctx context.Context, actor storage.Actor, id string, in AppInput) error {
	if err := checkApp(&in, true, false); err != nil {
		return err
	}
	c := storage.MetaAppChange{ID: id, Name: in.Name, MetaAppID: in.MetaAppID}
	var err error
	if in.AppSecret != "" {
		if c.AppSecretEnc, err = s.box.Seal("", fieldAppSecret, in.AppSecret); err != nil {
			return err
		}
	}
	if in.VerifyToken != "" {
		if c.VerifyTokenEnc, err = s.box.Seal("", fieldVerifyToken, in.VerifyToken); err != nil {
			return err
		}
	}
	return s.store.UpdateMetaApp(ctx, actor, c)
}

// checkApp trims and checks an app's fields; secrets are required when
// registering, optional (empty: kept) when editing. Meta shows App IDs as
// digits; secrets are pasted, so surrounding spaces are dropped but none
// may be inside.
func checkApp(in *AppInput, needMetaID, needSecrets bool) error {
	in.Name, in.MetaAppID = strings.TrimSpace(in.Name), strings.TrimSpace(in.MetaAppID)
	in.AppSecret, in.VerifyToken = strings.TrimSpace(in.AppSecret), strings.TrimSpace(in.VerifyToken)
	switch {
	case in.Name == "":
		return &domain.FieldError{Field: "name", Key: "form.required"}
	case utf8.RuneCountInString(in.Name) > 200:
		return &domain.FieldError{Field: "name", Key: "form.too_long"}
	case (needMetaID || in.MetaAppID != "") && !digitsRE.MatchString(in.MetaAppID):
		return &domain.FieldError{Field: "meta_app_id", Key: "operator.apps.meta_id_invalid"}
	case (needSecrets || in.AppSecret != "") && (len(in.AppSecret) < 16 || len(in.AppSecret) > 200 || strings.ContainsAny(in.AppSecret, " \t\r\n")):
		return &domain.FieldError{Field: "app_secret", Key: "number.secret_invalid"}
	case (needSecrets || in.VerifyToken != "") && (len(in.VerifyToken) < 8 || len(in.VerifyToken) > 200 || strings.ContainsAny(in.VerifyToken, " \t\r\n")):
		return &domain.FieldError{Field: "verify_token", Key: "operator.apps.verify_token_invalid"}
	}
	return nil
}
