package number

import (
	"context"
	"errors"
	"fmt"

	"switchboard/internal/domain"
)

// SandboxMetaAppID is the Meta App ID of the sandbox's app: our fake of
// Meta serves that app's Resumable Upload API (/{app-id}/uploads), where
// sandbox numbers' template header samples go.
const SandboxMetaAppID = "1000000000000001"

// ErrNoMetaAppID says a number's Meta app has no App ID recorded: uploads
// to Meta's Resumable Upload API (/{app-id}/uploads) cannot be addressed.
// The operator records it on the app (or META_APP_ID for the platform's).
var ErrNoMetaAppID = errors.New("the number's Meta app has no App ID recorded")

// MetaAppID is the Meta App ID a number's files are uploaded to: the
// sandbox's app for a sandbox number, the operator's registered app for a
// number of one, and the platform's own (META_APP_ID) otherwise.
func (s *Service) MetaAppID(ctx context.Context, n domain.Number) (string, error) {
	if n.Sandbox {
		return SandboxMetaAppID, nil
	}
	id := s.PlatformAppID
	if n.AppID != "" {
		app, err := s.store.MetaApp(ctx, n.AppID)
		if err != nil {
			return "", fmt.Errorf("the number's Meta app: %w", err)
		}
		id = app.MetaAppID
	}
	if id == "" {
		return "", ErrNoMetaAppID
	}
	return id, nil
}
