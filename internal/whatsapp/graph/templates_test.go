package graph

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

func namedDraft() TemplateDraft {
	return TemplateDraft{
		Name: "order_ready", Language: "en_US", Category: "UTILITY", ParameterFormat: "named",
		Components: []TemplateComponent{
			{Type: "HEADER", Format: "TEXT", Text: "Hi {{first_name}}",
				Example: &TemplateExample{HeaderTextNamedParams: []NamedParamExample{{"first_name", "Ada"}}}},
			{Type: "BODY", Text: "Order {{order_id}} is ready, {{first_name}}. Pick up at {{shop}}.",
				Example: &TemplateExample{BodyTextNamedParams: []NamedParamExample{{"order_id", "A1"}, {"first_name", "Ada"}, {"shop", "Main St"}}}},
		},
	}
}

func authDraft() TemplateDraft {
	return TemplateDraft{
		Name: "login_code", Language: "en_US", Category: "AUTHENTICATION",
		Components: []TemplateComponent{
			{Type: "BODY", AddSecurityRecommendation: true},
			{Type: "FOOTER", CodeExpirationMinutes: 10},
			{Type: "BUTTONS", Buttons: []TemplateButton{{Type: "OTP", OTPType: "COPY_CODE"}}},
		},
	}
}

func couponDraft() TemplateDraft {
	return TemplateDraft{
		Name: "coupon", Language: "it", Category: "MARKETING",
		Components: []TemplateComponent{
			{Type: "BODY", Text: "Ecco il tuo sconto, {{1}}!", Example: &TemplateExample{BodyText: [][]string{{"Ada"}}}},
			{Type: "BUTTONS", Buttons: []TemplateButton{{Type: "COPY_CODE", Example: json.RawMessage(`"250FF"`)}}},
		},
	}
}

// TestListTemplatesPagesThroughTheFake creates more templates than fit a
// page and lists them all back, typed.
func TestListTemplatesPagesThroughTheFake(t *testing.T) {
	e := newEnv(t, nil)
	e.client.pageSize = 3
	e.approved(e.orderDraft("order_confirmation"))
	e.approved(namedDraft())
	e.approved(authDraft())
	e.approved(couponDraft())
	var names []string
	for i := range 4 {
		d := TemplateDraft{Name: fmt.Sprintf("filler_%d", i), Language: "en_US", Category: "MARKETING",
			Components: []TemplateComponent{{Type: "BODY", Text: "Plain text"}}}
		if _, _, err := e.client.CreateTemplate(t.Context(), testToken, testWABA, d); err != nil {
			t.Fatal(err)
		}
		names = append(names, d.Name)
	}
	before := len(e.rec.all())
	list, err := e.client.ListTemplates(t.Context(), testToken, testWABA)
	if err != nil {
		t.Fatal(err)
	}
	reqs := e.rec.all()[before:]
	if len(reqs) != 3 {
		t.Errorf("%d list requests for 8 templates in pages of 3, want 3", len(reqs))
	}
	for i, r := range reqs {
		q, _ := url.ParseQuery(r.RawQuery)
		if q.Get("limit") != "3" || q.Get("fields") != templateFields || q.Has("access_token") || r.Auth != "Bearer "+testToken {
			t.Errorf("page %d request: %s (auth %q)", i, r.RawQuery, r.Auth)
		}
		if (i > 0) != q.Has("after") {
			t.Errorf("page %d: after cursor presence wrong: %s", i, r.RawQuery)
		}
	}
	var got []string
	for _, tm := range list {
		got = append(got, tm.Name)
	}
	want := append([]string{"order_confirmation", "order_ready", "login_code", "coupon"}, names...)
	if !slices.Equal(got, want) {
		t.Fatalf("listed %v, want %v", got, want)
	}

	order, named, auth, coupon, filler := list[0], list[1], list[2], list[3], list[4]
	if order.ID == "" || order.Language != "en_US" || order.Category != "UTILITY" || order.Status != "APPROVED" ||
		order.ParameterFormat != "POSITIONAL" || order.RejectedReason != "NONE" || len(order.RawComponents) == 0 {
		t.Errorf("order template %+v", order)
	}
	if order.HeaderFormat() != "IMAGE" || order.HeaderVariables() != nil || !slices.Equal(order.BodyVariables(), []string{"1", "2"}) {
		t.Errorf("order: header %s %v, body %v", order.HeaderFormat(), order.HeaderVariables(), order.BodyVariables())
	}
	bs := order.Buttons()
	if len(bs) != 2 || bs[0].Type != "QUICK_REPLY" || bs[1].Type != "URL" || !slices.Equal(bs[1].Variables(), []string{"1"}) || bs[0].Variables() != nil {
		t.Errorf("order buttons %+v", bs)
	}
	if named.ParameterFormat != "NAMED" || !slices.Equal(named.HeaderVariables(), []string{"first_name"}) ||
		!slices.Equal(named.BodyVariables(), []string{"order_id", "first_name", "shop"}) || named.HeaderFormat() != "TEXT" {
		t.Errorf("named template: %s %v %v", named.ParameterFormat, named.HeaderVariables(), named.BodyVariables())
	}
	if !slices.Equal(auth.BodyVariables(), []string{"1"}) || len(auth.Buttons()) != 1 || auth.Buttons()[0].OTPType != "COPY_CODE" || auth.HeaderFormat() != "" {
		t.Errorf("auth template: body %v buttons %+v", auth.BodyVariables(), auth.Buttons())
	}
	if coupon.Language != "it" || len(coupon.Buttons()) != 1 || string(coupon.Buttons()[0].Example) != `"250FF"` {
		t.Errorf("coupon template %+v", coupon)
	}
	if filler.Status != "PENDING" || filler.BodyVariables() != nil || filler.Buttons() != nil {
		t.Errorf("filler template %+v", filler)
	}

	// The listed templates are sendable with parameters built from them.
	e.openWindow(testCustomer)
	sends := map[string]*TemplateMessage{
		"named": {Name: "order_ready", Language: TemplateLanguage{Code: "en_US"}, Components: []TemplateComponentParams{
			HeaderComponent(NamedTextParam("first_name", "Ada")),
			BodyComponent(NamedTextParam("order_id", "A1"), NamedTextParam("first_name", "Ada"), NamedTextParam("shop", "Main St")),
		}},
		"auth": {Name: "login_code", Language: TemplateLanguage{Code: "en_US"}, Components: []TemplateComponentParams{
			BodyComponent(TextParam("123456")), URLButton(0, "123456"),
		}},
		"copy code": {Name: "coupon", Language: TemplateLanguage{Code: "it"}, Components: []TemplateComponentParams{
			BodyComponent(TextParam("Ada")), CopyCodeButton(0, "250FF"),
		}},
	}
	for name, tm := range sends {
		if _, err := e.client.Send(t.Context(), testToken, testPN, OutgoingMessage{To: testCustomer, Template: tm}); err != nil {
			t.Errorf("send %s: %v", name, err)
		}
	}

	// A stored Template loads back whole.
	b, err := json.Marshal(order)
	if err != nil {
		t.Fatal(err)
	}
	var loaded Template
	if err := json.Unmarshal(b, &loaded); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(loaded, order) {
		t.Errorf("template JSON round trip:\n%+v\n%+v", loaded, order)
	}
}

