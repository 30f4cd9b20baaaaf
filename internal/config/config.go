// Package config reads Switchboard's configuration from the environment.
//
// Every value has a default that works on a developer's machine, except
// SECRET_KEY outside development. A missing or malformed value is reported as
// one error naming the variable, so the program can print one clear line.
package config

import (
	"encoding/hex"
	"fmt"
	"log/slog"
	"net"
	"net/mail"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Config is the typed configuration passed to every part that needs it.
type Config struct {
	Env         string // development | production
	DatabaseURL string
	RedisURL    string
	// RedisPrefix namespaces every Redis key, so several deployments (or
	// tests) can share one Redis.
	RedisPrefix string
	HTTPAddr    string
	BaseURL     *url.URL
	SecretKey   []byte
	LogLevel    slog.Level
	LogFormat   string // text | json
	Migrate     bool   // apply pending migrations when serve starts
	// ShutdownTimeout bounds how long serve waits for requests in flight.
	ShutdownTimeout time.Duration
	// MetaAppSecret and MetaVerifyToken are the platform's own Meta app's:
	// they check /webhooks/whatsapp. Empty: that endpoint refuses everything.
	MetaAppSecret   string
	MetaVerifyToken string
	// MetaAppID is the platform's own Meta app's App ID: template header
	// samples of its numbers are uploaded to /{app-id}/uploads. Empty: those
	// numbers' media-header templates need the handle pasted.
	MetaAppID string
	// GraphBaseURL and GraphAPIVersion address Meta's Graph API for live
	// numbers (sandbox numbers use the fake inside serve).
	GraphBaseURL    string
	GraphAPIVersion string
	// BlobDir is where media files are kept (the directory blob store).
	BlobDir string
	// Sender runs the outbox sender in this process. Pacing is per process,
	// so with several instances exactly one should send.
	Sender bool
	// PprofAddr, when set, serves Go's profiler there (loopback only): for
	// an operator measuring an instance, never on the public listener.
	PprofAddr string
	// SMTP is the relay invitations are e-mailed through; an empty Addr
	// sends nothing (the link is shown to the administrator either way).
	SMTP SMTP
}

// SMTP is the e-mail relay: SMTP_ADDR (host:port), SMTP_FROM, and
// SMTP_USERNAME with SMTP_PASSWORD when the relay wants AUTH.
type SMTP struct {
	Addr, From, Username, Password string
}

// Error names the variable that is wrong. Its message is meant to be printed
// as is, on one line.
type Error struct {
	Var    string
	Reason string
}

func (e *Error) Error() string { return e.Var + ": " + e.Reason }

// developmentSecret is used only when APP_ENV=development and SECRET_KEY is
// unset; serve logs a warning when it does.
const developmentSecret = "switchboard-development-secret-key-do-not-use-in-production"

// Secure reports whether cookies must carry the Secure attribute (and may use
// the __Host- prefix): only when the public URL is https.
func (c Config) Secure() bool { return c.BaseURL.Scheme == "https" }

// Development reports whether the program runs on a developer's machine.
func (c Config) Development() bool { return c.Env == "development" }

// Load reads the configuration through getenv.
func Load(getenv func(string) string) (Config, error) {
	get := func(name, def string) string {
		if v := strings.TrimSpace(getenv(name)); v != "" {
			return v
		}
		return def
	}
	c := Config{
		Env:         get("APP_ENV", "development"),
		DatabaseURL: get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"),
		RedisURL:    get("REDIS_URL", "redis://127.0.0.1:6379/0"),
		RedisPrefix: get("REDIS_PREFIX", "sb:"),
		HTTPAddr:    get("HTTP_ADDR", ":8080"),
		LogFormat:   get("LOG_FORMAT", "text"),
	}
	if c.Env != "development" && c.Env != "production" {
		return c, &Error{"APP_ENV", fmt.Sprintf("must be development or production, not %q", c.Env)}
	}
	if u, err := url.Parse(c.DatabaseURL); err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") || u.Host == "" {
		return c, &Error{"DATABASE_URL", "must be a postgres:// URL with a host, e.g. postgres://user@127.0.0.1:5432/db"}
	}
	if u, err := url.Parse(c.RedisURL); err != nil || (u.Scheme != "redis" && u.Scheme != "rediss") || u.Host == "" {
		return c, &Error{"REDIS_URL", "must be a redis:// URL with a host, e.g. redis://127.0.0.1:6379/0"}
	}
	if _, port, err := net.SplitHostPort(c.HTTPAddr); err != nil {
		return c, &Error{"HTTP_ADDR", "must be host:port or :port, e.g. :8080"}
	} else if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return c, &Error{"HTTP_ADDR", "port must be a number from 0 to 65535"}
	}
	base := get("BASE_URL", "http://localhost"+portSuffix(c.HTTPAddr))
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") {
		return c, &Error{"BASE_URL", "must be an http(s) URL with a host and no path, e.g. https://switchboard.example.com"}
	}
	u.Path = ""
	c.BaseURL = u

	secret := getenv("SECRET_KEY")
	switch {
	case secret == "" && c.Development():
		c.SecretKey = []byte(developmentSecret)
	case secret == "":
		return c, &Error{"SECRET_KEY", "is required outside development (at least 32 random bytes, e.g. `openssl rand -hex 32`)"}
	default:
		key, err := parseSecret(secret)
		if err != nil {
			return c, &Error{"SECRET_KEY", err.Error()}
		}
		c.SecretKey = key
	}

	switch strings.ToLower(get("LOG_LEVEL", "info")) {
	case "debug":
		c.LogLevel = slog.LevelDebug
	case "info":
		c.LogLevel = slog.LevelInfo
	case "warn", "warning":
		c.LogLevel = slog.LevelWarn
	case "error":
		c.LogLevel = slog.LevelError
	default:
		return c, &Error{"LOG_LEVEL", "must be debug, info, warn or error"}
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		return c, &Error{"LOG_FORMAT", "must be text or json"}
	}
	switch strings.ToLower(get("MIGRATE", "true")) {
	case "true", "1", "yes":
		c.Migrate = true
	case "false", "0", "no":
		c.Migrate = false
	default:
		return c, &Error{"MIGRATE", "must be true or false"}
	}
	d, err := time.ParseDuration(get("SHUTDOWN_TIMEOUT", "15s"))
	if err != nil || d <= 0 {
		return c, &Error{"SHUTDOWN_TIMEOUT", "must be a positive duration such as 15s"}
	}
	c.ShutdownTimeout = d

	c.MetaAppSecret = getenv("META_APP_SECRET")
	c.MetaVerifyToken = getenv("META_VERIFY_TOKEN")
	if c.MetaAppSecret != "" && len(c.MetaAppSecret) < 16 {
		return c, &Error{"META_APP_SECRET", "must be the Meta app's secret (at least 16 characters)"}
	}
	if c.MetaVerifyToken != "" && len(c.MetaVerifyToken) < 8 {
		return c, &Error{"META_VERIFY_TOKEN", "must be at least 8 characters"}
	}
	c.MetaAppID = getenv("META_APP_ID")
	if c.MetaAppID != "" && !isAppID(c.MetaAppID) {
		return c, &Error{"META_APP_ID", "must be the Meta app's numeric App ID"}
	}
	c.GraphBaseURL = strings.TrimSuffix(get("GRAPH_BASE_URL", "https://graph.facebook.com"), "/")
	if u, err := url.Parse(c.GraphBaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return c, &Error{"GRAPH_BASE_URL", "must be an http(s) URL such as https://graph.facebook.com"}
	}
	c.GraphAPIVersion = get("GRAPH_API_VERSION", "v23.0")
	if !graphVersionRE.MatchString(c.GraphAPIVersion) {
		return c, &Error{"GRAPH_API_VERSION", "must look like v23.0"}
	}
	c.BlobDir = get("BLOB_DIR", "data/blobs")
	if c.PprofAddr = get("PPROF_ADDR", ""); c.PprofAddr != "" {
		host, _, err := net.SplitHostPort(c.PprofAddr)
		if ip := net.ParseIP(host); err != nil || ip == nil || !ip.IsLoopback() {
			return c, &Error{"PPROF_ADDR", "must be a loopback address such as 127.0.0.1:6060 (the profiler is never public)"}
		}
	}
	if err := loadSMTP(&c, getenv); err != nil {
		return c, err
	}
	switch strings.ToLower(get("SENDER", "true")) {
	case "true", "1", "yes":
		c.Sender = true
	case "false", "0", "no":
	default:
		return c, &Error{"SENDER", "must be true or false"}
	}
	return c, nil
}

