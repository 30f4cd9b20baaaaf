// Package servertest runs the real HTTP surface (every route and middleware)
// on a test's own database and Redis, and gives tests a browser-like client:
// cookies, CSRF tokens picked from the pages, HTML parsed for assertions.
package servertest

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/textproto"
	"net/url"
	"strings"
	"switchboard/internal/apikey"
	"switchboard/internal/blob"
	"switchboard/internal/domain"
	"switchboard/internal/inbound"
	"switchboard/internal/ingest"
	"switchboard/internal/mail"
	"switchboard/internal/number"
	"switchboard/internal/outbound"
	"switchboard/internal/realtime"
	"switchboard/internal/routing"
	"switchboard/internal/sandbox"
	"switchboard/internal/secrets"
	"switchboard/internal/whatsapp/graph"
	"sync"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/redis/go-redis/v9"

	"switchboard/internal/auth"
	"switchboard/internal/automation"
	"switchboard/internal/httpx"
	"switchboard/internal/metrics"
	"switchboard/internal/server"
	"switchboard/internal/storage/storagetest"
	"switchboard/internal/tenant"
	"switchboard/web"
)

// Clock is a test clock that only moves when told.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// App is a running server on a fresh database with the two-tenant fixtures.
type App struct {
	URL     string
	Handler http.Handler // the server itself, for in-process benchmarks
	DB      *storagetest.DB
	F       storagetest.Fixtures
	Redis   *redis.Client
	Prefix  string
	Clock   *Clock
	// Bots is the softbots' runtime (its sweeper runs with RunWorkers).
	Bots    *automation.Engine
	Tenants *tenant.Service
	Logs    *Logs

	Numbers       *number.Service
	APIKeys       *apikey.Service
	Blobs         *blob.Dir
	Processor     *inbound.Processor
	SandboxSecret string
	Sandbox       *sandbox.Sandbox
	Outbound      *outbound.Service
	Sender        *outbound.Sender // with RunWorkers
	Catalog       *outbound.Catalog
	Routing       *routing.Service
	Hub           *realtime.Hub
	Dispatcher    *routing.Dispatcher // with RunWorkers
}

// Options change how the app is built.
type Options struct {
	// Redis replaces the test's Redis client (for example one pointing at a
	// closed port, to see readiness fail).
	Redis *redis.Client
	// RunWorkers starts the webhook processor in the background, as serve
	// does; without it tests call Processor.Drain to process synchronously.
	// It starts the routing dispatcher too.
	RunWorkers bool
	// PresenceTTL, RoutingLease and RoutingSweep shorten the router's
	// timers for tests of expiry and takeover (defaults when zero).
	PresenceTTL  time.Duration
	RoutingLease time.Duration
	RoutingSweep time.Duration
	// Share starts a second instance of the product on another app's
	// database, Redis prefix, fixtures and blob store, as a second `serve`
	// behind the same load balancer: its own HTTP server, hub, sandbox and
	// workers.
	Share *App
	// NoSender leaves the outbox sender out of RunWorkers (SENDER=false):
	// with several instances, one sends and the others only queue.
	NoSender bool
	// BotNow is the softbots' clock (time.Now when nil): a test of the
	// out-of-hours reply sets it outside business hours.
	BotNow func() time.Time
	// Mail is the SMTP relay invitations are e-mailed through (a
	// mailtest server's); nil sends nothing, as without SMTP_ADDR.
	Mail *mail.Mailer
}

