package app

import (
	"errors"
	"flag"
	"fmt"
	"strconv"
	"strings"
	"time"

	"switchboard/internal/apikey"
	"switchboard/internal/domain"
	"switchboard/internal/number"
	"switchboard/internal/storage"
)

// tenantBySlug resolves --tenant, printing the error itself.
func tenantBySlug(e env, d *deps, cmd, slug string) (domain.Tenant, int) {
	t, err := d.store.TenantBySlug(e.ctx, strings.ToLower(slug))
	if errors.Is(err, storage.ErrNotFound) {
		fmt.Fprintf(e.stderr, "switchboard %s: --tenant: no tenant with slug %q\n", cmd, slug)
		return t, exitUsage
	} else if err != nil {
		fmt.Fprintf(e.stderr, "switchboard %s: %v\n", cmd, err)
		return t, exitError
	}
	return t, exitOK
}

// withDB loads the configuration and opens the database for a command.
func withDB(e env, cmd string, fn func(d *deps) int) int {
	cfg, ok := loadConfig(e)
	if !ok {
		return exitUsage
	}
	d, err := openDB(e.ctx, cfg)
	if err != nil {
		fmt.Fprintf(e.stderr, "switchboard %s: %v\n", cmd, err)
		return exitError
	}
	defer d.close()
	return fn(d)
}

func runNumber(e env, args []string) int {
	fs := flag.NewFlagSet("number add", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	slug := fs.String("tenant", "", "the tenant's slug (required)")
	pnid := fs.String("phone-number-id", "", "Meta's phone number id (required unless --sandbox)")
	display := fs.String("display-phone", "", "the number as people dial it, e.g. +39 02 1234 5678 (required unless --sandbox)")
	waba := fs.String("waba-id", "", "the WhatsApp Business Account id (required unless --sandbox)")
	app := fs.String("app", "", "the registered Meta app the number belongs to (default: the platform's own)")
	sandbox := fs.Bool("sandbox", false, "a sandbox number, served by our fake of Meta (ids and token are made up when omitted)")
	throughput := fs.Int("throughput", 80, "messages per second Meta allows this number")
	fs.Usage = func() {
		fmt.Fprintln(e.stderr, "Usage: echo \"$ACCESS_TOKEN\" | switchboard number add --tenant SLUG --phone-number-id ID --display-phone NUMBER --waba-id ID [--app APP] [--sandbox]\n\nConnects a WhatsApp number to a tenant; the access token is read from standard input (for --sandbox an empty input makes one up). Prints the number's id.")
		fs.PrintDefaults()
	}
	if !subcommand(e, fs, args, "add") {
		return exitUsage
	}
	if err := fs.Parse(args[1:]); err != nil {
		return flagStatus(err)
	}
	if *slug == "" {
		fmt.Fprintln(e.stderr, "switchboard number add: --tenant is required")
		return exitUsage
	}
	if !*sandbox {
		if missing := missingFlags(map[string]string{"--phone-number-id": *pnid, "--display-phone": *display, "--waba-id": *waba}); missing != "" {
			fmt.Fprintf(e.stderr, "switchboard number add: %s is required\n", missing)
			return exitUsage
		}
	}
	token, err := readPassword(e.stdin)
	if err != nil && !*sandbox {
		fmt.Fprintln(e.stderr, "switchboard number add: no access token on standard input (pipe it in)")
		return exitUsage
	}
	return withDB(e, "number add", func(d *deps) int {
		t, code := tenantBySlug(e, d, "number add", *slug)
		if code != exitOK {
			return code
		}
		n, err := d.numbers.Add(e.ctx, cliActor, number.AddInput{TenantID: t.ID, PhoneNumberID: *pnid, DisplayPhone: *display,
			WABAID: *waba, AppSlug: *app, AccessToken: token, Sandbox: *sandbox, Throughput: *throughput})
		if code := reportFieldError(e, "number add", err, map[string]string{"phone_number_id": "--phone-number-id",
			"display_phone": "--display-phone", "waba_id": "--waba-id", "app": "--app", "access_token": "access token",
			"throughput": "--throughput"}); code != exitOK {
			return code
		}
		fmt.Fprintln(e.stdout, n.ID)
		return exitOK
	})
}

func runAPIKey(e env, args []string) int {
	fs := flag.NewFlagSet("apikey create", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	slug := fs.String("tenant", "", "the tenant's slug (required)")
	name := fs.String("name", "", "what the key is for, e.g. crm (required)")
	fs.Usage = func() {
		fmt.Fprintln(e.stderr, "Usage: switchboard apikey create --tenant SLUG --name NAME\n\nIssues a REST API key for a tenant and prints it once: it cannot be shown again.")
		fs.PrintDefaults()
	}
	if !subcommand(e, fs, args, "create") {
		return exitUsage
	}
	if err := fs.Parse(args[1:]); err != nil {
		return flagStatus(err)
	}
	if missing := missingFlags(map[string]string{"--tenant": *slug, "--name": *name}); missing != "" {
		fmt.Fprintf(e.stderr, "switchboard apikey create: %s is required\n", missing)
		return exitUsage
	}
	return withDB(e, "apikey create", func(d *deps) int {
		t, code := tenantBySlug(e, d, "apikey create", *slug)
		if code != exitOK {
			return code
		}
		key, err := apikey.NewService(d.store).Create(e.ctx, cliActor, t.ID, *name)
		if code := reportFieldError(e, "apikey create", err, map[string]string{"name": "--name"}); code != exitOK {
			return code
		}
		fmt.Fprintln(e.stdout, key)
		return exitOK
	})
}

func runWebhooks(e env, args []string) int {
	fs := flag.NewFlagSet("webhooks replay", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	since := fs.String("since", "", "replay every failed event received since this time (RFC 3339, e.g. 2026-11-26T08:00:00Z, or a duration such as 2h)")
	id := fs.Int64("id", 0, "replay one failed event")
	fs.Usage = func() {
		fmt.Fprintln(e.stderr, "Usage: switchboard webhooks replay --since TIME | --id ID\n\nPuts failed webhook events back in the queue, after a fix (a number connected, a parser corrected). Processing is idempotent: nothing already applied is applied twice.")
		fs.PrintDefaults()
	}
	if !subcommand(e, fs, args, "replay") {
		return exitUsage
	}
	if err := fs.Parse(args[1:]); err != nil {
		return flagStatus(err)
	}
	var from time.Time
	switch {
	case (*since == "") == (*id == 0):
		fmt.Fprintln(e.stderr, "switchboard webhooks replay: give exactly one of --since or --id")
		return exitUsage
	case *id < 0:
		fmt.Fprintln(e.stderr, "switchboard webhooks replay: --id must be a positive number")
		return exitUsage
	case *since != "":
		if d, err := time.ParseDuration(*since); err == nil && d > 0 {
			from = time.Now().Add(-d)
		} else if t, err := time.Parse(time.RFC3339, *since); err == nil {
			from = t
		} else {
			fmt.Fprintf(e.stderr, "switchboard webhooks replay: --since: %q is neither an RFC 3339 time nor a duration\n", *since)
			return exitUsage
		}
	}
	return withDB(e, "webhooks replay", func(d *deps) int {
		n, err := d.store.ReplayWebhookEvents(e.ctx, cliActor, *id, from)
		if err != nil {
			fmt.Fprintln(e.stderr, "switchboard webhooks replay:", err)
			return exitError
		}
		fmt.Fprintln(e.stdout, strconv.FormatInt(n, 10)+" events queued again")
		return exitOK
	})
}
