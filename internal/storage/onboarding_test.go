package storage_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"

	"switchboard/internal/domain"
	"switchboard/internal/storage"
	"switchboard/internal/storage/storagetest"
)

func signupOf(name, slug, email, planID string) storage.NewSignup {
	return storage.NewSignup{
		Tenant: storage.NewTenant{Name: name, Slug: slug, PlanID: planID,
			Admin: domain.User{Email: email, Name: "Founder", PasswordHash: "x"}},
		Questionnaire: storage.Questionnaire{CompanyName: name, VATNumber: "IT00159560366", MetaBusinessID: "102938475612345",
			Phone: "+390212345678", MonthlyConversations: 1000, UseCases: []string{"shipping_update"}},
	}
}

// TestSignupNeedsTheSwitchAndFreeNames: sign-up is closed until the
// operator opens it (audited as a platform action); it creates the tenant,
// its administrator and a submitted application in one go, with a free
// slug; a taken company name (any case) or e-mail leaves nothing behind.
func TestSignupNeedsTheSwitchAndFreeNames(t *testing.T) {
	t.Parallel()
	db := storagetest.NewDB(t)
	f := storagetest.Seed(t, db)
	ctx := context.Background()
	st := db.Store
	plan, err := st.PlanByName(ctx, "Business")
	if err != nil {
		t.Fatal(err)
	}
	op := storage.Actor{UserID: f.Operator.ID, Email: f.Operator.Email, IP: "10.0.0.1"}
	visitor := storage.Actor{IP: "10.0.0.2"}

	if on, err := st.SelfServiceSignup(ctx); err != nil || on {
		t.Fatalf("sign-up open by default: %v %v", on, err)
	}
	if _, _, err := st.CreateSignup(ctx, visitor, signupOf("Alpha Logistica", "alpha", "boss@alpha-log.test", plan.ID)); !errors.Is(err, storage.ErrSignupClosed) {
		t.Fatalf("closed sign-up: %v", err)
	}
	if err := st.SetSelfServiceSignup(ctx, op, true); err != nil {
		t.Fatal(err)
	}
	var audited int
	if err := st.InPlatform(ctx, func(tx pgx.Tx) error {
		return tx.QueryRow(ctx, `SELECT count(*) FROM audit_log WHERE tenant_id IS NULL AND action = 'platform.self_service_signup'
			AND actor_email = $1 AND detail->'after'->>'enabled' = 'true' AND ip = '10.0.0.1'`, op.Email).Scan(&audited)
	}); err != nil || audited != 1 {
		t.Fatalf("switch audited %d times: %v", audited, err)
	}

	// "alpha" is the fixture's slug: the new tenant gets the next free one.
	tn, admin, err := st.CreateSignup(ctx, visitor, signupOf("Alpha Logistica", "alpha", "boss@alpha-log.test", plan.ID))
	if err != nil {
		t.Fatal(err)
	}
	if tn.Slug != "alpha-2" || tn.PlanName != "Business" || admin.ID == "" || admin.TenantID != tn.ID || admin.Role != domain.RoleAdmin {
		t.Fatalf("tenant %+v admin %+v", tn, admin)
	}
	a, events, err := st.TenantApplication(ctx, tn.ID)
	if err != nil {
		t.Fatal(err)
	}
	if a.State != storage.AppSubmitted || a.VATNumber != "IT00159560366" || a.PlanName != "Business" || len(events) != 1 ||
		events[0].ToState != storage.AppSubmitted || events[0].ActorEmail != "boss@alpha-log.test" {
		t.Fatalf("application %+v events %+v", a, events)
	}

	before, _ := st.ListTenants(ctx)
	for name, tc := range map[string]struct {
		in   storage.NewSignup
		want error
	}{
		"same name, other case": {signupOf("ALPHA logistica", "x", "other@alpha-log.test", plan.ID), storage.ErrCompanyTaken},
		"operator's tenant":     {signupOf("beta spa", "x", "other@beta.test", plan.ID), storage.ErrCompanyTaken},
		"taken e-mail":          {signupOf("Gamma Srl", "gamma", f.A.Admin.Email, plan.ID), storage.ErrEmailTaken},
	} {
		if _, _, err := st.CreateSignup(ctx, visitor, tc.in); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", name, err, tc.want)
		}
	}
	if after, _ := st.ListTenants(ctx); len(after) != len(before) {
		t.Fatalf("refused sign-ups left %d tenants", len(after)-len(before))
	}

	// Two sign-ups of one name at once: one tenant.
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i := range 2 {
		wg.Go(func() {
			_, _, errs[i] = st.CreateSignup(ctx, visitor, signupOf("Delta Srl", "delta", []string{"a@delta.test", "b@delta.test"}[i], plan.ID))
		})
	}
	wg.Wait()
	if (errs[0] == nil) == (errs[1] == nil) || !(errors.Is(errs[0], storage.ErrCompanyTaken) || errors.Is(errs[1], storage.ErrCompanyTaken)) {
		t.Fatalf("concurrent sign-ups of one name: %v, %v", errs[0], errs[1])
	}

	// Closing waits for nothing and stops the next sign-up.
	if err := st.SetSelfServiceSignup(ctx, op, false); err != nil {
		t.Fatal(err)
	}
	if _, _, err := st.CreateSignup(ctx, visitor, signupOf("Epsilon Srl", "epsilon", "e@eps.test", plan.ID)); !errors.Is(err, storage.ErrSignupClosed) {
		t.Fatalf("after closing: %v", err)
	}
}

