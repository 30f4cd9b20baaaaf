package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

// SignatureHeader is the header carrying Meta's HMAC of the raw body.
const SignatureHeader = "X-Hub-Signature-256"

const signaturePrefix = "sha256="

// Sign returns the X-Hub-Signature-256 value for body: "sha256=" followed by
// the lowercase hex HMAC-SHA256 of the raw bytes, keyed with the app secret.
func Sign(appSecret, body []byte) string {
	mac := hmac.New(sha256.New, appSecret)
	mac.Write(body)
	return signaturePrefix + hex.EncodeToString(mac.Sum(nil))
}

// VerifySignature reports whether header is a valid X-Hub-Signature-256 for
// body. It must be given the exact bytes received, before any parsing or
// re-encoding. It is false for a missing or malformed header and for an
// empty app secret: an unconfigured secret must not let anyone who knows
// that it is empty forge webhooks. The comparison takes constant time.
func VerifySignature(appSecret, body []byte, header string) bool {
	if len(appSecret) == 0 {
		return false
	}
	hexSum, ok := strings.CutPrefix(strings.TrimSpace(header), signaturePrefix)
	if !ok || len(hexSum) != 2*sha256.Size {
		return false
	}
	got, err := hex.DecodeString(hexSum)
	if err != nil {
		return false
	}
	mac := hmac.New(sha256.New, appSecret)
	mac.Write(body)
	return hmac.Equal(mac.Sum(nil), got)
}
