package graph

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
)

// EditTemplate changes a template Meta has (§7.1: only APPROVED, REJECTED
// or PAUSED ones; an approved one keeps its category): the components
// replace all of them and the template goes back to review. Category may
// be empty to keep it. Name and language cannot change.
func (c *Client) EditTemplate(ctx context.Context, token, templateID, category string, components json.RawMessage) error {
	if templateID == "" || len(components) == 0 {
		return errors.New("graph: editing a template needs its id and components")
	}
	body := struct {
		Category   string          `json:"category,omitempty"`
		Components json.RawMessage `json:"components"`
	}{category, components}
	return c.callSuccess(ctx, http.MethodPost, c.endpoint(templateID, ""), token, body)
}
