package server_test

import (
	"context"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"switchboard/internal/server/browsertest"
	"switchboard/internal/server/servertest"
	"switchboard/internal/softbot"
	"switchboard/internal/storage"
	"switchboard/internal/storage/storagetest"
)

// botBrowser is a Chromium signed in as tenant A's administrator, with the
// helpers the softbot pages' tests share.
type botBrowser struct {
	t   *testing.T
	app *servertest.App
	ctx context.Context
	// do and eval are browserSteps' (20 s a step, a screenshot on failure).
	do   func(what string, steps ...chromedp.Action[chromedp.Void])
	eval func(js string) string
}

func newBotBrowser(t *testing.T, app *servertest.App) *botBrowser {
	b := &botBrowser{t: t, app: app, ctx: browsertest.New(t)}
	b.do, b.eval = browserSteps(t, app, b.ctx, stepTimeout(20*time.Second), onStepFailure(func() { b.shot("failed") }))
	b.do("sign in",
		chromedp.Navigate(app.URL+"/login"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=login]`)),
		chromedp.SendKeys(chromedp.CSS(`#f-email`), app.F.A.Admin.Email),
		chromedp.SendKeys(chromedp.CSS(`#f-password`), storagetest.Password),
		chromedp.Click(chromedp.CSS(`[data-testid=login-submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=admin-home]`)))
	return b
}

// set types a value into a field as a person does: the input and change
// events fire, so the page's script sees it.
func (b *botBrowser) set(sel, value string) chromedp.Action[chromedp.Void] {
	return chromedp.Evaluate[chromedp.Void](`(() => { const el = document.querySelector(` + strconv.Quote(sel) + `);
		el.value = ` + strconv.Quote(value) + `;
		el.dispatchEvent(new Event("input", {bubbles: true})); el.dispatchEvent(new Event("change", {bubbles: true})); })()`)
}

// count is how many elements sel finds.
func (b *botBrowser) count(sel string) int {
	b.t.Helper()
	n, err := strconv.Atoi(b.eval(`String(document.querySelectorAll(` + strconv.Quote(sel) + `).length)`))
	if err != nil {
		b.t.Fatal(err)
	}
	return n
}

func (b *botBrowser) shot(name string) {
	if dir := os.Getenv("SB_SCREENSHOTS"); dir != "" {
		if png, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100)); err == nil {
			_ = os.WriteFile(filepath.Join(dir, "bots-"+name+".png"), png, 0o644)
		}
	}
}

