// Package webhook models and parses the JSON bodies Meta POSTs to a WhatsApp
// Cloud API webhook endpoint, checks their X-Hub-Signature-256, and builds
// such bodies for tests, the fake of Meta and the load generator.
//
// The contract is /work/shared/spec/whatsapp-cloud-api.md §2–3. Three rules
// shape the parser:
//
//   - One POST may batch many entries, changes, messages, statuses and
//     errors (up to 1000 updates). Every item is parsed; none is dropped.
//   - One bad item must not cost the others. Parse fails only when the body is
//     not a webhook envelope at all; anything wrong inside an item becomes a
//     Problem with a path such as entry[0].changes[1].value.messages[2], and
//     the item is kept with Invalid set so the ingest can store it as failed
//     instead of losing it (nonfunctional spec §3 item 3).
//   - Meta adds fields and types without notice (BSUIDs in 2026, new message
//     types, new webhook fields). Unknown message types are kept as
//     Type "unsupported" with their JSON; unknown fields keep their raw value;
//     every message and status keeps its own raw JSON.
//
// Parse never panics, whatever the input; FuzzParse checks that.
package webhook
