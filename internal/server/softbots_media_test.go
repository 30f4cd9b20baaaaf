package server_test

import (
	"bytes"
	"context"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/jackc/pgx/v5"

	"switchboard/internal/domain"
	"switchboard/internal/server/servertest"
	"switchboard/internal/storage"
	"switchboard/internal/storage/storagetest"
	"switchboard/internal/whatsapp/fakemeta"
)

// uploads is Meta's id of each upload of the tenant's files through the
// sandbox number, newest last.
func (w *botWorld) uploads() []string {
	w.t.Helper()
	var ids []string
	err := w.app.DB.Store.InPlatform(context.Background(), func(tx pgx.Tx) error {
		rows, err := tx.Query(context.Background(), `SELECT meta_media_id FROM media_uploads
			WHERE tenant_id = $1 AND number_id = $2 ORDER BY uploaded_at`, w.tenantID, w.n.ID)
		if err != nil {
			return err
		}
		ids, err = pgx.CollectRows(rows, pgx.RowTo[string])
		return err
	})
	if err != nil {
		w.t.Fatal(err)
	}
	return ids
}

// picture checks that the customer's last message carries the picture.
func (w *botWorld) picture(e fakemeta.Event, want []byte) {
	w.t.Helper()
	if e.Media == nil || e.Media.ID == "" {
		w.t.Fatalf("the customer got no file: %+v", e)
	}
	data, mimeType, err := w.app.Sandbox.Fake.MediaContent(e.Media.ID)
	if err != nil || !bytes.Equal(data, want) || mimeType != "image/png" {
		w.t.Fatalf("the customer's file: %d bytes of %q, %v", len(data), mimeType, err)
	}
}

