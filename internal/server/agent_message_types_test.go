package server_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/jackc/pgx/v5"

	"switchboard/internal/outbound"
	"switchboard/internal/routing"
	"switchboard/internal/server/servertest"
	"switchboard/internal/storage/storagetest"
	"switchboard/internal/whatsapp/fakemeta"
)

// TestAgentMessageListShowsEveryType sends, through the sandbox and the real
// webhook path, a location, a shared contact, a button reply, a forwarded
// message, a reply quoting an earlier message and a reaction, plus an
// unsupported message as inbound stores it, and reads the agent's list: each
// shown as what it is (the map link, the contact's phone, the title chosen,
// the forwarded mark, the quote, the reaction on its message, Meta's reason).
func TestAgentMessageListShowsEveryType(t *testing.T) {
	t.Parallel()
	app := servertest.New(t, servertest.Options{RunWorkers: true, RoutingSweep: 100 * time.Millisecond})
	bg := context.Background()
	st, tenantID, agent := app.DB.Store, app.F.A.ID, app.F.A.Agent
	n, _ := salesDesk(t, app)
	if err := app.Routing.SetAvailability(bg, tenantID, agent.ID, routing.Available); err != nil {
		t.Fatal(err)
	}
	const customer = "393471112255"
	sends := func(m fakemeta.InboundMessage) string {
		t.Helper()
		m.From, m.ProfileName = customer, "Marta"
		wamid, err := app.Sandbox.Fake.CustomerSends(bg, n.PhoneNumberID, m)
		if err != nil {
			t.Fatal(err)
		}
		return wamid
	}
	eventually := func(what string, ok func() bool) {
		t.Helper()
		deadline := time.Now().Add(15 * time.Second)
		for !ok() {
			if time.Now().After(deadline) {
				t.Fatalf("%s never happened\n%s", what, tail(app.Logs.String()))
			}
			time.Sleep(50 * time.Millisecond)
		}
	}

	first := sends(fakemeta.InboundMessage{Text: "Ciao"})
	var conv string
	eventually("the conversation assigned to the agent", func() bool {
		_ = st.InTenant(bg, tenantID, func(tx pgx.Tx) error {
			return tx.QueryRow(bg, `SELECT id FROM conversations WHERE tenant_id = $1 AND assigned_agent_id = $2`, tenantID, agent.ID).Scan(&conv)
		})
		return conv != ""
	})
	// The business offers two buttons; the customer will tap one and react.
	if _, err := app.Outbound.Reply(bg, tenantID, agent.ID, conv, outbound.Content{Type: outbound.TypeInteractive,
		Interactive: &outbound.Interactive{Body: "Vuole un appuntamento?", Buttons: []outbound.Choice{{ID: "yes", Title: "Sì, grazie"}, {ID: "no", Title: "No"}}}}, ""); err != nil {
		t.Fatal(err)
	}
	offer := ""
	eventually("the buttons reach the customer", func() bool {
		for _, ev := range app.Sandbox.Fake.Conversation(n.PhoneNumberID, customer) {
			if ev.Direction == fakemeta.Outbound && ev.Type == "interactive" {
				offer = ev.WAMID
			}
		}
		return offer != ""
	})
	sends(fakemeta.InboundMessage{Type: "location", Location: &fakemeta.Location{Latitude: 45.4642, Longitude: 9.19, Name: "Duomo", Address: "Piazza del Duomo, Milano"}})
	sends(fakemeta.InboundMessage{Type: "contacts", Contacts: []fakemeta.Contact{{Name: fakemeta.ContactName{FormattedName: "Luca Bianchi"},
		Phones: []fakemeta.ContactPhone{{Phone: "+39 333 123 4567", Type: "CELL"}}}}})
	sends(fakemeta.InboundMessage{Type: "interactive", ButtonReply: &fakemeta.Reply{ID: "yes", Title: "Sì, grazie"}, ReplyTo: offer})
	sends(fakemeta.InboundMessage{Text: "Guarda qui", Forwarded: true})
	sends(fakemeta.InboundMessage{Text: "Come dicevo", ReplyTo: first})
	sends(fakemeta.InboundMessage{Type: "reaction", Reaction: &fakemeta.Reaction{MessageID: offer, Emoji: "👍"}})
	// The business reacts to the customer's first message (through the API's
	// pipeline): shown on that message too.
	if _, err := app.Outbound.Reply(bg, tenantID, agent.ID, conv, outbound.Content{Type: outbound.TypeReaction, ReactTo: first, Emoji: "❤️"}, ""); err != nil {
		t.Fatal(err)
	}
	// An unsupported message, as inbound stores it (the fake's customer
	// cannot send one).
	if err := st.InTenant(bg, tenantID, func(tx pgx.Tx) error {
		_, err := tx.Exec(bg, `INSERT INTO messages (tenant_id, conversation_id, wamid, direction, type, details, error_code, error_title, error_details, wa_timestamp)
			VALUES ($1, $2, 'wamid.unsupported', 'inbound', 'unsupported', '{"unsupported_type":"poll_creation"}', 131051, 'Message type unknown',
			'Message type is currently not supported.', now() + interval '1 minute')`, tenantID, conv)
		return err
	}); err != nil {
		t.Fatal(err)
	}

	c := app.Client(t)
	c.MustLogin(agent.Email, storagetest.Password)
	var page *servertest.Response
	item := func(sel string) *goquery.Selection { return page.Doc.Find(`[data-testid=message]` + sel) }
	withText := func(s string) *goquery.Selection {
		return page.Doc.Find(`[data-testid=message]`).FilterFunction(func(_ int, li *goquery.Selection) bool {
			return strings.Contains(li.Text(), s)
		})
	}
	eventually("every message in the list, the reaction on its message", func() bool {
		page = c.Get("/agent/conversations/" + conv + "/messages")
		// Webhooks may be applied in any order: wait for all of them.
		return page.Status == 200 && item(`[data-type=unsupported]`).Length() == 1 && withText("Come dicevo").Length() == 1 &&
			item(`[data-type=interactive][data-direction=outbound] [data-testid=reaction]`).Length() == 1 &&
			item(`[data-type=location]`).Length() == 1 && item(`[data-type=contacts]`).Length() == 1 &&
			item(`[data-type=interactive][data-direction=inbound]`).Length() == 1 && withText("Guarda qui").Length() == 1
	})

	loc := item(`[data-type=location]`)
	if href, _ := loc.Find(`[data-testid=location-map]`).Attr("href"); href != "https://www.openstreetmap.org/?mlat=45.464200&mlon=9.190000#map=16/45.464200/9.190000" {
		t.Errorf("map link %q", href)
	}
	if got := loc.Find(`[data-testid=location-coordinates]`).Text(); got != "45.464200, 9.190000" || !strings.Contains(loc.Text(), "Duomo") || !strings.Contains(loc.Text(), "Piazza del Duomo, Milano") {
		t.Errorf("location shows %q", strings.Join(strings.Fields(loc.Text()), " "))
	}
	if card := item(`[data-type=contacts] [data-testid=message-contacts]`).Text(); !strings.Contains(card, "Luca Bianchi") || !strings.Contains(card, "+39 333 123 4567") {
		t.Errorf("shared contact shows %q", card)
	}
	if choice := item(`[data-direction=inbound][data-type=interactive] [data-testid=message-choice]`).Text(); !strings.Contains(choice, "Chose:") || !strings.Contains(choice, "Sì, grazie") {
		t.Errorf("button reply shows %q", choice)
	}
	if offered := item(`[data-direction=outbound][data-type=interactive]`).Text(); !strings.Contains(offered, "Sì, grazie") || !strings.Contains(offered, "No") {
		t.Errorf("the buttons offered show %q", offered)
	}
	if fw := withText("Guarda qui").Find(`[data-testid=message-forwarded]`).Text(); fw != "Forwarded" {
		t.Errorf("forwarded mark %q", fw)
	}
	if q := withText("Come dicevo").Find(`[data-testid=message-quote]`).Text(); q != "Ciao" {
		t.Errorf("the reply quotes %q, want Ciao", q)
	}
	if r := item(`[data-type=interactive][data-direction=outbound] [data-testid=reaction]`).Text(); r != "👍" {
		t.Errorf("reaction %q", r)
	}
	if r := withText("Ciao").Find(`[data-testid=reaction-ours]`).Text(); r != "❤️" {
		t.Errorf("our reaction on the customer's message: %q", r)
	}
	if item(`[data-type=reaction]`).Length() != 0 {
		t.Error("a reaction is shown as a message of its own")
	}
	un := item(`[data-type=unsupported]`)
	if what, why := un.Find(`[data-testid=message-unsupported]`).Text(), un.Find(`[data-testid=message-unsupported-why]`).Text(); !strings.Contains(what, "(poll_creation)") ||
		!strings.Contains(why, "131051") || !strings.Contains(why, "Message type is currently not supported.") {
		t.Errorf("unsupported shows %q / %q", what, why)
	}
	// Every message WhatsApp knows can be answered; the unsupported one too.
	if got, want := page.Doc.Find(`[data-testid=message-reply]`).Length(), page.Doc.Find(`[data-testid=message]`).Length(); got != want {
		t.Errorf("%d reply controls for %d messages", got, want)
	}
}
