// Package mail sends the product's few e-mails (today: agents'
// invitations) through an SMTP relay, with the standard library's net/smtp.
// Without SMTP_ADDR there is no Mailer and nothing is sent; callers then
// show what they would have sent (the invitation link) instead.
package mail

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/smtp"
	"strings"
	"time"
)

// Config is the relay: Addr is host:port; Username and Password are both
// set (AUTH PLAIN, only over TLS or to localhost) or both empty.
type Config struct {
	Addr, From         string
	Username, Password string
}

// Mailer sends messages through one relay.
type Mailer struct {
	cfg  Config
	host string
	// Timeout bounds a whole delivery (connect to QUIT); an administrator
	// waits for it, so it is short.
	Timeout time.Duration
	// TLS is used for STARTTLS; nil means the system's roots and the
	// relay's host name (tests set their own roots).
	TLS *tls.Config
	now func() time.Time
}

// New returns a Mailer for cfg, which config.Load has already checked.
func New(cfg Config) (*Mailer, error) {
	host, _, err := net.SplitHostPort(cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("smtp address %q: %w", cfg.Addr, err)
	}
	if _, err := mail.ParseAddress(cfg.From); err != nil {
		return nil, fmt.Errorf("smtp from %q: %w", cfg.From, err)
	}
	return &Mailer{cfg: cfg, host: host, Timeout: 15 * time.Second, now: time.Now}, nil
}

// Message is one plain-text e-mail to one person.
type Message struct {
	To, Subject, Body string
}

// ErrHeader is a recipient or subject that would break the message's
// headers (a line break in it).
var ErrHeader = errors.New("mail: line break in a header")

// Send delivers m: STARTTLS whenever the relay offers it, AUTH when
// configured. An error means the relay did not accept the message.
func (m *Mailer) Send(ctx context.Context, msg Message) error {
	if strings.ContainsAny(msg.To+msg.Subject, "\r\n") {
		return ErrHeader
	}
	to, err := mail.ParseAddress(msg.To)
	if err != nil {
		return fmt.Errorf("mail: recipient %q: %w", msg.To, err)
	}
	data, err := m.compose(to.Address, msg)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, m.Timeout)
	defer cancel()
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", m.cfg.Addr)
	if err != nil {
		return fmt.Errorf("mail: connect %s: %w", m.cfg.Addr, err)
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	c, err := smtp.NewClient(conn, m.host)
	if err != nil {
		return fmt.Errorf("mail: greeting: %w", err)
	}
	defer c.Close()
	if err := c.Hello("localhost"); err != nil {
		return fmt.Errorf("mail: EHLO: %w", err)
	}
	if ok, _ := c.Extension("STARTTLS"); ok {
		cfg := m.TLS
		if cfg == nil {
			cfg = &tls.Config{ServerName: m.host, MinVersion: tls.VersionTLS12}
		}
		if err := c.StartTLS(cfg); err != nil {
			return fmt.Errorf("mail: STARTTLS: %w", err)
		}
	}
	if m.cfg.Username != "" {
		// PlainAuth refuses to send the password unencrypted, except to
		// localhost.
		if err := c.Auth(smtp.PlainAuth("", m.cfg.Username, m.cfg.Password, m.host)); err != nil {
			return fmt.Errorf("mail: AUTH: %w", err)
		}
	}
	from, _ := mail.ParseAddress(m.cfg.From)
	if err := c.Mail(from.Address); err != nil {
		return fmt.Errorf("mail: MAIL FROM: %w", err)
	}
	if err := c.Rcpt(to.Address); err != nil {
		return fmt.Errorf("mail: RCPT TO: %w", err)
	}
	w, err := c.Data()
	if err != nil {
		return fmt.Errorf("mail: DATA: %w", err)
	}
	if _, err := w.Write(data); err != nil {
		return fmt.Errorf("mail: DATA: %w", err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("mail: DATA: %w", err)
	}
	return c.Quit()
}

// compose writes the message: UTF-8 text, quoted-printable, the subject
// encoded for non-ASCII words, CRLF line ends as SMTP wants.
func (m *Mailer) compose(to string, msg Message) ([]byte, error) {
	id := make([]byte, 12)
	if _, err := rand.Read(id); err != nil {
		return nil, err
	}
	var b bytes.Buffer
	header := func(k, v string) { b.WriteString(k + ": " + v + "\r\n") }
	header("From", m.cfg.From)
	header("To", to)
	header("Subject", mime.QEncoding.Encode("utf-8", msg.Subject))
	header("Date", m.now().Format(time.RFC1123Z))
	header("Message-ID", "<"+hex.EncodeToString(id)+"@"+m.host+">")
	header("MIME-Version", "1.0")
	header("Content-Type", "text/plain; charset=utf-8")
	header("Content-Transfer-Encoding", "quoted-printable")
	b.WriteString("\r\n")
	qp := quotedprintable.NewWriter(&b)
	body := strings.ReplaceAll(strings.ReplaceAll(msg.Body, "\r\n", "\n"), "\n", "\r\n")
	if _, err := qp.Write([]byte(body)); err != nil {
		return nil, err
	}
	if err := qp.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
