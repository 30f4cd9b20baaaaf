package outbound

import (
	"context"
	"io"

	"switchboard/internal/domain"
)

// UploadSample uploads a template header's sample file for Meta's review
// through the number's client and token (the sandbox's fake for sandbox
// numbers), to the Resumable Upload API of appID, the number's Meta app
// (number.Service.MetaAppID), and returns the handle the header's example
// carries.
func (c *Catalog) UploadSample(ctx context.Context, n domain.Number, appID, filename, mimeType string, r io.Reader, size int64) (string, error) {
	token, err := c.token(n)
	if err != nil {
		return "", err
	}
	return c.client(n).UploadSample(ctx, token, appID, filename, mimeType, r, size)
}
