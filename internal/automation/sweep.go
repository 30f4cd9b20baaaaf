package automation

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"switchboard/internal/domain"
	"switchboard/internal/outbound"
	"switchboard/internal/softbot"
	"switchboard/internal/storage"
)

// Sweep moves held conversations on by the clock and sends the busy
// replies that are due, once; every instance may run it (each change is a
// conditional update: one instance wins). It returns how many it handled.
func (e *Engine) Sweep(ctx context.Context) (int, error) {
	now := e.Now()
	done := 0
	due, err := e.store.DueBots(ctx, now, 200)
	if err != nil {
		return 0, err
	}
	for _, d := range due {
		if err := e.moveOn(ctx, d, now); err != nil {
			return done, fmt.Errorf("bot run %s: %w", d.ConversationID, err)
		}
		done++ // the hand-off's routing command wakes the dispatcher
	}
	busy, err := e.store.BusyWaits(ctx, now, 200)
	if err != nil {
		return done, err
	}
	sent := false
	for _, b := range busy {
		ok, err := e.tellBusy(ctx, b)
		if err != nil {
			return done, fmt.Errorf("busy reply %s: %w", b.ConversationID, err)
		}
		sent = sent || ok
		done++
	}
	if sent && e.OutboundQueued != nil {
		e.OutboundQueued()
	}
	return done, nil
}

// moveOn handles one due run: a timeout hands the customer to a person,
// opening time queues who waited for it, and a run whose conversation a
// person took (or closed) ends there.
func (e *Engine) moveOn(ctx context.Context, d storage.DueBot, now time.Time) error {
	return e.store.InTenant(ctx, d.TenantID, func(ptx pgx.Tx) error {
		tx := storage.Inbound(ptx)
		run, found, err := tx.BotRunFor(ctx, d.TenantID, d.ConversationID)
		if err != nil || !found {
			return err
		}
		status, err := tx.ConversationStatus(ctx, d.TenantID, d.ConversationID)
		if err != nil {
			return err
		}
		step := stepOf(run)
		switch {
		case status == "assigned" && !run.Ended:
			return tx.EndBotRun(ctx, d.TenantID, d.ConversationID, "taken", step, "", nil)
		case status == "closed" && !run.Ended:
			return tx.EndBotRun(ctx, d.TenantID, d.ConversationID, "abandoned", step, "", nil)
		case status != "bot":
			return nil
		case run.WakeAt != nil && !run.WakeAt.After(now):
			// Opening time: queue it.
			if err := tx.EndBotRun(ctx, d.TenantID, d.ConversationID, "handed_off", step, "opened", nil); err != nil {
				return err
			}
			_, err := tx.HandOff(ctx, d.TenantID, d.ConversationID, "", 0)
			return err
		case !run.Ended:
			// Silent past the timeout: a person takes over (at opening
			// time if the number waits for it).
			n := domain.Number{ID: d.NumberID, TenantID: d.TenantID}
			setup, err := tx.BotSetup(ctx, d.TenantID, d.NumberID)
			if err != nil {
				return err
			}
			t := &turn{e: e, tx: tx, n: n, m: Message{ConversationID: d.ConversationID}, setup: setup, now: now}
			return t.handOffAs(ctx, softbot.Outcome{End: softbot.EndHandoff, Reason: "timeout", Step: step}, "timed_out")
		}
		return nil
	})
}

// tellBusy sends one "every agent is busy" reply with the customer's place
// in the queue and the recent median wait.
func (e *Engine) tellBusy(ctx context.Context, b storage.BusyWait) (bool, error) {
	sent := false
	err := e.store.InTenant(ctx, b.TenantID, func(ptx pgx.Tx) error {
		tx := storage.Inbound(ptx)
		claimed, position, wait, err := tx.ClaimBusyReply(ctx, b.TenantID, b.ConversationID)
		if err != nil || !claimed {
			return err
		}
		lang := b.Language
		text := strings.NewReplacer("{position}", strconv.Itoa(position), "{wait}", waitPhrase(lang, wait)).Replace(b.Text)
		c := outbound.Content{Type: outbound.TypeText, Text: text}
		o := c.Outgoing(b.TenantID, b.NumberID, b.ContactID, "", "bot", "busy:"+b.ConversationID)
		_, created, err := tx.EnqueueOutbound(ctx, o)
		sent = created
		return err
	})
	return sent, err
}

// waitPhrase says an estimated wait as customers read it.
func waitPhrase(lang string, d time.Duration) string {
	min := int((d + time.Minute - 1) / time.Minute)
	switch {
	case d <= 0 && lang == "it":
		return "pochi minuti"
	case d <= 0:
		return "a few minutes"
	case min <= 1 && lang == "it":
		return "circa un minuto"
	case min <= 1:
		return "about a minute"
	case lang == "it":
		return fmt.Sprintf("circa %d minuti", min)
	}
	return fmt.Sprintf("about %d minutes", min)
}

// Run sweeps every interval until ctx ends.
func (e *Engine) Run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if _, err := e.Sweep(ctx); err != nil && ctx.Err() == nil {
			e.logger.Warn("softbot sweep", "error", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
