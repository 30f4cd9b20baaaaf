package httpx

import (
	"net/http"
	"time"
)

// Cookies sets and reads our cookies with one policy: HttpOnly, SameSite=Lax,
// path /, no Domain. Over https they are Secure and carry the __Host- prefix,
// which binds them to this exact host; over plain http (a developer's
// machine) browsers refuse both, so the bare name is used.
type Cookies struct {
	Secure bool
}

// Name returns the cookie's full name for base ("session" →
// "__Host-switchboard_session" over https).
func (c Cookies) Name(base string) string {
	if c.Secure {
		return "__Host-switchboard_" + base
	}
	return "switchboard_" + base
}

// Set writes a cookie; a zero expires makes it last for the browser session.
func (c Cookies) Set(w http.ResponseWriter, base, value string, expires time.Time) {
	http.SetCookie(w, &http.Cookie{
		Name: c.Name(base), Value: value, Path: "/", Expires: expires,
		HttpOnly: true, Secure: c.Secure, SameSite: http.SameSiteLaxMode,
	})
}

// Clear removes a cookie.
func (c Cookies) Clear(w http.ResponseWriter, base string) {
	http.SetCookie(w, &http.Cookie{
		Name: c.Name(base), Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: c.Secure, SameSite: http.SameSiteLaxMode,
	})
}

// Get returns a cookie's value, "" when absent.
func (c Cookies) Get(r *http.Request, base string) string {
	ck, err := r.Cookie(c.Name(base))
	if err != nil {
		return ""
	}
	return ck.Value
}

// FarFuture is an expiry for preference cookies (a year).
func FarFuture() time.Time { return time.Now().Add(365 * 24 * time.Hour) }
