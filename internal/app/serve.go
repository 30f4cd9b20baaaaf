package app

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"switchboard/internal/apikey"
	"switchboard/internal/automation"
	"switchboard/internal/blob"
	"switchboard/internal/domain"
	"switchboard/internal/inbound"
	"switchboard/internal/ingest"
	"switchboard/internal/number"
	"switchboard/internal/outbound"
	"switchboard/internal/realtime"
	"switchboard/internal/retention"
	"switchboard/internal/routing"
	"switchboard/internal/sandbox"
	"switchboard/internal/whatsapp/graph"
	"sync"
	"time"

	"switchboard/internal/config"
	"switchboard/internal/httpx"
	"switchboard/internal/metrics"
	"switchboard/internal/server"
	"switchboard/web"
)

func runServe(e env, args []string) int {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.Usage = func() {
		fmt.Fprintln(e.stderr, "Usage: switchboard serve\n\nRuns the whole product on HTTP_ADDR. Pending migrations are applied first unless MIGRATE=false.")
	}
	if err := fs.Parse(args); err != nil {
		return flagStatus(err)
	}
	cfg, ok := loadConfig(e)
	if !ok {
		return exitUsage
	}
	logger := httpx.NewLogger(e.stderr, cfg.LogLevel, cfg.LogFormat)
	if cfg.Development() && e.getenv("SECRET_KEY") == "" {
		logger.Warn("SECRET_KEY is not set: using the development key; never do this in production")
	}
	if err := serve(e.ctx, cfg, logger, nil); err != nil {
		logger.Error("serve", "error", err)
		return exitError
	}
	return exitOK
}

