// Package secrets encrypts what Switchboard must keep but must not be able to
// leak: WhatsApp access tokens, Meta app secrets, verify tokens.
//
// AES-256-GCM under a key derived from SECRET_KEY with HKDF-SHA256. Each
// ciphertext carries its key version ("v1.…"), so a later key can be added
// and old values re-encrypted without guessing which key made them. The
// associated data binds a ciphertext to its tenant and field: a value copied
// into another tenant's row, or into another column, does not decrypt.
package secrets

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// currentVersion is the key version new values are sealed with.
const currentVersion = 1

// ErrUndecryptable means the value was tampered with, belongs to another
// tenant or field, or was sealed with a key this process does not have.
var ErrUndecryptable = errors.New("secrets: value cannot be decrypted with this key, tenant and field")

// Box seals and opens secrets.
type Box struct {
	aeads map[int]cipher.AEAD
}

// New derives the keys from the application secret.
func New(secretKey []byte) (*Box, error) {
	if len(secretKey) < 32 {
		return nil, errors.New("secrets: SECRET_KEY must be at least 32 bytes")
	}
	key, err := hkdf.Key(sha256.New, secretKey, nil, "switchboard secrets at rest v"+strconv.Itoa(currentVersion), 32)
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &Box{aeads: map[int]cipher.AEAD{currentVersion: aead}}, nil
}

func aad(tenantID, field string) []byte {
	return []byte("tenant=" + tenantID + "|field=" + field)
}

// Seal encrypts plaintext for one tenant ("" for platform secrets) and field
// (e.g. "numbers.access_token").
func (b *Box) Seal(tenantID, field, plaintext string) (string, error) {
	aead := b.aeads[currentVersion]
	nonce := make([]byte, aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", err
	}
	sealed := aead.Seal(nonce, nonce, []byte(plaintext), aad(tenantID, field))
	return fmt.Sprintf("v%d.%s", currentVersion, base64.RawURLEncoding.EncodeToString(sealed)), nil
}

// Open decrypts a value sealed for the same tenant and field.
func (b *Box) Open(tenantID, field, sealed string) (string, error) {
	ver, body, ok := strings.Cut(sealed, ".")
	if !ok || !strings.HasPrefix(ver, "v") {
		return "", ErrUndecryptable
	}
	n, err := strconv.Atoi(ver[1:])
	if err != nil {
		return "", ErrUndecryptable
	}
	aead, ok := b.aeads[n]
	if !ok {
		return "", ErrUndecryptable
	}
	raw, err := base64.RawURLEncoding.DecodeString(body)
	if err != nil || len(raw) < aead.NonceSize() {
		return "", ErrUndecryptable
	}
	plain, err := aead.Open(nil, raw[:aead.NonceSize()], raw[aead.NonceSize():], aad(tenantID, field))
	if err != nil {
		return "", ErrUndecryptable
	}
	return string(plain), nil
}

// Mask shows a secret the way pages may: its last four characters only.
func Mask(plaintext string) string {
	if utf8.RuneCountInString(plaintext) <= 8 {
		return "••••"
	}
	r := []rune(plaintext)
	return "••••" + string(r[len(r)-4:])
}
