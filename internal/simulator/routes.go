// Package simulator is the customer simulator: a page where an operator or
// an administrator plays a customer of a sandbox number. Everything the
// "customer" does goes through our fake of Meta, which posts signed webhooks
// to Switchboard exactly as Meta would; the page shows the thread as the
// customer's phone does, with the business's replies and their ticks.
package simulator

import (
	"errors"
	"net/http"
	"regexp"
	"strings"

	"github.com/go-chi/chi/v5"

	"switchboard/internal/auth"
	"switchboard/internal/domain"
	"switchboard/internal/sandbox"
	"switchboard/internal/storage"
	"switchboard/internal/ui"
)

// Deps are the simulator's dependencies.
type Deps struct {
	ui.Surface
	Store   *storage.Store
	Sandbox *sandbox.Sandbox
}

// MaxUpload bounds a simulated attachment (Meta's largest, documents, is
// 100 MB; a simulator needs far less).
const MaxUpload = 16 << 20

// Routes mounts /simulator/{number}.
func Routes(r chi.Router, d Deps) {
	r.Route("/simulator/{number}", func(r chi.Router) {
		r.Use(d.Auth.Require(domain.RoleOperator, domain.RoleAdmin))
		r.Get("/", handlePage(d))
		r.Get("/thread", handleThread(d))
		r.Post("/send", handleSend(d))
		r.Post("/choose", handleChoose(d))
		r.Get("/media/{media}", handleMedia(d))
	})
}

var waIDRE = regexp.MustCompile(`^[1-9][0-9]{5,14}$`)

// customerParam reads and checks the customer's phone (wa_id): digits of an
// international number, + and spaces ignored.
func customerParam(v string) (string, bool) {
	v = strings.NewReplacer("+", "", " ", "", "-", "").Replace(strings.TrimSpace(v))
	return v, waIDRE.MatchString(v)
}

// number loads the sandbox number the URL names, if the viewer may play its
// customers: an operator any tenant's, an administrator their own.
func (d Deps) number(w http.ResponseWriter, r *http.Request) (domain.Number, bool) {
	p, _ := auth.FromContext(r.Context())
	id := chi.URLParam(r, "number")
	if !domain.ValidID(id) {
		d.NotFound(w, r)
		return domain.Number{}, false
	}
	var n domain.Number
	var err error
	if p.Role == domain.RoleOperator {
		n, err = d.Store.NumberForOperator(r.Context(), id)
	} else {
		n, err = d.Store.Number(r.Context(), p.TenantID, id)
	}
	if errors.Is(err, storage.ErrNotFound) || (err == nil && !n.Sandbox) {
		d.NotFound(w, r)
		return n, false
	} else if err != nil {
		d.Unavailable(w, r, "load number", err)
		return n, false
	}
	d.Sandbox.Register(n)
	return n, true
}