// TestBrowserBotEditorRefusesBadMenus is the editor's validation in
// Chromium: a button title over WhatsApp's 20 characters is counted in red
// as it is typed; removing a step leaves a dangling choice; Publish is then
// refused with each problem beside its step and option, and the draft is
// kept as typed. Then two steps that only lead to each other: the cycle
// without an exit is refused on both.
func TestBrowserBotEditorRefusesBadMenus(t *testing.T) {
	t.Parallel()
	app := servertest.New(t)
	st := app.DB.Store
	id, err := st.CreateBot(context.Background(), app.F.A.ID, storage.Actor{Email: "test"}, "Front desk", storage.NewBotMenu("en"))
	if err != nil {
		t.Fatal(err)
	}
	b := newBotBrowser(t, app)
	b.do("open the editor",
		chromedp.Click(chromedp.CSS(`[data-testid=nav-bots]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=bot-row][data-bot="Front desk"]`)),
		chromedp.Click(chromedp.CSS(`[data-testid=bot-row] [data-testid=bot-open]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=step][data-step=start]`)))
	long := "A title far too long for a button"
	b.do("a long button title", b.set(`#f-s0_o0_title`, long))
	if got := b.eval(`document.querySelector("#f-s0_o0_title + .counter").textContent`); got != "33 / 20" {
		t.Errorf("the counter says %q", got)
	}
	if b.count(`#f-s0_o0_title + .counter.over`) != 1 {
		t.Error("the counter does not show the title is over the limit")
	}
	// Remove the step the first button leads to ("hours", the second).
	b.do("remove a step",
		chromedp.Click(chromedp.CSS(`[data-testid=step][data-step=hours] [data-testid=remove-step]`)),
		chromedp.WaitNotPresent(chromedp.CSS(`[data-testid=step][data-step=hours]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=step][data-step=person]`)))
	if got := b.eval(`document.querySelector("#f-s0_o0_title").value`); got != long {
		t.Errorf("the typed title was not kept: %q", got)
	}
	b.do("publish", chromedp.Click(chromedp.CSS(`[data-testid=bot-publish]`)), chromedp.WaitVisible(chromedp.CSS(`[data-testid=bot-notice]`)))
	b.shot("refused")
	opt := `[data-testid=step][data-step=start] [data-testid=option][data-option="1"] `
	if b.count(opt+`[data-testid=problem][data-key="bot.err.dangling"]`) != 1 || b.count(opt+`[data-testid=problem][data-key="bot.err.option_title_long"]`) != 1 {
		t.Errorf("problems beside the first option: %s", b.eval(`document.querySelector("[data-testid=step][data-step=start]").innerText`))
	}
	if got := b.eval(`document.querySelector('` + opt + `[data-key="bot.err.dangling"]').textContent`); !strings.Contains(got, `"hours"`) || strings.Contains(got, "bot.err") {
		t.Errorf("the dangling step is said as %q", got)
	}
	if got := b.eval(`document.querySelector("#f-s0_o0_next").selectedOptions[0].textContent`); got != "hours (missing)" {
		t.Errorf("the missing step is shown as %q", got)
	}
	if got := b.eval(`document.querySelector("[data-testid=bot-live]").textContent`); got != "not published" {
		t.Errorf("the bot reads %q", got)
	}
	bot, err := st.BotByID(context.Background(), app.F.A.ID, id)
	if err != nil || bot.LiveVersion != 0 || len(bot.Draft.Steps) != 2 || bot.Draft.Steps[0].Options[0].Title != long {
		t.Fatalf("stored: live %d, draft %+v, %v", bot.LiveVersion, bot.Draft, err)
	}

	// A cycle: the start leads to "person", now a question whose only
	// option leads back to the start.
	b.do("make a cycle",
		b.set(`#f-s0_o0_title`, "Opening hours"),
		b.set(`#f-s0_o0_next`, "person"),
		b.set(`#f-s1_kind`, "buttons"),
		b.set(`#f-s1_text`, "Anything else?"),
		chromedp.Click(chromedp.CSS(`[data-testid=step][data-step=person] [data-testid=add-option]`)),
		chromedp.WaitVisible(chromedp.CSS(`#f-s1_o0_title`)))
	b.do("lead back to the start",
		b.set(`#f-s1_o0_title`, "Back"),
		b.set(`#f-s1_o0_next`, "start"),
		chromedp.Click(chromedp.CSS(`[data-testid=bot-publish]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=bot-notice]`)))
	for _, step := range []string{"start", "person"} {
		if b.count(`[data-testid=step][data-step=`+step+`] [data-testid=step-problems] [data-key="bot.err.no_exit"]`) != 1 {
			t.Errorf("step %s does not say it has no exit: %s", step, b.eval(`document.querySelector("[data-testid=bot-form]").innerText`))
		}
	}
	if bot, _ := st.BotByID(context.Background(), app.F.A.ID, id); bot.LiveVersion != 0 {
		t.Error("a menu without an exit was published")
	}
}

