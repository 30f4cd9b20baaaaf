package httpx

import (
	"bytes"
	"log/slog"
	"net/http"

	"github.com/a-h/templ"
)

// Render renders c to a buffer first, so a failed render never leaves half
// a page: the client gets a plain 500 instead, and the error is logged.
func Render(w http.ResponseWriter, r *http.Request, logger *slog.Logger, status int, c templ.Component) {
	var buf bytes.Buffer
	if err := c.Render(r.Context(), &buf); err != nil {
		logger.ErrorContext(r.Context(), "render failed", "error", err)
		http.Error(w, http.StatusText(http.StatusInternalServerError), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}
