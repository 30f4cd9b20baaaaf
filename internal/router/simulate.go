package router

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"time"
)

// Simulate runs the scenario read from in and writes what happens to out,
// one JSON object per line. A mistake in the scenario is a *ScenarioError
// naming its line; then nothing is written, so a half-run never passes for
// a result.
func Simulate(in io.Reader, out io.Writer) error {
	data, err := io.ReadAll(in)
	if err != nil {
		return err
	}
	sc, err := parseScenario(data)
	if err != nil {
		return err
	}
	r, err := New(sc.cfg)
	if err != nil {
		return err // parseScenario has already checked the configuration
	}
	outcomes, err := sc.run(r)
	if err != nil {
		return err
	}
	return writeOutcomes(out, outcomes)
}

// model is what a scenario runs on: the Router, or in tests a naive copy of
// the rule to compare it with.
type model interface {
	AgentAvailable(at time.Time, agentID string) ([]Outcome, error)
	AgentAway(at time.Time, agentID string) ([]Outcome, error)
	AgentOffline(at time.Time, agentID string) ([]Outcome, error)
	SetCapacity(at time.Time, agentID string, capacity int) ([]Outcome, error)
	Arrive(at time.Time, conversationID, numberID string, contactPriority int) ([]Outcome, error)
	Close(at time.Time, conversationID string) ([]Outcome, error)
	TransferToSkillset(at time.Time, conversationID, skillsetID string) ([]Outcome, error)
	TransferToAgent(at time.Time, conversationID, agentID string) ([]Outcome, error)
}

// run applies the events to m in order. It keeps track of conversations
// itself so that a mistake says what happened to the conversation before.
func (sc *scenario) run(m model) ([]Outcome, error) {
	arrived := map[string]int{} // conversation → line of its arrival
	closed := map[string]int{}  // conversation → line of its close
	var all []Outcome
	for _, e := range sc.events {
		fail := func(format string, a ...any) error {
			return &ScenarioError{Line: e.line, Msg: e.typ + ": " + fmt.Sprintf(format, a...)}
		}
		if e.typ == "conversation_arrives" {
			if l, ok := arrived[e.conversation]; ok {
				return nil, fail("conversation %q already arrived on line %d", e.conversation, l)
			}
		} else if e.conversation != "" {
			if _, ok := arrived[e.conversation]; !ok {
				return nil, fail("unknown conversation %q (no conversation_arrives for it before this line)", e.conversation)
			}
			if l, ok := closed[e.conversation]; ok {
				return nil, fail("conversation %q was closed on line %d", e.conversation, l)
			}
		}
		var out []Outcome
		var err error
		switch e.typ {
		case "agent_available":
			out, err = m.AgentAvailable(e.at, e.agent)
		case "agent_away":
			out, err = m.AgentAway(e.at, e.agent)
		case "agent_offline":
			out, err = m.AgentOffline(e.at, e.agent)
		case "set_capacity":
			out, err = m.SetCapacity(e.at, e.agent, e.capacity)
		case "conversation_arrives":
			out, err = m.Arrive(e.at, e.conversation, e.number, e.priority)
			arrived[e.conversation] = e.line
		case "conversation_closed":
			out, err = m.Close(e.at, e.conversation)
			closed[e.conversation] = e.line
		case "transfer_to_skillset":
			out, err = m.TransferToSkillset(e.at, e.conversation, e.skillset)
		case "transfer_to_agent":
			out, err = m.TransferToAgent(e.at, e.conversation, e.agent)
		}
		if err != nil {
			return nil, fail("%v", err)
		}
		all = append(all, out...)
	}
	return all, nil
}

// line is one output line; the field order is the spec's.
type line struct {
	At           string `json:"at"`
	Event        Kind   `json:"event"`
	Conversation string `json:"conversation"`
	From         string `json:"from,omitempty"`
	Agent        string `json:"agent,omitempty"`
	Step         *int   `json:"step,omitempty"`
	Reason       string `json:"reason,omitempty"`
}

func writeOutcomes(w io.Writer, outcomes []Outcome) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // reasons say "3 > 0", not "3 \u003e 0"
	for _, o := range outcomes {
		l := line{At: o.At.UTC().Format(time.RFC3339Nano), Event: o.Kind, Conversation: o.Conversation, From: o.From, Agent: o.Agent}
		if d := o.Decision; d != nil {
			l.Step, l.Reason = &d.Step, d.Reason()
		}
		if err := enc.Encode(l); err != nil {
			return err
		}
	}
	_, err := w.Write(buf.Bytes())
	return err
}
