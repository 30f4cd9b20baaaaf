// Package app is the program: it parses the command line, reads the
// configuration through the getenv it is given, and runs one subcommand.
// Nothing here is global, so tests run the program exactly as a user does.
package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"switchboard/internal/config"
)

// version is set at build time with -ldflags "-X switchboard/internal/app.version=…".
var version = "dev"

// Exit statuses.
const (
	exitOK    = 0
	exitError = 1 // the command failed
	exitUsage = 2 // bad arguments or configuration
)

// env is what every subcommand receives.
type env struct {
	ctx    context.Context
	getenv func(string) string
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
}

type command struct {
	name, summary string
	run           func(e env, args []string) int
}

func commands() []command {
	return []command{
		{"serve", "run the web server on HTTP_ADDR", runServe},
		{"migrate", "apply or roll back database migrations (up | down N | version)", runMigrate},
		{"tenant", "manage tenants (create, stop-words, routing)", runTenant},
		{"user", "manage a tenant's users (create)", runUser},
		{"operator", "manage platform operators (create)", runOperator},
		{"demo", "load demo data (seed)", runDemo},
		{"number", "connect a tenant's WhatsApp number (add)", runNumber},
		{"apikey", "issue a tenant's REST API key (create)", runAPIKey},
		{"webhooks", "replay failed webhook events (replay)", runWebhooks},
		{"loadgen", "generate load against a running server (webhooks)", runLoadgen},
		{"fakemeta", "serve a fake of Meta's WhatsApp Cloud API on its own", runFakemeta},
		{"routing", "simulate the routing rule on a scenario file (simulate FILE)", runRouting},
		{"skillset", "configure a tenant's skillsets, their agents and numbers (create, list, member, link, …)", runSkillset},
		{"agent", "set an agent's capacity, list agents (capacity, list)", runAgent},
		{"contact", "set a contact's priority in the queue, define custom contact fields (priority, field)", runContact},
		{"version", "print the version", func(e env, _ []string) int { fmt.Fprintln(e.stdout, "switchboard", version); return exitOK }},
	}
}

// Run runs the program with args (args[0] is the program's name) and returns
// the exit status.
func Run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) int {
	e := env{ctx: ctx, getenv: getenv, stdin: stdin, stdout: stdout, stderr: stderr}
	if len(args) < 2 {
		usage(stderr)
		return exitUsage
	}
	name := args[1]
	if name == "help" || name == "-h" || name == "--help" {
		usage(stdout)
		return exitOK
	}
	for _, c := range commands() {
		if c.name == name {
			return c.run(e, args[2:])
		}
	}
	fmt.Fprintf(stderr, "switchboard: unknown command %q\n", name)
	usage(stderr)
	return exitUsage
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "Usage: switchboard <command> [arguments]")
	fmt.Fprintln(w, "\nCommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-10s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nRun `switchboard <command> --help` for a command's arguments.")
	fmt.Fprintln(w, "Configuration comes from the environment; see README.md.")
}

// loadConfig reads the configuration, printing one line naming the variable
// when it is wrong.
func loadConfig(e env) (config.Config, bool) {
	cfg, err := config.Load(e.getenv)
	if err != nil {
		var ce *config.Error
		if errors.As(err, &ce) {
			fmt.Fprintf(e.stderr, "switchboard: configuration: %s\n", ce.Error())
		} else {
			fmt.Fprintf(e.stderr, "switchboard: configuration: %v\n", err)
		}
		return cfg, false
	}
	return cfg, true
}

// readPassword reads one line from stdin: passwords never appear on the
// command line, where other users and shell history would see them.
func readPassword(r io.Reader) (string, error) {
	var b strings.Builder
	buf := make([]byte, 1)
	for b.Len() <= 4096 {
		n, err := r.Read(buf)
		if n == 1 {
			if buf[0] == '\n' {
				break
			}
			b.WriteByte(buf[0])
		}
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return "", err
		}
	}
	p := strings.TrimSuffix(b.String(), "\r")
	if p == "" {
		return "", errors.New("no password on standard input (pipe it in, e.g. `echo \"$PASSWORD\" | switchboard …`)")
	}
	return p, nil
}
