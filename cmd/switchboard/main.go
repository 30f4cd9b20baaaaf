// Command switchboard is the whole product in one binary: the web server,
// migrations and the administrative CLI. Everything lives in internal/app so
// that tests can run the program exactly as a user does.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"switchboard/internal/app"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := app.Run(ctx, os.Args, os.Getenv, os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
