package admin

import (
	"context"
	"strings"

	"switchboard/internal/i18n"
	"switchboard/internal/storage"
	"switchboard/internal/template"
	"switchboard/internal/ui"
)

// tplLanguages are the codes the language field suggests (Meta accepts
// more; any code written as Meta writes them is allowed).
var tplLanguages = []string{"it", "en", "en_US", "en_GB", "es", "es_ES", "fr", "de", "pt_BR", "pt_PT", "nl", "ro", "ar", "zh_CN"}

func tplStateLabel(ctx context.Context, state string) string {
	return i18n.T(ctx, "admin.tpl.state."+state)
}

func tplCategoryLabel(ctx context.Context, category string) string {
	if category == "" {
		return "—"
	}
	key := "admin.tpl.category." + strings.ToLower(category)
	if !i18n.Has(key) {
		return category
	}
	return i18n.T(ctx, key)
}

func tplUseCaseLabel(ctx context.Context, useCase string) string {
	if useCase == "" {
		return "—"
	}
	return i18n.T(ctx, "admin.tpl.use_case."+useCase)
}

// tplReason is Meta's reason for a rejection or an immediate refusal,
// in Meta's words (Meta writes them in English), or "".
func tplReason(ctx context.Context, t storage.AdminTemplate) string {
	switch t.State() {
	case storage.TemplateRefused:
		return i18n.T(ctx, "admin.tpl.refused_reason", t.ForwardError)
	case storage.TemplateRejected:
		reason := t.RejectedReason
		if reason == "" || reason == "NONE" {
			reason = i18n.T(ctx, "admin.tpl.no_reason")
		}
		if t.RejectionDetail != "" {
			reason += " — " + t.RejectionDetail
		}
		return i18n.T(ctx, "admin.tpl.rejected_reason", reason)
	}
	return ""
}

func tplUseCaseOptions(ctx context.Context) []ui.Option {
	var out []ui.Option
	for _, u := range template.UseCases() {
		out = append(out, ui.Option{Value: u.Key, Label: tplUseCaseLabel(ctx, u.Key)})
	}
	return out
}

func tplCategoryOptions(ctx context.Context) []ui.Option {
	var out []ui.Option
	for _, c := range template.Categories() {
		out = append(out, ui.Option{Value: c, Label: tplCategoryLabel(ctx, c)})
	}
	return out
}

func tplHeaderOptions(ctx context.Context) []ui.Option {
	return []ui.Option{{Value: template.HeaderNone, Label: i18n.T(ctx, "admin.tpl.header_none")},
		{Value: template.HeaderText, Label: i18n.T(ctx, "admin.tpl.header_kind_text")},
		{Value: template.HeaderImage, Label: i18n.T(ctx, "admin.tpl.header_kind_image")},
		{Value: template.HeaderVideo, Label: i18n.T(ctx, "admin.tpl.header_kind_video")},
		{Value: template.HeaderDocument, Label: i18n.T(ctx, "admin.tpl.header_kind_document")}}
}

func tplButtonOptions(ctx context.Context) []ui.Option {
	return []ui.Option{{Value: "", Label: i18n.T(ctx, "admin.tpl.button_none")},
		{Value: template.QuickReply, Label: i18n.T(ctx, "admin.tpl.button_quick_reply")},
		{Value: template.URLButton, Label: i18n.T(ctx, "admin.tpl.button_link")},
		{Value: template.Phone, Label: i18n.T(ctx, "admin.tpl.button_call")},
		{Value: template.CopyCode, Label: i18n.T(ctx, "admin.tpl.button_copy")}}
}

// tplLiveKeys are the words template_editor.js shows: the checks it
// repeats as one types (the server's keys) and the preview's own.
var tplLiveKeys = []string{
	"admin.tpl.err.name_chars", "admin.tpl.err.header_long", "admin.tpl.err.header_vars", "admin.tpl.err.body_long",
	"admin.tpl.err.var_order", "admin.tpl.err.var_name", "admin.tpl.err.braces", "admin.tpl.err.var_edge",
	"admin.tpl.err.footer_long", "admin.tpl.err.footer_vars", "admin.tpl.err.buttons_many", "admin.tpl.err.quick_many",
	"admin.tpl.err.url_many", "admin.tpl.err.phone_many", "admin.tpl.err.copy_many", "admin.tpl.err.quick_group",
	"admin.tpl.err.label_long", "admin.tpl.err.code_long", "admin.tpl.err.url_var",
	"admin.tpl.example_for", "admin.tpl.preview_copy", "admin.tpl.preview_media", "admin.tpl.preview_auth",
	"admin.tpl.preview_auth_note", "admin.tpl.preview_expiry", "admin.tpl.preview_see_all",
	"admin.tpl.err.sample_type_image", "admin.tpl.err.sample_type_video", "admin.tpl.err.sample_type_document",
	"admin.tpl.err.sample_big_image", "admin.tpl.err.sample_big_video", "admin.tpl.err.sample_big_document",
	"admin.tpl.preview_sample",
}
