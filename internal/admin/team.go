package admin

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"switchboard/internal/auth"
	"switchboard/internal/domain"
	"switchboard/internal/httpx"
	"switchboard/internal/routing"
	"switchboard/internal/storage"
	"switchboard/internal/tenant"
	"switchboard/internal/ui"
)

// The team: skillsets with their members (/admin/skillsets) and the agents
// (/admin/agents): invitations, deactivation, capacity, memberships, and
// each agent's availability and load at a glance. Every rule (names,
// priorities, capacities, who may be a member, what may be deleted) is the
// store's, as for the CLI: these handlers only decode, call and show.

// teamRoutes mounts the team pages under /admin.
func teamRoutes(r chi.Router, d Deps) {
	r.Get("/skillsets", handleSkillsets(d))
	r.Post("/skillsets", handleSkillsetCreate(d))
	r.Get("/skillsets/{id}", handleSkillset(d))
	r.Post("/skillsets/{id}/rename", handleSkillsetRename(d))
	r.Post("/skillsets/{id}/delete", handleSkillsetDelete(d))
	r.Post("/skillsets/{id}/members", handleSkillsetMemberSet(d))
	r.Post("/skillsets/{id}/members/{user}/delete", handleSkillsetMemberRemove(d))
	r.Get("/agents", handleAgents(d))
	r.Post("/agents", handleAgentInvite(d))
	r.Get("/agents/{id}", handleAgent(d))
	r.Post("/agents/{id}/capacity", handleAgentCapacity(d))
	r.Post("/agents/{id}/deactivate", handleAgentActive(d, false))
	r.Post("/agents/{id}/reactivate", handleAgentActive(d, true))
	r.Post("/agents/{id}/reinvite", handleAgentReinvite(d))
	r.Post("/agents/{id}/skillsets", handleAgentJoin(d))
}

// fieldError returns the store's validation error, if err is one.
func fieldError(err error) (*domain.FieldError, bool) {
	var fe *domain.FieldError
	return fe, errors.As(err, &fe)
}

// parsePriority reads a priority field; what is not a whole number gets
// the store's own message for a priority out of range.
func parsePriority(s string) (int, bool) {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil {
		return 0, false
	}
	return n, true
}

// --- Skillsets ---

func handleSkillsets(d Deps) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) { d.renderSkillsets(w, r, http.StatusOK, ui.NewForm()) }
}

func (d Deps) renderSkillsets(w http.ResponseWriter, r *http.Request, status int, f *ui.Form) {
	p, _ := auth.FromContext(r.Context())
	sets, err := d.Store.ListSkillsets(r.Context(), p.TenantID)
	if err != nil {
		d.Unavailable(w, r, "list skillsets", err)
		return
	}
	d.Render(w, r, status, SkillsetsPage(d.Shell.Page(w, r, "admin.team.skillsets", "skillsets"), sets, f))
}

func handleSkillsetCreate(d Deps) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, _ := auth.FromContext(r.Context())
		f := ui.NewForm()
		f.Values["name"] = r.PostFormValue("name")
		id, err := d.Store.CreateSkillset(r.Context(), p.TenantID, p.Actor(httpx.ClientIP(r)), f.Values["name"])
		if fe, ok := fieldError(err); ok {
			f.Fail(fe.Field, fe.Key)
			d.renderSkillsets(w, r, http.StatusUnprocessableEntity, f)
			return
		} else if err != nil {
			d.Unavailable(w, r, "create skillset", err)
			return
		}
		ui.SetFlash(w, d.Cookies, "success", "admin.team.skillset_created", "")
		http.Redirect(w, r, "/admin/skillsets/"+id, http.StatusSeeOther)
	}
}

// skillsetForms are the skillset page's forms; the one that failed shows
// what was typed and its error.
type skillsetForms struct {
	Rename, Member, Delete *ui.Form
	// Editing is the member whose priority change failed ("" for none).
	Editing string
}

// skillsetView is a skillset with the agents that may still join it.
type skillsetView struct {
	storage.Skillset
	Candidates []storage.RoutingAgent // active agents not yet members
}

