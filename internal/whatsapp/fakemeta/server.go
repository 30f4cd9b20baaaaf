// Package fakemeta is an in-memory fake of Meta's WhatsApp Business Cloud API
// (Graph API), written from /work/shared/spec/whatsapp-cloud-api.md. Sandbox
// numbers, tests, demos and load tests point Switchboard at it instead of
// graph.facebook.com.
//
// It serves the Graph endpoints Switchboard calls (send, mark-read, media,
// template management) with Meta's rules: bearer tokens, the 24-hour customer
// service window, template approval and parameter counts, throughput and pair
// rate limits. It answers with Meta's bodies, and reports everything else the
// way Meta does: as signed webhooks (statuses, inbound customer messages,
// template decisions) POSTed to Config.WebhookURL, retried with backoff.
//
// The customer side (CustomerSends, CustomerChooses, CustomerReads,
// Conversation, Changed) is the WhatsApp user's phone: what a customer types
// reaches Switchboard only as a webhook, exactly as it would from Meta.
package fakemeta

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// ErrorMode says how a policy failure is reported (contract §5.1, §10: Meta
// does both, so tests choose per code).
type ErrorMode int

const (
	// ErrorModeDefault uses the fake's default for the code: asynchronous
	// for the delivery-time failures §5.1 names (131047 window closed,
	// 131026, 131049, 131050, 130472), synchronous for the rest.
	ErrorModeDefault ErrorMode = iota
	// ErrorSync answers the send with HTTP 4xx and the §5.1 error body.
	ErrorSync
	// ErrorAsync answers 200 with a wamid, then posts a "failed" status
	// webhook carrying the error.
	ErrorAsync
)

// Number is a registered business phone number.
type Number struct {
	PhoneNumberID      string `json:"phone_number_id"`
	DisplayPhoneNumber string `json:"display_phone_number"`
	WABAID             string `json:"waba_id"`
	// AccessToken authorises Graph calls for this number. Like a system-user
	// token, it is accepted for every object of the number's WABA.
	AccessToken string `json:"access_token"`
}

