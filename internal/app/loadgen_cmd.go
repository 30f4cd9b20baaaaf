package app

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"net/url"
	"os"
	"slices"
	"strings"

	"switchboard/internal/httpx"
	"switchboard/internal/loadgen"
)

const loadgenUsage = `Usage: switchboard loadgen webhooks --url URL [--rate N] [--duration D] [--concurrency C]
         [--phone-number-id ID,...] [--waba-id ID] [--display-phone NUMBER,...]
         [--duplicates 0.05] [--statuses 3] [--bad-signatures 0] [--seed N] [--timeout 10s]
         [--json FILE] [--acked-out FILE]

Sends Meta-shaped webhooks (text, image, location, reaction, button and list
replies, and sent/delivered/read statuses), signed with META_APP_SECRET, at a
constant rate. Latency is measured from each POST's intended send time, so a
stalling server cannot hide behind a slowed-down generator. Prints the
answers by status, the accepted rate and p50/p90/p99/p99.9/max latency.

       switchboard loadgen outbound [--messages 20000] [--rate 1000] [--recipients 1000]
         [--fake-addr 127.0.0.1:0] [--fake-limit N] [--timeout D] [--json FILE]

Benchmark B8, outbound pacing: creates a tenant and a sandbox number with
throughput --rate in the database at DATABASE_URL, starts a fake of Meta on
its own port that answers 130429 to any send over --fake-limit (default:
--rate) in a sliding second, queues --messages text messages, and runs the
real sender until every one is settled. Measured at the fake: the achieved
rate against the limit, the fullest one-second window, 130429 answers,
duplicates and failures. Use a database no ` + "`switchboard serve`" + ` is working on.

       switchboard loadgen routing [--phases drain,stream,latency] [--conversations 20000]
         [--stream-conversations N] [--writers 4] [--agents 100] [--capacity 1000]
         [--rate 500] [--duration 20s] [--concurrency 8] [--timeout 2m] [--vacuum-every D]
         [--keep] [--json FILE]

Issue 5 / B3, the router live: runs the routing dispatcher in this process
(per-tenant lease, NOTIFY wake-ups, presence in Redis, events published on
Redis) against DATABASE_URL and REDIS_URL, with one tenant per phase
(--agents agents of --capacity in one skillset serving one number, named
loadgen-routing-<run>-<phase>; deleted at the end, or left suspended with
--keep or when deleting takes over 30 s).
  drain    queues --conversations while no agent is available, makes every
           agent available and times until all are persisted as assigned;
  stream   writes --stream-conversations arrivals (one transaction each, as
           the webhook processor opens a conversation) from --writers
           goroutines as fast as they go, agents available;
  latency  writes arrivals at --rate for --duration and times each from its
           commit to its 'assigned' event received on the tenant's Redis
           channel (p50/p95/p99/max).
The database must have no other active tenant (the dispatcher would route
them too): deploy/bench/routing.sh makes a scratch one. On a server without
autovacuum the tables get VACUUM (ANALYZE) every 3 s in its place (--vacuum-every).

       switchboard loadgen console … | echo-server …

The agent console's realtime benchmark (sockets' memory beside a bare
gorilla echo server; webhook-to-socket latency): ` + "`switchboard loadgen console --help`" + `.`