// TestBrowserKeywordRuleAnswersWithAFile: the administrator gives a rule a
// picture in Chromium; customers writing the keyword get the picture with
// its caption through the sandbox. When Meta forgets the upload (its ids
// live 30 days) the next answer uploads the file again, as it does once our
// own record of the upload is a month old. With a button added, the
// picture heads a message with the button, and the agent sees it too.
func TestBrowserKeywordRuleAnswersWithAFile(t *testing.T) {
	t.Parallel()
	w := newBotWorld(t)
	picture := samplePNG(t)
	path := filepath.Join(t.TempDir(), "menu.png")
	if err := os.WriteFile(path, picture, 0o600); err != nil {
		t.Fatal(err)
	}
	b := newBotBrowser(t, w.app)
	b.do("add a rule answering with a picture",
		chromedp.Navigate(w.app.URL+"/admin/rules"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=no-rules]`)),
		chromedp.SendKeys(chromedp.CSS(`[data-testid=rule-form] #f-name`), "Menu"),
		chromedp.SendKeys(chromedp.CSS(`[data-testid=rule-form] #f-pattern`), "menu"),
		chromedp.SendKeys(chromedp.CSS(`[data-testid=rule-form] #f-reply`), "Today's menu"),
		chromedp.SetUploadFiles(chromedp.CSS(`[data-testid=rule-file-input]`), []string{path}),
		chromedp.Click(chromedp.CSS(`[data-testid=rule-submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=rule-row][data-rule="Menu"] [data-testid=rule-file]`)))
	if got := b.eval(`document.querySelector("[data-testid=rule-file]").textContent`); got != "photo: menu.png" {
		t.Errorf("the list names the file %q", got)
	}

	w.sends("447700900201", fakemeta.InboundMessage{Text: "Can I see the menu?"})
	got := w.receives("447700900201", 1)
	if got[0].Type != "image" || got[0].Text != "Today's menu" {
		t.Fatalf("the customer got %+v", got[0])
	}
	w.picture(got[0], picture)
	first := w.uploads()
	if len(first) != 1 || first[0] != got[0].Media.ID {
		t.Fatalf("uploads %v, sent %s", first, got[0].Media.ID)
	}

	// A second customer: the same upload serves.
	w.sends("447700900202", fakemeta.InboundMessage{Text: "menu"})
	w.picture(w.receives("447700900202", 1)[0], picture)
	if now := w.uploads(); len(now) != 1 || now[0] != first[0] {
		t.Fatalf("uploads after a second answer: %v", now)
	}

	// Meta forgets the upload: refused with 131053, uploaded again, sent.
	if !w.app.Sandbox.Fake.ExpireMedia(first[0]) {
		t.Fatal("the fake does not know the upload")
	}
	w.sends("447700900203", fakemeta.InboundMessage{Text: "menu"})
	third := w.receives("447700900203", 1)[0]
	w.picture(third, picture)
	second := w.uploads()
	if len(second) != 1 || second[0] == first[0] || third.Media.ID != second[0] || third.Status == "failed" {
		t.Fatalf("after Meta forgot the file: uploads %v, sent %+v", second, third)
	}

	// Our record of the upload is four weeks old: uploaded again before
	// Meta could refuse it.
	w.exec(`UPDATE media_uploads SET uploaded_at = now() - interval '28 days 1 minute' WHERE tenant_id = $1`, w.tenantID)
	w.sends("447700900204", fakemeta.InboundMessage{Text: "menu"})
	fourth := w.receives("447700900204", 1)[0]
	w.picture(fourth, picture)
	if now := w.uploads(); len(now) != 1 || now[0] == second[0] || fourth.Media.ID != now[0] {
		t.Fatalf("after four weeks: uploads %v, sent %+v", now, fourth)
	}

	// A button under the picture: the file stays without being chosen again.
	b.do("add a button",
		chromedp.Click(chromedp.CSS(`[data-testid=rule-row][data-rule="Menu"] [data-testid=rule-edit]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=rule-file-current]`)),
		b.set(`[data-testid=rule-form] #f-button_1`, "Book a table"),
		chromedp.Click(chromedp.CSS(`[data-testid=rule-submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=flash]`)))
	// The earlier customers' conversations end, so Anna is free for the next.
	for _, customer := range []string{"447700900201", "447700900202", "447700900203", "447700900204"} {
		c := w.conversation(customer, "open", func(domain.Conversation) bool { return true })
		if err := w.app.Routing.Close(context.Background(), w.tenantID, c.ID, "test"); err != nil {
			t.Fatal(err)
		}
	}
	w.available(w.app.F.A.Agent.ID)
	w.sends("447700900205", fakemeta.InboundMessage{Text: "menu please"})
	fifth := w.receives("447700900205", 1)[0]
	if fifth.Type != "interactive" || len(fifth.Choices) != 1 || fifth.Choices[0].Title != "Book a table" || !strings.Contains(fifth.Text, "Today's menu") {
		t.Fatalf("with a button the customer got %+v", fifth)
	}
	w.picture(fifth, picture)

	// The agent who gets the conversation sees the picture above the button.
	c := w.conversation("447700900205", "assigned to Anna", func(c domain.Conversation) bool { return c.AssignedAgentID == w.app.F.A.Agent.ID })
	agent := w.app.Client(t)
	agent.MustLogin(w.app.F.A.Agent.Email, storagetest.Password)
	page := agent.Get("/agent/conversations/" + c.ID)
	if page.Status != http.StatusOK || !page.Has(`[data-testid=message-image]`) || !strings.Contains(page.Body, "Book a table") {
		t.Fatalf("the agent's view (%d) lacks the picture or the button", page.Status)
	}
}

