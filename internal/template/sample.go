package template

import "net/http"

// A media header's sample file: Meta reviews the header with it, uploaded
// through its Resumable Upload API, whose file types are JPEG, PNG, MP4
// and PDF; the sizes are WhatsApp's media limits (contract §6).
const (
	MaxSampleImage    = 5 << 20
	MaxSampleVideo    = 16 << 20
	MaxSampleDocument = 100 << 20
	// MaxSample is the largest of them: what a save may carry.
	MaxSample = MaxSampleDocument
)

// sampleRule is what a header kind takes as its sample, and the message
// keys of a wrong type and of a file too large.
func sampleRule(kind string) (types []string, max int64, wrongType, tooBig string) {
	switch kind {
	case HeaderImage:
		return []string{"image/jpeg", "image/png"}, MaxSampleImage, "admin.tpl.err.sample_type_image", "admin.tpl.err.sample_big_image"
	case HeaderVideo:
		return []string{"video/mp4"}, MaxSampleVideo, "admin.tpl.err.sample_type_video", "admin.tpl.err.sample_big_video"
	case HeaderDocument:
		return []string{"application/pdf"}, MaxSampleDocument, "admin.tpl.err.sample_type_document", "admin.tpl.err.sample_big_document"
	}
	return nil, 0, "", ""
}

// SampleType checks a header's sample file by its first bytes (at least
// 512 of them when the file has them) and its size, and returns its MIME
// type. The type comes from the bytes, not from the name or what the
// browser declared: Meta reviews what the file is. Otherwise it returns the
// message key of what is wrong.
func SampleType(kind string, head []byte, size int64) (mimeType, problem string) {
	types, max, wrongType, tooBig := sampleRule(kind)
	switch {
	case types == nil:
		return "", "admin.tpl.err.header_kind"
	case size <= 0:
		return "", "admin.tpl.err.sample_empty"
	}
	sniffed := http.DetectContentType(head)
	ok := false
	for _, t := range types {
		ok = ok || t == sniffed
	}
	switch {
	case !ok:
		return "", wrongType
	case size > max:
		return "", tooBig
	}
	return sniffed, ""
}
