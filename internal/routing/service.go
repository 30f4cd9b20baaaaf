package routing

import (
	"context"
	"errors"
	"time"

	"switchboard/internal/domain"
	"switchboard/internal/i18n"
	"switchboard/internal/storage"
)

// Service is how the API, the consoles and the CLI change routing: presence
// goes to Redis, everything else becomes a command for the tenant's
// dispatcher, and the caller waits (briefly) for its result, so that a
// refusal ("the agent is offline") reaches the person who asked.
type Service struct {
	Store    *storage.Store
	Presence *Presence
	// Wait is how long a caller waits for the dispatcher (5 s when zero).
	Wait time.Duration
}

// ErrPending means the command is stored but no dispatcher applied it in
// time (none is running, or it is catching up): it will be applied.
var ErrPending = errors.New("accepted: the router will apply it shortly")

// ErrNotAgent means the user does not exist in the tenant or is not an
// active agent.
var ErrNotAgent = errors.New("no such active agent")

// ErrClosed means the conversation is closed already.
var ErrClosed = errors.New("the conversation is closed")

// RefusedError is the dispatcher's reason for not applying a command: one
// of the Refused* codes (kept with the command in Postgres), which pages
// show in the user's language ("routing.refused.<code>") and the API in
// English (Error).
type RefusedError struct{ Reason string }

// Codes of refusals.
const (
	RefusedCustomerWrote = "customer_wrote"
	RefusedClosedAlready = "closed_already"
	RefusedNotOpen       = "not_open"
	RefusedNoAgent       = "no_agent"
	RefusedAgentOffline  = "agent_offline"
	RefusedNoSkillset    = "no_skillset"
)

func (e *RefusedError) Error() string {
	switch e.Reason {
	case RefusedCustomerWrote:
		return "the customer wrote again after you asked to close: read the new message first"
	case RefusedClosedAlready:
		return "the conversation is closed already"
	case RefusedNotOpen:
		return "the conversation is not open"
	case RefusedNoAgent:
		return "no such active agent"
	case RefusedAgentOffline:
		return "the agent is offline"
	case RefusedNoSkillset:
		return "no such skillset"
	}
	return e.Reason // a reason without a code (an unexpected router error)
}

// Text is the refusal in the language of ctx.
func (e *RefusedError) Text(ctx context.Context) string {
	if key := "routing.refused." + e.Reason; i18n.Has(key) {
		return i18n.T(ctx, key)
	}
	return e.Error()
}

// agent checks that agentID is an active user of the tenant who may hold
// conversations: an agent, or an administrator taking one over (see
// domain.Role.HoldsConversations).
func (s *Service) agent(ctx context.Context, tenantID, agentID string) error {
	return s.check(ctx, tenantID, agentID, domain.Role.HoldsConversations)
}

// CheckAgent returns ErrNotAgent unless agentID is an active agent of the
// tenant: the API speaks of agents only (administrators take conversations
// over in their console).
func (s *Service) CheckAgent(ctx context.Context, tenantID, agentID string) error {
	return s.check(ctx, tenantID, agentID, func(r domain.Role) bool { return r == domain.RoleAgent })
}

func (s *Service) check(ctx context.Context, tenantID, userID string, may func(domain.Role) bool) error {
	if !domain.ValidID(userID) {
		return ErrNotAgent
	}
	u, err := s.Store.User(ctx, tenantID, userID)
	if errors.Is(err, storage.ErrNotFound) || err == nil && (!may(u.Role) || !u.Active) {
		return ErrNotAgent
	}
	return err
}

// SetAvailability records the agent's presence (available, away, or offline
// to sign off) and refreshes its TTL; the router hears of a change at once.
func (s *Service) SetAvailability(ctx context.Context, tenantID, agentID, state string) error {
	if state != Available && state != Away && state != Offline {
		return ErrBadState
	}
	if err := s.agent(ctx, tenantID, agentID); err != nil {
		return err
	}
	changed, err := s.Presence.Set(ctx, tenantID, agentID, state)
	if err != nil || !changed {
		return err
	}
	_, err = s.Store.EnqueueRouting(ctx, tenantID, storage.RoutingCommand{Kind: storage.CmdPresence, AgentID: agentID})
	return err
}

