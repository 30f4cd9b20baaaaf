package admin

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"

	"switchboard/internal/auth"
	"switchboard/internal/i18n"
	"switchboard/internal/softbot"
	"switchboard/internal/storage"
)

// The editor's test panel: POST /admin/bots/{id}/test runs one step of the
// real engine (softbot.Begin and Reply) on the menu being edited, the
// saved draft or the live version, without WhatsApp, and answers JSON that
// bot_editor.js draws as a chat. The browser keeps the run between calls,
// as bot_runs does for a customer.

// testRequest is the panel's call.
type testRequest struct {
	// Source: "live" runs the published version; otherwise Menu, or Form
	// (the editor's form as application/x-www-form-urlencoded, read by the
	// same parser as Save), or else the saved draft.
	Source string        `json:"source"`
	Menu   *softbot.Menu `json:"menu"`
	Form   string        `json:"form"`
	Start  bool          `json:"start"` // Begin; otherwise Reply with Run and Input
	Run    softbot.Run   `json:"run"`
	Input  struct {
		Text   string `json:"text"`
		Choice string `json:"choice"`
		Other  bool   `json:"other"`
	} `json:"input"`
	Lang string `json:"lang"` // the customer's language: en or it
}

// testProblem is a problem of the menu, said in the administrator's
// language.
type testProblem struct {
	Step    string `json:"step"`
	Option  int    `json:"option"`
	Message string `json:"message"`
}

// testResponse is what the panel draws.
type testResponse struct {
	Problems []testProblem   `json:"problems,omitempty"`
	Outcome  softbot.Outcome `json:"outcome"`
	Summary  string          `json:"summary,omitempty"` // how the run ended, in words
}

// maxTestBody bounds a test call: a menu of a hundred full steps fits.
const maxTestBody = 1 << 20

func handleBotTest(d Deps) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		b, ok := d.loadBot(w, r)
		if !ok {
			return
		}
		ctx := r.Context()
		p, _ := auth.FromContext(ctx)
		var req testRequest
		if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxTestBody)).Decode(&req); err != nil {
			writeTestJSON(w, http.StatusBadRequest, testResponse{Problems: []testProblem{{Message: i18n.T(ctx, "error.bad_request")}}})
			return
		}
		m := b.Draft
		var problems []softbot.Problem
		switch {
		case req.Source == "live":
			if b.LiveVersion == 0 {
				writeTestJSON(w, http.StatusUnprocessableEntity, testResponse{Problems: []testProblem{{Message: i18n.T(ctx, "bots.test_not_live")}}})
				return
			}
			var err error
			if m, err = d.Store.BotVersion(ctx, p.TenantID, b.ID, b.LiveVersion); err != nil && !errors.Is(err, storage.ErrNotFound) {
				d.Logger.ErrorContext(ctx, "bot version", "error", err)
				writeTestJSON(w, http.StatusServiceUnavailable, testResponse{Problems: []testProblem{{Message: i18n.T(ctx, "error.unavailable")}}})
				return
			}
		case req.Menu != nil:
			m = *req.Menu
		case req.Form != "":
			form, err := url.ParseQuery(req.Form)
			if err != nil {
				writeTestJSON(w, http.StatusBadRequest, testResponse{Problems: []testProblem{{Message: i18n.T(ctx, "error.bad_request")}}})
				return
			}
			m, problems = parseMenuForm(form)
		}
		// An invalid menu is not run: the panel shows why instead.
		more, err := d.Store.ValidateBotMenu(ctx, p.TenantID, m)
		if err != nil {
			d.Logger.ErrorContext(ctx, "validate bot", "error", err)
			writeTestJSON(w, http.StatusServiceUnavailable, testResponse{Problems: []testProblem{{Message: i18n.T(ctx, "error.unavailable")}}})
			return
		}
		if problems = append(problems, more...); len(problems) > 0 {
			res := testResponse{}
			for _, pr := range problems {
				res.Problems = append(res.Problems, testProblem{Step: pr.Step, Option: pr.Option, Message: problemText(ctx, pr)})
			}
			writeTestJSON(w, http.StatusUnprocessableEntity, res)
			return
		}
		lang := req.Lang
		if lang != "it" {
			lang = "en"
		}
		var out softbot.Outcome
		if req.Start {
			out = softbot.Begin(m, lang)
		} else {
			out = softbot.Reply(m, req.Run, softbot.Input{Text: req.Input.Text, Choice: req.Input.Choice, Other: req.Input.Other}, lang)
		}
		res := testResponse{Outcome: out, Summary: d.testSummary(ctx, p.TenantID, out)}
		writeTestJSON(w, http.StatusOK, res)
	}
}

// testSummary says how a run ended: the skillset and priority of a
// hand-off, and why the bot gave up when it did.
func (d Deps) testSummary(ctx context.Context, tenantID string, out softbot.Outcome) string {
	switch out.End {
	case softbot.EndResolved:
		return i18n.T(ctx, "bots.test_resolved", out.Step)
	case softbot.EndHandoff:
		to := i18n.T(ctx, "bots.test_any_skillset")
		if out.Skillset != "" {
			if all, err := d.Store.ListSkillsets(ctx, tenantID); err == nil {
				if name := skillsetName(all, out.Skillset); name != "" {
					to = name
				}
			}
		}
		s := i18n.T(ctx, "bots.test_handoff", to, out.PriorityBump)
		if out.Reason != "" {
			s += " " + i18n.T(ctx, "bots.test_reason_"+out.Reason)
		}
		return s
	}
	return ""
}

func writeTestJSON(w http.ResponseWriter, status int, v testResponse) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
