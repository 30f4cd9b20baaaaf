// Package migrations embeds the SQL migrations so the binary carries its own
// schema. The embedding file has to live here: embed cannot reach a parent
// directory.
package migrations

import "embed"

// FS holds NNNNNN_name.up.sql and NNNNNN_name.down.sql, run by golang-migrate.
//
//go:embed *.sql
var FS embed.FS
