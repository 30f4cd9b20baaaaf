package admin

import (
	"context"
	"errors"
	"mime"
	"net/http"

	"switchboard/internal/auth"
	"switchboard/internal/domain"
	"switchboard/internal/outbound"
	"switchboard/internal/storage"
	"switchboard/internal/ui"
	"switchboard/internal/whatsapp/graph"
)

// A keyword rule's file (a photo, video, audio or document it answers
// with): chosen in the rule's form, checked against Meta's types and sizes
// and kept like any file we send (outbound.StoreMedia). The sender uploads
// it to Meta per sending number and again when Meta's copy has expired
// (30 days), so one file can answer for months from every number.

// ruleFileKind is the kind WhatsApp sends a file of this MIME type as, ""
// when it takes it as none of them (a sticker is not an answer).
func ruleFileKind(mimeType string) string {
	for _, kind := range []string{graph.MediaImage, graph.MediaVideo, graph.MediaAudio, graph.MediaDocument} {
		if err := graph.CheckMedia(kind, mimeType, 1); err == nil {
			return kind
		}
	}
	return ""
}

// storeRuleFile keeps the file chosen in the rule's form, if one was: the
// rule then answers with it. The file is kept under the rule's number, or
// the tenant's first number for a rule of every number (the sender uploads
// it through whichever number answers). A refused file is a field error;
// the rule's reply carries the file kept (the form's own reply stays when
// no file was chosen).
func (d Deps) storeRuleFile(ctx context.Context, r *http.Request, k *storage.KeywordRule) (*domain.Media, error) {
	if r.MultipartForm == nil {
		return nil, nil
	}
	file, header, err := r.FormFile("reply_media")
	if err != nil {
		return nil, nil // no file chosen
	}
	defer file.Close()
	fail := func(key string) error { return &domain.FieldError{Field: "reply_media", Key: key} }
	mimeType, _, _ := mime.ParseMediaType(header.Header.Get("Content-Type"))
	kind := ruleFileKind(mimeType)
	if kind == "" {
		return nil, fail("rule.err.media_type")
	}
	// What can be checked without the file is, before it is stored.
	probe := *k
	probe.Reply.Media = &storage.RuleMedia{ID: domain.NewID(), Kind: kind}
	if _, err := storage.CheckKeywordRule(probe); err != nil {
		return nil, err
	}
	p, _ := auth.FromContext(ctx)
	numberID := k.NumberID
	if numberID == "" {
		numbers, err := d.Store.ListNumbers(ctx, p.TenantID)
		if err != nil {
			return nil, err
		}
		if len(numbers) == 0 {
			return nil, fail("rule.err.media_no_number")
		}
		numberID = numbers[0].ID
	} else if _, err := d.Store.Number(ctx, p.TenantID, numberID); errors.Is(err, storage.ErrNotFound) {
		return nil, &domain.FieldError{Field: "number_id", Key: "rule.err.number"}
	} else if err != nil {
		return nil, err
	}
	m, err := outbound.StoreMedia(ctx, d.Store, d.Blobs, outbound.Upload{TenantID: p.TenantID, NumberID: numberID, Kind: kind,
		Filename: sampleName(header.Filename, mimeType), MimeType: mimeType, Size: header.Size, File: file})
	if me, ok := outbound.MediaRefusal(err); ok {
		switch me.Reason {
		case graph.MediaTooLarge:
			return nil, fail("rule.err.media_large")
		case graph.MediaEmpty:
			return nil, fail("rule.err.media_empty")
		}
		return nil, fail("rule.err.media_type")
	} else if err != nil {
		return nil, err
	}
	k.Reply.Media = &storage.RuleMedia{ID: m.ID, Kind: kind, Filename: m.Filename}
	return &m, nil
}

// discardRuleFile removes a file just stored for a rule that was not saved.
func (d Deps) discardRuleFile(ctx context.Context, m *domain.Media) {
	if m == nil {
		return
	}
	if err := outbound.DiscardMedia(context.WithoutCancel(ctx), d.Store, d.Blobs, *m); err != nil {
		d.Logger.WarnContext(ctx, "discard a rule's file", "media_id", m.ID, "error", err)
	}
}

// ruleFileChosen reports whether the form carried a file: when the rule is
// refused the file is not kept, and the form says to choose it again.
func ruleFileChosen(r *http.Request) bool {
	if r.MultipartForm == nil {
		return false
	}
	files := r.MultipartForm.File["reply_media"]
	return len(files) > 0 && files[0].Size > 0
}

// ruleFileShown puts a rule's current file on its form, to be named there.
func ruleFileShown(f *ui.Form, m *storage.RuleMedia) {
	if m != nil {
		f.Values["media_name"], f.Values["media_kind"] = m.Filename, m.Kind
	}
}

// releaseRuleFile deletes a file a rule no longer answers with, once no
// message and no other rule uses it (a file a customer received stays with
// the conversation).
func (d Deps) releaseRuleFile(ctx context.Context, tenantID string, m *storage.RuleMedia) {
	if m == nil {
		return
	}
	ctx = context.WithoutCancel(ctx)
	key, err := d.Store.ReleaseMedia(ctx, tenantID, m.ID)
	if err == nil && key != "" {
		err = d.Blobs.Delete(ctx, key)
	}
	if err != nil {
		d.Logger.WarnContext(ctx, "release a rule's file", "media_id", m.ID, "error", err)
	}
}
