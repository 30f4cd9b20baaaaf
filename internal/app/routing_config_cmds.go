package app

import (
	"errors"
	"flag"
	"fmt"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"switchboard/internal/domain"
	"switchboard/internal/i18n"
	"switchboard/internal/storage"
)

// The routing configuration from the command line: skillsets, their agents
// and numbers, agents' capacity, the tenant's requeue policy and contacts'
// priority. Every change reaches the tenant's live dispatcher at once (the
// store queues a reload in the same transaction).

const skillsetUsage = `Usage: switchboard skillset ACTION --tenant SLUG [flags]

Configures which agents answer which numbers (docs/operations.md, "Routing
configuration"). Actions:

  create    --name NAME                      add a skillset; prints its id
  rename    --skillset NAME --name NEW       rename it
  delete    --skillset NAME                  delete it (unlink its numbers first)
  list                                       skillsets with their agents and numbers
  member    --skillset NAME --agent EMAIL [--priority N]
                                             add an agent, or change its priority
  unmember  --skillset NAME --agent EMAIL    take an agent out
  link      --skillset NAME (--number PHONE | --phone-number-id ID) [--priority N]
                                             make it serve a number, or change the priority
  unlink    --skillset NAME (--number PHONE | --phone-number-id ID)
                                             stop it serving a number

Priorities are whole numbers from -1000 to 1000, larger first, 0 by default.
Skillset names are matched in any case. Changes apply to the live router at once.
Run switchboard skillset ACTION --help for an action's flags.`

const agentUsage = `Usage: switchboard agent ACTION --tenant SLUG [flags]

Actions:

  capacity  --agent EMAIL --capacity N|default
                       how many conversations the agent may hold at once
                       (0 to 1000; default: the tenant's, see tenant routing)
  list                 agents with their capacity and skillsets`

const contactUsage = `Usage: switchboard contact ACTION --tenant SLUG [flags]

Actions:

  priority  --phone PHONE --priority N
                       the contact's priority in the queue, -1000 to 1000,
                       larger first (0 by default); waiting conversations move at once
  field     define|list|delete …
                       the custom fields agents fill in on the contact panel
                       (switchboard contact field --help)`

// reportRoutingError prints a refusal of the routing store on one line:
// validation errors name the flag (exit 2); a skillset still linked to
// numbers names them (exit 1).
func reportRoutingError(e env, cmd string, err error, flags map[string]string) int {
	var fe *domain.FieldError
	if errors.As(err, &fe) && !i18n.Has(fe.Key) {
		fmt.Fprintf(e.stderr, "switchboard %s: %s: %s\n", cmd, flags[fe.Field], i18n.Translate(i18n.English, fe.Key))
		return exitUsage
	}
	var inUse *storage.SkillsetInUseError
	if errors.As(err, &inUse) {
		fmt.Fprintf(e.stderr, "switchboard %s: %v\n", cmd, err)
		return exitError
	}
	return reportFieldError(e, cmd, err, flags)
}

// subAction is one action of a command with several (skillset create, …).
type subAction struct {
	name string
	run  func(e env, args []string) int
}

// runActions dispatches to the action args[0] names.
func runActions(e env, cmd, usage string, args []string, actions []subAction) int {
	if len(args) == 0 {
		fmt.Fprintln(e.stderr, usage)
		return exitUsage
	}
	if args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprintln(e.stderr, usage)
		return exitOK
	}
	names := make([]string, 0, len(actions))
	for _, a := range actions {
		if a.name == args[0] {
			return a.run(e, args[1:])
		}
		names = append(names, a.name)
	}
	fmt.Fprintf(e.stderr, "switchboard %s: unknown action %q (expected: %s)\n", cmd, args[0], strings.Join(names, ", "))
	return exitUsage
}

// routingFlags starts an action's flags with --tenant.
func routingFlags(e env, cmd, usage string) (*flag.FlagSet, *string) {
	fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	slug := fs.String("tenant", "", "the tenant's slug (required)")
	fs.Usage = func() {
		fmt.Fprintln(e.stderr, usage)
		fs.PrintDefaults()
	}
	return fs, slug
}

