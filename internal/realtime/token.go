package realtime

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"time"

	"github.com/redis/go-redis/v9"
)

// Tokens are the one-time tickets a page takes (with its session and CSRF
// token) just before opening its socket: a socket URL copied elsewhere, or
// replayed, opens nothing. A ticket lives 60 s and is bound to the session.
type Tokens struct {
	RDB    *redis.Client
	Prefix string
}

// ErrBadToken is a ticket unknown, used, expired or of another session.
var ErrBadToken = errors.New("invalid or used socket token")

const tokenTTL = 60 * time.Second

func (t Tokens) key(token string) string { return t.Prefix + "wstoken:" + token }

// Issue returns a new ticket for the session.
func (t Tokens) Issue(ctx context.Context, sessionID string) (string, error) {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	token := base64.RawURLEncoding.EncodeToString(b)
	return token, t.RDB.Set(ctx, t.key(token), sessionID, tokenTTL).Err()
}

// Redeem consumes a ticket; it must belong to sessionID.
func (t Tokens) Redeem(ctx context.Context, token, sessionID string) error {
	if len(token) != 32 {
		return ErrBadToken
	}
	got, err := t.RDB.GetDel(ctx, t.key(token)).Result()
	if errors.Is(err, redis.Nil) || err == nil && got != sessionID {
		return ErrBadToken
	}
	return err
}
