package server_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/jackc/pgx/v5"

	"switchboard/internal/number"
	"switchboard/internal/server/browsertest"
	"switchboard/internal/server/servertest"
	"switchboard/internal/storage"
	"switchboard/internal/storage/storagetest"
	"switchboard/internal/whatsapp/fakemeta"
)

// teamSkillsetID finds a skillset of tenant A by name, in Postgres.
func teamSkillsetID(t *testing.T, app *servertest.App, name string) string {
	t.Helper()
	ss, err := app.DB.Store.SkillsetByName(context.Background(), app.F.A.ID, name)
	if err != nil {
		t.Fatalf("skillset %q: %v", name, err)
	}
	return ss.ID
}

// inviteToken is the token of the invitation link a page shows.
func inviteToken(t *testing.T, r *servertest.Response) string {
	t.Helper()
	link := r.Text(`[data-testid=invite-link]`)
	_, token, ok := strings.Cut(link, "/invite/")
	if r.Status != http.StatusCreated || !ok || token == "" {
		t.Fatalf("no invitation link: status %d, link %q: %s", r.Status, link, r.Text(`.error, [data-testid=form-error]`))
	}
	return token
}

// TestAdminTeamHandlers walks the skillset and agent pages through HTTP:
// every refusal comes from the store's rules, in words (a duplicate name, a
// priority out of range or not a number, deleting a skillset a number
// depends on, inviting a taken e-mail, an invitation used or expired), and
// another tenant's administrator finds none of it.
func TestAdminTeamHandlers(t *testing.T) {
	t.Parallel()
	app := servertest.New(t, servertest.Options{RunWorkers: true})
	bg := context.Background()
	st, tenantID, anna := app.DB.Store, app.F.A.ID, app.F.A.Agent

	admin := app.Client(t)
	admin.MustLogin(app.F.A.Admin.Email, storagetest.Password)
	if r := admin.Get("/admin/skillsets"); r.Status != 200 || !r.Has(`[data-testid=nav-skillsets]`) || !r.Has(`[data-testid=skillset-form]`) {
		t.Fatalf("skillsets page: %d", r.Status)
	}

	// Create: required, then made, then the same name in another case.
	if r := admin.Post("/admin/skillsets", url.Values{"name": {"  "}}); r.Status != 422 || r.Text(`[data-testid=error-name]`) != "This field is required." {
		t.Fatalf("empty name: %d %q", r.Status, r.Text(`[data-testid=error-name]`))
	}
	r := admin.Post("/admin/skillsets", url.Values{"name": {"Sales"}})
	if r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Location, "/admin/skillsets/") {
		t.Fatalf("create: %d %s", r.Status, r.Location)
	}
	sales := teamSkillsetID(t, app, "Sales")
	admin.Get("/admin/skillsets")
	r = admin.Post("/admin/skillsets", url.Values{"name": {"sales"}})
	if r.Status != 422 || r.Text(`[data-testid=error-name]`) != "Another skillset already has this name." || r.Doc.Find(`#f-name`).AttrOr("value", "") != "sales" {
		t.Fatalf("duplicate name: %d %q", r.Status, r.Text(`[data-testid=error-name]`))
	}

	// Members: a priority that is no number or out of range is refused in
	// words and stores nothing; another tenant's user is not an agent here.
	page := "/admin/skillsets/" + sales
	admin.Get(page)
	for _, bad := range []string{"abc", "1001", "-5000", ""} {
		r = admin.Post(page+"/members", url.Values{"agent": {anna.ID}, "priority": {bad}})
		if r.Status != 422 || !strings.Contains(r.Text(`[data-testid=error-priority]`), "from -1000 to 1000") {
			t.Fatalf("priority %q: %d %q", bad, r.Status, r.Text(`[data-testid=error-priority]`))
		}
	}
	r = admin.Post(page+"/members", url.Values{"agent": {app.F.B.Agent.ID}, "priority": {"1"}})
	if r.Status != 422 || !strings.Contains(r.Text(`[data-testid=error-agent]`), "not an agent of the tenant") {
		t.Fatalf("another tenant's agent: %d %q", r.Status, r.Text(`[data-testid=error-agent]`))
	}
	if r = admin.Post(page+"/members", url.Values{"agent": {anna.ID}, "priority": {"7"}}); r.Status != http.StatusSeeOther {
		t.Fatalf("add member: %d", r.Status)
	}
	r = admin.Follow(page)
	if got := r.Doc.Find(`[data-testid=member-row]`).AttrOr("data-priority", ""); got != "7" {
		t.Fatalf("member priority shows %q", got)
	}
	// A priority change in the member's row that fails shows in that row.
	r = admin.Post(page+"/members", url.Values{"agent": {anna.ID}, "editing": {anna.ID}, "priority": {"2000"}})
	if r.Status != 422 || !r.Has(`[data-testid=member-row] [data-testid=error-member-priority]`) {
		t.Fatalf("row priority change: %d", r.Status)
	}
	if r = admin.Post(page+"/members", url.Values{"agent": {anna.ID}, "editing": {anna.ID}, "priority": {"-3"}}); r.Status != http.StatusSeeOther {
		t.Fatalf("change priority: %d", r.Status)
	}
	sets, err := st.ListSkillsets(bg, tenantID)
	if err != nil || len(sets) != 1 || len(sets[0].Members) != 1 || sets[0].Members[0].Priority != -3 {
		t.Fatalf("stored members: %+v %v", sets, err)
	}

	// Rename: a taken name and an empty one are refused, then renamed.
	if _, err := st.CreateSkillset(bg, tenantID, storage.Actor{Email: "test"}, "Support"); err != nil {
		t.Fatal(err)
	}
	admin.Get(page)
	if r = admin.Post(page+"/rename", url.Values{"name": {"SUPPORT"}}); r.Status != 422 || r.Text(`[data-testid=error-name]`) != "Another skillset already has this name." {
		t.Fatalf("rename to a taken name: %d", r.Status)
	}
	if r = admin.Post(page+"/rename", url.Values{"name": {"Vendite"}}); r.Status != http.StatusSeeOther {
		t.Fatalf("rename: %d", r.Status)
	}

	// Delete: refused while a number depends on it, naming the number.
	n, err := app.Numbers.Add(bg, storage.Actor{Email: "test"}, number.AddInput{TenantID: tenantID, Sandbox: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.LinkNumberSkillset(bg, tenantID, storage.Actor{Email: "test"}, n.ID, sales, 1); err != nil {
		t.Fatal(err)
	}
	admin.Get(page)
	r = admin.Post(page+"/delete", nil)
	if r.Status != http.StatusConflict || !strings.Contains(r.Text(`[data-testid=form-error]`), n.DisplayPhone) ||
		!strings.Contains(r.Text(`[data-testid=form-error]`), "unlink it") {
		t.Fatalf("delete a linked skillset: %d %q", r.Status, r.Text(`[data-testid=form-error]`))
	}
	if _, err := st.SkillsetName(bg, tenantID, sales); err != nil {
		t.Fatalf("the refused delete deleted: %v", err)
	}

	// Another tenant's administrator: 404 for everything of A.
	other := app.Client(t)
	other.MustLogin(app.F.B.Admin.Email, storagetest.Password)
	if r = other.Get(page); r.Status != 404 {
		t.Fatalf("B reads A's skillset: %d", r.Status)
	}
	other.Get("/admin/skillsets")
	for _, path := range []string{page + "/delete", page + "/rename", "/admin/agents/" + anna.ID + "/deactivate"} {
		if r = other.Post(path, url.Values{"name": {"x"}}); r.Status != 404 {
			t.Fatalf("B posts %s: %d", path, r.Status)
		}
	}
	if r = other.Get("/admin/agents/" + anna.ID); r.Status != 404 {
		t.Fatalf("B reads A's agent: %d", r.Status)
	}
	if err := st.UnlinkNumberSkillset(bg, tenantID, storage.Actor{Email: "test"}, n.ID, sales); err != nil {
		t.Fatal(err)
	}
	admin.Get(page)
	if r = admin.Post(page+"/delete", nil); r.Status != http.StatusSeeOther || r.Location != "/admin/skillsets" {
		t.Fatalf("delete: %d %s", r.Status, r.Location)
	}

	// Agents: the list at a glance, then invitations.
	r = admin.Get("/admin/agents")
	row := r.Doc.Find(`[data-testid=agent-row][data-email="` + anna.Email + `"]`)
	if r.Status != 200 || row.Length() != 1 || strings.Join(strings.Fields(row.Find(`[data-testid=agent-load]`).Text()), " ") != "0 / 3" ||
		row.AttrOr("data-state", "") != "offline" {
		t.Fatalf("agents page: %d, anna's row %q", r.Status, row.Text())
	}
	for email, want := range map[string]string{
		"not-an-address":            "Enter an e-mail address",
		anna.Email:                  "Someone already signs in with this e-mail.",
		app.F.B.Agent.Email:         "Someone already signs in with this e-mail.",
		strings.ToUpper(anna.Email): "Someone already signs in with this e-mail.",
	} {
		r = admin.Post("/admin/agents", url.Values{"name": {"X"}, "email": {email}})
		if r.Status != 422 || !strings.Contains(r.Text(`[data-testid=error-email]`), want) {
			t.Fatalf("invite %q: %d %q", email, r.Status, r.Text(`[data-testid=error-email]`))
		}
	}
	token := inviteToken(t, admin.Post("/admin/agents", url.Values{"name": {"Nina"}, "email": {" Nina@Alpha.test "}}))
	nina, _, err := st.UserForSignIn(bg, "nina@alpha.test")
	if err != nil || nina.PasswordHash != "" || nina.TenantID != tenantID {
		t.Fatalf("invited user: %+v %v", nina, err)
	}
	var stored int
	if err := st.InPlatform(bg, func(tx pgx.Tx) error {
		return tx.QueryRow(bg, `SELECT count(*) FROM invitations WHERE token_hash = sha256($1::bytea)`, []byte(token)).Scan(&stored)
	}); err != nil || stored != 1 {
		t.Fatalf("the token's hash is stored: %d %v", stored, err)
	}
	r = admin.Get("/admin/agents")
	if got := r.Doc.Find(`[data-testid=agent-row][data-email="nina@alpha.test"]`).AttrOr("data-status", ""); got != "invited" {
		t.Fatalf("Nina's status: %q", got)
	}
	// Nobody signs in as an invited agent before they choose a password.
	if r := app.Client(t).Login("nina@alpha.test", "any long password at all"); r.Status != http.StatusUnauthorized {
		t.Fatal("signed in with an empty password")
	}

	// The invitation page: the password policy, then signed in once.
	guest := app.Client(t)
	if r = guest.Get("/invite/" + token); r.Status != 200 || r.Doc.Find(`[data-testid=invite-email]`).AttrOr("value", "") != "nina@alpha.test" {
		t.Fatalf("invitation page: %d", r.Status)
	}
	if r = guest.PostRaw("/invite/"+token, url.Values{"new_password": {"long enough password"}, "confirm_password": {"long enough password"}}); r.Status != 403 {
		t.Fatalf("without the CSRF token: %d", r.Status)
	}
	if r = guest.Post("/invite/"+token, url.Values{"new_password": {"short"}, "confirm_password": {"short"}}); r.Status != 422 ||
		r.Text(`[data-testid=error-new_password]`) != "Use between 12 and 128 characters." {
		t.Fatalf("short password: %d %q", r.Status, r.Text(`[data-testid=error-new_password]`))
	}
	if r = guest.Post("/invite/"+token, url.Values{"new_password": {"long enough password"}, "confirm_password": {"other password!!"}}); r.Status != 422 ||
		r.Text(`[data-testid=error-confirm_password]`) != "The two passwords differ." {
		t.Fatalf("mismatch: %d", r.Status)
	}
	const ninaPassword = "nina's own long password"
	r = guest.Post("/invite/"+token, url.Values{"new_password": {ninaPassword}, "confirm_password": {ninaPassword}})
	if r.Status != http.StatusSeeOther || r.Location != "/agent" {
		t.Fatalf("accept: %d %s", r.Status, r.Location)
	}
	if r = guest.Get("/agent"); r.Status != 200 || !r.Has(`[data-testid=agent-home]`) {
		t.Fatalf("signed in after accepting: %d", r.Status)
	}
	// Used: the link works no more, in words.
	again := app.Client(t)
	if r = again.Get("/invite/" + token); r.Status != http.StatusGone || r.Doc.Find(`[data-testid=invite-problem]`).AttrOr("data-problem", "") != "admin.team.invite_used" {
		t.Fatalf("a used invitation: %d", r.Status)
	}
	if r = again.Post("/invite/"+token, url.Values{"new_password": {"attacker's password"}, "confirm_password": {"attacker's password"}}); r.Status != http.StatusGone {
		t.Fatalf("a used invitation accepted again: %d", r.Status)
	}
	app.Client(t).MustLogin("nina@alpha.test", ninaPassword)

	// Expired: an invitation past its 7 days works no more.
	old := inviteToken(t, admin.Post("/admin/agents", url.Values{"name": {"Olga"}, "email": {"olga@alpha.test"}}))
	if err := st.InPlatform(bg, func(tx pgx.Tx) error {
		_, err := tx.Exec(bg, `UPDATE invitations SET expires_at = now() - interval '1 second' WHERE token_hash = sha256($1::bytea)`, []byte(old))
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if r = again.Get("/invite/" + old); r.Status != http.StatusGone || r.Doc.Find(`[data-testid=invite-problem]`).AttrOr("data-problem", "") != "admin.team.invite_expired_page" {
		t.Fatalf("an expired invitation: %d", r.Status)
	}
	if r = again.Post("/invite/"+old, url.Values{"new_password": {"a long password 1"}, "confirm_password": {"a long password 1"}}); r.Status != http.StatusGone {
		t.Fatalf("an expired invitation accepted: %d", r.Status)
	}
	olga, _, _ := st.UserForSignIn(bg, "olga@alpha.test")
	if olga.PasswordHash != "" {
		t.Fatal("an expired invitation set a password")
	}
	r = admin.Get("/admin/agents")
	if got := r.Doc.Find(`[data-testid=agent-row][data-email="olga@alpha.test"]`).AttrOr("data-status", ""); got != "invite_expired" {
		t.Fatalf("Olga's status: %q", got)
	}
	// A new link for Olga works; one for Nina (who joined) is refused.
	admin.Get("/admin/agents/" + olga.ID)
	fresh := inviteToken(t, admin.Post("/admin/agents/"+olga.ID+"/reinvite", nil))
	if r = again.Get("/invite/" + fresh); r.Status != 200 {
		t.Fatalf("a new link: %d", r.Status)
	}
	if r = admin.Post("/admin/agents/"+nina.ID+"/reinvite", nil); r.Status != http.StatusSeeOther {
		t.Fatalf("a new link for who joined: %d", r.Status)
	}
	if r = admin.Follow("/admin/agents/" + nina.ID); !strings.Contains(r.Text(`[data-testid=flash]`), "chosen a password already") {
		t.Fatalf("refusal of a new link: %q", r.Text(`[data-testid=flash]`))
	}
	// Unknown and malformed tokens: nothing to see.
	for _, tok := range []string{strings.Repeat("A", 43), "short", old + "x"} {
		if r = again.Get("/invite/" + tok); r.Status != 404 {
			t.Fatalf("token %q: %d", tok, r.Status)
		}
	}

	// Capacity: validated by the store; empty returns to the default.
	capPath := "/admin/agents/" + anna.ID + "/capacity"
	admin.Get("/admin/agents/" + anna.ID)
	for _, bad := range []string{"-1", "x", "1001"} {
		if r = admin.Post(capPath, url.Values{"capacity": {bad}}); r.Status != 422 || !strings.Contains(r.Text(`[data-testid=error-capacity]`), "from 0 to 1000") {
			t.Fatalf("capacity %q: %d %q", bad, r.Status, r.Text(`[data-testid=error-capacity]`))
		}
	}
	if r = admin.Post(capPath, url.Values{"capacity": {"5"}}); r.Status != http.StatusSeeOther {
		t.Fatalf("capacity: %d", r.Status)
	}
	agents, err := st.ListRoutingAgents(bg, tenantID)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range agents {
		if a.UserID == anna.ID && (a.Capacity == nil || *a.Capacity != 5) {
			t.Fatalf("capacity stored: %v", a.Capacity)
		}
	}
	admin.Get("/admin/agents/" + anna.ID)
	if r = admin.Post(capPath, url.Values{"capacity": {""}}); r.Status != http.StatusSeeOther {
		t.Fatalf("capacity to default: %d", r.Status)
	}
	// An administrator is not an agent: no capacity page for them.
	if r = admin.Get("/admin/agents/" + app.F.A.Admin.ID); r.Status != 404 {
		t.Fatalf("an administrator as an agent: %d", r.Status)
	}

	// Deactivate: Nina's session ends and she cannot sign in; reactivated,
	// she can again.
	admin.Get("/admin/agents/" + nina.ID)
	if r = admin.Post("/admin/agents/"+nina.ID+"/deactivate", nil); r.Status != http.StatusSeeOther {
		t.Fatalf("deactivate: %d", r.Status)
	}
	if r = guest.Get("/agent"); r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Location, "/login") {
		t.Fatalf("a deactivated agent's session: %d %s", r.Status, r.Location)
	}
	if r = app.Client(t).Login("nina@alpha.test", ninaPassword); r.Status != http.StatusUnauthorized {
		t.Fatalf("a deactivated agent signs in: %d", r.Status)
	}
	if r = admin.Follow("/admin/agents"); r.Doc.Find(`[data-testid=agent-row][data-email="nina@alpha.test"]`).AttrOr("data-status", "") != "deactivated" {
		t.Fatal("Nina does not show as deactivated")
	}
	admin.Get("/admin/agents/" + nina.ID)
	if r = admin.Post("/admin/agents/"+nina.ID+"/reactivate", nil); r.Status != http.StatusSeeOther {
		t.Fatalf("reactivate: %d", r.Status)
	}
	app.Client(t).MustLogin("nina@alpha.test", ninaPassword)
	// Deactivating or reactivating is audited, with the invitation.
	entries, err := st.ListAudit(bg, tenantID, 100)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, e := range entries {
		seen[e.Action] = true
	}
	for _, a := range []string{"user.invite", "user.reinvite", "user.invitation_accept", "user.deactivate", "user.reactivate", "skillset.create", "skillset.delete"} {
		if !seen[a] {
			t.Errorf("audit log lacks %s", a)
		}
	}

	// Guessing tokens is throttled like guessing passwords: past 10 tries
	// at one token, 429 with Retry-After, even for the form.
	guess := strings.Repeat("B", 43)
	for i := 0; i < 10; i++ {
		if r = again.Get("/invite/" + guess); r.Status != 404 {
			t.Fatalf("guess %d: %d", i, r.Status)
		}
	}
	if r = again.Get("/invite/" + guess); r.Status != http.StatusTooManyRequests || r.Header.Get("Retry-After") == "" {
		t.Fatalf("the 11th guess: %d %q", r.Status, r.Header.Get("Retry-After"))
	}
	if r = again.Post("/invite/"+guess, url.Values{"new_password": {"a long password 1"}, "confirm_password": {"a long password 1"}}); r.Status != http.StatusTooManyRequests {
		t.Fatalf("the form after 10 guesses: %d", r.Status)
	}

	// Agents reach none of these pages.
	ag := app.Client(t)
	ag.MustLogin(anna.Email, storagetest.Password)
	for _, path := range []string{"/admin/skillsets", "/admin/agents", "/admin/agents/" + anna.ID} {
		if r = ag.Get(path); r.Status != http.StatusForbidden {
			t.Fatalf("an agent opens %s: %d", path, r.Status)
		}
	}
}

// TestBrowserAdminTeam is the team in Chromium: the administrator creates a
// skillset and adds the fixture's agent with a priority, invites a new
// agent, who opens the link signed out, chooses a password and lands on the
// agent console; the new agent joins the skillset, gets a customer's
// conversation, and the administrator deactivates them: the conversation
// goes back to the queue and they can no longer sign in.
func TestBrowserAdminTeam(t *testing.T) {
	t.Parallel()
	app := servertest.New(t, servertest.Options{RunWorkers: true, RoutingSweep: 100 * time.Millisecond})
	bg := context.Background()
	st, tenantID, anna := app.DB.Store, app.F.A.ID, app.F.A.Agent

	adminTab := browsertest.New(t)
	guestTab, cancel := chromedp.NewContext(adminTab, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	if err := chromedp.Do(guestTab); err != nil {
		t.Fatal(err)
	}
	do := func(ctx context.Context, what string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		wctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		defer cancel()
		if err := chromedp.Do(wctx, steps...); err != nil {
			t.Fatalf("browser: %s: %v\nserver log:\n%s", what, err, logTail(app.Logs.String()))
		}
	}
	eval := func(ctx context.Context, js string) string {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Evaluate[string](js))
		if err != nil {
			t.Fatalf("browser: %s: %v", js, err)
		}
		return v
	}

	do(adminTab, "the administrator creates a skillset",
		chromedp.Navigate(app.URL+"/login"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=login]`)),
		chromedp.SendKeys(chromedp.CSS(`#f-email`), app.F.A.Admin.Email),
		chromedp.SendKeys(chromedp.CSS(`#f-password`), storagetest.Password),
		chromedp.Click(chromedp.CSS(`[data-testid=login-submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=admin-home]`)),
		chromedp.Click(chromedp.CSS(`[data-testid=nav-skillsets]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=skillsets-page]`)),
		chromedp.SendKeys(chromedp.CSS(`#f-name`), "Customer care"),
		chromedp.Click(chromedp.CSS(`[data-testid=skillset-submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=skillset-detail]`)),
	)
	if got := eval(adminTab, `document.querySelector("[data-testid=skillset-name]").textContent`); got != "Customer care" {
		t.Fatalf("the skillset page shows %q", got)
	}
	care := teamSkillsetID(t, app, "Customer care")

	do(adminTab, "the administrator adds the fixture's agent with a priority",
		chromedp.SetValue(chromedp.CSS(`#f-agent`), anna.ID),
		chromedp.Clear(chromedp.CSS(`#f-priority`)),
		chromedp.SendKeys(chromedp.CSS(`#f-priority`), "5"),
		chromedp.Click(chromedp.CSS(`[data-testid=member-submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=member-row][data-email="`+anna.Email+`"][data-priority="5"]`)),
	)
	sets, err := st.ListSkillsets(bg, tenantID)
	if err != nil || len(sets) != 1 || len(sets[0].Members) != 1 || sets[0].Members[0].UserID != anna.ID || sets[0].Members[0].Priority != 5 ||
		len(sets[0].Numbers) != 0 {
		t.Fatalf("stored skillset: %+v %v", sets, err)
	}

	do(adminTab, "the administrator invites a new agent",
		chromedp.Click(chromedp.CSS(`[data-testid=nav-agents]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=agents-page]`)),
		chromedp.SendKeys(chromedp.CSS(`#f-name`), "Nina Rossi"),
		chromedp.SendKeys(chromedp.CSS(`#f-email`), "nina@alpha.test"),
		chromedp.Click(chromedp.CSS(`[data-testid=invite-submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=invite-link]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=agent-row][data-email="nina@alpha.test"][data-status=invited]`)),
	)
	link := strings.TrimSpace(eval(adminTab, `document.querySelector("[data-testid=invite-link]").textContent`))
	if !strings.HasPrefix(link, app.URL+"/invite/") {
		t.Fatalf("invitation link %q", link)
	}

	const ninaPassword = "a long password for Nina"
	do(guestTab, "the new agent opens the link signed out and chooses a password",
		chromedp.Navigate(link),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=invite-accept-form]`)),
		chromedp.SendKeys(chromedp.CSS(`#f-new_password`), ninaPassword),
		chromedp.SendKeys(chromedp.CSS(`#f-confirm_password`), ninaPassword),
		chromedp.Click(chromedp.CSS(`[data-testid=invite-accept]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=agent-home]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=flash]`)),
	)
	nina, _, err := st.UserForSignIn(bg, "nina@alpha.test")
	if err != nil {
		t.Fatal(err)
	}

	// The new agent joins the skillset (on their page), which serves a
	// sandbox number; Anna is offline, so a customer's message is Nina's.
	do(adminTab, "the administrator puts the new agent in the skillset",
		chromedp.Navigate(app.URL+"/admin/agents/"+nina.ID),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=agent-join-form]`)),
		chromedp.SetValue(chromedp.CSS(`#f-skillset`), care),
		chromedp.Clear(chromedp.CSS(`#f-priority`)),
		chromedp.SendKeys(chromedp.CSS(`#f-priority`), "1"),
		chromedp.Click(chromedp.CSS(`[data-testid=agent-join-submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=agent-skillset][data-name="Customer care"]`)),
	)
	n, err := app.Numbers.Add(bg, storage.Actor{Email: "test"}, number.AddInput{TenantID: tenantID, Sandbox: true})
	if err != nil {
		t.Fatal(err)
	}
	app.Sandbox.Register(n)
	if err := st.LinkNumberSkillset(bg, tenantID, storage.Actor{Email: "test"}, n.ID, care, 1); err != nil {
		t.Fatal(err)
	}
	do(guestTab, "the new agent becomes available",
		chromedp.Click(chromedp.CSS(`[data-testid=set-available]`)),
		chromedp.WaitVisible(chromedp.CSS(`body[data-live=on]`)),
	)
	if _, err := app.Sandbox.Fake.CustomerSends(bg, n.PhoneNumberID, fakemeta.InboundMessage{From: "393471230001", ProfileName: "Marta", Text: "Buongiorno"}); err != nil {
		t.Fatal(err)
	}
	do(guestTab, "the conversation reaches the new agent", chromedp.WaitVisible(chromedp.CSS(`[data-testid=inbox-row]`)))
	conversation := func() (id, status, agent string) {
		t.Helper()
		err := st.InPlatform(bg, func(tx pgx.Tx) error {
			return tx.QueryRow(bg, `SELECT id, status, coalesce(assigned_agent_id::text, '') FROM conversations
				WHERE tenant_id = $1 AND number_id = $2`, tenantID, n.ID).Scan(&id, &status, &agent)
		})
		if err != nil {
			t.Fatal(err)
		}
		return id, status, agent
	}
	if _, status, agent := conversation(); status != "assigned" || agent != nina.ID {
		t.Fatalf("the conversation is %s with %q", status, agent)
	}
	do(adminTab, "the administrator sees the load",
		chromedp.Navigate(app.URL+"/admin/agents"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=agent-row][data-agent-id="`+nina.ID+`"][data-state=available]`)),
	)
	if got := eval(adminTab, `document.querySelector('[data-agent-id="`+nina.ID+`"] [data-testid=agent-load]').textContent.replace(/\s+/g, " ").trim()`); got != "1 / 3" {
		t.Errorf("the new agent's load shows %q", got)
	}

	do(adminTab, "the administrator deactivates the new agent",
		chromedp.Navigate(app.URL+"/admin/agents/"+nina.ID),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=agent-deactivate]`)),
		chromedp.Click(chromedp.CSS(`[data-testid=agent-deactivate]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=agent-detail][data-status=deactivated]`)),
	)
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, status, agent := conversation()
		if status == "queued" && agent == "" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the conversation stays %s with %q\n%s", status, agent, logTail(app.Logs.String()))
		}
		waitABit()
	}
	var reason string
	id, _, _ := conversation()
	if err := st.InPlatform(bg, func(tx pgx.Tx) error {
		return tx.QueryRow(bg, `SELECT reason FROM routing_events WHERE conversation_id = $1 AND kind = 'requeued' ORDER BY id DESC LIMIT 1`, id).Scan(&reason)
	}); err != nil || reason != "the agent is no longer active" {
		t.Fatalf("the requeue is explained: %q %v", reason, err)
	}
	// The console in that tab notices the ended session and reloads itself,
	// which can abort a navigation made at the same moment: go to a blank
	// page first, trying again until one navigation wins.
	for i := 0; ; i++ {
		err := chromedp.Do(guestTab, chromedp.Navigate("about:blank"))
		if err == nil {
			break
		}
		if i == 5 {
			t.Fatalf("leave the console: %v", err)
		}
		waitABit()
	}
	do(guestTab, "the deactivated agent can no longer sign in",
		chromedp.Navigate(app.URL+"/agent"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=login]`)),
		chromedp.SendKeys(chromedp.CSS(`#f-email`), "nina@alpha.test"),
		chromedp.SendKeys(chromedp.CSS(`#f-password`), ninaPassword),
		chromedp.Click(chromedp.CSS(`[data-testid=login-submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=form-error]`)),
	)
	if got := eval(guestTab, `location.pathname`); got != "/login" {
		t.Fatalf("after a refused sign-in the page is %s", got)
	}
}
