package routing_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"switchboard/internal/domain"
	"switchboard/internal/number"
	"switchboard/internal/routing"
	"switchboard/internal/server/servertest"
	"switchboard/internal/storage"
	"switchboard/internal/whatsapp/fakemeta"
)

// TestWorkedExamplesLive runs routing.md's worked examples E1–E7 (the
// scenario files the simulator's tests check) live: sandbox numbers,
// skillsets and agents in Postgres, presence in Redis, customers writing
// through the sandbox's signed webhooks, the webhook processor opening the
// conversations and the dispatcher assigning them. The assignments, in
// order, with their deciding step, must be the simulator's.
func TestWorkedExamplesLive(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("../router/testdata/e*.json")
	if err != nil || len(files) != 7 {
		t.Fatalf("want the 7 worked examples, found %v (%v)", files, err)
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".json")
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			runLive(t, f)
		})
	}
}

type liveScenario struct {
	Numbers []struct {
		ID        string `json:"id"`
		Skillsets []struct {
			Skillset string `json:"skillset"`
			Priority int    `json:"priority"`
		} `json:"skillsets"`
	} `json:"numbers"`
	Skillsets []struct {
		ID      string `json:"id"`
		Members []struct {
			Agent    string `json:"agent"`
			Priority int    `json:"priority"`
		} `json:"members"`
	} `json:"skillsets"`
	Agents []struct {
		ID             string     `json:"id"`
		Capacity       int        `json:"capacity"`
		LastAssignedAt *time.Time `json:"last_assigned_at"`
	} `json:"agents"`
	Contacts []struct {
		ID       string `json:"id"`
		Priority int    `json:"priority"`
	} `json:"contacts"`
	Options struct {
		RequeueOnOffline bool `json:"requeue_on_offline"`
	} `json:"options"`
	Events []struct {
		Type         string `json:"type"`
		Agent        string `json:"agent"`
		Conversation string `json:"conversation"`
		Number       string `json:"number"`
		Contact      string `json:"contact"`
	} `json:"events"`
}

type assignment struct {
	Conversation, Agent string
	Step                int
}

