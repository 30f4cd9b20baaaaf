package config_test

import (
	"errors"
	"strings"
	"testing"

	"switchboard/internal/config"
)

func getenv(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestDefaultsWorkOnADevelopersMachine(t *testing.T) {
	c, err := config.Load(getenv(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.HTTPAddr != ":8080" || c.BaseURL.String() != "http://localhost:8080" || !c.Development() || !c.Migrate || c.Secure() {
		t.Fatalf("defaults: %+v", c)
	}
	if c.DatabaseURL == "" || c.RedisURL == "" || len(c.SecretKey) < 32 {
		t.Fatal("missing defaults")
	}
}

func TestEachBadValueNamesItsVariable(t *testing.T) {
	good := "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	cases := []struct {
		env map[string]string
		bad string
	}{
		{map[string]string{"APP_ENV": "production"}, "SECRET_KEY"},
		{map[string]string{"APP_ENV": "production", "SECRET_KEY": "short"}, "SECRET_KEY"},
		{map[string]string{"APP_ENV": "staging"}, "APP_ENV"},
		{map[string]string{"DATABASE_URL": "mysql://x"}, "DATABASE_URL"},
		{map[string]string{"DATABASE_URL": "postgres://"}, "DATABASE_URL"},
		{map[string]string{"REDIS_URL": "127.0.0.1:6379"}, "REDIS_URL"},
		{map[string]string{"HTTP_ADDR": "8080"}, "HTTP_ADDR"},
		{map[string]string{"HTTP_ADDR": ":99999"}, "HTTP_ADDR"},
		{map[string]string{"BASE_URL": "ftp://x"}, "BASE_URL"},
		{map[string]string{"BASE_URL": "https://x.example/app"}, "BASE_URL"},
		{map[string]string{"LOG_LEVEL": "loud"}, "LOG_LEVEL"},
		{map[string]string{"LOG_FORMAT": "xml"}, "LOG_FORMAT"},
		{map[string]string{"MIGRATE": "maybe"}, "MIGRATE"},
		{map[string]string{"SHUTDOWN_TIMEOUT": "soon"}, "SHUTDOWN_TIMEOUT"},
		{map[string]string{"PPROF_ADDR": "0.0.0.0:6060"}, "PPROF_ADDR"},
		{map[string]string{"PPROF_ADDR": "6060"}, "PPROF_ADDR"},
	}
	for _, c := range cases {
		_, err := config.Load(getenv(c.env))
		var ce *config.Error
		if !errors.As(err, &ce) || ce.Var != c.bad {
			t.Errorf("%v: got %v, want an error naming %s", c.env, err, c.bad)
		}
	}
	c, err := config.Load(getenv(map[string]string{"APP_ENV": "production", "SECRET_KEY": good, "BASE_URL": "https://sb.example", "LOG_FORMAT": "json", "MIGRATE": "false", "PPROF_ADDR": "127.0.0.1:6060"}))
	if err != nil {
		t.Fatal(err)
	}
	if !c.Secure() || c.Migrate || len(c.SecretKey) != 32 || c.PprofAddr != "127.0.0.1:6060" {
		t.Fatalf("production config: secure=%v migrate=%v key=%d bytes", c.Secure(), c.Migrate, len(c.SecretKey))
	}
}

func TestWhatsAppSettings(t *testing.T) {
	for env, bad := range map[string]string{
		"META_APP_SECRET=short":        "META_APP_SECRET",
		"META_VERIFY_TOKEN=abc":        "META_VERIFY_TOKEN",
		"META_APP_ID=my-app":           "META_APP_ID",
		"GRAPH_BASE_URL=graph.example": "GRAPH_BASE_URL",
		"GRAPH_API_VERSION=23":         "GRAPH_API_VERSION",
	} {
		k, v, _ := strings.Cut(env, "=")
		_, err := config.Load(getenv(map[string]string{k: v}))
		var ce *config.Error
		if !errors.As(err, &ce) || ce.Var != bad {
			t.Errorf("%s: got %v", env, err)
		}
	}
	c, err := config.Load(getenv(nil))
	if err != nil || c.GraphBaseURL != "https://graph.facebook.com" || c.GraphAPIVersion != "v23.0" || c.BlobDir == "" {
		t.Fatalf("defaults: %+v %v", c, err)
	}
}