// TestKeywordRuleFileRefusedAndReplaced: a file WhatsApp would not send, an
// audio with a caption, and buttons under an audio are refused beside their
// field with nothing kept; a file replaced before any customer got it is
// deleted with its bytes, and a file customers got stays with their
// conversations when the rule lets it go.
func TestKeywordRuleFileRefusedAndReplaced(t *testing.T) {
	t.Parallel()
	app := servertest.New(t)
	numberWithSkillsets(t, app)
	admin := app.Client(t)
	admin.MustLogin(app.F.A.Admin.Email, storagetest.Password)
	admin.Get("/admin/rules")
	rule := func(extra url.Values) url.Values {
		v := url.Values{"name": {"Price list"}, "match": {"contains"}, "pattern": {"prices"}, "active": {"on"}}
		for k, x := range extra {
			v[k] = x
		}
		return v
	}
	mediaRows := func() int {
		var n int
		_ = app.DB.Store.InPlatform(context.Background(), func(tx pgx.Tx) error {
			return tx.QueryRow(context.Background(), `SELECT count(*) FROM media WHERE tenant_id = $1`, app.F.A.ID).Scan(&n)
		})
		return n
	}
	for _, c := range []struct {
		what, filename, mimeType string
		data                     []byte
		values                   url.Values
		field, says              string
	}{
		{"a program", "setup.exe", "application/x-msdownload", []byte("MZ"), rule(url.Values{"reply": {"x"}}), "reply_media", "does not send this kind of file"},
		{"an audio with a caption", "hello.mp3", "audio/mpeg", []byte("ID3"), rule(url.Values{"reply": {"Listen"}}), "reply", "no text with an audio"},
		{"buttons under an audio", "hello.mp3", "audio/mpeg", []byte("ID3"), rule(url.Values{"button_1": {"OK"}, "reply": {"Listen"}}), "reply_media", "not under an audio"},
		{"an empty file", "empty.pdf", "application/pdf", nil, rule(nil), "reply_media", "empty"},
	} {
		r := admin.PostFile("/admin/rules", c.values, "reply_media", c.filename, c.mimeType, c.data)
		if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Text("[data-testid=error-"+c.field+"]"), c.says) {
			t.Errorf("%s: %d, %q", c.what, r.Status, r.Text("[data-testid=error-"+c.field+"]"))
		}
		if !strings.Contains(r.Body, `value="Price list"`) {
			t.Errorf("%s: the form lost what was typed", c.what)
		}
	}
	// A good file with a bad pattern: the pattern is named, the file is not
	// kept, and the form says to choose it again.
	r := admin.PostFile("/admin/rules", rule(url.Values{"pattern": {""}, "reply": {"x"}}), "reply_media", "prices.pdf", "application/pdf", []byte("%PDF-1.4"))
	if r.Status != http.StatusUnprocessableEntity || !r.Has("[data-testid=error-pattern]") || !r.Has("[data-testid=rule-file-again]") {
		t.Errorf("a bad pattern with a file: %d, again %v", r.Status, r.Has("[data-testid=rule-file-again]"))
	}
	if rules, _ := app.DB.Store.ListKeywordRules(context.Background(), app.F.A.ID); len(rules) != 0 || mediaRows() != 0 {
		t.Fatalf("refused forms kept %d rules and %d files", len(rules), mediaRows())
	}

	// A PDF answers; replaced by another before anyone got it: the first goes.
	r = admin.PostFile("/admin/rules", rule(url.Values{"reply": {"Our prices"}}), "reply_media", "prices-2026.pdf", "application/pdf", []byte("%PDF-1.4 2026"))
	if r.Status != http.StatusSeeOther {
		t.Fatalf("a PDF answer: %d %s", r.Status, r.Text("[data-testid=error-reply_media]"))
	}
	rules, _ := app.DB.Store.ListKeywordRules(context.Background(), app.F.A.ID)
	if len(rules) != 1 || rules[0].Reply.Media == nil || rules[0].Reply.Media.Kind != "document" || rules[0].Reply.Media.Filename != "prices-2026.pdf" {
		t.Fatalf("stored %+v", rules)
	}
	old := rules[0].Reply.Media.ID
	oldKey := mediaKey(t, app, old)
	r = admin.PostFile("/admin/rules/"+rules[0].ID, rule(url.Values{"reply": {"Our prices"}}), "reply_media", "prices-2027.pdf", "application/pdf", []byte("%PDF-1.4 2027"))
	if r.Status != http.StatusSeeOther {
		t.Fatalf("replace the PDF: %d", r.Status)
	}
	if mediaRows() != 1 {
		t.Errorf("%d files after a replacement, want 1", mediaRows())
	}
	if _, err := app.Blobs.Open(context.Background(), oldKey); err == nil {
		t.Error("the replaced file's bytes are still stored")
	}
	// A customer got the new one (a message carries it): removing the file
	// from the rule keeps it for that conversation.
	rules, _ = app.DB.Store.ListKeywordRules(context.Background(), app.F.A.ID)
	current := rules[0].Reply.Media.ID
	if current == old {
		t.Fatal("the file was not replaced")
	}
	markSent(t, app, current)
	// The only customer who got it is erased: the file stays, the rule
	// still answers with it.
	contactID := ""
	_ = app.DB.Store.InPlatform(context.Background(), func(tx pgx.Tx) error {
		return tx.QueryRow(context.Background(), `SELECT id FROM contacts WHERE tenant_id = $1 AND wa_id = '447700900299'`, app.F.A.ID).Scan(&contactID)
	})
	if _, err := app.DB.Store.EraseContact(context.Background(), app.F.A.ID, storage.Actor{Email: "test"}, contactID, "447700900299"); err != nil {
		t.Fatal(err)
	}
	if _, err := app.DB.Store.Media(context.Background(), app.F.A.ID, current); err != nil {
		t.Fatalf("erasing the customer took the rule's file: %v", err)
	}
	markSent(t, app, current)
	r = admin.Post("/admin/rules/"+rules[0].ID, rule(url.Values{"reply": {"Our prices: example.com"}, "remove_media": {"on"}}))
	if r.Status != http.StatusSeeOther {
		t.Fatalf("remove the file: %d", r.Status)
	}
	rules, _ = app.DB.Store.ListKeywordRules(context.Background(), app.F.A.ID)
	if rules[0].Reply.Media != nil || rules[0].Reply.Text != "Our prices: example.com" || mediaRows() != 1 {
		t.Fatalf("after removing: %+v, %d files", rules[0].Reply, mediaRows())
	}
}

