package router

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"time"
)

// The scenario format of routing.md: agents, skillsets, numbers, contacts,
// options and timed events in one JSON document. The file types below are
// the format; the walk in jsonpos.go checks a document against them.

type scenarioFile struct {
	Numbers   []fileNumber   `json:"numbers"`
	Skillsets []fileSkillset `json:"skillsets"`
	Agents    []fileAgent    `json:"agents"`
	Contacts  []fileContact  `json:"contacts"`
	Options   fileOptions    `json:"options"`
	Events    []fileEvent    `json:"events"`
}

type fileNumber struct {
	ID        string     `json:"id"`
	Skillsets []fileLink `json:"skillsets"`
}

type fileLink struct {
	Skillset string `json:"skillset"`
	Priority int    `json:"priority"`
}

type fileSkillset struct {
	ID      string       `json:"id"`
	Members []fileMember `json:"members"`
}

type fileMember struct {
	Agent    string `json:"agent"`
	Priority int    `json:"priority"`
}

type fileAgent struct {
	ID             string `json:"id"`
	Capacity       *int   `json:"capacity"` // required: 0 is a capacity, absence a mistake
	LastAssignedAt string `json:"last_assigned_at,omitempty"`
}

type fileContact struct {
	ID       string `json:"id"`
	Priority int    `json:"priority"`
}

type fileOptions struct {
	RequeueOnOffline *bool `json:"requeue_on_offline,omitempty"` // default on, as for tenants
}

// fileEvent's omitempty only shapes files written by tests: reading, an
// empty value counts as absent.
type fileEvent struct {
	At           string `json:"at"`
	Type         string `json:"type"`
	Agent        string `json:"agent,omitempty"`
	Conversation string `json:"conversation,omitempty"`
	Number       string `json:"number,omitempty"`
	Contact      string `json:"contact,omitempty"`
	Skillset     string `json:"skillset,omitempty"`
	Capacity     *int   `json:"capacity,omitempty"`
}

// eventFields lists, for each event type, the fields it takes besides at and
// type, and whether each is required. A field that belongs to another type is
// a mistake (a close with an "agent" was probably meant as something else).
func eventFields(typ string) (fields []string, required []bool, ok bool) {
	switch typ {
	case "agent_available", "agent_away", "agent_offline":
		return []string{"agent"}, []bool{true}, true
	case "conversation_arrives":
		return []string{"conversation", "number", "contact"}, []bool{true, true, false}, true
	case "conversation_closed":
		return []string{"conversation"}, []bool{true}, true
	case "transfer_to_skillset":
		return []string{"conversation", "skillset"}, []bool{true, true}, true
	case "transfer_to_agent":
		return []string{"conversation", "agent"}, []bool{true, true}, true
	case "set_capacity":
		return []string{"agent", "capacity"}, []bool{true, true}, true
	}
	return nil, nil, false
}

const eventTypes = "agent_available, agent_away, agent_offline, conversation_arrives, conversation_closed, transfer_to_skillset, transfer_to_agent, set_capacity"

// scenario is a checked scenario file, ready to run.
type scenario struct {
	cfg    Config
	events []event
}

type event struct {
	line         int
	at           time.Time
	typ          string
	agent        string
	conversation string
	number       string
	skillset     string
	priority     int // the contact's, for an arrival
	capacity     int
}

func parseScenario(data []byte) (*scenario, error) {
	p, err := locate(data, reflect.TypeFor[scenarioFile]())
	if err != nil {
		return nil, err
	}
	var f scenarioFile
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, &ScenarioError{Line: 1, Msg: err.Error()} // the walk should have caught it
	}
	return f.check(p)
}

