package agentdesk

import (
	"context"
	"encoding/json"
	"errors"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/go-chi/chi/v5"

	"switchboard/internal/auth"
	"switchboard/internal/domain"
	"switchboard/internal/i18n"
	"switchboard/internal/outbound"
	"switchboard/internal/storage"
	"switchboard/internal/whatsapp/graph"
)

// maxCaption is WhatsApp's limit on a media message's caption.
const maxCaption = 1024

// attachKinds are what an agent may attach, in the order the page offers
// them. Stickers are the customer's: an agent sends photos instead.
var attachKinds = []string{graph.MediaImage, graph.MediaVideo, graph.MediaAudio, graph.MediaDocument}

// jsonAnswer writes the console's JSON answer: {"ok":true,...} or
// {"error": a message for the agent}.
func jsonAnswer(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// heldForSend loads the conversation a send is for and checks that the
// agent holds it now, answering JSON otherwise (as handleSend does).
func heldForSend(d Deps, w http.ResponseWriter, r *http.Request) (domain.Conversation, bool) {
	ctx := r.Context()
	p, _ := auth.FromContext(ctx)
	id := chi.URLParam(r, "id")
	if !domain.ValidID(id) {
		jsonAnswer(w, http.StatusNotFound, map[string]string{"error": i18n.T(ctx, "agent.send.unknown")})
		return domain.Conversation{}, false
	}
	c, err := d.Store.Conversation(ctx, p.TenantID, id)
	if errors.Is(err, storage.ErrNotFound) {
		jsonAnswer(w, http.StatusNotFound, map[string]string{"error": i18n.T(ctx, "agent.send.unknown")})
		return c, false
	} else if err != nil {
		d.Logger.ErrorContext(ctx, "load conversation", "error", err)
		jsonAnswer(w, http.StatusServiceUnavailable, map[string]string{"error": i18n.T(ctx, "agent.send.retry")})
		return c, false
	}
	if !heldBy(c, p.UserID) {
		jsonAnswer(w, http.StatusForbidden, map[string]string{"error": i18n.T(ctx, "agent.send.not_yours")})
		return c, false
	}
	return c, true
}

// replyTarget resolves the message the agent quotes (reply_to, our message
// id) to its wamid, which is what WhatsApp quotes. Only a message of this
// conversation that WhatsApp knows (it has a wamid) can be quoted; msg is
// the translated reason otherwise. An empty id quotes nothing.
func replyTarget(ctx context.Context, d Deps, c domain.Conversation, id string) (wamid, msg string, err error) {
	if id == "" {
		return "", "", nil
	}
	if !domain.ValidID(id) {
		return "", i18n.T(ctx, "agent.reply.unknown"), nil
	}
	m, err := d.Store.Message(ctx, c.TenantID, id)
	switch {
	case errors.Is(err, storage.ErrNotFound) || (err == nil && m.ConversationID != c.ID):
		return "", i18n.T(ctx, "agent.reply.unknown"), nil
	case err != nil:
		return "", "", err
	case m.WAMID == "" || m.Type == "reaction":
		// Not sent yet (or failed before Meta took it), or a reaction:
		// WhatsApp cannot quote it.
		return "", i18n.T(ctx, "agent.reply.not_quotable"), nil
	}
	return m.WAMID, "", nil
}

// handleUpload sends a file the agent attached (photo, video, audio or
// document) with an optional caption, perhaps quoting a message. The file
// is checked against Meta's types and sizes (the page checked already; this
// is the rule) and stored as the API stores uploads (outbound.StoreMedia),
// then sent through the pipeline under Meta's rules. If the pipeline
// refuses (the window closed meanwhile), the file is removed again: nothing
// is kept that was not sent. JSON answer as handleSend's.
func handleUpload(d Deps) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		fail := func(status int, key string, args ...any) {
			jsonAnswer(w, status, map[string]string{"error": i18n.T(ctx, key, args...)})
		}
		c, ok := heldForSend(d, w, r)
		if !ok {
			return
		}
		p, _ := auth.FromContext(ctx)
		// The CSRF check parsed the multipart body already (files beyond
		// 8 MB wait on disk); this only reads it.
		if err := r.ParseMultipartForm(8 << 20); err != nil {
			fail(http.StatusBadRequest, "agent.media.no_file")
			return
		}
		defer r.MultipartForm.RemoveAll()
		kind := r.PostFormValue("kind")
		if !slices.Contains(attachKinds, kind) {
			fail(http.StatusBadRequest, "agent.media.kind_invalid")
			return
		}
		caption := strings.TrimSpace(r.PostFormValue("caption"))
		if utf8.RuneCountInString(caption) > maxCaption {
			fail(http.StatusBadRequest, "agent.media.caption_too_long", maxCaption)
			return
		}
		if kind == graph.MediaAudio && caption != "" {
			// WhatsApp shows no caption under audio: refuse rather than
			// drop what the agent wrote.
			fail(http.StatusBadRequest, "agent.media.audio_caption")
			return
		}
		replyTo, msg, err := replyTarget(ctx, d, c, r.PostFormValue("reply_to"))
		if err != nil {
			d.Logger.ErrorContext(ctx, "load quoted message", "error", err)
			fail(http.StatusServiceUnavailable, "agent.send.retry")
			return
		} else if msg != "" {
			jsonAnswer(w, http.StatusBadRequest, map[string]string{"error": msg})
			return
		}
		file, header, err := r.FormFile("file")
		if err != nil {
			fail(http.StatusBadRequest, "agent.media.no_file")
			return
		}
		defer file.Close()
		mimeType, _, _ := mime.ParseMediaType(header.Header.Get("Content-Type"))
		media, err := outbound.StoreMedia(ctx, d.Store, d.Blobs, outbound.Upload{TenantID: c.TenantID, NumberID: c.NumberID,
			Kind: kind, Filename: header.Filename, MimeType: mimeType, Size: header.Size, File: file})
		if me, ok := outbound.MediaRefusal(err); ok {
			jsonAnswer(w, http.StatusUnprocessableEntity, map[string]string{"error": mediaRefusalText(ctx, me, header.Filename), "code": me.Reason})
			return
		} else if err != nil {
			d.Logger.ErrorContext(ctx, "store attachment", "error", err)
			fail(http.StatusServiceUnavailable, "agent.send.retry")
			return
		}
		content := outbound.Content{Type: kind, MediaID: media.ID, Text: caption, ReplyTo: replyTo}
		if kind == graph.MediaDocument {
			content.Filename = media.Filename // the name the customer sees
		}
		m, err := d.Outbound.Reply(ctx, p.TenantID, p.UserID, c.ID, content, r.PostFormValue("idempotency_key"))
		// Refused, or a retry answered with the message its first try sent
		// (which carries that try's file): this copy is not used.
		if err != nil || m.MediaID != media.ID {
			if derr := outbound.DiscardMedia(context.WithoutCancel(ctx), d.Store, d.Blobs, media); derr != nil {
				d.Logger.WarnContext(ctx, "discard refused attachment", "media_id", media.ID, "error", derr)
			}
		}
		var refused *outbound.Error
		if errors.As(err, &refused) {
			jsonAnswer(w, http.StatusUnprocessableEntity, map[string]string{"error": refusalText(ctx, refused), "code": refused.Code})
			return
		} else if err != nil {
			d.Logger.ErrorContext(ctx, "agent attachment", "error", err)
			fail(http.StatusServiceUnavailable, "agent.send.retry")
			return
		}
		jsonAnswer(w, http.StatusOK, map[string]any{"ok": true, "message_id": m.ID})
	}
}

