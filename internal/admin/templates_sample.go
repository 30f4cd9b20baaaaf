package admin

import (
	"context"
	"errors"
	"io"
	"mime/multipart"
	"net/http"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"switchboard/internal/domain"
	"switchboard/internal/number"
	"switchboard/internal/storage"
	"switchboard/internal/template"
	"switchboard/internal/ui"
	"switchboard/internal/whatsapp/graph"
)

// A media header's sample file (IMAGE, VIDEO, DOCUMENT): chosen in the
// editor, checked here by its bytes and size, and on save uploaded to Meta
// through the template's number (Meta's Resumable Upload API, to the
// number's Meta app); the handle Meta answers becomes the header's example.
// A handle can still be pasted instead, under "Advanced".

// tplSample is the chosen file, open until the request ends.
type tplSample struct {
	file     multipart.File
	name     string
	mimeType string
	size     int64
}

// readTemplateSample returns the sample chosen for a media header, nil when
// none was, or the message key of what is wrong with it. The CSRF check has
// already parsed the multipart body (8 MB in memory, the rest on disk).
func readTemplateSample(r *http.Request, kind string) (*tplSample, string) {
	if r.MultipartForm == nil {
		return nil, ""
	}
	file, header, err := r.FormFile("header_sample")
	if err != nil {
		return nil, "" // no file chosen: browsers send an empty part, Go drops it
	}
	if kind != template.HeaderImage && kind != template.HeaderVideo && kind != template.HeaderDocument {
		_ = file.Close()
		return nil, ""
	}
	head := make([]byte, 512)
	n, err := io.ReadFull(file, head)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		_ = file.Close()
		return nil, "admin.tpl.err.sample_unreadable"
	}
	mimeType, problem := template.SampleType(kind, head[:n], header.Size)
	if problem == "" {
		if _, err := file.Seek(0, io.SeekStart); err != nil {
			problem = "admin.tpl.err.sample_unreadable"
		}
	}
	if problem != "" {
		_ = file.Close()
		return nil, problem
	}
	return &tplSample{file: file, name: sampleName(header.Filename, mimeType), mimeType: mimeType, size: header.Size}, ""
}

// sampleName is the file's own name without any path a browser sent, or a
// plain one: Meta records it with the upload (and shows a document's).
func sampleName(name, mimeType string) string {
	name = filepath.Base(strings.ReplaceAll(name, `\`, "/"))
	if name == "." || name == "/" || !utf8.ValidString(name) || strings.ContainsAny(name, "\r\n") || len(name) > 200 {
		name = ""
	}
	if name == "" {
		switch mimeType {
		case "image/png":
			name = "sample.png"
		case "video/mp4":
			name = "sample.mp4"
		case "application/pdf":
			name = "sample.pdf"
		case "image/jpeg":
			name = "sample.jpg"
		default:
			name = "file" // a rule's file of another type
		}
	}
	return name
}

// uploadTemplateSample uploads the sample through the template's number and
// returns Meta's handle. What goes wrong is put on the form (Meta's refusal
// in Meta's words, Meta unreachable, the number's app without its App ID),
// so the editor is shown again with everything typed; only the file has to
// be chosen again. The error is for what is nobody's input (Postgres).
func (d Deps) uploadTemplateSample(ctx context.Context, tenantID string, f *ui.Form, s *tplSample) (string, error) {
	n, err := d.Store.Number(ctx, tenantID, f.Values["number_id"])
	if errors.Is(err, storage.ErrNotFound) {
		f.Fail("number_id", "admin.tpl.err.number")
		return "", nil
	} else if err != nil {
		return "", err
	}
	appID, err := d.Numbers.MetaAppID(ctx, n)
	if errors.Is(err, number.ErrNoMetaAppID) {
		f.Fail("header_sample", "admin.tpl.err.sample_no_app")
		return "", nil
	} else if err != nil {
		return "", err
	}
	handle, err := d.Catalog.UploadSample(ctx, n, appID, s.name, s.mimeType, s.file, s.size)
	if err == nil {
		return handle, nil
	}
	d.Logger.WarnContext(ctx, "template sample upload", "number_id", n.ID, "error", err)
	f.Fail("header_sample", "admin.tpl.err.sample_again")
	var ge *graph.Error
	switch {
	case graph.IsTokenInvalid(err):
		f.Error = "admin.tpl.sample_token"
	case errors.As(err, &ge) && !ge.Retryable():
		f.Error, f.Arg = "admin.tpl.sample_refused", metaWords(ge)
	default:
		f.Error = "admin.tpl.sample_unreachable"
	}
	return "", nil
}

// metaWords is Meta's explanation of a refusal, as Meta gives it to users
// when it does.
func metaWords(ge *graph.Error) string {
	var parts []string
	for _, s := range []string{ge.UserTitle, ge.UserMessage} {
		if s != "" {
			parts = append(parts, s)
		}
	}
	if len(parts) == 0 {
		parts = append(parts, ge.Title)
		if ge.Details != "" && ge.Details != ge.Title {
			parts = append(parts, ge.Details)
		}
	}
	return strings.Join(parts, ": ")
}

// tplSampleProblems adapts the check's problems to a save carrying a sample:
// the handle comes from the upload, so its absence is no problem then; with
// neither a file nor a handle, the file is what to ask for.
func tplSampleProblems(problems []domain.FieldError, withSample bool) []domain.FieldError {
	out := problems[:0:0]
	for _, p := range problems {
		if p.Field == "header_handle" && p.Key == "admin.tpl.err.handle_required" {
			if withSample {
				continue
			}
			p = domain.FieldError{Field: "header_sample", Key: "admin.tpl.err.sample_required"}
		}
		out = append(out, p)
	}
	return out
}
