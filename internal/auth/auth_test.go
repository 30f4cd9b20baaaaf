package auth

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestPasswordHashRoundTrip(t *testing.T) {
	h := NewHasher(2)
	ctx := context.Background()
	enc, err := h.Hash(ctx, "correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(enc, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("not OWASP's argon2id parameters: %s", enc)
	}
	if ok, _ := h.Verify(ctx, "correct horse battery", enc); !ok {
		t.Fatal("right password refused")
	}
	if ok, _ := h.Verify(ctx, "correct horse batterz", enc); ok {
		t.Fatal("wrong password accepted")
	}
	if ok, _ := h.Verify(ctx, "anything", ""); ok {
		t.Fatal("unknown user (empty hash) accepted")
	}
	if _, err := h.Verify(ctx, "x", "$argon2id$garbage"); err == nil {
		t.Fatal("malformed hash not reported")
	}
	again, _ := h.Hash(ctx, "correct horse battery")
	if again == enc {
		t.Fatal("two hashes of one password are equal: salt not random")
	}
}

func TestHasherBoundsConcurrency(t *testing.T) {
	h := NewHasher(1)
	h.sem <- struct{}{} // occupy the only slot
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := h.Hash(ctx, "waiting-for-a-slot"); err == nil {
		t.Fatal("hash ran although the only slot was taken")
	}
	<-h.sem
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := h.Hash(context.Background(), "parallel-password"); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
}

func TestPasswordPolicy(t *testing.T) {
	for p, ok := range map[string]bool{"short": false, "exactly12chr": true, strings.Repeat("é", 128): true, strings.Repeat("a", 129): false} {
		if (CheckPassword(p) == nil) != ok {
			t.Errorf("CheckPassword(%d runes) ok=%v", len([]rune(p)), !ok)
		}
	}
}

func TestCSRFTokensAreBoundToTheirSession(t *testing.T) {
	c := NewCSRF([]byte("a secret of at least thirty-two bytes"))
	tok := c.Token("session:1")
	if !c.Valid("session:1", tok) || c.Valid("session:2", tok) || c.Valid("session:1", "") || c.Valid("", tok) {
		t.Fatal("CSRF token validity is wrong")
	}
	if NewCSRF([]byte("another secret of thirty-two bytes!")).Valid("session:1", tok) {
		t.Fatal("token valid under another secret")
	}
}
