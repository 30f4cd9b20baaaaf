package server_test

import (
	"context"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"switchboard/internal/server/servertest"
)

// browserSteps gives a browser test its two helpers on ctx, a tab from
// browsertest.New. do runs steps under a deadline of their own (15 s unless
// stepTimeout says otherwise), so a step that never finishes fails at once
// and by its name rather than at the tab's 90 s, and the failure carries the
// end of the server's log, where the reason usually is. eval returns the
// string a script gives (awaited if it is a promise).
func browserSteps(t *testing.T, app *servertest.App, ctx context.Context, opts ...stepOption) (do func(string, ...chromedp.Action[chromedp.Void]), eval func(string) string) {
	t.Helper()
	cfg := stepConfig{timeout: 15 * time.Second}
	for _, o := range opts {
		o(&cfg)
	}
	do = func(what string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		wctx, cancel := context.WithTimeout(ctx, cfg.timeout)
		defer cancel()
		if err := chromedp.Do(wctx, steps...); err != nil {
			if cfg.onFailure != nil {
				cfg.onFailure()
			}
			t.Fatalf("browser: %s: %v\nserver log:\n%s", what, err, logTail(app.Logs.String()))
		}
	}
	eval = func(js string) string {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Evaluate[string](js, chromedp.EvalAwaitPromise))
		if err != nil {
			t.Fatalf("browser: %s: %v", js, err)
		}
		return v
	}
	return do, eval
}

type stepConfig struct {
	timeout   time.Duration
	onFailure func()
}

// stepOption changes one of browserSteps' defaults.
type stepOption func(*stepConfig)

// stepTimeout gives each call of do d instead of 15 s: for pages that wait
// on the workers (routing, the sandbox's Meta) or on a long import.
func stepTimeout(d time.Duration) stepOption {
	return func(c *stepConfig) { c.timeout = d }
}

// onStepFailure runs f when a call of do fails, before the test stops (a
// screenshot of the page, say).
func onStepFailure(f func()) stepOption {
	return func(c *stepConfig) { c.onFailure = f }
}
