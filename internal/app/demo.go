package app

import (
	"errors"
	"flag"
	"fmt"
	"text/tabwriter"

	"switchboard/internal/domain"
	"switchboard/internal/number"
	"switchboard/internal/storage"
	"switchboard/internal/tenant"
)

// DemoPassword is every demo user's password. The demo is for a developer's
// machine; `demo seed` refuses to run in production.
const DemoPassword = "switchboard-demo"

// Demo sign-ins.
const (
	DemoOperator = "operator@switchboard.test"
	DemoAdmin    = "admin@demo.switchboard.test"
	DemoSlug     = "demo"
)

type demoAgent struct{ email, name string }

// demoAgents are the demo tenant's agents.
func demoAgents() []demoAgent {
	return []demoAgent{
		{"anna@demo.switchboard.test", "Anna Rossi"},
		{"bruno@demo.switchboard.test", "Bruno Bianchi"},
		{"carla@demo.switchboard.test", "Carla Verdi"},
	}
}

func runDemo(e env, args []string) int {
	fs := flag.NewFlagSet("demo seed", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.Usage = func() {
		fmt.Fprintln(e.stderr, "Usage: switchboard demo seed\n\nCreates (once; running it again changes nothing) a demo tenant with an operator, an administrator and three agents, and prints their sign-ins.")
	}
	if !subcommand(e, fs, args, "seed") {
		return exitUsage
	}
	if err := fs.Parse(args[1:]); err != nil {
		return flagStatus(err)
	}
	cfg, ok := loadConfig(e)
	if !ok {
		return exitUsage
	}
	if !cfg.Development() {
		fmt.Fprintln(e.stderr, "switchboard demo seed: refused outside development (APP_ENV=production): demo users have a published password")
		return exitUsage
	}
	d, err := openDB(e.ctx, cfg)
	if err != nil {
		fmt.Fprintln(e.stderr, "switchboard demo seed:", err)
		return exitError
	}
	defer d.close()
	if err := seedDemo(e, d); err != nil {
		fmt.Fprintln(e.stderr, "switchboard demo seed:", err)
		return exitError
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "Demo sign-ins (password for all: %s)\n", DemoPassword)
	fmt.Fprintf(tw, "  operator\t%s\n", DemoOperator)
	fmt.Fprintf(tw, "  administrator\t%s\n", DemoAdmin)
	for _, a := range demoAgents() {
		fmt.Fprintf(tw, "  agent\t%s\n", a.email)
	}
	if err := tw.Flush(); err != nil {
		return exitError
	}
	return exitOK
}

// seedDemo creates what is missing and leaves what exists alone, so a
// second run changes nothing.
func seedDemo(e env, d *deps) error {
	present := func(email string) (bool, error) {
		_, _, err := d.store.UserForSignIn(e.ctx, email)
		if errors.Is(err, storage.ErrNotFound) {
			return false, nil
		}
		return err == nil, err
	}
	if ok, err := present(DemoOperator); err != nil {
		return err
	} else if !ok {
		if _, err := d.tenants.CreateUser(e.ctx, cliActor, tenant.NewUserInput{Email: DemoOperator, Name: "Olivia Operator", Role: domain.RoleOperator, Password: DemoPassword}); err != nil {
			return fmt.Errorf("operator: %w", err)
		}
	}
	t, err := d.store.TenantBySlug(e.ctx, DemoSlug)
	if errors.Is(err, storage.ErrNotFound) {
		plan, perr := d.store.PlanByName(e.ctx, "Business")
		if perr != nil {
			return fmt.Errorf("plan Business: %w", perr)
		}
		t, err = d.tenants.Create(e.ctx, cliActor, tenant.NewTenantInput{Name: "Demo Company", Slug: DemoSlug, PlanID: plan.ID,
			AdminEmail: DemoAdmin, AdminName: "Adriana Admin", AdminPassword: DemoPassword})
	}
	if err != nil {
		return fmt.Errorf("tenant: %w", err)
	}
	for _, a := range demoAgents() {
		ok, err := present(a.email)
		if err != nil {
			return err
		}
		if ok {
			continue
		}
		if _, err := d.tenants.CreateUser(e.ctx, cliActor, tenant.NewUserInput{TenantID: t.ID, Email: a.email, Name: a.name, Role: domain.RoleAgent, Password: DemoPassword}); err != nil {
			return fmt.Errorf("agent %s: %w", a.email, err)
		}
	}
	return seedDemoRouting(e, d, t.ID)
}

// demoSkillset is the demo tenant's one skillset.
const demoSkillset = "Customer care"

// seedDemoRouting gives the demo tenant what a customer's message needs to
// reach an agent: a sandbox number (the customer simulator writes to it)
// linked to a skillset whose members are the three agents (Anna first).
// It runs once: a tenant that has the skillset is left alone.
func seedDemoRouting(e env, d *deps, tenantID string) error {
	skillsets, err := d.store.ListSkillsets(e.ctx, tenantID)
	if err != nil {
		return err
	}
	for _, k := range skillsets {
		if k.Name == demoSkillset {
			return nil
		}
	}
	n, err := d.numbers.Add(e.ctx, cliActor, number.AddInput{TenantID: tenantID, Sandbox: true})
	if err != nil {
		return fmt.Errorf("sandbox number: %w", err)
	}
	k, err := d.store.CreateSkillset(e.ctx, tenantID, cliActor, demoSkillset)
	if err != nil {
		return fmt.Errorf("skillset: %w", err)
	}
	users, err := d.store.ListUsers(e.ctx, tenantID)
	if err != nil {
		return err
	}
	priority := map[string]int{}
	for i, a := range demoAgents() {
		priority[a.email] = len(demoAgents()) - i
	}
	for _, u := range users {
		if p, ok := priority[u.Email]; ok {
			if err := d.store.SetSkillsetMember(e.ctx, tenantID, cliActor, k, u.ID, p); err != nil {
				return fmt.Errorf("member %s: %w", u.Email, err)
			}
		}
	}
	return d.store.LinkNumberSkillset(e.ctx, tenantID, cliActor, n.ID, k, 1)
}