// mediaKey is a media row's key in the blob store.
func mediaKey(t *testing.T, app *servertest.App, id string) string {
	t.Helper()
	m, err := app.DB.Store.Media(context.Background(), app.F.A.ID, id)
	if err != nil {
		t.Fatal(err)
	}
	return m.BlobKey
}

// markSent records a message to a customer carrying the file, as a rule's
// answer leaves behind.
func markSent(t *testing.T, app *servertest.App, mediaID string) {
	t.Helper()
	err := app.DB.Store.InPlatform(context.Background(), func(tx pgx.Tx) error {
		_, err := tx.Exec(context.Background(), `WITH n AS (SELECT id FROM numbers WHERE tenant_id = $1 LIMIT 1),
			ct AS (INSERT INTO contacts (tenant_id, wa_id) VALUES ($1, '447700900299') RETURNING id),
			c AS (INSERT INTO conversations (tenant_id, number_id, contact_id, status) SELECT $1, n.id, ct.id, 'closed' FROM n, ct RETURNING id)
			INSERT INTO messages (tenant_id, conversation_id, wamid, direction, type, media_id, wa_timestamp)
			SELECT $1, c.id, 'wamid.rule-file', 'outbound', 'document', $2, now() FROM c`,
			app.F.A.ID, mediaID)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestKeywordRuleWithAFileGoneDoesNotLoseMessages: a rule naming a file
// that no longer exists cannot answer, but the customer's message is
// still taken in (no failed webhook) and the rule's tags still apply.
func TestKeywordRuleWithAFileGoneDoesNotLoseMessages(t *testing.T) {
	t.Parallel()
	w := newBotWorld(t)
	w.exec(`INSERT INTO keyword_rules (tenant_id, position, name, match, pattern, reply, set_tags)
		VALUES ($1, 1, 'Menu', 'contains', 'menu', '{"type":"image","media_id":"00000000-0000-4000-8000-000000000001","text":"Menu"}', '{menu}')`, w.tenantID)
	const customer = "447700900301"
	w.sends(customer, fakemeta.InboundMessage{Text: "menu?"})
	c := w.conversation(customer, "queued", func(c domain.Conversation) bool { return c.Status == "queued" })
	var tags []string
	var failed int
	_ = w.app.DB.Store.InPlatform(context.Background(), func(tx pgx.Tx) error {
		if err := tx.QueryRow(context.Background(), `SELECT tags FROM contacts WHERE id = $1`, c.ContactID).Scan(&tags); err != nil {
			return err
		}
		return tx.QueryRow(context.Background(), `SELECT count(*) FROM webhook_events WHERE state = 'failed'`).Scan(&failed)
	})
	if len(tags) != 1 || tags[0] != "menu" || failed != 0 {
		t.Fatalf("tags %v, failed webhook events %d", tags, failed)
	}
	w.quiet(customer, 0)
	if !strings.Contains(w.app.Logs.String(), "file_missing=true") {
		t.Error("the unusable rule was not logged")
	}
}
