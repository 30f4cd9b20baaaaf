package simulator_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"switchboard/internal/server/browsertest"
	"switchboard/internal/server/servertest"
	"switchboard/internal/storage"
	"switchboard/internal/storage/storagetest"
)

// TestCustomerSimulatorInChromium: an administrator connects a sandbox
// number in the browser, opens the simulator, plays a customer who writes
// and shares a location; the messages travel as signed webhooks through the
// sandbox, are stored, and can be read through the REST API.
func TestCustomerSimulatorInChromium(t *testing.T) {
	t.Parallel()
	app := servertest.New(t, servertest.Options{RunWorkers: true})
	ctx := browsertest.New(t)
	do := func(steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, steps...); err != nil {
			t.Fatalf("browser: %v\nserver log:\n%s", err, tail(app.Logs.String()))
		}
	}
	do(
		chromedp.Navigate(app.URL+"/login"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=login]`)),
		chromedp.SendKeys(chromedp.CSS(`#f-email`), app.F.A.Admin.Email),
		chromedp.SendKeys(chromedp.CSS(`#f-password`), storagetest.Password),
		chromedp.Click(chromedp.CSS(`[data-testid=login-submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=admin-home]`)),
		chromedp.Navigate(app.URL+"/admin/numbers/new"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=number-form]`)),
		chromedp.Click(chromedp.CSS(`[data-testid=number-submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=open-simulator]`)),
		chromedp.Click(chromedp.CSS(`[data-testid=open-simulator]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=customer-form]`)),
		chromedp.SendKeys(chromedp.CSS(`#customer`), "+39 333 123 4567"),
		chromedp.SendKeys(chromedp.CSS(`#name`), "Giulia Bianchi"),
		chromedp.Click(chromedp.CSS(`[data-testid=choose-customer]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=phone]`)),
		chromedp.SendKeys(chromedp.CSS(`[data-testid=text]`), "Buongiorno, il mio ordine?"),
		chromedp.Click(chromedp.CSS(`[data-testid=send]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=bubble][data-direction=inbound]`)),
	)
	bubble, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`[data-testid=bubble-text]`)))
	if err != nil || strings.TrimSpace(bubble) != "Buongiorno, il mio ordine?" {
		t.Fatalf("the customer's bubble says %q (%v)", bubble, err)
	}
	do(
		chromedp.Click(chromedp.CSS(`details summary`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=send-location] input[name=latitude]`)),
		chromedp.SendKeys(chromedp.CSS(`[data-testid=send-location] input[name=latitude]`), "45.4642"),
		chromedp.SendKeys(chromedp.CSS(`[data-testid=send-location] input[name=longitude]`), "9.19"),
		chromedp.SendKeys(chromedp.CSS(`[data-testid=send-location] input[name=text]`), "Duomo"),
		chromedp.Click(chromedp.CSS(`[data-testid=send-location] button`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=bubble]:nth-child(2)`)),
	)

	// Through the REST API, as the tenant's software would read it.
	key, err := app.APIKeys.Create(context.Background(), storage.Actor{Email: "test"}, app.F.A.ID, "test")
	if err != nil {
		t.Fatal(err)
	}
	var texts []string
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		texts = apiTexts(t, app.URL, key, "393331234567")
		if len(texts) == 2 {
			break
		}
	}
	if strings.Join(texts, "|") != "Buongiorno, il mio ordine?|Duomo" {
		t.Fatalf("messages through the API: %q", texts)
	}
}

func apiTexts(t *testing.T, base, key, waID string) []string {
	get := func(path string, into any) {
		req, _ := http.NewRequest(http.MethodGet, base+path, nil)
		req.Header.Set("Authorization", "Bearer "+key)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		_ = json.NewDecoder(res.Body).Decode(into)
	}
	var contacts struct {
		Data []struct {
			ID   string `json:"id"`
			Name string `json:"name"`
		} `json:"data"`
	}
	get("/api/v1/contacts?wa_id="+waID, &contacts)
	if len(contacts.Data) != 1 {
		return nil
	}
	if contacts.Data[0].Name != "Giulia Bianchi" {
		t.Fatalf("contact name %q", contacts.Data[0].Name)
	}
	var convs struct {
		Data []struct {
			ID string `json:"id"`
		} `json:"data"`
	}
	get("/api/v1/conversations?contact_id="+contacts.Data[0].ID, &convs)
	if len(convs.Data) != 1 {
		return nil
	}
	var msgs struct {
		Data []struct {
			Text     string `json:"text"`
			Type     string `json:"type"`
			Location *struct {
				Latitude float64 `json:"latitude"`
			} `json:"location"`
		} `json:"data"`
	}
	get("/api/v1/conversations/"+convs.Data[0].ID+"/messages", &msgs)
	var out []string
	for _, m := range msgs.Data {
		if m.Type == "location" && (m.Location == nil || m.Location.Latitude != 45.4642) {
			t.Fatalf("location lost its coordinates: %+v", m)
		}
		out = append(out, m.Text)
	}
	return out
}

func tail(s string) string {
	if len(s) > 4000 {
		return s[len(s)-4000:]
	}
	return s
}