// Config configures a Server. The zero value of every field means "Meta's
// default"; where a limit can be switched off, a negative value does it.
type Config struct {
	// AppSecret keys X-Hub-Signature-256 on every webhook (§3.1).
	AppSecret string
	// WebhookURL receives every webhook. Empty: webhooks are dropped (and
	// counted as such), which suits tests of the Graph API alone.
	WebhookURL string
	// APIVersion selects the webhook shape the app "subscribed" with:
	// v23.0 and lower carry the status conversation object, v24.0+ omit it
	// (§2.4). Requests are accepted under any vN.N path prefix, as Graph does.
	// Default "v23.0".
	APIVersion string
	// BaseURL is the fake's own external URL, used in media URLs. Empty: it is
	// taken from the Host of API requests (ListenAndServe sets it).
	BaseURL string
	// Now is the clock for timestamps, the 24-hour window, rate limits and
	// media expiry. Timers (StatusDelay, backoff) use real time. Default
	// time.Now.
	Now func() time.Time

	// StatusDelay is the wait before each status webhook of an accepted
	// message. Default 50ms; negative: no wait.
	StatusDelay time.Duration
	// StatusSequence is what happens to every accepted message. Default
	// sent, delivered, read. Leave out "read" to have reads happen only via
	// CustomerReads; reorder or repeat entries to test out-of-order and
	// duplicate statuses (§10).
	StatusSequence []string

	// TemplateDecisionDelay is how long a new or edited template stays
	// PENDING before TemplateDecider decides it. 0: only DecideTemplate does.
	TemplateDecisionDelay time.Duration
	// TemplateRejectWord makes the default decider reject a template whose
	// text contains it (REJECTED, INVALID_FORMAT). Default "REJECTME".
	TemplateRejectWord string
	// TemplateDecider overrides the default rule; it returns a
	// message_template_status_update event and reason.
	TemplateDecider func(Template) (event, reason string)
	// TemplateLimit is the templates per WABA (§7.5). Default 250.
	TemplateLimit int

	// Throughput is messages per second per number, inbound and outbound
	// together (§8.3). Default 80; negative: unlimited.
	Throughput int
	// ThroughputIgnoresInbound stops customer messages from counting towards
	// Throughput, for load tests that drive inbound and outbound separately.
	ThroughputIgnoresInbound bool
	// PairRate is the interval per (number, recipient) (§8.4). Default 6s;
	// negative: disabled.
	PairRate time.Duration
	// PairBurst is how many messages may be sent to one recipient
	// back-to-back before PairRate applies. Default 1 (a strict gap); Meta
	// allows up to 45.
	PairBurst int
	// ErrorModes overrides sync/async reporting per error code (policy codes:
	// 131047, 131053, 131056, 130429, 132000, 132001, 132012, 132015, 132016,
	// 132018, and FailRecipient's codes). 100, 190 and 131021 are always
	// synchronous.
	ErrorModes map[int]ErrorMode

	// Numbers are registered at start, as if AddNumber were called.
	Numbers []Number

	// HTTPClient posts webhooks. Default: a client with WebhookTimeout.
	HTTPClient *http.Client
	// WebhookTimeout bounds each POST (Meta publishes none; §3.2). Default 5s.
	WebhookTimeout time.Duration
	// WebhookWorkers is the number of concurrent deliveries. Default 4.
	WebhookWorkers int
	// WebhookQueue bounds deliveries waiting for a worker. Producers block
	// when it is full. Default 1024.
	WebhookQueue int
	// WebhookMaxAttempts bounds tries per webhook (first + retries).
	// Default 6.
	WebhookMaxAttempts int
	// WebhookBackoff is the first delayed retry; later ones double. The first
	// retry is immediate, as Meta says. Default 500ms.
	WebhookBackoff time.Duration

	// AppID is the Meta App ID of the app whose Resumable Upload API this
	// is (POST /{app-id}/uploads): template header samples. Default
	// DefaultAppID.
	AppID string

	// ControlToken, if set, must be the bearer token of /_fake/ control
	// requests. Empty: the control API is open (it is a sandbox).
	ControlToken string

	// Logger receives delivery failures and decisions. Default: discard.
	Logger *slog.Logger
}

