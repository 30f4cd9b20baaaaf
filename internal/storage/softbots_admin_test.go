package storage_test

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"switchboard/internal/domain"
	"switchboard/internal/softbot"
	"switchboard/internal/storage"
	"switchboard/internal/storage/storagetest"
)

// newNumber adds a sandbox number to a tenant straight in the table (the
// number service lives above storage).
func newNumber(t *testing.T, db *storagetest.DB, tenantID, phone string) string {
	t.Helper()
	var id string
	err := db.Store.InTenant(context.Background(), tenantID, func(tx pgx.Tx) error {
		return tx.QueryRow(context.Background(), `INSERT INTO numbers (tenant_id, phone_number_id, display_phone, waba_id, access_token_enc, sandbox)
			VALUES ($1, $2, $3, '1', 'x', true) RETURNING id`, tenantID, strings.TrimPrefix(phone, "+"), phone).Scan(&id)
	})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// TestNumberAutomationSaveAndRead saves a number's automatic replies: the
// defaults before, what was saved after, audited with before and after;
// bad values are refused beside their field; a bot never published cannot
// be chosen; another tenant's number is not found.
func TestNumberAutomationSaveAndRead(t *testing.T) {
	t.Parallel()
	db := storagetest.NewDB(t)
	f := storagetest.Seed(t, db)
	ctx := context.Background()
	st := db.Store
	num := newNumber(t, db, f.A.ID, "+390000001")

	a, err := st.NumberAutomation(ctx, f.A.ID, num)
	if err != nil || a.Saved || a.WelcomeMode != storage.WelcomeOff || !slices.Equal(a.HandoffKeywords, storage.DefaultHandoffKeywords) || a.BotTimeout != 600 {
		t.Fatalf("defaults: %+v %v", a, err)
	}
	if _, err := st.NumberAutomation(ctx, f.B.ID, num); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("tenant B reading A's number: %v", err)
	}

	bad := []struct {
		change     func(*storage.Automation)
		field, key string
	}{
		{func(a *storage.Automation) { a.WelcomeMode = "always" }, "welcome_mode", "auto.err.mode"},
		{func(a *storage.Automation) { a.WelcomeMode = storage.WelcomeFirst }, "welcome_text", "auto.err.text_required"},
		{func(a *storage.Automation) {
			a.ClosedMode = storage.ClosedWait
			a.ClosedText = strings.Repeat("x", 4097)
		}, "closed_text", "auto.err.text_long"},
		{func(a *storage.Automation) { a.BusyEnabled = true; a.BusyText = "You are {place} in line" }, "busy_text", "auto.err.placeholder"},
		{func(a *storage.Automation) { a.BusyAfter = 3601 }, "busy_after", "auto.err.busy_after"},
		{func(a *storage.Automation) { a.BotTimeout = 59 }, "bot_timeout", "auto.err.bot_timeout"},
	}
	for _, c := range bad {
		a := storage.DefaultAutomation(num)
		c.change(&a)
		wantField(t, c.field, st.SetNumberAutomation(ctx, f.A.ID, admin, a), c.field, c.key)
	}

	botID, err := st.CreateBot(ctx, f.A.ID, admin, "Reception", storage.NewBotMenu("en"))
	if err != nil {
		t.Fatal(err)
	}
	a = storage.DefaultAutomation(num)
	a.BotID = botID
	wantField(t, "unpublished bot", st.SetNumberAutomation(ctx, f.A.ID, admin, a), "bot_id", "auto.err.bot")
	if v, ps, err := st.PublishBot(ctx, f.A.ID, admin, botID, storage.NewBotMenu("en")); err != nil || v != 1 || len(ps) != 0 {
		t.Fatalf("publish: %d %v %v", v, ps, err)
	}

	a = storage.Automation{NumberID: num, WelcomeMode: storage.WelcomeEvery, WelcomeText: " Welcome! ", ClosedMode: storage.ClosedWait,
		ClosedText: "We are closed.", BusyEnabled: true, BusyText: "You are number {position}, about {wait}.", BusyAfter: 45,
		HandoffKeywords: []string{"human", "persona"}, BotID: botID, BotTimeout: 900}
	if err := st.SetNumberAutomation(ctx, f.A.ID, admin, a); err != nil {
		t.Fatal(err)
	}
	got, err := st.NumberAutomation(ctx, f.A.ID, num)
	if err != nil || !got.Saved || got.WelcomeText != "Welcome!" || got.ClosedMode != storage.ClosedWait || got.BusyAfter != 45 ||
		got.BotID != botID || got.BotTimeout != 900 || !slices.Equal(got.HandoffKeywords, []string{"human", "persona"}) {
		t.Fatalf("saved: %+v %v", got, err)
	}
	e := lastAudit(t, db, f.A.ID)
	if e.Action != "automation.save" || e.Target != "+390000001" || !strings.Contains(string(botsJSON(t, e.Detail)), `"welcome_mode":"every"`) {
		t.Errorf("audit: %+v", e)
	}
	// Tenant B cannot write A's number.
	if err := st.SetNumberAutomation(ctx, f.B.ID, admin, a); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("tenant B writing A's number: %v", err)
	}
	// A bot a number uses is not deleted; the reason names the number.
	var inUse *storage.BotInUseError
	if err := st.DeleteBot(ctx, f.A.ID, admin, botID); !errors.As(err, &inUse) || !slices.Equal(inUse.Numbers, []string{"+390000001"}) {
		t.Errorf("delete a bot in use: %v", err)
	}
	if b, err := st.BotByID(ctx, f.A.ID, botID); err != nil || !slices.Equal(b.UsedBy, []string{"+390000001"}) {
		t.Errorf("bot used by: %+v %v", b, err)
	}
}

