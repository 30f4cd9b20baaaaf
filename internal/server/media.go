package server

import (
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"switchboard/internal/auth"
	"switchboard/internal/blob"
	"switchboard/internal/domain"
	"switchboard/internal/storage"
	"switchboard/internal/ui"
)

// handleMedia serves a stored media file to a signed-in user of its tenant
// only. Files come from customers, so they are served as downloads unless
// they are images, audio or video, and never allowed to run as a page.
func handleMedia(store *storage.Store, blobs blob.Store, s ui.Surface) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, _ := auth.FromContext(r.Context())
		id := chi.URLParam(r, "id")
		if !domain.ValidID(id) {
			s.NotFound(w, r)
			return
		}
		m, err := store.Media(r.Context(), p.TenantID, id)
		if errors.Is(err, storage.ErrNotFound) || (err == nil && m.State != "stored") {
			s.NotFound(w, r)
			return
		} else if err != nil {
			s.Unavailable(w, r, "load media", err)
			return
		}
		f, err := blobs.Open(r.Context(), m.BlobKey)
		if err != nil {
			s.Unavailable(w, r, "open media", err)
			return
		}
		defer f.Close()
		h := w.Header()
		ct := m.MimeType
		if ct == "" {
			ct = "application/octet-stream"
		}
		h.Set("Content-Type", ct)
		h.Set("Content-Security-Policy", "sandbox; default-src 'none'")
		h.Set("Cache-Control", "private, max-age=3600")
		if m.SHA256 != "" {
			h.Set("ETag", `"`+m.SHA256+`"`) // the bytes never change under an id
		}
		// Inline only what a browser shows and cannot run: raster images,
		// audio and video. Everything else downloads.
		disposition := "attachment"
		base, _, _ := mime.ParseMediaType(ct)
		if kind, _, _ := strings.Cut(base, "/"); (kind == "image" || kind == "audio" || kind == "video") && !strings.Contains(base, "svg") {
			disposition = "inline"
		}
		name := m.Filename
		if name == "" {
			name = m.ID
		}
		h.Set("Content-Disposition", mime.FormatMediaType(disposition, map[string]string{"filename": name}))
		// A browser plays a video or audio by asking for byte ranges (and
		// seeks that way): ServeContent answers them, and If-None-Match.
		if rs, ok := f.(io.ReadSeeker); ok {
			http.ServeContent(w, r, "", time.Time{}, rs)
			return
		}
		if m.Size != nil {
			h.Set("Content-Length", strconv.FormatInt(*m.Size, 10))
		}
		_, _ = io.Copy(w, f)
	}
}
