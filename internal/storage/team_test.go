package storage_test

import (
	"context"
	"crypto/sha256"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"switchboard/internal/domain"
	"switchboard/internal/storage"
	"switchboard/internal/storage/storagetest"
)

func tokenHash(s string) []byte {
	h := sha256.Sum256([]byte(s))
	return h[:]
}

// TestInvitationIsUsedOnce: an invited agent has no password; of two
// acceptances at the same moment exactly one sets the password, the other
// finds the invitation used; an expired or withdrawn one (its agent
// deactivated) does not work; a taken e-mail is refused.
func TestInvitationIsUsedOnce(t *testing.T) {
	t.Parallel()
	db := storagetest.NewDB(t)
	f := storagetest.Seed(t, db)
	ctx := context.Background()
	st := db.Store

	if _, err := st.InviteAgent(ctx, f.A.ID, admin, f.B.Agent.Email, "", tokenHash("taken"), time.Now().Add(time.Hour)); !errors.Is(err, storage.ErrConflict) {
		t.Fatalf("a taken e-mail: %v", err)
	}
	id, err := st.InviteAgent(ctx, f.A.ID, admin, "nina@alpha.test", "Nina", tokenHash("one"), time.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	inv, err := st.InvitationByToken(ctx, tokenHash("one"))
	if err != nil || inv.UserID != id || inv.TenantID != f.A.ID || inv.TenantName != "Alpha Srl" || inv.Email != "nina@alpha.test" {
		t.Fatalf("invitation: %+v %v", inv, err)
	}
	facts, err := st.AgentTeamFacts(ctx, f.A.ID)
	if err != nil || !facts[id].Invited || facts[id].InviteExpires == nil || facts[f.A.Agent.ID].Invited {
		t.Fatalf("facts: %+v %v", facts, err)
	}

	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i := range errs {
		wg.Go(func() {
			_, errs[i] = st.AcceptInvitation(ctx, tokenHash("one"), "hash-"+string(rune('a'+i)), "127.0.0.1")
		})
	}
	wg.Wait()
	ok, used := 0, 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case errors.Is(err, storage.ErrInvitationUsed):
			used++
		default:
			t.Fatalf("accept: %v", err)
		}
	}
	if ok != 1 || used != 1 {
		t.Fatalf("two acceptances: %d succeeded, %d found it used", ok, used)
	}
	u, err := st.User(ctx, f.A.ID, id)
	if err != nil || (u.PasswordHash != "hash-a" && u.PasswordHash != "hash-b") {
		t.Fatalf("password: %q %v", u.PasswordHash, err)
	}
	if _, err := st.InvitationByToken(ctx, tokenHash("one")); !errors.Is(err, storage.ErrInvitationUsed) {
		t.Fatalf("used: %v", err)
	}
	if err := st.ReinviteAgent(ctx, f.A.ID, admin, id, tokenHash("again"), time.Now().Add(time.Hour)); err == nil {
		t.Fatal("a new link for an agent who joined")
	}

	// Expired, then withdrawn by deactivation.
	olga, err := st.InviteAgent(ctx, f.A.ID, admin, "olga@alpha.test", "", tokenHash("old"), time.Now().Add(-time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.AcceptInvitation(ctx, tokenHash("old"), "h", ""); !errors.Is(err, storage.ErrInvitationExpired) {
		t.Fatalf("expired: %v", err)
	}
	if err := st.ReinviteAgent(ctx, f.A.ID, admin, olga, tokenHash("new"), time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, err := st.InvitationByToken(ctx, tokenHash("old")); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("the replaced link: %v", err)
	}
	if err := st.SetAgentActive(ctx, f.A.ID, admin, olga, false); err != nil {
		t.Fatal(err)
	}
	if _, err := st.AcceptInvitation(ctx, tokenHash("new"), "h", ""); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("a deactivated agent's invitation: %v", err)
	}
	// Another tenant's scope sees no invitation of A.
	err = st.InTenant(ctx, f.B.ID, func(tx pgx.Tx) error {
		var n int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM invitations`).Scan(&n); err != nil {
			return err
		}
		if n != 0 {
			t.Errorf("tenant B sees %d invitations", n)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestDeactivationEndsSessionsAndReloads: deactivating an agent deletes
// their sessions, audits before and after and queues a routing reload (the
// dispatcher then requeues what they held); doing it twice changes nothing;
// an administrator or another tenant's agent cannot be deactivated here.
func TestDeactivationEndsSessionsAndReloads(t *testing.T) {
	t.Parallel()
	db := storagetest.NewDB(t)
	f := storagetest.Seed(t, db)
	ctx := context.Background()
	st := db.Store
	anna := f.A.Agent.ID
	if _, err := st.CreateSession(ctx, domain.Session{UserID: anna, TenantID: f.A.ID, ExpiresAt: time.Now().Add(time.Hour)}, tokenHash("s")); err != nil {
		t.Fatal(err)
	}
	tr := newTrail(t, db, f.A.ID)
	if err := st.SetAgentActive(ctx, f.A.ID, admin, anna, false); err != nil {
		t.Fatal(err)
	}
	e := tr.changed("user.deactivate")
	if e.Target != f.A.Agent.Email {
		t.Fatalf("audit target %q", e.Target)
	}
	if _, _, _, err := st.SessionByToken(ctx, tokenHash("s")); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("the session outlived the deactivation: %v", err)
	}
	if err := st.SetAgentActive(ctx, f.A.ID, admin, anna, false); err != nil {
		t.Fatal(err)
	}
	tr.unchanged("deactivated twice")
	if err := st.SetAgentActive(ctx, f.A.ID, admin, anna, true); err != nil {
		t.Fatal(err)
	}
	tr.changed("user.reactivate")
	wantField(t, "an administrator", st.SetAgentActive(ctx, f.A.ID, admin, f.A.Admin.ID, false), "agent", "routing.not_agent")
	wantField(t, "another tenant's agent", st.SetAgentActive(ctx, f.A.ID, admin, f.B.Agent.ID, false), "agent", "routing.not_agent")
	tr.unchanged("refusals")
}
