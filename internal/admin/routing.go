package admin

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/go-chi/chi/v5"

	"switchboard/internal/auth"
	"switchboard/internal/domain"
	"switchboard/internal/i18n"
	"switchboard/internal/routing"
	"switchboard/internal/storage"
	"switchboard/internal/ui"
)

// liveView is the routing live view: the queues and agents from Postgres,
// each agent's presence from Redis.
type liveView struct {
	storage.LiveRouting
	// States is each agent's presence; nil when Redis could not be read
	// (then every state shows as unknown, and the rest still shows).
	States map[string]string
}

// state is the agent's presence, "unknown" when it could not be read.
func (v liveView) state(agentID string) string {
	if v.States == nil {
		return "unknown"
	}
	if s := v.States[agentID]; s != "" {
		return s
	}
	return routing.Offline
}

func (d Deps) loadLive(ctx context.Context, tenantID string) (liveView, error) {
	live, err := d.Store.LiveRouting(ctx, tenantID)
	if err != nil {
		return liveView{}, err
	}
	v := liveView{LiveRouting: live}
	ids := make([]string, len(live.Agents))
	for i, a := range live.Agents {
		ids[i] = a.ID
	}
	if d.Routing != nil {
		if v.States, err = d.Routing.Availability(ctx, tenantID, ids); err != nil {
			d.Logger.WarnContext(ctx, "routing view: presence unreadable", "error", err)
			v.States = nil
		}
	}
	return v, nil
}

// handleRouting shows the routing live view; its script then refreshes the
// part below the heading from handleRoutingLive.
func handleRouting(d Deps) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, _ := auth.FromContext(r.Context())
		v, err := d.loadLive(r.Context(), p.TenantID)
		if err != nil {
			d.Unavailable(w, r, "routing view", err)
			return
		}
		d.Render(w, r, http.StatusOK, RoutingPage(d.Shell.Page(w, r, "live.title", "routing"), v))
	}
}

// handleRoutingLive answers the live view's script with the same component
// the page shows, without the page around it.
func handleRoutingLive(d Deps) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, _ := auth.FromContext(r.Context())
		v, err := d.loadLive(r.Context(), p.TenantID)
		if err != nil {
			d.Unavailable(w, r, "routing view", err)
			return
		}
		d.Render(w, r, http.StatusOK, RoutingLive(v))
	}
}

// conversationStatuses are the statuses the list filters on, in its order.
var conversationStatuses = []string{domain.ConversationQueued, domain.ConversationAssigned, domain.ConversationBot, domain.ConversationClosed}

// conversationsPageSize is how many conversations one page of the list shows.
const conversationsPageSize = 50

// conversationList is one page of the administrators' conversation list.
type conversationList struct {
	Status string // "" for all
	Rows   []storage.ConversationListRow
	More   bool // an older page exists
}

func handleConversations(d Deps) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, _ := auth.FromContext(r.Context())
		q := r.URL.Query()
		l := conversationList{Status: q.Get("status")}
		if l.Status != "" && !slices.Contains(conversationStatuses, l.Status) {
			l.Status = ""
		}
		before := q.Get("before")
		if before != "" && !domain.ValidID(before) {
			before = ""
		}
		rows, err := d.Store.ListConversationRows(r.Context(), p.TenantID, l.Status, before, conversationsPageSize+1)
		if err != nil {
			d.Unavailable(w, r, "list conversations", err)
			return
		}
		l.Rows, l.More = rows[:min(len(rows), conversationsPageSize)], len(rows) > conversationsPageSize
		d.Render(w, r, http.StatusOK, ConversationsPage(d.Shell.Page(w, r, "conversation.list_title", "conversations"), l))
	}
}

// handleConversation shows one conversation with its routing history and
// messages; another tenant's is 404, like one that does not exist.
func handleConversation(d Deps) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, _ := auth.FromContext(r.Context())
		id := chi.URLParam(r, "id")
		if !domain.ValidID(id) {
			d.NotFound(w, r)
			return
		}
		c, err := d.Store.ConversationDetail(r.Context(), p.TenantID, id)
		if errors.Is(err, storage.ErrNotFound) {
			d.NotFound(w, r)
			return
		} else if err != nil {
			d.Unavailable(w, r, "load conversation", err)
			return
		}
		msgs, err := d.Store.ListMessages(r.Context(), p.TenantID, id, storage.Page{Limit: conversationMessages})
		if err != nil {
			d.Unavailable(w, r, "list messages", err)
			return
		}
		var a Actions
		if c.Status != "closed" {
			if a.Agents, err = d.Store.ListRoutingAgents(r.Context(), p.TenantID); err != nil {
				d.Unavailable(w, r, "list agents", err)
				return
			}
			if a.Skillsets, err = d.Store.ListSkillsets(r.Context(), p.TenantID); err != nil {
				d.Unavailable(w, r, "list skillsets", err)
				return
			}
		}
		notes, err := d.Store.ListNotes(r.Context(), p.TenantID, id)
		if err != nil {
			d.Unavailable(w, r, "list notes", err)
			return
		}
		d.Render(w, r, http.StatusOK, ConversationPage(d.Shell.Page(w, r, "conversation.title", "conversations"), c, msgs, a, notes))
	}
}

