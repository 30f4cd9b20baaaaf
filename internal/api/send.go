package api

import (
	"encoding/json"
	"errors"
	"mime"
	"net/http"
	"strings"

	"switchboard/internal/domain"
	"switchboard/internal/outbound"
	"switchboard/internal/whatsapp/graph"
)

// sendRequest is POST /api/v1/messages: the recipient and one typed object,
// in the spirit of Meta's own send body.
type sendRequest struct {
	NumberID  string `json:"number_id"`
	ContactID string `json:"contact_id"`
	To        string `json:"to"`
	Type      string `json:"type"`
	ReplyTo   string `json:"reply_to"`
	Text      *struct {
		Body       string `json:"body"`
		PreviewURL bool   `json:"preview_url"`
	} `json:"text"`
	Image    *mediaRef             `json:"image"`
	Video    *mediaRef             `json:"video"`
	Audio    *mediaRef             `json:"audio"`
	Document *mediaRef             `json:"document"`
	Sticker  *mediaRef             `json:"sticker"`
	Location *outbound.Location    `json:"location"`
	Template *outbound.Template    `json:"template"`
	Inter    *outbound.Interactive `json:"interactive"`
	Reaction *struct {
		MessageID string `json:"message_id"`
		Emoji     string `json:"emoji"`
	} `json:"reaction"`
	Contacts []outbound.SharedContact `json:"contacts"`
}

type mediaRef struct {
	MediaID  string `json:"media_id"`
	Caption  string `json:"caption"`
	Filename string `json:"filename"`
}

// content maps the request onto the pipeline's Content; the pipeline
// validates it.
func (r sendRequest) content() outbound.Content {
	c := outbound.Content{Type: r.Type, ReplyTo: r.ReplyTo, Location: r.Location, Template: r.Template, Interactive: r.Inter, Contacts: r.Contacts}
	if r.Text != nil {
		c.Text, c.PreviewURL = r.Text.Body, r.Text.PreviewURL
	}
	for _, m := range []*mediaRef{r.Image, r.Video, r.Audio, r.Document, r.Sticker} {
		if m != nil {
			c.MediaID, c.Text, c.Filename = m.MediaID, m.Caption, m.Filename
		}
	}
	if r.Reaction != nil {
		c.ReactTo, c.Emoji = r.Reaction.MessageID, r.Reaction.Emoji
	}
	return c
}

// handleSend queues a message through the same pipeline as agents and
// bots. It answers 202 with the message (status "queued"); the same
// Idempotency-Key answers the same message and sends nothing more.
func handleSend(d Deps) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var req sendRequest
		dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&req); err != nil {
			writeError(w, http.StatusBadRequest, "invalid_json", "the body must be one JSON object of the documented shape: "+err.Error())
			return
		}
		key := strings.TrimSpace(r.Header.Get("Idempotency-Key"))
		m, created, err := d.Outbound.Send(r.Context(), outbound.Request{
			TenantID: tenantOf(r.Context()), NumberID: req.NumberID, ContactID: req.ContactID, To: req.To,
			Content: req.content(), Sender: "api:" + keyOf(r.Context()), IdempotencyKey: key,
		})
		var refused *outbound.Error
		switch {
		case errors.As(err, &refused):
			status := http.StatusUnprocessableEntity
			if strings.HasPrefix(refused.Code, "unknown_") {
				status = http.StatusNotFound
			}
			writeError(w, status, refused.Code, refused.Message)
			return
		case err != nil:
			d.fail(w, r, "send", err)
			return
		}
		status := http.StatusAccepted
		if !created {
			status = http.StatusOK // the idempotency key's earlier answer
		}
		writeJSON(w, status, toMessage(m))
	}
}

// handleUpload stores a file to send: checked against Meta's types and
// sizes first (the error names the limit), kept in the blob store, uploaded
// to Meta by the sender when a message uses it.
func handleUpload(d Deps) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		tenantID := tenantOf(r.Context())
		r.Body = http.MaxBytesReader(w, r.Body, maxUpload+1<<20)
		if err := r.ParseMultipartForm(8 << 20); err != nil {
			writeError(w, http.StatusBadRequest, "invalid_upload", "send multipart/form-data with number_id, kind and file (at most 100 MB)")
			return
		}
		defer r.MultipartForm.RemoveAll()
		numberID, kind := r.FormValue("number_id"), r.FormValue("kind")
		if !domain.ValidID(numberID) {
			writeError(w, http.StatusNotFound, "unknown_number", "number_id is not one of this tenant's numbers")
			return
		}
		if _, err := d.Store.Number(r.Context(), tenantID, numberID); err != nil {
			d.fail(w, r, "number", err)
			return
		}
		file, header, err := r.FormFile("file")
		if err != nil {
			writeError(w, http.StatusBadRequest, "invalid_upload", "the form has no file")
			return
		}
		defer file.Close()
		mimeType, _, _ := mime.ParseMediaType(header.Header.Get("Content-Type"))
		m, err := outbound.StoreMedia(r.Context(), d.Store, d.Blobs, outbound.Upload{TenantID: tenantID, NumberID: numberID,
			Kind: kind, Filename: header.Filename, MimeType: mimeType, Size: header.Size, File: file})
		if me, ok := outbound.MediaRefusal(err); ok {
			code, problem := mediaProblem(me)
			writeError(w, http.StatusUnprocessableEntity, code, problem)
			return
		} else if err != nil {
			d.fail(w, r, "store upload", err)
			return
		}
		writeJSON(w, http.StatusCreated, mediaJSON{ID: m.ID, MimeType: m.MimeType, Filename: m.Filename, Size: m.Size, SHA256: m.SHA256})
	}
}

// maxUpload is Meta's largest file (documents, 100 MB).
const maxUpload = outbound.MaxUpload

// mediaProblem is the error code and what is wrong in words, naming the
// limit, for a file Meta would refuse (graph.CheckMedia).
func mediaProblem(me *graph.MediaError) (string, string) {
	msg := strings.TrimPrefix(me.Error(), "graph: ")
	if me.Reason == graph.MediaTooLarge {
		return "media_too_large", msg
	}
	return "media_type", msg
}