// parseRoutingFlags parses an action's flags, refusing stray arguments and
// required flags left empty; ok is false when the command must stop.
func parseRoutingFlags(e env, fs *flag.FlagSet, args []string, required map[string]*string) (int, bool) {
	if err := fs.Parse(args); err != nil {
		return flagStatus(err), false
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(e.stderr, "switchboard %s: unexpected argument %q\n", fs.Name(), fs.Arg(0))
		return exitUsage, false
	}
	values := make(map[string]string, len(required))
	for name, v := range required {
		values[name] = *v
	}
	if missing := missingFlags(values); missing != "" {
		fmt.Fprintf(e.stderr, "switchboard %s: %s is required\n", fs.Name(), missing)
		return exitUsage, false
	}
	return exitOK, true
}

// flagGiven reports whether a flag was set on the command line.
func flagGiven(fs *flag.FlagSet, name string) bool {
	given := false
	fs.Visit(func(f *flag.Flag) { given = given || f.Name == name })
	return given
}

// withTenant opens the database and resolves --tenant for a command.
func withTenant(e env, cmd, slug string, fn func(d *deps, t domain.Tenant) int) int {
	return withDB(e, cmd, func(d *deps) int {
		t, code := tenantBySlug(e, d, cmd, slug)
		if code != exitOK {
			return code
		}
		return fn(d, t)
	})
}

// skillsetNamed resolves --skillset by name, in any case.
func skillsetNamed(e env, d *deps, cmd string, t domain.Tenant, name string) (storage.Skillset, int) {
	ss, err := d.store.SkillsetByName(e.ctx, t.ID, name)
	if errors.Is(err, storage.ErrNotFound) {
		fmt.Fprintf(e.stderr, "switchboard %s: --skillset: no skillset named %q in tenant %s\n", cmd, strings.TrimSpace(name), t.Slug)
		return ss, exitUsage
	} else if err != nil {
		fmt.Fprintf(e.stderr, "switchboard %s: %v\n", cmd, err)
		return ss, exitError
	}
	return ss, exitOK
}

// userByEmail resolves --agent by e-mail among the tenant's users; whether
// the user may take conversations is the store's to say.
func userByEmail(e env, d *deps, cmd string, t domain.Tenant, email string) (domain.User, int) {
	users, err := d.store.ListUsers(e.ctx, t.ID)
	if err != nil {
		fmt.Fprintf(e.stderr, "switchboard %s: %v\n", cmd, err)
		return domain.User{}, exitError
	}
	for _, u := range users {
		if strings.EqualFold(u.Email, strings.TrimSpace(email)) {
			return u, exitOK
		}
	}
	fmt.Fprintf(e.stderr, "switchboard %s: --agent: no user %s in tenant %s\n", cmd, strings.TrimSpace(email), t.Slug)
	return domain.User{}, exitUsage
}

// numberFlags are --number and --phone-number-id, one of which names a
// managed number.
type numberFlags struct{ phone, pnid *string }

func addNumberFlags(fs *flag.FlagSet) numberFlags {
	return numberFlags{
		phone: fs.String("number", "", "the number as displayed, e.g. +39 02 1234 5678 (only its digits are compared)"),
		pnid:  fs.String("phone-number-id", "", "or: Meta's phone number id of the number"),
	}
}

// check says whether exactly one of the two flags is given.
func (nf numberFlags) check(e env, cmd string) bool {
	if (strings.TrimSpace(*nf.phone) == "") == (strings.TrimSpace(*nf.pnid) == "") {
		fmt.Fprintf(e.stderr, "switchboard %s: give exactly one of --number or --phone-number-id\n", cmd)
		return false
	}
	if *nf.phone != "" && domain.Digits(*nf.phone) == "" {
		fmt.Fprintf(e.stderr, "switchboard %s: --number: %q has no digits\n", cmd, *nf.phone)
		return false
	}
	return true
}

