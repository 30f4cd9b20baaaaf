// Package ui holds what every console shares: the page shell, navigation by
// role, flash messages, form components and error pages.
package ui

import (
	"context"
	"net/http"
	"strings"

	"switchboard/internal/auth"
	"switchboard/internal/domain"
	"switchboard/internal/httpx"
	"switchboard/internal/i18n"
)

// Page is what the layout needs to frame any page.
type Page struct {
	Title    string
	Section  string // the navigation entry to highlight
	Viewer   *auth.Principal
	CSRF     string
	Lang     i18n.Lang
	Flash    *Flash
	CSS      string // checksummed stylesheet URL
	asset    func(string) string
	Path     string // current path, to come back after switching language
	BodyAttr string // data-page value, for tests and scripts
}

// Shell builds the Page for a request. Surfaces get one from the server so
// they need not know where assets live.
type Shell struct {
	CSS     string
	Cookies httpx.Cookies
	// Asset names a static file by its checksummed URL.
	Asset func(name string) string
}

// Page returns the frame for r with a translated title.
func (s Shell) Page(w http.ResponseWriter, r *http.Request, titleKey, section string) Page {
	ctx := r.Context()
	p := Page{
		Title: i18n.T(ctx, titleKey), Section: section, CSRF: auth.CSRFToken(ctx),
		Lang: i18n.FromContext(ctx), CSS: s.CSS, asset: s.Asset, Path: r.URL.RequestURI(), BodyAttr: section,
		Flash: TakeFlash(w, r, s.Cookies),
	}
	if v, ok := auth.FromContext(ctx); ok {
		p.Viewer = &v
	}
	return p
}

// Asset returns the checksummed URL of one of our static files.
func (p Page) Asset(name string) string {
	if p.asset == nil {
		return "/static/" + name
	}
	return p.asset(name)
}

// NavItem is one entry of the navigation bar.
type NavItem struct {
	Section, Href, LabelKey string
}

// Nav lists what the viewer's role may reach.
func Nav(v *auth.Principal) []NavItem {
	if v == nil {
		return nil
	}
	switch v.Role {
	case domain.RoleOperator:
		return []NavItem{{"tenants", "/operator/tenants", "nav.tenants"}, {"plans", "/operator/plans", "nav.plans"},
			{"webhooks", "/operator/webhooks", "nav.webhooks"}, {"apps", "/operator/apps", "nav.apps"},
			{"health", "/operator/health", "operator.health.nav"}, {"applications", "/operator/applications", "onboarding.nav_applications"},
			{"templates", "/operator/templates", "operator.tpl.nav"}}
	case domain.RoleAdmin:
		return []NavItem{{"admin-home", "/admin", "nav.home"}, {"routing", "/admin/routing", "nav.routing"},
			{"conversations", "/admin/conversations", "nav.conversations"}, {"agent-home", "/agent/", "nav.my_conversations"},
			{"numbers", "/admin/numbers", "nav.numbers"}, {"templates", "/admin/templates", "admin.tpl.title"}, {"contacts", "/admin/contacts", "admin.contacts.nav"},
			{"bots", "/admin/bots", "nav.bots"}, {"rules", "/admin/rules", "nav.rules"}, // softbots and automatic replies
			{"skillsets", "/admin/skillsets", "admin.team.nav_skillsets"}, {"agents", "/admin/agents", "admin.team.nav_agents"},
			{"users", "/admin/users", "nav.users"}, {"apikeys", "/admin/api-keys", "nav.apikeys"}, {"audit", "/admin/audit", "nav.audit"},
			{"settings", "/admin/settings", "admin.settings.title"}, {"onboarding", "/admin/onboarding", "onboarding.nav"}} // links to the desk's settings and API keys
	default:
		return []NavItem{{"agent-home", "/agent", "nav.home"}, {"agent-canned", "/agent/canned", "agent.canned_title"}}
	}
}

// RoleLabel translates a role.
func RoleLabel(ctx context.Context, r domain.Role) string { return i18n.T(ctx, "role."+string(r)) }

// DisplayName is the viewer's name, or their e-mail when they have none.
func DisplayName(v *auth.Principal) string {
	if strings.TrimSpace(v.Name) != "" {
		return v.Name
	}
	return v.Email
}
