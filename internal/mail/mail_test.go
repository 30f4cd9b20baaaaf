package mail_test

import (
	"context"
	"crypto/tls"
	"errors"
	"strings"
	"testing"
	"time"

	"switchboard/internal/mail"
	"switchboard/internal/mail/mailtest"
)

func newMailer(t *testing.T, addr string) *mail.Mailer {
	t.Helper()
	m, err := mail.New(mail.Config{Addr: addr, From: "Switchboard <noreply@switchboard.test>"})
	if err != nil {
		t.Fatal(err)
	}
	m.Timeout = 5 * time.Second
	return m
}

// TestSendDeliversToTheRelay: the relay receives one message for the
// recipient, from the configured sender, with the subject and the UTF-8
// body intact (a long line and a leading dot survive the encoding).
func TestSendDeliversToTheRelay(t *testing.T) {
	srv := mailtest.New(t)
	m := newMailer(t, srv.Addr)
	body := "Buongiorno Nicolò,\n.una riga che comincia con un punto\n" + strings.Repeat("lungo ", 30) + "\nfine €\n"
	if err := m.Send(context.Background(), mail.Message{To: "nina@alpha.test", Subject: "Il tuo invito è pronto", Body: body}); err != nil {
		t.Fatal(err)
	}
	select {
	case got := <-srv.Messages:
		if got.From != "noreply@switchboard.test" || len(got.To) != 1 || got.To[0] != "nina@alpha.test" {
			t.Fatalf("envelope: from %q to %q", got.From, got.To)
		}
		if got.Subject != "Il tuo invito è pronto" {
			t.Errorf("subject %q", got.Subject)
		}
		if got.Body != body {
			t.Errorf("body %q\nwant %q", got.Body, body)
		}
		if !strings.Contains(got.Raw, "Content-Type: text/plain; charset=utf-8") {
			t.Errorf("headers:\n%s", got.Raw)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("nothing received")
	}
}

// TestSendFailures: a refused recipient, a relay that is not there and a
// header with a line break are errors, never a silent loss.
func TestSendFailures(t *testing.T) {
	srv := mailtest.New(t)
	srv.Reject.Store(true)
	m := newMailer(t, srv.Addr)
	if err := m.Send(context.Background(), mail.Message{To: "nobody@alpha.test", Subject: "x", Body: "x"}); err == nil ||
		!strings.Contains(err.Error(), "RCPT") {
		t.Errorf("refused recipient: %v", err)
	}
	gone := newMailer(t, "127.0.0.1:1")
	if err := gone.Send(context.Background(), mail.Message{To: "a@alpha.test", Subject: "x", Body: "x"}); err == nil {
		t.Error("no relay: no error")
	}
	if err := m.Send(context.Background(), mail.Message{To: "a@alpha.test", Subject: "x\r\nBcc: victim@else.test", Body: "x"}); !errors.Is(err, mail.ErrHeader) {
		t.Errorf("header injection: %v", err)
	}
	if _, err := mail.New(mail.Config{Addr: "no-port", From: "a@b.test"}); err == nil {
		t.Error("an address without a port was accepted")
	}
}

// TestSendOverSTARTTLS: a relay offering STARTTLS gets the message over TLS,
// authenticated; a wrong password is an error; a certificate the system
// does not trust stops the delivery rather than sending in the clear.
func TestSendOverSTARTTLS(t *testing.T) {
	srv := mailtest.NewTLS(t, "relay-user", "relay-pass")
	m, err := mail.New(mail.Config{Addr: srv.Addr, From: "noreply@switchboard.test", Username: "relay-user", Password: "relay-pass"})
	if err != nil {
		t.Fatal(err)
	}
	m.Timeout = 5 * time.Second
	m.TLS = &tls.Config{RootCAs: srv.Roots, ServerName: "127.0.0.1", MinVersion: tls.VersionTLS12}
	if err := m.Send(context.Background(), mail.Message{To: "nina@alpha.test", Subject: "Invito", Body: "Ciao"}); err != nil {
		t.Fatal(err)
	}
	select {
	case got := <-srv.Messages:
		if !got.TLS || got.User != "relay-user" || got.To[0] != "nina@alpha.test" || strings.TrimSpace(got.Body) != "Ciao" {
			t.Errorf("received %+v", got)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("nothing received")
	}

	wrong, _ := mail.New(mail.Config{Addr: srv.Addr, From: "noreply@switchboard.test", Username: "relay-user", Password: "nope"})
	wrong.Timeout, wrong.TLS = 5*time.Second, m.TLS
	if err := wrong.Send(context.Background(), mail.Message{To: "a@alpha.test", Subject: "x", Body: "x"}); err == nil || !strings.Contains(err.Error(), "AUTH") {
		t.Errorf("wrong password: %v", err)
	}
	untrusted, _ := mail.New(mail.Config{Addr: srv.Addr, From: "noreply@switchboard.test", Username: "relay-user", Password: "relay-pass"})
	untrusted.Timeout = 5 * time.Second
	if err := untrusted.Send(context.Background(), mail.Message{To: "a@alpha.test", Subject: "x", Body: "x"}); err == nil || !strings.Contains(err.Error(), "STARTTLS") {
		t.Errorf("untrusted certificate: %v", err)
	}
	select {
	case got := <-srv.Messages:
		t.Errorf("a refused delivery arrived: %+v", got)
	default:
	}
}
