package loadgen

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"switchboard/internal/domain"
	"switchboard/internal/inbound"
	"switchboard/internal/number"
	send "switchboard/internal/outbound"
	"switchboard/internal/storage"
	"switchboard/internal/whatsapp/fakemeta"
	"switchboard/internal/whatsapp/graph"
)

// OutboundConfig describes one pacing run (benchmark plan B8): Messages
// queued at once for one number whose throughput is Rate, delivered by the
// real Sender to a fake of Meta on its own HTTP port.
type OutboundConfig struct {
	// Messages is how many text messages are queued, all before sending
	// starts (a campaign).
	Messages int
	// Rate is the number's throughput (numbers.throughput, 1 to 1000
	// messages a second): the limit the Sender paces at.
	Rate int
	// Recipients is how many distinct customers the messages go to, round
	// robin. Default min(Messages, 1000). Pair-rate limits are off on both
	// sides, so only the number's limit applies.
	Recipients int
	// FakeAddr is where the fake of Meta listens. Default 127.0.0.1:0.
	FakeAddr string
	// FakeThroughput is the fake's per-number limit (any send over it in a
	// sliding second is answered 130429). Default Rate.
	FakeThroughput int
	// Timeout bounds the sending. Default 10 × Messages/Rate + 60 s (a
	// Sender slowed by 130429 pauses still finishes).
	Timeout time.Duration
	// PairRate and PairBurst are the Sender's per-recipient pacing
	// (messages a second, and burst), as serve sets them; 0 disables it.
	// The fake's pair-rate limit is off.
	PairRate, PairBurst float64
	// Logger receives the Sender's warnings. Default: discarded.
	Logger *slog.Logger
	// Tune, when set, adjusts the Sender before it starts (tests shorten
	// its back-off). The bench leaves the production settings.
	Tune func(*send.Sender)
}

// OutboundResult is what one pacing run measured. Times are taken at the
// fake, when each send request arrives.
type OutboundResult struct {
	Messages, Recipients int
	Limit                int // the number's throughput
	FakeLimit            int // the fake's limit
	TenantID, NumberID   string

	Enqueue time.Duration // queueing the messages (not part of the rate)
	Elapsed time.Duration // from the Sender's start until no row was pending or sending
	Span    time.Duration // from the first to the last accepted send

	Requests   int         // send requests that reached the fake
	Accepted   int         // answered 200 with a wamid
	TooFast    int         // answered 130429 (over the fake's limit)
	OtherCodes map[int]int // any other answer, by Graph error code (HTTP status when none)
	// Duplicates are accepted sends of a message already accepted (same
	// reference, or same recipient and text), plus wamids seen twice.
	Duplicates int

	// Outbox rows by final state, and rows still unsettled at the end.
	Sent, Failed, Uncertain, Unsettled int
	// NotRecorded: wamids the fake accepted that no message row holds.
	// Unknown: wamids in message rows the fake never issued (another
	// sender worked on this database).
	NotRecorded, Unknown int

	// AchievedRate is (Accepted − 1) ÷ Span: N acceptances span N − 1
	// intervals, so a Sender paced exactly at the limit scores the limit.
	AchievedRate float64
	// RatioToLimit is AchievedRate ÷ Limit.
	RatioToLimit float64
	// MaxWindow is the most sends accepted in any one-second window, and
	// MaxWindowAt where that window starts (seconds after the first).
	MaxWindow   int
	MaxWindowAt float64
	// MaxRequestWindow counts every request (refused ones too) the same
	// way: how fast the Sender actually went.
	MaxRequestWindow int
	// OverLimit is how many accepted sends were more than Limit within the
	// second before them.
	OverLimit int
	// PerSecond is accepted sends per whole second from the first.
	PerSecond []int
}

// WithinTolerance reports whether the achieved rate is within tol (0.02
// for 2 %) below the limit and not above it.
func (r OutboundResult) WithinTolerance(tol float64) bool {
	return r.Limit > 0 && r.AchievedRate >= float64(r.Limit)*(1-tol) && r.AchievedRate <= float64(r.Limit)
}

// NoneOver reports whether no send went over the limit: no 130429, and no
// one-second window with more than Limit accepted sends.
func (r OutboundResult) NoneOver() bool {
	return r.TooFast == 0 && r.MaxWindow <= r.Limit && r.OverLimit == 0
}