// resolve finds the tenant's number the flags name.
func (nf numberFlags) resolve(e env, d *deps, cmd string, t domain.Tenant) (domain.Number, int) {
	numbers, err := d.store.ListNumbers(e.ctx, t.ID)
	if err != nil {
		fmt.Fprintf(e.stderr, "switchboard %s: %v\n", cmd, err)
		return domain.Number{}, exitError
	}
	phone, pnid := domain.Digits(*nf.phone), strings.TrimSpace(*nf.pnid)
	for _, n := range numbers {
		if (pnid != "" && n.PhoneNumberID == pnid) || (phone != "" && domain.Digits(n.DisplayPhone) == phone) {
			return n, exitOK
		}
	}
	if pnid != "" {
		fmt.Fprintf(e.stderr, "switchboard %s: --phone-number-id: no number with phone number id %s in tenant %s\n", cmd, pnid, t.Slug)
	} else {
		fmt.Fprintf(e.stderr, "switchboard %s: --number: no number %s in tenant %s\n", cmd, strings.TrimSpace(*nf.phone), t.Slug)
	}
	return domain.Number{}, exitUsage
}

func runSkillset(e env, args []string) int {
	return runActions(e, "skillset", skillsetUsage, args, []subAction{
		{"create", skillsetCreate}, {"rename", skillsetRename}, {"delete", skillsetDelete}, {"list", skillsetList},
		{"member", skillsetMember}, {"unmember", skillsetUnmember}, {"link", skillsetLink}, {"unlink", skillsetUnlink},
	})
}

func skillsetCreate(e env, args []string) int {
	const cmd = "skillset create"
	fs, slug := routingFlags(e, cmd, "Usage: switchboard skillset create --tenant SLUG --name NAME\n\nAdds a skillset (a group of agents, e.g. Sales); prints its id. Names are unique in the tenant, in any case.")
	name := fs.String("name", "", "the skillset's name, 1 to 100 characters (required)")
	if code, ok := parseRoutingFlags(e, fs, args, map[string]*string{"--tenant": slug, "--name": name}); !ok {
		return code
	}
	return withTenant(e, cmd, *slug, func(d *deps, t domain.Tenant) int {
		id, err := d.store.CreateSkillset(e.ctx, t.ID, cliActor, *name)
		if code := reportRoutingError(e, cmd, err, map[string]string{"name": "--name"}); code != exitOK {
			return code
		}
		fmt.Fprintln(e.stdout, id)
		return exitOK
	})
}

func skillsetRename(e env, args []string) int {
	const cmd = "skillset rename"
	fs, slug := routingFlags(e, cmd, "Usage: switchboard skillset rename --tenant SLUG --skillset NAME --name NEW\n\nRenames a skillset; its agents and numbers stay.")
	skillset := fs.String("skillset", "", "the skillset's current name (required)")
	name := fs.String("name", "", "its new name, 1 to 100 characters (required)")
	if code, ok := parseRoutingFlags(e, fs, args, map[string]*string{"--tenant": slug, "--skillset": skillset, "--name": name}); !ok {
		return code
	}
	return withTenant(e, cmd, *slug, func(d *deps, t domain.Tenant) int {
		ss, code := skillsetNamed(e, d, cmd, t, *skillset)
		if code != exitOK {
			return code
		}
		err := d.store.RenameSkillset(e.ctx, t.ID, cliActor, ss.ID, *name)
		if code := reportRoutingError(e, cmd, err, map[string]string{"name": "--name", "skillset": "--skillset"}); code != exitOK {
			return code
		}
		fmt.Fprintf(e.stdout, "skillset %q is now %q\n", ss.Name, strings.TrimSpace(*name))
		return exitOK
	})
}