// TestBrowserBuildAndTryMenuBot builds a small menu bot in Chromium (a
// question with two buttons: one to an answer, one to a hand-off to the
// Sales skillset with a priority bump), renaming a step (the buttons follow
// it), publishes it, and runs it in the test panel: a button gets its
// answer; free text twice is handed off to Sales with +5; a photo is asked
// again.
func TestBrowserBuildAndTryMenuBot(t *testing.T) {
	t.Parallel()
	app := servertest.New(t)
	_, sales := salesDesk(t, app)
	// The collect step below saves into a field the tenant defined.
	if _, err := app.DB.Store.DefineContactField(context.Background(), app.F.A.ID, storage.Actor{Email: "test"},
		storage.ContactField{Key: "email", Label: "E-mail", Kind: storage.FieldKindText}); err != nil {
		t.Fatal(err)
	}
	b := newBotBrowser(t, app)
	b.do("create a bot",
		chromedp.Click(chromedp.CSS(`[data-testid=nav-bots]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=no-bots]`)),
		chromedp.SendKeys(chromedp.CSS(`[data-testid=bot-create-form] input[name=name]`), "Shop"),
		chromedp.Click(chromedp.CSS(`[data-testid=bot-create]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=step][data-step=start]`)))
	b.do("write the menu",
		b.set(`#f-s0_text`, "What do you need?"),
		b.set(`#f-s0_o0_title`, "Prices"),
		b.set(`#f-s0_o1_title`, "Talk to sales"),
		b.set(`#f-s1_id`, "prices"),
		b.set(`#f-s1_text`, "Our prices are on the website."),
		b.set(`#f-s2_id`, "sales"),
		b.set(`#f-s2_text`, "A colleague from sales will answer you."),
		b.set(`#f-s2_skillset`, sales),
		b.set(`#f-s2_bump`, "5"))
	// The renamed steps are what the buttons lead to now.
	if got := b.eval(`document.querySelector("#f-s0_o0_next").value + "," + document.querySelector("#f-s0_o1_next").value`); got != "prices,sales" {
		t.Errorf("after renaming, the buttons lead to %s", got)
	}
	b.do("save the draft", chromedp.Click(chromedp.CSS(`[data-testid=bot-save]`)), chromedp.WaitVisible(chromedp.CSS(`[data-testid=flash]`)))
	b.do("publish", chromedp.Click(chromedp.CSS(`[data-testid=bot-publish]`)), chromedp.WaitVisible(chromedp.CSS(`[data-testid=bot-live][data-version="1"]`)))
	if got := b.eval(`document.querySelector("[data-testid=flash]").textContent`); !strings.Contains(got, "version 1") {
		t.Errorf("flash after publishing: %q", got)
	}
	bots, err := app.DB.Store.ListBots(context.Background(), app.F.A.ID)
	if err != nil || len(bots) != 1 || bots[0].LiveVersion != 1 || bots[0].DraftChanged {
		t.Fatalf("stored: %+v %v", bots, err)
	}
	m, err := app.DB.Store.BotVersion(context.Background(), app.F.A.ID, bots[0].ID, 1)
	if err != nil || m.Steps[2].Skillset != sales || m.Steps[2].PriorityBump != 5 || m.Steps[0].Options[0].Next != "prices" {
		t.Fatalf("version 1: %+v %v", m, err)
	}

	// The test panel: a button leads to the answer, which resolves. Before
	// a run starts there is nothing to answer.
	chat := `[data-testid=test-chat]`
	if b.count(`[data-testid=test-input]:not([hidden])`) != 0 || b.eval(`getComputedStyle(document.querySelector("[data-testid=test-input]")).display`) != "none" {
		t.Error("the customer's input shows before the run starts")
	}
	b.do("start the test",
		chromedp.Click(chromedp.CSS(`[data-testid=test-start]`)),
		chromedp.WaitVisible(chromedp.CSS(chat+` [data-testid=test-choice]`)))
	if got := b.eval(`Array.from(document.querySelectorAll("[data-testid=test-choice]")).map(e => e.textContent).join("|")`); got != "Prices|Talk to sales" {
		t.Errorf("buttons shown: %s", got)
	}
	b.do("press Prices",
		clickLive(chat+` [data-testid=test-choice][data-choice="start:1"]`),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=test-end][data-end=resolved]`)))
	if got := b.eval(`Array.from(document.querySelectorAll("` + chat + ` .bot-bubble")).map(e => e.firstChild.textContent).join("|")`); got != "What do you need?|Prices|Our prices are on the website." {
		t.Errorf("the chat reads %s", got)
	}
	// Free text twice: asked again once, then handed off to Sales.
	b.do("start again and type twice",
		chromedp.Click(chromedp.CSS(`[data-testid=test-start]`)),
		chromedp.WaitVisible(chromedp.CSS(chat+` .bot-bubble:nth-child(1) [data-testid=test-choice]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=test-input]`)),
		chromedp.SendKeys(chromedp.CSS(`[data-testid=test-text]`), "how much is it?"),
		chromedp.Click(chromedp.CSS(`[data-testid=test-send]`)),
		chromedp.WaitVisible(chromedp.CSS(chat+` .bot-bubble:nth-child(4)`)))
	if got := b.eval(`document.querySelector("` + chat + ` .bot-bubble:nth-child(3)").textContent`); got != softbot.Phrase("en", "choose") {
		t.Errorf("the re-ask reads %q", got)
	}
	b.do("type again",
		chromedp.SendKeys(chromedp.CSS(`[data-testid=test-text]`), "???"),
		chromedp.Click(chromedp.CSS(`[data-testid=test-send]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=test-end][data-end=handed_off]`)))
	b.shot("test-panel")
	if got := b.eval(`document.querySelector("[data-testid=test-end]").textContent`); !strings.Contains(got, "the number's queue") || !strings.Contains(got, "did not understand") {
		t.Errorf("the end of a run that did not understand: %q", got)
	}
	// Pressing "Talk to sales" hands off to Sales with +5; a photo on the
	// way is asked again.
	b.do("start, send a photo, then press Talk to sales",
		chromedp.Click(chromedp.CSS(`[data-testid=test-start]`)),
		chromedp.WaitVisible(chromedp.CSS(chat+` .bot-bubble:nth-child(1) [data-testid=test-choice]`)),
		chromedp.Click(chromedp.CSS(`[data-testid=test-photo]`)),
		chromedp.WaitVisible(chromedp.CSS(chat+` .bot-bubble:nth-child(4) [data-testid=test-choice]`)),
		clickLive(chat+` .bot-bubble:nth-child(4) [data-testid=test-choice][data-choice="start:2"]`),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=test-end][data-end=handed_off]`)))
	if got := b.eval(`document.querySelector("[data-testid=test-end]").textContent`); got != "Handed off to Sales with priority +5." {
		t.Errorf("the hand-off reads %q", got)
	}
	if got := b.eval(`document.querySelector("` + chat + ` .bot-bubble:last-child").textContent`); got != "A colleague from sales will answer you." {
		t.Errorf("the hand-off notice reads %q", got)
	}

	// The endpoint itself: a menu given as JSON (a list whose row leads to a
	// value to collect), the live version, and an invalid menu, which is
	// not run but explained.
	call := func(body string) string {
		t.Helper()
		v, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](`fetch(location.pathname + "/test", {method: "POST",
			headers: {"Content-Type": "application/json", "X-CSRF-Token": document.querySelector('input[name="csrf_token"]').value},
			body: JSON.stringify(`+body+`)}).then(r => r.text().then(t => r.status + " " + t))`, chromedp.EvalAwaitPromise))
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	list := `{steps: [{id: "start", kind: "list", text: "Pick one", list_button: "Menu", options: [{title: "Order status", description: "Where is my order?", next: "ask"}]},
		{id: "ask", kind: "collect", text: "Your e-mail?", field: "email", validate: "email", next: "done"}, {id: "done", kind: "answer", text: "Thanks!"}], start: "start"}`
	if got := call(`{menu: ` + list + `, start: true}`); !strings.HasPrefix(got, "200 ") || !strings.Contains(got, `"rows":[{"id":"start:1","title":"Order status","description":"Where is my order?"}]`) || !strings.Contains(got, `"list_button":"Menu"`) {
		t.Errorf("a list: %s", got)
	}
	if got := call(`{menu: ` + list + `, run: {step: "ask"}, input: {text: "Anna@Example.com"}}`); !strings.Contains(got, `"collected":{"email":"anna@example.com"}`) || !strings.Contains(got, `"end":"resolved"`) {
		t.Errorf("a value collected: %s", got)
	}
	if got := call(`{source: "live", start: true}`); !strings.HasPrefix(got, "200 ") || !strings.Contains(got, "What do you need?") {
		t.Errorf("the live version: %s", got)
	}
	if got := call(`{menu: {start: "start", steps: [{id: "start", kind: "answer", text: "Hi", next: "gone"}]}, start: true}`); !strings.HasPrefix(got, "422 ") || !strings.Contains(got, `This leads to the step \"gone\", which does not exist.`) {
		t.Errorf("an invalid menu: %s", got)
	}
}

