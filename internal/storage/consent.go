package storage

import (
	"context"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// ConsentEvent is one change of a contact's consent.
type ConsentEvent struct {
	Consent, Source, Actor, Note string
	CreatedAt                    time.Time
}

// SetConsent records a contact's consent (granted or revoked), how and by
// whom, and keeps the history. It reports whether the consent changed.
func (s *Store) SetConsent(ctx context.Context, tenantID, contactID, consent, source, actor, note string) (bool, error) {
	var changed bool
	err := s.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		var err error
		changed, err = Inbound(tx).SetConsent(ctx, tenantID, contactID, consent, source, actor, note)
		return err
	})
	return changed, err
}

// SetConsent is Store.SetConsent inside the processor's transaction (a
// customer's STOP). Setting the consent it already has changes nothing.
func (t InboundTx) SetConsent(ctx context.Context, tenantID, contactID, consent, source, actor, note string) (bool, error) {
	var current string
	if err := t.tx.QueryRow(ctx, `SELECT consent FROM contacts WHERE tenant_id = $1 AND id = $2 FOR UPDATE`, tenantID, contactID).Scan(&current); err != nil {
		return false, notFound(err)
	}
	if current == consent {
		return false, nil
	}
	b := &pgx.Batch{}
	queueConsentChange(b, tenantID, contactID, consent, source, actor, note)
	err := t.tx.SendBatch(ctx, b).Close()
	return err == nil, err
}

// queueConsentChange queues what a change of consent writes: the state on
// the contact and a row of its history. The caller holds the contact's row
// locked and knows its consent differs (a CSV import queues thousands).
func queueConsentChange(b *pgx.Batch, tenantID, contactID, consent, source, actor, note string) {
	b.Queue(`UPDATE contacts SET consent = $3, consent_at = now(), consent_source = $4, consent_by = $5, updated_at = now()
		WHERE tenant_id = $1 AND id = $2`, tenantID, contactID, consent, source, actor)
	b.Queue(`INSERT INTO consent_events (tenant_id, contact_id, consent, source, actor, note) VALUES ($1, $2, $3, $4, $5, $6)`,
		tenantID, contactID, consent, source, actor, note)
}

// ConsentHistory lists a contact's consent changes, newest first.
func (s *Store) ConsentHistory(ctx context.Context, tenantID, contactID string) ([]ConsentEvent, error) {
	var out []ConsentEvent
	err := s.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT consent, source, actor, note, created_at FROM consent_events
			WHERE tenant_id = $1 AND contact_id = $2 ORDER BY created_at DESC, id DESC`, tenantID, contactID)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var e ConsentEvent
			if err := rows.Scan(&e.Consent, &e.Source, &e.Actor, &e.Note, &e.CreatedAt); err != nil {
				return err
			}
			out = append(out, e)
		}
		return rows.Err()
	})
	return out, err
}

// StopKeywords returns the words that withdraw a tenant's consent.
func (t InboundTx) StopKeywords(ctx context.Context, tenantID string) ([]string, error) {
	var kw []string
	err := t.tx.QueryRow(ctx, `SELECT stop_keywords FROM tenants WHERE id = $1`, tenantID).Scan(&kw)
	return kw, notFound(err)
}

// SetStopKeywords replaces the words that withdraw a tenant's consent;
// words must be as ParseStopWords returns them (checked again here).
func (s *Store) SetStopKeywords(ctx context.Context, actor Actor, tenantID string, words []string) error {
	words, err := ParseStopWords(strings.Join(words, ","))
	if err != nil {
		return err
	}
	return s.InPlatform(ctx, func(tx pgx.Tx) error {
		var before []string
		if err := tx.QueryRow(ctx, `SELECT stop_keywords FROM tenants WHERE id = $1 FOR UPDATE`, tenantID).Scan(&before); err != nil {
			return notFound(err)
		}
		if _, err := tx.Exec(ctx, `UPDATE tenants SET stop_keywords = $2, updated_at = now() WHERE id = $1`, tenantID, words); err != nil {
			return err
		}
		// "words" is what older entries carry; before and after as every change.
		return audit(ctx, tx, tenantID, actor, "tenant.stop_words", "", map[string]any{"words": words,
			"before": map[string]any{"words": before}, "after": map[string]any{"words": words}})
	})
}