func skillsetDelete(e env, args []string) int {
	const cmd = "skillset delete"
	fs, slug := routingFlags(e, cmd, "Usage: switchboard skillset delete --tenant SLUG --skillset NAME\n\nDeletes a skillset and its memberships. A skillset that serves numbers is refused (exit 1) with the numbers named: unlink it first.")
	skillset := fs.String("skillset", "", "the skillset's name (required)")
	if code, ok := parseRoutingFlags(e, fs, args, map[string]*string{"--tenant": slug, "--skillset": skillset}); !ok {
		return code
	}
	return withTenant(e, cmd, *slug, func(d *deps, t domain.Tenant) int {
		ss, code := skillsetNamed(e, d, cmd, t, *skillset)
		if code != exitOK {
			return code
		}
		err := d.store.DeleteSkillset(e.ctx, t.ID, cliActor, ss.ID)
		if code := reportRoutingError(e, cmd, err, map[string]string{"skillset": "--skillset"}); code != exitOK {
			return code
		}
		fmt.Fprintf(e.stdout, "skillset %q deleted\n", ss.Name)
		return exitOK
	})
}

func skillsetList(e env, args []string) int {
	const cmd = "skillset list"
	fs, slug := routingFlags(e, cmd, "Usage: switchboard skillset list --tenant SLUG\n\nLists the skillsets, each with its agents (agent priority) and the numbers it serves (skillset priority), larger priorities first, then the numbers no skillset serves.")
	if code, ok := parseRoutingFlags(e, fs, args, map[string]*string{"--tenant": slug}); !ok {
		return code
	}
	return withTenant(e, cmd, *slug, func(d *deps, t domain.Tenant) int {
		list, err := d.store.ListSkillsets(e.ctx, t.ID)
		if err != nil {
			fmt.Fprintf(e.stderr, "switchboard %s: %v\n", cmd, err)
			return exitError
		}
		numbers, err := d.store.ListNumbers(e.ctx, t.ID)
		if err != nil {
			fmt.Fprintf(e.stderr, "switchboard %s: %v\n", cmd, err)
			return exitError
		}
		writeSkillsets(e, t, list, numbers)
		return exitOK
	})
}

// writeSkillsets prints the skillsets as an indented table, aligned across
// skillsets:
//
//	Sales
//	  agent   anna@acme.test     priority 1
//	  number  +39 02 1234 5678   priority 2
func writeSkillsets(e env, t domain.Tenant, list []storage.Skillset, numbers []domain.Number) {
	if len(list) == 0 {
		fmt.Fprintf(e.stdout, "no skillsets in tenant %s: create one with `switchboard skillset create`\n", t.Slug)
	}
	width := 0
	for _, ss := range list {
		for _, m := range ss.Members {
			width = max(width, len(m.Email))
		}
		for _, n := range ss.Numbers {
			width = max(width, len(n.DisplayPhone))
		}
	}
	served := map[string]bool{}
	for _, ss := range list {
		fmt.Fprintln(e.stdout, ss.Name)
		if len(ss.Members) == 0 {
			fmt.Fprintln(e.stdout, "  no agents yet")
		}
		for _, m := range ss.Members {
			note := ""
			if !m.Routed {
				note = "   (not an active agent: not routed to)"
			}
			fmt.Fprintf(e.stdout, "  agent   %-*s   priority %d%s\n", width, m.Email, m.Priority, note)
		}
		if len(ss.Numbers) == 0 {
			fmt.Fprintln(e.stdout, "  serves no number yet")
		}
		for _, n := range ss.Numbers {
			served[n.NumberID] = true
			fmt.Fprintf(e.stdout, "  number  %-*s   priority %d\n", width, n.DisplayPhone, n.Priority)
		}
	}
	var unserved []string
	for _, n := range numbers {
		if !served[n.ID] {
			unserved = append(unserved, n.DisplayPhone)
		}
	}
	if len(unserved) > 0 {
		fmt.Fprintf(e.stdout, "no skillset serves %s: conversations there wait in the queue\n", strings.Join(unserved, ", "))
	}
}

