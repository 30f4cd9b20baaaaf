package server_test

import (
	"context"
	"strconv"
	"testing"

	"github.com/chromedp/chromedp"

	"switchboard/internal/domain"
	"switchboard/internal/number"
	"switchboard/internal/server/servertest"
	"switchboard/internal/storage"
	"switchboard/internal/storage/storagetest"
)

// salesDesk gives the fixture's tenant A what a customer's message needs to
// reach its agent: a sandbox number (registered with the sandbox's fake of
// Meta) linked to a "Sales" skillset whose member is the agent. It returns
// the number and the skillset's id.
func salesDesk(t *testing.T, app *servertest.App) (domain.Number, string) {
	t.Helper()
	bg := context.Background()
	st, tenantID := app.DB.Store, app.F.A.ID
	actor := storage.Actor{Email: "test"}
	sales, err := st.CreateSkillset(bg, tenantID, actor, "Sales")
	if err != nil {
		t.Fatal(err)
	}
	if err := st.SetSkillsetMember(bg, tenantID, actor, sales, app.F.A.Agent.ID, 1); err != nil {
		t.Fatal(err)
	}
	n, err := app.Numbers.Add(bg, actor, number.AddInput{TenantID: tenantID, Sandbox: true})
	if err != nil {
		t.Fatal(err)
	}
	app.Sandbox.Register(n)
	if err := st.LinkNumberSkillset(bg, tenantID, actor, n.ID, sales, 1); err != nil {
		t.Fatal(err)
	}
	return n, sales
}

// signInAvailable signs a user in through the login page, makes it available
// on its console's home and waits for the live channel.
func signInAvailable(app *servertest.App, email string) chromedp.Action[chromedp.Void] {
	return chromedp.Steps(
		chromedp.Navigate(app.URL+"/login"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=login]`)),
		chromedp.SendKeys(chromedp.CSS(`#f-email`), email),
		chromedp.SendKeys(chromedp.CSS(`#f-password`), storagetest.Password),
		chromedp.Click(chromedp.CSS(`[data-testid=login-submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=agent-home]`)),
		chromedp.Click(chromedp.CSS(`[data-testid=set-available]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=flash]`)),
		chromedp.WaitVisible(chromedp.CSS(`body[data-live=on]`)))
}

// clickLive clicks what sel finds in one script run: in the live inbox or
// message list a node can be replaced by a re-render between chromedp
// finding it and clicking it ("Could not find node with given id").
func clickLive(sel string) chromedp.Action[chromedp.Void] {
	return chromedp.Steps(
		chromedp.WaitVisible(chromedp.CSS(sel)),
		chromedp.Evaluate[chromedp.Void](`document.querySelector(`+strconv.Quote(sel)+`).click()`))
}
