package number_test

import (
	"context"
	"errors"
	"testing"

	"switchboard/internal/number"
	"switchboard/internal/secrets"
	"switchboard/internal/storage"
	"switchboard/internal/storage/storagetest"
)

// TestMetaAppID: where a number's template samples are uploaded: the
// sandbox's app for a sandbox number, the registered app's App ID for a
// number of that app, META_APP_ID for the platform's own; an app without
// its App ID is ErrNoMetaAppID, not a request to /uploads.
func TestMetaAppID(t *testing.T) {
	t.Parallel()
	db := storagetest.NewDB(t)
	f := storagetest.Seed(t, db)
	box, err := secrets.New([]byte("test-secret-key-of-at-least-32-bytes!"))
	if err != nil {
		t.Fatal(err)
	}
	svc := number.NewService(db.Store, box)
	ctx, actor := context.Background(), storage.Actor{Email: "test"}
	plan, err := db.Store.PlanByName(ctx, "Starter")
	if err != nil {
		t.Fatal(err)
	}
	plan.MaxNumbers = 10
	if _, err := db.Store.SavePlan(ctx, actor, plan); err != nil {
		t.Fatal(err)
	}
	add := func(in number.AddInput) string {
		t.Helper()
		in.TenantID = f.A.ID
		n, err := svc.Add(ctx, actor, in)
		if err != nil {
			t.Fatal(err)
		}
		id, err := svc.MetaAppID(ctx, n)
		if errors.Is(err, number.ErrNoMetaAppID) {
			return "none"
		} else if err != nil {
			t.Fatal(err)
		}
		return id
	}
	if got := add(number.AddInput{Sandbox: true}); got != number.SandboxMetaAppID {
		t.Errorf("sandbox number: %q", got)
	}
	if _, err := svc.CreateApp(ctx, actor, number.AppInput{Slug: "acme-app", Name: "Acme", MetaAppID: "123456789012345",
		AppSecret: "0123456789abcdef0123", VerifyToken: "verify-token"}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.RegisterApp(ctx, actor, "old-app", "Old", "0123456789abcdef0123", "verify-token"); err != nil {
		t.Fatal(err)
	}
	live := func(pn, slug string) number.AddInput {
		return number.AddInput{PhoneNumberID: pn, DisplayPhone: "+39 02 1234 " + pn[len(pn)-4:], WABAID: "555" + pn,
			AppSlug: slug, AccessToken: "EAAtoken" + pn}
	}
	if got := add(live("100000000001111", "acme-app")); got != "123456789012345" {
		t.Errorf("number of a registered app: %q", got)
	}
	if got := add(live("100000000002222", "old-app")); got != "none" {
		t.Errorf("number of an app without its App ID: %q", got)
	}
	if got := add(live("100000000003333", "")); got != "none" {
		t.Errorf("platform's app without META_APP_ID: %q", got)
	}
	svc.PlatformAppID = "987654321098765"
	if got := add(live("100000000004444", "")); got != "987654321098765" {
		t.Errorf("platform's app: %q", got)
	}
}