// Complete reports whether every message was sent exactly once.
func (r OutboundResult) Complete() bool {
	return r.Sent == r.Messages && r.Accepted == r.Messages && r.Duplicates == 0 && r.Failed == 0 &&
		r.Uncertain == 0 && r.Unsettled == 0 && r.NotRecorded == 0 && r.Unknown == 0
}

// DefaultOutboundRecipients is the default count of distinct customers.
const DefaultOutboundRecipients = 1000

func (c OutboundConfig) withDefaults() (OutboundConfig, error) {
	switch {
	case c.Messages < 1:
		return c, errors.New("loadgen: Messages must be at least 1")
	case c.Rate < 1 || c.Rate > 1000:
		return c, errors.New("loadgen: Rate must be from 1 to 1000 (a number's throughput)")
	case c.Recipients < 0 || c.FakeThroughput < 0:
		return c, errors.New("loadgen: Recipients and FakeThroughput cannot be negative")
	}
	if c.Recipients == 0 {
		c.Recipients = min(c.Messages, DefaultOutboundRecipients)
	}
	c.Recipients = min(c.Recipients, c.Messages)
	if c.FakeAddr == "" {
		c.FakeAddr = "127.0.0.1:0"
	}
	if c.FakeThroughput == 0 {
		c.FakeThroughput = c.Rate
	}
	if c.Timeout <= 0 {
		c.Timeout = 10*time.Duration(float64(c.Messages)/float64(c.Rate)*float64(time.Second)) + time.Minute
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c, nil
}

// Outbound runs one pacing benchmark against store: it creates a tenant
// and a sandbox number with throughput Rate, starts the fake of Meta on its
// own port with the same limit, queues the messages, runs the Sender until
// every outbox row is settled, and measures at the fake. Progress lines go
// to progress (may be nil). The database must not be served by a running
// `switchboard serve`: its sender would take the rows.
func Outbound(ctx context.Context, store *storage.Store, numbers *number.Service, cfg OutboundConfig, progress io.Writer) (OutboundResult, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return OutboundResult{}, err
	}
	if progress == nil {
		progress = io.Discard
	}
	res := OutboundResult{Messages: cfg.Messages, Recipients: cfg.Recipients, Limit: cfg.Rate, FakeLimit: cfg.FakeThroughput,
		OtherCodes: map[int]int{}}
	run := runID(4)

	// The tenant and its sandbox number (ids and token made up).
	n, err := outboundNumber(ctx, store, numbers, run, cfg.Rate)
	if err != nil {
		return res, err
	}
	res.TenantID, res.NumberID = n.TenantID, n.ID
	token, err := numbers.AccessToken(n)
	if err != nil {
		return res, fmt.Errorf("loadgen: open the number's token: %w", err)
	}

	// The fake of Meta, standalone: its own listener and HTTP server; the
	// meter in front of it timestamps every send as it arrives.
	fake := fakemeta.New(fakemeta.Config{
		AppSecret: "loadgen-outbound-" + run, Throughput: cfg.FakeThroughput, ThroughputIgnoresInbound: true,
		PairRate: -1, StatusSequence: []string{}, StatusDelay: -1,
	})
	defer fake.Close()
	ln, err := net.Listen("tcp", cfg.FakeAddr)
	if err != nil {
		return res, fmt.Errorf("loadgen: fake of Meta: %w", err)
	}
	meter := &sendMeter{}
	srv := &http.Server{Handler: meter.wrap(fake.Handler()), ReadHeaderTimeout: 10 * time.Second}
	serveDone := make(chan struct{})
	go func() { defer close(serveDone); _ = srv.Serve(ln) }()
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
		<-serveDone
	}()
	fakeURL := "http://" + ln.Addr().String()
	if err := fake.AddNumber(fakemeta.Number{PhoneNumberID: n.PhoneNumberID, DisplayPhoneNumber: n.DisplayPhone,
		WABAID: n.WABAID, AccessToken: token}); err != nil {
		return res, err
	}

	// Every recipient has written to the number within 24 hours, at the
	// fake and in our database, so free text is allowed on both sides.
	recipients := make([]string, cfg.Recipients)
	for i := range recipients {
		recipients[i] = fmt.Sprintf("3932%08d", i)
		if _, err := fake.CustomerSends(ctx, n.PhoneNumberID, fakemeta.InboundMessage{From: recipients[i], Text: "hello"}); err != nil {
			return res, fmt.Errorf("loadgen: open the window at the fake: %w", err)
		}
	}
	fmt.Fprintf(progress, "outbound: queueing %d messages to %d recipients for number %s (throughput %d/s); fake of Meta at %s (limit %d/s)\n",
		cfg.Messages, cfg.Recipients, n.PhoneNumberID, cfg.Rate, fakeURL, cfg.FakeThroughput)
	start := time.Now()
	if err := enqueueOutbound(ctx, store, n, run, recipients, cfg.Messages); err != nil {
		return res, err
	}
	res.Enqueue = time.Since(start)

	// The real Sender, with the production settings, through the Cloud
	// API client pointed at the fake.
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 64
	client := &graph.Client{HTTP: &http.Client{Timeout: 30 * time.Second, Transport: tr}, BaseURL: fakeURL, Version: "v23.0"}
	defer tr.CloseIdleConnections()
	// No media is sent, so the Sender needs no blob store.
	sender := send.NewSender(store, send.GraphTransport{Client: func(domain.Number) *graph.Client { return client }},
		nil, numbers.AccessToken, cfg.Logger, cfg.PairRate, cfg.PairBurst)
	sender.ApplyStatuses = inbound.ApplyRecordedStatuses // as serve does
	if cfg.Tune != nil {
		cfg.Tune(sender)
	}
	fmt.Fprintf(progress, "outbound: queued in %v; sending\n", res.Enqueue.Round(time.Millisecond))

	sctx, stop := context.WithCancel(ctx)
	var senderDone sync.WaitGroup
	senderDone.Go(func() { sender.Run(sctx) })
	begin := time.Now()
	deadline := begin.Add(cfg.Timeout)
	states, runErr := waitSettled(ctx, store, n.TenantID, deadline, func(st map[string]int) {
		fmt.Fprintf(progress, "outbound: %6.1fs  sent %d/%d, 130429 answers %d, pending %d\n",
			time.Since(begin).Seconds(), st["sent"], cfg.Messages, meter.count(graph.CodeThroughput), st["pending"]+st["sending"])
	})
	res.Elapsed = time.Since(begin)
	stop()
	senderDone.Wait()
	if runErr == nil {
		// Rows settled just before the stop are final; read them again.
		states, runErr = outboxStates(ctx, store, n.TenantID)
	}
	res.Sent, res.Failed, res.Uncertain = states["sent"], states["failed"], states["uncertain"]
	res.Unsettled = states["pending"] + states["sending"]

	recorded, err := outboundWAMIDs(ctx, store, n.TenantID)
	if err != nil && runErr == nil {
		runErr = err
	}
	meter.summarise(&res, recorded)
	return res, runErr
}