func runLoadgen(e env, args []string) int {
	if len(args) > 0 && args[0] == "outbound" {
		return runLoadgenOutbound(e, args[1:])
	}
	if len(args) > 0 && args[0] == "routing" {
		return runLoadgenRouting(e, args[1:])
	}
	if len(args) > 0 && args[0] == "console" {
		return runLoadgenConsole(e, args[1:])
	}
	if len(args) > 0 && args[0] == "echo-server" {
		return runLoadgenEchoServer(e, args[1:])
	}
	if len(args) == 0 || args[0] != "webhooks" {
		if len(args) > 0 && (args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
			fmt.Fprintln(e.stderr, loadgenUsage)
			return exitOK
		}
		if len(args) > 0 {
			fmt.Fprintf(e.stderr, "switchboard loadgen: unknown target %q (expected: webhooks, outbound, routing, console or echo-server)\n", args[0])
		} else {
			fmt.Fprintln(e.stderr, loadgenUsage)
		}
		return exitUsage
	}
	const cmd = "switchboard loadgen webhooks"
	def := loadgen.DefaultWebhookConfig()
	fs := flag.NewFlagSet("loadgen webhooks", flag.ContinueOnError)
	// Parse errors are printed as one line below, not with the whole usage.
	fs.SetOutput(io.Discard)
	target := fs.String("url", "", "the webhook endpoint, e.g. http://127.0.0.1:8080/webhooks/whatsapp (required)")
	rate := fs.Float64("rate", def.Rate, "POSTs per second, kept constant")
	duration := fs.Duration("duration", def.Duration, "how long to send for")
	concurrency := fs.Int("concurrency", def.Concurrency, "most POSTs in flight at once")
	pnids := fs.String("phone-number-id", def.Targets[0].PhoneNumberID, "the business numbers' phone number ids, comma-separated")
	waba := fs.String("waba-id", def.Targets[0].WABAID, "the WhatsApp Business Account id of those numbers")
	displays := fs.String("display-phone", "", "the numbers as dialled, comma-separated, one per --phone-number-id (default: made up from the id)")
	dups := fs.Float64("duplicates", def.DuplicateRatio, "share of POSTs that re-send an earlier body byte for byte, like Meta's retries")
	statuses := fs.Float64("statuses", def.StatusRatio, "status POSTs per message POST")
	badSigs := fs.Float64("bad-signatures", 0, "share of POSTs signed with a wrong secret (the server must answer 401)")
	seed := fs.Uint64("seed", def.Seed, "seed of the payload mix (default: from the clock)")
	timeout := fs.Duration("timeout", def.Timeout, "time limit of one POST")
	jsonOut := fs.String("json", "", "also write the summary as JSON to this file (- for standard output)")
	ackedOut := fs.String("acked-out", "", "write the wamids of the messages answered 200 to this file, one a line")
	usage := func() {
		fmt.Fprintln(e.stderr, loadgenUsage)
		fmt.Fprintln(e.stderr)
		fs.SetOutput(e.stderr)
		fs.PrintDefaults()
		fs.SetOutput(io.Discard)
	}
	if err := fs.Parse(args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			usage()
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
	if *target == "" {
		return bad("--url is required, e.g. --url http://127.0.0.1:8080/webhooks/whatsapp")
	}
	if u, err := url.Parse(*target); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return bad("--url: %q is not an http(s) URL with a host", *target)
	}
	switch {
	case !(*rate > 0) || *rate > 1e6:
		return bad("--rate must be a number of POSTs per second above 0 and at most 1000000, not %v", *rate)
	case *duration <= 0:
		return bad("--duration must be positive, e.g. 10s")
	case *rate*duration.Seconds() < 1:
		return bad("--rate × --duration is less than one POST")
	case *rate*duration.Seconds() > 1e8:
		return bad("--rate × --duration is more than 100 million POSTs")
	case *concurrency < 1 || *concurrency > 100000:
		return bad("--concurrency must be between 1 and 100000, not %d", *concurrency)
	case !(*dups >= 0 && *dups < 1):
		return bad("--duplicates must be a share from 0 to below 1, e.g. 0.05, not %v", *dups)
	case !(*badSigs >= 0 && *badSigs < 1):
		return bad("--bad-signatures must be a share from 0 to below 1, e.g. 0.01, not %v", *badSigs)
	case !(*statuses >= 0) || math.IsInf(*statuses, 0) || *statuses > 1000:
		return bad("--statuses must be a ratio from 0 to 1000, e.g. 3 for three statuses per message, not %v", *statuses)
	case *timeout <= 0:
		return bad("--timeout must be positive, e.g. 10s")
	case !metaID(*waba):
		return bad("--waba-id: %q is not a Meta id (digits)", *waba)
	}
	ids := splitList(*pnids)
	if len(ids) == 0 {
		return bad("--phone-number-id needs at least one id")
	}
	shown := splitList(*displays)
	if len(shown) > 0 && len(shown) != len(ids) {
		return bad("--display-phone has %d numbers for %d --phone-number-id", len(shown), len(ids))
	}
	cfg := def
	cfg.Targets = nil
	for i, id := range ids {
		if !metaID(id) {
			return bad("--phone-number-id: %q is not a Meta id (digits)", id)
		}
		t := loadgen.Target{PhoneNumberID: id, WABAID: *waba, DisplayPhone: "+1 555 " + id[max(0, len(id)-7):]}
		if len(shown) > 0 {
			t.DisplayPhone = shown[i]
		}
		cfg.Targets = append(cfg.Targets, t)
	}
	cfg.AppSecret = e.getenv("META_APP_SECRET")
	if cfg.AppSecret == "" {
		return bad("META_APP_SECRET is not set: export the app secret the server checks signatures with")
	}
	cfg.URL, cfg.Rate, cfg.Duration, cfg.Concurrency = *target, *rate, *duration, *concurrency
	cfg.DuplicateRatio, cfg.StatusRatio, cfg.BadSignatureRatio = *dups, *statuses, *badSigs
	cfg.Seed, cfg.Timeout = *seed, *timeout
	// Open the output files first: a typo in a path should not cost a run.
	var jsonFile, ackedFile io.WriteCloser
	var err error
	if *jsonOut != "" && *jsonOut != "-" {
		if jsonFile, err = os.Create(*jsonOut); err != nil {
			return bad("--json: %v", err)
		}
		defer jsonFile.Close()
	}
	if *ackedOut != "" {
		if ackedFile, err = os.Create(*ackedOut); err != nil {
			return bad("--acked-out: %v", err)
		}
		defer ackedFile.Close()
	}

	// With the JSON on standard output, the summary lines move to stderr.
	summary := e.stdout
	if *jsonOut == "-" {
		summary = e.stderr
	}
	res, runErr := loadgen.Webhooks(e.ctx, cfg, summary)
	code := exitOK
	if runErr != nil {
		fmt.Fprintf(e.stderr, "%s: stopped early: %v\n", cmd, runErr)
		code = exitError
	}
	if len(res.Codes) == 0 && res.Failed() > 0 {
		fmt.Fprintf(e.stderr, "%s: no POST was answered by %s (is the server running?)\n", cmd, cfg.URL)
		code = exitError
	}
	if *jsonOut == "-" {
		err = res.WriteJSON(e.stdout)
	} else if jsonFile != nil {
		err = res.WriteJSON(jsonFile)
		err = errors.Join(err, jsonFile.Close())
	}
	if err != nil {
		fmt.Fprintf(e.stderr, "%s: --json: %v\n", cmd, err)
		code = exitError
	}
	if ackedFile != nil {
		w := bufio.NewWriter(ackedFile)
		for _, id := range res.AckedWAMIDs {
			w.WriteString(id)
			w.WriteByte('\n')
		}
		if err := errors.Join(w.Flush(), ackedFile.Close()); err != nil {
			fmt.Fprintf(e.stderr, "%s: --acked-out: %v\n", cmd, err)
			code = exitError
		}
	}
	return code
}

