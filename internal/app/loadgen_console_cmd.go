package app

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"

	"switchboard/internal/loadgen"
)

const loadgenConsoleUsage = `Usage: switchboard loadgen console [--url BASE_URL] [--phases memory,latency]
         [--steps 1000,5000,10000] --server-pid PID [--echo-url URL --echo-pid PID] [--settle 5s]
         [--agents 1000] [--conversations-per-agent 3] [--rate 500] [--duration 20s]
         [--concurrency 32] [--timeout 30s] [--keep] [--json FILE]

The agent console's realtime benchmark against a running ` + "`switchboard serve`" + ` whose
database is DATABASE_URL and whose SECRET_KEY and META_APP_SECRET are this
command's too (the generator makes agents and their sessions in the database,
carries the CSRF token their pages would carry, and signs webhooks).
  memory   makes max(--steps) agents with sessions; for each step opens
           sockets as console.js does (ticket, /agent/ws from serve's origin,
           hello, "ready") and reads serve's RSS (/proc/PID) and Go heap and
           stacks (/metrics) once --settle has passed; then does the same
           with the bare echo server (` + "`switchboard loadgen echo-server`" + `).
  latency  --agents agents holding --conversations-per-agent conversations
           each, one socket each; signed text webhooks from those customers at
           --rate for --duration to /webhooks/whatsapp; each is timed from its
           intended send time to the "message" event on its agent's socket.
The tenants are named loadgen-console-<run>-<phase> and deleted at the end
(--keep: left suspended). deploy/bench/console.sh runs it all.

       switchboard loadgen echo-server [--addr 127.0.0.1:0]

A bare gorilla/websocket echo server (/ws), with its Go runtime's figures at
/mem: the memory phase's baseline. Prints "listening ADDR", runs until stopped.`

// runLoadgenConsole is `switchboard loadgen console`.
func runLoadgenConsole(e env, args []string) int {
	const cmd = "switchboard loadgen console"
	def := loadgen.DefaultConsoleConfig()
	fs := flag.NewFlagSet("loadgen console", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	target := fs.String("url", "", "serve's base URL, its BASE_URL (default: BASE_URL)")
	phases := fs.String("phases", strings.Join(def.Phases, ","), "the phases to run, comma-separated: memory, latency")
	steps := fs.String("steps", "1000,5000,10000", "memory: connections open at each reading, ascending")
	serverPID := fs.Int("server-pid", 0, "memory: serve's process id (its RSS is read from /proc)")
	echoURL := fs.String("echo-url", "", "memory: the echo server's base URL, e.g. http://127.0.0.1:9999 (none: no baseline)")
	echoPID := fs.Int("echo-pid", 0, "memory: the echo server's process id")
	settle := fs.Duration("settle", def.Settle, "memory: wait after each step before reading")
	agents := fs.Int("agents", def.Agents, "latency: agents connected, one socket each")
	perAgent := fs.Int("conversations-per-agent", def.ConversationsPerAgent, "latency: conversations each agent holds")
	rate := fs.Float64("rate", def.Rate, "latency: webhooks per second")
	duration := fs.Duration("duration", def.Duration, "latency: how long webhooks are sent")
	concurrency := fs.Int("concurrency", def.Concurrency, "sockets being opened, or webhooks in flight, at once")
	timeout := fs.Duration("timeout", def.Timeout, "one request's time limit, and the wait for the last events")
	keep := fs.Bool("keep", false, "leave the benchmark tenants, suspended, instead of deleting them")
	jsonOut := fs.String("json", "", "also write the result as JSON to this file (- for standard output)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(e.stderr, loadgenConsoleUsage)
			fmt.Fprintln(e.stderr)
			fs.SetOutput(e.stderr)
			fs.PrintDefaults()
			return exitOK
		}
		fmt.Fprintf(e.stderr, "%s: %v (see --help)\n", cmd, err)
		return exitUsage
	}
	bad := func(format string, a ...any) int {
		fmt.Fprintf(e.stderr, cmd+": "+format+"\n", a...)
		return exitUsage
	}
	if fs.NArg() > 0 {
		return bad("unexpected argument %q", fs.Arg(0))
	}
	cfg, ok := loadConfig(e)
	if !ok {
		return exitUsage
	}
	c := def
	c.URL = strings.TrimSuffix(*target, "/")
	if c.URL == "" {
		c.URL = cfg.BaseURL.Scheme + "://" + cfg.BaseURL.Host
	}
	c.Phases = splitList(*phases)
	c.Steps = nil
	for _, s := range splitList(*steps) {
		n, err := strconv.Atoi(s)
		if err != nil {
			return bad("--steps: %q is not a number of connections", s)
		}
		c.Steps = append(c.Steps, n)
	}
	c.ServerPID, c.EchoURL, c.EchoPID, c.Settle = *serverPID, strings.TrimSuffix(*echoURL, "/"), *echoPID, *settle
	c.Agents, c.ConversationsPerAgent, c.Rate, c.Duration = *agents, *perAgent, *rate, *duration
	c.Concurrency, c.Timeout, c.Keep = *concurrency, *timeout, *keep
	c.Secret, c.AppSecret = cfg.SecretKey, cfg.MetaAppSecret
	if err := c.Validate(); err != nil {
		return bad("%v", err)
	}
	var jsonFile *os.File
	if *jsonOut != "" && *jsonOut != "-" {
		f, err := os.Create(*jsonOut)
		if err != nil {
			return bad("--json: %v", err)
		}
		jsonFile = f
		defer f.Close()
	}
	return withDB(e, "loadgen console", func(d *deps) int {
		summary := e.stdout
		if *jsonOut == "-" {
			summary = e.stderr
		}
		res, runErr := loadgen.Console(e.ctx, c, d.store, e.stderr)
		code := exitOK
		if runErr != nil {
			fmt.Fprintf(e.stderr, "%s: %v\n", cmd, runErr)
			code = exitError
		}
		res.WriteSummary(summary)
		var err error
		switch {
		case *jsonOut == "-":
			err = res.WriteJSON(e.stdout)
		case jsonFile != nil:
			err = errors.Join(res.WriteJSON(jsonFile), jsonFile.Close())
		}
		if err != nil {
			fmt.Fprintf(e.stderr, "%s: --json: %v\n", cmd, err)
			code = exitError
		}
		return code
	})
}

// runLoadgenEchoServer is `switchboard loadgen echo-server`.
func runLoadgenEchoServer(e env, args []string) int {
	const cmd = "switchboard loadgen echo-server"
	fs := flag.NewFlagSet("loadgen echo-server", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	addr := fs.String("addr", "127.0.0.1:0", "where to listen")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(e.stderr, loadgenConsoleUsage)
			return exitOK
		}
		fmt.Fprintf(e.stderr, "%s: %v (see --help)\n", cmd, err)
		return exitUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(e.stderr, "%s: unexpected argument %q\n", cmd, fs.Arg(0))
		return exitUsage
	}
	if _, _, err := net.SplitHostPort(*addr); err != nil {
		fmt.Fprintf(e.stderr, "%s: --addr must be host:port, e.g. 127.0.0.1:0\n", cmd)
		return exitUsage
	}
	err := loadgen.RunEchoServer(e.ctx, *addr, func(a string) { fmt.Fprintf(e.stdout, "listening %s\n", a) })
	if err != nil {
		fmt.Fprintf(e.stderr, "%s: %v\n", cmd, err)
		return exitError
	}
	return exitOK
}