func mustKey(t *testing.T, err error) string {
	t.Helper()
	var fe *domain.FieldError
	if !errors.As(err, &fe) {
		t.Fatalf("not a field error: %v", err)
	}
	return fe.Key
}

func botsJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestParseHandoffKeywords reads the comma separated words.
func TestParseHandoffKeywords(t *testing.T) {
	t.Parallel()
	got, err := storage.ParseHandoffKeywords(" Agent, operatore ,, AGENT, human  being ")
	if err != nil || !slices.Equal(got, []string{"agent", "operatore", "human being"}) {
		t.Errorf("got %v %v", got, err)
	}
	if _, err := storage.ParseHandoffKeywords(strings.Repeat("x", 31)); err == nil {
		t.Error("a 31-character word was accepted")
	}
}

// TestKeywordRulesOrder adds three rules, moves them, deletes one: the
// positions stay 1, 2, 3… in the order shown; each change is audited; the
// reply is stored as outbound.Content (text, or interactive with buttons);
// bad patterns, buttons and references are refused.
func TestKeywordRulesOrder(t *testing.T) {
	t.Parallel()
	db := storagetest.NewDB(t)
	f := storagetest.Seed(t, db)
	ctx := context.Background()
	st := db.Store
	num := newNumber(t, db, f.A.ID, "+390000002")
	sales, err := st.CreateSkillset(ctx, f.A.ID, admin, "Sales")
	if err != nil {
		t.Fatal(err)
	}
	prio := 5
	add := func(name, pattern string, reply storage.RuleReply) string {
		t.Helper()
		id, err := st.CreateKeywordRule(ctx, f.A.ID, admin, storage.KeywordRule{Name: name, Match: softbot.MatchContains, Pattern: pattern,
			Reply: reply, Active: true})
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	r1 := add("Prices", "price", storage.RuleReply{Text: "See our prices"})
	r2 := add("Hours", "open", storage.RuleReply{Text: "Open 9-18", Buttons: []string{"Thanks", "Talk to us"}})
	r3 := add("Anything", "hello", storage.RuleReply{Text: "Hi"})
	order := func() string {
		t.Helper()
		list, err := st.ListKeywordRules(ctx, f.A.ID)
		if err != nil {
			t.Fatal(err)
		}
		var s []string
		for i, k := range list {
			if k.Position != i+1 {
				t.Errorf("rule %s at position %d, want %d", k.Name, k.Position, i+1)
			}
			s = append(s, k.Name)
		}
		return strings.Join(s, ",")
	}
	if got := order(); got != "Prices,Hours,Anything" {
		t.Fatalf("order %s", got)
	}
	if err := st.MoveKeywordRule(ctx, f.A.ID, admin, r3, true); err != nil {
		t.Fatal(err)
	}
	if got := order(); got != "Prices,Anything,Hours" {
		t.Errorf("after moving Anything up: %s", got)
	}
	if e := lastAudit(t, db, f.A.ID); e.Action != "rule.move" || e.Target != "Anything" {
		t.Errorf("audit: %+v", e)
	}
	if err := st.MoveKeywordRule(ctx, f.A.ID, admin, r1, true); err != nil { // already first
		t.Fatal(err)
	}
	if err := st.DeleteKeywordRule(ctx, f.A.ID, admin, r1); err != nil {
		t.Fatal(err)
	}
	if got := order(); got != "Anything,Hours" {
		t.Errorf("after deleting Prices: %s", got)
	}
	if err := st.MoveKeywordRule(ctx, f.A.ID, admin, r2, true); err != nil {
		t.Fatal(err)
	}
	if got := order(); got != "Hours,Anything" {
		t.Errorf("after moving Hours up: %s", got)
	}

	// The reply as the runtime reads it.
	var raw []byte
	if err := st.InTenant(ctx, f.A.ID, func(tx pgx.Tx) error {
		return tx.QueryRow(ctx, `SELECT reply FROM keyword_rules WHERE tenant_id = $1 AND id = $2`, f.A.ID, r2).Scan(&raw)
	}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(raw), `"type": "interactive"`) || !strings.Contains(string(raw), `"title": "Talk to us"`) {
		t.Errorf("stored reply %s", raw)
	}

	// Update: number, skillset, tags, priority; the place stays.
	k, err := st.KeywordRuleByID(ctx, f.A.ID, r2)
	if err != nil || k.Reply.Text != "Open 9-18" || len(k.Reply.Buttons) != 2 {
		t.Fatalf("read: %+v %v", k, err)
	}
	k.NumberID, k.SetSkillset, k.SetTags, k.SetPriority, k.Handoff, k.Match, k.Pattern = num, sales, []string{"vip", " hours "}, &prio, true, softbot.MatchRegex, `^open(ing)?\b`
	if err := st.UpdateKeywordRule(ctx, f.A.ID, admin, k); err != nil {
		t.Fatal(err)
	}
	k, _ = st.KeywordRuleByID(ctx, f.A.ID, r2)
	if k.Position != 1 || k.NumberPhone != "+390000002" || k.SetSkillset != sales || *k.SetPriority != 5 || !slices.Equal(k.SetTags, []string{"vip", "hours"}) || !k.Handoff {
		t.Errorf("updated: %+v", k)
	}

	base := storage.KeywordRule{Name: "x", Match: softbot.MatchExact, Pattern: "x", Reply: storage.RuleReply{Text: "y"}}
	for _, c := range []struct {
		change func(*storage.KeywordRule)
		field  string
		key    string
	}{
		{func(k *storage.KeywordRule) { k.Match, k.Pattern = softbot.MatchRegex, "(unclosed" }, "pattern", "rule.err.regex"},
		{func(k *storage.KeywordRule) {
			k.Match, k.Pattern = softbot.MatchRegex, "[a-z]{600}[0-9]{600}[a-z]{600}[0-9]{600}"
		}, "pattern", "rule.err.regex_big"},
		{func(k *storage.KeywordRule) { k.Pattern = " " }, "pattern", "rule.err.pattern_required"},
		{func(k *storage.KeywordRule) { k.Reply.Buttons = []string{"A button title too long"} }, "button_1", "rule.err.button"},
		{func(k *storage.KeywordRule) { k.Reply.Buttons = []string{"a", "b", "c", "d"} }, "buttons", "rule.err.buttons_many"},
		{func(k *storage.KeywordRule) { k.Reply.Text = "" }, "reply", "rule.err.reply_required"},
		{func(k *storage.KeywordRule) { k.NumberID = newNumber(t, db, f.B.ID, "+390000099") }, "number_id", "rule.err.number"},
		{func(k *storage.KeywordRule) { p := 101; k.SetPriority = &p }, "set_priority", "rule.err.priority"},
	} {
		k := base
		c.change(&k)
		_, err := st.CreateKeywordRule(ctx, f.A.ID, admin, k)
		wantField(t, c.key, err, c.field, c.key)
	}
	// Tenant B sees none of A's rules and cannot touch them.
	if list, _ := st.ListKeywordRules(ctx, f.B.ID); len(list) != 0 {
		t.Errorf("tenant B lists %d rules", len(list))
	}
	if err := st.DeleteKeywordRule(ctx, f.B.ID, admin, r2); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("tenant B deleting A's rule: %v", err)
	}
}

