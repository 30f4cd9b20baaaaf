package api

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"

	"switchboard/internal/domain"
	"switchboard/internal/storage"
)

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

type apiError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

func writeError(w http.ResponseWriter, status int, code, message string) {
	writeJSON(w, status, map[string]apiError{"error": {Code: code, Message: message}})
}

// list is the shape of every listing.
type list struct {
	Data       any    `json:"data"`
	NextCursor string `json:"next_cursor"`
}

// page reads limit (1–100, default 50) and cursor. The cursor is opaque to
// clients: base64 of the last row's sort time and id.
func page(r *http.Request) (storage.Page, *apiError) {
	p := storage.Page{Limit: 50}
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 100 {
			return p, &apiError{"invalid_parameter", "limit must be a whole number from 1 to 100"}
		}
		p.Limit = n
	}
	if c := r.URL.Query().Get("cursor"); c != "" {
		raw, err := base64.RawURLEncoding.DecodeString(c)
		ts, id, ok := strings.Cut(string(raw), "|")
		t, terr := time.Parse(time.RFC3339Nano, ts)
		if err != nil || !ok || terr != nil || !domain.ValidID(id) {
			return p, &apiError{"invalid_parameter", "cursor is not one this API returned"}
		}
		p.AfterTime, p.AfterID = t, id
	}
	return p, nil
}

func cursor(t time.Time, id string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(t.UTC().Format(time.RFC3339Nano) + "|" + id))
}

// uuidParam validates an optional id filter.
func uuidParam(r *http.Request, name string) (string, *apiError) {
	v := r.URL.Query().Get(name)
	if v != "" && !domain.ValidID(v) {
		return "", &apiError{"invalid_parameter", name + " must be an id returned by this API"}
	}
	return v, nil
}
