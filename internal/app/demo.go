package app

import (
	"errors"
	"flag"
	"fmt"
	"text/tabwriter"

	"switchboard/internal/domain"
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
	return nil
}