func (d Deps) renderSkillset(w http.ResponseWriter, r *http.Request, status int, f skillsetForms) {
	p, _ := auth.FromContext(r.Context())
	id := chi.URLParam(r, "id")
	if !domain.ValidID(id) {
		d.NotFound(w, r)
		return
	}
	sets, err := d.Store.ListSkillsets(r.Context(), p.TenantID)
	if err != nil {
		d.Unavailable(w, r, "list skillsets", err)
		return
	}
	var v skillsetView
	found := false
	for _, s := range sets {
		if s.ID == id {
			v.Skillset, found = s, true
		}
	}
	if !found {
		d.NotFound(w, r)
		return
	}
	agents, err := d.Store.ListRoutingAgents(r.Context(), p.TenantID)
	if err != nil {
		d.Unavailable(w, r, "list agents", err)
		return
	}
	member := map[string]bool{}
	for _, m := range v.Members {
		member[m.UserID] = true
	}
	for _, a := range agents {
		if a.Active && !member[a.UserID] {
			v.Candidates = append(v.Candidates, a)
		}
	}
	for _, form := range []**ui.Form{&f.Rename, &f.Member, &f.Delete} {
		if *form == nil {
			*form = ui.NewForm()
		}
	}
	if f.Rename.Values["name"] == "" && f.Rename.OK() {
		f.Rename.Values["name"] = v.Name
	}
	d.Render(w, r, status, SkillsetPage(d.Shell.Page(w, r, "admin.team.skillset", "skillsets"), v, f))
}

func handleSkillset(d Deps) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) { d.renderSkillset(w, r, http.StatusOK, skillsetForms{}) }
}

// skillsetDone redirects to where the change was asked (the skillset page,
// or the agent's page for a membership changed there) with a flash; a
// validation error shows the form again with it, an unknown id is 404.
func (d Deps) skillsetDone(w http.ResponseWriter, r *http.Request, err error, f skillsetForms, form *ui.Form, okKey string) {
	switch fe, isField := fieldError(err); {
	case isField && form != nil:
		form.Fail(fe.Field, fe.Key)
		d.renderSkillset(w, r, http.StatusUnprocessableEntity, f)
	case isField:
		ui.SetFlash(w, d.Cookies, "error", fe.Key, "")
		http.Redirect(w, r, "/admin/skillsets/"+chi.URLParam(r, "id"), http.StatusSeeOther)
	case errors.Is(err, storage.ErrNotFound):
		d.NotFound(w, r)
	case err != nil:
		d.Unavailable(w, r, "change skillset", err)
	default:
		ui.SetFlash(w, d.Cookies, "success", okKey, "")
		http.Redirect(w, r, "/admin/skillsets/"+chi.URLParam(r, "id"), http.StatusSeeOther)
	}
}

func handleSkillsetRename(d Deps) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, _ := auth.FromContext(r.Context())
		f := skillsetForms{Rename: ui.NewForm()}
		f.Rename.Values["name"] = r.PostFormValue("name")
		err := d.Store.RenameSkillset(r.Context(), p.TenantID, p.Actor(httpx.ClientIP(r)), chi.URLParam(r, "id"), f.Rename.Values["name"])
		d.skillsetDone(w, r, err, f, f.Rename, "admin.team.skillset_renamed")
	}
}

// handleSkillsetDelete deletes a skillset; while numbers depend on it the
// store refuses, and the page says which numbers to unlink first.
func handleSkillsetDelete(d Deps) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, _ := auth.FromContext(r.Context())
		err := d.Store.DeleteSkillset(r.Context(), p.TenantID, p.Actor(httpx.ClientIP(r)), chi.URLParam(r, "id"))
		var inUse *storage.SkillsetInUseError
		switch {
		case errors.As(err, &inUse):
			f := skillsetForms{Delete: ui.NewForm()}
			f.Delete.Error, f.Delete.Arg = "admin.team.skillset_in_use", strings.Join(inUse.Numbers, ", ")
			if len(inUse.Numbers) == 0 {
				f.Delete.Error = "admin.team.skillset_in_use_now"
			}
			d.renderSkillset(w, r, http.StatusConflict, f)
		case errors.Is(err, storage.ErrNotFound):
			d.NotFound(w, r)
		case err != nil:
			d.Unavailable(w, r, "delete skillset", err)
		default:
			ui.SetFlash(w, d.Cookies, "success", "admin.team.skillset_deleted", "")
			http.Redirect(w, r, "/admin/skillsets", http.StatusSeeOther)
		}
	}
}

