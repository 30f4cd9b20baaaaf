package app

import (
	"errors"
	"flag"
	"fmt"
	"sort"
	"strings"

	"switchboard/internal/domain"
	"switchboard/internal/i18n"
	"switchboard/internal/storage"
	"switchboard/internal/tenant"
)

// cliActor is the audit log's author for commands typed at the console.
var cliActor = storage.Actor{Email: "cli"}

func runTenant(e env, args []string) int {
	if len(args) > 0 && args[0] == "stop-words" {
		return runStopWords(e, args[1:])
	}
	if len(args) > 0 && args[0] == "routing" {
		return runTenantRouting(e, args[1:])
	}
	fs := flag.NewFlagSet("tenant create", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	name := fs.String("name", "", "the company's name (required)")
	slug := fs.String("slug", "", "short unique name: lower-case letters, digits and dashes (required)")
	adminEmail := fs.String("admin-email", "", "the first administrator's e-mail (required)")
	adminName := fs.String("admin-name", "", "the first administrator's name")
	plan := fs.String("plan", "Starter", "the plan's name")
	fs.Usage = func() {
		fmt.Fprintln(e.stderr, "Usage: echo \"$PASSWORD\" | switchboard tenant create --name NAME --slug SLUG --admin-email EMAIL [--admin-name NAME] [--plan PLAN]\n\nCreates a tenant and its first administrator, whose password is read from standard input. Prints the tenant's id.")
		fs.PrintDefaults()
	}
	if len(args) == 0 || args[0] != "create" {
		if len(args) > 0 && (args[0] == "--help" || args[0] == "-h") {
			fs.Usage()
			return exitOK
		}
		fs.Usage()
		return exitUsage
	}
	if err := fs.Parse(args[1:]); err != nil {
		return flagStatus(err)
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(e.stderr, "switchboard tenant create: unexpected argument %q\n", fs.Arg(0))
		return exitUsage
	}
	if missing := missingFlags(map[string]string{"--name": *name, "--slug": *slug, "--admin-email": *adminEmail}); missing != "" {
		fmt.Fprintf(e.stderr, "switchboard tenant create: %s is required\n", missing)
		return exitUsage
	}
	password, err := readPassword(e.stdin)
	if err != nil {
		fmt.Fprintln(e.stderr, "switchboard tenant create:", err)
		return exitUsage
	}
	return withDB(e, "tenant create", func(d *deps) int {
		p, err := d.store.PlanByName(e.ctx, *plan)
		if errors.Is(err, storage.ErrNotFound) {
			fmt.Fprintf(e.stderr, "switchboard tenant create: --plan: no plan named %q\n", *plan)
			return exitUsage
		} else if err != nil {
			fmt.Fprintln(e.stderr, "switchboard tenant create:", err)
			return exitError
		}
		t, err := d.tenants.Create(e.ctx, cliActor, tenant.NewTenantInput{
			Name: *name, Slug: *slug, PlanID: p.ID, AdminEmail: *adminEmail, AdminName: *adminName, AdminPassword: password,
		})
		if code := reportFieldError(e, "tenant create", err, map[string]string{"name": "--name", "slug": "--slug",
			"admin_email": "--admin-email", "admin_name": "--admin-name", "admin_password": "password", "plan_id": "--plan"}); code != exitOK {
			return code
		}
		fmt.Fprintln(e.stdout, t.ID)
		return exitOK
	})
}

func runUser(e env, args []string) int {
	fs := flag.NewFlagSet("user create", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	slug := fs.String("tenant", "", "the tenant's slug (required)")
	email := fs.String("email", "", "the user's e-mail (required)")
	name := fs.String("name", "", "the user's name")
	role := fs.String("role", "", "admin or agent (required)")
	fs.Usage = func() {
		fmt.Fprintln(e.stderr, "Usage: echo \"$PASSWORD\" | switchboard user create --tenant SLUG --email EMAIL --role admin|agent [--name NAME]\n\nAdds a user to a tenant; the password is read from standard input. Prints the user's id.")
		fs.PrintDefaults()
	}
	if !subcommand(e, fs, args, "create") {
		return exitUsage
	}
	if err := fs.Parse(args[1:]); err != nil {
		return flagStatus(err)
	}
	if missing := missingFlags(map[string]string{"--tenant": *slug, "--email": *email, "--role": *role}); missing != "" {
		fmt.Fprintf(e.stderr, "switchboard user create: %s is required\n", missing)
		return exitUsage
	}
	r := domain.Role(*role)
	if r != domain.RoleAdmin && r != domain.RoleAgent {
		fmt.Fprintf(e.stderr, "switchboard user create: --role must be admin or agent, not %q\n", *role)
		return exitUsage
	}
	return createUser(e, "user create", *slug, tenant.NewUserInput{Email: *email, Name: *name, Role: r})
}

func runOperator(e env, args []string) int {
	fs := flag.NewFlagSet("operator create", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	email := fs.String("email", "", "the operator's e-mail (required)")
	name := fs.String("name", "", "the operator's name")
	fs.Usage = func() {
		fmt.Fprintln(e.stderr, "Usage: echo \"$PASSWORD\" | switchboard operator create --email EMAIL [--name NAME]\n\nAdds a platform operator; the password is read from standard input. Prints the user's id.")
		fs.PrintDefaults()
	}
	if !subcommand(e, fs, args, "create") {
		return exitUsage
	}
	if err := fs.Parse(args[1:]); err != nil {
		return flagStatus(err)
	}
	if *email == "" {
		fmt.Fprintln(e.stderr, "switchboard operator create: --email is required")
		return exitUsage
	}
	return createUser(e, "operator create", "", tenant.NewUserInput{Email: *email, Name: *name, Role: domain.RoleOperator})
}

// createUser reads the password, finds the tenant by slug (none for
// operators) and creates the user.
func createUser(e env, cmd, slug string, in tenant.NewUserInput) int {
	password, err := readPassword(e.stdin)
	if err != nil {
		fmt.Fprintf(e.stderr, "switchboard %s: %v\n", cmd, err)
		return exitUsage
	}
	in.Password = password
	return withDB(e, cmd, func(d *deps) int {
		if slug != "" {
			t, code := tenantBySlug(e, d, cmd, slug)
			if code != exitOK {
				return code
			}
			in.TenantID = t.ID
		}
		id, err := d.tenants.CreateUser(e.ctx, cliActor, in)
		if code := reportFieldError(e, cmd, err, map[string]string{"email": "--email", "name": "--name", "role": "--role", "password": "password"}); code != exitOK {
			return code
		}
		fmt.Fprintln(e.stdout, id)
		return exitOK
	})
}

// subcommand checks that args start with the only action the command has.
func subcommand(e env, fs *flag.FlagSet, args []string, action string) bool {
	if len(args) > 0 && args[0] == action {
		return true
	}
	fs.Usage()
	return false
}

// missingFlags returns the first (alphabetically) required flag left empty.
func missingFlags(flags map[string]string) string {
	names := make([]string, 0, len(flags))
	for name := range flags {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if strings.TrimSpace(flags[name]) == "" {
			return name
		}
	}
	return ""
}

// reportFieldError prints a validation error naming the flag, in English.
func reportFieldError(e env, cmd string, err error, flags map[string]string) int {
	if err == nil {
		return exitOK
	}
	var fe *tenant.FieldError
	if errors.As(err, &fe) {
		fmt.Fprintf(e.stderr, "switchboard %s: %s: %s\n", cmd, flags[fe.Field], i18n.Translate(i18n.English, fe.Key))
		return exitUsage
	}
	fmt.Fprintf(e.stderr, "switchboard %s: %v\n", cmd, err)
	return exitError
}

// runStopWords sets the words a customer writes to stop a tenant's
// business-initiated messages.
func runStopWords(e env, args []string) int {
	fs := flag.NewFlagSet("tenant stop-words", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	slug := fs.String("tenant", "", "the tenant's slug (required)")
	words := fs.String("words", "", "comma-separated words, any language, e.g. STOP,UNSUBSCRIBE,BASTA (required)")
	fs.Usage = func() {
		fmt.Fprintln(e.stderr, "Usage: switchboard tenant stop-words --tenant SLUG --words STOP,BASTA,…\n\nSets the words that, written alone by a customer, withdraw their consent at once. Prints the words kept.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return flagStatus(err)
	}
	// The same rule as the settings page's: storage.ParseStopWords.
	list, err := storage.ParseStopWords(*words)
	if *slug == "" || err != nil {
		fmt.Fprintln(e.stderr, "switchboard tenant stop-words: --tenant and --words (1 to 50 words, each one word of at most 40 characters) are required")
		return exitUsage
	}
	return withDB(e, "tenant stop-words", func(d *deps) int {
		t, code := tenantBySlug(e, d, "tenant stop-words", *slug)
		if code != exitOK {
			return code
		}
		if err := d.store.SetStopKeywords(e.ctx, cliActor, t.ID, list); err != nil {
			fmt.Fprintln(e.stderr, "switchboard tenant stop-words:", err)
			return exitError
		}
		fmt.Fprintln(e.stdout, strings.Join(list, ","))
		return exitOK
	})
}
