package admin

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/go-chi/chi/v5"

	"switchboard/internal/auth"
	"switchboard/internal/domain"
	"switchboard/internal/i18n"
	"switchboard/internal/softbot"
	"switchboard/internal/storage"
	"switchboard/internal/ui"
)

// Keyword rules (/admin/rules): the tenant's rules in the order they are
// tried, a form to add one (or edit one, on its own page), and a box that
// tries a sample message against them with the very matcher the runtime
// uses (softbot.Compile), showing every rule that matches and the winner.

// rulesView is the rules page.
type rulesView struct {
	Rules     []storage.KeywordRule
	Numbers   []domain.Number
	Skillsets []storage.Skillset
	Form      *ui.Form
	EditID    string // the rule being edited ("" adds one)
	Try       *ui.Form
	Tried     *tryResult
}

// tryResult is what a sample message hit.
type tryResult struct {
	Matches []storage.KeywordRule // in order; the first answers
}

// ruleForm fills the form from a rule.
func ruleForm(k storage.KeywordRule) *ui.Form {
	f := ui.NewForm()
	f.Values["name"], f.Values["number_id"], f.Values["match"], f.Values["pattern"] = k.Name, k.NumberID, k.Match, k.Pattern
	f.Values["language"], f.Values["reply"] = k.Language, k.Reply.Text
	for i := range storage.MaxRuleButtons {
		if i < len(k.Reply.Buttons) {
			f.Values["button_"+strconv.Itoa(i+1)] = k.Reply.Buttons[i]
		}
	}
	if k.Reply.Other {
		f.Values["reply_other"] = "on"
	}
	f.Values["set_tags"] = strings.Join(k.SetTags, ", ")
	if k.SetPriority != nil {
		f.Values["set_priority"] = strconv.Itoa(*k.SetPriority)
	}
	f.Values["set_skillset"] = k.SetSkillset
	if k.Handoff {
		f.Values["handoff"] = "on"
	}
	if k.Active {
		f.Values["active"] = "on"
	}
	ruleFileShown(f, k.Reply.Media)
	return f
}

// readRuleForm reads a posted rule; the form keeps what was typed.
func readRuleForm(r *http.Request) (*ui.Form, storage.KeywordRule, error) {
	f := ui.NewForm()
	for _, k := range []string{"name", "number_id", "match", "pattern", "language", "reply", "button_1", "button_2", "button_3",
		"set_tags", "set_priority", "set_skillset", "handoff", "active", "remove_media"} {
		f.Values[k] = r.PostFormValue(k)
	}
	k := storage.KeywordRule{Name: f.Values["name"], NumberID: f.Values["number_id"], Match: f.Values["match"], Pattern: f.Values["pattern"],
		Language: f.Values["language"], SetSkillset: f.Values["set_skillset"], Handoff: f.Values["handoff"] != "", Active: f.Values["active"] != ""}
	k.Reply.Text = f.Values["reply"]
	for i := 1; i <= storage.MaxRuleButtons; i++ {
		if b := strings.TrimSpace(f.Values["button_"+strconv.Itoa(i)]); b != "" {
			k.Reply.Buttons = append(k.Reply.Buttons, b)
		}
	}
	if k.Reply.Text == "" && r.PostFormValue("reply_other") != "" {
		k.Reply.Other = true // a media reply the form cannot show: kept
		f.Values["reply_other"] = "on"
	}
	k.SetTags = strings.Split(f.Values["set_tags"], ",")
	if p := strings.TrimSpace(f.Values["set_priority"]); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil {
			return f, k, &domain.FieldError{Field: "set_priority", Key: "rule.err.priority"}
		}
		k.SetPriority = &n
	}
	return f, k, nil
}

func (d Deps) renderRules(w http.ResponseWriter, r *http.Request, status int, v rulesView) {
	ctx := r.Context()
	p, _ := auth.FromContext(ctx)
	var err error
	if v.Rules, err = d.Store.ListKeywordRules(ctx, p.TenantID); err != nil {
		d.Unavailable(w, r, "list rules", err)
		return
	}
	if v.Numbers, err = d.Store.ListNumbers(ctx, p.TenantID); err != nil {
		d.Unavailable(w, r, "list numbers", err)
		return
	}
	if v.Skillsets, err = d.Store.ListSkillsets(ctx, p.TenantID); err != nil {
		d.Unavailable(w, r, "list skillsets", err)
		return
	}
	if v.Form == nil {
		v.Form = ruleForm(storage.KeywordRule{Match: softbot.MatchContains, Active: true})
	}
	if v.Try == nil {
		v.Try = ui.NewForm()
	}
	title := "rules.title"
	if v.EditID != "" {
		title = "rules.edit"
	}
	d.Render(w, r, status, RulesPage(d.Shell.Page(w, r, title, "rules"), v))
}

