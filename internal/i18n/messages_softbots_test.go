package i18n

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestSoftbotKeysExist scans the softbot engine, the store and the
// administrator's softbot pages for their message keys (the engine's
// bot.err.* and rule.err.* problems included), and the keys those pages
// build from a value (a step's kind, a match, a language, a reason), so no
// page shows a raw key.
func TestSoftbotKeysExist(t *testing.T) {
	keyRE := regexp.MustCompile(`"((?:bots|rules|auto|bot\.err|rule\.err)\.[a-z_]+)"`)
	files, err := filepath.Glob("../softbot/*.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, pattern := range []string{"../admin/automation*", "../admin/bots*", "../admin/rules*", "../admin/softbots_view.go",
		"../storage/automation.go", "../storage/keyword_rules.go", "../storage/bots.go"} {
		more, err := filepath.Glob(pattern)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, more...)
	}
	if len(files) < 10 {
		t.Fatalf("only %d files found: %v", len(files), files)
	}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") || strings.HasSuffix(f, "_templ.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range keyRE.FindAllStringSubmatch(string(b), -1) {
			if strings.HasSuffix(m[1], "_") {
				continue // a prefix completed below
			}
			if !Has(m[1]) {
				t.Errorf("%s uses unknown message key %q", f, m[1])
			}
		}
	}
	built := []string{"bot.name_taken", "nav.bots", "nav.rules", "auto.open", "auto.open_hint"}
	for _, k := range []string{"buttons", "list", "answer", "collect", "handoff"} {
		built = append(built, "bots.kind_"+k)
	}
	for _, k := range []string{"text", "name", "email", "number"} {
		built = append(built, "bots.validate_"+k)
	}
	for _, k := range []string{"exact", "contains", "regex"} {
		built = append(built, "rules.match_"+k)
	}
	for _, k := range []string{"no_match", "lost", "loop"} {
		built = append(built, "bots.test_reason_"+k)
	}
	built = append(built, "rules.lang_en", "rules.lang_it")
	for _, k := range built {
		if !Has(k) {
			t.Errorf("missing message key %q", k)
		}
	}
}
