package admin

import (
	"net/http"

	"switchboard/internal/auth"
	"switchboard/internal/i18n"
	"switchboard/internal/mail"
	"switchboard/internal/ui"
)

// mailInvite e-mails an invitation's link to the agent, in the tenant's
// language, when SMTP is configured. The invitation already exists and its
// link is shown to the administrator whatever happens here: a failure is
// logged (without the link, which is a password) and said on the page.
func (d Deps) mailInvite(r *http.Request, link *invitedLink) {
	if d.Mail == nil {
		return
	}
	ctx := r.Context()
	p, _ := auth.FromContext(ctx)
	st, err := d.Store.TenantSettings(ctx, p.TenantID)
	if err != nil {
		d.Logger.ErrorContext(ctx, "invitation e-mail: tenant settings", "error", err)
		link.MailFailed = true
		return
	}
	lang, _ := i18n.Parse(st.Language)
	inviter := p.Name
	if inviter == "" {
		inviter = p.Email
	}
	expires := ui.DateTime(i18n.WithLang(ctx, lang), link.ExpiresAt)
	msg := mail.Message{To: link.Email, Subject: i18n.Translate(lang, "invite.mail.subject", st.Name),
		Body: i18n.Translate(lang, "invite.mail.body", inviter, st.Name, expires, link.URL)}
	if err := d.Mail.Send(ctx, msg); err != nil {
		d.Logger.ErrorContext(ctx, "invitation e-mail not sent", "to", link.Email, "error", err)
		link.MailFailed = true
		return
	}
	link.Mailed = true
}