// New starts the app; it stops when the test ends.
func New(t testing.TB, opts ...Options) *App {
	t.Helper()
	var o Options
	if len(opts) > 0 {
		o = opts[0]
	}
	var db *storagetest.DB
	var rdb *redis.Client
	var prefix string
	if o.Share != nil {
		db, rdb, prefix = o.Share.DB, o.Share.Redis, o.Share.Prefix
	} else {
		db = storagetest.NewDB(t)
		rdb, prefix = storagetest.NewRedis(t)
	}
	if o.Redis != nil {
		rdb = o.Redis
	}
	assets, err := web.NewAssets()
	if err != nil {
		t.Fatal(err)
	}
	logs := &Logs{}
	logger := httpx.NewLogger(logs, slog.LevelDebug, "text")
	clock := &Clock{now: time.Now()}
	hasher := auth.NewHasher(2)
	tenants := tenant.NewService(db.Store, hasher)
	box, err := secrets.New(secretKey)
	if err != nil {
		t.Fatal(err)
	}
	numbers := number.NewService(db.Store, box)
	blobs, err := blob.NewDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if o.Share != nil {
		blobs = o.Share.Blobs
	}
	processor := inbound.NewProcessor(db.Store, logger)
	bots := automation.New(db.Store, logger)
	if o.BotNow != nil {
		bots.Now = o.BotNow
	}
	processor.Automation = bots
	sandboxSecret, sandboxVerify := number.SandboxApp(secretKey)
	apps := ingest.NewApps(ingest.App{Secret: []byte(MetaAppSecret), VerifyToken: MetaVerifyToken},
		ingest.App{Secret: []byte(sandboxSecret), VerifyToken: sandboxVerify}, numbers.AppSecrets)
	outboundSvc := outbound.NewService(db.Store, time.Now)
	a := &App{Outbound: outboundSvc, DB: db, Redis: rdb, Prefix: prefix, Clock: clock, Bots: bots, Tenants: tenants, Logs: logs, Numbers: numbers,
		APIKeys: apikey.NewService(db.Store), Blobs: blobs, Processor: processor, SandboxSecret: sandboxSecret}
	srv := httptest.NewUnstartedServer(nil)
	self := "http://" + srv.Listener.Addr().String()
	sandboxGraph := &graph.Client{HTTP: &http.Client{Timeout: time.Minute}, BaseURL: self + "/sandbox/graph", Version: "v23.0"}
	catalog := outbound.NewCatalog(db.Store, func(domain.Number) *graph.Client { return sandboxGraph }, numbers.AccessToken, logger)
	a.Catalog = catalog
	sb := sandbox.New(db.Store, numbers, logger, self, sandboxSecret, "v23.0")
	t.Cleanup(sb.Fake.Close)
	a.Sandbox = sb
	presence := routing.NewPresence(rdb, prefix, o.PresenceTTL)
	a.Hub = realtime.NewHub(rdb, prefix, db.Store, logger, realtime.Options{})
	processor.Told = a.Hub.Publish
	a.Routing = &routing.Service{Store: db.Store, Presence: presence}
	h := server.New(server.Deps{
		Logger: logger, Secret: secretKey, Pool: db.Pool, Redis: rdb,
		RedisKey: prefix, Store: db.Store, Hasher: hasher, Tenants: tenants, Metrics: metrics.NewRegistry(),
		Assets: assets, Now: clock.Now, Numbers: numbers, APIKeys: a.APIKeys, Blobs: blobs, Apps: apps, Outbound: outboundSvc,
		WebhookStored: processor.Wake, NumberAdded: sb.Register, Sandbox: sb, Catalog: catalog, Routing: a.Routing,
		Hub: a.Hub, Origin: self, Mail: o.Mail,
		Receipts: outbound.Receipts{Store: db.Store, Client: func(domain.Number) *graph.Client { return sandboxGraph }, Token: numbers.AccessToken},
	})
	srv.Config.Handler = h
	srv.Start()
	t.Cleanup(srv.Close)
	a.URL, a.Handler = srv.URL, h
	if o.Share != nil {
		a.F = o.Share.F
	} else {
		a.F = storagetest.Seed(t, db)
	}
	if o.RunWorkers {
		// As serve does: the processor, and the media fetcher talking to the
		// sandbox for sandbox numbers (these tests connect no live number).
		fetcher := inbound.NewFetcher(db.Store, blobs, logger, func(domain.Number) *graph.Client { return sandboxGraph }, numbers.AccessToken)
		processor.MediaQueued = fetcher.Wake
		fetcher.Told = a.Hub.Publish
		sender := outbound.NewSender(db.Store, outbound.GraphTransport{Client: func(domain.Number) *graph.Client { return sandboxGraph }},
			blobs, numbers.AccessToken, logger, 0, 0)
		sender.ApplyStatuses = inbound.ApplyRecordedStatuses
		sender.BackoffBase = 20 * time.Millisecond
		outboundSvc.Queued = sender.Wake
		processor.OutboundQueued = sender.Wake
		bots.OutboundQueued = sender.Wake
		a.Sender = sender
		processor.TemplatesChanged = catalog.Request
		ctx, cancel := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		wg.Go(func() { processor.Run(ctx) })
		wg.Go(func() { fetcher.Run(ctx) })
		if !o.NoSender {
			wg.Go(func() { sender.Run(ctx) })
		}
		wg.Go(func() { catalog.Run(ctx) })
		wg.Go(func() { bots.Run(ctx, 200*time.Millisecond) })
		a.Dispatcher = routing.NewDispatcher(routing.Options{Store: db.Store, Pool: db.Pool, Presence: presence,
			Publisher: routing.RedisPublisher{RDB: rdb, Prefix: prefix, Logger: logger}, Logger: logger,
			LeaseTTL: o.RoutingLease, Sweep: o.RoutingSweep, Told: a.Hub.Publish})
		wg.Go(func() { _ = a.Dispatcher.Run(ctx) })
		wg.Go(func() { a.Hub.Run(ctx) })
		t.Cleanup(func() { cancel(); wg.Wait() })
	}
	return a
}

// The test deployment's secrets.
var secretKey = []byte("test-secret-key-of-at-least-32-bytes!")

// SecretKey is the test deployment's SECRET_KEY, for tools that derive what
// its pages carry (the load generator computes CSRF tokens from it).
func SecretKey() []byte { return secretKey }

