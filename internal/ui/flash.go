package ui

import (
	"encoding/base64"
	"net/http"
	"strings"
	"time"

	"switchboard/internal/httpx"
	"switchboard/internal/i18n"
)

// Flash is a one-time message shown on the next page, such as "Tenant
// created". The cookie holds only a kind and a catalog key, so it cannot
// carry arbitrary text into the page.
type Flash struct {
	Kind string // success | error | info
	Key  string
	Arg  string
}

// SetFlash stores a message for the next page the browser loads.
func SetFlash(w http.ResponseWriter, c httpx.Cookies, kind, key, arg string) {
	v := kind + "|" + key + "|" + strings.ReplaceAll(arg, "|", " ")
	c.Set(w, "flash", base64.RawURLEncoding.EncodeToString([]byte(v)), time.Time{})
}

// TakeFlash reads and clears the pending message, if any.
func TakeFlash(w http.ResponseWriter, r *http.Request, c httpx.Cookies) *Flash {
	raw := c.Get(r, "flash")
	if raw == "" {
		return nil
	}
	c.Clear(w, "flash")
	v, err := base64.RawURLEncoding.DecodeString(raw)
	if err != nil {
		return nil
	}
	parts := strings.SplitN(string(v), "|", 3)
	if len(parts) != 3 || !i18n.Has(parts[1]) || (parts[0] != "success" && parts[0] != "error" && parts[0] != "info") {
		return nil
	}
	if len(parts[2]) > 200 {
		parts[2] = parts[2][:200]
	}
	return &Flash{Kind: parts[0], Key: parts[1], Arg: parts[2]}
}