func skillsetMember(e env, args []string) int {
	const cmd = "skillset member"
	fs, slug := routingFlags(e, cmd, "Usage: switchboard skillset member --tenant SLUG --skillset NAME --agent EMAIL [--priority N]\n\nMakes an active agent a member of a skillset with an agent priority, or changes the priority of a member.")
	skillset := fs.String("skillset", "", "the skillset's name (required)")
	agent := fs.String("agent", "", "the agent's e-mail (required)")
	priority := fs.Int("priority", 0, "the agent's priority in the skillset, -1000 to 1000, larger first")
	if code, ok := parseRoutingFlags(e, fs, args, map[string]*string{"--tenant": slug, "--skillset": skillset, "--agent": agent}); !ok {
		return code
	}
	return withTenant(e, cmd, *slug, func(d *deps, t domain.Tenant) int {
		ss, code := skillsetNamed(e, d, cmd, t, *skillset)
		if code != exitOK {
			return code
		}
		u, code := userByEmail(e, d, cmd, t, *agent)
		if code != exitOK {
			return code
		}
		err := d.store.SetSkillsetMember(e.ctx, t.ID, cliActor, ss.ID, u.ID, *priority)
		if code := reportRoutingError(e, cmd, err, map[string]string{"skillset": "--skillset", "agent": "--agent", "priority": "--priority"}); code != exitOK {
			return code
		}
		fmt.Fprintf(e.stdout, "%s is in %q with priority %d\n", u.Email, ss.Name, *priority)
		return exitOK
	})
}

func skillsetUnmember(e env, args []string) int {
	const cmd = "skillset unmember"
	fs, slug := routingFlags(e, cmd, "Usage: switchboard skillset unmember --tenant SLUG --skillset NAME --agent EMAIL\n\nTakes an agent out of a skillset; the conversations they hold stay theirs.")
	skillset := fs.String("skillset", "", "the skillset's name (required)")
	agent := fs.String("agent", "", "the agent's e-mail (required)")
	if code, ok := parseRoutingFlags(e, fs, args, map[string]*string{"--tenant": slug, "--skillset": skillset, "--agent": agent}); !ok {
		return code
	}
	return withTenant(e, cmd, *slug, func(d *deps, t domain.Tenant) int {
		ss, code := skillsetNamed(e, d, cmd, t, *skillset)
		if code != exitOK {
			return code
		}
		u, code := userByEmail(e, d, cmd, t, *agent)
		if code != exitOK {
			return code
		}
		err := d.store.RemoveSkillsetMember(e.ctx, t.ID, cliActor, ss.ID, u.ID)
		if errors.Is(err, storage.ErrNotFound) {
			fmt.Fprintf(e.stderr, "switchboard %s: %s is not a member of %q\n", cmd, u.Email, ss.Name)
			return exitError
		}
		if code := reportRoutingError(e, cmd, err, map[string]string{"skillset": "--skillset", "agent": "--agent"}); code != exitOK {
			return code
		}
		fmt.Fprintf(e.stdout, "%s is no longer in %q\n", u.Email, ss.Name)
		return exitOK
	})
}

func skillsetLink(e env, args []string) int {
	const cmd = "skillset link"
	fs, slug := routingFlags(e, cmd, "Usage: switchboard skillset link --tenant SLUG --skillset NAME (--number PHONE | --phone-number-id ID) [--priority N]\n\nMakes a skillset serve a number with a skillset priority (larger first: its agents are asked before those of lower skillsets), or changes the priority.")
	skillset := fs.String("skillset", "", "the skillset's name (required)")
	nf := addNumberFlags(fs)
	priority := fs.Int("priority", 0, "the skillset's priority on the number, -1000 to 1000, larger first")
	if code, ok := parseRoutingFlags(e, fs, args, map[string]*string{"--tenant": slug, "--skillset": skillset}); !ok {
		return code
	}
	if !nf.check(e, cmd) {
		return exitUsage
	}
	return withTenant(e, cmd, *slug, func(d *deps, t domain.Tenant) int {
		ss, code := skillsetNamed(e, d, cmd, t, *skillset)
		if code != exitOK {
			return code
		}
		n, code := nf.resolve(e, d, cmd, t)
		if code != exitOK {
			return code
		}
		err := d.store.LinkNumberSkillset(e.ctx, t.ID, cliActor, n.ID, ss.ID, *priority)
		if code := reportRoutingError(e, cmd, err, map[string]string{"skillset": "--skillset", "number": "--number", "priority": "--priority"}); code != exitOK {
			return code
		}
		fmt.Fprintf(e.stdout, "%q serves %s with priority %d\n", ss.Name, n.DisplayPhone, *priority)
		return exitOK
	})
}

