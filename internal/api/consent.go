package api

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/go-chi/chi/v5"

	"switchboard/internal/domain"
	"switchboard/internal/storage"
)

// handleConsent records a contact's consent to business-initiated messages:
// granted or revoked, how it was given, and a note. The history is kept.
func handleConsent(d Deps) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id := chi.URLParam(r, "id")
		var req struct {
			Consent string `json:"consent"`
			Source  string `json:"source"`
			Note    string `json:"note"`
		}
		dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 16<<10))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&req); err != nil {
			writeError(w, http.StatusBadRequest, "invalid_json", "send {\"consent\": \"granted\"|\"revoked\", \"source\": …, \"note\": …}")
			return
		}
		switch {
		case req.Consent != "granted" && req.Consent != "revoked":
			writeError(w, http.StatusBadRequest, "invalid_parameter", "consent must be granted or revoked")
			return
		case !validSource(req.Source):
			writeError(w, http.StatusBadRequest, "invalid_parameter", "source must be web_form, written, verbal, imported or api")
			return
		case utf8.RuneCountInString(req.Note) > 500:
			writeError(w, http.StatusBadRequest, "invalid_parameter", "note holds at most 500 characters")
			return
		case !domain.ValidID(id):
			writeError(w, http.StatusNotFound, "not_found", "contact not found")
			return
		}
		tenantID := tenantOf(r.Context())
		_, err := d.Store.SetConsent(r.Context(), tenantID, id, req.Consent, req.Source, "api:"+keyOf(r.Context()), strings.TrimSpace(req.Note))
		if errors.Is(err, storage.ErrNotFound) {
			writeError(w, http.StatusNotFound, "not_found", "contact not found")
			return
		} else if err != nil {
			d.fail(w, r, "consent", err)
			return
		}
		c, err := d.Store.Contact(r.Context(), tenantID, id)
		if err != nil {
			d.fail(w, r, "contact", err)
			return
		}
		writeJSON(w, http.StatusOK, toContact(c))
	}
}

func validSource(s string) bool {
	switch s {
	case "web_form", "written", "verbal", "imported", "api":
		return true
	}
	return false
}