// mediaRefusalText says in the agent's language why WhatsApp would not
// take the file, naming the limit.
func mediaRefusalText(ctx context.Context, me *graph.MediaError, filename string) string {
	kind := i18n.T(ctx, "agent.media.kind."+strings.TrimPrefix(me.Kind, "animated_"))
	switch me.Reason {
	case graph.MediaTooLarge:
		return i18n.T(ctx, "agent.media.too_large", filename, humanBytes(me.Size), kind, humanBytes(me.Limit))
	case graph.MediaEmpty:
		return i18n.T(ctx, "agent.media.empty", filename)
	}
	return i18n.T(ctx, "agent.media.bad_type", filename, kind, typeNames(me.Allowed))
}

// mediaRule is Meta's rule for one kind, for the page to check a file
// before uploading it: the same table as graph.CheckMedia, read from it.
type mediaRule struct {
	Kind  string   `json:"kind"`
	Label string   `json:"label"`
	Types []string `json:"types"`
	Max   int64    `json:"max"`
	// TooLarge and BadType are the page's messages, with {name} and
	// {size} for the file's.
	TooLarge string `json:"too_large"`
	BadType  string `json:"bad_type"`
	Empty    string `json:"empty"`
}

// attachRules returns Meta's rules for what an agent may attach, for the
// page: the file pickers' accept lists and attach.js's checks. graph keeps
// its table to itself; CheckMedia with no type refuses every kind and so
// tells each kind's accepted types and limit, from the one table.
func attachRules(ctx context.Context) []mediaRule {
	rules := make([]mediaRule, 0, len(attachKinds))
	for _, kind := range attachKinds {
		me, _ := outbound.MediaRefusal(graph.CheckMedia(kind, "", 0))
		if me == nil {
			continue
		}
		what := i18n.T(ctx, "agent.media.kind."+kind)
		rules = append(rules, mediaRule{Kind: kind, Label: i18n.T(ctx, "agent.media.attach."+kind), Types: me.Allowed, Max: me.Limit,
			TooLarge: i18n.T(ctx, "agent.media.too_large", "{name}", "{size}", what, humanBytes(me.Limit)),
			BadType:  i18n.T(ctx, "agent.media.bad_type", "{name}", what, typeNames(me.Allowed)),
			Empty:    i18n.T(ctx, "agent.media.empty", "{name}")})
	}
	return rules
}

