package server_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"switchboard/internal/server/browsertest"
	"switchboard/internal/server/servertest"
	"switchboard/internal/storage/storagetest"
)

// seedWebhookEvent stores a webhook event as it would be after its fate, received at.
func seedWebhookEvent(t *testing.T, app *servertest.App, state string, at time.Time) {
	t.Helper()
	if _, err := app.DB.Pool.Exec(context.Background(), `INSERT INTO webhook_events (body, received_at, state) VALUES ('{}', $1, $2)`, at, state); err != nil {
		t.Fatal(err)
	}
}

// TestOperatorHealthPage: the operator sees the queues with their status (a
// webhook waiting for two minutes needs attention, the failed share of the
// hour too); an administrator and an agent are refused.
func TestOperatorHealthPage(t *testing.T) {
	t.Parallel()
	app := servertest.New(t)
	seedWebhookEvent(t, app, "pending", time.Now().Add(-2*time.Minute))
	seedWebhookEvent(t, app, "failed", time.Now().Add(-time.Minute))
	seedWebhookEvent(t, app, "processed", time.Now().Add(-10*time.Second))

	op := app.Client(t)
	op.MustLogin(app.F.Operator.Email, storagetest.Password)
	r := op.Get("/operator/health")
	if r.Status != http.StatusOK {
		t.Fatalf("operator: %d", r.Status)
	}
	figure := func(id string) (value, status string) {
		row := r.Doc.Find("[data-testid=figure-" + id + "]")
		st, _ := row.Find("[data-testid=status]").Attr("data-status")
		return row.Find("[data-testid=value]").Text(), st
	}
	for id, want := range map[string][2]string{
		"webhooks-pending":    {"1", "ok"},
		"webhooks-oldest":     {"", "attention"},
		"webhooks-failed":     {"1", "ok"},
		"webhooks-processed":  {"1", "ok"},
		"webhooks-error-rate": {"33.3%", "attention"},
		"outbox-pending":      {"0", "ok"},
		"outbox-error-rate":   {"0%", "ok"},
		"routing-waiting":     {"", "ok"},
		"media-failed":        {"0", "ok"},
		"sockets":             {"0", "ok"},
	} {
		v, st := figure(id)
		if (want[0] != "" && v != want[0]) || st != want[1] {
			t.Errorf("%s: %q %q; want %q %q", id, v, st, want[0], want[1])
		}
	}
	if !r.Has(`script[src*="health"]`) || !r.Has("[data-testid=nav-health]") {
		t.Error("no refresh script or no navigation entry")
	}

	for _, email := range []string{app.F.A.Admin.Email, app.F.A.Agent.Email} {
		c := app.Client(t)
		c.MustLogin(email, storagetest.Password)
		if r := c.Get("/operator/health"); r.Status != http.StatusForbidden {
			t.Errorf("%s: %d; want 403", email, r.Status)
		}
	}
}

// TestBrowserOperatorHealth opens the health page in Chromium from the
// navigation bar, then lets a webhook event fail behind it: within one
// refresh (10 s) the figures change without a reload.
func TestBrowserOperatorHealth(t *testing.T) {
	t.Parallel()
	app := servertest.New(t)
	seedWebhookEvent(t, app, "processed", time.Now().Add(-time.Minute))

	ctx := browsertest.New(t)
	do := func(ctx context.Context, what string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, steps...); err != nil {
			t.Fatalf("browser: %s: %v\nserver log:\n%s", what, err, logTail(app.Logs.String()))
		}
	}
	eval := func(js string) string {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Evaluate[string](js))
		if err != nil {
			t.Fatalf("browser: %s: %v", js, err)
		}
		return v
	}
	failed := `[data-testid=figure-webhooks-failed] [data-testid=value]`
	do(ctx, "sign in and open the health page",
		chromedp.Navigate(app.URL+"/login"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=login]`)),
		chromedp.SendKeys(chromedp.CSS(`#f-email`), app.F.Operator.Email),
		chromedp.SendKeys(chromedp.CSS(`#f-password`), storagetest.Password),
		chromedp.Click(chromedp.CSS(`[data-testid=login-submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=nav-health]`)),
		chromedp.Click(chromedp.CSS(`[data-testid=nav-health]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=health]`)),
	)
	if got := eval(`document.querySelector("` + failed + `").textContent.trim()`); got != "0" {
		t.Fatalf("failed webhooks before any failed: %q", got)
	}
	if got := eval(`document.querySelector("[data-testid=figure-webhooks-error-rate] [data-testid=status]").dataset.status`); got != "ok" {
		t.Fatalf("error rate status before any failure: %q", got)
	}
	eval(`window.notReloaded = "yes"`)

	seedWebhookEvent(t, app, "failed", time.Now())
	wctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	do(wctx, "the failure shows at the next refresh",
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=figure-webhooks-error-rate] [data-status=attention]`)))
	if got := eval(`document.querySelector("` + failed + `").textContent.trim()`); got != "1" {
		t.Errorf("failed webhooks after one failed: %q", got)
	}
	if got := eval(`window.notReloaded || "reloaded"`); got != "yes" {
		t.Errorf("the page reloaded instead of refreshing its figures")
	}
}