// TestBrowserKeywordRules adds two rules that match the same message: the
// list says they are tried top to bottom, "try a message" shows both and
// the first as the winner; moving the second up makes it the winner. A
// regular expression that does not compile is refused beside the pattern,
// keeping what was typed.
func TestBrowserKeywordRules(t *testing.T) {
	t.Parallel()
	app := servertest.New(t)
	b := newBotBrowser(t, app)
	add := func(name, match, pattern, reply, button string) {
		b.t.Helper()
		b.do("add "+name,
			chromedp.SendKeys(chromedp.CSS(`[data-testid=rule-form] #f-name`), name),
			b.set(`[data-testid=rule-form] #f-match`, match),
			chromedp.SendKeys(chromedp.CSS(`[data-testid=rule-form] #f-pattern`), pattern),
			chromedp.SendKeys(chromedp.CSS(`[data-testid=rule-form] #f-reply`), reply),
			b.set(`[data-testid=rule-form] #f-button_1`, button),
			chromedp.Click(chromedp.CSS(`[data-testid=rule-submit]`)),
			chromedp.WaitVisible(chromedp.CSS(`[data-testid=rule-row][data-rule="`+name+`"]`)))
	}
	b.do("open the rules", chromedp.Click(chromedp.CSS(`[data-testid=nav-rules]`)), chromedp.WaitVisible(chromedp.CSS(`[data-testid=no-rules]`)))
	add("Prices", "contains", "price", "Our price list: example.com/prices", "Thanks")
	add("Price exactly", "exact", "price", "Which product?", "")
	order := `Array.from(document.querySelectorAll("[data-testid=rule-row]")).map(r => r.dataset.position + r.dataset.rule).join(",")`
	if got := b.eval(order); got != "1Prices,2Price exactly" {
		t.Errorf("order %s", got)
	}
	if !strings.Contains(b.eval(`document.querySelector("[data-testid=rules-order]").textContent`), "top to bottom") {
		t.Error("the page does not say the order")
	}
	try := func(text string) string {
		b.t.Helper()
		b.do("try "+text,
			// The last try's answer goes first, so that only the new page's can be waited for.
			chromedp.Evaluate[chromedp.Void](`document.querySelectorAll("[data-testid=try-result], [data-testid=try-none]").forEach(e => e.remove())`),
			b.set(`#f-try_text`, text),
			chromedp.Click(chromedp.CSS(`[data-testid=try-submit]`)),
			chromedp.WaitVisible(chromedp.CSS(`[data-testid=try-result], [data-testid=try-none]`)))
		return b.eval(`Array.from(document.querySelectorAll("[data-testid=try-match]")).map(m => m.dataset.rule + (m.dataset.winner === "true" ? "*" : "")).join(",")`)
	}
	if got := try("Price!"); got != "Prices*,Price exactly" {
		t.Errorf("tried: %s", got)
	}
	if got := b.eval(`document.querySelector("[data-testid=try-reply]").textContent`); got != "It answers: Our price list: example.com/prices" {
		t.Errorf("the winner's reply reads %q", got)
	}
	b.do("move Price exactly up",
		chromedp.Click(chromedp.CSS(`[data-testid=rule-row][data-rule="Price exactly"] [data-testid=rule-up]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=rule-row][data-rule="Price exactly"][data-position="1"]`)))
	b.shot("rules")
	if got := try("price"); got != "Price exactly*,Prices" {
		t.Errorf("tried after moving: %s", got)
	}
	if got := try("hello"); got != "" || b.count(`[data-testid=try-none]`) != 1 {
		t.Errorf("a message no rule matches: %q", got)
	}
	b.do("a bad regular expression",
		chromedp.SendKeys(chromedp.CSS(`[data-testid=rule-form] #f-name`), "Broken"),
		b.set(`[data-testid=rule-form] #f-match`, "regex"),
		chromedp.SendKeys(chromedp.CSS(`[data-testid=rule-form] #f-pattern`), "(order|ordine"),
		chromedp.SendKeys(chromedp.CSS(`[data-testid=rule-form] #f-reply`), "x"),
		chromedp.Click(chromedp.CSS(`[data-testid=rule-submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=error-pattern]`)))
	if got := b.eval(`document.querySelector("[data-testid=rule-form] #f-pattern").value`); got != "(order|ordine" {
		t.Errorf("the pattern typed was not kept: %q", got)
	}
	if got := b.eval(`document.querySelector("[data-testid=error-pattern]").textContent`); !strings.Contains(got, "does not compile") {
		t.Errorf("the error reads %q", got)
	}
	// Edit a rule: its form comes filled in; the change keeps its place.
	b.do("edit Prices",
		chromedp.Navigate(app.URL+"/admin/rules"),
		chromedp.Click(chromedp.CSS(`[data-testid=rule-row][data-rule="Prices"] [data-testid=rule-edit]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=rule-form] #f-button_1[value="Thanks"]`)),
		b.set(`[data-testid=rule-form] #f-reply`, "Prices: example.com/prices"),
		chromedp.Click(chromedp.CSS(`[data-testid=rule-submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=flash]`)))
	if got := b.eval(order); got != "1Price exactly,2Prices" {
		t.Errorf("order after editing: %s", got)
	}
	rules, err := app.DB.Store.ListKeywordRules(context.Background(), app.F.A.ID)
	if err != nil || len(rules) != 2 || rules[0].Name != "Price exactly" || rules[1].Reply.Buttons[0] != "Thanks" || rules[1].Reply.Text != "Prices: example.com/prices" {
		t.Errorf("stored: %+v %v", rules, err)
	}
}