// handleConversationTransfer gives the conversation to an agent or puts it
// back in the queue for a skillset, as the router's rules say; the router's
// refusal ("the agent is offline") comes back as the flash.
func handleConversationTransfer(d Deps) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, _ := auth.FromContext(r.Context())
		id := chi.URLParam(r, "id")
		actor := "admin:" + p.UserID
		kind, target, _ := strings.Cut(r.PostFormValue("target"), ":")
		var err error
		switch kind {
		case "agent":
			err = d.Routing.TransferToAgent(r.Context(), p.TenantID, id, target, actor)
		case "skillset":
			err = d.Routing.TransferToSkillset(r.Context(), p.TenantID, id, target, actor)
		default:
			ui.SetFlash(w, d.Cookies, "error", "conversation.choose_target", "")
			http.Redirect(w, r, "/admin/conversations/"+id, http.StatusSeeOther)
			return
		}
		d.afterRouting(w, r, id, err, "conversation.transferred")
	}
}

// handleConversationTakeOver gives the conversation to the administrator,
// who answers it in the agent console. A direct transfer needs a holder
// who is not offline: an administrator without presence becomes "away"
// (kept alive by the console's heartbeat), so the router gives it nothing
// else.
func handleConversationTakeOver(d Deps) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, _ := auth.FromContext(r.Context())
		id := chi.URLParam(r, "id")
		states, err := d.Routing.Availability(r.Context(), p.TenantID, []string{p.UserID})
		if err != nil {
			d.Unavailable(w, r, "read presence", err)
			return
		}
		if s := states[p.UserID]; s != routing.Available && s != routing.Away {
			if err := d.Routing.SetAvailability(r.Context(), p.TenantID, p.UserID, routing.Away); err != nil {
				d.Unavailable(w, r, "set presence", err)
				return
			}
		}
		err = d.Routing.TransferToAgent(r.Context(), p.TenantID, id, p.UserID, "admin:"+p.UserID)
		if err == nil {
			ui.SetFlash(w, d.Cookies, "success", "conversation.taken_over", "")
			http.Redirect(w, r, "/agent/conversations/"+id, http.StatusSeeOther)
			return
		}
		d.afterRouting(w, r, id, err, "conversation.taken_over")
	}
}

// handleConversationClose closes the conversation.
func handleConversationClose(d Deps) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, _ := auth.FromContext(r.Context())
		id := chi.URLParam(r, "id")
		err := d.Routing.Close(r.Context(), p.TenantID, id, "admin:"+p.UserID)
		d.afterRouting(w, r, id, err, "conversation.closed")
	}
}

// afterRouting turns a routing command's outcome into a flash and a
// redirect back to the conversation.
func (d Deps) afterRouting(w http.ResponseWriter, r *http.Request, id string, err error, okKey string) {
	var refused *routing.RefusedError
	switch {
	case err == nil:
		ui.SetFlash(w, d.Cookies, "success", okKey, "")
	case errors.Is(err, storage.ErrNotFound):
		d.NotFound(w, r)
		return
	case errors.As(err, &refused):
		ui.SetFlash(w, d.Cookies, "error", "conversation.refused", refused.Text(r.Context()))
	case errors.Is(err, routing.ErrClosed):
		ui.SetFlash(w, d.Cookies, "error", "conversation.refused", i18n.T(r.Context(), "routing.refused.closed_already"))
	case errors.Is(err, routing.ErrNotAgent):
		ui.SetFlash(w, d.Cookies, "error", "conversation.refused", i18n.T(r.Context(), "routing.refused.no_agent"))
	case errors.Is(err, routing.ErrPending):
		ui.SetFlash(w, d.Cookies, "info", "conversation.pending", "")
	default:
		d.Unavailable(w, r, "routing command", err)
		return
	}
	http.Redirect(w, r, "/admin/conversations/"+id, http.StatusSeeOther)
}

// conversationMessages is how many messages the conversation page shows
// (the oldest first).
const conversationMessages = 500

// conversationsURL is the list filtered by status ("" for all), from the
// page after the conversation before ("" for the first page).
func conversationsURL(status, before string) string {
	q := url.Values{}
	if status != "" {
		q.Set("status", status)
	}
	if before != "" {
		q.Set("before", before)
	}
	if len(q) == 0 {
		return "/admin/conversations"
	}
	return "/admin/conversations?" + q.Encode()
}