func skillsetUnlink(e env, args []string) int {
	const cmd = "skillset unlink"
	fs, slug := routingFlags(e, cmd, "Usage: switchboard skillset unlink --tenant SLUG --skillset NAME (--number PHONE | --phone-number-id ID)\n\nStops a skillset serving a number. Conversations already assigned stay with their agents.")
	skillset := fs.String("skillset", "", "the skillset's name (required)")
	nf := addNumberFlags(fs)
	if code, ok := parseRoutingFlags(e, fs, args, map[string]*string{"--tenant": slug, "--skillset": skillset}); !ok {
		return code
	}
	if !nf.check(e, cmd) {
		return exitUsage
	}
	return withTenant(e, cmd, *slug, func(d *deps, t domain.Tenant) int {
		ss, code := skillsetNamed(e, d, cmd, t, *skillset)
		if code != exitOK {
			return code
		}
		n, code := nf.resolve(e, d, cmd, t)
		if code != exitOK {
			return code
		}
		err := d.store.UnlinkNumberSkillset(e.ctx, t.ID, cliActor, n.ID, ss.ID)
		if errors.Is(err, storage.ErrNotFound) {
			fmt.Fprintf(e.stderr, "switchboard %s: %q does not serve %s\n", cmd, ss.Name, n.DisplayPhone)
			return exitError
		}
		if code := reportRoutingError(e, cmd, err, map[string]string{"skillset": "--skillset", "number": "--number"}); code != exitOK {
			return code
		}
		fmt.Fprintf(e.stdout, "%q no longer serves %s\n", ss.Name, n.DisplayPhone)
		return exitOK
	})
}

func runAgent(e env, args []string) int {
	return runActions(e, "agent", agentUsage, args, []subAction{{"capacity", agentCapacity}, {"list", agentList}})
}

func agentCapacity(e env, args []string) int {
	const cmd = "agent capacity"
	fs, slug := routingFlags(e, cmd, "Usage: switchboard agent capacity --tenant SLUG --agent EMAIL --capacity N|default\n\nSets how many conversations the agent may hold at once (0 to 1000; 0 takes none), or returns it to the tenant's default.")
	agent := fs.String("agent", "", "the agent's e-mail (required)")
	capFlag := fs.String("capacity", "", "a whole number from 0 to 1000, or default (required)")
	if code, ok := parseRoutingFlags(e, fs, args, map[string]*string{"--tenant": slug, "--agent": agent, "--capacity": capFlag}); !ok {
		return code
	}
	var capacity *int
	if c := strings.TrimSpace(*capFlag); !strings.EqualFold(c, "default") {
		n, err := strconv.Atoi(c)
		if err != nil {
			fmt.Fprintf(e.stderr, "switchboard %s: --capacity: %q is neither a whole number nor default\n", cmd, c)
			return exitUsage
		}
		capacity = &n
	}
	return withTenant(e, cmd, *slug, func(d *deps, t domain.Tenant) int {
		u, code := userByEmail(e, d, cmd, t, *agent)
		if code != exitOK {
			return code
		}
		err := d.store.SetAgentCapacity(e.ctx, t.ID, cliActor, u.ID, capacity)
		if code := reportRoutingError(e, cmd, err, map[string]string{"agent": "--agent", "capacity": "--capacity"}); code != exitOK {
			return code
		}
		if capacity != nil {
			fmt.Fprintf(e.stdout, "%s: capacity %d\n", u.Email, *capacity)
			return exitOK
		}
		st, err := d.store.TenantRoutingSettings(e.ctx, t.ID)
		if err != nil {
			fmt.Fprintf(e.stderr, "switchboard %s: %v\n", cmd, err)
			return exitError
		}
		fmt.Fprintf(e.stdout, "%s: capacity %d (the tenant's default)\n", u.Email, st.DefaultCapacity)
		return exitOK
	})
}