// check turns a decoded file into a scenario, or says what is wrong and
// where p places it.
func (f *scenarioFile) check(p *positions) (*scenario, error) {
	var err error
	sc := &scenario{cfg: Config{RequeueOnOffline: true}}
	if f.Options.RequeueOnOffline != nil {
		sc.cfg.RequeueOnOffline = *f.Options.RequeueOnOffline
	}
	for i, a := range f.Agents {
		at := fmt.Sprintf("agents[%d]", i)
		if a.Capacity == nil {
			return nil, p.errorf(at+".capacity", "agent %q: capacity is required (the most conversations it may hold at once)", a.ID)
		}
		ag := Agent{ID: a.ID, Capacity: *a.Capacity}
		if a.LastAssignedAt != "" {
			if ag.LastAssignedAt, err = parseTime(a.LastAssignedAt); err != nil {
				return nil, p.errorf(at+".last_assigned_at", "agent %q: last_assigned_at: %v", a.ID, err)
			}
		}
		sc.cfg.Agents = append(sc.cfg.Agents, ag)
	}
	for _, s := range f.Skillsets {
		ss := Skillset{ID: s.ID}
		for _, m := range s.Members {
			ss.Members = append(ss.Members, Member(m))
		}
		sc.cfg.Skillsets = append(sc.cfg.Skillsets, ss)
	}
	for _, n := range f.Numbers {
		nn := Number{ID: n.ID}
		for _, l := range n.Skillsets {
			nn.Skillsets = append(nn.Skillsets, Link(l))
		}
		sc.cfg.Numbers = append(sc.cfg.Numbers, nn)
	}
	if _, err := New(sc.cfg); err != nil {
		var ce *ConfigError
		if errors.As(err, &ce) {
			return nil, p.errorf(ce.Path, "%s", ce.Err)
		}
		return nil, err
	}
	contacts := map[string]int{}
	for i, c := range f.Contacts {
		at := fmt.Sprintf("contacts[%d]", i)
		if c.ID == "" {
			return nil, p.errorf(at+".id", "a contact needs an id")
		}
		if _, dup := contacts[c.ID]; dup {
			return nil, p.errorf(at+".id", "contact %q is listed twice", c.ID)
		}
		contacts[c.ID] = c.Priority
	}
	known := knownIDs(sc.cfg)
	var last time.Time
	for i, e := range f.Events {
		at := fmt.Sprintf("events[%d]", i)
		ev, err := checkEvent(p, at, e, known)
		if err != nil {
			return nil, err
		}
		if ev.at.Before(last) {
			return nil, p.errorf(at+".at", "events[%d] at %s is earlier than the event before it (%s): events must be in time order",
				i, e.At, last.UTC().Format(time.RFC3339Nano))
		}
		last = ev.at
		ev.priority = contacts[e.Contact] // a contact not listed has priority 0
		sc.events = append(sc.events, ev)
	}
	return sc, nil
}

// knownIDs are the ids an event may name, by field.
func knownIDs(cfg Config) map[string]map[string]bool {
	known := map[string]map[string]bool{"agent": {}, "number": {}, "skillset": {}}
	for _, a := range cfg.Agents {
		known["agent"][a.ID] = true
	}
	for _, n := range cfg.Numbers {
		known["number"][n.ID] = true
	}
	for _, s := range cfg.Skillsets {
		known["skillset"][s.ID] = true
	}
	return known
}

// checkEvent checks what can be checked before running: time, type, fields
// and the configured ids. Conversations are checked as the scenario runs.
func checkEvent(p *positions, at string, e fileEvent, known map[string]map[string]bool) (event, error) {
	ev := event{line: p.line(at), typ: e.Type, agent: e.Agent, conversation: e.Conversation,
		number: e.Number, skillset: e.Skillset}
	if e.At == "" {
		return ev, p.errorf(at+".at", "%s: at is required (an RFC 3339 time, e.g. 2026-01-01T10:00:00Z)", at)
	}
	t, err := parseTime(e.At)
	if err != nil {
		return ev, p.errorf(at+".at", "%s: at: %v", at, err)
	}
	ev.at = t
	if e.Type == "" {
		return ev, p.errorf(at+".type", "%s: type is required (one of %s)", at, eventTypes)
	}
	fields, required, ok := eventFields(e.Type)
	if !ok {
		return ev, p.errorf(at+".type", "%s: unknown event type %q (known: %s)", at, e.Type, eventTypes)
	}
	values := map[string]string{"agent": e.Agent, "conversation": e.Conversation, "number": e.Number,
		"contact": e.Contact, "skillset": e.Skillset}
	for _, k := range []string{"agent", "conversation", "number", "contact", "skillset", "capacity"} {
		i := indexOf(fields, k)
		present := values[k] != "" || k == "capacity" && e.Capacity != nil
		switch {
		case present && i < 0:
			return ev, p.errorf(at+"."+k, "%s: %s takes no %s (it takes %s)", at, e.Type, k, strings.Join(fields, ", "))
		case i < 0:
		case k == "capacity":
			if e.Capacity == nil {
				return ev, p.errorf(at+"."+k, "%s: %s needs capacity", at, e.Type)
			}
			if *e.Capacity < 0 {
				return ev, p.errorf(at+"."+k, "%s: capacity %d is negative", at, *e.Capacity)
			}
			ev.capacity = *e.Capacity
		case values[k] == "" && required[i]:
			return ev, p.errorf(at+"."+k, "%s: %s needs %s", at, e.Type, k)
		case known[k] != nil && !known[k][values[k]]:
			return ev, p.errorf(at+"."+k, "%s: unknown %s %q", at, k, values[k])
		}
	}
	return ev, nil
}

func indexOf(list []string, s string) int {
	for i, x := range list {
		if x == s {
			return i
		}
	}
	return -1
}

func parseTime(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return t, fmt.Errorf("%q is not an RFC 3339 time such as 2026-01-01T10:00:00Z", s)
	}
	return t, nil
}
