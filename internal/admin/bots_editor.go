package admin

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"switchboard/internal/auth"
	"switchboard/internal/i18n"
	"switchboard/internal/softbot"
	"switchboard/internal/storage"
	"switchboard/internal/ui"
)

// The menu bot editor (/admin/bots/{id}): the steps as cards, each with its
// fields by kind, its options and where they lead. One form posts the whole
// menu with the button pressed: Save draft, Publish, or a change of shape
// (add or remove a step or an option), which saves the draft and comes back
// to the same place. The draft is always saved, valid or not, so no work is
// lost; Publish refuses a menu with problems and shows each beside its step
// and option (softbot.Menu.Validate, in the administrator's language).

// Form field names: s<i>_<field> for step i, s<i>_o<j>_<field> for its
// option j, both 0-based.
func stepField(i int, name string) string { return "s" + strconv.Itoa(i) + "_" + name }
func optField(i, j int, name string) string {
	return "s" + strconv.Itoa(i) + "_o" + strconv.Itoa(j) + "_" + name
}

// maxOptionsParsed bounds the options read per step: a list's ten rows and
// one more, so a menu with too many is refused by Validate, not cut short.
const maxOptionsParsed = softbot.MaxRows + 1

// parseMenuForm reads the editor's form into a menu. A priority that is
// not a whole number is a problem of its step (the number input rarely
// lets one through).
func parseMenuForm(form url.Values) (softbot.Menu, []softbot.Problem) {
	m := softbot.Menu{Start: strings.TrimSpace(form.Get("start"))}
	var ps []softbot.Problem
	for i := 0; i <= softbot.MaxSteps; i++ {
		if _, ok := form[stepField(i, "kind")]; !ok {
			break
		}
		s := softbot.Step{
			ID:         strings.TrimSpace(form.Get(stepField(i, "id"))),
			Kind:       form.Get(stepField(i, "kind")),
			Text:       strings.TrimSpace(form.Get(stepField(i, "text"))),
			ListButton: strings.TrimSpace(form.Get(stepField(i, "list_button"))),
		}
		switch s.Kind {
		case softbot.KindButtons, softbot.KindList:
			for j := 0; j < maxOptionsParsed; j++ {
				if _, ok := form[optField(i, j, "title")]; !ok {
					break
				}
				o := softbot.Option{Title: strings.TrimSpace(form.Get(optField(i, j, "title"))), Next: form.Get(optField(i, j, "next"))}
				if s.Kind == softbot.KindList {
					o.Description = strings.TrimSpace(form.Get(optField(i, j, "desc")))
				}
				s.Options = append(s.Options, o)
			}
			if s.Kind == softbot.KindButtons {
				s.ListButton = ""
			}
		case softbot.KindAnswer:
			s.Next = form.Get(stepField(i, "next"))
		case softbot.KindCollect:
			s.Field = strings.TrimSpace(form.Get(stepField(i, "field")))
			s.Validate = form.Get(stepField(i, "validate"))
			s.Next = form.Get(stepField(i, "next"))
		case softbot.KindHandoff:
			s.Skillset = form.Get(stepField(i, "skillset"))
			if b := strings.TrimSpace(form.Get(stepField(i, "bump"))); b != "" {
				n, err := strconv.Atoi(b)
				if err != nil {
					ps = append(ps, softbot.Problem{Step: s.ID, Key: "bot.err.priority", Args: []any{softbot.MaxPriorityBump}})
				}
				s.PriorityBump = n
			}
		}
		if s.Kind != softbot.KindButtons && s.Kind != softbot.KindList {
			s.ListButton = ""
		}
		m.Steps = append(m.Steps, s)
	}
	return m, ps
}

// applyShape carries out an add or remove button; it reports whether the
// action was one, and the step to scroll back to.
func applyShape(m *softbot.Menu, action string) (bool, int) {
	parts := strings.Split(action, ":")
	idx := func(k int) int {
		if k >= len(parts) {
			return -1
		}
		n, err := strconv.Atoi(parts[k])
		if err != nil {
			return -1
		}
		return n
	}
	i := idx(1)
	switch parts[0] {
	case "add_step":
		if len(m.Steps) >= softbot.MaxSteps {
			return true, len(m.Steps) - 1
		}
		m.Steps = append(m.Steps, softbot.Step{ID: freeStepID(*m), Kind: softbot.KindAnswer})
		return true, len(m.Steps) - 1
	case "remove_step":
		if i >= 0 && i < len(m.Steps) {
			m.Steps = slices.Delete(m.Steps, i, i+1)
		}
		return true, max(i-1, 0)
	case "add_option":
		if i >= 0 && i < len(m.Steps) && len(m.Steps[i].Options) < softbot.MaxRows {
			m.Steps[i].Options = append(m.Steps[i].Options, softbot.Option{})
		}
		return true, i
	case "remove_option":
		if j := idx(2); i >= 0 && i < len(m.Steps) && j >= 0 && j < len(m.Steps[i].Options) {
			m.Steps[i].Options = slices.Delete(m.Steps[i].Options, j, j+1)
		}
		return true, i
	}
	return false, 0
}

// freeStepID names a new step "step-N" with the first N not taken.
func freeStepID(m softbot.Menu) string {
	for n := len(m.Steps) + 1; ; n++ {
		id := "step-" + strconv.Itoa(n)
		if !slices.ContainsFunc(m.Steps, func(s softbot.Step) bool { return s.ID == id }) {
			return id
		}
	}
}