// handleSkillsetMemberSet adds an agent with a priority, or changes a
// member's priority (the form of that member's row: "editing" names it).
// From an agent's page (back=agent) it answers there.
func handleSkillsetMemberSet(d Deps) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, _ := auth.FromContext(r.Context())
		f := skillsetForms{Member: ui.NewForm(), Editing: r.PostFormValue("editing")}
		agent := r.PostFormValue("agent")
		f.Member.Values["agent"], f.Member.Values["priority"] = agent, r.PostFormValue("priority")
		var err error
		if prio, ok := parsePriority(f.Member.Values["priority"]); !ok {
			err = &domain.FieldError{Field: "priority", Key: "routing.priority_range"}
		} else {
			err = d.Store.SetSkillsetMember(r.Context(), p.TenantID, p.Actor(httpx.ClientIP(r)), chi.URLParam(r, "id"), agent, prio)
		}
		if r.PostFormValue("back") == "agent" && domain.ValidID(agent) {
			d.agentMembershipDone(w, r, err, agent, "admin.team.member_saved")
			return
		}
		d.skillsetDone(w, r, err, f, f.Member, "admin.team.member_saved")
	}
}

func handleSkillsetMemberRemove(d Deps) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, _ := auth.FromContext(r.Context())
		user := chi.URLParam(r, "user")
		err := d.Store.RemoveSkillsetMember(r.Context(), p.TenantID, p.Actor(httpx.ClientIP(r)), chi.URLParam(r, "id"), user)
		if r.PostFormValue("back") == "agent" && domain.ValidID(user) {
			d.agentMembershipDone(w, r, err, user, "admin.team.member_removed")
			return
		}
		d.skillsetDone(w, r, err, skillsetForms{}, nil, "admin.team.member_removed")
	}
}

// agentMembershipDone answers a membership change asked from the agent's
// page: back there, with the outcome as a flash.
func (d Deps) agentMembershipDone(w http.ResponseWriter, r *http.Request, err error, agent, okKey string) {
	switch fe, isField := fieldError(err); {
	case isField:
		ui.SetFlash(w, d.Cookies, "error", fe.Key, "")
	case errors.Is(err, storage.ErrNotFound):
		d.NotFound(w, r)
		return
	case err != nil:
		d.Unavailable(w, r, "change membership", err)
		return
	default:
		ui.SetFlash(w, d.Cookies, "success", okKey, "")
	}
	http.Redirect(w, r, "/admin/agents/"+agent, http.StatusSeeOther)
}

// --- Agents ---

// agentRow is an agent as the team pages show it.
type agentRow struct {
	storage.RoutingAgent
	storage.AgentFacts
	State           string // presence: available, away, offline; "" when unreadable
	DefaultCapacity int
}

// EffectiveCapacity is the agent's own capacity, else the tenant's default.
func (a agentRow) EffectiveCapacity() int {
	if a.Capacity != nil {
		return *a.Capacity
	}
	return a.DefaultCapacity
}

