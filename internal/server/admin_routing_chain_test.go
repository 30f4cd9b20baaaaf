package server_test

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/jackc/pgx/v5"

	"switchboard/internal/routing"
	"switchboard/internal/server/browsertest"
	"switchboard/internal/server/servertest"
	"switchboard/internal/storage/storagetest"
)

// TestBrowserConfigurationToRouting is the chain from configuration to
// routing, end to end: everything the administrator configures is done in
// Chromium on the admin pages, then customers write from the simulator and
// each conversation goes where routing.md's rule says, for the reason it
// says, shown on the administrator's conversation page.
//
// Anna (the fixture's agent) is in Sales with agent priority 1 and in
// Support with 9; Bruno, invited on the agents page, is in Sales with 5. The
// new sandbox number is served by Support (10), then Sales (0).
//   - Customer 1: Anna's best skillset on the number is Support (10),
//     Bruno's is Sales (0): Anna, by step 3.
//   - Sales is moved up (Sales 10, Support 0). Customer 2: both now qualify
//     best through Sales, where Bruno's 5 beats Anna's 1: Bruno, by step 4
//     (before step 5, where Anna's one conversation would count too).
//   - Bruno's priority in Sales goes down to 0. Customer 3: Anna, by step 4.
func TestBrowserConfigurationToRouting(t *testing.T) {
	t.Parallel()
	// The agents are made available without a console to keep their
	// presence alive: it lasts the whole test on a slow machine too.
	app := servertest.New(t, servertest.Options{RunWorkers: true, RoutingSweep: 100 * time.Millisecond, PresenceTTL: 10 * time.Minute})
	bg, st, tenantID, anna := context.Background(), app.DB.Store, app.F.A.ID, app.F.A.Agent
	const brunoEmail, brunoName = "bruno@alpha.test", "Bruno Verdi"

	ctx := browsertest.New(t)
	do, eval := browserSteps(t, app, ctx)
	// optionValue is the value of the option a select shows as label.
	optionValue := func(sel, label string) string {
		return eval(`Array.from(document.querySelectorAll(` + strconv.Quote(sel+` option`) + `)).find(o => o.textContent.trim() === ` +
			strconv.Quote(label) + `)?.value || ""`)
	}

	do("the administrator signs in",
		chromedp.Navigate(app.URL+"/login"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=login]`)),
		chromedp.SendKeys(chromedp.CSS(`#f-email`), app.F.A.Admin.Email),
		chromedp.SendKeys(chromedp.CSS(`#f-password`), storagetest.Password),
		chromedp.Click(chromedp.CSS(`[data-testid=login-submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=admin-home]`)),
	)

	// Bruno: invited on the agents page; he accepts from his own browser
	// (a plain client here: he is not the one configuring anything).
	do("invite Bruno",
		chromedp.Click(chromedp.CSS(`[data-testid=nav-agents]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=agents-page]`)),
		chromedp.SendKeys(chromedp.CSS(`#f-name`), brunoName),
		chromedp.SendKeys(chromedp.CSS(`#f-email`), brunoEmail),
		chromedp.Click(chromedp.CSS(`[data-testid=invite-submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=invite-link]`)),
	)
	_, token, ok := strings.Cut(strings.TrimSpace(eval(`document.querySelector("[data-testid=invite-link]").textContent`)), "/invite/")
	if !ok {
		t.Fatal("no invitation link on the page")
	}
	guest := app.Client(t)
	guest.Get("/invite/" + token)
	if r := guest.Post("/invite/"+token, url.Values{"new_password": {"Bruno's long password"}, "confirm_password": {"Bruno's long password"}}); r.Status >= 400 {
		t.Fatalf("Bruno accepts the invitation: %d", r.Status)
	}
	bruno, _, err := st.UserForSignIn(bg, brunoEmail)
	if err != nil {
		t.Fatal(err)
	}

	// Two skillsets, and their members with agent priorities.
	skillset := func(name string, members map[string]int) string {
		t.Helper()
		do("create "+name,
			chromedp.Click(chromedp.CSS(`[data-testid=nav-skillsets]`)),
			chromedp.WaitVisible(chromedp.CSS(`[data-testid=skillsets-page]`)),
			chromedp.SendKeys(chromedp.CSS(`#f-name`), name),
			chromedp.Click(chromedp.CSS(`[data-testid=skillset-submit]`)),
			chromedp.WaitVisible(chromedp.CSS(`[data-testid=skillset-detail]`)),
		)
		for email, prio := range members {
			agentID := anna.ID
			if email == brunoEmail {
				agentID = bruno.ID
			}
			do(fmt.Sprintf("add %s to %s with priority %d", email, name, prio),
				chromedp.SetValue(chromedp.CSS(`#f-agent`), agentID),
				chromedp.Clear(chromedp.CSS(`#f-priority`)),
				chromedp.SendKeys(chromedp.CSS(`#f-priority`), fmt.Sprint(prio)),
				chromedp.Click(chromedp.CSS(`[data-testid=member-submit]`)),
				chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`[data-testid=member-row][data-email=%q][data-priority="%d"]`, email, prio))),
			)
		}
		return eval(`document.querySelector("[data-testid=skillset-detail]").dataset.skillsetId`)
	}
	sales := skillset("Sales", map[string]int{anna.Email: 1, brunoEmail: 5})
	skillset("Support", map[string]int{anna.Email: 9})

	// A sandbox number, served by Support (10), then Sales (offered at 0).
	do("add a sandbox number",
		chromedp.Click(chromedp.CSS(`[data-testid=nav-numbers]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=new-number]`)),
		chromedp.Click(chromedp.CSS(`[data-testid=new-number]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=number-form]`)),
		chromedp.Click(chromedp.CSS(`[data-testid=number-submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=number-skillsets]`)),
	)
	numberID := strings.TrimPrefix(eval(`location.pathname`), "/admin/numbers/")
	do("link Support with priority 10",
		chromedp.SetValue(chromedp.CSS(`[data-testid=link-form] select[name=skillset]`), optionValue(`[data-testid=link-form] select[name=skillset]`, "Support")),
		chromedp.Clear(chromedp.CSS(`[data-testid=link-form] input[name=priority]`)),
		chromedp.SendKeys(chromedp.CSS(`[data-testid=link-form] input[name=priority]`), "10"),
		chromedp.Click(chromedp.CSS(`[data-testid=link-submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=link-row][data-skillset=Support][data-priority="10"]`)),
	)
	do("link Sales below it",
		chromedp.SetValue(chromedp.CSS(`[data-testid=link-form] select[name=skillset]`), optionValue(`[data-testid=link-form] select[name=skillset]`, "Sales")),
		chromedp.Click(chromedp.CSS(`[data-testid=link-submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=link-row][data-skillset=Sales][data-priority="0"]`)),
	)
	if got := linkPriorities(t, app, numberID); got["Support"] != 10 || got["Sales"] != 0 {
		t.Fatalf("links stored: %v", got)
	}

	for _, id := range []string{anna.ID, bruno.ID} {
		if err := app.Routing.SetAvailability(bg, tenantID, id, routing.Available); err != nil {
			t.Fatal(err)
		}
	}

	// writes has a customer write from the simulator, opened from the
	// number's page, and returns the conversation once the router assigned
	// it, with the agent and the step of the rule that decided.
	writes := func(waID, name, text string) (conversation, agent string, step int) {
		t.Helper()
		do(name+" writes from the simulator",
			chromedp.Navigate(app.URL+"/admin/numbers/"+numberID),
			chromedp.WaitVisible(chromedp.CSS(`[data-testid=open-simulator]`)),
			chromedp.Click(chromedp.CSS(`[data-testid=open-simulator]`)),
			chromedp.WaitVisible(chromedp.CSS(`[data-testid=customer-form]`)),
			chromedp.SendKeys(chromedp.CSS(`#customer`), waID),
			chromedp.SendKeys(chromedp.CSS(`#name`), name),
			chromedp.Click(chromedp.CSS(`[data-testid=choose-customer]`)),
			chromedp.WaitVisible(chromedp.CSS(`[data-testid=send-text] [data-testid=text]`)),
			chromedp.SendKeys(chromedp.CSS(`[data-testid=send-text] [data-testid=text]`), text),
			chromedp.Click(chromedp.CSS(`[data-testid=send-text] [data-testid=send]`)),
			chromedp.WaitVisible(chromedp.CSS(`[data-testid=bubble][data-direction=inbound]`)),
		)
		deadline := time.Now().Add(15 * time.Second)
		for {
			var stepOrNull *int
			err := st.InPlatform(bg, func(tx pgx.Tx) error {
				return tx.QueryRow(bg, `SELECT c.id, e.agent_id::text, e.step
					FROM conversations c JOIN contacts ct ON ct.id = c.contact_id
					JOIN routing_events e ON e.conversation_id = c.id AND e.kind = 'assigned'
					WHERE c.tenant_id = $1 AND c.number_id = $2 AND ct.wa_id = $3 AND c.status = 'assigned'
					  AND c.assigned_agent_id = e.agent_id
					ORDER BY e.id DESC LIMIT 1`, tenantID, numberID, waID).Scan(&conversation, &agent, &stepOrNull)
			})
			if err == nil && stepOrNull != nil {
				return conversation, agent, *stepOrNull
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s's conversation was never assigned (%v)\n%s", name, err, logTail(app.Logs.String()))
			}
			waitABit()
		}
	}
	// explained opens the conversation as the administrator and returns
	// why the page says it was assigned.
	explained := func(conversation string) (agent, why string) {
		t.Helper()
		do("open the conversation",
			chromedp.Navigate(app.URL+"/admin/conversations/"+conversation),
			chromedp.WaitVisible(chromedp.CSS(`[data-testid=assignment-explanation]`)),
		)
		return strings.TrimSpace(eval(`document.querySelector("[data-testid=agent]").textContent`)),
			strings.Join(strings.Fields(eval(`document.querySelector("[data-testid=assignment-explanation]").textContent`)), " ")
	}
	wantExplained := func(who, conversation, agentName string, parts ...string) {
		t.Helper()
		agent, why := explained(conversation)
		t.Logf("%s: %s, %q", who, agent, why)
		if agent != agentName {
			t.Errorf("%s: the page names %q as the agent, want %q", who, agent, agentName)
		}
		for _, p := range parts {
			if !strings.Contains(why, p) {
				t.Errorf("%s: the explanation %q does not say %q", who, why, p)
			}
		}
	}

	c1, agent, step := writes("393471110001", "Lia", "Buongiorno")
	if agent != anna.ID || step != 3 {
		t.Fatalf("customer 1: assigned to %s by step %d, want Anna (%s) by step 3", agent, step, anna.ID)
	}
	wantExplained("customer 1", c1, anna.Name, "Step 3:", anna.Name+" qualifies through Support (priority 10",
		brunoName+" through Sales (priority 0)")

	// Sales moves up on the number's page: one swap, Sales 10, Support 0.
	do("move Sales up",
		chromedp.Navigate(app.URL+"/admin/numbers/"+numberID),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=link-row][data-skillset=Sales] [data-testid=link-up]`)),
		chromedp.Click(chromedp.CSS(`[data-testid=link-row][data-skillset=Sales] [data-testid=link-up]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=flash]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=link-row]:first-child[data-skillset=Sales][data-priority="10"]`)),
	)
	if got := linkPriorities(t, app, numberID); got["Sales"] != 10 || got["Support"] != 0 {
		t.Fatalf("links after the move: %v", got)
	}
	c2, agent, step := writes("393471110002", "Marco", "Salve")
	if agent != bruno.ID || step != 4 {
		t.Fatalf("customer 2: assigned to %s by step %d, want Bruno (%s) by step 4", agent, step, bruno.ID)
	}
	wantExplained("customer 2", c2, brunoName, "Step 4:", brunoName+" has priority 5 in Sales, "+anna.Name+" 1 in Sales")

	// Bruno's priority in Sales goes down to 0 on the skillset's page.
	brunoPriority := `[data-testid=member-row][data-email="` + brunoEmail + `"]`
	do("lower Bruno's priority in Sales",
		chromedp.Navigate(app.URL+"/admin/skillsets/"+sales),
		chromedp.WaitVisible(chromedp.CSS(brunoPriority+` [data-testid=member-priority]`)),
		chromedp.SetValue(chromedp.CSS(brunoPriority+` [data-testid=member-priority]`), "0"),
		chromedp.Click(chromedp.CSS(brunoPriority+` [data-testid=member-update]`)),
		chromedp.WaitVisible(chromedp.CSS(brunoPriority+`[data-priority="0"]`)),
	)
	c3, agent, step := writes("393471110003", "Nora", "Ciao")
	if agent != anna.ID || step != 4 {
		t.Fatalf("customer 3: assigned to %s by step %d, want Anna (%s) by step 4", agent, step, anna.ID)
	}
	wantExplained("customer 3", c3, anna.Name, "Step 4:", anna.Name+" has priority 1 in Sales, "+brunoName+" 0 in Sales")

	// Every change the administrator made is in the log, as theirs: the
	// move as one entry.
	entries, err := st.ListAudit(bg, tenantID, 50)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	for _, e := range entries {
		if e.ActorEmail == app.F.A.Admin.Email {
			seen[e.Action]++
		}
	}
	for action, n := range map[string]int{"user.invite": 1, "skillset.create": 2, "skillset.member_set": 4, "number.add": 1,
		"skillset.number_link": 2, "skillset.number_reorder": 1} {
		if seen[action] != n {
			t.Errorf("audit: %d %s entries by the administrator, want %d (%v)", seen[action], action, n, seen)
		}
	}
}
