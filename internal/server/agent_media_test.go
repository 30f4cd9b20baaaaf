package server_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/jackc/pgx/v5"

	"switchboard/internal/domain"
	"switchboard/internal/server/browsertest"
	"switchboard/internal/server/servertest"
	"switchboard/internal/storage"
	"switchboard/internal/storage/storagetest"
	"switchboard/internal/whatsapp/fakemeta"
)

// TestBrowserAgentMediaBothWays plays a customer in the sandbox and an agent
// in Chromium. The customer sends a photo and a document: the agent sees the
// photo inline and the document with its name and size, without reloading
// (the list re-renders when the file has been downloaded). The agent
// attaches a photo with a caption and a PDF: the customer receives an image
// and a document carrying exactly those bytes, and the ticks come back. A
// file dropped on the conversation waits in the tray as what its type says;
// a pasted image is sent as a photo. The agent replies to the customer's
// photo: the customer's WhatsApp quotes it.
// A program as a document and a 6 MB photo are refused in the page, in
// words naming WhatsApp's limit, and nothing is sent or stored.
func TestBrowserAgentMediaBothWays(t *testing.T) {
	t.Parallel()
	app := servertest.New(t, servertest.Options{RunWorkers: true, RoutingSweep: 100 * time.Millisecond})
	bg := context.Background()
	st, tenantID, agent := app.DB.Store, app.F.A.ID, app.F.A.Agent
	n, _ := salesDesk(t, app)
	const customer = "393471112244"
	sends := func(m fakemeta.InboundMessage) {
		t.Helper()
		m.From, m.ProfileName = customer, "Marta"
		if _, err := app.Sandbox.Fake.CustomerSends(bg, n.PhoneNumberID, m); err != nil {
			t.Fatal(err)
		}
	}

	// Files: a real PNG, a small PDF, a program and a 6 MB "photo".
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	customerPhoto := pngOf(t, 32, 24, color.RGBA{200, 30, 30, 255})
	customerPDF := pdfOf("Preventivo 2026")
	agentPhoto := pngOf(t, 40, 30, color.RGBA{20, 90, 200, 255})
	agentPDF := pdfOf("Offerta per Marta")
	photoPath := write("catalogo.png", agentPhoto)
	pdfPath := write("offerta.pdf", agentPDF)
	exePath := write("setup.exe", append([]byte("MZ"), make([]byte, 2048)...))
	bigPath := write("enorme.png", append(agentPhoto[:8:8], make([]byte, 6<<20)...))

	ctx := browsertest.New(t)
	do, eval := browserSteps(t, app, ctx, stepTimeout(20*time.Second))
	waitFor := func(what, js string) {
		t.Helper()
		deadline := time.Now().Add(15 * time.Second)
		for eval(`String(`+js+`)`) != "true" {
			if time.Now().After(deadline) {
				t.Fatalf("%s never happened; messages:\n%s\nserver log:\n%s", what,
					eval(`document.getElementById('messages').innerHTML`), tail(app.Logs.String()))
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	outbound := func() []fakemeta.Event {
		var out []fakemeta.Event
		for _, ev := range app.Sandbox.Fake.Conversation(n.PhoneNumberID, customer) {
			if ev.Direction == fakemeta.Outbound {
				out = append(out, ev)
			}
		}
		return out
	}
	received := func(what, typ string, want []byte, filename string) fakemeta.Event {
		t.Helper()
		deadline := time.Now().Add(15 * time.Second)
		for {
			for _, ev := range outbound() {
				if ev.Type != typ || ev.Media == nil || ev.Media.ID == "" {
					continue
				}
				data, _, err := app.Sandbox.Fake.MediaContent(ev.Media.ID)
				if err == nil && bytes.Equal(data, want) {
					if filename != "" && ev.Media.Filename != filename {
						t.Fatalf("%s arrived named %q, want %q", what, ev.Media.Filename, filename)
					}
					return ev
				}
			}
			if time.Now().After(deadline) {
				t.Fatalf("the customer never received %s; received %+v\nserver log:\n%s", what, outbound(), tail(app.Logs.String()))
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	mediaRows := func() int {
		t.Helper()
		var c int
		err := st.InTenant(bg, tenantID, func(tx pgx.Tx) error {
			return tx.QueryRow(bg, `SELECT count(*) FROM media WHERE tenant_id = $1`, tenantID).Scan(&c)
		})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}

	do("sign in and be available",
		signInAvailable(app, agent.Email))
	sends(fakemeta.InboundMessage{Text: "Buongiorno, vi mando la foto e il preventivo"})
	do("open the conversation",
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=inbox-open]`)),
		clickLive(`[data-testid=inbox-open]`),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=conversation]`)),
		chromedp.WaitVisible(chromedp.CSS(`body[data-live=on]`)))

	// The customer's photo and document, live.
	sends(fakemeta.InboundMessage{Type: "image", Text: "la vetrina", Media: &fakemeta.InboundMedia{Data: customerPhoto, MIMEType: "image/png"}})
	sends(fakemeta.InboundMessage{Type: "document", Media: &fakemeta.InboundMedia{Data: customerPDF, MIMEType: "application/pdf", Filename: "preventivo.pdf"}})
	waitFor("the customer's photo shown inline, loaded",
		`[...document.querySelectorAll('[data-direction=inbound] img[data-testid=message-image]')].some(i => i.complete && i.naturalWidth === 32)`)
	waitFor("the customer's document with its name",
		`[...document.querySelectorAll('[data-testid=document-name]')].some(a => a.textContent === 'preventivo.pdf')`)
	if size := eval(`document.querySelector('[data-direction=inbound] [data-testid=document-size]').textContent`); size != fmt.Sprintf("%d B", len(customerPDF)) {
		t.Fatalf("the document's size reads %q, want %d B", size, len(customerPDF))
	}
	if got := eval(`document.querySelector('[data-direction=inbound][data-type=image] [data-testid=message-text]').textContent`); got != "la vetrina" {
		t.Fatalf("the photo's caption reads %q", got)
	}

	// The agent sends a photo with a caption, then a PDF.
	do("attach a photo", chromedp.SetUploadFiles(chromedp.CSS(`[data-testid=attach-image]`), []string{photoPath}),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=attach-tray]`)))
	if name := eval(`document.querySelector('[data-testid=attach-name]').textContent`); name != "catalogo.png" {
		t.Fatalf("the tray shows %q", name)
	}
	do("caption and send it", chromedp.SendKeys(chromedp.CSS(`[data-testid=attach-caption]`), "Ecco il catalogo"),
		chromedp.Click(chromedp.CSS(`[data-testid=attach-send]`)),
		chromedp.WaitNotVisible(chromedp.CSS(`[data-testid=attach-tray]`)))
	photo := received("the agent's photo", "image", agentPhoto, "")
	if !strings.Contains(photo.Text, "Ecco il catalogo") {
		t.Fatalf("the photo arrived with caption %q", photo.Text)
	}
	do("attach and send a PDF", chromedp.SetUploadFiles(chromedp.CSS(`[data-testid=attach-document]`), []string{pdfPath}),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=attach-tray]`)),
		chromedp.Click(chromedp.CSS(`[data-testid=attach-send]`)),
		chromedp.WaitNotVisible(chromedp.CSS(`[data-testid=attach-tray]`)))
	received("the agent's PDF", "document", agentPDF, "offerta.pdf")
	waitFor("the agent's photo shown with its ticks back",
		`!!document.querySelector('[data-direction=outbound][data-type=image]:is([data-status=delivered],[data-status=read]) img[data-testid=message-image]')`)
	waitFor("the agent's document shown with its ticks back",
		`[...document.querySelectorAll('[data-direction=outbound][data-type=document]:is([data-status=delivered],[data-status=read]) [data-testid=document-name]')].some(a => a.textContent === 'offerta.pdf')`)

	// A file dropped on the conversation goes to the tray as what its type
	// says; a pasted image (a screenshot) is sent as a photo.
	do("drop a PDF on the conversation", chromedp.Evaluate[chromedp.Void](`(() => {
		const dt = new DataTransfer();
		dt.items.add(new File(["%PDF-1.4 listino"], "listino.pdf", { type: "application/pdf" }));
		document.getElementById("conversation").dispatchEvent(new DragEvent("drop", { dataTransfer: dt, bubbles: true, cancelable: true }));
	})()`), chromedp.WaitVisible(chromedp.CSS(`[data-testid=attach-tray]`)))
	if name, as := eval(`document.querySelector('[data-testid=attach-name]').textContent`), eval(`document.querySelector('[data-testid=attach-as]').textContent`); name != "listino.pdf" || as != "Document" {
		t.Fatalf("a dropped PDF shows as %q, %q", name, as)
	}
	do("remove it", chromedp.Click(chromedp.CSS(`[data-testid=attach-cancel]`)), chromedp.WaitNotVisible(chromedp.CSS(`[data-testid=attach-tray]`)))
	pasted := pngOf(t, 20, 20, color.RGBA{250, 200, 0, 255})
	do("paste an image", chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`(() => {
		const bytes = Uint8Array.from(atob(%q), c => c.charCodeAt(0));
		const dt = new DataTransfer();
		dt.items.add(new File([bytes], "image.png", { type: "image/png" }));
		document.querySelector("[data-testid=composer-text]").dispatchEvent(new ClipboardEvent("paste", { clipboardData: dt, bubbles: true, cancelable: true }));
	})()`, base64.StdEncoding.EncodeToString(pasted))), chromedp.WaitVisible(chromedp.CSS(`[data-testid=attach-tray]`)))
	if as := eval(`document.querySelector('[data-testid=attach-as]').textContent`); as != "Photo" {
		t.Fatalf("a pasted image goes as %q", as)
	}
	do("send the pasted image", chromedp.Click(chromedp.CSS(`[data-testid=attach-send]`)),
		chromedp.WaitNotVisible(chromedp.CSS(`[data-testid=attach-tray]`)))
	received("the pasted image", "image", pasted, "")

	// A reply to the customer's photo quotes it on WhatsApp.
	photoWAMID := ""
	for _, ev := range app.Sandbox.Fake.Conversation(n.PhoneNumberID, customer) {
		if ev.Direction == fakemeta.Inbound && ev.Type == "image" {
			photoWAMID = ev.WAMID
		}
	}
	do("reply to the customer's photo",
		clickLive(`[data-direction=inbound][data-type=image] [data-testid=message-reply]`),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=reply-quote]`)))
	if q := eval(`document.querySelector('[data-testid=reply-quote-text]').textContent`); q != "la vetrina" {
		t.Fatalf("the quote above the composer reads %q", q)
	}
	do("send the reply", chromedp.SendKeys(chromedp.CSS(`[data-testid=composer-text]`), "Bellissima vetrina!"),
		chromedp.Click(chromedp.CSS(`[data-testid=composer-send]`)),
		chromedp.WaitNotVisible(chromedp.CSS(`[data-testid=reply-quote]`)))
	deadline := time.Now().Add(15 * time.Second)
	for {
		var reply *fakemeta.Event
		for _, ev := range outbound() {
			if strings.Contains(ev.Text, "Bellissima vetrina!") {
				reply = &ev
			}
		}
		if reply != nil {
			if reply.ReplyTo != photoWAMID || photoWAMID == "" {
				t.Fatalf("the reply quotes %q, want the photo %q", reply.ReplyTo, photoWAMID)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the reply never arrived\n%s", tail(app.Logs.String()))
		}
		time.Sleep(50 * time.Millisecond)
	}
	waitFor("the reply shown quoting the photo",
		`[...document.querySelectorAll('[data-direction=outbound][data-type=text]')].some(li => li.textContent.includes('Bellissima vetrina!') && (li.querySelector('[data-testid=message-quote]') || {}).textContent === 'la vetrina')`)

	// Refused in the page, in words, and nothing sent or stored.
	rows, sent := mediaRows(), len(outbound())
	do("attach a program as a document", chromedp.SetUploadFiles(chromedp.CSS(`[data-testid=attach-document]`), []string{exePath}))
	waitFor("the program refused", `document.querySelector('[data-testid=attach-error]').textContent.includes('setup.exe')`)
	if msg := eval(`document.querySelector('[data-testid=attach-error]').textContent`); !strings.Contains(msg, "cannot be sent as a document") || !strings.Contains(msg, "PDF") {
		t.Fatalf("the refusal of a program reads %q", msg)
	}
	if eval(`String(document.querySelector('[data-testid=attach-tray]').hidden)`) != "true" {
		t.Fatal("a refused file can still be sent")
	}
	do("attach a 6 MB photo", chromedp.SetUploadFiles(chromedp.CSS(`[data-testid=attach-image]`), []string{bigPath}))
	waitFor("the big photo refused", `document.querySelector('[data-testid=attach-error]').textContent.includes('enorme.png')`)
	if msg := eval(`document.querySelector('[data-testid=attach-error]').textContent`); !strings.Contains(msg, "6.0 MB") || !strings.Contains(msg, "5 MB") {
		t.Fatalf("the refusal of a 6 MB photo reads %q", msg)
	}
	time.Sleep(300 * time.Millisecond)
	if r, s := mediaRows(), len(outbound()); r != rows || s != sent {
		t.Fatalf("refused files changed things: media rows %d → %d, sent %d → %d", rows, r, sent, s)
	}
}

// TestAgentMediaUploadRefusals holds POST /agent/conversations/{id}/media to
// its rules without a browser: another agent's conversation is refused
// (403), an unknown one is 404, a wrong kind, a forbidden type, a file too
// large, a quote from another conversation and a caption under audio are
// refused with a clear message, and none of them stores a file; a photo to
// the agent's own conversation is queued as an image, once however often it
// is retried; with the window closed the same photo is refused and its file
// removed again.
func TestAgentMediaUploadRefusals(t *testing.T) {
	t.Parallel()
	app := servertest.New(t)
	bg := context.Background()
	st, tenantID, agent := app.DB.Store, app.F.A.ID, app.F.A.Agent
	actor := storage.Actor{Email: "test"}
	other, err := st.CreateUser(bg, actor, domain.User{TenantID: tenantID, Email: "bruno@alpha.test", Name: "Bruno",
		Role: domain.RoleAgent, PasswordHash: "x", Active: true})
	if err != nil {
		t.Fatal(err)
	}
	var mine, theirs, theirMessage string
	err = st.InPlatform(bg, func(tx pgx.Tx) error {
		var numberID string
		if err := tx.QueryRow(bg, `INSERT INTO numbers (tenant_id, phone_number_id, display_phone, waba_id, access_token_enc)
			VALUES ($1, '5550003', '+39 06 5550003', '778', 'x') RETURNING id`, tenantID).Scan(&numberID); err != nil {
			return err
		}
		for _, c := range []struct {
			wa   string
			conv *string
		}{{"393330011", &mine}, {"393330012", &theirs}} {
			var contact string
			if err := tx.QueryRow(bg, `INSERT INTO contacts (tenant_id, wa_id) VALUES ($1, $2) RETURNING id`, tenantID, c.wa).Scan(&contact); err != nil {
				return err
			}
			if *c.conv, err = storage.Inbound(tx).OpenConversation(bg, tenantID, numberID, contact); err != nil {
				return err
			}
		}
		if err := tx.QueryRow(bg, `INSERT INTO messages (tenant_id, conversation_id, wamid, direction, type, text, wa_timestamp)
			VALUES ($1, $2, 'wamid.theirs', 'inbound', 'text', 'Ciao', now()) RETURNING id`, tenantID, theirs).Scan(&theirMessage); err != nil {
			return err
		}
		// Assigned directly, window open: this test is about the endpoint.
		_, err := tx.Exec(bg, `UPDATE conversations SET status = 'assigned', last_inbound_at = now(),
			assigned_agent_id = CASE id WHEN $2 THEN $3::uuid ELSE $4::uuid END WHERE tenant_id = $1`, tenantID, mine, agent.ID, other)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	media := func() int {
		t.Helper()
		var c int
		if err := st.InTenant(bg, tenantID, func(tx pgx.Tx) error {
			return tx.QueryRow(bg, `SELECT count(*) FROM media WHERE tenant_id = $1`, tenantID).Scan(&c)
		}); err != nil {
			t.Fatal(err)
		}
		return c
	}
	photo := pngOf(t, 16, 16, color.RGBA{0, 128, 0, 255})

	c := app.Client(t)
	c.MustLogin(agent.Email, storagetest.Password)
	if r := c.Get("/agent/conversations/" + mine); r.Status != 200 || !r.Has(`#attach [data-testid=attach-image]`) {
		t.Fatalf("conversation page: %d, attach controls: %v", r.Status, r.Has(`#attach [data-testid=attach-image]`))
	}
	upload := func(conv string, values url.Values, filename, contentType string, data []byte) (int, map[string]any) {
		t.Helper()
		r := c.PostFile("/agent/conversations/"+conv+"/media", values, "file", filename, contentType, data)
		var answer map[string]any
		if err := json.Unmarshal([]byte(r.Body), &answer); err != nil {
			t.Fatalf("answer %d is not JSON: %s", r.Status, r.Body)
		}
		return r.Status, answer
	}
	for _, tc := range []struct {
		name     string
		conv     string
		values   url.Values
		filename string
		ctype    string
		data     []byte
		status   int
		says     string
	}{
		{"another agent's conversation", theirs, url.Values{"kind": {"image"}}, "a.png", "image/png", photo, http.StatusForbidden, "no longer assigned to you"},
		{"an unknown conversation", domain.NewID(), url.Values{"kind": {"image"}}, "a.png", "image/png", photo, http.StatusNotFound, "No such conversation"},
		{"a malformed id", "not-a-uuid", url.Values{"kind": {"image"}}, "a.png", "image/png", photo, http.StatusNotFound, "No such conversation"},
		{"a sticker from an agent", mine, url.Values{"kind": {"sticker"}}, "a.webp", "image/webp", photo, http.StatusBadRequest, "photo, a video, an audio or a document"},
		{"a program as a document", mine, url.Values{"kind": {"document"}}, "setup.exe", "application/x-msdownload", []byte("MZ...."), http.StatusUnprocessableEntity, "setup.exe cannot be sent as a document: WhatsApp accepts TXT, PDF, Excel, Word, PowerPoint"},
		{"a photo over 5 MB", mine, url.Values{"kind": {"image"}}, "big.png", "image/png", append(photo[:8:8], make([]byte, 6<<20)...), http.StatusUnprocessableEntity, "big.png is 6.0 MB: the largest photo WhatsApp accepts is 5 MB"},
		{"a PDF as a photo", mine, url.Values{"kind": {"image"}}, "a.pdf", "application/pdf", pdfOf("x"), http.StatusUnprocessableEntity, "cannot be sent as a photo: WhatsApp accepts JPEG, PNG"},
		{"a quote from another conversation", mine, url.Values{"kind": {"image"}, "reply_to": {theirMessage}}, "a.png", "image/png", photo, http.StatusBadRequest, "not in this conversation"},
		{"a caption under audio", mine, url.Values{"kind": {"audio"}, "caption": {"ascolta"}}, "a.mp3", "audio/mpeg", []byte("ID3..."), http.StatusBadRequest, "no caption under audio"},
	} {
		status, answer := upload(tc.conv, tc.values, tc.filename, tc.ctype, tc.data)
		if msg, _ := answer["error"].(string); status != tc.status || !strings.Contains(msg, tc.says) {
			t.Errorf("%s: %d %q, want %d saying %q", tc.name, status, msg, tc.status, tc.says)
		}
	}
	// Text replies check their quote too.
	if r := c.Post("/agent/conversations/"+mine+"/messages", url.Values{"text": {"Ciao"}, "reply_to": {theirMessage}}); r.Status != http.StatusBadRequest {
		t.Errorf("a text quoting another conversation's message: %d %s", r.Status, r.Body)
	}
	if got := media(); got != 0 {
		t.Fatalf("refused uploads stored %d files", got)
	}

	sent := url.Values{"kind": {"image"}, "caption": {"Ecco"}, "idempotency_key": {"photo-1"}}
	status, answer := upload(mine, sent, "foto.png", "image/png", photo)
	if status != http.StatusOK || answer["ok"] != true {
		t.Fatalf("a photo to my conversation: %d %v", status, answer)
	}
	// The same upload again (a retry after a lost answer): the same
	// message, and its second copy of the file is not kept.
	if status, again := upload(mine, sent, "foto.png", "image/png", photo); status != http.StatusOK || again["message_id"] != answer["message_id"] {
		t.Fatalf("a retried upload: %d %v, want the message %v", status, again, answer["message_id"])
	}
	if got := media(); got != 1 {
		t.Fatalf("after a retried upload %d files are kept, want 1", got)
	}
	m, err := st.Message(bg, tenantID, answer["message_id"].(string))
	if err != nil {
		t.Fatal(err)
	}
	if m.Type != "image" || m.Text != "Ecco" || m.ConversationID != mine || m.Media == nil || m.Media.State != "stored" || *m.Media.Size != int64(len(photo)) {
		t.Fatalf("the queued photo: %+v media %+v", m, m.Media)
	}

	// The window closes: the pipeline refuses, and the file goes again.
	if err := st.InPlatform(bg, func(tx pgx.Tx) error {
		_, err := tx.Exec(bg, `UPDATE conversations SET last_inbound_at = now() - interval '25 hours' WHERE id = $1`, mine)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	status, answer = upload(mine, url.Values{"kind": {"image"}}, "foto.png", "image/png", photo)
	if msg, _ := answer["error"].(string); status != http.StatusUnprocessableEntity || msg == "" {
		t.Fatalf("a photo with the window closed: %d %v", status, answer)
	}
	if got := media(); got != 1 {
		t.Fatalf("after a refused send %d files are kept, want only the one sent", got)
	}
}

// pngOf is a real PNG of one colour.
func pngOf(t *testing.T, w, h int, c color.Color) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			img.Set(x, y, c)
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// pdfOf is a small PDF with one line of text.
func pdfOf(text string) []byte {
	return []byte("%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\n% " +
		text + "\ntrailer << /Root 1 0 R >>\n%%EOF\n")
}