// outboundNumber creates a tenant of its own and a sandbox number on it.
func outboundNumber(ctx context.Context, store *storage.Store, numbers *number.Service, run string, rate int) (domain.Number, error) {
	plans, err := store.ListPlans(ctx)
	if err != nil {
		return domain.Number{}, fmt.Errorf("loadgen: list plans (is the database migrated?): %w", err)
	}
	planID := ""
	for _, p := range plans {
		if p.MaxNumbers >= 1 {
			planID = p.ID
			break
		}
	}
	if planID == "" {
		return domain.Number{}, errors.New("loadgen: no plan allows a number")
	}
	slug := "loadgen-outbound-" + run
	actor := storage.Actor{Email: "loadgen"}
	// The administrator cannot sign in: "!" is no password hash.
	t, err := store.CreateTenant(ctx, actor, storage.NewTenant{Name: "Outbound pacing benchmark " + run, Slug: slug, PlanID: planID,
		Admin: domain.User{Email: "loadgen@" + slug + ".invalid", Name: "loadgen", PasswordHash: "!"}})
	if err != nil {
		return domain.Number{}, fmt.Errorf("loadgen: create the benchmark tenant: %w", err)
	}
	n, err := numbers.Add(ctx, actor, number.AddInput{TenantID: t.ID, Sandbox: true, Throughput: rate})
	if err != nil {
		return domain.Number{}, fmt.Errorf("loadgen: add the benchmark number: %w", err)
	}
	return n, nil
}