var graphVersionRE = regexp.MustCompile(`^v[0-9]{1,3}\.[0-9]$`)

// loadSMTP reads the relay. Nothing set is fine (no e-mail); anything set
// without a usable SMTP_ADDR and SMTP_FROM is a mistake worth stopping for.
func loadSMTP(c *Config, getenv func(string) string) error {
	s := SMTP{Addr: strings.TrimSpace(getenv("SMTP_ADDR")), From: strings.TrimSpace(getenv("SMTP_FROM")),
		Username: strings.TrimSpace(getenv("SMTP_USERNAME")), Password: getenv("SMTP_PASSWORD")}
	if s.Addr == "" {
		if s.From != "" || s.Username != "" || s.Password != "" {
			return &Error{"SMTP_ADDR", "is required when SMTP_FROM, SMTP_USERNAME or SMTP_PASSWORD is set (host:port, e.g. smtp.example.com:587)"}
		}
		return nil
	}
	if host, port, err := net.SplitHostPort(s.Addr); err != nil || host == "" {
		return &Error{"SMTP_ADDR", "must be host:port, e.g. smtp.example.com:587"}
	} else if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return &Error{"SMTP_ADDR", "port must be a number from 1 to 65535"}
	}
	if a, err := mail.ParseAddress(s.From); s.From == "" || err != nil || strings.ContainsAny(s.From, "\r\n") || a.Address == "" {
		return &Error{"SMTP_FROM", "must be the sender's address, e.g. Switchboard <noreply@example.com>"}
	}
	if (s.Username == "") != (s.Password == "") {
		return &Error{"SMTP_USERNAME", "SMTP_USERNAME and SMTP_PASSWORD go together: set both or neither"}
	}
	c.SMTP = s
	return nil
}

// parseSecret accepts 64 hex characters (32 bytes) or any string of at least
// 32 characters; shorter keys are refused because they sign sessions and
// protect secrets at rest.
func parseSecret(s string) ([]byte, error) {
	if len(s) == 64 {
		if b, err := hex.DecodeString(s); err == nil {
			return b, nil
		}
	}
	if len(s) < 32 {
		return nil, fmt.Errorf("must be at least 32 characters (got %d); generate one with `openssl rand -hex 32`", len(s))
	}
	return []byte(s), nil
}

func portSuffix(addr string) string {
	_, port, _ := net.SplitHostPort(addr)
	if port == "" || port == "80" {
		return ""
	}
	return ":" + port
}

// isAppID reports whether s looks like Meta's App ID: digits only.
func isAppID(s string) bool {
	if len(s) > 30 {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}