// TestBrowserNumberAutomation saves a number's automatic replies from its
// page, sees them shown again, and sees a wrong placeholder refused beside
// the busy text with everything typed kept.
func TestBrowserNumberAutomation(t *testing.T) {
	t.Parallel()
	app := servertest.New(t)
	n, _, _ := numberWithSkillsets(t, app)
	b := newBotBrowser(t, app)
	b.do("open the number's automatic replies",
		chromedp.Navigate(app.URL+"/admin/numbers/"+n.ID),
		chromedp.Click(chromedp.CSS(`[data-testid=automation-link]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=automation-form]`)))
	if got := b.eval(`document.querySelector("#f-handoff_keywords").value`); got != "agent, operator, operatore, persona" {
		t.Errorf("hand-off words suggested: %q", got)
	}
	if !strings.Contains(b.eval(`document.querySelector("[data-testid=hours-note]").textContent`), "no business hours") {
		t.Error("the page does not say the number has no business hours")
	}
	b.do("fill it in",
		b.set(`#f-welcome_mode`, "every"),
		b.set(`#f-welcome_text`, "Welcome to Alpha!"),
		b.set(`#f-closed_mode`, "wait"),
		b.set(`#f-closed_text`, "We are closed; we answer at opening time."),
		chromedp.Click(chromedp.CSS(`[data-testid=busy_enabled]`)),
		b.set(`#f-busy_text`, "You are number {place} in line."),
		b.set(`#f-busy_after`, "20"),
		b.set(`#f-handoff_keywords`, "human, operatore"),
		b.set(`#f-bot_timeout`, "5"),
		chromedp.Click(chromedp.CSS(`[data-testid=automation-submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=error-busy_text]`)))
	if got := b.eval(`document.querySelector("#f-welcome_text").value + "|" + document.querySelector("#f-busy_text").value`); got != "Welcome to Alpha!|You are number {place} in line." {
		t.Errorf("what was typed: %q", got)
	}
	if a, _ := app.DB.Store.NumberAutomation(context.Background(), app.F.A.ID, n.ID); a.Saved {
		t.Error("a refused form was saved")
	}
	b.do("fix the placeholder",
		b.set(`#f-busy_text`, "You are number {position} in line, about {wait}."),
		chromedp.Click(chromedp.CSS(`[data-testid=automation-submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=flash]`)))
	b.shot("automation")
	got := b.eval(`["welcome_mode", "welcome_text", "closed_mode", "busy_text", "busy_after", "handoff_keywords", "bot_timeout"]
		.map(n => document.querySelector("#f-" + n).value).join("|") + "|" + document.querySelector("[data-testid=busy_enabled]").checked`)
	if got != "every|Welcome to Alpha!|wait|You are number {position} in line, about {wait}.|20|human, operatore|5|true" {
		t.Errorf("shown again: %s", got)
	}
	a, err := app.DB.Store.NumberAutomation(context.Background(), app.F.A.ID, n.ID)
	if err != nil || !a.Saved || a.BotTimeout != 300 || a.BusyAfter != 20 || a.ClosedMode != storage.ClosedWait {
		t.Errorf("stored: %+v %v", a, err)
	}
}

