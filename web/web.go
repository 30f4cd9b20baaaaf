// Package web carries the static files the browser loads: our stylesheet and
// our own scripts. They are embedded in the binary and served under URLs that
// carry a checksum, so they can be cached forever and never go stale.
package web

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"net/http"
	"strings"
)

//go:embed static
var files embed.FS

// Assets serves the embedded files and names them by checksum.
type Assets struct {
	sums map[string]string // file name → short checksum
	fsys fs.FS
}

// NewAssets hashes every embedded file once.
func NewAssets() (*Assets, error) {
	sub, err := fs.Sub(files, "static")
	if err != nil {
		return nil, err
	}
	a := &Assets{sums: map[string]string{}, fsys: sub}
	err = fs.WalkDir(sub, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(sub, path)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		a.sums[path] = hex.EncodeToString(sum[:6])
		return nil
	})
	return a, err
}

// Path returns the URL of an asset, with its checksum as the version.
func (a *Assets) Path(name string) string {
	return "/static/" + name + "?v=" + a.sums[name]
}

// Handler serves /static/…; a request carrying the current checksum may be
// cached for a year.
func (a *Assets) Handler() http.Handler {
	files := http.StripPrefix("/static/", http.FileServerFS(a.fsys))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := strings.TrimPrefix(r.URL.Path, "/static/")
		if v := r.URL.Query().Get("v"); v != "" && v == a.sums[name] {
			w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
		} else {
			w.Header().Set("Cache-Control", "no-cache")
		}
		files.ServeHTTP(w, r)
	})
}
