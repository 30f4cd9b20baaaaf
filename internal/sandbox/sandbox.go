// Package sandbox runs our fake of Meta (internal/whatsapp/fakemeta) inside
// serve for sandbox numbers, and keeps it in step with the numbers in
// Postgres. A sandbox number is a number like any other to the rest of
// Switchboard: its webhooks arrive signed at /webhooks/whatsapp/sandbox and
// its Graph API calls go to /sandbox/graph.
package sandbox

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"time"

	"switchboard/internal/domain"
	"switchboard/internal/number"
	"switchboard/internal/storage"
	"switchboard/internal/whatsapp/fakemeta"
)

// Sandbox owns the in-process fake.
type Sandbox struct {
	Fake    *fakemeta.Server
	store   *storage.Store
	numbers *number.Service
	logger  *slog.Logger
}

// New builds the fake; base is this server's own URL as the fake reaches it
// (e.g. http://127.0.0.1:8080), appSecret the sandbox app's secret.
func New(store *storage.Store, numbers *number.Service, logger *slog.Logger, base, appSecret, apiVersion string) *Sandbox {
	fake := fakemeta.New(fakemeta.Config{
		AppSecret:  appSecret,
		WebhookURL: base + "/webhooks/whatsapp/sandbox",
		BaseURL:    base + "/sandbox/graph",
		APIVersion: apiVersion,
		// Template header samples of sandbox numbers are uploaded to the
		// sandbox's app (number.MetaAppID).
		AppID:  number.SandboxMetaAppID,
		Logger: logger.With("component", "sandbox"),
		// Customers and agents of a demo are not a load test.
		Throughput: -1,
		PairRate:   -1,
		// Meta takes days; the sandbox decides templates in seconds (a body
		// containing REJECTME is rejected, to try that path).
		TemplateDecisionDelay: 3 * time.Second,
		// The control API is not routed publicly; a random token keeps it
		// shut even if it were.
		ControlToken: randomToken(),
	})
	return &Sandbox{Fake: fake, store: store, numbers: numbers, logger: logger}
}

// Register tells the fake about a sandbox number (idempotent).
func (s *Sandbox) Register(n domain.Number) {
	if !n.Sandbox {
		return
	}
	token, err := s.numbers.AccessToken(n)
	if err != nil {
		s.logger.Error("sandbox: open token", "number_id", n.ID, "error", err)
		return
	}
	if err := s.Fake.AddNumber(fakemeta.Number{PhoneNumberID: n.PhoneNumberID, DisplayPhoneNumber: domain.Digits(n.DisplayPhone),
		WABAID: n.WABAID, AccessToken: token}); err != nil {
		s.logger.Error("sandbox: register number", "number_id", n.ID, "error", err)
	}
}

// Sync registers every sandbox number now and then every interval, so
// numbers added by another instance or the CLI work here too.
func (s *Sandbox) Sync(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		ns, err := s.store.ListSandboxNumbers(ctx)
		if err != nil && ctx.Err() == nil {
			s.logger.Warn("sandbox: list numbers", "error", err)
		}
		for _, n := range ns {
			s.Register(n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func randomToken() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