// enqueueOutbound opens each recipient's 24-hour window (as the inbound
// processor would on a customer's message) and queues the messages round
// robin, 500 per transaction: the outbox rows the Sender claims are the
// same as Service.Send's, without one commit per message.
func enqueueOutbound(ctx context.Context, store *storage.Store, n domain.Number, run string, recipients []string, count int) error {
	contacts := make([]string, len(recipients))
	const batch = 500
	now := time.Now()
	for lo := 0; lo < len(recipients); lo += batch {
		err := store.InTenant(ctx, n.TenantID, func(tx pgx.Tx) error {
			itx := storage.Inbound(tx)
			for i := lo; i < min(lo+batch, len(recipients)); i++ {
				cid, err := itx.UpsertContact(ctx, n.TenantID, storage.ContactKey{WaID: recipients[i]})
				if err != nil {
					return err
				}
				conv, err := itx.OpenConversation(ctx, n.TenantID, n.ID, cid)
				if err != nil {
					return err
				}
				if err := itx.TouchConversation(ctx, n.TenantID, conv, now, true); err != nil {
					return err
				}
				contacts[i] = cid
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("loadgen: open the recipients' windows: %w", err)
		}
	}
	// Four writers, each with its own recipients (no two touch one
	// conversation), so queueing waits on fewer commits.
	const writers = 4
	errs := make([]error, writers)
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			var mine []int
			for i := range count {
				if (i%len(contacts))%writers == w {
					mine = append(mine, i)
				}
			}
			for lo := 0; lo < len(mine) && errs[w] == nil; lo += batch {
				errs[w] = store.InTenant(ctx, n.TenantID, func(tx pgx.Tx) error {
					itx := storage.Inbound(tx)
					for _, i := range mine[lo:min(lo+batch, len(mine))] {
						c := send.Content{Type: send.TypeText, Text: fmt.Sprintf("B8 %s message %d", run, i)}
						if _, _, err := itx.EnqueueOutbound(ctx, storage.Outgoing{TenantID: n.TenantID, NumberID: n.ID,
							ContactID: contacts[i%len(contacts)], Type: c.Type, Text: c.Text, Sender: "loadgen", Payload: c}); err != nil {
							return err
						}
					}
					return nil
				})
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("loadgen: queue messages: %w", err)
	}
	return nil
}

// waitSettled polls the tenant's outbox until no row is pending or
// sending, the deadline passes or ctx ends. report is called about every
// 10 s.
func waitSettled(ctx context.Context, store *storage.Store, tenantID string, deadline time.Time, report func(map[string]int)) (map[string]int, error) {
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	lastReport := time.Now()
	for {
		select {
		case <-ctx.Done():
			st, _ := outboxStates(context.WithoutCancel(ctx), store, tenantID)
			return st, ctx.Err()
		case <-tick.C:
		}
		st, err := outboxStates(ctx, store, tenantID)
		if err != nil {
			return st, err
		}
		if st["pending"]+st["sending"] == 0 {
			return st, nil
		}
		if time.Now().After(deadline) {
			return st, fmt.Errorf("loadgen: timed out with %d rows pending or sending", st["pending"]+st["sending"])
		}
		if time.Since(lastReport) >= 10*time.Second {
			lastReport = time.Now()
			report(st)
		}
	}
}

func outboxStates(ctx context.Context, store *storage.Store, tenantID string) (map[string]int, error) {
	out := map[string]int{}
	err := store.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT state, count(*) FROM outbox WHERE tenant_id = $1 GROUP BY state`, tenantID)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var s string
			var c int
			if err := rows.Scan(&s, &c); err != nil {
				return err
			}
			out[s] = c
		}
		return rows.Err()
	})
	return out, err
}

func outboundWAMIDs(ctx context.Context, store *storage.Store, tenantID string) ([]string, error) {
	var out []string
	err := store.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT wamid FROM messages WHERE tenant_id = $1 AND direction = 'outbound' AND wamid IS NOT NULL`, tenantID)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var w string
			if err := rows.Scan(&w); err != nil {
				return err
			}
			out = append(out, w)
		}
		return rows.Err()
	})
	return out, err
}

// sendMeter wraps the fake's handler and records every send request: when
// it arrived, who it was for, and what the fake answered.
type sendMeter struct {
	mu     sync.Mutex
	events []sendEvent
	codes  map[int]int
}

type sendEvent struct {
	at                   time.Time
	status, code         int // HTTP status; Graph error code (0 when accepted)
	to, text, ref, wamid string
}

