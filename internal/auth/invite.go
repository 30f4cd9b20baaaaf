package auth

import (
	"crypto/rand"
	"encoding/base64"
)

// NewInviteToken returns a fresh invitation token (256 random bits,
// base64url, fit for a URL path) and the SHA-256 the store keeps: like a
// session's token, it exists in full only in the link.
func NewInviteToken() (token string, hash []byte, err error) {
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return "", nil, err
	}
	token = base64.RawURLEncoding.EncodeToString(raw)
	return token, hashToken(token), nil
}

// InviteTokenHash is the SHA-256 of an invitation token as the store keeps
// it; nil for what cannot be a token (the wrong length or alphabet), so a
// made-up path costs no query.
func InviteTokenHash(token string) []byte {
	if len(token) != 43 {
		return nil
	}
	if _, err := base64.RawURLEncoding.DecodeString(token); err != nil {
		return nil
	}
	return hashToken(token)
}