func agentList(e env, args []string) int {
	const cmd = "agent list"
	fs, slug := routingFlags(e, cmd, "Usage: switchboard agent list --tenant SLUG\n\nLists the tenant's agents with their capacity and their skillsets (agent priority in brackets).")
	if code, ok := parseRoutingFlags(e, fs, args, map[string]*string{"--tenant": slug}); !ok {
		return code
	}
	return withTenant(e, cmd, *slug, func(d *deps, t domain.Tenant) int {
		agents, err := d.store.ListRoutingAgents(e.ctx, t.ID)
		if err != nil {
			fmt.Fprintf(e.stderr, "switchboard %s: %v\n", cmd, err)
			return exitError
		}
		st, err := d.store.TenantRoutingSettings(e.ctx, t.ID)
		if err != nil {
			fmt.Fprintf(e.stderr, "switchboard %s: %v\n", cmd, err)
			return exitError
		}
		if len(agents) == 0 {
			fmt.Fprintf(e.stdout, "no agents in tenant %s: add one with `switchboard user create --role agent`\n", t.Slug)
			return exitOK
		}
		tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "AGENT\tNAME\tSTATUS\tCAPACITY\tSKILLSETS")
		for _, a := range agents {
			status := "active"
			if !a.Active {
				status = "deactivated"
			}
			capacity := strconv.Itoa(st.DefaultCapacity) + " (default)"
			if a.Capacity != nil {
				capacity = strconv.Itoa(*a.Capacity)
			}
			skillsets := make([]string, 0, len(a.Skillsets))
			for _, s := range a.Skillsets {
				skillsets = append(skillsets, fmt.Sprintf("%s (%d)", s.Name, s.Priority))
			}
			if len(skillsets) == 0 {
				skillsets = append(skillsets, "none: takes no conversations")
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", a.Email, orDash(a.Name), status, capacity, strings.Join(skillsets, ", "))
		}
		if err := tw.Flush(); err != nil {
			return exitError
		}
		return exitOK
	})
}

func orDash(s string) string {
	if strings.TrimSpace(s) == "" {
		return "-"
	}
	return s
}

// runTenantRouting is "switchboard tenant routing": the tenant's default
// capacity and requeue policy, printed after any change.
func runTenantRouting(e env, args []string) int {
	const cmd = "tenant routing"
	fs, slug := routingFlags(e, cmd, "Usage: switchboard tenant routing --tenant SLUG [--default-capacity N] [--requeue-on-offline=true|false] [--grace DURATION]\n\nSets the tenant's routing options given, keeps the others, and prints them all; with no option, only prints them.")
	capacity := fs.Int("default-capacity", 0, "conversations an agent without a capacity of its own may hold at once, 0 to 1000")
	requeue := fs.Bool("requeue-on-offline", false, "give an agent's open conversations back to the queue when it goes offline (after the grace period)")
	grace := fs.String("grace", "", "how long an agent may be offline before its conversations go back to the queue, e.g. 60s or 2m (0 to 24h, whole seconds)")
	if code, ok := parseRoutingFlags(e, fs, args, map[string]*string{"--tenant": slug}); !ok {
		return code
	}
	graceGiven := flagGiven(fs, "grace")
	graceSeconds, ok := parseGrace(strings.TrimSpace(*grace))
	if graceGiven && !ok {
		fmt.Fprintf(e.stderr, "switchboard %s: --grace: %q is not a whole number of seconds (e.g. 60s, 2m or 90)\n", cmd, *grace)
		return exitUsage
	}
	change := flagGiven(fs, "default-capacity") || flagGiven(fs, "requeue-on-offline") || graceGiven
	return withTenant(e, cmd, *slug, func(d *deps, t domain.Tenant) int {
		st, err := d.store.TenantRoutingSettings(e.ctx, t.ID)
		if err != nil {
			fmt.Fprintf(e.stderr, "switchboard %s: %v\n", cmd, err)
			return exitError
		}
		if change {
			if flagGiven(fs, "default-capacity") {
				st.DefaultCapacity = *capacity
			}
			if flagGiven(fs, "requeue-on-offline") {
				st.RequeueOnOffline = *requeue
			}
			if !graceGiven {
				graceSeconds = int(st.RequeueGrace / time.Second)
			}
			err := d.store.SetRoutingSettings(e.ctx, t.ID, cliActor, st.DefaultCapacity, st.RequeueOnOffline, graceSeconds)
			if code := reportRoutingError(e, cmd, err, map[string]string{"default_capacity": "--default-capacity", "grace": "--grace"}); code != exitOK {
				return code
			}
			if st, err = d.store.TenantRoutingSettings(e.ctx, t.ID); err != nil {
				fmt.Fprintf(e.stderr, "switchboard %s: %v\n", cmd, err)
				return exitError
			}
		}
		tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintf(tw, "default-capacity\t%d\n", st.DefaultCapacity)
		fmt.Fprintf(tw, "requeue-on-offline\t%t\n", st.RequeueOnOffline)
		fmt.Fprintf(tw, "grace\t%ds\n", int(st.RequeueGrace/time.Second))
		if err := tw.Flush(); err != nil {
			return exitError
		}
		return exitOK
	})
}

