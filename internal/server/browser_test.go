package server_test

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"switchboard/internal/server/browsertest"
	"switchboard/internal/server/servertest"
	"switchboard/internal/storage/storagetest"
)

// TestBrowserSignInInEnglishAndItalian signs in with a real Chromium: the
// administrator lands on the admin home, switches to Italian, signs out; the
// agent then signs in and sees the agent home in Italian (the browser keeps
// the choice), and the operator, back in English, sees the tenants.
func TestBrowserSignInInEnglishAndItalian(t *testing.T) {
	t.Parallel()
	app := servertest.New(t)
	ctx := browsertest.New(t)
	signIn := func(email string) chromedp.Action[chromedp.Void] {
		return chromedp.Steps(
			chromedp.Navigate(app.URL+"/login"),
			chromedp.WaitVisible(chromedp.CSS(`[data-testid=login]`)),
			chromedp.SendKeys(chromedp.CSS(`#f-email`), email),
			chromedp.SendKeys(chromedp.CSS(`#f-password`), storagetest.Password),
			chromedp.Click(chromedp.CSS(`[data-testid=login-submit]`)),
		)
	}
	do := func(steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, steps...); err != nil {
			t.Fatalf("browser: %v\nserver log:\n%s", err, app.Logs.String())
		}
	}
	text := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			t.Fatalf("browser: text of %s: %v", sel, err)
		}
		return strings.TrimSpace(s)
	}

	do(signIn(app.F.A.Admin.Email), chromedp.WaitVisible(chromedp.CSS(`[data-testid=admin-home]`)))
	if h1 := text(`[data-testid=admin-home] h1`); h1 != app.F.A.Name {
		t.Errorf("admin home heading %q, want %q", h1, app.F.A.Name)
	}
	if nav := text(`[data-testid=nav-users]`); nav != "Users" {
		t.Errorf("English menu says %q", nav)
	}
	do(chromedp.Click(chromedp.CSS(`[data-testid=lang-it]`)), chromedp.WaitVisible(chromedp.CSS(`html[lang=it] [data-testid=admin-home]`)))
	if nav := text(`[data-testid=nav-users]`); nav != "Utenti" {
		t.Errorf("after switching to Italian the menu says %q", nav)
	}
	do(chromedp.Click(chromedp.CSS(`[data-testid=logout]`)), chromedp.WaitVisible(chromedp.CSS(`[data-testid=flash]`)))
	if flash := text(`[data-testid=flash]`); flash != "Sei uscito." {
		t.Errorf("sign-out message %q", flash)
	}

	do(signIn(app.F.A.Agent.Email), chromedp.WaitVisible(chromedp.CSS(`[data-testid=agent-home]`)))
	if h1 := text(`[data-testid=agent-home] h1`); !strings.HasPrefix(h1, "Ciao, ") {
		t.Errorf("agent home in Italian says %q", h1)
	}
	lang, err := chromedp.Run(ctx, chromedp.AttributeValue(chromedp.CSS(`html`), "lang"))
	if err != nil || lang.Value != "it" {
		t.Errorf("html lang = %+v (%v), want it", lang, err)
	}
	do(chromedp.Click(chromedp.CSS(`[data-testid=logout]`)), chromedp.WaitVisible(chromedp.CSS(`[data-testid=login]`)),
		chromedp.Click(chromedp.CSS(`[data-testid=lang-en]`)), chromedp.WaitVisible(chromedp.CSS(`html[lang=en] [data-testid=login]`)))

	do(signIn(app.F.Operator.Email), chromedp.WaitVisible(chromedp.CSS(`[data-testid=tenants]`)))
	if tenants := text(`[data-testid=tenants]`); !strings.Contains(tenants, "Alpha Srl") || !strings.Contains(tenants, "Beta SpA") {
		t.Errorf("operator's tenants: %q", tenants)
	}
}