func TestCreateAndDeleteTemplates(t *testing.T) {
	e := newEnv(t, nil)
	ctx := t.Context()
	draft := e.orderDraft("order_confirmation")
	id, status, err := e.client.CreateTemplate(ctx, testToken, testWABA, draft)
	if err != nil || id == "" || status != "PENDING" {
		t.Fatalf("create: %q %q %v", id, status, err)
	}
	req := e.rec.last()
	if req.Method != "POST" || req.Path != "/v23.0/"+testWABA+"/message_templates" || req.ContentType != "application/json" {
		t.Errorf("create request %s %s %s", req.Method, req.Path, req.ContentType)
	}
	jsonEqual(t, "create body", req.Body, `{"name":"order_confirmation","language":"en_US","category":"UTILITY","components":[
		{"type":"HEADER","format":"IMAGE","example":{"header_handle":["`+draft.Components[0].Example.HeaderHandle[0]+`"]}},
		{"type":"BODY","text":"Hi {{1}}, your order {{2}} is confirmed.","example":{"body_text":[["Jessica","SKBUP2"]]}},
		{"type":"FOOTER","text":"Thanks for shopping"},
		{"type":"BUTTONS","buttons":[{"type":"QUICK_REPLY","text":"Stop updates"},
		  {"type":"URL","text":"Track","url":"https://example.com/track/{{1}}","example":["https://example.com/track/abc"]}]}]}`)

	// Same name in a second language, and a raw-components draft.
	itDraft := e.orderDraft("order_confirmation")
	itDraft.Language = "it"
	itID, _, err := e.client.CreateTemplate(ctx, testToken, testWABA, itDraft)
	if err != nil {
		t.Fatal(err)
	}
	rawID, _, err := e.client.CreateTemplate(ctx, testToken, testWABA, TemplateDraft{Name: "raw", Language: "en_US", Category: "MARKETING",
		RawComponents: json.RawMessage(`[{"type":"BODY","text":"Please REJECTME"}]`)})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.fake.DecideTemplate(testWABA, rawID, "REJECTED", "INVALID_FORMAT"); err != nil {
		t.Fatal(err)
	}

	// Creation errors: a duplicate carries a 2388xxx subcode and user texts.
	_, _, err = e.client.CreateTemplate(ctx, testToken, testWABA, itDraft)
	ge := asError(t, "duplicate", err, CodeInvalidParameter)
	if ge.Subcode < 2388000 || ge.Subcode > 2388999 || ge.UserTitle == "" || ge.Retryable() {
		t.Errorf("duplicate: %+v", ge)
	}
	_, _, err = e.client.CreateTemplate(ctx, testToken, testWABA, TemplateDraft{Name: "Bad Name", Language: "en_US", Category: "UTILITY",
		Components: []TemplateComponent{{Type: "BODY", Text: "x"}}})
	asError(t, "bad name", err, CodeInvalidParameter)

	list, err := e.client.ListTemplates(ctx, testToken, testWABA)
	if err != nil || len(list) != 3 {
		t.Fatalf("list: %d %v", len(list), err)
	}
	if raw := list[2]; raw.Status != "REJECTED" || raw.RejectedReason != "INVALID_FORMAT" || !slices.Equal(raw.BodyVariables(), nil) {
		t.Errorf("rejected template %+v", raw)
	}

	// Delete one language by hsm_id, then every language by name.
	if err := e.client.DeleteTemplate(ctx, testToken, testWABA, "order_confirmation", itID); err != nil {
		t.Fatal(err)
	}
	if q, _ := url.ParseQuery(e.rec.last().RawQuery); q.Get("name") != "order_confirmation" || q.Get("hsm_id") != itID || e.rec.last().Method != "DELETE" {
		t.Errorf("delete request %s %s", e.rec.last().Method, e.rec.last().RawQuery)
	}
	if got := e.fake.Templates(testWABA); len(got) != 2 || got[0].ID != id {
		t.Errorf("after deleting by id: %+v", got)
	}
	if err := e.client.DeleteTemplate(ctx, testToken, testWABA, "raw", ""); err != nil {
		t.Fatal(err)
	}
	if q, _ := url.ParseQuery(e.rec.last().RawQuery); q.Has("hsm_id") {
		t.Errorf("delete by name sent hsm_id: %s", e.rec.last().RawQuery)
	}
	if got := e.fake.Templates(testWABA); len(got) != 1 || got[0].Name != "order_confirmation" {
		t.Errorf("after deleting by name: %+v", got)
	}
	asError(t, "delete missing", e.client.DeleteTemplate(ctx, testToken, testWABA, "raw", ""), CodeInvalidParameter)
	if _, err := e.client.ListTemplates(ctx, "EAAG-wrong", testWABA); !IsTokenInvalid(err) {
		t.Errorf("list with a bad token: %v", err)
	}
}