func runLive(t *testing.T, file string) {
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var sc liveScenario
	if err := json.Unmarshal(data, &sc); err != nil {
		t.Fatal(err)
	}
	want := expected(t, strings.TrimSuffix(file, ".json")+".out")

	app := servertest.New(t, servertest.Options{RunWorkers: true, RoutingSweep: 50 * time.Millisecond})
	ctx := context.Background()
	st, tenantID := app.DB.Store, app.F.A.ID
	actor := storage.Actor{Email: "test"}
	agents, agentName := map[string]string{}, map[string]string{}
	for _, a := range sc.Agents {
		id, err := st.CreateUser(ctx, actor, domain.User{TenantID: tenantID, Email: a.ID + "@live.test", Name: a.ID,
			Role: domain.RoleAgent, PasswordHash: "x", Active: true})
		if err != nil {
			t.Fatal(err)
		}
		capacity := a.Capacity
		if err := st.SetAgentCapacity(ctx, tenantID, actor, id, &capacity); err != nil {
			t.Fatal(err)
		}
		if a.LastAssignedAt != nil {
			platformExec(t, app, `UPDATE users SET last_assigned_at = $2 WHERE id = $1`, id, *a.LastAssignedAt)
		}
		agents[a.ID], agentName[id] = id, a.ID
	}
	skillsets := map[string]string{}
	for _, s := range sc.Skillsets {
		id, err := st.CreateSkillset(ctx, tenantID, actor, s.ID)
		if err != nil {
			t.Fatal(err)
		}
		skillsets[s.ID] = id
		for _, m := range s.Members {
			if err := st.SetSkillsetMember(ctx, tenantID, actor, id, agents[m.Agent], m.Priority); err != nil {
				t.Fatal(err)
			}
		}
	}
	// The Business plan allows the numbers a scenario may need.
	platformExec(t, app, `UPDATE tenants SET plan_id = (SELECT id FROM plans WHERE name = 'Business') WHERE id = $1`, tenantID)
	numbers := map[string]domain.Number{}
	for _, n := range sc.Numbers {
		num, err := app.Numbers.Add(ctx, actor, number.AddInput{TenantID: tenantID, Sandbox: true})
		if err != nil {
			t.Fatal(err)
		}
		app.Sandbox.Register(num)
		numbers[n.ID] = num
		for _, l := range n.Skillsets {
			if err := st.LinkNumberSkillset(ctx, tenantID, actor, num.ID, skillsets[l.Skillset], l.Priority); err != nil {
				t.Fatal(err)
			}
		}
	}
	// Contacts exist before they write, with their priority.
	for _, c := range sc.Contacts {
		platformExec(t, app, `INSERT INTO contacts (tenant_id, wa_id, phone, priority) VALUES ($1, $2, $3, $4)`,
			tenantID, strings.TrimPrefix(c.ID, "+"), c.ID, c.Priority)
	}
	settle(t, app, tenantID)

	convName := map[string]string{}
	convID := map[string]string{}
	for i, ev := range sc.Events {
		switch ev.Type {
		case "agent_available":
			if err := app.Routing.SetAvailability(ctx, tenantID, agents[ev.Agent], routing.Available); err != nil {
				t.Fatal(err)
			}
		case "conversation_arrives":
			waID := strings.TrimPrefix(ev.Contact, "+")
			if waID == "" {
				waID = fmt.Sprintf("39340%07d", i)
			}
			n := numbers[ev.Number]
			wamid, err := app.Sandbox.Fake.CustomerSends(ctx, n.PhoneNumberID, fakemeta.InboundMessage{From: waID, Text: "hello " + ev.Conversation})
			if err != nil {
				t.Fatal(err)
			}
			var msg domain.Message
			eventually(t, 10*time.Second, "the message of "+ev.Conversation+" is stored", func() bool {
				msg, err = st.MessageByWAMID(ctx, tenantID, wamid)
				return err == nil
			})
			convID[ev.Conversation], convName[msg.ConversationID] = msg.ConversationID, ev.Conversation
		case "conversation_closed":
			if err := app.Routing.Close(ctx, tenantID, convID[ev.Conversation], "test"); err != nil {
				t.Fatal(err)
			}
		default:
			t.Fatalf("event %d: the live runner does not play %q", i, ev.Type)
		}
		settle(t, app, tenantID)
	}
	var got []assignment
	err = app.DB.Store.InPlatform(ctx, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT conversation_id, agent_id, coalesce(step, 0) FROM routing_events
			WHERE tenant_id = $1 AND kind = 'assigned' ORDER BY id`, tenantID)
		if err != nil {
			return err
		}
		for rows.Next() {
			var c, a string
			var step int
			if err := rows.Scan(&c, &a, &step); err != nil {
				return err
			}
			got = append(got, assignment{convName[c], agentName[a], step})
		}
		return rows.Err()
	})
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("live assignments differ from the simulator's\n got: %v\nwant: %v", got, want)
	}
}

// expected reads the simulator's assignments from a scenario's .out file.
func expected(t *testing.T, file string) []assignment {
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []assignment
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var l struct {
			Event, Conversation, Agent string
			Step                       int
		}
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatal(err)
		}
		if l.Event == "assigned" {
			out = append(out, assignment{l.Conversation, l.Agent, l.Step})
		}
	}
	return out
}

// settle waits until every webhook is processed and the dispatcher has
// applied every routing command.
func settle(t *testing.T, app *servertest.App, tenantID string) {
	t.Helper()
	eventually(t, 10*time.Second, "webhooks processed and routing commands applied", func() bool {
		var pending int
		err := app.DB.Store.InPlatform(context.Background(), func(tx pgx.Tx) error {
			return tx.QueryRow(context.Background(), `SELECT
				(SELECT count(*) FROM webhook_events WHERE state = 'pending') +
				(SELECT count(*) FROM routing_commands WHERE tenant_id = $1 AND done_at IS NULL)`, tenantID).Scan(&pending)
		})
		return err == nil && pending == 0
	})
}

func platformExec(t *testing.T, app *servertest.App, sql string, args ...any) {
	t.Helper()
	err := app.DB.Store.InPlatform(context.Background(), func(tx pgx.Tx) error {
		_, err := tx.Exec(context.Background(), sql, args...)
		return err
	})
	if err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}
