// Package apidocs embeds the OpenAPI document so the server can publish it
// at /api/v1/openapi.yaml and tests can hold responses to it.
package apidocs

import _ "embed"

// OpenAPI is docs/api/openapi.yaml.
//
//go:embed openapi.yaml
var OpenAPI []byte