// teamAgents reads every agent with its load, invitation and presence.
func (d Deps) teamAgents(r *http.Request, tenantID string) ([]agentRow, storage.RoutingSettings, error) {
	ctx := r.Context()
	agents, err := d.Store.ListRoutingAgents(ctx, tenantID)
	if err != nil {
		return nil, storage.RoutingSettings{}, err
	}
	facts, err := d.Store.AgentTeamFacts(ctx, tenantID)
	if err != nil {
		return nil, storage.RoutingSettings{}, err
	}
	settings, err := d.Store.TenantRoutingSettings(ctx, tenantID)
	if err != nil {
		return nil, storage.RoutingSettings{}, err
	}
	ids := make([]string, len(agents))
	for i, a := range agents {
		ids[i] = a.UserID
	}
	var states map[string]string
	if d.Routing != nil {
		// Redis holds only what may be lost: without it the page still
		// shows everything else, the availability as unknown.
		if states, err = d.Routing.Availability(ctx, tenantID, ids); err != nil {
			d.Logger.WarnContext(ctx, "team: presence unreadable", "error", err)
			states = nil
		}
	}
	rows := make([]agentRow, len(agents))
	for i, a := range agents {
		rows[i] = agentRow{RoutingAgent: a, AgentFacts: facts[a.UserID], State: states[a.UserID], DefaultCapacity: settings.DefaultCapacity}
	}
	return rows, settings, nil
}

// invitedLink is an invitation just made, shown once to the administrator;
// Mailed or MailFailed say what became of its e-mail (neither: no SMTP).
type invitedLink struct {
	Email, URL         string
	ExpiresAt          time.Time
	Mailed, MailFailed bool
}

func (d Deps) inviteURL(r *http.Request, token string) string {
	origin := d.Origin
	if origin == "" {
		// Without BASE_URL's origin (a test without it), the request's:
		// the administrator reads the link on this very site.
		scheme := "http"
		if r.TLS != nil {
			scheme = "https"
		}
		origin = scheme + "://" + r.Host
	}
	return origin + "/invite/" + token
}

func (d Deps) renderAgents(w http.ResponseWriter, r *http.Request, status int, f *ui.Form, link *invitedLink) {
	p, _ := auth.FromContext(r.Context())
	rows, _, err := d.teamAgents(r, p.TenantID)
	if err != nil {
		d.Unavailable(w, r, "list agents", err)
		return
	}
	d.Render(w, r, status, AgentsPage(d.Shell.Page(w, r, "admin.team.agents", "agents"), rows, f, link))
}

func handleAgents(d Deps) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) { d.renderAgents(w, r, http.StatusOK, ui.NewForm(), nil) }
}

// handleAgentInvite adds an agent and shows the invitation link once; with
// SMTP configured the link is also e-mailed (team_mail.go).
func handleAgentInvite(d Deps) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, _ := auth.FromContext(r.Context())
		f := ui.NewForm()
		f.Values["name"], f.Values["email"] = r.PostFormValue("name"), r.PostFormValue("email")
		inv, err := tenant.InviteAgent(r.Context(), d.Store, p.Actor(httpx.ClientIP(r)), p.TenantID, f.Values["email"], f.Values["name"], time.Now())
		if fe, ok := fieldError(err); ok {
			f.Fail(fe.Field, fe.Key)
			d.renderAgents(w, r, http.StatusUnprocessableEntity, f, nil)
			return
		} else if err != nil {
			d.Unavailable(w, r, "invite agent", err)
			return
		}
		link := &invitedLink{Email: tenant.NormalizeEmail(f.Values["email"]), URL: d.inviteURL(r, inv.Token), ExpiresAt: inv.ExpiresAt}
		d.mailInvite(r, link)
		d.renderAgents(w, r, http.StatusCreated, ui.NewForm(), link)
	}
}

// agentForms are the agent page's forms.
type agentForms struct {
	Capacity *ui.Form
	Member   *ui.Form
}

// agentView is one agent with the skillsets it may still join.
type agentView struct {
	agentRow
	Others []storage.Skillset // skillsets it is not a member of
}

