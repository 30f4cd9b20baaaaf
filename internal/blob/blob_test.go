package blob

import (
	"context"
	"io"
	"strings"
	"testing"
)

func TestDirPutOpenDelete(t *testing.T) {
	d, err := NewDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	n, err := d.Put(ctx, "tenant/abc.jpg", strings.NewReader("hello"))
	if err != nil || n != 5 {
		t.Fatalf("put: %d %v", n, err)
	}
	f, err := d.Open(ctx, "tenant/abc.jpg")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(f)
	f.Close()
	if string(b) != "hello" {
		t.Fatalf("read %q", b)
	}
	for _, bad := range []string{"../etc/passwd", "/abs", "a/../../b", "", "a//b"} {
		if _, err := d.Put(ctx, bad, strings.NewReader("x")); err == nil {
			t.Errorf("key %q accepted", bad)
		}
	}
	if err := d.Delete(ctx, "tenant/abc.jpg"); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Open(ctx, "tenant/abc.jpg"); err != ErrNotFound {
		t.Fatalf("after delete: %v", err)
	}
}