// MetaAppSecret and MetaVerifyToken are the platform app's, in tests.
const (
	MetaAppSecret   = "test-meta-app-secret-0123456789"
	MetaVerifyToken = "test-verify-token"
)

// Logs is the server's log, written by its goroutines while a test reads
// it (to show on failure): both under one lock.
type Logs struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *Logs) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// String is everything logged so far.
func (l *Logs) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// Client is one browser: its own cookies, the last CSRF token it saw.
type Client struct {
	t    testing.TB
	app  *App
	http *http.Client
	csrf string
	// Header is sent with every request (Accept-Language, X-Forwarded-For…).
	Header http.Header
}

// Client returns a new browser with no cookies.
func (a *App) Client(t testing.TB) *Client {
	jar, _ := cookiejar.New(nil)
	return &Client{t: t, app: a, Header: http.Header{}, http: &http.Client{
		Jar: jar, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// Response is an answer with its body read and, for HTML, parsed.
type Response struct {
	Status   int
	Header   http.Header
	Body     string
	Doc      *goquery.Document
	Location string
}

// Text returns the trimmed text of the first element matching sel.
func (r *Response) Text(sel string) string { return strings.TrimSpace(r.Doc.Find(sel).First().Text()) }

// Has reports whether some element matches sel.
func (r *Response) Has(sel string) bool { return r.Doc.Find(sel).Length() > 0 }

// Get fetches path without following redirects.
func (c *Client) Get(path string) *Response {
	req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, c.app.URL+path, nil)
	if err != nil {
		c.t.Fatal(err)
	}
	return c.do(req)
}

// Follow fetches path and follows redirects within the site.
func (c *Client) Follow(path string) *Response {
	for i := 0; i < 10; i++ {
		r := c.Get(path)
		if r.Location == "" {
			return r
		}
		path = strings.TrimPrefix(r.Location, c.app.URL)
	}
	c.t.Fatalf("too many redirects from %s", path)
	return nil
}

// Post submits a form with the CSRF token of the last page seen (unless
// values carry their own csrf_token).
func (c *Client) Post(path string, values url.Values) *Response {
	if _, ok := values["csrf_token"]; !ok {
		values = cloneValues(values)
		values.Set("csrf_token", c.csrf)
	}
	return c.PostRaw(path, values)
}

// PostRaw submits a form exactly as given.
func (c *Client) PostRaw(path string, values url.Values) *Response {
	req, err := http.NewRequestWithContext(context.Background(), http.MethodPost, c.app.URL+path, strings.NewReader(values.Encode()))
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return c.do(req)
}

// PostFile submits a multipart form with one file, with the CSRF token of
// the last page seen.
func (c *Client) PostFile(path string, values url.Values, field, filename, contentType string, data []byte) *Response {
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	values = cloneValues(values)
	values.Set("csrf_token", c.csrf)
	for k, vs := range values {
		for _, v := range vs {
			_ = mw.WriteField(k, v)
		}
	}
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", `form-data; name="`+field+`"; filename="`+filename+`"`)
	h.Set("Content-Type", contentType)
	part, err := mw.CreatePart(h)
	if err != nil {
		c.t.Fatal(err)
	}
	_, _ = part.Write(data)
	_ = mw.Close()
	req, err := http.NewRequestWithContext(context.Background(), http.MethodPost, c.app.URL+path, &body)
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return c.do(req)
}

// Login signs in through the form, as a person does, and returns the answer
// to the POST.
func (c *Client) Login(email, password string) *Response {
	c.Get("/login")
	return c.Post("/login", url.Values{"email": {email}, "password": {password}})
}

// MustLogin signs in and fails the test unless it worked.
func (c *Client) MustLogin(email, password string) {
	c.t.Helper()
	if r := c.Login(email, password); r.Status != http.StatusSeeOther {
		c.t.Fatalf("sign in as %s: status %d: %s", email, r.Status, r.Text("[data-testid=form-error]"))
	}
}

// Cookie returns a cookie's value as the browser holds it.
func (c *Client) Cookie(name string) string {
	u, _ := url.Parse(c.app.URL)
	for _, ck := range c.http.Jar.Cookies(u) {
		if ck.Name == name {
			return ck.Value
		}
	}
	return ""
}

func (c *Client) do(req *http.Request) *Response {
	c.t.Helper()
	for k, v := range c.Header {
		req.Header[k] = v
	}
	res, err := c.http.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	r := &Response{Status: res.StatusCode, Header: res.Header, Body: string(body), Location: res.Header.Get("Location")}
	r.Doc, err = goquery.NewDocumentFromReader(strings.NewReader(r.Body))
	if err != nil {
		c.t.Fatal(err)
	}
	if tok, ok := r.Doc.Find(`input[name=csrf_token]`).First().Attr("value"); ok {
		c.csrf = tok
	}
	return r
}

func cloneValues(v url.Values) url.Values {
	out := url.Values{}
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}