// TestAdminSoftbotPagesGuarded: agents reach none of the softbot pages;
// tenant B's administrator gets 404 for tenant A's bot, rule and number;
// bad input is refused beside its field with what was typed kept; a bot a
// number uses is not deleted, and the page says which number.
func TestAdminSoftbotPagesGuarded(t *testing.T) {
	t.Parallel()
	app := servertest.New(t)
	bg, st, actor := context.Background(), app.DB.Store, storage.Actor{Email: "test"}
	n, _, _ := numberWithSkillsets(t, app)
	botID, err := st.CreateBot(bg, app.F.A.ID, actor, "Front desk", storage.NewBotMenu("en"))
	if err != nil {
		t.Fatal(err)
	}
	ruleID, err := st.CreateKeywordRule(bg, app.F.A.ID, actor, storage.KeywordRule{Name: "Hi", Match: "exact", Pattern: "hi", Reply: storage.RuleReply{Text: "Hello"}, Active: true})
	if err != nil {
		t.Fatal(err)
	}
	pages := []string{"/admin/bots", "/admin/bots/" + botID, "/admin/rules", "/admin/rules/" + ruleID, "/admin/numbers/" + n.ID + "/automation"}

	agent := app.Client(t)
	agent.MustLogin(app.F.A.Agent.Email, storagetest.Password)
	for _, p := range pages {
		if r := agent.Get(p); r.Status != http.StatusForbidden {
			t.Errorf("agent on %s: %d", p, r.Status)
		}
	}
	other := app.Client(t)
	other.MustLogin(app.F.B.Admin.Email, storagetest.Password)
	for _, p := range pages[1:] {
		if p == "/admin/rules" {
			continue
		}
		if r := other.Get(p); r.Status != http.StatusNotFound {
			t.Errorf("tenant B on %s: %d", p, r.Status)
		}
	}
	other.Get("/admin/bots")
	for _, p := range []string{"/admin/bots/" + botID, "/admin/bots/" + botID + "/delete", "/admin/bots/" + botID + "/rename", "/admin/bots/" + botID + "/test",
		"/admin/rules/" + ruleID + "/delete", "/admin/rules/" + ruleID + "/move", "/admin/numbers/" + n.ID + "/automation"} {
		if r := other.Post(p, url.Values{"name": {"Mine"}, "action": {"publish"}}); r.Status != http.StatusNotFound {
			t.Errorf("tenant B posting %s: %d", p, r.Status)
		}
	}
	if bots, _ := st.ListBots(bg, app.F.A.ID); len(bots) != 1 || bots[0].Name != "Front desk" || bots[0].LiveVersion != 0 {
		t.Errorf("tenant B changed A's bot: %+v", bots)
	}

	admin := app.Client(t)
	admin.MustLogin(app.F.A.Admin.Email, storagetest.Password)
	admin.Get("/admin/rules")
	r := admin.Post("/admin/rules", url.Values{"name": {"Sale"}, "match": {"contains"}, "pattern": {"sale"}, "reply": {"Up to half price"},
		"button_1": {"A button title over twenty"}, "active": {"on"}})
	if r.Status != http.StatusUnprocessableEntity || !r.Has("[data-testid=error-button_1]") || !strings.Contains(r.Body, `value="A button title over twenty"`) {
		t.Errorf("a long button: %d", r.Status)
	}
	r = admin.Post("/admin/rules", url.Values{"name": {"Sale"}, "match": {"fuzzy"}, "pattern": {"sale"}, "reply": {"x"}})
	if r.Status != http.StatusUnprocessableEntity || !r.Has("[data-testid=error-match]") {
		t.Errorf("an unknown match: %d", r.Status)
	}
	admin.Get("/admin/numbers/" + n.ID + "/automation")
	for _, c := range []struct {
		values url.Values
		field  string
	}{
		{url.Values{"welcome_mode": {"first"}, "closed_mode": {"off"}, "welcome_text": {""}, "busy_after": {"30"}, "bot_timeout": {"10"}}, "welcome_text"},
		{url.Values{"welcome_mode": {"off"}, "closed_mode": {"off"}, "busy_after": {"soon"}, "bot_timeout": {"10"}}, "busy_after"},
		{url.Values{"welcome_mode": {"off"}, "closed_mode": {"off"}, "busy_after": {"30"}, "bot_timeout": {"0"}}, "bot_timeout"},
		{url.Values{"welcome_mode": {"off"}, "closed_mode": {"off"}, "busy_after": {"30"}, "bot_timeout": {"10"}, "bot_id": {botID}}, "bot_id"},
	} {
		r := admin.Post("/admin/numbers/"+n.ID+"/automation", c.values)
		if r.Status != http.StatusUnprocessableEntity || !r.Has("[data-testid=error-"+c.field+"]") {
			t.Errorf("%v: %d", c.values, r.Status)
		}
		if msg := r.Text("[data-testid=error-" + c.field + "]"); strings.Contains(msg, "auto.") {
			t.Errorf("the error shows its key: %q", msg)
		}
	}
	// Publishing a broken menu is refused, with the problems beside their
	// step in the administrator's language (here Italian); the draft keeps
	// what was typed.
	it := app.Client(t)
	it.Header.Set("Accept-Language", "it")
	it.MustLogin(app.F.A.Admin.Email, storagetest.Password)
	it.Get("/admin/bots/" + botID)
	r = it.Post("/admin/bots/"+botID, url.Values{"action": {"publish"}, "start": {"start"},
		"s0_id": {"start"}, "s0_kind": {"buttons"}, "s0_text": {"Ciao!"},
		"s0_o0_title": {"Un titolo troppo lungo per WhatsApp"}, "s0_o0_next": {"fine"},
		"s1_id": {"fine"}, "s1_kind": {"answer"}, "s1_text": {"Grazie"}})
	if r.Status != http.StatusUnprocessableEntity {
		t.Fatalf("publish a broken menu: %d", r.Status)
	}
	if got := r.Text(`[data-testid=step][data-step=start] [data-testid=option-problems]`); !strings.Contains(got, "Il titolo è troppo lungo: WhatsApp consente al massimo 20 caratteri.") {
		t.Errorf("the problem in Italian: %q", got)
	}
	if !strings.Contains(r.Body, `value="Un titolo troppo lungo per WhatsApp"`) || !r.Has("[data-testid=bot-notice]") {
		t.Error("the typed title or the notice is missing")
	}
	if b, _ := st.BotByID(bg, app.F.A.ID, botID); b.LiveVersion != 0 || b.Draft.Steps[0].Options[0].Title != "Un titolo troppo lungo per WhatsApp" {
		t.Errorf("stored: %+v", b)
	}

	// Renaming: an empty name is refused beside the field; a new one is kept.
	admin.Get("/admin/bots/" + botID)
	if r := admin.Post("/admin/bots/"+botID+"/rename", url.Values{"name": {"  "}}); r.Status != http.StatusUnprocessableEntity || !r.Has("[data-testid=bot-rename-form] [data-testid=error-name]") {
		t.Errorf("an empty name: %d", r.Status)
	}
	if r := admin.Post("/admin/bots/"+botID+"/rename", url.Values{"name": {"Reception"}}); r.Status != http.StatusSeeOther {
		t.Errorf("rename: %d", r.Status)
	}
	if r := admin.Get("/admin/bots/" + botID); r.Text("[data-testid=bot-name]") != "Reception" {
		t.Errorf("the editor names the bot %q", r.Text("[data-testid=bot-name]"))
	}

	// Published and chosen for the number, the bot cannot be deleted.
	if _, _, err := st.PublishBot(bg, app.F.A.ID, actor, botID, storage.NewBotMenu("en")); err != nil {
		t.Fatal(err)
	}
	admin.Get("/admin/numbers/" + n.ID + "/automation")
	if r := admin.Post("/admin/numbers/"+n.ID+"/automation", url.Values{"welcome_mode": {"off"}, "closed_mode": {"off"}, "busy_after": {"30"},
		"bot_timeout": {"10"}, "bot_id": {botID}, "handoff_keywords": {"agent"}}); r.Status != http.StatusSeeOther {
		t.Fatalf("choose the bot: %d %s", r.Status, r.Text("[data-testid=automation] .error"))
	}
	admin.Get("/admin/bots")
	r = admin.Post("/admin/bots/"+botID+"/delete", nil)
	if r.Status != http.StatusConflict || !strings.Contains(r.Text("[data-testid=form-error]"), n.DisplayPhone) {
		t.Errorf("deleting a bot in use: %d %q", r.Status, r.Text("[data-testid=form-error]"))
	}
	if r := admin.Get("/admin/bots"); !strings.Contains(r.Text("[data-testid=bot-row]"), n.DisplayPhone) || !r.Has("[data-testid=bot-live][data-version=\"1\"]") {
		t.Error("the list does not say the bot is live and where it answers")
	}
}
