package storagetest

import (
	"context"
	"sync"
	"testing"

	"switchboard/internal/auth"
	"switchboard/internal/domain"
	"switchboard/internal/storage"
)

// Password is every fixture user's password.
const Password = "fixture-password-1"

var (
	hashOnce sync.Once
	hash     string
)

// passwordHash hashes Password once per test binary: argon2id is slow on
// purpose, and fixtures need many users.
func passwordHash(t testing.TB) string {
	hashOnce.Do(func() {
		var err error
		hash, err = auth.NewHasher(1).Hash(context.Background(), Password)
		if err != nil {
			t.Fatalf("storagetest: hash: %v", err)
		}
	})
	return hash
}

// Tenant is a fixture tenant with one administrator and one agent.
type Tenant struct {
	domain.Tenant
	Admin, Agent domain.User
}

// Fixtures are two tenants, A and B, and an operator.
type Fixtures struct {
	A, B     Tenant
	Operator domain.User
}

// Seed creates the fixtures in db.
func Seed(t testing.TB, db *DB) Fixtures {
	t.Helper()
	ctx := context.Background()
	var f Fixtures
	f.A = seedTenant(t, db, "Alpha Srl", "alpha")
	f.B = seedTenant(t, db, "Beta SpA", "beta")
	f.Operator = domain.User{Email: "operator@platform.test", Name: "Otto", Role: domain.RoleOperator, PasswordHash: passwordHash(t), Active: true}
	id, err := db.Store.CreateUser(ctx, storage.Actor{Email: "fixture"}, f.Operator)
	if err != nil {
		t.Fatalf("storagetest: operator: %v", err)
	}
	f.Operator.ID = id
	return f
}

func seedTenant(t testing.TB, db *DB, name, slug string) Tenant {
	t.Helper()
	ctx := context.Background()
	plan, err := db.Store.PlanByName(ctx, "Starter")
	if err != nil {
		t.Fatalf("storagetest: plan: %v", err)
	}
	admin := domain.User{Email: "admin@" + slug + ".test", Name: name + " Admin", Role: domain.RoleAdmin, PasswordHash: passwordHash(t), Active: true}
	tn, err := db.Store.CreateTenant(ctx, storage.Actor{Email: "fixture"}, storage.NewTenant{Name: name, Slug: slug, PlanID: plan.ID, Admin: admin})
	if err != nil {
		t.Fatalf("storagetest: tenant %s: %v", slug, err)
	}
	u, _, err := db.Store.UserForSignIn(ctx, admin.Email)
	if err != nil {
		t.Fatalf("storagetest: admin: %v", err)
	}
	agent := domain.User{TenantID: tn.ID, Email: "agent@" + slug + ".test", Name: name + " Agent", Role: domain.RoleAgent, PasswordHash: passwordHash(t), Active: true}
	agent.ID, err = db.Store.CreateUser(ctx, storage.Actor{Email: "fixture"}, agent)
	if err != nil {
		t.Fatalf("storagetest: agent: %v", err)
	}
	return Tenant{Tenant: tn, Admin: u, Agent: agent}
}