// TestApplicationMovesAndIsolation: the tenant edits its answers until the
// number is connected; the operator moves only from the state it saw,
// marks the number connected only once a live number exists; every move
// and edit is in the timeline and the tenant's audit log; another tenant
// sees none of it.
func TestApplicationMovesAndIsolation(t *testing.T) {
	t.Parallel()
	db := storagetest.NewDB(t)
	f := storagetest.Seed(t, db)
	ctx := context.Background()
	st := db.Store
	op := storage.Actor{UserID: f.Operator.ID, Email: f.Operator.Email}
	if err := st.SetSelfServiceSignup(ctx, op, true); err != nil {
		t.Fatal(err)
	}
	tn, admin, err := st.CreateSignup(ctx, storage.Actor{}, signupOf("Gamma Srl", "gamma", "boss@gamma.test", f.A.PlanID))
	if err != nil {
		t.Fatal(err)
	}
	a, _, err := st.TenantApplication(ctx, tn.ID)
	if err != nil {
		t.Fatal(err)
	}
	// Tenant A has no application and cannot reach Gamma's.
	if _, _, err := st.TenantApplication(ctx, f.A.ID); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("tenant A's application: %v", err)
	}
	if err := st.UpdateQuestionnaire(ctx, f.A.ID, storage.Actor{Email: f.A.Admin.Email}, a.Questionnaire); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("tenant A updates an application: %v", err)
	}

	me := storage.Actor{UserID: admin.ID, Email: admin.Email}
	q := a.Questionnaire
	q.Phone, q.UseCases = "+390298765432", []string{"ticket_update", "alert_update"}
	if err := st.UpdateQuestionnaire(ctx, tn.ID, me, q); err != nil {
		t.Fatal(err)
	}
	if err := st.MoveApplication(ctx, op, a.ID, storage.AppInReview, storage.AppWaitingForMeta, ""); !errors.Is(err, storage.ErrApplicationMoved) {
		t.Fatalf("move from a state it is not in: %v", err)
	}
	for _, m := range [][2]string{{storage.AppSubmitted, storage.AppInReview}, {storage.AppInReview, storage.AppWaitingForMeta}} {
		if err := st.MoveApplication(ctx, op, a.ID, m[0], m[1], "ok"); err != nil {
			t.Fatalf("%s → %s: %v", m[0], m[1], err)
		}
	}
	if err := st.MoveApplication(ctx, op, a.ID, storage.AppWaitingForMeta, storage.AppNumberConnected, ""); !errors.Is(err, storage.ErrNoLiveNumber) {
		t.Fatalf("connected without a live number: %v", err)
	}
	if err := st.InPlatform(ctx, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO numbers (tenant_id, phone_number_id, display_phone, waba_id, access_token_enc, sandbox)
			VALUES ($1, '1099', '+39 02 9876 5432', '2099', 'x', false)`, tn.ID)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if err := st.MoveApplication(ctx, op, a.ID, storage.AppWaitingForMeta, storage.AppNumberConnected, ""); err != nil {
		t.Fatal(err)
	}
	if err := st.UpdateQuestionnaire(ctx, tn.ID, me, q); !errors.Is(err, storage.ErrApplicationFinal) {
		t.Fatalf("edit after connection: %v", err)
	}
	got, events, err := st.Application(ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.State != storage.AppNumberConnected || got.Phone != "+390298765432" || len(got.UseCases) != 2 {
		t.Fatalf("application after the moves: %+v", got)
	}
	wantEvents := []string{"state:submitted", "edit:submitted", "state:in_review", "state:waiting_for_meta", "state:number_connected"}
	if len(events) != len(wantEvents) {
		t.Fatalf("timeline %+v", events)
	}
	for i, e := range events {
		if e.Kind+":"+e.ToState != wantEvents[i] {
			t.Errorf("event %d is %s:%s, want %s", i, e.Kind, e.ToState, wantEvents[i])
		}
		// The company's own steps are its users'; the moves the operator's.
		if e.ActorInTenant != (i < 2) {
			t.Errorf("event %d by %s: in the tenant %v", i, e.ActorEmail, e.ActorInTenant)
		}
	}
	entries, err := st.ListAudit(ctx, tn.ID, 50)
	if err != nil {
		t.Fatal(err)
	}
	count := map[string]int{}
	for _, e := range entries {
		count[e.Action]++
	}
	if count["application.submit"] != 1 || count["application.update"] != 1 || count["application.move"] != 3 {
		t.Fatalf("audit log: %v", count)
	}
	// The operator's list filters by state.
	list, counts, err := st.ListApplications(ctx, storage.AppNumberConnected)
	if err != nil || len(list) != 1 || list[0].TenantSlug != "gamma" || counts[storage.AppNumberConnected] != 1 {
		t.Fatalf("list: %+v %v %v", list, counts, err)
	}
	if list, _, _ := st.ListApplications(ctx, storage.AppSubmitted); len(list) != 0 {
		t.Fatalf("submitted filter lists %d", len(list))
	}
}
