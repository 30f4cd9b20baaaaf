package app

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"switchboard/internal/router"
)

const routingUsage = `Usage: switchboard routing simulate FILE

Runs the conversation distribution rule on a scenario and prints what
happens, one JSON object per line: assigned (with the deciding step and the
reason), queued, requeued, transferred. It is the router's own decision code;
no database or server is needed. FILE - reads standard input.

A scenario is one JSON object with "numbers" (id, skillsets: skillset,
priority), "skillsets" (id, members: agent, priority), "agents" (id, capacity,
last_assigned_at), "contacts" (id, priority), "options" (requeue_on_offline)
and "events" (at, type, and per type: agent, conversation, number, contact,
skillset, capacity). Event types: agent_available, agent_away, agent_offline,
conversation_arrives, conversation_closed, transfer_to_skillset,
transfer_to_agent, set_capacity.`

// runRouting is "switchboard routing simulate FILE". A mistake in the file is
// a usage error (exit 2) reported on one line with the file's line number.
func runRouting(e env, args []string) int {
	const cmd = "switchboard routing simulate"
	if len(args) == 0 || args[0] != "simulate" {
		if len(args) > 0 && (args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
			fmt.Fprintln(e.stderr, routingUsage)
			return exitOK
		}
		if len(args) > 0 {
			fmt.Fprintf(e.stderr, "switchboard routing: unknown subcommand %q (expected: simulate)\n", args[0])
		} else {
			fmt.Fprintln(e.stderr, routingUsage)
		}
		return exitUsage
	}
	fs := flag.NewFlagSet("routing simulate", flag.ContinueOnError)
	fs.SetOutput(io.Discard) // parse errors are printed as one line below
	if err := fs.Parse(args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(e.stderr, routingUsage)
			return exitOK
		}
		fmt.Fprintf(e.stderr, "%s: %v (see --help)\n", cmd, err)
		return exitUsage
	}
	if fs.NArg() != 1 {
		fmt.Fprintf(e.stderr, "%s: expected one scenario FILE (or - for standard input), got %d arguments (see --help)\n", cmd, fs.NArg())
		return exitUsage
	}
	name := fs.Arg(0)
	var data []byte
	var err error
	if name == "-" {
		data, err = io.ReadAll(e.stdin)
		name = "stdin"
	} else {
		data, err = os.ReadFile(name)
	}
	if err != nil {
		fmt.Fprintf(e.stderr, "%s: %v\n", cmd, err)
		return exitUsage
	}
	// From here on the only failure that is not the file's is writing the output.
	if err := router.Simulate(bytes.NewReader(data), e.stdout); err != nil {
		var se *router.ScenarioError
		if errors.As(err, &se) {
			fmt.Fprintf(e.stderr, "%s: %s:%d: %s\n", cmd, name, se.Line, se.Msg)
			return exitUsage
		}
		fmt.Fprintf(e.stderr, "%s: %s: %v\n", cmd, name, err)
		return exitError
	}
	return exitOK
}