func handleRules(d Deps) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) { d.renderRules(w, r, http.StatusOK, rulesView{}) }
}

// handleRuleEdit shows the page with one rule's form filled in.
func handleRuleEdit(d Deps) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, _ := auth.FromContext(r.Context())
		k, err := d.Store.KeywordRuleByID(r.Context(), p.TenantID, chi.URLParam(r, "id"))
		if errors.Is(err, storage.ErrNotFound) {
			d.NotFound(w, r)
			return
		} else if err != nil {
			d.Unavailable(w, r, "load rule", err)
			return
		}
		d.renderRules(w, r, http.StatusOK, rulesView{Form: ruleForm(k), EditID: k.ID})
	}
}

// rulesDone answers a change: back to the list with a flash, or the page
// again with the error beside its field and the form as typed.
func (d Deps) rulesDone(w http.ResponseWriter, r *http.Request, err error, v rulesView, okKey string) {
	var fe *domain.FieldError
	switch {
	case errors.As(err, &fe):
		if v.Form == nil {
			v.Form = ui.NewForm()
		}
		v.Form.Fail(fe.Field, fe.Key)
		if fe.Field == "buttons" {
			v.Form.Fail("button_1", fe.Key)
		}
		d.renderRules(w, r, http.StatusUnprocessableEntity, v)
	case errors.Is(err, storage.ErrNotFound):
		d.NotFound(w, r)
	case err != nil:
		d.Unavailable(w, r, "save rule", err)
	default:
		ui.SetFlash(w, d.Cookies, "success", okKey, "")
		http.Redirect(w, r, "/admin/rules", http.StatusSeeOther)
	}
}

func handleRuleCreate(d Deps) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		p, _ := auth.FromContext(ctx)
		f, k, err := readRuleForm(r)
		var file *domain.Media
		if err == nil {
			file, err = d.storeRuleFile(ctx, r, &k)
		}
		if err == nil {
			_, err = d.Store.CreateKeywordRule(ctx, p.TenantID, actor(r), k)
		}
		if err != nil {
			d.discardRuleFile(ctx, file)
			if ruleFileChosen(r) {
				f.Values["file_again"] = "on"
			}
		}
		d.rulesDone(w, r, err, rulesView{Form: f}, "rules.created")
	}
}

// handleRuleUpdate saves a rule's form. Its file stays unless a new one is
// chosen or "remove the file" is ticked; the file it no longer answers
// with is deleted once nothing else uses it.
func handleRuleUpdate(d Deps) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		p, _ := auth.FromContext(ctx)
		id := chi.URLParam(r, "id")
		before, err := d.Store.KeywordRuleByID(ctx, p.TenantID, id)
		if err != nil {
			d.rulesDone(w, r, err, rulesView{}, "")
			return
		}
		f, k, err := readRuleForm(r)
		k.ID = id
		ruleFileShown(f, before.Reply.Media)
		if f.Get("remove_media") == "" {
			k.Reply.Media = before.Reply.Media
		}
		var file *domain.Media
		if err == nil {
			file, err = d.storeRuleFile(ctx, r, &k)
		}
		if err == nil {
			err = d.Store.UpdateKeywordRule(ctx, p.TenantID, actor(r), k)
		}
		if err != nil {
			d.discardRuleFile(ctx, file)
			if ruleFileChosen(r) {
				f.Values["file_again"] = "on"
			}
		} else if old := before.Reply.Media; old != nil && (k.Reply.Media == nil || k.Reply.Media.ID != old.ID) {
			d.releaseRuleFile(ctx, p.TenantID, old)
		}
		d.rulesDone(w, r, err, rulesView{Form: f, EditID: id}, "rules.saved")
	}
}