// rulesJSON is the rules as attach.js reads them (data-rules).
func rulesJSON(rules []mediaRule) string {
	b, _ := json.Marshal(rules)
	return string(b)
}

// accept is a file picker's accept list for a rule.
func (r mediaRule) Accept() string { return strings.Join(r.Types, ",") }

// typeNames are MIME types as people know them (PDF, Word, JPEG…).
func typeNames(types []string) string {
	names := make([]string, 0, len(types))
	for _, t := range types {
		n := fileTypeName(t)
		if !slices.Contains(names, n) {
			names = append(names, n)
		}
	}
	return strings.Join(names, ", ")
}

func fileTypeName(t string) string {
	switch t {
	case "image/jpeg":
		return "JPEG"
	case "image/png":
		return "PNG"
	case "image/webp":
		return "WebP"
	case "video/mp4", "audio/mp4":
		return "MP4"
	case "video/3gpp":
		return "3GP"
	case "audio/aac":
		return "AAC"
	case "audio/amr":
		return "AMR"
	case "audio/mpeg":
		return "MP3"
	case "audio/ogg":
		return "OGG (Opus)"
	case "text/plain":
		return "TXT"
	case "application/pdf":
		return "PDF"
	case "application/msword", "application/vnd.openxmlformats-officedocument.wordprocessingml.document":
		return "Word"
	case "application/vnd.ms-excel", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet":
		return "Excel"
	case "application/vnd.ms-powerpoint", "application/vnd.openxmlformats-officedocument.presentationml.presentation":
		return "PowerPoint"
	}
	return t
}

// humanBytes is a size as people read it: 950 bytes, 12 KB, 5 MB, 6.2 MB.
func humanBytes(n int64) string {
	switch {
	case n < 1<<10:
		return strconv.FormatInt(n, 10) + " B"
	case n < 1<<20:
		return strconv.FormatInt((n+1<<9)>>10, 10) + " KB"
	case n%(1<<20) == 0 || n >= 100<<20:
		return strconv.FormatInt((n+1<<19)>>20, 10) + " MB"
	}
	return strconv.FormatFloat(float64(n)/(1<<20), 'f', 1, 64) + " MB"
}
