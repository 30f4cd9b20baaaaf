package config_test

import (
	"errors"
	"testing"

	"switchboard/internal/config"
)

// TestSMTPSettings: no SMTP is fine; a relay needs host:port and a sender;
// a user name goes with a password; each mistake names its variable.
func TestSMTPSettings(t *testing.T) {
	c, err := config.Load(getenv(nil))
	if err != nil || c.SMTP != (config.SMTP{}) {
		t.Fatalf("default: %+v %v", c.SMTP, err)
	}
	for _, tc := range []struct {
		env map[string]string
		bad string
	}{
		{map[string]string{"SMTP_FROM": "a@b.test"}, "SMTP_ADDR"},
		{map[string]string{"SMTP_ADDR": "smtp.example.com", "SMTP_FROM": "a@b.test"}, "SMTP_ADDR"},
		{map[string]string{"SMTP_ADDR": "smtp.example.com:0", "SMTP_FROM": "a@b.test"}, "SMTP_ADDR"},
		{map[string]string{"SMTP_ADDR": "smtp.example.com:587"}, "SMTP_FROM"},
		{map[string]string{"SMTP_ADDR": "smtp.example.com:587", "SMTP_FROM": "not an address"}, "SMTP_FROM"},
		{map[string]string{"SMTP_ADDR": "smtp.example.com:587", "SMTP_FROM": "a@b.test", "SMTP_USERNAME": "u"}, "SMTP_USERNAME"},
	} {
		_, err := config.Load(getenv(tc.env))
		var ce *config.Error
		if !errors.As(err, &ce) || ce.Var != tc.bad {
			t.Errorf("%v: got %v, want an error naming %s", tc.env, err, tc.bad)
		}
	}
	c, err = config.Load(getenv(map[string]string{"SMTP_ADDR": "smtp.example.com:587", "SMTP_FROM": "Switchboard <noreply@example.com>",
		"SMTP_USERNAME": "relay-user", "SMTP_PASSWORD": "relay pass"}))
	if err != nil || c.SMTP.Addr != "smtp.example.com:587" || c.SMTP.Username != "relay-user" || c.SMTP.Password != "relay pass" {
		t.Fatalf("relay: %+v %v", c.SMTP, err)
	}
}