// TestBotDraftAndVersions creates a bot, saves an invalid draft (kept),
// refuses to publish it with its problems, publishes a good one as version
// 1 then 2; the earlier version stays as it was; renaming and deleting are
// audited; tenant B sees nothing.
func TestBotDraftAndVersions(t *testing.T) {
	t.Parallel()
	db := storagetest.NewDB(t)
	f := storagetest.Seed(t, db)
	ctx := context.Background()
	st := db.Store
	id, err := st.CreateBot(ctx, f.A.ID, admin, "Front desk", storage.NewBotMenu("it"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.CreateBot(ctx, f.A.ID, admin, "Front desk", softbot.Menu{}); mustKey(t, err) != "bot.name_taken" {
		t.Errorf("duplicate name: %v", err)
	}
	b, err := st.BotByID(ctx, f.A.ID, id)
	if err != nil || b.LiveVersion != 0 || !b.DraftChanged || b.Draft.Start != "start" || len(b.Draft.Steps) != 3 {
		t.Fatalf("new bot: %+v %v", b, err)
	}
	broken := storage.NewBotMenu("en")
	broken.Steps[0].Options[0].Next = "nowhere"
	broken.Steps[0].Options[1].Title = "A title far too long for a button"
	v, ps, err := st.PublishBot(ctx, f.A.ID, admin, id, broken)
	if err != nil || v != 0 || len(ps) != 2 || ps[0].Key != "bot.err.option_title_long" && ps[1].Key != "bot.err.option_title_long" {
		t.Fatalf("publish broken: %d %v %v", v, ps, err)
	}
	b, _ = st.BotByID(ctx, f.A.ID, id)
	if b.LiveVersion != 0 || b.Draft.Steps[0].Options[0].Next != "nowhere" {
		t.Errorf("the broken draft was not kept, or was published: %+v", b)
	}
	good := storage.NewBotMenu("en")
	if v, ps, err := st.PublishBot(ctx, f.A.ID, admin, id, good); err != nil || v != 1 || len(ps) != 0 {
		t.Fatalf("publish: %d %v %v", v, ps, err)
	}
	if e := lastAudit(t, db, f.A.ID); e.Action != "bot.publish" || e.Target != "Front desk" {
		t.Errorf("audit: %+v", e)
	}
	b, _ = st.BotByID(ctx, f.A.ID, id)
	if b.LiveVersion != 1 || b.DraftChanged {
		t.Errorf("after publishing: live %d changed %v", b.LiveVersion, b.DraftChanged)
	}
	good.Steps[1].Text = "Now open on Saturdays too."
	if err := st.SaveBotDraft(ctx, f.A.ID, admin, id, good); err != nil {
		t.Fatal(err)
	}
	if b, _ = st.BotByID(ctx, f.A.ID, id); !b.DraftChanged {
		t.Error("an edited draft does not show as changed")
	}
	if v, _, err := st.PublishBot(ctx, f.A.ID, admin, id, good); err != nil || v != 2 {
		t.Fatalf("second publication: %d %v", v, err)
	}
	m1, err := st.BotVersion(ctx, f.A.ID, id, 1)
	if err != nil || m1.Steps[1].Text != storage.NewBotMenu("en").Steps[1].Text {
		t.Errorf("version 1 changed: %+v %v", m1, err)
	}
	// A hand-off to another tenant's skillset is refused.
	other, err := st.CreateSkillset(ctx, f.B.ID, admin, "Theirs")
	if err != nil {
		t.Fatal(err)
	}
	good.Steps[2].Skillset = other
	if ps, err := st.ValidateBotMenu(ctx, f.A.ID, good); err != nil || len(ps) != 1 || ps[0].Key != "bot.err.skillset" {
		t.Errorf("foreign skillset: %v %v", ps, err)
	}
	// Tenant B reaches nothing.
	if _, err := st.BotByID(ctx, f.B.ID, id); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("tenant B reading A's bot: %v", err)
	}
	if _, _, err := st.PublishBot(ctx, f.B.ID, admin, id, good); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("tenant B publishing A's bot: %v", err)
	}
	if err := st.RenameBot(ctx, f.A.ID, admin, id, "Reception"); err != nil {
		t.Fatal(err)
	}
	if err := st.DeleteBot(ctx, f.A.ID, admin, id); err != nil {
		t.Fatal(err)
	}
	if e := lastAudit(t, db, f.A.ID); e.Action != "bot.delete" || e.Target != "Reception" {
		t.Errorf("audit: %+v", e)
	}
	if list, _ := st.ListBots(ctx, f.A.ID); len(list) != 0 {
		t.Errorf("bots after delete: %+v", list)
	}
}