func handleRuleDelete(d Deps) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		p, _ := auth.FromContext(ctx)
		before, _ := d.Store.KeywordRuleByID(ctx, p.TenantID, chi.URLParam(r, "id")) // its file, if any
		err := d.Store.DeleteKeywordRule(ctx, p.TenantID, actor(r), chi.URLParam(r, "id"))
		if err == nil {
			d.releaseRuleFile(ctx, p.TenantID, before.Reply.Media)
		}
		d.rulesDone(w, r, err, rulesView{}, "rules.deleted")
	}
}

func handleRuleMove(d Deps) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, _ := auth.FromContext(r.Context())
		err := d.Store.MoveKeywordRule(r.Context(), p.TenantID, actor(r), chi.URLParam(r, "id"), r.PostFormValue("dir") == "up")
		d.rulesDone(w, r, err, rulesView{}, "rules.moved")
	}
}

// handleRuleTry tries a sample message against the active rules, as a
// customer writing in the chosen language to the chosen number would.
func handleRuleTry(d Deps) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, _ := auth.FromContext(r.Context())
		v := rulesView{Try: ui.NewForm()}
		for _, k := range []string{"try_text", "try_language", "try_number"} {
			v.Try.Values[k] = r.PostFormValue(k)
		}
		text := strings.TrimSpace(v.Try.Values["try_text"])
		if text == "" {
			v.Try.Fail("try_text", "form.required")
			d.renderRules(w, r, http.StatusUnprocessableEntity, v)
			return
		}
		rules, err := d.Store.ListKeywordRules(r.Context(), p.TenantID)
		if err != nil {
			d.Unavailable(w, r, "list rules", err)
			return
		}
		v.Tried = tryRules(rules, text, v.Try.Values["try_language"], v.Try.Values["try_number"])
		d.renderRules(w, r, http.StatusOK, v)
	}
}

// tryRules runs the runtime's matcher over the active rules that apply to
// the number ("" any number: only the tenant-wide ones and all others
// alike, since no number is chosen).
func tryRules(rules []storage.KeywordRule, text, lang, numberID string) *tryResult {
	byID := map[string]storage.KeywordRule{}
	var list []softbot.Rule
	for _, k := range rules {
		if !k.Active || (numberID != "" && k.NumberID != "" && k.NumberID != numberID) {
			continue
		}
		byID[k.ID] = k
		list = append(list, k.SoftbotRule())
	}
	res := &tryResult{}
	for _, m := range softbot.Compile(list).All(text, lang) {
		res.Matches = append(res.Matches, byID[m.ID])
	}
	return res
}

// matchLabel names a match kind.
func matchLabel(ctx context.Context, m string) string { return i18n.T(ctx, "rules.match_"+m) }

// langLabel names a rule's language.
func langLabel(ctx context.Context, l string) string {
	if l == "" {
		return i18n.T(ctx, "rules.lang_any")
	}
	return i18n.T(ctx, "rules.lang_"+l)
}

func numberOptions(ctx context.Context, numbers []domain.Number, allKey string) []ui.Option {
	out := []ui.Option{{Value: "", Label: i18n.T(ctx, allKey)}}
	for _, n := range numbers {
		out = append(out, ui.Option{Value: n.ID, Label: n.DisplayPhone})
	}
	return out
}

func ruleSkillsetOptions(ctx context.Context, all []storage.Skillset, noneKey string) []ui.Option {
	out := []ui.Option{{Value: "", Label: i18n.T(ctx, noneKey)}}
	for _, s := range all {
		out = append(out, ui.Option{Value: s.ID, Label: s.Name})
	}
	return out
}

func skillsetName(all []storage.Skillset, id string) string {
	for _, s := range all {
		if s.ID == id {
			return s.Name
		}
	}
	return ""
}

// rulesRoutes mounts the keyword rules.
func rulesRoutes(r chi.Router, d Deps) {
	r.Get("/rules", handleRules(d))
	r.Post("/rules", handleRuleCreate(d))
	r.Post("/rules/try", handleRuleTry(d))
	r.Get("/rules/{id}", handleRuleEdit(d))
	r.Post("/rules/{id}", handleRuleUpdate(d))
	r.Post("/rules/{id}/delete", handleRuleDelete(d))
	r.Post("/rules/{id}/move", handleRuleMove(d))
}
