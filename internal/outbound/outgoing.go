package outbound

import "switchboard/internal/storage"

// Outgoing is the message and outbox row the content is written as: the
// text a person reads, the structured rest in details, the whole content as
// the outbox payload. Service.Send and the softbots (inside the inbound
// processor's transaction) write sends the same way.
func (c Content) Outgoing(tenantID, numberID, contactID, waID, sender, idempotencyKey string) storage.Outgoing {
	details := map[string]any{}
	if c.Location != nil {
		details["location"] = map[string]any{"latitude": c.Location.Latitude, "longitude": c.Location.Longitude,
			"name": c.Location.Name, "address": c.Location.Address}
	}
	if c.Template != nil {
		details["template"] = c.Template
	}
	if c.Interactive != nil {
		details["interactive"] = c.Interactive
	}
	if len(c.Contacts) > 0 {
		details["contacts"] = c.Contacts
	}
	contextWAMID := c.ReplyTo
	if c.Type == TypeReaction {
		contextWAMID = c.ReactTo
	}
	return storage.Outgoing{
		TenantID: tenantID, NumberID: numberID, ContactID: contactID, WaID: waID,
		Type: c.Type, Text: c.summary(), MediaID: c.FileID(), ContextWAMID: contextWAMID,
		Details: details, Sender: sender, IdempotencyKey: idempotencyKey, Payload: c,
	}
}
