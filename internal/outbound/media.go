package outbound

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"

	"switchboard/internal/blob"
	"switchboard/internal/domain"
	"switchboard/internal/storage"
	"switchboard/internal/whatsapp/graph"
)

// MaxUpload is Meta's largest file (documents, 100 MB): what any form
// taking a file to send may carry.
const MaxUpload = 100 << 20

// maxFilename bounds the name kept with a file (Meta shows it to the
// customer; filesystems allow 255 bytes).
const maxFilename = 240

// Upload is a file to send, as received by the API or the agent console.
type Upload struct {
	TenantID string
	NumberID string // the number that will send it (media are uploaded to Meta per number)
	Kind     string // graph.MediaImage, MediaVideo, MediaAudio, MediaDocument, MediaSticker
	Filename string
	MimeType string // as declared by the sender, parameters allowed
	Size     int64
	File     io.ReadSeeker
}

// StoreMedia checks a file against Meta's types and sizes (graph.CheckMedia)
// and keeps it: the bytes in the blob store, the row in media (state
// stored), to be uploaded to Meta by the sender when a message uses it. A
// refused file is a *graph.MediaError naming the limit, and nothing is
// kept. Every surface that takes a file to send calls this, so a file is
// checked and stored one way only. The number must be the tenant's
// (callers have checked it).
func StoreMedia(ctx context.Context, store *storage.Store, blobs blob.Store, u Upload) (domain.Media, error) {
	kind := u.Kind
	if kind == graph.MediaSticker {
		// An animated WebP may be larger than a static one: the header says
		// which it is.
		head := make([]byte, 32)
		n, _ := io.ReadFull(u.File, head)
		kind = graph.StickerKind(head[:n])
		if _, err := u.File.Seek(0, io.SeekStart); err != nil {
			return domain.Media{}, fmt.Errorf("read upload: %w", err)
		}
	}
	if err := graph.CheckMedia(kind, u.MimeType, u.Size); err != nil {
		return domain.Media{}, err
	}
	id := domain.NewID()
	key := u.TenantID + "/" + id
	sum := sha256.New()
	size, err := blobs.Put(ctx, key, io.TeeReader(u.File, sum))
	if err != nil {
		return domain.Media{}, fmt.Errorf("store upload: %w", err)
	}
	filename := u.Filename
	if len(filename) > maxFilename {
		filename = strings.ToValidUTF8(filename[:maxFilename], "") // not half a character
	}
	m := domain.Media{ID: id, TenantID: u.TenantID, NumberID: u.NumberID, MimeType: u.MimeType, Filename: filename,
		Size: &size, SHA256: hex.EncodeToString(sum.Sum(nil)), BlobKey: key, State: "stored"}
	if _, err := store.CreateOutboundMedia(ctx, m); err != nil {
		// No row points at the file: take it back.
		_ = blobs.Delete(context.WithoutCancel(ctx), key)
		return domain.Media{}, fmt.Errorf("record upload: %w", err)
	}
	return m, nil
}

// DiscardMedia removes a file stored by StoreMedia that no message uses
// (the send it was for was refused), so nothing is kept that was not sent.
func DiscardMedia(ctx context.Context, store *storage.Store, blobs blob.Store, m domain.Media) error {
	deleted, err := store.DeleteUnusedMedia(ctx, m.TenantID, m.ID)
	if err != nil || !deleted {
		return err
	}
	return blobs.Delete(ctx, m.BlobKey)
}

// MediaRefusal returns the *graph.MediaError inside err, if any: a file
// Meta would not take, which the caller reports to the sender.
func MediaRefusal(err error) (*graph.MediaError, bool) {
	var me *graph.MediaError
	ok := errors.As(err, &me)
	return me, ok
}