// editorView is the editor page.
type editorView struct {
	Bot       storage.Bot
	Menu      softbot.Menu
	Problems  []softbot.Problem
	Skillsets []storage.Skillset
	Name      *ui.Form // the rename form
	Notice    string   // why the page is shown again (a message key)
}

// stepProblems are the problems of step s (not of its options).
func (v editorView) stepProblems(s softbot.Step) []softbot.Problem {
	var out []softbot.Problem
	for _, p := range v.Problems {
		if p.Step == s.ID && p.Option == 0 && (s.ID != "" || p.Key == "bot.err.step_id") {
			out = append(out, p)
		}
	}
	return out
}

// optionProblems are the problems of option j (0-based) of step s.
func (v editorView) optionProblems(s softbot.Step, j int) []softbot.Problem {
	var out []softbot.Problem
	for _, p := range v.Problems {
		if p.Step == s.ID && p.Option == j+1 {
			out = append(out, p)
		}
	}
	return out
}

// menuProblems are the problems of the menu as a whole.
func (v editorView) menuProblems() []softbot.Problem {
	var out []softbot.Problem
	for _, p := range v.Problems {
		if p.Step == "" && p.Key != "bot.err.step_id" {
			out = append(out, p)
		}
	}
	return out
}

// problemText says a problem in the administrator's language.
func problemText(ctx context.Context, p softbot.Problem) string { return i18n.T(ctx, p.Key, p.Args...) }

// stepIDs are the choices of the next-step selects: every step's id, and a
// reference to a missing step kept (and shown as missing) so what was
// chosen is not silently changed.
func stepChoices(ctx context.Context, m softbot.Menu, current string, allowEnd bool) []ui.Option {
	var out []ui.Option
	if allowEnd {
		out = append(out, ui.Option{Value: "", Label: i18n.T(ctx, "bots.next_end")})
	} else {
		out = append(out, ui.Option{Value: "", Label: i18n.T(ctx, "bots.next_choose")})
	}
	found := current == ""
	for _, s := range m.Steps {
		if s.ID == "" {
			continue
		}
		out = append(out, ui.Option{Value: s.ID, Label: s.ID})
		found = found || s.ID == current
	}
	if !found {
		out = append(out, ui.Option{Value: current, Label: i18n.T(ctx, "bots.next_missing", current)})
	}
	return out
}

func (d Deps) renderEditor(w http.ResponseWriter, r *http.Request, status int, v editorView) {
	p, _ := auth.FromContext(r.Context())
	var err error
	if v.Skillsets, err = d.Store.ListSkillsets(r.Context(), p.TenantID); err != nil {
		d.Unavailable(w, r, "list skillsets", err)
		return
	}
	if v.Name == nil {
		v.Name = ui.NewForm()
		v.Name.Values["name"] = v.Bot.Name
	}
	d.Render(w, r, status, BotEditorPage(d.Shell.Page(w, r, "bots.editor", "bots"), v))
}

func handleBotEditor(d Deps) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		b, ok := d.loadBot(w, r)
		if !ok {
			return
		}
		d.renderEditor(w, r, http.StatusOK, editorView{Bot: b, Menu: b.Draft})
	}
}

// handleBotEditorPost saves the draft and then does what the pressed
// button asked.
func handleBotEditorPost(d Deps) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		b, ok := d.loadBot(w, r)
		if !ok {
			return
		}
		ctx := r.Context()
		p, _ := auth.FromContext(ctx)
		if err := r.ParseForm(); err != nil {
			d.Fail(w, r, http.StatusBadRequest, "error.bad_request")
			return
		}
		m, parseProblems := parseMenuForm(r.PostForm)
		action := r.PostFormValue("action")
		if shaped, at := applyShape(&m, action); shaped {
			if err := d.Store.SaveBotDraft(ctx, p.TenantID, actor(r), b.ID, m); err != nil {
				d.Unavailable(w, r, "save draft", err)
				return
			}
			http.Redirect(w, r, fmt.Sprintf("/admin/bots/%s#step-%d", b.ID, at), http.StatusSeeOther)
			return
		}
		var problems []softbot.Problem
		var version int
		var err error
		if action == "publish" && len(parseProblems) == 0 {
			version, problems, err = d.Store.PublishBot(ctx, p.TenantID, actor(r), b.ID, m)
		} else {
			if err = d.Store.SaveBotDraft(ctx, p.TenantID, actor(r), b.ID, m); err == nil {
				problems, err = d.Store.ValidateBotMenu(ctx, p.TenantID, m)
			}
		}
		if errors.Is(err, storage.ErrNotFound) {
			d.NotFound(w, r)
			return
		} else if err != nil {
			d.Unavailable(w, r, "save bot", err)
			return
		}
		problems = append(parseProblems, problems...)
		if len(problems) > 0 {
			notice := "bots.saved_problems"
			if action == "publish" {
				notice = "bots.publish_refused"
			}
			if b, err = d.Store.BotByID(ctx, p.TenantID, b.ID); err != nil {
				d.Unavailable(w, r, "load bot", err)
				return
			}
			d.renderEditor(w, r, http.StatusUnprocessableEntity, editorView{Bot: b, Menu: m, Problems: problems, Notice: notice})
			return
		}
		if version > 0 {
			ui.SetFlash(w, d.Cookies, "success", "bots.published", strconv.Itoa(version))
		} else {
			ui.SetFlash(w, d.Cookies, "success", "bots.saved", "")
		}
		http.Redirect(w, r, "/admin/bots/"+b.ID, http.StatusSeeOther)
	}
}
