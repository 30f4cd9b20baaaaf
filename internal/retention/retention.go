// Package retention deletes what tenants asked not to keep: each day, a
// tenant with a retention period of N days loses its messages and media
// older than N days (files in the blob store too). Every instance of serve
// runs the job; a per-tenant claim in Postgres makes one of them do each
// tenant's day.
package retention

import (
	"context"
	"log/slog"
	"time"

	"switchboard/internal/blob"
	"switchboard/internal/storage"
)

// Job is the daily retention job.
type Job struct {
	Store  *storage.Store
	Blobs  blob.Store
	Logger *slog.Logger
	Now    func() time.Time
	// Every is how often a tenant's retention runs (a day); Check how often
	// the job looks for a tenant that is due (an hour), so a restart or a
	// new setting waits at most that long.
	Every, Check time.Duration
	// Batch is how many messages (and media) one transaction deletes, so a
	// tenant's first run over years of history holds no lock for long.
	Batch int
}

// New returns the job with its defaults.
func New(store *storage.Store, blobs blob.Store, logger *slog.Logger) *Job {
	return &Job{Store: store, Blobs: blobs, Logger: logger, Now: time.Now, Every: 24 * time.Hour, Check: time.Hour, Batch: 1000}
}

// Result is what one tenant's run deleted.
type Result struct {
	Messages, Media, Files int
}

// Run checks for due tenants at once and then every Check until ctx ends.
func (j *Job) Run(ctx context.Context) {
	t := time.NewTicker(j.Check)
	defer t.Stop()
	for {
		if err := j.RunDue(ctx); err != nil && ctx.Err() == nil {
			j.Logger.Warn("retention", "error", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// RunDue runs the retention of every tenant that has a period and whose
// last run is at least Every old, claiming each first: a tenant another
// instance claimed is left to it.
func (j *Job) RunDue(ctx context.Context) error {
	tenants, err := j.Store.RetentionTenants(ctx)
	if err != nil {
		return err
	}
	for _, t := range tenants {
		won, err := j.Store.ClaimRetentionRun(ctx, t.ID, j.Now(), j.Every)
		if err != nil {
			return err
		}
		if !won {
			continue
		}
		res, err := j.Tenant(ctx, t.ID, t.Days)
		if err != nil {
			j.Logger.Warn("retention", "tenant", t.ID, "error", err)
			continue
		}
		if res.Messages+res.Media > 0 {
			j.Logger.Info("retention", "tenant", t.ID, "days", t.Days, "messages", res.Messages, "media", res.Media, "files", res.Files)
		}
	}
	return nil
}

// Tenant deletes one tenant's messages and media older than days (none
// when days is 0), batch by batch, and each batch's files once its rows are
// gone. A file that cannot be deleted is logged and left: its row is gone,
// so nothing serves it.
func (j *Job) Tenant(ctx context.Context, tenantID string, days int) (Result, error) {
	var res Result
	if days <= 0 {
		return res, nil
	}
	cutoff := j.Now().Add(-time.Duration(days) * 24 * time.Hour)
	for {
		messages, media, keys, err := j.Store.DeleteOldMessages(ctx, tenantID, cutoff, j.Batch)
		if err != nil {
			return res, err
		}
		res.Messages += messages
		res.Media += media
		for _, k := range keys {
			if err := j.Blobs.Delete(context.WithoutCancel(ctx), k); err != nil {
				j.Logger.Warn("retention: delete file", "tenant", tenantID, "key", k, "error", err)
				continue
			}
			res.Files++
		}
		if err := j.Store.RetentionRan(ctx, tenantID, messages, media); err != nil {
			return res, err
		}
		if messages < j.Batch && media < j.Batch {
			return res, nil
		}
	}
}