func (d Deps) renderAgent(w http.ResponseWriter, r *http.Request, status int, f agentForms, link *invitedLink) {
	p, _ := auth.FromContext(r.Context())
	id := chi.URLParam(r, "id")
	if !domain.ValidID(id) {
		d.NotFound(w, r)
		return
	}
	rows, _, err := d.teamAgents(r, p.TenantID)
	if err != nil {
		d.Unavailable(w, r, "list agents", err)
		return
	}
	var v agentView
	found := false
	for _, a := range rows {
		if a.UserID == id {
			v.agentRow, found = a, true
		}
	}
	if !found {
		d.NotFound(w, r)
		return
	}
	sets, err := d.Store.ListSkillsets(r.Context(), p.TenantID)
	if err != nil {
		d.Unavailable(w, r, "list skillsets", err)
		return
	}
	member := map[string]bool{}
	for _, s := range v.Skillsets {
		member[s.SkillsetID] = true
	}
	for _, s := range sets {
		if !member[s.ID] {
			v.Others = append(v.Others, s)
		}
	}
	if f.Capacity == nil {
		f.Capacity = ui.NewForm()
		if v.Capacity != nil {
			f.Capacity.Values["capacity"] = strconv.Itoa(*v.Capacity)
		}
	}
	if f.Member == nil {
		f.Member = ui.NewForm()
	}
	d.Render(w, r, status, AgentPage(d.Shell.Page(w, r, "admin.team.agent", "agents"), v, f, link))
}

func handleAgent(d Deps) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) { d.renderAgent(w, r, http.StatusOK, agentForms{}, nil) }
}

// handleAgentCapacity sets the agent's capacity; an empty field returns it
// to the tenant's default.
func handleAgentCapacity(d Deps) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, _ := auth.FromContext(r.Context())
		f := agentForms{Capacity: ui.NewForm()}
		raw := strings.TrimSpace(r.PostFormValue("capacity"))
		f.Capacity.Values["capacity"] = raw
		var capacity *int
		var err error
		if raw != "" {
			if n, convErr := strconv.Atoi(raw); convErr != nil {
				err = &domain.FieldError{Field: "capacity", Key: "routing.capacity_range"}
			} else {
				capacity = &n
			}
		}
		if err == nil {
			err = d.Store.SetAgentCapacity(r.Context(), p.TenantID, p.Actor(httpx.ClientIP(r)), chi.URLParam(r, "id"), capacity)
		}
		switch fe, isField := fieldError(err); {
		case isField && fe.Field == "agent":
			d.NotFound(w, r) // not an agent of this tenant: as for any unknown id
		case isField:
			f.Capacity.Fail(fe.Field, fe.Key)
			d.renderAgent(w, r, http.StatusUnprocessableEntity, f, nil)
		case err != nil:
			d.Unavailable(w, r, "set capacity", err)
		default:
			ui.SetFlash(w, d.Cookies, "success", "admin.team.capacity_saved", "")
			http.Redirect(w, r, "/admin/agents/"+chi.URLParam(r, "id"), http.StatusSeeOther)
		}
	}
}

// handleAgentActive deactivates or reactivates an agent. Deactivating ends
// their sessions and, through the router's reload (enqueued by the store in
// the same transaction), puts their open conversations back in the queue,
// explained as "the agent is no longer active". Their presence is left to
// expire (its TTL, 30 s): signing them off here would race the reload and
// requeue the conversations as a plain sign-off, without that explanation.
func handleAgentActive(d Deps, active bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, _ := auth.FromContext(r.Context())
		id := chi.URLParam(r, "id")
		err := d.Store.SetAgentActive(r.Context(), p.TenantID, p.Actor(httpx.ClientIP(r)), id, active)
		if _, isField := fieldError(err); isField {
			d.NotFound(w, r)
			return
		} else if err != nil {
			d.Unavailable(w, r, "set agent active", err)
			return
		}
		key := "admin.team.reactivated"
		if !active {
			key = "admin.team.deactivated"
		}
		ui.SetFlash(w, d.Cookies, "success", key, "")
		http.Redirect(w, r, "/admin/agents/"+id, http.StatusSeeOther)
	}
}

