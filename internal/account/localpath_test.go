package account

import "testing"

func TestLocalPathKeepsRedirectsOnTheSite(t *testing.T) {
	for next, want := range map[string]string{
		"/admin/users":           "/admin/users",
		"/admin?x=1":             "/admin?x=1",
		"//evil.example/x":       "/",
		"/\t/evil.example/x":     "/",
		"/\\evil.example":        "/",
		"/ /evil.example":        "/",
		"https://evil.example/x": "/",
		"evil.example":           "/",
		"/\n/evil.example":       "/",
		"":                       "/",
	} {
		if got := localPath(next, "/"); got != want {
			t.Errorf("localPath(%q) = %q, want %q", next, got, want)
		}
	}
}
