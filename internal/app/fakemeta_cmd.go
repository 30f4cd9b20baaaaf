package app

import (
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/url"

	"switchboard/internal/httpx"
	"switchboard/internal/whatsapp/fakemeta"
)

// runFakemeta serves our fake of Meta on its own, for load tests and for
// trying a live-like setup on one machine: numbers are registered through
// its /_fake/ control API.
func runFakemeta(e env, args []string) int {
	fs := flag.NewFlagSet("fakemeta", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	addr := fs.String("addr", "127.0.0.1:9090", "where to listen")
	hook := fs.String("webhook-url", "", "where to post webhooks, e.g. http://127.0.0.1:8080/webhooks/whatsapp (required)")
	version := fs.String("api-version", "v23.0", "the Graph API version whose webhook shapes to send")
	fs.Usage = func() {
		fmt.Fprintln(e.stderr, "Usage: META_APP_SECRET=… switchboard fakemeta --addr ADDR --webhook-url URL\n\nServes a fake of Meta's WhatsApp Cloud API (Graph API, media, templates) that posts signed webhooks to URL. Register numbers with POST /_fake/numbers.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return flagStatus(err)
	}
	if _, _, err := net.SplitHostPort(*addr); err != nil {
		fmt.Fprintln(e.stderr, "switchboard fakemeta: --addr must be host:port")
		return exitUsage
	}
	if u, err := url.Parse(*hook); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		fmt.Fprintln(e.stderr, "switchboard fakemeta: --webhook-url must be an http(s) URL")
		return exitUsage
	}
	secret := e.getenv("META_APP_SECRET")
	if len(secret) < 16 {
		fmt.Fprintln(e.stderr, "switchboard fakemeta: META_APP_SECRET must be set (at least 16 characters): webhooks are signed with it")
		return exitUsage
	}
	logger := httpx.NewLogger(e.stderr, slog.LevelInfo, "text")
	logger.Info("fake of Meta listening", "addr", *addr, "webhook_url", *hook)
	if err := fakemeta.ListenAndServe(e.ctx, *addr, fakemeta.Config{AppSecret: secret, WebhookURL: *hook, APIVersion: *version, Logger: logger}); err != nil {
		logger.Error("fakemeta", "error", err)
		return exitError
	}
	return exitOK
}
