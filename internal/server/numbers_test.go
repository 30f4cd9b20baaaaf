package server_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"switchboard/internal/server/servertest"
	"switchboard/internal/storage/storagetest"
)

func TestAdminAddsSandboxNumbersWithinThePlanAndTokensStayHidden(t *testing.T) {
	t.Parallel()
	app := servertest.New(t)
	ctx := context.Background()
	b := app.Client(t)
	b.MustLogin(app.F.A.Admin.Email, storagetest.Password)
	if r := b.Get("/admin/numbers"); r.Status != http.StatusOK || !r.Has(".empty") {
		t.Fatalf("numbers page: %d", r.Status)
	}
	b.Get("/admin/numbers/new")
	if bad := b.Post("/admin/numbers", url.Values{"throughput": {"5000"}}); bad.Status != http.StatusUnprocessableEntity || !bad.Has("[data-testid=error-throughput]") {
		t.Fatalf("bad throughput: %d", bad.Status)
	}
	// Meta ids typed into the form are ignored: an administrator cannot
	// claim another business's live number.
	r := b.Post("/admin/numbers", url.Values{"throughput": {"80"}, "phone_number_id": {"106540352242922"}, "waba_id": {"102290129340398"}})
	if r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Location, "/admin/numbers/") {
		t.Fatalf("add: %d %s", r.Status, r.Text("[data-testid=form-error]"))
	}
	nums, _ := app.DB.Store.ListNumbers(ctx, app.F.A.ID)
	if len(nums) != 1 || !nums[0].Sandbox || nums[0].PhoneNumberID == "106540352242922" || nums[0].WABAID == "102290129340398" {
		t.Fatalf("number: %+v", nums)
	}
	token, err := app.Numbers.AccessToken(nums[0])
	if err != nil {
		t.Fatal(err)
	}
	detail := b.Get(r.Location)
	if got := detail.Text("[data-testid=masked-token]"); got != "••••"+token[len(token)-4:] {
		t.Fatalf("token shown as %q", got)
	}
	if strings.Contains(detail.Body, token) || strings.Contains(app.Logs.String(), token) {
		t.Fatal("the access token appears in a page or the log")
	}
	// The Starter plan allows one number.
	b.Get("/admin/numbers/new")
	over := b.Post("/admin/numbers", url.Values{"throughput": {"80"}})
	if over.Status != http.StatusConflict || !strings.Contains(over.Text("[data-testid=form-error]"), "plan") {
		t.Fatalf("over the plan: %d %q", over.Status, over.Text("[data-testid=form-error]"))
	}
	// Tenant B cannot see it.
	other := app.Client(t)
	other.MustLogin(app.F.B.Admin.Email, storagetest.Password)
	if r := other.Get(r.Location); r.Status != http.StatusNotFound {
		t.Fatalf("tenant B reading A's number: %d", r.Status)
	}
	// Replacing the token (and a disconnected number is connected again).
	if err := app.DB.Store.MarkNumberDisconnected(ctx, app.F.A.ID, nums[0].ID, "190"); err != nil {
		t.Fatal(err)
	}
	b.Get(r.Location)
	if rr := b.Post(r.Location+"/token", url.Values{"access_token": {"EAAGnewTOKEN00001111"}}); rr.Status != http.StatusSeeOther {
		t.Fatalf("replace token: %d", rr.Status)
	}
	if got := b.Get(r.Location).Text("[data-testid=masked-token]"); got != "••••1111" {
		t.Fatalf("after replace: %q", got)
	}
	if n, _ := app.DB.Store.Number(ctx, app.F.A.ID, nums[0].ID); n.Status != "connected" {
		t.Fatalf("status after a new token: %s", n.Status)
	}
	// Agents may not manage numbers.
	agent := app.Client(t)
	agent.MustLogin(app.F.A.Agent.Email, storagetest.Password)
	if r := agent.Get("/admin/numbers"); r.Status != http.StatusForbidden {
		t.Fatalf("agent on numbers: %d", r.Status)
	}
}

func TestAPIKeysAreShownOnceAndRevocable(t *testing.T) {
	t.Parallel()
	app := servertest.New(t)
	b := app.Client(t)
	b.MustLogin(app.F.A.Admin.Email, storagetest.Password)
	b.Get("/admin/api-keys")
	r := b.Post("/admin/api-keys", url.Values{"name": {"crm"}})
	key := r.Text("[data-testid=api-key]")
	if r.Status != http.StatusCreated || !strings.HasPrefix(key, "sbk_") {
		t.Fatalf("create key: %d %q", r.Status, key)
	}
	if strings.Contains(b.Get("/admin/api-keys").Body, key) {
		t.Fatal("the key is shown again")
	}
	get := func(path, k string) (int, map[string]any) {
		req, _ := http.NewRequest(http.MethodGet, app.URL+path, nil)
		if k != "" {
			req.Header.Set("Authorization", "Bearer "+k)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var body map[string]any
		_ = json.NewDecoder(res.Body).Decode(&body)
		return res.StatusCode, body
	}
	if code, body := get("/api/v1/contacts", key); code != http.StatusOK || body["data"] == nil {
		t.Fatalf("with the key: %d %v", code, body)
	}
	for _, k := range []string{"", "sbk_nope", "not-a-key"} {
		code, body := get("/api/v1/contacts", k)
		errObj, _ := body["error"].(map[string]any)
		if code != http.StatusUnauthorized || errObj["code"] != "unauthorized" {
			t.Fatalf("key %q: %d %v", k, code, body)
		}
	}
	page := b.Get("/admin/api-keys")
	form := page.Doc.Find("[data-testid=api-key-row] form")
	action, _ := form.Attr("action")
	if rr := b.Post(action, url.Values{}); rr.Status != http.StatusSeeOther {
		t.Fatalf("revoke: %d", rr.Status)
	}
	if code, _ := get("/api/v1/contacts", key); code != http.StatusUnauthorized {
		t.Fatalf("revoked key still works: %d", code)
	}
}