// TestListTemplatesPagingLikeGraph: Graph's next URLs carry the access token
// and Graph's host; the client must reuse only the cursor and parameters,
// against its own base URL, with the token in the header.
func TestListTemplatesPagingLikeGraph(t *testing.T) {
	var mu sync.Mutex
	var queries []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		queries = append(queries, r.URL.RawQuery)
		mu.Unlock()
		if r.Header.Get("Authorization") != "Bearer "+testToken || r.URL.Query().Has("access_token") ||
			r.URL.Path != "/proxy/v23.0/"+testWABA+"/message_templates" {
			http.Error(w, `{"error":{"message":"(#190) bad","code":190}}`, 401)
			return
		}
		page := map[string]string{"": "A", "A": "B", "B": ""}[r.URL.Query().Get("after")]
		body := fmt.Sprintf(`{"data":[{"id":"%d","name":"t_%s","language":"en_US","status":"APPROVED","category":"UTILITY",
			"components":[{"type":"BODY","text":"Hi {{1}}"}]}]`, len(queries), r.URL.Query().Get("after"))
		if page != "" {
			body += fmt.Sprintf(`,"paging":{"cursors":{"before":"x","after":"%s"},
				"next":"https://graph.facebook.com/v23.0/%s/message_templates?access_token=SECRET&limit=1&after=%s"}`, page, testWABA, page)
		}
		io.WriteString(w, body+"}")
	}))
	defer srv.Close()
	c := &Client{HTTP: srv.Client(), BaseURL: srv.URL + "/proxy/", Version: "v23.0"}
	list, err := c.ListTemplates(t.Context(), testToken, testWABA)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 3 || list[2].Name != "t_B" || !slices.Equal(list[0].BodyVariables(), []string{"1"}) {
		t.Errorf("listed %+v", list)
	}
	for _, q := range queries {
		if strings.Contains(q, "SECRET") {
			t.Errorf("token from the next URL sent in the query: %s", q)
		}
	}
	if len(queries) != 3 || !strings.Contains(queries[2], "limit=1") {
		t.Errorf("queries %v: the next URL's parameters were not reused", queries)
	}

	// A server whose cursor never advances must not loop forever.
	loop := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"data":[{"id":"1","name":"x"}],"paging":{"cursors":{"after":"SAME"},"next":"https://graph.facebook.com/v23.0/1/message_templates?after=SAME"}}`)
	}))
	defer loop.Close()
	c = &Client{HTTP: &http.Client{Timeout: 5 * time.Second}, BaseURL: loop.URL, Version: "v23.0"}
	if _, err := c.ListTemplates(t.Context(), testToken, testWABA); err == nil || !strings.Contains(err.Error(), "does not advance") {
		t.Errorf("looping cursor: %v", err)
	}
}
