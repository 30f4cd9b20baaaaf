package storage_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	"switchboard/internal/domain"
	"switchboard/internal/storage"
	"switchboard/internal/storage/storagetest"
)

// TestTemplateLifecycle walks a template from draft to Meta and back: the
// plan's limit, duplicate names, the operator's queue, Meta's refusal, the
// sync keeping the draft, and another tenant seeing none of it.
func TestTemplateLifecycle(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := storagetest.NewDB(t)
	f := storagetest.Seed(t, db)
	st := db.Store
	actor := storage.Actor{Email: "admin@alpha.test"}
	numberID, err := st.CreateNumber(ctx, actor, domain.Number{TenantID: f.A.ID, PhoneNumberID: "7700123", DisplayPhone: "+39 02 1", WABAID: "880011", AccessTokenEnc: "x", Throughput: 80})
	if err != nil {
		t.Fatal(err)
	}
	comps := json.RawMessage(`[{"type":"BODY","text":"Hello {{1}}, thanks.","example":{"body_text":[["Maria"]]}}]`)
	in := storage.TemplateInput{NumberID: numberID, Name: "welcome", Language: "it", Category: "UTILITY", UseCase: "account_update", Components: comps}

	// The plan allows two.
	plan, err := st.PlanByName(ctx, "Starter")
	if err != nil {
		t.Fatal(err)
	}
	plan.MaxTemplates = 2
	if _, err := st.SavePlan(ctx, actor, plan); err != nil {
		t.Fatal(err)
	}
	id, err := st.SaveTemplateDraft(ctx, f.A.ID, actor, in)
	if err != nil {
		t.Fatal(err)
	}
	if catalog, _ := st.ListTemplates(ctx, f.A.ID, "880011"); len(catalog) != 0 {
		t.Fatalf("a draft Meta never had is in the catalog: %+v", catalog)
	}
	if _, err := st.SaveTemplateDraft(ctx, f.A.ID, actor, in); !errors.Is(err, storage.ErrConflict) {
		t.Fatalf("same name and language: %v, want ErrConflict", err)
	}
	other := in
	other.Language = "en"
	otherID, err := st.SaveTemplateDraft(ctx, f.A.ID, actor, other)
	if err != nil {
		t.Fatal(err)
	}
	third := in
	third.Name = "third"
	var limit *storage.PlanLimitError
	if _, err := st.SaveTemplateDraft(ctx, f.A.ID, actor, third); !errors.As(err, &limit) || limit.Limit != 2 {
		t.Fatalf("past the plan: %v", err)
	}
	if err := st.DeleteTemplateDraft(ctx, f.A.ID, actor, otherID); err != nil {
		t.Fatal(err)
	}

	// Tenant B sees nothing of A's.
	if _, err := st.AdminTemplateByID(ctx, f.B.ID, id); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("B reads A's template: %v", err)
	}
	if err := st.SubmitTemplate(ctx, f.B.ID, actor, id); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("B submits A's template: %v", err)
	}
	if list, _ := st.ListAdminTemplates(ctx, f.B.ID); len(list) != 0 {
		t.Fatalf("B lists %d templates", len(list))
	}

	if err := st.SubmitTemplate(ctx, f.A.ID, actor, id); err != nil {
		t.Fatal(err)
	}
	if _, err := st.SaveTemplateDraft(ctx, f.A.ID, actor, storage.TemplateInput{ID: id, NumberID: numberID, Name: "welcome", Language: "it",
		Category: "UTILITY", Components: comps}); !errors.Is(err, storage.ErrTemplateLocked) {
		t.Fatalf("editing a submitted template: %v", err)
	}
	queue, err := st.SubmittedTemplates(ctx)
	if err != nil || len(queue) != 1 || queue[0].ID != id || queue[0].TenantName != "Alpha Srl" || queue[0].State() != storage.TemplateSubmitted {
		t.Fatalf("queue %+v, %v", queue, err)
	}

	// Meta refuses at once: back to the administrator with Meta's words.
	op := storage.Actor{Email: f.Operator.Email}
	refuse := func(storage.AdminTemplate) (storage.ForwardOutcome, error) {
		return storage.ForwardOutcome{Refused: "Content in this language already exists"}, nil
	}
	if _, err := st.ForwardTemplate(ctx, op, id, refuse); err != nil {
		t.Fatal(err)
	}
	got, _ := st.AdminTemplateByID(ctx, f.A.ID, id)
	if got.State() != storage.TemplateRefused || got.ForwardError != "Content in this language already exists" || !got.Editable() {
		t.Fatalf("after refusal: %+v", got)
	}
	if err := st.SubmitTemplate(ctx, f.A.ID, actor, id); err != nil {
		t.Fatal(err)
	}
	// Meta unreachable: nothing changes.
	if _, err := st.ForwardTemplate(ctx, op, id, func(storage.AdminTemplate) (storage.ForwardOutcome, error) {
		return storage.ForwardOutcome{}, errors.New("connection refused")
	}); err == nil {
		t.Fatal("a failed call must be returned")
	}
	if got, _ := st.AdminTemplateByID(ctx, f.A.ID, id); got.State() != storage.TemplateSubmitted {
		t.Fatalf("after a failed call: %s", got.State())
	}
	if _, err := st.ForwardTemplate(ctx, op, id, func(t storage.AdminTemplate) (storage.ForwardOutcome, error) {
		return storage.ForwardOutcome{MetaID: "9001", Status: "PENDING"}, nil
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.ForwardTemplate(ctx, op, id, refuse); !errors.Is(err, storage.ErrTemplateLocked) {
		t.Fatalf("forwarding twice: %v", err)
	}
	if catalog, _ := st.ListTemplates(ctx, f.A.ID, "880011"); len(catalog) != 1 || catalog[0].Status != "PENDING" {
		t.Fatalf("the forwarded template in the catalog: %+v", catalog)
	}
	got, _ = st.AdminTemplateByID(ctx, f.A.ID, id)
	if got.State() != storage.TemplatePending || got.MetaID != "9001" || string(got.Components) == "[]" || got.Editable() {
		t.Fatalf("after forward: %+v", got)
	}

	// Meta rejects; the sync writes Meta's side, and the use case stays.
	if err := st.UpsertTemplate(ctx, f.A.ID, storage.TemplateRow{WABAID: "880011", MetaID: "9001", Name: "welcome", Language: "it",
		Category: "UTILITY", Status: "REJECTED", RejectedReason: "INVALID_FORMAT", Components: comps}); err != nil {
		t.Fatal(err)
	}
	got, _ = st.AdminTemplateByID(ctx, f.A.ID, id)
	if got.State() != storage.TemplateRejected || got.RejectedReason != "INVALID_FORMAT" || got.UseCase != "account_update" || !got.Editable() {
		t.Fatalf("after rejection: %+v", got)
	}
	// The administrator edits it; a later sync keeps the edit.
	edited := json.RawMessage(`[{"type":"BODY","text":"Hello {{1}}, thank you.","example":{"body_text":[["Maria"]]}}]`)
	if _, err := st.SaveTemplateDraft(ctx, f.A.ID, actor, storage.TemplateInput{ID: id, NumberID: numberID, Name: "renamed", Language: "en",
		Category: "UTILITY", UseCase: "alert_update", Components: edited}); err != nil {
		t.Fatal(err)
	}
	if err := st.UpsertTemplate(ctx, f.A.ID, storage.TemplateRow{WABAID: "880011", MetaID: "9001", Name: "welcome", Language: "it",
		Category: "UTILITY", Status: "REJECTED", RejectedReason: "INVALID_FORMAT", Components: comps}); err != nil {
		t.Fatal(err)
	}
	got, _ = st.AdminTemplateByID(ctx, f.A.ID, id)
	var draft, want any
	_ = json.Unmarshal(got.Draft, &draft)
	_ = json.Unmarshal(edited, &want)
	if got.Name != "welcome" || got.Language != "it" || got.UseCase != "alert_update" || got.Review != "draft" || got.State() != storage.TemplateRejected {
		t.Fatalf("edit of a rejected template: %+v", got)
	}
	if b1, _ := json.Marshal(draft); string(b1) != mustJSON(want) {
		t.Fatalf("draft after sync: %s", got.Draft)
	}
	// Meta spells the language its own way: the row is still ours, by Meta's id.
	if err := st.UpsertTemplate(ctx, f.A.ID, storage.TemplateRow{WABAID: "880011", MetaID: "9001", Name: "welcome", Language: "it_IT",
		Category: "UTILITY", Status: "REJECTED", RejectedReason: "PROMOTIONAL", Components: comps}); err != nil {
		t.Fatal(err)
	}
	if all, _ := st.ListAdminTemplates(ctx, f.A.ID); len(all) != 1 || all[0].RejectedReason != "PROMOTIONAL" || all[0].UseCase != "alert_update" {
		t.Fatalf("matched by Meta's id: %+v", all)
	}
	// A rejected template does not count against the plan.
	if u, _ := st.TemplateUsage(ctx, f.A.ID); u.Used != 0 || u.Limit != 2 {
		t.Fatalf("usage %+v", u)
	}
	if err := st.DeleteTemplateDraft(ctx, f.A.ID, actor, id); !errors.Is(err, storage.ErrTemplateLocked) {
		t.Fatalf("deleting what Meta has: %v", err)
	}
	// The edit is dropped: the draft is Meta's again, and so is the state.
	if err := st.DiscardTemplateEdit(ctx, f.B.ID, actor, id); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("B discarding A's edit: %v", err)
	}
	if err := st.DiscardTemplateEdit(ctx, f.A.ID, actor, id); err != nil {
		t.Fatal(err)
	}
	got, _ = st.AdminTemplateByID(ctx, f.A.ID, id)
	if got.Review != "at_meta" || string(got.Draft) != string(got.Components) || got.State() != storage.TemplateRejected {
		t.Fatalf("after discarding the edit: %+v", got)
	}
	if err := st.DiscardTemplateEdit(ctx, f.A.ID, actor, id); !errors.Is(err, storage.ErrTemplateLocked) {
		t.Fatalf("discarding twice: %v", err)
	}
	// Deleted at Meta: no longer editable, deletable or counted.
	if err := st.DeleteTemplateAtMeta(ctx, f.A.ID, actor, id, func(storage.AdminTemplate) error { return nil }); err != nil {
		t.Fatal(err)
	}
	got, _ = st.AdminTemplateByID(ctx, f.A.ID, id)
	if got.State() != storage.TemplateDeleted || got.Editable() || got.DeletableAtMeta() || got.EditDiscardable() {
		t.Fatalf("after deleting at Meta: %+v", got)
	}
	if err := st.DeleteTemplateAtMeta(ctx, f.A.ID, actor, id, func(storage.AdminTemplate) error { return nil }); !errors.Is(err, storage.ErrTemplateLocked) {
		t.Fatalf("deleting twice: %v", err)
	}
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// TestTemplateStates names where a template stands from our review and
// Meta's status, as the list and its filter show it.
func TestTemplateStates(t *testing.T) {
	cases := []struct {
		review, status, forwardError, want string
		editable                           bool
	}{
		{"draft", "", "", storage.TemplateDraft, true},
		{"draft", "", "Content in this language already exists", storage.TemplateRefused, true},
		{"submitted", "", "", storage.TemplateSubmitted, false},
		{"submitted", "REJECTED", "", storage.TemplateSubmitted, false}, // resubmitted after a rejection
		{"at_meta", "PENDING", "", storage.TemplatePending, false},
		{"at_meta", "APPROVED", "", storage.TemplateApproved, true},
		{"at_meta", "REJECTED", "", storage.TemplateRejected, true},
		{"draft", "REJECTED", "", storage.TemplateRejected, true}, // being edited
		{"at_meta", "PAUSED", "", storage.TemplatePaused, true},
		{"at_meta", "DISABLED", "", storage.TemplateDisabled, false},
		{"at_meta", "DELETED", "", storage.TemplateDeleted, false},
		{"at_meta", "PENDING_DELETION", "", storage.TemplateDeleted, false},
		{"draft", "DELETED", "", storage.TemplateDeleted, false}, // deleted at Meta while being edited
		{"at_meta", "ARCHIVED", "", storage.TemplateOther, false},
	}
	for _, c := range cases {
		tpl := storage.AdminTemplate{Review: c.review, Status: c.status, ForwardError: c.forwardError}
		if got := tpl.State(); got != c.want || tpl.Editable() != c.editable {
			t.Errorf("%s/%s: state %s editable %v, want %s %v", c.review, c.status, got, tpl.Editable(), c.want, c.editable)
		}
	}
}
