package outbound

import (
	"context"
	"errors"
	"strings"

	"switchboard/internal/domain"
	"switchboard/internal/storage"
	"switchboard/internal/whatsapp/graph"
)

// Forward sends an administrator's template to Meta through its number's
// client and token (the sandbox's fake for sandbox numbers, Graph for live
// ones): a new template by creation, one Meta rejected by an edit of the
// same template (Meta keeps its name, language and id). Meta refusing the
// template itself (an invalid parameter, a 2388xxx subcode) is an outcome
// with Meta's words for the administrator; anything else (Meta
// unreachable, a refused token, a rate limit) is an error, and the
// template stays in the operator's queue.
func (c *Catalog) Forward(ctx context.Context, n domain.Number, t storage.AdminTemplate) (storage.ForwardOutcome, error) {
	token, err := c.token(n)
	if err != nil {
		return storage.ForwardOutcome{}, err
	}
	client := c.client(n)
	var out storage.ForwardOutcome
	if t.MetaID != "" {
		category := t.Category
		if t.CategoryFixed() {
			category = "" // Meta keeps an approved template's (perhaps re-categorised) category
		}
		err = client.EditTemplate(ctx, token, t.MetaID, category, t.Draft)
		out = storage.ForwardOutcome{MetaID: t.MetaID, Status: "PENDING"}
	} else {
		out.MetaID, out.Status, err = client.CreateTemplate(ctx, token, n.WABAID, graph.TemplateDraft{
			Name: t.Name, Language: t.Language, Category: t.Category, RawComponents: t.Draft})
	}
	if err == nil {
		return out, nil
	}
	if reason, refused := templateRefusal(err); refused {
		return storage.ForwardOutcome{Refused: reason}, nil
	}
	return storage.ForwardOutcome{}, err
}

// Delete deletes a template (its language only, by Meta's id) at Meta
// through its number's client and token. Meta refusing (a disabled
// template, one it no longer has) is an outcome in Meta's words; anything
// else is an error.
func (c *Catalog) Delete(ctx context.Context, n domain.Number, t storage.AdminTemplate) (refused string, err error) {
	token, err := c.token(n)
	if err != nil {
		return "", err
	}
	err = c.client(n).DeleteTemplate(ctx, token, t.WABAID, t.Name, t.MetaID)
	if reason, ok := templateRefusal(err); ok {
		return reason, nil
	}
	return "", err
}

// templateRefusal reads Meta's refusal of a template's content: code 100
// (invalid parameter) or a 2388xxx subcode, in the words Meta gives users
// when it gives them.
func templateRefusal(err error) (string, bool) {
	var ge *graph.Error
	if !errors.As(err, &ge) {
		return "", false
	}
	if ge.Code != graph.CodeInvalidParameter && ge.Subcode/1000 != 2388 && ge.Code/1000 != 2388 {
		return "", false
	}
	var parts []string
	for _, s := range []string{ge.UserTitle, ge.UserMessage} {
		if s != "" {
			parts = append(parts, s)
		}
	}
	if len(parts) == 0 {
		for _, s := range []string{ge.Title, ge.Details} {
			if s != "" && !strings.Contains(strings.Join(parts, " "), s) {
				parts = append(parts, s)
			}
		}
	}
	if len(parts) == 0 {
		parts = append(parts, ge.Error())
	}
	return strings.Join(parts, ": "), true
}