// splitList splits a comma-separated flag, dropping blanks.
func splitList(s string) []string {
	var out []string
	for _, part := range strings.Split(s, ",") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	return out
}

// metaID reports whether s looks like one of Meta's ids (digits only).
func metaID(s string) bool {
	if s == "" || len(s) > 30 {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// runLoadgenOutbound is `switchboard loadgen outbound`: the pacing
// benchmark (B8) against the database at DATABASE_URL.
func runLoadgenOutbound(e env, args []string) int {
	const cmd = "switchboard loadgen outbound"
	fs := flag.NewFlagSet("loadgen outbound", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	messages := fs.Int("messages", 20000, "text messages to queue before sending starts")
	rate := fs.Int("rate", 1000, "the number's throughput, messages per second (1 to 1000): the limit paced at")
	recipients := fs.Int("recipients", loadgen.DefaultOutboundRecipients, "distinct customers, round robin (at most --messages)")
	fakeAddr := fs.String("fake-addr", "127.0.0.1:0", "where the fake of Meta listens")
	fakeLimit := fs.Int("fake-limit", 0, "the fake's messages per second per number (default: --rate)")
	timeout := fs.Duration("timeout", 0, "give up sending after this long (default: 10 × messages/rate + 1m)")
	jsonOut := fs.String("json", "", "also write the result as JSON to this file (- for standard output)")
	usage := func() {
		fmt.Fprintln(e.stderr, loadgenUsage)
		fmt.Fprintln(e.stderr)
		fs.SetOutput(e.stderr)
		fs.PrintDefaults()
		fs.SetOutput(io.Discard)
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			usage()
			return exitOK
		}
		fmt.Fprintf(e.stderr, "%s: %v (see --help)\n", cmd, err)
		return exitUsage
	}
	bad := func(format string, a ...any) int {
		fmt.Fprintf(e.stderr, cmd+": "+format+"\n", a...)
		return exitUsage
	}
	switch {
	case fs.NArg() > 0:
		return bad("unexpected argument %q", fs.Arg(0))
	case *messages < 1 || *messages > 10_000_000:
		return bad("--messages must be from 1 to 10000000, not %d", *messages)
	case *rate < 1 || *rate > 1000:
		return bad("--rate must be a number's throughput from 1 to 1000 messages/s, not %d", *rate)
	case *recipients < 1:
		return bad("--recipients must be at least 1, not %d", *recipients)
	case *fakeLimit < 0:
		return bad("--fake-limit cannot be negative")
	case *timeout < 0:
		return bad("--timeout cannot be negative")
	}
	if _, _, err := net.SplitHostPort(*fakeAddr); err != nil {
		return bad("--fake-addr must be host:port, e.g. 127.0.0.1:0")
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
	return withDB(e, "loadgen outbound", func(d *deps) int {
		summary := e.stdout
		if *jsonOut == "-" {
			summary = e.stderr
		}
		res, runErr := loadgen.Outbound(e.ctx, d.store, d.numbers, loadgen.OutboundConfig{
			Messages: *messages, Rate: *rate, Recipients: *recipients, FakeAddr: *fakeAddr, FakeThroughput: *fakeLimit,
			Timeout: *timeout, PairRate: pairRate, PairBurst: pairBurst,
			Logger: httpx.NewLogger(e.stderr, slog.LevelWarn, "text"),
		}, e.stderr)
		code := exitOK
		if runErr != nil {
			fmt.Fprintf(e.stderr, "%s: %v\n", cmd, runErr)
			code = exitError
		}
		if res.TenantID == "" {
			return code // nothing was measured
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

// runLoadgenRouting is `switchboard loadgen routing`: the router live
// (persisted assignments per second, arrival-to-assignment latency)
// against the database at DATABASE_URL and the Redis at REDIS_URL.
func runLoadgenRouting(e env, args []string) int {
	const cmd = "switchboard loadgen routing"
	def := loadgen.DefaultRoutingConfig()
	fs := flag.NewFlagSet("loadgen routing", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	phases := fs.String("phases", strings.Join(def.Phases, ","), "the phases to run, comma-separated: drain, stream, latency")
	conversations := fs.Int("conversations", def.Conversations, "drain: conversations queued before any agent is available")
	streamConversations := fs.Int("stream-conversations", 0, "stream: arrivals written while agents are available (default --conversations)")
	writers := fs.Int("writers", def.Writers, "stream: goroutines writing arrivals, one transaction each")
	agents := fs.Int("agents", def.Agents, "agents per phase, all in one skillset")
	capacity := fs.Int("capacity", def.Capacity, "each agent's capacity (1 to 1000)")
	rate := fs.Float64("rate", def.Rate, "latency: arrivals per second")
	duration := fs.Duration("duration", def.Duration, "latency: how long arrivals are written")
	concurrency := fs.Int("concurrency", def.Concurrency, "latency: most arrivals in flight at once")
	timeout := fs.Duration("timeout", def.Timeout, "the longest wait for the dispatcher to apply or assign everything")
	keep := fs.Bool("keep", false, "keep the benchmark tenants (suspended) instead of deleting them")
	vacuumEvery := fs.Duration("vacuum-every", 0, "VACUUM (ANALYZE) the tables this often in autovacuum's place (default: 3s if the server's autovacuum is off; negative: never)")
	jsonOut := fs.String("json", "", "also write the result as JSON to this file (- for standard output)")
	usage := func() {
		fmt.Fprintln(e.stderr, loadgenUsage)
		fmt.Fprintln(e.stderr)
		fs.SetOutput(e.stderr)
		fs.PrintDefaults()
		fs.SetOutput(io.Discard)
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			usage()
			return exitOK
		}
		fmt.Fprintf(e.stderr, "%s: %v (see --help)\n", cmd, err)
		return exitUsage
	}
	bad := func(format string, a ...any) int {
		fmt.Fprintf(e.stderr, cmd+": "+format+"\n", a...)
		return exitUsage
	}
	if *streamConversations == 0 {
		*streamConversations = *conversations
	}
	list := splitList(*phases)
	seen := map[string]bool{}
	for _, p := range list {
		if !slices.Contains(loadgen.RoutingPhases, p) {
			return bad("--phases: unknown phase %q (expected drain, stream or latency)", p)
		}
		if seen[p] {
			return bad("--phases: %q is named twice", p)
		}
		seen[p] = true
	}
	planned := *rate * duration.Seconds()
	switch {
	case fs.NArg() > 0:
		return bad("unexpected argument %q", fs.Arg(0))
	case len(list) == 0:
		return bad("--phases needs at least one of drain, stream, latency")
	case *conversations < 1 || *conversations > 10_000_000:
		return bad("--conversations must be from 1 to 10000000, not %d", *conversations)
	case *streamConversations < 1 || *streamConversations > 10_000_000:
		return bad("--stream-conversations must be from 1 to 10000000, not %d", *streamConversations)
	case *writers < 1 || *writers > 256:
		return bad("--writers must be from 1 to 256, not %d", *writers)
	case *agents < 1 || *agents > 10000:
		return bad("--agents must be from 1 to 10000, not %d", *agents)
	case *capacity < 1 || *capacity > 1000:
		return bad("--capacity must be from 1 to 1000 (the schema's limit), not %d", *capacity)
	case !(*rate > 0) || *rate > 100000:
		return bad("--rate must be a number of arrivals per second above 0 and at most 100000, not %v", *rate)
	case *duration <= 0:
		return bad("--duration must be positive, e.g. 20s")
	case planned < 1:
		return bad("--rate × --duration is less than one arrival")
	case planned > 10_000_000:
		return bad("--rate × --duration is more than 10 million arrivals")
	case *concurrency < 1 || *concurrency > 256:
		return bad("--concurrency must be from 1 to 256, not %d", *concurrency)
	case *timeout <= 0:
		return bad("--timeout must be positive, e.g. 2m")
	}
	total := *agents * *capacity
	for _, c := range []struct {
		phase, flag string
		n           int
	}{{loadgen.PhaseDrain, "--conversations", *conversations}, {loadgen.PhaseStream, "--stream-conversations", *streamConversations},
		{loadgen.PhaseLatency, "--rate × --duration", int(planned + 0.5)}} {
		if seen[c.phase] && c.n > total {
			return bad("--agents × --capacity (%d) cannot hold the %d conversations of %s: raise --agents or --capacity", total, c.n, c.flag)
		}
	}
	cfg, ok := loadConfig(e)
	if !ok {
		return exitUsage
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
	rdb, err := openRedis(cfg)
	if err != nil {
		fmt.Fprintf(e.stderr, "%s: %v\n", cmd, err)
		return exitUsage
	}
	defer rdb.Close()
	summary := e.stdout
	if *jsonOut == "-" {
		summary = e.stderr
	}
	res, runErr := loadgen.Routing(e.ctx, loadgen.RoutingConfig{
		DatabaseURL: cfg.DatabaseURL, Redis: rdb, RedisPrefix: cfg.RedisPrefix, Phases: list,
		Conversations: *conversations, StreamConversations: *streamConversations, Writers: *writers,
		Agents: *agents, Capacity: *capacity, Rate: *rate, Duration: *duration, Concurrency: *concurrency,
		Timeout: *timeout, Keep: *keep, VacuumEvery: *vacuumEvery, Logger: httpx.NewLogger(e.stderr, slog.LevelWarn, "text"),
	}, e.stderr)
	code := exitOK
	if runErr != nil {
		fmt.Fprintf(e.stderr, "%s: %v\n", cmd, runErr)
		code = exitError
	}
	if res.Drain == nil && res.Stream == nil && res.Latency == nil {
		return code // nothing was measured
	}
	res.WriteSummary(summary)
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
}