// Heartbeat keeps the agent's presence alive and returns its state. The
// page says which state the agent chose (shown): when the presence had
// lapsed meanwhile (Redis restarted, the laptop slept), that state is
// restored, so a short absence re-routes nothing. An agent who signed off
// (in another tab) stays offline.
func (s *Service) Heartbeat(ctx context.Context, tenantID, agentID, shown string) (string, error) {
	state, err := s.Presence.Refresh(ctx, tenantID, agentID)
	switch {
	case err != nil:
		return "", err
	case state == signedOff:
		return Offline, nil
	case state == Offline && (shown == Available || shown == Away):
		if err := s.SetAvailability(ctx, tenantID, agentID, shown); err != nil {
			return "", err
		}
		return shown, nil
	}
	return state, nil
}

// Availability returns the agents' states.
func (s *Service) Availability(ctx context.Context, tenantID string, agentIDs []string) (map[string]string, error) {
	return s.Presence.States(ctx, tenantID, agentIDs)
}

// Close ends an open conversation; its agent's capacity frees up.
func (s *Service) Close(ctx context.Context, tenantID, conversationID, actor string) error {
	return s.CloseWithOutcome(ctx, tenantID, conversationID, "", actor)
}

// CloseWithOutcome closes like Close and stores the outcome on the
// conversation as the dispatcher closes it (the caller checks it is one of
// the tenant's outcomes).
func (s *Service) CloseWithOutcome(ctx context.Context, tenantID, conversationID, outcome, actor string) error {
	return s.command(ctx, tenantID, storage.RoutingCommand{Kind: storage.CmdClose, ConversationID: conversationID,
		Actor: actor, Outcome: outcome})
}

// TransferToAgent gives the conversation to the agent directly, even past its
// capacity (someone chose that agent), unless the agent is offline.
func (s *Service) TransferToAgent(ctx context.Context, tenantID, conversationID, agentID, actor string) error {
	if err := s.agent(ctx, tenantID, agentID); err != nil {
		return err
	}
	return s.command(ctx, tenantID, storage.RoutingCommand{Kind: storage.CmdTransferAgent, ConversationID: conversationID,
		AgentID: agentID, Actor: actor})
}

// TransferToSkillset puts the conversation back in the queue, keeping its
// arrival time, for the skillset's members only.
func (s *Service) TransferToSkillset(ctx context.Context, tenantID, conversationID, skillsetID, actor string) error {
	// Looked up here, so that a made-up id costs one query, not a rebuild
	// of the tenant's router.
	if !domain.ValidID(conversationID) {
		return storage.ErrNotFound
	}
	if _, err := s.Store.Conversation(ctx, tenantID, conversationID); err != nil {
		return err // an unknown conversation is named before the skillset
	}
	if !domain.ValidID(skillsetID) {
		return &RefusedError{Reason: RefusedNoSkillset}
	}
	if _, err := s.Store.SkillsetName(ctx, tenantID, skillsetID); errors.Is(err, storage.ErrNotFound) {
		return &RefusedError{Reason: RefusedNoSkillset}
	} else if err != nil {
		return err
	}
	return s.command(ctx, tenantID, storage.RoutingCommand{Kind: storage.CmdTransferSkillset, ConversationID: conversationID,
		SkillsetID: skillsetID, Actor: actor})
}

// command checks the conversation is open, stores the command and waits for
// the dispatcher's answer.
func (s *Service) command(ctx context.Context, tenantID string, c storage.RoutingCommand) error {
	if !domain.ValidID(c.ConversationID) {
		return storage.ErrNotFound
	}
	conv, err := s.Store.Conversation(ctx, tenantID, c.ConversationID)
	if err != nil {
		return err
	}
	if conv.Status == "closed" {
		return ErrClosed
	}
	id, err := s.Store.EnqueueRouting(ctx, tenantID, c)
	if err != nil {
		return err
	}
	return s.await(ctx, tenantID, id)
}

// await polls the command until the dispatcher marked it done. Polling a
// primary-key row every few milliseconds is cheaper than a LISTEN
// connection per request, and the wait is short.
func (s *Service) await(ctx context.Context, tenantID string, id int64) error {
	wait := s.Wait
	if wait <= 0 {
		wait = 5 * time.Second
	}
	deadline := time.Now().Add(wait)
	delay := 2 * time.Millisecond
	for {
		done, refusal, err := s.Store.RoutingCommandResult(ctx, tenantID, id)
		switch {
		case err != nil:
			return err
		case done && refusal != "":
			return &RefusedError{Reason: refusal}
		case done:
			return nil
		case time.Now().After(deadline):
			return ErrPending
		}
		if !sleep(ctx, delay) {
			return ctx.Err()
		}
		delay = min(delay*2, 50*time.Millisecond)
	}
}
