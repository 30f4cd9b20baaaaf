package metrics

import (
	"bufio"
	"io"
	"net"
	"net/http"
)

// statusWriter records the status code a handler sends while staying
// transparent to the optional interfaces handlers rely on:
//
//   - Hijack and Flush are implemented explicitly, because code such as
//     WebSocket upgraders and SSE streams type-assert for http.Hijacker and
//     http.Flusher, and an embedded http.ResponseWriter does not expose them.
//   - Unwrap lets http.ResponseController reach the real writer for
//     everything else (deadlines, full duplex).
//   - ReadFrom keeps net/http's sendfile path for static files.
//
// Hijack and Flush delegate through http.ResponseController, which follows
// Unwrap chains and reports http.ErrNotSupported when the underlying writer
// (e.g. HTTP/2 for Hijack) cannot do it.
type statusWriter struct {
	http.ResponseWriter
	status   int // final status sent; 0 until the header is written
	hijacked bool
}

func (w *statusWriter) WriteHeader(code int) {
	// 1xx informational responses (103 Early Hints) may precede the real
	// status; 101 Switching Protocols is final.
	if w.status == 0 && (code >= 200 || code == http.StatusSwitchingProtocols) {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK // net/http sends 200 implicitly
	}
	return w.ResponseWriter.Write(p)
}

func (w *statusWriter) ReadFrom(src io.Reader) (int64, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	if rf, ok := w.ResponseWriter.(io.ReaderFrom); ok {
		return rf.ReadFrom(src)
	}
	// Hide our own ReadFrom from io.Copy, which would otherwise recurse.
	return io.Copy(writerOnly{w.ResponseWriter}, src)
}

type writerOnly struct{ io.Writer }

func (w *statusWriter) Flush() {
	_ = w.FlushError() // http.Flusher has no way to report the error
}

// FlushError is what http.ResponseController.Flush prefers, so callers using
// the controller still see errors.
func (w *statusWriter) FlushError() error {
	if w.status == 0 {
		w.status = http.StatusOK // flushing commits the implicit 200 header
	}
	return http.NewResponseController(w.ResponseWriter).Flush()
}

func (w *statusWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	conn, rw, err := http.NewResponseController(w.ResponseWriter).Hijack()
	if err == nil {
		w.hijacked = true
	}
	return conn, rw, err
}

func (w *statusWriter) Unwrap() http.ResponseWriter {
	return w.ResponseWriter
}
