package outbound_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"switchboard/internal/domain"
	"switchboard/internal/outbound"
	"switchboard/internal/server/servertest"
	"switchboard/internal/storage"
)

// recorder is a transport that counts what reaches "Meta", optionally
// failing the first attempts of every message with a retryable error.
type recorder struct {
	mu        sync.Mutex
	delivered map[string]int // reference → times
	times     []time.Time
	failFirst int
	attempts  map[string]int
}

func newRecorder(failFirst int) *recorder {
	return &recorder{delivered: map[string]int{}, attempts: map[string]int{}, failFirst: failFirst}
}

func (r *recorder) Deliver(_ context.Context, _ domain.Number, _ string, d outbound.Delivery) (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.attempts[d.Reference]++
	if r.attempts[d.Reference] <= r.failFirst {
		code := 130429
		if r.attempts[d.Reference]%2 == 0 {
			return "", &outbound.SendError{Title: "Service Unavailable", Details: "HTTP 503", Retryable: true}
		}
		return "", &outbound.SendError{Code: &code, Title: "Rate limit hit", Retryable: true, TooFast: true}
	}
	r.delivered[d.Reference]++
	r.times = append(r.times, time.Now())
	return fmt.Sprintf("wamid.test.%s.%d", d.Reference, r.delivered[d.Reference]), nil
}

func (r *recorder) Upload(context.Context, domain.Number, string, string, string, io.Reader) (string, error) {
	return "meta-media-1", nil
}

// queue writes n text messages to one customer whose window is open.
func queue(t *testing.T, app *servertest.App, n domain.Number, contact domain.Contact, count int) []string {
	t.Helper()
	var ids []string
	for i := 0; i < count; i++ {
		m, _, err := app.Outbound.Send(context.Background(), outbound.Request{TenantID: n.TenantID, NumberID: n.ID, ContactID: contact.ID,
			Content: outbound.Content{Type: outbound.TypeText, Text: fmt.Sprintf("message %d", i)}})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, m.ID)
	}
	return ids
}

// openWindow plays a customer writing, processing synchronously.
func openWindow(t *testing.T, app *servertest.App, n domain.Number, waID string) domain.Contact {
	t.Helper()
	ctx := context.Background()
	err := app.DB.Store.InTenant(ctx, n.TenantID, func(tx pgx.Tx) error {
		itx := storage.Inbound(tx)
		cid, err := itx.UpsertContact(ctx, n.TenantID, storage.ContactKey{WaID: waID})
		if err != nil {
			return err
		}
		conv, err := itx.OpenConversation(ctx, n.TenantID, n.ID, cid)
		if err != nil {
			return err
		}
		return itx.TouchConversation(ctx, n.TenantID, conv, time.Now(), true)
	})
	if err != nil {
		t.Fatal(err)
	}
	cs, _ := app.DB.Store.ListContacts(ctx, n.TenantID, waID, storage.Page{Limit: 1})
	return cs[0]
}

func newSender(app *servertest.App, tr outbound.Transport) *outbound.Sender {
	s := outbound.NewSender(app.DB.Store, tr, app.Blobs, app.Numbers.AccessToken, app.Processor.Logger(), 0, 0)
	s.BackoffBase = 5 * time.Millisecond
	s.BackoffCap = 50 * time.Millisecond
	s.TooFastPause = 20 * time.Millisecond
	return s
}

