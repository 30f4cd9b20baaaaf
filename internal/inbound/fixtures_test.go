package inbound_test

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"switchboard/internal/number"
	"switchboard/internal/storage"
	"switchboard/internal/whatsapp/webhook"
)

// TestEveryFixtureOfTheContractIsApplied posts every payload of the parser's
// contract fixtures (every message type, status and field) as Meta would,
// and checks that each valid message and status is stored, the template
// and number events recorded, and nothing else fails.
func TestEveryFixtureOfTheContractIsApplied(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	ctx := context.Background()
	// The other numbers of the batch fixture, for tenant B.
	for _, n := range []number.AddInput{
		{TenantID: h.app.F.B.ID, PhoneNumberID: "200000000000001", DisplayPhone: "+1 555 000 1111", WABAID: "102290129340399", AccessToken: "token-b-00001"},
	} {
		if _, err := h.app.Numbers.Add(ctx, storage.Actor{Email: "test"}, n); err != nil {
			t.Fatal(err)
		}
	}
	files, _ := filepath.Glob("../whatsapp/webhook/testdata/*.json")
	if len(files) < 40 {
		t.Fatalf("only %d fixtures found", len(files))
	}
	wantMessages := map[string]string{} // wamid → type
	wantStatuses := 0
	templateEvents := 0
	for i, f := range files {
		body, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		// The fixtures reuse Meta's example ids; make each file's ids its
		// own (consistently, so replies and reactions still find their
		// message) so that every message counts.
		body = []byte(strings.ReplaceAll(string(body), "wamid.", "wamid.f"+strconv.Itoa(i)+"_"))
		p, err := webhook.Parse(body)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for v, m := range p.Messages() {
			if !m.Invalid && (v.Metadata.PhoneNumberID == h.n.PhoneNumberID || v.Metadata.PhoneNumberID == "200000000000001") {
				wantMessages[m.ID] = m.Type
			}
		}
		for v, s := range p.Statuses() {
			if !s.Invalid && v.Metadata.PhoneNumberID == h.n.PhoneNumberID {
				wantStatuses++
			}
		}
		for _, e := range p.Entries {
			for _, c := range e.Changes {
				if c.TemplateStatus != nil || c.TemplateQuality != nil || c.TemplateCategory != nil {
					templateEvents++
				}
			}
		}
		if code := h.post(body, ""); code != 200 {
			t.Fatalf("%s: %d", f, code)
		}
		h.post(body, "") // and once more, as Meta's retries do
	}
	h.process()
	for _, e := range h.events("failed") {
		// The fixtures include a message Meta itself could not deliver in a
		// usable form, and a number of the batch nobody connected: those
		// are kept with their reason, and nothing else.
		if !strings.Contains(e.Reason, "invalid message") && !strings.Contains(e.Reason, `unknown phone_number_id "300000000000001"`) {
			t.Errorf("event %d failed: %s", e.ID, e.Reason)
		}
	}
	if len(wantMessages) < 30 {
		t.Fatalf("only %d messages expected from the fixtures", len(wantMessages))
	}
	var gotMessages, gotStatuses, gotTemplates int
	err := h.app.DB.Store.InPlatform(ctx, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT wamid, type FROM messages`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var wamid, typ string
			if err := rows.Scan(&wamid, &typ); err != nil {
				return err
			}
			want, ok := wantMessages[wamid]
			if !ok {
				t.Errorf("unexpected message %s", wamid)
				continue
			}
			if want != typ {
				t.Errorf("message %s stored as %s, parsed as %s", wamid, typ, want)
			}
			gotMessages++
		}
		if err := rows.Err(); err != nil {
			return err
		}
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM message_statuses`).Scan(&gotStatuses); err != nil {
			return err
		}
		return tx.QueryRow(ctx, `SELECT count(*) FROM template_events`).Scan(&gotTemplates)
	})
	if err != nil {
		t.Fatal(err)
	}
	if gotMessages != len(wantMessages) {
		t.Errorf("%d messages stored, want %d (each once, though every POST came twice)", gotMessages, len(wantMessages))
	}
	if gotStatuses == 0 || gotStatuses > wantStatuses {
		t.Errorf("%d statuses stored for %d in the fixtures", gotStatuses, wantStatuses)
	}
	if gotTemplates != templateEvents {
		t.Errorf("%d template events stored, want %d", gotTemplates, templateEvents)
	}
	n, _ := h.app.DB.Store.Number(ctx, h.n.TenantID, h.n.ID)
	if n.MessagingLimit == "" {
		t.Errorf("phone_number_quality_update not applied to the number: %+v", n)
	}
	events, _ := h.app.DB.Store.ListNumberEvents(ctx, h.n.TenantID, h.n.ID, 100)
	fields := map[string]bool{}
	for _, e := range events {
		fields[e.Field] = true
	}
	for _, f := range []string{"phone_number_quality_update", "account_update", "messages.errors"} {
		if !fields[f] {
			t.Errorf("no %s event recorded on the number", f)
		}
	}
}
