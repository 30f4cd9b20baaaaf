package ingest

import (
	"context"
	"errors"

	"switchboard/internal/storage"
)

// SandboxSlug is the app name our fake of Meta posts as.
const SandboxSlug = "sandbox"

// NewApps resolves webhook URLs: /webhooks/whatsapp is the platform's own
// app, /webhooks/whatsapp/sandbox the sandbox, anything else an app the
// operator registered (registered returns storage.ErrNotFound for none).
func NewApps(platform, sandbox App, registered func(ctx context.Context, slug string) (id, secret, verify string, err error)) Apps {
	sandbox.Sandbox = true
	return func(ctx context.Context, slug string) (App, bool, error) {
		switch slug {
		case "":
			return platform, true, nil
		case SandboxSlug:
			return sandbox, true, nil
		}
		id, secret, verify, err := registered(ctx, slug)
		if errors.Is(err, storage.ErrNotFound) {
			return App{}, false, nil
		}
		if err != nil {
			return App{}, false, err
		}
		return App{ID: id, Secret: []byte(secret), VerifyToken: verify}, true, nil
	}
}
