package i18n

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func TestEveryMessageHasBothLanguages(t *testing.T) {
	seen := map[string]bool{}
	for _, c := range catalogs {
		for key, m := range c {
			if seen[key] {
				t.Errorf("%s is in two catalog files", key)
			}
			seen[key] = true
			checkMessage(t, key, m)
		}
	}
}

func checkMessage(t *testing.T, key string, m entry) {
	t.Helper()
	if strings.TrimSpace(m.en) == "" || strings.TrimSpace(m.it) == "" {
		t.Errorf("%s lacks a language", key)
	}
	if strings.Count(m.en, "%") != strings.Count(m.it, "%") {
		t.Errorf("%s: English and Italian take different arguments", key)
	}
}

// TestEveryKeyUsedExists scans the interface's source for message keys, so a
// typo shows up here rather than as a raw key on a page.
func TestEveryKeyUsedExists(t *testing.T) {
	keyRE := regexp.MustCompile(`"((?:login|form|field|error|flash|nav|password|sessions|tenants|tenant|plans|users|user|audit|agent|admin|numbers|number|apikeys|simulator|webhooks|apps|live|conversation|explain|operator|onboarding)\.[a-z_]+(?:\.[a-z_]+)*)"`)
	auditActions := map[string]bool{"tenant.create": true, "user.create": true, "user.password_change": true,
		"number.add": true, "number.token_replace": true, "webhooks.replay": true, "meta_app.create": true, "simulator.js": true, "tenant.stop_words": true,
		"user.invite": true, "user.reinvite": true, "user.invitation_accept": true, "user.deactivate": true, "user.reactivate": true, "tenant.plan": true}
	root := filepath.Join("..")
	err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasSuffix(path, "_test.go") || strings.HasSuffix(path, "_templ.go") {
			return err
		}
		if !strings.HasSuffix(path, ".go") && !strings.HasSuffix(path, ".templ") {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range keyRE.FindAllStringSubmatch(string(b), -1) {
			if !Has(m[1]) && !auditActions[m[1]] {
				t.Errorf("%s uses unknown message key %q", path, m[1])
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestNegotiate(t *testing.T) {
	cases := map[string]Lang{
		"":                        English,
		"it":                      Italian,
		"it-IT,it;q=0.9,en;q=0.8": Italian,
		"en-GB,en;q=0.9,it;q=0.8": English,
		"de-DE,it;q=0.5":          Italian,
		"fr, en;q=0.2, it;q=0.7":  Italian,
		"garbage;;q=x,,":          English,
	}
	for header, want := range cases {
		if got := Negotiate(header); got != want {
			t.Errorf("Negotiate(%q) = %s, want %s", header, got, want)
		}
	}
}

func TestTranslateFormatsOnlyWhenAsked(t *testing.T) {
	ctx := WithLang(context.Background(), Italian)
	if got := T(ctx, "flash.tenant_created", "Acme"); got != "Azienda Acme creata." {
		t.Fatalf("got %q", got)
	}
	if got := T(ctx, "flash.signed_out", ""); strings.Contains(got, "EXTRA") {
		t.Fatalf("an unused argument leaked: %q", got)
	}
	if got := T(ctx, "no.such.key"); got != "no.such.key" {
		t.Fatalf("missing key shows %q", got)
	}
}