func (m *sendMeter) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || !strings.HasSuffix(r.URL.Path, "/messages") {
			h.ServeHTTP(w, r)
			return
		}
		at := time.Now()
		body, err := io.ReadAll(io.LimitReader(r.Body, 4<<20))
		if err != nil {
			http.Error(w, "reading the request", http.StatusBadRequest)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		cw := &captureWriter{ResponseWriter: w, status: http.StatusOK}
		h.ServeHTTP(cw, r)

		var req struct {
			To   string `json:"to"`
			Ref  string `json:"biz_opaque_callback_data"`
			Text *struct {
				Body string `json:"body"`
			} `json:"text"`
			Status string `json:"status"`
		}
		_ = json.Unmarshal(body, &req)
		if req.Status != "" {
			return // a mark-as-read, not a send
		}
		ev := sendEvent{at: at, status: cw.status, to: req.To, ref: req.Ref}
		if req.Text != nil {
			ev.text = req.Text.Body
		}
		if cw.status == http.StatusOK {
			var ans struct {
				Messages []struct {
					ID string `json:"id"`
				} `json:"messages"`
			}
			if json.Unmarshal(cw.body.Bytes(), &ans) == nil && len(ans.Messages) > 0 {
				ev.wamid = ans.Messages[0].ID
			}
		} else {
			var ans struct {
				Error struct {
					Code int `json:"code"`
				} `json:"error"`
			}
			_ = json.Unmarshal(cw.body.Bytes(), &ans)
			ev.code = ans.Error.Code
			if ev.code == 0 {
				ev.code = cw.status
			}
		}
		m.mu.Lock()
		m.events = append(m.events, ev)
		if ev.code != 0 {
			if m.codes == nil {
				m.codes = map[int]int{}
			}
			m.codes[ev.code]++
		}
		m.mu.Unlock()
	})
}

func (m *sendMeter) count(code int) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.codes[code]
}

// summarise fills res from the recorded sends; recorded are the wamids
// the database holds.
func (m *sendMeter) summarise(res *OutboundResult, recorded []string) {
	m.mu.Lock()
	events := slices.Clone(m.events)
	m.mu.Unlock()
	slices.SortStableFunc(events, func(a, b sendEvent) int { return a.at.Compare(b.at) })

	var accepted, requests []time.Time
	refs, pairs, wamids := map[string]bool{}, map[string]bool{}, map[string]bool{}
	for _, ev := range events {
		res.Requests++
		requests = append(requests, ev.at)
		switch {
		case ev.status == http.StatusOK && ev.wamid != "":
			res.Accepted++
			accepted = append(accepted, ev.at)
			pair := ev.to + "\x00" + ev.text
			if (ev.ref != "" && refs[ev.ref]) || pairs[pair] || wamids[ev.wamid] {
				res.Duplicates++
			}
			refs[ev.ref], pairs[pair], wamids[ev.wamid] = true, true, true
		case ev.code == graph.CodeThroughput:
			res.TooFast++
		default:
			res.OtherCodes[ev.code]++
		}
	}
	inDB := map[string]bool{}
	for _, w := range recorded {
		inDB[w] = true
		if !wamids[w] {
			res.Unknown++
		}
	}
	for w := range wamids {
		if !inDB[w] {
			res.NotRecorded++
		}
	}
	if len(accepted) == 0 {
		return
	}
	res.Span = accepted[len(accepted)-1].Sub(accepted[0])
	if s := res.Span.Seconds(); s > 0 {
		res.AchievedRate = float64(res.Accepted-1) / s
		res.RatioToLimit = res.AchievedRate / float64(res.Limit)
	}
	var at time.Time
	res.MaxWindow, at, res.OverLimit = slidingWindow(accepted, time.Second, res.Limit)
	res.MaxWindowAt = at.Sub(accepted[0]).Seconds()
	res.MaxRequestWindow, _, _ = slidingWindow(requests, time.Second, res.Limit)
	res.PerSecond = make([]int, int(res.Span/time.Second)+1)
	for _, t := range accepted {
		res.PerSecond[int(t.Sub(accepted[0])/time.Second)]++
	}
}

// slidingWindow scans sorted times and returns the most that fall within
// any window of length w (a window [t, t+w)), where the fullest window
// starts, and how many times had more than limit within the window ending
// at them: the same rule as the fake's limiter.
func slidingWindow(times []time.Time, w time.Duration, limit int) (most int, start time.Time, over int) {
	lo := 0
	for hi, t := range times {
		for t.Sub(times[lo]) >= w {
			lo++
		}
		n := hi - lo + 1
		if n > most {
			most, start = n, times[lo]
		}
		if n > limit {
			over++
		}
	}
	return most, start, over
}

// captureWriter passes the answer through and keeps a copy of it.
type captureWriter struct {
	http.ResponseWriter
	status int
	body   bytes.Buffer
}

func (c *captureWriter) WriteHeader(status int) {
	c.status = status
	c.ResponseWriter.WriteHeader(status)
}

func (c *captureWriter) Write(b []byte) (int, error) {
	if c.body.Len() < 64<<10 {
		c.body.Write(b)
	}
	return c.ResponseWriter.Write(b)
}

