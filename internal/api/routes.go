// Package api is the tenants' REST API: JSON, authenticated with an API key
// (Authorization: Bearer KEY). The key decides the tenant; nothing in the
// request can choose another.
package api

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"switchboard/internal/blob"
	"switchboard/internal/outbound"

	"github.com/go-chi/chi/v5"

	"switchboard/internal/apikey"
	"switchboard/internal/routing"
	"switchboard/internal/storage"
)

// Deps are the API's dependencies.
type Deps struct {
	Store    *storage.Store
	Keys     *apikey.Service
	Outbound *outbound.Service
	Routing  *routing.Service
	Blobs    blob.Store
	Logger   *slog.Logger
	OpenAPI  []byte // docs/api/openapi.yaml, served as is
}

// Routes mounts /api/v1.
func Routes(r chi.Router, d Deps) {
	r.Route("/api/v1", func(r chi.Router) {
		r.Get("/openapi.yaml", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/yaml")
			_, _ = w.Write(d.OpenAPI)
		})
		r.Group(func(r chi.Router) {
			r.Use(authenticate(d))
			r.Get("/contacts", handleContacts(d))
			r.Get("/conversations", handleConversations(d))
			r.Get("/conversations/{id}", handleConversation(d))
			r.Get("/conversations/{id}/messages", handleMessages(d))
			r.Get("/messages/{id}", handleMessage(d))
			r.Post("/messages", handleSend(d))
			r.Post("/media", handleUpload(d))
			r.Post("/contacts/{id}/consent", handleConsent(d))
			r.Post("/agents/{id}/availability", handleAvailability(d))
			r.Post("/conversations/{id}/close", handleClose(d))
			r.Post("/conversations/{id}/transfer", handleTransfer(d))
		})
		r.NotFound(func(w http.ResponseWriter, r *http.Request) {
			writeError(w, http.StatusNotFound, "not_found", "no such endpoint")
		})
		r.MethodNotAllowed(func(w http.ResponseWriter, r *http.Request) {
			writeError(w, http.StatusMethodNotAllowed, "method_not_allowed", "this endpoint does not accept "+r.Method)
		})
	})
}

type tenantKey struct{}
type keyIDKey struct{}

func tenantOf(ctx context.Context) string { t, _ := ctx.Value(tenantKey{}).(string); return t }

// keyOf is the id of the API key the request came with (recorded as the
// sender of the messages it sends).
func keyOf(ctx context.Context) string { k, _ := ctx.Value(keyIDKey{}).(string); return k }

// authenticate resolves the bearer key to its tenant.
func authenticate(d Deps) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			key, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
			if !ok || key == "" {
				w.Header().Set("WWW-Authenticate", `Bearer realm="switchboard"`)
				writeError(w, http.StatusUnauthorized, "unauthorized", "send an API key as Authorization: Bearer KEY")
				return
			}
			k, err := d.Keys.Check(r.Context(), strings.TrimSpace(key))
			if err == apikey.ErrInvalid {
				w.Header().Set("WWW-Authenticate", `Bearer realm="switchboard", error="invalid_token"`)
				writeError(w, http.StatusUnauthorized, "unauthorized", "the API key is unknown or revoked")
				return
			}
			if err != nil {
				d.Logger.ErrorContext(r.Context(), "check API key", "error", err)
				writeError(w, http.StatusServiceUnavailable, "unavailable", "try again in a moment")
				return
			}
			ctx := context.WithValue(context.WithValue(r.Context(), tenantKey{}, k.TenantID), keyIDKey{}, k.ID)
			next.ServeHTTP(w, r.WithContext(ctx))
		})
	}
}
