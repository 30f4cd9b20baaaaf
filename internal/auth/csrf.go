package auth

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
)

// CSRF derives per-session tokens: HMAC(secret, binding), where binding is
// the session's id once signed in, or the random pre-session cookie on the
// sign-in form. Nothing is stored; a token from one session is useless in
// another.
type CSRF struct {
	key []byte
}

// NewCSRF derives the CSRF key from the application secret.
func NewCSRF(secret []byte) *CSRF {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("switchboard csrf v1"))
	return &CSRF{key: m.Sum(nil)}
}

// Token returns the token forms must carry for binding.
func (c *CSRF) Token(binding string) string {
	m := hmac.New(sha256.New, c.key)
	m.Write([]byte(binding))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// Valid compares in constant time.
func (c *CSRF) Valid(binding, token string) bool {
	if binding == "" || token == "" {
		return false
	}
	return hmac.Equal([]byte(c.Token(binding)), []byte(token))
}