// handleAgentReinvite gives an agent who has not joined yet a new link,
// shown once; the previous ones stop working.
func handleAgentReinvite(d Deps) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, _ := auth.FromContext(r.Context())
		id := chi.URLParam(r, "id")
		inv, err := tenant.ReinviteAgent(r.Context(), d.Store, p.Actor(httpx.ClientIP(r)), p.TenantID, id, time.Now())
		switch fe, isField := fieldError(err); {
		case isField && fe.Field == "agent" && fe.Key == "routing.not_agent", isField && fe.Field == "agent" && fe.Key == "routing.id_invalid":
			d.NotFound(w, r)
		case isField:
			ui.SetFlash(w, d.Cookies, "error", fe.Key, "")
			http.Redirect(w, r, "/admin/agents/"+id, http.StatusSeeOther)
		case err != nil:
			d.Unavailable(w, r, "reinvite agent", err)
		default:
			u, err := d.Store.User(r.Context(), p.TenantID, id)
			if err != nil {
				d.Unavailable(w, r, "load agent", err)
				return
			}
			link := &invitedLink{Email: u.Email, URL: d.inviteURL(r, inv.Token), ExpiresAt: inv.ExpiresAt}
			d.mailInvite(r, link)
			d.renderAgent(w, r, http.StatusCreated, agentForms{}, link)
		}
	}
}

// handleAgentJoin puts the agent in a skillset with a priority, from the
// agent's page; a bad priority shows the form again with the store's words.
func handleAgentJoin(d Deps) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, _ := auth.FromContext(r.Context())
		f := agentForms{Member: ui.NewForm()}
		f.Member.Values["skillset"], f.Member.Values["priority"] = r.PostFormValue("skillset"), r.PostFormValue("priority")
		var err error
		if prio, ok := parsePriority(f.Member.Values["priority"]); !ok {
			err = &domain.FieldError{Field: "priority", Key: "routing.priority_range"}
		} else {
			err = d.Store.SetSkillsetMember(r.Context(), p.TenantID, p.Actor(httpx.ClientIP(r)), f.Member.Values["skillset"],
				chi.URLParam(r, "id"), prio)
		}
		switch fe, isField := fieldError(err); {
		case isField && fe.Field == "agent" && fe.Key != "routing.agent_inactive":
			d.NotFound(w, r)
		case isField:
			f.Member.Fail(fe.Field, fe.Key)
			d.renderAgent(w, r, http.StatusUnprocessableEntity, f, nil)
		case errors.Is(err, storage.ErrNotFound):
			f.Member.Fail("skillset", "admin.team.skillset_unknown")
			d.renderAgent(w, r, http.StatusUnprocessableEntity, f, nil)
		case err != nil:
			d.Unavailable(w, r, "join skillset", err)
		default:
			ui.SetFlash(w, d.Cookies, "success", "admin.team.member_saved", "")
			http.Redirect(w, r, "/admin/agents/"+chi.URLParam(r, "id"), http.StatusSeeOther)
		}
	}
}

// agentName is an agent's name, or its e-mail when it has none.
func agentName(name, email string) string {
	if strings.TrimSpace(name) != "" {
		return name
	}
	return email
}

// agentStatus is "active", "deactivated", "invited" (no password yet, a
// link working) or "invite_expired" (no password, no working link).
func agentStatus(a agentRow) string {
	switch {
	case !a.Active:
		return "deactivated"
	case a.Invited && (a.InviteExpires == nil || !a.InviteExpires.After(time.Now())):
		return "invite_expired"
	case a.Invited:
		return "invited"
	}
	return "active"
}

// agentState is the agent's presence as the badge shows it: "unknown"
// when Redis could not be read, "offline" for a deactivated agent.
func agentState(a agentRow) string {
	switch {
	case !a.Active:
		return routing.Offline
	case a.State == "":
		return "unknown"
	}
	return a.State
}

func agentOptions(agents []storage.RoutingAgent) []ui.Option {
	out := make([]ui.Option, len(agents))
	for i, a := range agents {
		out[i] = ui.Option{Value: a.UserID, Label: agentName(a.Name, a.Email) + " <" + a.Email + ">"}
	}
	return out
}

func skillsetOptions(sets []storage.Skillset) []ui.Option {
	out := make([]ui.Option, len(sets))
	for i, s := range sets {
		out[i] = ui.Option{Value: s.ID, Label: s.Name}
	}
	return out
}
