// Package mailtest is a tiny SMTP server for tests: it speaks enough SMTP
// (EHLO, MAIL, RCPT, DATA, RSET, NOOP, QUIT) to receive what a Mailer sends,
// and hands each message to the test.
package mailtest

import (
	"bufio"
	"io"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"strings"
	"sync/atomic"
	"testing"
)

// Received is one message as the server got it.
type Received struct {
	From    string
	To      []string
	Subject string // decoded
	Body    string // decoded from quoted-printable, line ends as \n
	Raw     string
}

// Server listens on a loopback port until the test ends.
type Server struct {
	Addr     string
	Messages chan Received
	// Reject makes the server refuse every recipient (550), as a relay
	// does for an address it will not deliver to.
	Reject atomic.Bool
}

// New starts a server.
func New(t testing.TB) *Server {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{Addr: ln.Addr().String(), Messages: make(chan Received, 16)}
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
	say := func(line string) { _, _ = io.WriteString(conn, line+"\r\n") }
	say("220 mailtest ready")
	var msg Received
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
			say("250 8BITMIME")
		case "MAIL":
			msg = Received{From: addr(line)}
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
