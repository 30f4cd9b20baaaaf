package server_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"switchboard/internal/mail"
	"switchboard/internal/mail/mailtest"
	"switchboard/internal/server/servertest"
	"switchboard/internal/storage"
	"switchboard/internal/storage/storagetest"
)

// mailed waits for the relay's next message.
func mailed(t *testing.T, srv *mailtest.Server) mailtest.Received {
	t.Helper()
	select {
	case m := <-srv.Messages:
		return m
	case <-time.After(10 * time.Second):
		t.Fatal("no e-mail reached the relay")
		return mailtest.Received{}
	}
}

// TestInvitationIsMailed: with SMTP configured, inviting an agent e-mails
// the link to the agent, in the tenant's language (Italian here), and still
// shows it to the administrator; the link in the e-mail opens the
// invitation, which accepts a password. A new link (re-invite) is mailed
// too. When the relay refuses, the administrator is told, the link is
// shown, and the invitation works all the same.
func TestInvitationIsMailed(t *testing.T) {
	t.Parallel()
	srv := mailtest.New(t)
	mailer, err := mail.New(mail.Config{Addr: srv.Addr, From: "Switchboard <noreply@switchboard.test>"})
	if err != nil {
		t.Fatal(err)
	}
	mailer.Timeout = 5 * time.Second
	app := servertest.New(t, servertest.Options{Mail: mailer})
	ctx := context.Background()
	st := app.DB.Store
	if err := st.SetTenantProfile(ctx, app.F.A.ID, storage.Actor{Email: "test"}, app.F.A.Name, "it", "Europe/Rome"); err != nil {
		t.Fatal(err)
	}
	admin := app.Client(t)
	admin.MustLogin(app.F.A.Admin.Email, storagetest.Password)
	admin.Get("/admin/agents")
	r := admin.Post("/admin/agents", url.Values{"name": {"Nina Rossi"}, "email": {"Nina@Alpha.test"}})
	if r.Status != http.StatusCreated || !r.Has("[data-testid=invite-mailed]") {
		t.Fatalf("invite: %d, mailed notice %v; log:\n%s", r.Status, r.Has("[data-testid=invite-mailed]"), logTail(app.Logs.String()))
	}
	shown := r.Text("[data-testid=invite-link]")
	m := mailed(t, srv)
	if len(m.To) != 1 || m.To[0] != "nina@alpha.test" || m.From != "noreply@switchboard.test" {
		t.Fatalf("envelope: from %q to %v", m.From, m.To)
	}
	if !strings.HasPrefix(m.Subject, "Il tuo invito a "+app.F.A.Name) || !strings.Contains(m.Body, "scegliere la tua password") {
		t.Errorf("not in the tenant's language: %q\n%s", m.Subject, m.Body)
	}
	link := regexp.MustCompile(`https?://\S+/invite/\S+`).FindString(m.Body)
	if link == "" || link != shown {
		t.Fatalf("link in the e-mail %q; shown to the administrator %q", link, shown)
	}

	guest := app.Client(t)
	path := strings.TrimPrefix(link, app.URL)
	page := guest.Get(path)
	if page.Status != http.StatusOK || !page.Has("[data-testid=invite-accept-form]") {
		t.Fatalf("the e-mailed link: %d", page.Status)
	}
	const pw = "a long password for Nina"
	if r := guest.Post(path, url.Values{"new_password": {pw}, "confirm_password": {pw}}); r.Status != http.StatusSeeOther {
		t.Fatalf("accept: %d %s", r.Status, r.Text(".error"))
	}
	nina := app.Client(t)
	nina.MustLogin("nina@alpha.test", pw)

	// The relay refuses: said to the administrator, the invitation kept.
	srv.Reject.Store(true)
	admin.Get("/admin/agents")
	r = admin.Post("/admin/agents", url.Values{"name": {"Ugo"}, "email": {"ugo@alpha.test"}})
	if r.Status != http.StatusCreated || !r.Has("[data-testid=invite-mail-failed]") || !r.Has("[data-testid=invite-link]") {
		t.Fatalf("refused e-mail: %d, failure said %v, link %v", r.Status, r.Has("[data-testid=invite-mail-failed]"), r.Has("[data-testid=invite-link]"))
	}
	if !strings.Contains(app.Logs.String(), "invitation e-mail not sent") {
		t.Error("the failure is not logged")
	}
	if strings.Contains(app.Logs.String(), strings.TrimPrefix(r.Text("[data-testid=invite-link]"), app.URL+"/invite/")) {
		t.Error("the log holds the invitation's token")
	}
	ugoPath := strings.TrimPrefix(r.Text("[data-testid=invite-link]"), app.URL)
	if p := app.Client(t).Get(ugoPath); p.Status != http.StatusOK || !p.Has("[data-testid=invite-accept-form]") {
		t.Fatalf("the invitation whose e-mail failed: %d", p.Status)
	}

	// A new link for Ugo is mailed once the relay accepts again.
	srv.Reject.Store(false)
	ugo, _, err := st.UserForSignIn(ctx, "ugo@alpha.test")
	if err != nil {
		t.Fatal(err)
	}
	admin.Get("/admin/agents/" + ugo.ID)
	if r = admin.Post("/admin/agents/"+ugo.ID+"/reinvite", url.Values{}); r.Status != http.StatusCreated || !r.Has("[data-testid=invite-mailed]") {
		t.Fatalf("reinvite: %d", r.Status)
	}
	if m := mailed(t, srv); len(m.To) != 1 || m.To[0] != "ugo@alpha.test" || !strings.Contains(m.Body, r.Text("[data-testid=invite-link]")) {
		t.Errorf("reinvite e-mail to %v", m.To)
	}
}