func outboxStates(t *testing.T, app *servertest.App, tenantID string) map[string]int {
	out := map[string]int{}
	err := app.DB.Store.InTenant(context.Background(), tenantID, func(tx pgx.Tx) error {
		rows, err := tx.Query(context.Background(), `SELECT state, count(*) FROM outbox WHERE tenant_id = $1 GROUP BY state`, tenantID)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var s string
			var n int
			if err := rows.Scan(&s, &n); err != nil {
				return err
			}
			out[s] = n
		}
		return rows.Err()
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestTwoSendersSendEveryRowExactlyOnce(t *testing.T) {
	t.Parallel()
	app := servertest.New(t)
	n := sandboxNumber(t, app)
	c := openWindow(t, app, n, "393330001111")
	ids := queue(t, app, n, c, 200)
	rec := newRecorder(0)
	a, b := newSender(app, rec), newSender(app, rec)
	ctx := context.Background()
	var wg sync.WaitGroup
	wg.Go(func() { a.Drain(ctx) })
	wg.Go(func() { b.Drain(ctx) })
	wg.Wait()
	for _, id := range ids {
		if got := rec.delivered["sb:"+id]; got != 1 {
			t.Fatalf("message %s delivered %d times", id, got)
		}
	}
	if st := outboxStates(t, app, n.TenantID); st["sent"] != 200 {
		t.Fatalf("outbox: %v", st)
	}
}

func TestACrashBetweenMetaAndOurRecordNeverSendsTwice(t *testing.T) {
	t.Parallel()
	app := servertest.New(t)
	ctx := context.Background()
	n := sandboxNumber(t, app)
	c := openWindow(t, app, n, "393330002222")
	ids := queue(t, app, n, c, 10)
	// A worker claims five rows, Meta accepts them, and the process dies
	// before recording the answers.
	rows, err := app.DB.Store.ClaimOutbox(ctx, 5, 200*time.Millisecond)
	if err != nil || len(rows) != 5 {
		t.Fatalf("claim: %d %v", len(rows), err)
	}
	rec := newRecorder(0)
	for _, r := range rows {
		rec.delivered["sb:"+r.MessageID]++
	}
	time.Sleep(300 * time.Millisecond) // the dead worker's lease runs out
	if n, err := app.DB.Store.MarkUncertain(ctx); err != nil || n != 5 {
		t.Fatalf("marked uncertain: %d %v", n, err)
	}
	// The restarted sender sends the other five, and not these again.
	newSender(app, rec).Drain(ctx)
	for _, id := range ids {
		if got := rec.delivered["sb:"+id]; got != 1 {
			t.Fatalf("message %s delivered %d times", id, got)
		}
	}
	st := outboxStates(t, app, n.TenantID)
	if st["sent"] != 5 || st["uncertain"] != 5 {
		t.Fatalf("outbox: %v", st)
	}
	// The uncertain messages say so, for a person to see.
	m, _ := app.DB.Store.Message(ctx, n.TenantID, rows[0].MessageID)
	if !m.Uncertain {
		t.Fatalf("message not marked uncertain: %+v", m)
	}
}

func TestRetryableErrorsAreRetriedWithBackoffThenSucceed(t *testing.T) {
	t.Parallel()
	app := servertest.New(t)
	ctx := context.Background()
	n := sandboxNumber(t, app)
	c := openWindow(t, app, n, "393330003333")
	ids := queue(t, app, n, c, 5)
	rec := newRecorder(3) // 130429, 503, 130429, then accepted
	s := newSender(app, rec)
	deadline := time.Now().Add(20 * time.Second)
	for outboxStates(t, app, n.TenantID)["sent"] < 5 && time.Now().Before(deadline) {
		s.Drain(ctx)
		time.Sleep(20 * time.Millisecond)
	}
	for _, id := range ids {
		if rec.delivered["sb:"+id] != 1 || rec.attempts["sb:"+id] != 4 {
			t.Fatalf("message %s: %d deliveries after %d attempts", id, rec.delivered["sb:"+id], rec.attempts["sb:"+id])
		}
		if m, _ := app.DB.Store.Message(ctx, n.TenantID, id); m.WAMID == "" || m.Status != "accepted" {
			t.Fatalf("message after retries: %+v", m)
		}
	}
	// Past the limit a retryable error is final, with its reason.
	s.MaxAttempts = 2
	failing := newRecorder(100)
	s2 := newSender(app, failing)
	s2.MaxAttempts = 2
	last := queue(t, app, n, c, 1)[0]
	for i := 0; i < 50 && outboxStates(t, app, n.TenantID)["failed"] == 0; i++ {
		s2.Drain(ctx)
		time.Sleep(20 * time.Millisecond)
	}
	if m, _ := app.DB.Store.Message(ctx, n.TenantID, last); m.Status != "failed" || m.ErrorTitle == "" {
		t.Fatalf("after the retry limit: %+v", m)
	}
}

func TestPacingHoldsANumberAtItsRate(t *testing.T) {
	t.Parallel()
	app := servertest.New(t)
	ctx := context.Background()
	n := sandboxNumber(t, app)
	const rate = 20
	if err := app.DB.Store.InTenant(ctx, n.TenantID, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `UPDATE numbers SET throughput = $3 WHERE tenant_id = $1 AND id = $2`, n.TenantID, n.ID, rate)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	// Several customers, so only the number's limit applies.
	for i := 0; i < 6; i++ {
		c := openWindow(t, app, n, fmt.Sprintf("39333000%04d", i))
		queue(t, app, n, c, 10)
	}
	rec := newRecorder(0)
	s := newSender(app, rec)
	for outboxStates(t, app, n.TenantID)["sent"] < 60 {
		s.Drain(ctx)
	}
	times := append([]time.Time(nil), rec.times...)
	sort.Slice(times, func(i, j int) bool { return times[i].Before(times[j]) })
	// No one-second window holds more than the rate (Meta's window is a
	// strict one).
	worst := 0
	for i := range times {
		j := i
		for j < len(times) && times[j].Sub(times[i]) < time.Second {
			j++
		}
		worst = max(worst, j-i)
	}
	if worst > rate {
		t.Fatalf("%d messages in one second at a rate of %d/s", worst, rate)
	}
	// A full window may go at once; the other 40 need two more seconds.
	if spread := times[len(times)-1].Sub(times[0]); spread < 2*time.Second {
		t.Fatalf("60 messages at %d/s went out in %v", rate, spread)
	}
}

// slowUploads is a recorder whose uploads take a while and are counted.
type slowUploads struct {
	*recorder
	uploads atomic.Int32
}

func (s *slowUploads) Upload(context.Context, domain.Number, string, string, string, io.Reader) (string, error) {
	n := s.uploads.Add(1)
	time.Sleep(50 * time.Millisecond)
	return fmt.Sprintf("meta-media-%d", n), nil
}

// TestOneFileToManyIsUploadedOnce: the same picture to twenty customers at
// once (a keyword rule's answer in a burst) is uploaded to Meta once, and
// every customer gets it.
func TestOneFileToManyIsUploadedOnce(t *testing.T) {
	t.Parallel()
	app := servertest.New(t)
	n := sandboxNumber(t, app)
	ctx := context.Background()
	photo := append([]byte("\xff\xd8\xff\xe0\x00\x10JFIF\x00"), make([]byte, 2000)...)
	m, err := outbound.StoreMedia(ctx, app.DB.Store, app.Blobs, outbound.Upload{TenantID: n.TenantID, NumberID: n.ID,
		Kind: outbound.TypeImage, Filename: "menu.jpg", MimeType: "image/jpeg", Size: int64(len(photo)), File: bytes.NewReader(photo)})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 20 {
		c := openWindow(t, app, n, fmt.Sprintf("3933300022%02d", i))
		if _, _, err := app.Outbound.Send(ctx, outbound.Request{TenantID: n.TenantID, NumberID: n.ID, ContactID: c.ID,
			Content: outbound.Content{Type: outbound.TypeImage, MediaID: m.ID, Text: "Menu"}}); err != nil {
			t.Fatal(err)
		}
	}
	tr := &slowUploads{recorder: newRecorder(0)}
	newSender(app, tr).Drain(ctx)
	if got := tr.uploads.Load(); got != 1 {
		t.Errorf("the picture was uploaded %d times", got)
	}
	if got := len(tr.delivered); got != 20 {
		t.Errorf("%d customers got it, want 20", got)
	}
}