func (c Config) withDefaults() Config {
	if c.APIVersion == "" {
		c.APIVersion = "v23.0"
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.StatusDelay == 0 {
		c.StatusDelay = 50 * time.Millisecond
	}
	if c.StatusDelay < 0 {
		c.StatusDelay = 0
	}
	if c.StatusSequence == nil {
		c.StatusSequence = []string{"sent", "delivered", "read"}
	}
	if c.TemplateRejectWord == "" {
		c.TemplateRejectWord = "REJECTME"
	}
	if c.TemplateLimit == 0 {
		c.TemplateLimit = 250
	}
	if c.Throughput == 0 {
		c.Throughput = 80
	}
	if c.PairRate == 0 {
		c.PairRate = 6 * time.Second
	}
	if c.PairBurst <= 0 {
		c.PairBurst = 1
	}
	if c.WebhookTimeout <= 0 {
		c.WebhookTimeout = 5 * time.Second
	}
	if c.HTTPClient == nil {
		c.HTTPClient = &http.Client{Timeout: c.WebhookTimeout}
	}
	if c.WebhookWorkers <= 0 {
		c.WebhookWorkers = 4
	}
	if c.WebhookQueue <= 0 {
		c.WebhookQueue = 1024
	}
	if c.WebhookMaxAttempts <= 0 {
		c.WebhookMaxAttempts = 6
	}
	if c.WebhookBackoff <= 0 {
		c.WebhookBackoff = 500 * time.Millisecond
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.AppID == "" {
		c.AppID = DefaultAppID
	}
	c.BaseURL = strings.TrimRight(c.BaseURL, "/")
	return c
}

// Errors returned by the Go API.
var (
	ErrUnknownNumber   = errors.New("fakemeta: unknown phone number id")
	ErrUnknownTemplate = errors.New("fakemeta: unknown template")
	ErrUnknownMessage  = errors.New("fakemeta: unknown message")
	ErrClosed          = errors.New("fakemeta: server closed")
)

// Server is the fake. Create it with New and release it with Close.
type Server struct {
	cfg    Config
	log    *slog.Logger
	now    func() time.Time
	graph  *http.ServeMux
	ctl    *http.ServeMux
	urlKey []byte // signs media download URLs, so they need no server state

	mu        sync.Mutex
	numbers   map[string]*numberState // by phone number id
	tokens    map[string]string       // access token -> WABA id
	wabas     map[string]*wabaState   // by WABA id
	threads   map[threadKey]*thread
	messages  map[string]*msgRef // by wamid
	media     map[string]*mediaObject
	failures  map[string]int            // wa_id -> forced async error code
	uploads   map[string]*uploadSession // Resumable Upload API sessions, by id
	handles   map[string]*uploadSession // the same, once whole, by handle
	learnBase string                    // base URL seen on requests when BaseURL is unset

	ids atomic.Uint64 // numeric object ids (media, templates)

	// Background work: webhook workers, status sequences, template timers.
	ctx       context.Context
	cancel    context.CancelFunc
	wg        sync.WaitGroup
	closeOnce sync.Once
	bgMu      sync.Mutex // orders wg.Add against Close's wg.Wait
	closed    bool
	queue     chan *delivery
	pending   atomic.Int64
	stats     webhookCounters
}

type numberState struct {
	Number
	tput  rateWindow
	pairs map[string]time.Time // recipient wa_id -> theoretical arrival time
}

// New returns a running fake: webhook workers start immediately, so callers
// need not call Run, but must call Close (or cancel Run's context).
func New(cfg Config) *Server {
	cfg = cfg.withDefaults()
	ctx, cancel := context.WithCancel(context.Background())
	s := &Server{
		cfg:      cfg,
		log:      cfg.Logger,
		now:      cfg.Now,
		urlKey:   randomBytes(32),
		numbers:  map[string]*numberState{},
		tokens:   map[string]string{},
		wabas:    map[string]*wabaState{},
		threads:  map[threadKey]*thread{},
		messages: map[string]*msgRef{},
		media:    map[string]*mediaObject{},
		failures: map[string]int{},
		uploads:  map[string]*uploadSession{},
		handles:  map[string]*uploadSession{},
		ctx:      ctx,
		cancel:   cancel,
		queue:    make(chan *delivery, cfg.WebhookQueue),
	}
	// Ids look like Graph's 15–16 digit object ids; a random start keeps ids
	// from two fakes (or two runs) apart.
	start, _ := rand.Int(rand.Reader, big.NewInt(1e15))
	s.ids.Store(1e15 + start.Uint64())
	for _, n := range cfg.Numbers {
		if err := s.AddNumber(n); err != nil {
			s.log.Warn("fakemeta: skipping configured number", "err", err)
		}
	}
	s.routes()
	s.startWorkers()
	s.wg.Add(1)
	go s.janitor()
	return s
}

// AddNumber registers (or re-registers, keeping its conversations) a business
// number.
func (s *Server) AddNumber(n Number) error {
	if n.PhoneNumberID == "" || n.WABAID == "" || n.AccessToken == "" {
		return fmt.Errorf("fakemeta: number needs phone_number_id, waba_id and access_token")
	}
	if n.DisplayPhoneNumber == "" {
		n.DisplayPhoneNumber = n.PhoneNumberID
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if w, ok := s.tokens[n.AccessToken]; ok && w != n.WABAID {
		return fmt.Errorf("fakemeta: access token already belongs to WABA %s", w)
	}
	if old, ok := s.numbers[n.PhoneNumberID]; ok {
		old.Number = n
	} else {
		s.numbers[n.PhoneNumberID] = &numberState{Number: n, pairs: map[string]time.Time{}}
	}
	s.tokens[n.AccessToken] = n.WABAID
	if s.wabas[n.WABAID] == nil {
		s.wabas[n.WABAID] = newWABA()
	}
	return nil
}

// Handler serves the Graph API, the media download URLs and the /_fake/
// control API.
func (s *Server) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Top-level split by prefix: ServeMux would reject these prefixes as
		// conflicting with the /{version}/{id}/… patterns.
		switch {
		case strings.HasPrefix(r.URL.Path, "/_fake/"):
			s.ctl.ServeHTTP(w, r)
		case strings.HasPrefix(r.URL.Path, downloadPath):
			s.learnBaseURL(r)
			s.handleDownload(w, r)
		default:
			s.learnBaseURL(r)
			s.graph.ServeHTTP(w, r)
		}
	})
}

