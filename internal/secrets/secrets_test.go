package secrets

import (
	"strings"
	"testing"
)

func TestSealOpenBindsTenantAndField(t *testing.T) {
	b, err := New([]byte("0123456789abcdef0123456789abcdef"))
	if err != nil {
		t.Fatal(err)
	}
	s, err := b.Seal("tenant-a", "numbers.access_token", "EAAG-secret-token")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(s, "v1.") || strings.Contains(s, "EAAG") {
		t.Fatalf("sealed value %q", s)
	}
	if got, err := b.Open("tenant-a", "numbers.access_token", s); err != nil || got != "EAAG-secret-token" {
		t.Fatalf("open: %q %v", got, err)
	}
	for _, c := range []struct{ tenant, field, value string }{
		{"tenant-b", "numbers.access_token", s},
		{"tenant-a", "meta_apps.app_secret", s},
		{"tenant-a", "numbers.access_token", s[:len(s)-2] + "AA"},
		{"tenant-a", "numbers.access_token", "v9." + s[3:]},
		{"tenant-a", "numbers.access_token", "garbage"},
	} {
		if _, err := b.Open(c.tenant, c.field, c.value); err != ErrUndecryptable {
			t.Errorf("open(%s, %s) = %v, want ErrUndecryptable", c.tenant, c.field, err)
		}
	}
	other, _ := New([]byte("another-secret-key-of-32-bytes!!"))
	if _, err := other.Open("tenant-a", "numbers.access_token", s); err == nil {
		t.Fatal("opened with another SECRET_KEY")
	}
	if s2, _ := b.Seal("tenant-a", "numbers.access_token", "EAAG-secret-token"); s2 == s {
		t.Fatal("two seals are equal: nonce reused")
	}
}

func TestMask(t *testing.T) {
	if Mask("EAAGabcdef1234") != "••••1234" || Mask("short") != "••••" {
		t.Fatal(Mask("EAAGabcdef1234"))
	}
}
