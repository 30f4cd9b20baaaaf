package ui

import (
	"log/slog"
	"net/http"

	"github.com/a-h/templ"

	"switchboard/internal/auth"
	"switchboard/internal/httpx"
)

// Surface is what every console needs to answer a browser: the role guard,
// cookies, the page frame, the logger and the error pages. Each console's
// Deps embeds it.
type Surface struct {
	Auth    *auth.Middleware
	Cookies httpx.Cookies
	Shell   Shell
	Logger  *slog.Logger
	Fail    auth.FailFunc
}

// Render renders a page with a status.
func (s Surface) Render(w http.ResponseWriter, r *http.Request, status int, c templ.Component) {
	httpx.Render(w, r, s.Logger, status, c)
}

// Unavailable logs what failed and answers 503 with a page that names no
// internals.
func (s Surface) Unavailable(w http.ResponseWriter, r *http.Request, what string, err error) {
	s.Logger.ErrorContext(r.Context(), what, "error", err)
	s.Fail(w, r, http.StatusServiceUnavailable, "error.unavailable")
}

// NotFound answers 404: for what does not exist and for what belongs to
// someone else alike.
func (s Surface) NotFound(w http.ResponseWriter, r *http.Request) {
	s.Fail(w, r, http.StatusNotFound, "error.not_found")
}