func (s *Server) routes() {
	g := http.NewServeMux()
	g.HandleFunc("POST /{version}/{id}/messages", s.graphHandler(s.handleSend))
	g.HandleFunc("POST /{version}/{id}/media", s.graphHandler(s.handleUpload))
	g.HandleFunc("GET /{version}/{id}/message_templates", s.graphHandler(s.handleListTemplates))
	g.HandleFunc("POST /{version}/{id}/message_templates", s.graphHandler(s.handleCreateTemplate))
	g.HandleFunc("DELETE /{version}/{id}/message_templates", s.graphHandler(s.handleDeleteTemplates))
	g.HandleFunc("GET /{version}/{id}/phone_numbers", s.graphHandler(s.handlePhoneNumbers))
	g.HandleFunc("POST /{version}/{id}/uploads", s.graphHandler(s.handleUploadSession))
	g.HandleFunc("GET /{version}/{id}", s.graphHandler(s.handleGetObject))
	g.HandleFunc("POST /{version}/{id}", s.graphHandler(s.handlePostObject))
	g.HandleFunc("DELETE /{version}/{id}", s.graphHandler(s.handleDeleteObject))
	g.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, unknownObject(r.Method, strings.Trim(r.URL.Path, "/")))
	})
	s.graph = g
	s.ctl = s.controlRoutes()
}

// graphHandler checks the version segment and writes a returned *apiError as
// Graph does, so handlers can simply return errors.
func (s *Server) graphHandler(h func(http.ResponseWriter, *http.Request) *apiError) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !validVersion(r.PathValue("version")) {
			writeError(w, unknownObject(r.Method, r.PathValue("version")))
			return
		}
		if e := h(w, r); e != nil {
			writeError(w, e)
		}
	}
}

func validVersion(v string) bool {
	if len(v) < 2 || v[0] != 'v' {
		return false
	}
	major, minor, ok := strings.Cut(v[1:], ".")
	return ok && isDigits(major) && isDigits(minor)
}

// bearer returns the access token: the Authorization header (scheme Bearer,
// or OAuth as Meta's Resumable Upload API writes it), or the access_token
// query parameter that Graph also accepts.
func bearer(r *http.Request) string {
	if h := r.Header.Get("Authorization"); h != "" {
		scheme, tok, ok := strings.Cut(h, " ")
		if ok && (strings.EqualFold(scheme, "Bearer") || strings.EqualFold(scheme, "OAuth")) {
			return strings.TrimSpace(tok)
		}
		return ""
	}
	return r.URL.Query().Get("access_token")
}

// tokenWABALocked maps the request's token to a WABA, or returns 190.
func (s *Server) tokenWABALocked(r *http.Request) (string, *apiError) {
	tok := bearer(r)
	if tok == "" {
		return "", newError(CodeAccessToken, "An active access token must be used to query information about the current user.")
	}
	waba, ok := s.tokens[tok]
	if !ok {
		return "", newError(CodeAccessToken, "Invalid OAuth access token - Cannot parse access token.")
	}
	return waba, nil
}

// numberForRequestLocked authorises a call on /{phone-number-id}/…: 190 for a
// bad token, 100 (GraphMethodException) for an unknown id, 190 for a token of
// another WABA.
func (s *Server) numberForRequestLocked(r *http.Request) (*numberState, *apiError) {
	waba, e := s.tokenWABALocked(r)
	if e != nil {
		return nil, e
	}
	id := r.PathValue("id")
	n := s.numbers[id]
	if n == nil {
		return nil, unknownObject(r.Method, id)
	}
	if n.WABAID != waba {
		return nil, newError(CodeAccessToken, "The access token does not grant access to this phone number.")
	}
	return n, nil
}

