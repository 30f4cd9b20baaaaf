package app

import (
	"context"
	"io"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"switchboard/internal/server/browsertest"
)

// TestDemoSignInsWorkInChromium is `make run` as a newcomer meets it: the
// program seeds the demo and serves; in Chromium the demo operator,
// administrator and agent each sign in with the printed sign-ins, in English
// and in Italian, and land on their home.
func TestDemoSignInsWorkInChromium(t *testing.T) {
	t.Parallel()
	c, _ := newCLI(t)
	code, printed, errs := c.run("", "demo", "seed")
	if code != 0 {
		t.Fatalf("demo seed: %s", errs)
	}
	c.env["HTTP_ADDR"] = "127.0.0.1:0"
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	logs := &syncBuffer{}
	done := make(chan int, 1)
	go func() {
		done <- Run(ctx, []string{"switchboard", "serve"}, func(k string) string { return c.env[k] }, strings.NewReader(""), io.Discard, logs)
	}()
	t.Cleanup(func() { cancel(); <-done })
	addrRE := regexp.MustCompile(`msg=listening addr=(\S+)`)
	var base string
	for deadline := time.Now().Add(20 * time.Second); base == "" && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if m := addrRE.FindStringSubmatch(logs.String()); m != nil {
			base = "http://" + m[1]
		}
	}
	if base == "" {
		t.Fatalf("serve did not start: %s", logs.String())
	}
	// The sign-ins are read from what `demo seed` printed, as a person would.
	password := regexp.MustCompile(`password for all: (\S+)\)`).FindStringSubmatch(printed)[1]
	emailOf := func(role string) string {
		return regexp.MustCompile(`(?m)^\s+` + role + `\s+(\S+)$`).FindStringSubmatch(printed)[1]
	}
	browser := browsertest.New(t)
	cases := []struct {
		email, lang, home, heading string
	}{
		{emailOf("operator"), "en", "[data-testid=tenants]", "Tenants"},
		{emailOf("administrator"), "en", "[data-testid=admin-home]", "Demo Company"},
		{emailOf("agent"), "en", "[data-testid=agent-home]", "Hello, Anna Rossi"},
		{emailOf("operator"), "it", "[data-testid=tenants]", "Aziende"},
		{emailOf("administrator"), "it", "[data-testid=admin-home]", "Demo Company"},
		{emailOf("agent"), "it", "[data-testid=agent-home]", "Ciao, Anna Rossi"},
	}
	for _, tc := range cases {
		err := chromedp.Do(browser, chromedp.Navigate(base+"/login"), chromedp.WaitVisible(chromedp.CSS(`[data-testid=login]`)))
		if err != nil {
			t.Fatal(err)
		}
		// Switch language only when the page is in the other one: waiting
		// for html[lang] then proves the new page has loaded.
		current, err := chromedp.Run(browser, chromedp.AttributeValue(chromedp.CSS(`html`), "lang"))
		if err == nil && current.Value != tc.lang {
			err = chromedp.Do(browser, chromedp.Click(chromedp.CSS(`[data-testid=lang-`+tc.lang+`]`)),
				chromedp.WaitVisible(chromedp.CSS(`html[lang=`+tc.lang+`] [data-testid=login]`)))
		}
		if err != nil {
			t.Fatal(err)
		}
		err = chromedp.Do(browser,
			chromedp.SendKeys(chromedp.CSS(`#f-email`), tc.email),
			chromedp.SendKeys(chromedp.CSS(`#f-password`), password),
			chromedp.Click(chromedp.CSS(`[data-testid=login-submit]`)),
			chromedp.WaitVisible(chromedp.CSS(`html[lang=`+tc.lang+`] `+tc.home)),
		)
		if err != nil {
			t.Fatalf("%s in %s: %v\n%s", tc.email, tc.lang, err, logs.String())
		}
		h1, err := chromedp.Run(browser, chromedp.Text(chromedp.CSS(`h1`)))
		if err != nil || strings.TrimSpace(h1) != tc.heading {
			t.Errorf("%s in %s: heading %q (%v), want %q", tc.email, tc.lang, h1, err, tc.heading)
		}
		if err := chromedp.Do(browser, chromedp.Click(chromedp.CSS(`[data-testid=logout]`)),
			chromedp.WaitVisible(chromedp.CSS(`[data-testid=login]`))); err != nil {
			t.Fatalf("%s: sign out: %v", tc.email, err)
		}
	}
}
