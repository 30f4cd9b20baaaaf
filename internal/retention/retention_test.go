package retention

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"switchboard/internal/blob"
	"switchboard/internal/storage"
	"switchboard/internal/storage/storagetest"
)

// world is a tenant's conversation with messages of various ages, some
// carrying a stored file.
type world struct {
	t      *testing.T
	db     *storagetest.DB
	blobs  *blob.Dir
	conv   map[string]string // tenant → conversation
	number map[string]string
}

// message stores a message created age ago, with a file when withFile,
// and returns its wamid and the file's blob key.
func (w *world) message(tenantID, wamid string, age time.Duration, withFile bool) string {
	w.t.Helper()
	ctx := context.Background()
	key := ""
	err := w.db.Store.InPlatform(ctx, func(tx pgx.Tx) error {
		var mediaID *string
		if withFile {
			key = "media/" + tenantID + "/" + wamid
			if _, err := w.blobs.Put(ctx, key, strings.NewReader("photo of "+wamid)); err != nil {
				return err
			}
			var id string
			if err := tx.QueryRow(ctx, `INSERT INTO media (tenant_id, number_id, meta_media_id, blob_key, state, created_at)
				VALUES ($1, $2, $3, $4, 'stored', now() - $5::interval) RETURNING id`,
				tenantID, w.number[tenantID], "m-"+wamid, key, age.String()).Scan(&id); err != nil {
				return err
			}
			mediaID = &id
		}
		if _, err := tx.Exec(ctx, `INSERT INTO messages (tenant_id, conversation_id, wamid, direction, type, media_id, wa_timestamp, created_at)
			VALUES ($1, $2, $3, 'inbound', 'image', $4, now() - $5::interval, now() - $5::interval)`,
			tenantID, w.conv[tenantID], wamid, mediaID, age.String()); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO message_statuses (tenant_id, wamid, status, wa_timestamp, created_at)
			VALUES ($1, $2, 'read', now() - $3::interval, now() - $3::interval)`, tenantID, wamid, age.String())
		return err
	})
	if err != nil {
		w.t.Fatal(err)
	}
	return key
}

func (w *world) wamids(tenantID string) string {
	w.t.Helper()
	var got []string
	err := w.db.Store.InTenant(context.Background(), tenantID, func(tx pgx.Tx) error {
		rows, err := tx.Query(context.Background(), `SELECT wamid FROM messages WHERE tenant_id = $1 ORDER BY wamid`, tenantID)
		if err != nil {
			return err
		}
		got, err = pgx.CollectRows(rows, pgx.RowTo[string])
		return err
	})
	if err != nil {
		w.t.Fatal(err)
	}
	return strings.Join(got, ",")
}

func (w *world) count(tenantID, sql string) int {
	w.t.Helper()
	var n int
	if err := w.db.Store.InTenant(context.Background(), tenantID, func(tx pgx.Tx) error {
		return tx.QueryRow(context.Background(), sql, tenantID).Scan(&n)
	}); err != nil {
		w.t.Fatal(err)
	}
	return n
}

func (w *world) fileExists(key string) bool {
	r, err := w.blobs.Open(context.Background(), key)
	if errors.Is(err, blob.ErrNotFound) {
		return false
	}
	if err != nil {
		w.t.Fatal(err)
	}
	r.Close()
	return true
}

func newWorld(t *testing.T) (*world, storagetest.Fixtures) {
	db := storagetest.NewDB(t)
	f := storagetest.Seed(t, db)
	blobs, err := blob.NewDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	w := &world{t: t, db: db, blobs: blobs, conv: map[string]string{}, number: map[string]string{}}
	ctx := context.Background()
	for i, tenantID := range []string{f.A.ID, f.B.ID} {
		err := db.Store.InPlatform(ctx, func(tx pgx.Tx) error {
			var numberID, contactID, convID string
			if err := tx.QueryRow(ctx, `INSERT INTO numbers (tenant_id, phone_number_id, display_phone, waba_id, access_token_enc)
				VALUES ($1, $2, '+39 06 000', '1', 'x') RETURNING id`, tenantID, "55"+string(rune('0'+i))).Scan(&numberID); err != nil {
				return err
			}
			if err := tx.QueryRow(ctx, `INSERT INTO contacts (tenant_id, wa_id) VALUES ($1, '393330000000') RETURNING id`, tenantID).Scan(&contactID); err != nil {
				return err
			}
			if err := tx.QueryRow(ctx, `INSERT INTO conversations (tenant_id, number_id, contact_id, status) VALUES ($1, $2, $3, 'queued') RETURNING id`,
				tenantID, numberID, contactID).Scan(&convID); err != nil {
				return err
			}
			w.number[tenantID], w.conv[tenantID] = numberID, convID
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return w, f
}

// TestRetentionDeletesOldMessagesAndTheirFilesOnly keeps 30 days for tenant
// A: its older messages, statuses, media rows and files go; newer ones stay;
// tenant B, which keeps everything, loses nothing even of the same age.
func TestRetentionDeletesOldMessagesAndTheirFilesOnly(t *testing.T) {
	t.Parallel()
	w, f := newWorld(t)
	ctx := context.Background()
	day := 24 * time.Hour
	oldFile := w.message(f.A.ID, "a-old-photo", 40*day, true)
	w.message(f.A.ID, "a-old-text", 31*day, false)
	newFile := w.message(f.A.ID, "a-new-photo", 28*day, true)
	w.message(f.A.ID, "a-today", time.Minute, false)
	bFile := w.message(f.B.ID, "b-old-photo", 400*day, true)
	// An upload older than the period that a kept message still carries
	// stays with it.
	var sharedMedia string
	if err := w.db.Store.InPlatform(ctx, func(tx pgx.Tx) error {
		return tx.QueryRow(ctx, `UPDATE media SET created_at = now() - interval '90 days' WHERE meta_media_id = 'm-a-new-photo' RETURNING id`).Scan(&sharedMedia)
	}); err != nil {
		t.Fatal(err)
	}

	if err := w.db.Store.SetRetentionDays(ctx, f.A.ID, storage.Actor{Email: "test"}, 30); err != nil {
		t.Fatal(err)
	}
	job := New(w.db.Store, w.blobs, slog.New(slog.NewTextHandler(io.Discard, nil)))
	job.Batch = 1 // several batches: the loop must go on until nothing is left
	if err := job.RunDue(ctx); err != nil {
		t.Fatal(err)
	}
	if got := w.wamids(f.A.ID); got != "a-new-photo,a-today" {
		t.Errorf("tenant A keeps %s", got)
	}
	if w.fileExists(oldFile) {
		t.Error("the old photo's file is still in the blob store")
	}
	if !w.fileExists(newFile) {
		t.Error("the newer photo's file was deleted")
	}
	if n := w.count(f.A.ID, `SELECT count(*) FROM media WHERE tenant_id = $1`); n != 1 {
		t.Errorf("tenant A has %d media rows, want the one a kept message carries", n)
	}
	if n := w.count(f.A.ID, `SELECT count(*) FROM message_statuses WHERE tenant_id = $1`); n != 2 {
		t.Errorf("tenant A has %d statuses, want the 2 of kept messages", n)
	}
	if got := w.wamids(f.B.ID); got != "b-old-photo" || !w.fileExists(bFile) {
		t.Errorf("tenant B (keeps everything) lost something: %q, file %v", got, w.fileExists(bFile))
	}
	if n := w.count(f.A.ID, `SELECT messages FROM retention_runs WHERE tenant_id = $1`); n != 2 {
		t.Errorf("the run recorded %d messages deleted, want 2", n)
	}

	// The same day again (another instance, or a restart): the claim is
	// taken, nothing runs even with new old messages.
	w.message(f.A.ID, "a-old-late", 50*day, false)
	if err := job.RunDue(ctx); err != nil {
		t.Fatal(err)
	}
	if got := w.wamids(f.A.ID); !strings.Contains(got, "a-old-late") {
		t.Error("the job ran twice in a day")
	}
	// A day later it runs again.
	job.Now = func() time.Time { return time.Now().Add(day + time.Minute) }
	if err := job.RunDue(ctx); err != nil {
		t.Fatal(err)
	}
	if got := w.wamids(f.A.ID); got != "a-new-photo,a-today" {
		t.Errorf("the next day tenant A keeps %s", got)
	}
}

// TestRetentionRunsOnceAcrossInstances starts the job in several instances
// at once on the same database: exactly one claims the tenant's day.
func TestRetentionRunsOnceAcrossInstances(t *testing.T) {
	t.Parallel()
	w, f := newWorld(t)
	ctx := context.Background()
	if err := w.db.Store.SetRetentionDays(ctx, f.A.ID, storage.Actor{Email: "test"}, 7); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	var wg sync.WaitGroup
	var mu sync.Mutex
	wins := 0
	for range 6 {
		wg.Go(func() {
			won, err := w.db.Store.ClaimRetentionRun(ctx, f.A.ID, now, 24*time.Hour)
			if err != nil {
				t.Error(err)
			}
			if won {
				mu.Lock()
				wins++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if wins != 1 {
		t.Fatalf("%d instances claimed the day, want 1", wins)
	}
	// Retention 0 keeps everything: the tenant is not even listed.
	if err := w.db.Store.SetRetentionDays(ctx, f.A.ID, storage.Actor{Email: "test"}, 0); err != nil {
		t.Fatal(err)
	}
	list, err := w.db.Store.RetentionTenants(ctx)
	if err != nil || len(list) != 0 {
		t.Fatalf("tenants with retention: %v %v", list, err)
	}
}