func (s *Server) learnBaseURL(r *http.Request) {
	if s.cfg.BaseURL != "" || r.Host == "" {
		return
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	if p := r.Header.Get("X-Forwarded-Proto"); p == "http" || p == "https" {
		scheme = p
	}
	base := scheme + "://" + r.Host
	s.mu.Lock()
	s.learnBase = base
	s.mu.Unlock()
}

func (s *Server) baseURLLocked() string {
	if s.cfg.BaseURL != "" {
		return s.cfg.BaseURL
	}
	return s.learnBase
}

// Run blocks until ctx ends or Close is called, then closes the server.
func (s *Server) Run(ctx context.Context) error {
	select {
	case <-ctx.Done():
	case <-s.ctx.Done():
	}
	s.Close()
	return nil
}

// Close stops background work: queued and scheduled webhooks are dropped,
// in-flight POSTs are cancelled. The HTTP handler keeps answering, but sends
// no more webhooks. Close waits for every goroutine it started.
func (s *Server) Close() {
	s.closeOnce.Do(func() {
		s.bgMu.Lock()
		s.closed = true
		s.bgMu.Unlock()
		s.cancel()
		s.wg.Wait()
	})
}

// WaitIdle blocks until no webhook is queued, in flight, awaiting a retry or
// scheduled (status sequences, template decisions), or ctx ends. Tests use it
// to wait for the fake to settle.
func (s *Server) WaitIdle(ctx context.Context) error {
	t := time.NewTicker(2 * time.Millisecond)
	defer t.Stop()
	for s.pending.Load() > 0 {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
	return nil
}

// goBackground runs f as tracked background work: Close waits for it and
// WaitIdle waits while it runs.
func (s *Server) goBackground(f func()) bool {
	// An HTTP handler may start work while Close runs; wg.Add must not race
	// with wg.Wait, hence the lock and the closed flag.
	s.bgMu.Lock()
	defer s.bgMu.Unlock()
	if s.closed {
		return false
	}
	s.pending.Add(1)
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		defer s.pending.Add(-1)
		f()
	}()
	return true
}

// sleep waits d or until Close; it reports whether the server is still open.
func (s *Server) sleep(d time.Duration) bool {
	if d <= 0 {
		return s.ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-s.ctx.Done():
		return false
	}
}

// janitor drops expired media and stale pair-rate entries so a long load test
// does not grow memory without bound.
func (s *Server) janitor() {
	defer s.wg.Done()
	t := time.NewTicker(time.Minute)
	defer t.Stop()
	for {
		select {
		case <-s.ctx.Done():
			return
		case <-t.C:
		}
		now := s.now()
		s.mu.Lock()
		for id, m := range s.media {
			if now.After(m.expires) {
				delete(s.media, id)
			}
		}
		s.dropExpiredUploadsLocked(now)
		for _, n := range s.numbers {
			for to, tat := range n.pairs {
				if tat.Before(now) {
					delete(n.pairs, to)
				}
			}
		}
		s.mu.Unlock()
	}
}

// ListenAndServe runs a fake on addr until ctx ends: the entry point of
// `switchboard fakemeta`. If cfg.BaseURL is empty it is derived from the
// listening address, so media URLs in webhooks point back here.
func ListenAndServe(ctx context.Context, addr string, cfg Config) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	if cfg.BaseURL == "" {
		host, port, _ := net.SplitHostPort(ln.Addr().String())
		if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
			host = "localhost"
		}
		cfg.BaseURL = "http://" + net.JoinHostPort(host, port)
	}
	s := New(cfg)
	defer s.Close()
	srv := &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	s.log.Info("fakemeta listening", "addr", ln.Addr().String(), "webhook_url", cfg.WebhookURL)
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return err
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// newID returns a fresh numeric object id.
func (s *Server) newID() string { return fmt.Sprint(s.ids.Add(1)) }

// newWAMID returns a unique message id shaped like Meta's ("wamid." + base64).
func newWAMID() string {
	return "wamid." + base64.StdEncoding.EncodeToString(randomBytes(30))
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return b
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// unixString is Meta's stringly-typed timestamp in messages and statuses.
func unixString(t time.Time) string { return fmt.Sprint(t.Unix()) }
