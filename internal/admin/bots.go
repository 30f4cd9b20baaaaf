package admin

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/go-chi/chi/v5"

	"switchboard/internal/auth"
	"switchboard/internal/domain"
	"switchboard/internal/i18n"
	"switchboard/internal/storage"
	"switchboard/internal/ui"
)

// Menu bots (/admin/bots): the list with each bot's live version, the
// numbers it answers and whether its draft changed since it was published;
// create, rename and delete. The editor is in bots_editor.go, its test
// panel in bots_test_run.go.

// botsView is the bots list.
type botsView struct {
	Bots []storage.Bot
	Form *ui.Form // the create form, or the refusal of a delete
}

func (d Deps) renderBots(w http.ResponseWriter, r *http.Request, status int, f *ui.Form) {
	p, _ := auth.FromContext(r.Context())
	bots, err := d.Store.ListBots(r.Context(), p.TenantID)
	if err != nil {
		d.Unavailable(w, r, "list bots", err)
		return
	}
	if f == nil {
		f = ui.NewForm()
	}
	d.Render(w, r, status, BotsPage(d.Shell.Page(w, r, "bots.title", "bots"), botsView{Bots: bots, Form: f}))
}

func handleBots(d Deps) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) { d.renderBots(w, r, http.StatusOK, nil) }
}

// handleBotCreate adds a bot whose first draft is a small working menu in
// the administrator's language, and opens it in the editor.
func handleBotCreate(d Deps) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, _ := auth.FromContext(r.Context())
		f := ui.NewForm()
		f.Values["name"] = r.PostFormValue("name")
		id, err := d.Store.CreateBot(r.Context(), p.TenantID, actor(r), f.Values["name"], storage.NewBotMenu(string(i18n.FromContext(r.Context()))))
		var fe *domain.FieldError
		switch {
		case errors.As(err, &fe):
			f.Fail(fe.Field, fe.Key)
			d.renderBots(w, r, http.StatusUnprocessableEntity, f)
		case err != nil:
			d.Unavailable(w, r, "create bot", err)
		default:
			ui.SetFlash(w, d.Cookies, "success", "bots.created", "")
			http.Redirect(w, r, "/admin/bots/"+id, http.StatusSeeOther)
		}
	}
}

// loadBot finds the bot of the URL in the administrator's tenant; another
// tenant's is 404, like one that does not exist.
func (d Deps) loadBot(w http.ResponseWriter, r *http.Request) (storage.Bot, bool) {
	p, _ := auth.FromContext(r.Context())
	b, err := d.Store.BotByID(r.Context(), p.TenantID, chi.URLParam(r, "id"))
	if errors.Is(err, storage.ErrNotFound) {
		d.NotFound(w, r)
		return b, false
	} else if err != nil {
		d.Unavailable(w, r, "load bot", err)
		return b, false
	}
	return b, true
}

func handleBotRename(d Deps) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		b, ok := d.loadBot(w, r)
		if !ok {
			return
		}
		p, _ := auth.FromContext(r.Context())
		name := r.PostFormValue("name")
		err := d.Store.RenameBot(r.Context(), p.TenantID, actor(r), b.ID, name)
		var fe *domain.FieldError
		switch {
		case errors.As(err, &fe):
			v := editorView{Bot: b, Menu: b.Draft, Name: ui.NewForm()}
			v.Name.Values["name"] = name
			v.Name.Fail("name", fe.Key)
			d.renderEditor(w, r, http.StatusUnprocessableEntity, v)
		case err != nil:
			d.Unavailable(w, r, "rename bot", err)
		default:
			ui.SetFlash(w, d.Cookies, "success", "bots.renamed", "")
			http.Redirect(w, r, "/admin/bots/"+b.ID, http.StatusSeeOther)
		}
	}
}

// handleBotDelete deletes a bot no number uses; otherwise the list says
// which numbers to change first.
func handleBotDelete(d Deps) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		b, ok := d.loadBot(w, r)
		if !ok {
			return
		}
		p, _ := auth.FromContext(r.Context())
		err := d.Store.DeleteBot(r.Context(), p.TenantID, actor(r), b.ID)
		var inUse *storage.BotInUseError
		switch {
		case errors.As(err, &inUse):
			f := ui.NewForm()
			f.Error, f.Arg = "bots.in_use", b.Name+": "+strings.Join(inUse.Numbers, ", ")
			d.renderBots(w, r, http.StatusConflict, f)
		case errors.Is(err, storage.ErrNotFound):
			d.NotFound(w, r)
		case err != nil:
			d.Unavailable(w, r, "delete bot", err)
		default:
			ui.SetFlash(w, d.Cookies, "success", "bots.deleted", "")
			http.Redirect(w, r, "/admin/bots", http.StatusSeeOther)
		}
	}
}

// botOptions are the published bots a number may use.
func botOptions(ctx context.Context, bots []storage.Bot) []ui.Option {
	out := []ui.Option{{Value: "", Label: i18n.T(ctx, "auto.bot_none")}}
	for _, b := range bots {
		out = append(out, ui.Option{Value: b.ID, Label: b.Name})
	}
	return out
}

// softbotRoutes mounts the pages of softbots and automatic replies.
func softbotRoutes(r chi.Router, d Deps) {
	r.Get("/numbers/{id}/automation", handleAutomation(d))
	r.Post("/numbers/{id}/automation", handleAutomationSave(d))
	rulesRoutes(r, d)
	r.Get("/bots", handleBots(d))
	r.Post("/bots", handleBotCreate(d))
	r.Get("/bots/{id}", handleBotEditor(d))
	r.Post("/bots/{id}", handleBotEditorPost(d))
	r.Post("/bots/{id}/rename", handleBotRename(d))
	r.Post("/bots/{id}/delete", handleBotDelete(d))
	r.Post("/bots/{id}/test", handleBotTest(d))
}
