package template

import (
	"bytes"
	"testing"
)

// TestSampleType: a header's sample is judged by its bytes and size: a
// JPEG or PNG up to 5 MB for an image, an MP4 up to 16 MB for a video, a PDF
// up to 100 MB for a document; anything else is named.
func TestSampleType(t *testing.T) {
	jpeg := append([]byte{0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10, 'J', 'F', 'I', 'F', 0}, bytes.Repeat([]byte{1}, 200)...)
	png := append([]byte("\x89PNG\x0D\x0A\x1A\x0A"), bytes.Repeat([]byte{2}, 100)...)
	mp4 := append([]byte("\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00isommp42"), bytes.Repeat([]byte{5}, 100)...)
	pdf := []byte("%PDF-1.4\n% sample\n")
	webp := append([]byte("RIFF\x24\x00\x00\x00WEBPVP8 "), bytes.Repeat([]byte{3}, 100)...)
	cases := []struct {
		kind       string
		head       []byte
		size       int64
		want, prob string
	}{
		{HeaderImage, jpeg, 1000, "image/jpeg", ""},
		{HeaderImage, png, MaxSampleImage, "image/png", ""},
		{HeaderImage, png, MaxSampleImage + 1, "", "admin.tpl.err.sample_big_image"},
		{HeaderImage, webp, 1000, "", "admin.tpl.err.sample_type_image"},
		{HeaderImage, pdf, 1000, "", "admin.tpl.err.sample_type_image"},
		{HeaderImage, jpeg, 0, "", "admin.tpl.err.sample_empty"},
		{HeaderVideo, mp4, MaxSampleVideo, "video/mp4", ""},
		{HeaderVideo, mp4, MaxSampleVideo + 1, "", "admin.tpl.err.sample_big_video"},
		{HeaderVideo, jpeg, 1000, "", "admin.tpl.err.sample_type_video"},
		{HeaderDocument, pdf, MaxSampleDocument, "application/pdf", ""},
		{HeaderDocument, pdf, MaxSampleDocument + 1, "", "admin.tpl.err.sample_big_document"},
		{HeaderDocument, []byte("plain words"), 11, "", "admin.tpl.err.sample_type_document"},
		{HeaderText, jpeg, 1000, "", "admin.tpl.err.header_kind"},
	}
	for _, c := range cases {
		got, prob := SampleType(c.kind, c.head, c.size)
		if got != c.want || prob != c.prob {
			t.Errorf("%s %q… %d bytes: %q %q, want %q %q", c.kind, c.head[:4], c.size, got, prob, c.want, c.prob)
		}
	}
}
