// Package apikey issues and checks the tenants' REST API keys. A key is
// shown once; only its SHA-256 is kept (keys are 256 random bits, so a
// fast hash is enough: there is nothing to guess).
package apikey

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"strings"
	"unicode/utf8"

	"switchboard/internal/domain"
	"switchboard/internal/storage"
)

// keyPrefix marks our keys, so a leaked one is recognisable in a scan.
const keyPrefix = "sbk_"

// ErrInvalid means the key is unknown, malformed or revoked.
var ErrInvalid = errors.New("invalid API key")

// Service issues and checks keys.
type Service struct {
	store *storage.Store
}

// NewService returns the API key service.
func NewService(store *storage.Store) *Service { return &Service{store: store} }

// Create issues a key named name for a tenant and returns it: the only time
// it exists in clear.
func (s *Service) Create(ctx context.Context, actor storage.Actor, tenantID, name string) (string, error) {
	name = strings.TrimSpace(name)
	if name == "" || utf8.RuneCountInString(name) > 100 {
		return "", &domain.FieldError{Field: "name", Key: "form.required"}
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return "", err
	}
	key := keyPrefix + base64.RawURLEncoding.EncodeToString(raw)
	if _, err := s.store.CreateAPIKey(ctx, actor, tenantID, name, key[:len(keyPrefix)+6], hash(key)); err != nil {
		return "", err
	}
	return key, nil
}

// Check returns the key's record (and so its tenant), or ErrInvalid.
func (s *Service) Check(ctx context.Context, key string) (storage.APIKey, error) {
	if !strings.HasPrefix(key, keyPrefix) || len(key) > 100 {
		return storage.APIKey{}, ErrInvalid
	}
	k, err := s.store.APIKeyByHash(ctx, hash(key))
	if errors.Is(err, storage.ErrNotFound) {
		return storage.APIKey{}, ErrInvalid
	}
	return k, err
}

func hash(key string) []byte {
	h := sha256.Sum256([]byte(key))
	return h[:]
}