// parseGrace reads a grace period as a number of seconds or a duration of
// whole seconds (60s, 2m); the store checks its range.
func parseGrace(s string) (int, bool) {
	if n, err := strconv.Atoi(s); err == nil {
		return n, true
	}
	d, err := time.ParseDuration(s)
	if err != nil || d%time.Second != 0 {
		return 0, false
	}
	return int(d / time.Second), true
}

func runContact(e env, args []string) int {
	return runActions(e, "contact", contactUsage, args, []subAction{{"priority", contactPriority}, {"field", contactField}})
}

func contactPriority(e env, args []string) int {
	const cmd = "contact priority"
	fs, slug := routingFlags(e, cmd, "Usage: switchboard contact priority --tenant SLUG --phone PHONE --priority N\n\nSets a contact's priority in the queue: larger goes first (0 by default, negative pushes back). Conversations already waiting move at once.")
	phone := fs.String("phone", "", "the contact's WhatsApp number, e.g. +39 333 111 2222 (required)")
	priority := fs.Int("priority", 0, "-1000 to 1000, larger first (required)")
	if code, ok := parseRoutingFlags(e, fs, args, map[string]*string{"--tenant": slug, "--phone": phone}); !ok {
		return code
	}
	if !flagGiven(fs, "priority") {
		fmt.Fprintf(e.stderr, "switchboard %s: --priority is required\n", cmd)
		return exitUsage
	}
	waID := domain.Digits(*phone)
	if waID == "" {
		fmt.Fprintf(e.stderr, "switchboard %s: --phone: %q has no digits\n", cmd, *phone)
		return exitUsage
	}
	return withTenant(e, cmd, *slug, func(d *deps, t domain.Tenant) int {
		contacts, err := d.store.ListContacts(e.ctx, t.ID, waID, storage.Page{Limit: 1})
		if err != nil {
			fmt.Fprintf(e.stderr, "switchboard %s: %v\n", cmd, err)
			return exitError
		}
		if len(contacts) == 0 {
			fmt.Fprintf(e.stderr, "switchboard %s: --phone: no contact +%s in tenant %s (a contact exists once they have written)\n", cmd, waID, t.Slug)
			return exitUsage
		}
		err = d.store.SetContactPriority(e.ctx, t.ID, cliActor, contacts[0].ID, *priority)
		if code := reportRoutingError(e, cmd, err, map[string]string{"contact": "--phone", "priority": "--priority"}); code != exitOK {
			return code
		}
		fmt.Fprintf(e.stdout, "+%s: priority %d\n", waID, *priority)
		return exitOK
	})
}