func runID(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// WriteSummary prints the result as a few aligned lines.
func (r OutboundResult) WriteSummary(w io.Writer) {
	fmt.Fprintf(w, "outbound:   %d messages to %d recipients, number throughput %d/s, fake's limit %d/s\n",
		r.Messages, r.Recipients, r.Limit, r.FakeLimit)
	fmt.Fprintf(w, "elapsed:    %v sending (queued beforehand in %v)\n", r.Elapsed.Round(time.Millisecond), r.Enqueue.Round(time.Millisecond))
	fmt.Fprintf(w, "achieved:   %.2f/s = %d accepted in %v (first to last acceptance, N − 1 intervals); %.2f%% of the limit\n",
		r.AchievedRate, r.Accepted, r.Span.Round(time.Millisecond), 100*r.RatioToLimit)
	fmt.Fprintf(w, "windows:    at most %d accepted in any 1 s (at +%.1fs), %d over the limit; at most %d requests in any 1 s\n",
		r.MaxWindow, r.MaxWindowAt, r.OverLimit, r.MaxRequestWindow)
	other := 0
	for _, c := range r.OtherCodes {
		other += c
	}
	fmt.Fprintf(w, "answers:    %d requests: %d accepted, %d × 130429 (too fast), %d other refusals\n", r.Requests, r.Accepted, r.TooFast, other)
	fmt.Fprintf(w, "outbox:     %d sent, %d failed, %d uncertain, %d unsettled; duplicates %d; accepted but not recorded %d; unknown wamids %d\n",
		r.Sent, r.Failed, r.Uncertain, r.Unsettled, r.Duplicates, r.NotRecorded, r.Unknown)
	fmt.Fprintf(w, "goals:      within 2%% of the limit: %s; none over the limit: %s; every message once: %s\n",
		yesNo(r.WithinTolerance(0.02)), yesNo(r.NoneOver()), yesNo(r.Complete()))
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// WriteJSON writes the result as one JSON object.
func (r OutboundResult) WriteJSON(w io.Writer) error {
	codes := map[string]int{}
	for k, v := range r.OtherCodes {
		codes[fmt.Sprint(k)] = v
	}
	perSecond := r.PerSecond
	if perSecond == nil {
		perSecond = []int{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(struct {
		Messages         int            `json:"messages"`
		Recipients       int            `json:"recipients"`
		Limit            int            `json:"limit"`
		FakeLimit        int            `json:"fake_limit"`
		EnqueueSeconds   float64        `json:"enqueue_s"`
		ElapsedSeconds   float64        `json:"elapsed_s"`
		SpanSeconds      float64        `json:"span_s"`
		Requests         int            `json:"requests"`
		Accepted         int            `json:"accepted"`
		TooFast          int            `json:"too_fast_130429"`
		OtherCodes       map[string]int `json:"other_refusals"`
		Duplicates       int            `json:"duplicates"`
		Sent             int            `json:"sent"`
		Failed           int            `json:"failed"`
		Uncertain        int            `json:"uncertain"`
		Unsettled        int            `json:"unsettled"`
		NotRecorded      int            `json:"accepted_not_recorded"`
		Unknown          int            `json:"unknown_wamids"`
		AchievedRate     float64        `json:"achieved_rate"`
		RatioToLimit     float64        `json:"ratio_to_limit"`
		MaxWindow        int            `json:"max_1s_window"`
		MaxWindowAt      float64        `json:"max_1s_window_at_s"`
		OverLimit        int            `json:"over_limit"`
		MaxRequestWindow int            `json:"max_1s_window_requests"`
		WithinTwoPercent bool           `json:"goal_within_2pct"`
		NoneOver         bool           `json:"goal_none_over"`
		Complete         bool           `json:"goal_every_message_once"`
		PerSecond        []int          `json:"accepted_per_second"`
	}{
		r.Messages, r.Recipients, r.Limit, r.FakeLimit, r.Enqueue.Seconds(), r.Elapsed.Seconds(), r.Span.Seconds(),
		r.Requests, r.Accepted, r.TooFast, codes, r.Duplicates, r.Sent, r.Failed, r.Uncertain, r.Unsettled,
		r.NotRecorded, r.Unknown, r.AchievedRate, r.RatioToLimit, r.MaxWindow, r.MaxWindowAt, r.OverLimit,
		r.MaxRequestWindow, r.WithinTolerance(0.02), r.NoneOver(), r.Complete(), perSecond,
	})
}