// serve runs until ctx ends, then drains requests in flight. ready, when not
// nil, receives the listening address (tests listen on :0).
func serve(ctx context.Context, cfg config.Config, logger *slog.Logger, ready chan<- string) error {
	if cfg.Migrate {
		if err := migrateUp(cfg); err != nil {
			return fmt.Errorf("migrate: %w", err)
		}
	}
	d, err := openDB(ctx, cfg)
	if err != nil {
		return err
	}
	defer d.close()
	rdb, err := openRedis(cfg)
	if err != nil {
		return err
	}
	defer rdb.Close()
	// Listen first: the sandbox needs this server's own address.
	ln, err := net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		return fmt.Errorf("listen on HTTP_ADDR %s: %w", cfg.HTTPAddr, err)
	}
	defer ln.Close()
	self := selfURL(ln.Addr())
	assets, err := web.NewAssets()
	if err != nil {
		return err
	}
	blobs, err := blob.NewDir(cfg.BlobDir)
	if err != nil {
		return err
	}
	processor := inbound.NewProcessor(d.store, logger)
	live := &graph.Client{HTTP: &http.Client{Timeout: 2 * time.Minute}, BaseURL: cfg.GraphBaseURL, Version: cfg.GraphAPIVersion}
	// Sandbox numbers talk to our fake of Meta inside this process; the
	// address is known once the listener is open.
	sandboxGraph := &graph.Client{HTTP: &http.Client{Timeout: 2 * time.Minute}, BaseURL: self + "/sandbox/graph", Version: cfg.GraphAPIVersion}
	fetcher := inbound.NewFetcher(d.store, blobs, logger, func(n domain.Number) *graph.Client {
		if n.Sandbox {
			return sandboxGraph
		}
		return live
	}, d.numbers.AccessToken)
	processor.MediaQueued = fetcher.Wake
	graphFor := func(n domain.Number) *graph.Client {
		if n.Sandbox {
			return sandboxGraph
		}
		return live
	}
	outboundSvc := outbound.NewService(d.store, time.Now)
	sender := outbound.NewSender(d.store, outbound.GraphTransport{Client: graphFor}, blobs, d.numbers.AccessToken, logger, pairRate, pairBurst)
	sender.ApplyStatuses = inbound.ApplyRecordedStatuses
	outboundSvc.Queued = sender.Wake
	processor.OutboundQueued = sender.Wake
	// Softbots answer in the processor's transaction; their sweeper moves
	// held conversations on by the clock.
	bots := automation.New(d.store, logger)
	bots.OutboundQueued = sender.Wake
	processor.Automation = bots
	catalog := outbound.NewCatalog(d.store, graphFor, d.numbers.AccessToken, logger)
	processor.TemplatesChanged = catalog.Request
	sandboxSecret, sandboxVerify := number.SandboxApp(cfg.SecretKey)
	sb := sandbox.New(d.store, d.numbers, logger, self, sandboxSecret, cfg.GraphAPIVersion)
	presence := routing.NewPresence(rdb, cfg.RedisPrefix, 0)
	routingSvc := &routing.Service{Store: d.store, Presence: presence}
	reg := metrics.NewRegistry()
	hub := realtime.NewHub(rdb, cfg.RedisPrefix, d.store, logger, realtime.Options{})
	processor.Told = hub.Publish
	fetcher.Told = hub.Publish
	reg.NewGaugeFunc("switchboard_realtime_connections", "Agent console sockets open on this instance.",
		func() float64 { return float64(hub.Connections()) })
	// The Go runtime's own figures, read without stopping the world: what a
	// connection costs beyond the process's RSS (deploy/bench/console.sh).
	for _, g := range runtimeGauges {
		reg.NewGaugeFunc(g[0], "Go runtime metric "+g[1]+".", func() float64 { return metrics.RuntimeValue(g[1]) })
	}
	dispatcher := routing.NewDispatcher(routing.Options{Store: d.store, Pool: d.pool, Presence: presence,
		Publisher: routing.RedisPublisher{RDB: rdb, Prefix: cfg.RedisPrefix, Logger: logger}, Logger: logger,
		OnEvents: routingMetrics(reg), Told: hub.Publish})
	mailer, err := newMailer(cfg, logger)
	if err != nil {
		return err
	}
	handler := server.New(server.Deps{
		Logger: logger, Secure: cfg.Secure(), Secret: cfg.SecretKey, Pool: d.pool, Redis: rdb, RedisKey: cfg.RedisPrefix,
		Store: d.store, Hasher: d.hasher, Tenants: d.tenants, Metrics: reg, Assets: assets, Now: time.Now,
		Numbers: d.numbers, APIKeys: apikey.NewService(d.store), Blobs: blobs, Outbound: outboundSvc, Catalog: catalog,
		Receipts: outbound.Receipts{Store: d.store, Client: graphFor, Token: d.numbers.AccessToken},
		Apps: ingest.NewApps(ingest.App{Secret: []byte(cfg.MetaAppSecret), VerifyToken: cfg.MetaVerifyToken},
			ingest.App{Secret: []byte(sandboxSecret), VerifyToken: sandboxVerify}, d.numbers.AppSecrets),
		WebhookStored: processor.Wake,
		NumberAdded:   sb.Register,
		Sandbox:       sb,
		Mail:          mailer,
		Routing:       routingSvc,
		Hub:           hub,
		Origin:        cfg.BaseURL.Scheme + "://" + cfg.BaseURL.Host,
	})
	srv := &http.Server{
		Handler: handler, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: 60 * time.Second, IdleTimeout: 120 * time.Second, MaxHeaderBytes: 64 << 10,
		ErrorLog: slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	logger.Info("listening", "addr", ln.Addr().String(), "base_url", cfg.BaseURL.String())
	if ready != nil {
		ready <- ln.Addr().String()
	}
	// Workers stop after the HTTP server (shutdown order: HTTP, then
	// workers, then Postgres and Redis by the deferred closes above).
	wctx, stopWorkers := context.WithCancel(context.WithoutCancel(ctx))
	var workers sync.WaitGroup
	workers.Go(func() { sweepSessions(wctx, d, logger) })
	// Two processors: events are claimed with SKIP LOCKED, in batches of
	// up to 50. Measured on 2 cores (docs/benchmarks.md, "Agent console"):
	// one applies about two thirds of what two do, since an event is a
	// dozen statements and one goroutine waits on each; four or eight did
	// no better than two, and every extra batch in flight is one more that
	// can deadlock with another on a busy conversation (1 s lost). Holding
	// one batch of an instance at a time, commits overlapping, was slower
	// still.
	for range 2 {
		workers.Go(func() { processor.Run(wctx) })
	}
	workers.Go(func() { fetcher.Run(wctx) })
	if cfg.Sender {
		workers.Go(func() { sender.Run(wctx) })
	}
	workers.Go(func() { catalog.Run(wctx) })
	workers.Go(func() { bots.Run(wctx, 2*time.Second) })
	if cfg.PprofAddr != "" {
		workers.Go(func() { servePprof(wctx, cfg.PprofAddr, logger) })
	}
	workers.Go(func() { _ = sb.Fake.Run(wctx) })
	workers.Go(func() { sb.Sync(wctx, 10*time.Second) })
	// Every instance runs a dispatcher; leases make exactly one of them
	// route each tenant.
	workers.Go(func() { _ = dispatcher.Run(wctx) })
	workers.Go(func() { hub.Run(wctx) })
	workers.Go(func() { pruneAgentEvents(wctx, d, logger) })
	// Every instance runs it; a claim per tenant and day makes one do the work.
	workers.Go(func() { retention.New(d.store, blobs, logger).Run(wctx) })
	defer func() { stopWorkers(); workers.Wait() }()
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	logger.Info("shutting down", "timeout", cfg.ShutdownTimeout)
	// Sockets are hijacked, so http.Server.Shutdown does not see them:
	// close them first, asking consoles to reconnect (to another instance).
	hub.Shutdown()
	sctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// sweepSessions deletes expired sessions every ten minutes.
func sweepSessions(ctx context.Context, d *deps, logger *slog.Logger) {
	t := time.NewTicker(10 * time.Minute)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if n, err := d.store.DeleteExpiredSessions(ctx); err != nil {
				logger.Warn("sweep sessions", "error", err)
			} else if n > 0 {
				logger.Info("swept expired sessions", "count", n)
			}
		}
	}
}

func flagStatus(err error) int {
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	return exitUsage
}

// Meta documents a pair rate (one business number to one customer) without
// a figure; one message per 6 s with a burst of 45 is the figure in use.
const (
	pairRate  = 1.0 / 6
	pairBurst = 45
)

// selfURL is how this process reaches itself (the sandbox posts its
// webhooks here): the listening port on loopback when listening on all
// addresses.
func selfURL(addr net.Addr) string {
	tcp, ok := addr.(*net.TCPAddr)
	if !ok || tcp.IP.IsUnspecified() {
		_, port, _ := net.SplitHostPort(addr.String())
		return "http://127.0.0.1:" + port
	}
	return "http://" + addr.String()
}

// routingMetrics counts the router's events by kind.
func routingMetrics(reg *metrics.Registry) func([]routing.Event) {
	events := reg.NewCounterVec("switchboard_routing_events_total", "Routing changes written, by kind.", "kind")
	return func(es []routing.Event) {
		for _, e := range es {
			events.Inc(e.Kind)
		}
	}
}

// pruneAgentEvents deletes console events older than a week, hourly: a
// console away longer reloads its state instead of replaying.
func pruneAgentEvents(ctx context.Context, d *deps, logger *slog.Logger) {
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if _, err := d.store.PruneAgentEvents(ctx, 7*24*time.Hour); err != nil {
				logger.Warn("prune agent events", "error", err)
			}
		}
	}
}
