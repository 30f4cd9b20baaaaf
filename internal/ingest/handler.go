// Package ingest is where Meta's webhooks enter: the verification handshake,
// the signature check over the raw bytes, and the durable store of every
// valid POST before Meta gets its 200. Understanding the payload happens
// afterwards, in package inbound, so a slow or failing parse never makes
// Meta wait or retry.
package ingest

import (
	"context"
	"crypto/subtle"
	"errors"
	"io"
	"log/slog"
	"net/http"

	"github.com/go-chi/chi/v5"

	"switchboard/internal/metrics"
	"switchboard/internal/storage"
	"switchboard/internal/whatsapp/webhook"
)

// MaxBody is Meta's largest payload (3 MB).
const MaxBody = 3 << 20

// App is what checks one Meta app's webhooks.
type App struct {
	ID          string // empty for the platform's own app and the sandbox
	Sandbox     bool
	Secret      []byte
	VerifyToken string
}

// Apps finds the app a webhook URL names: "" is the platform's own app.
// A false ok means no such app (404).
type Apps func(ctx context.Context, slug string) (app App, ok bool, err error)

// Deps are the endpoint's dependencies.
type Deps struct {
	Store   *storage.Store
	Apps    Apps
	Logger  *slog.Logger
	Metrics *metrics.Registry
	// Stored is told of each stored event, to wake the processor at once
	// (it also polls, so a missed wake-up only delays).
	Stored func()
}

// Routes mounts GET and POST /webhooks/whatsapp and /webhooks/whatsapp/{app}.
func Routes(r chi.Router, d Deps) {
	received := d.Metrics.NewCounterVec("switchboard_webhooks_total",
		"Webhook POSTs from Meta by outcome (stored, bad_signature, too_large, unknown_app, error).", "outcome")
	for _, p := range []string{"/webhooks/whatsapp", "/webhooks/whatsapp/{app}"} {
		r.Get(p, handleVerify(d))
		r.Post(p, handleReceive(d, received))
	}
}

// handleVerify answers Meta's subscription handshake: the challenge, as is,
// when the verify token matches; 403 otherwise.
func handleVerify(d Deps) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		app, ok, err := d.Apps(r.Context(), chi.URLParam(r, "app"))
		if err != nil {
			d.Logger.ErrorContext(r.Context(), "webhook app lookup", "error", err)
			http.Error(w, "temporarily unavailable", http.StatusServiceUnavailable)
			return
		}
		q := r.URL.Query()
		token := q.Get("hub.verify_token")
		if !ok || app.VerifyToken == "" || q.Get("hub.mode") != "subscribe" ||
			subtle.ConstantTimeCompare([]byte(token), []byte(app.VerifyToken)) != 1 {
			http.Error(w, "verification failed", http.StatusForbidden)
			return
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = io.WriteString(w, q.Get("hub.challenge"))
	}
}

// handleReceive checks the signature over the raw body before anything
// else, stores the body, and only then answers 200.
func handleReceive(d Deps, received *metrics.CounterVec) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBody))
		if err != nil {
			var tooBig *http.MaxBytesError
			if errors.As(err, &tooBig) {
				received.Inc("too_large")
				http.Error(w, "payload over 3 MB", http.StatusRequestEntityTooLarge)
				return
			}
			received.Inc("error")
			http.Error(w, "cannot read body", http.StatusBadRequest)
			return
		}
		app, ok, err := d.Apps(ctx, chi.URLParam(r, "app"))
		if err != nil {
			received.Inc("error")
			d.Logger.ErrorContext(ctx, "webhook app lookup", "error", err)
			http.Error(w, "temporarily unavailable", http.StatusServiceUnavailable)
			return
		}
		if !ok {
			received.Inc("unknown_app")
			http.Error(w, "no such app", http.StatusNotFound)
			return
		}
		if len(app.Secret) == 0 || !webhook.VerifySignature(app.Secret, body, r.Header.Get("X-Hub-Signature-256")) {
			received.Inc("bad_signature")
			d.Logger.WarnContext(ctx, "webhook signature refused", "app", chi.URLParam(r, "app"))
			http.Error(w, "invalid signature", http.StatusUnauthorized)
			return
		}
		err = d.Store.InsertWebhookEvent(ctx, app.ID, app.Sandbox, body)
		if err != nil {
			// Not stored: Meta must retry, so anything but 200.
			received.Inc("error")
			d.Logger.ErrorContext(ctx, "store webhook", "error", err)
			http.Error(w, "temporarily unavailable", http.StatusServiceUnavailable)
			return
		}
		received.Inc("stored")
		if d.Stored != nil {
			d.Stored()
		}
		w.WriteHeader(http.StatusOK)
	}
}
