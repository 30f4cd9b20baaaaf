// Package mailtest is a tiny SMTP server for tests: it speaks enough SMTP
// (EHLO, MAIL, RCPT, DATA, RSET, NOOP, QUIT, and with NewTLS STARTTLS and
// AUTH PLAIN) to receive what a Mailer sends, and hands each message to the
// test.
package mailtest

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"io"
	"math/big"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// Received is one message as the server got it.
type Received struct {
	From    string
	To      []string
	Subject string // decoded
	Body    string // decoded from quoted-printable, line ends as \n
	Raw     string
	TLS     bool   // it came after STARTTLS
	User    string // who authenticated, if anyone
}

// Server listens on a loopback port until the test ends.
type Server struct {
	Addr     string
	Messages chan Received
	// Reject makes the server refuse every recipient (550), as a relay
	// does for an address it will not deliver to.
	Reject atomic.Bool
	// Roots trusts the server's certificate (NewTLS), for the Mailer's TLS.
	Roots *x509.CertPool
	tls   *tls.Config
	user  string
	pass  string
}

// New starts a server.
func New(t testing.TB) *Server {
	t.Helper()
	return start(t, &Server{})
}

// NewTLS starts a server that offers STARTTLS with a certificate for
// 127.0.0.1 and localhost (trusted by Roots), and AUTH PLAIN for user and
// pass, only once TLS is on, as real relays do.
func NewTLS(t testing.TB, user, pass string) *Server {
	t.Helper()
	cert, roots := certificate(t)
	return start(t, &Server{Roots: roots, user: user, pass: pass,
		tls: &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}})
}

func start(t testing.TB, s *Server) *Server {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.Addr, s.Messages = ln.Addr().String(), make(chan Received, 16)
	t.Cleanup(func() { _ = ln.Close() })
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go s.serve(conn)
		}
	}()
	return s
}

func (s *Server) serve(conn net.Conn) {
	defer conn.Close()
	r := bufio.NewReader(conn)
	say := func(line string) { _, _ = io.WriteString(conn, line+"\r\n") } // conn becomes the TLS one after STARTTLS
	say("220 mailtest ready")
	var msg Received
	secure, user := false, ""
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		line = strings.TrimRight(line, "\r\n")
		verb := strings.ToUpper(strings.SplitN(line, " ", 2)[0])
		switch verb {
		case "EHLO", "HELO":
			say("250-mailtest")
			if s.tls != nil && !secure {
				say("250-STARTTLS")
			}
			if s.tls != nil && secure {
				say("250-AUTH PLAIN")
			}
			say("250 8BITMIME")
		case "STARTTLS":
			if s.tls == nil || secure {
				say("502 not implemented")
				continue
			}
			say("220 go ahead")
			tc := tls.Server(conn, s.tls)
			if err := tc.Handshake(); err != nil {
				return
			}
			conn, r, secure = tc, bufio.NewReader(tc), true
		case "AUTH":
			f := strings.Fields(line)
			if !secure || len(f) != 3 || !strings.EqualFold(f[1], "PLAIN") {
				say("504 AUTH PLAIN over TLS only")
				continue
			}
			b, _ := base64.StdEncoding.DecodeString(f[2])
			parts := strings.Split(string(b), "\x00")
			if len(parts) != 3 || parts[1] != s.user || parts[2] != s.pass {
				say("535 authentication failed")
				continue
			}
			user = parts[1]
			say("235 ok")
		case "MAIL":
			if s.user != "" && user == "" {
				say("530 authentication required")
				continue
			}
			msg = Received{From: addr(line), TLS: secure, User: user}
			say("250 ok")
		case "RCPT":
			if s.Reject.Load() {
				say("550 no such user here")
				continue
			}
			msg.To = append(msg.To, addr(line))
			say("250 ok")
		case "DATA":
			say("354 end with .")
			var b strings.Builder
			for {
				l, err := r.ReadString('\n')
				if err != nil {
					return
				}
				if l == ".\r\n" {
					break
				}
				b.WriteString(strings.TrimPrefix(l, ".")) // dot-unstuffing
			}
			msg.Raw = b.String()
			msg.Subject, msg.Body = decode(msg.Raw)
			s.Messages <- msg
			say("250 queued")
		case "RSET", "NOOP":
			say("250 ok")
		case "QUIT":
			say("221 bye")
			return
		default:
			say("502 not implemented")
		}
	}
}

// addr takes the address out of "MAIL FROM:<a@b>" or "RCPT TO:<a@b>".
func addr(line string) string {
	i, j := strings.Index(line, "<"), strings.LastIndex(line, ">")
	if i < 0 || j < i {
		return ""
	}
	return line[i+1 : j]
}

func decode(raw string) (subject, body string) {
	m, err := mail.ReadMessage(strings.NewReader(raw))
	if err != nil {
		return "", raw
	}
	subject, err = new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
	if err != nil {
		subject = m.Header.Get("Subject")
	}
	var rd io.Reader = m.Body
	if strings.EqualFold(m.Header.Get("Content-Transfer-Encoding"), "quoted-printable") {
		rd = quotedprintable.NewReader(m.Body)
	}
	b, _ := io.ReadAll(rd)
	return subject, strings.ReplaceAll(string(b), "\r\n", "\n")
}

// certificate makes a self-signed certificate for the loopback names.
func certificate(t testing.TB) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "mailtest"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true, IsCA: true, DNSNames: []string{"localhost"}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, roots
}
