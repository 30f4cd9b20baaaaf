package graph

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"switchboard/internal/whatsapp/fakemeta"
)

func text(to, body string) OutgoingMessage {
	return OutgoingMessage{To: to, Text: &Text{Body: body}}
}

// TestSendErrorsFromFake provokes each policy error in the fake and checks
// the *Error and its classification.
func TestSendErrorsFromFake(t *testing.T) {
	type check struct {
		code, status int
		retryable    bool
	}
	run := func(t *testing.T, name string, err error, want check) *Error {
		t.Helper()
		ge := asError(t, name, err, want.code)
		if ge.HTTPStatus != want.status {
			t.Errorf("%s: HTTP %d, want %d", name, ge.HTTPStatus, want.status)
		}
		if ge.Retryable() != want.retryable || Retryable(err) != want.retryable {
			t.Errorf("%s: retryable %v, want %v", name, ge.Retryable(), want.retryable)
		}
		if ge.Title == "" || ge.Details == "" || ge.FBTraceID == "" || ge.Type == "" {
			t.Errorf("%s: incomplete error %+v", name, ge)
		}
		if strings.HasPrefix(ge.Title, "(#") {
			t.Errorf("%s: title keeps the code prefix: %q", name, ge.Title)
		}
		if strings.Contains(err.Error(), testToken) {
			t.Errorf("%s: the error string leaks the token: %v", name, err)
		}
		return ge
	}

	t.Run("131047 window closed", func(t *testing.T) {
		e := newEnv(t, func(c *fakemeta.Config) {
			c.ErrorModes = map[int]fakemeta.ErrorMode{fakemeta.CodeReengagement: fakemeta.ErrorSync}
		})
		_, err := e.client.Send(t.Context(), testToken, testPN, text(testCustomer, "hello?"))
		run(t, "131047", err, check{CodeReengagement, 400, false})
		// A template is what may reach a customer outside the window.
		e.approved(TemplateDraft{Name: "hello", Language: "en_US", Category: "MARKETING",
			Components: []TemplateComponent{{Type: "BODY", Text: "Hello from us"}}})
		if _, err := e.client.Send(t.Context(), testToken, testPN, OutgoingMessage{To: testCustomer,
			Template: &TemplateMessage{Name: "hello", Language: TemplateLanguage{Code: "en_US"}}}); err != nil {
			t.Errorf("template outside the window: %v", err)
		}
	})

	t.Run("131047 asynchronous by default", func(t *testing.T) {
		// Meta usually reports it after a 200 (§5.1): Send succeeds and the
		// failure arrives as a failed status webhook.
		e := newEnv(t, nil)
		if _, err := e.client.Send(t.Context(), testToken, testPN, text(testCustomer, "hello?")); err != nil {
			t.Errorf("default mode: %v", err)
		}
	})

	t.Run("template errors", func(t *testing.T) {
		e := newEnv(t, nil)
		img := e.upload("image/jpeg", jpegBytes)
		id := e.approved(e.orderDraft("order_confirmation"))
		send := func(name string, comps ...TemplateComponentParams) error {
			_, err := e.client.Send(t.Context(), testToken, testPN, OutgoingMessage{To: testCustomer,
				Template: &TemplateMessage{Name: name, Language: TemplateLanguage{Code: "en_US"}, Components: comps}})
			return err
		}
		full := []TemplateComponentParams{
			HeaderComponent(ImageParam(MediaObject{ID: img})),
			BodyComponent(TextParam("Jessica"), TextParam("SKBUP2")),
			URLButton(1, "SKBUP2"),
		}
		if err := send("order_confirmation", full...); err != nil {
			t.Fatalf("valid template send: %v", err)
		}
		run(t, "132001", send("no_such_template"), check{CodeTemplateMissing, 404, false})
		run(t, "132000", send("order_confirmation", full[0], BodyComponent(TextParam("Jessica")), full[2]),
			check{CodeTemplateParamCount, 400, false})
		run(t, "132012", send("order_confirmation", HeaderComponent(TextParam("x")), full[1], full[2]),
			check{CodeTemplateParamFormat, 400, false})
		run(t, "131053 template media", send("order_confirmation", HeaderComponent(ImageParam(MediaObject{ID: "424242"})), full[1], full[2]),
			check{CodeMediaUpload, 400, false})
		if err := e.fake.DecideTemplate(testWABA, id, "PAUSED", ""); err != nil {
			t.Fatal(err)
		}
		run(t, "132015", send("order_confirmation", full...), check{CodeTemplatePaused, 400, false})
		if err := e.fake.DecideTemplate(testWABA, id, "DISABLED", ""); err != nil {
			t.Fatal(err)
		}
		run(t, "132016", send("order_confirmation", full...), check{CodeTemplateDisabled, 400, false})
	})

	t.Run("130429 throughput", func(t *testing.T) {
		e := newEnv(t, func(c *fakemeta.Config) {
			fixedClock(c)
			c.Throughput = 1
			c.ThroughputIgnoresInbound = true
		})
		e.openWindow(testCustomer)
		e.openWindow("16505550000")
		if _, err := e.client.Send(t.Context(), testToken, testPN, text(testCustomer, "one")); err != nil {
			t.Fatal(err)
		}
		_, err := e.client.Send(t.Context(), testToken, testPN, text("16505550000", "two"))
		ge := run(t, "130429", err, check{CodeThroughput, 400, true})
		if ge.Subcode != 2494055 || ge.RetryAfter() != time.Second {
			t.Errorf("130429: subcode %d, retry after %v", ge.Subcode, ge.RetryAfter())
		}
	})

	t.Run("131056 pair rate", func(t *testing.T) {
		e := newEnv(t, func(c *fakemeta.Config) {
			fixedClock(c)
			c.PairRate = 6 * time.Second
		})
		e.openWindow(testCustomer)
		e.openWindow("16505550000")
		if _, err := e.client.Send(t.Context(), testToken, testPN, text(testCustomer, "one")); err != nil {
			t.Fatal(err)
		}
		_, err := e.client.Send(t.Context(), testToken, testPN, text(testCustomer, "two"))
		ge := run(t, "131056", err, check{CodePairRateLimit, 400, true})
		if ge.RetryAfter() != 6*time.Second {
			t.Errorf("131056 retry after %v, want 6s", ge.RetryAfter())
		}
		// The limit is per pair: another customer is reachable.
		if _, err := e.client.Send(t.Context(), testToken, testPN, text("16505550000", "hi")); err != nil {
			t.Errorf("other recipient: %v", err)
		}
	})

	t.Run("131053 unknown media", func(t *testing.T) {
		e := newEnv(t, nil)
		e.openWindow(testCustomer)
		_, err := e.client.Send(t.Context(), testToken, testPN, OutgoingMessage{To: testCustomer, Image: &MediaObject{ID: "424242"}})
		run(t, "131053", err, check{CodeMediaUpload, 400, false})
	})

	t.Run("190 bad token", func(t *testing.T) {
		e := newEnv(t, nil)
		const bad = "EAAG-revoked-token"
		_, err := e.client.Send(t.Context(), bad, testPN, text(testCustomer, "hi"))
		run(t, "190", err, check{CodeAccessToken, 401, false})
		if !IsTokenInvalid(err) {
			t.Error("IsTokenInvalid is false for 190")
		}
		if strings.Contains(err.Error(), bad) {
			t.Errorf("error leaks the token: %v", err)
		}
		if IsTokenInvalid(errors.New("other")) || IsTokenInvalid(nil) {
			t.Error("IsTokenInvalid true for a non-Graph error")
		}
	})

	t.Run("100 invalid parameter", func(t *testing.T) {
		e := newEnv(t, nil)
		_, err := e.client.Send(t.Context(), testToken, "999999999", text(testCustomer, "hi"))
		ge := run(t, "100 unknown number", err, check{CodeInvalidParameter, 400, false})
		if ge.Type != "GraphMethodException" || ge.Subcode != 33 {
			t.Errorf("unknown object: type %q subcode %d", ge.Type, ge.Subcode)
		}
		_, err = e.client.Send(t.Context(), testToken, testPN, text("call me maybe", "hi"))
		run(t, "100 bad recipient", err, check{CodeInvalidParameter, 400, false})
		if IsTokenInvalid(err) {
			t.Error("IsTokenInvalid true for 100")
		}
	})

	t.Run("131021 self", func(t *testing.T) {
		e := newEnv(t, nil)
		_, err := e.client.Send(t.Context(), testToken, testPN, text(testDisplay, "me"))
		run(t, "131021", err, check{CodeSameSenderRecipient, 400, false})
	})

	t.Run("FailRecipient codes", func(t *testing.T) {
		codes := []int{CodeUndeliverable, CodeEcosystem, CodeMarketingOptOut, CodeExperiment}
		e := newEnv(t, func(c *fakemeta.Config) {
			c.ErrorModes = map[int]fakemeta.ErrorMode{}
			for _, code := range codes {
				c.ErrorModes[code] = fakemeta.ErrorSync
			}
		})
		for i, code := range codes {
			to := fmt.Sprint(16505559000 + i)
			e.openWindow(to)
			e.fake.FailRecipient(to, code)
			_, err := e.client.Send(t.Context(), testToken, testPN, text(to, "hi"))
			run(t, fmt.Sprint(code), err, check{code, 400, false})
		}
	})
}

// TestParseErrorContractExample parses §5.1's example body exactly.
func TestParseErrorContractExample(t *testing.T) {
	body := `{"error": {"message": "(#130429) Rate limit hit", "type": "OAuthException", "code": 130429,
	  "error_data": {"messaging_product": "whatsapp", "details": "Cloud API message throughput has been reached."},
	  "error_subcode": 2494055, "fbtrace_id": "Az8or2yhqkZfEZ-_4Qn_Bam"}}`
	err := parseError(400, []byte(body))
	ge := err.(*Error)
	want := Error{HTTPStatus: 400, Code: 130429, Subcode: 2494055, Type: "OAuthException", Title: "Rate limit hit",
		Message: "(#130429) Rate limit hit", Details: "Cloud API message throughput has been reached.", FBTraceID: "Az8or2yhqkZfEZ-_4Qn_Bam"}
	if *ge != want {
		t.Errorf("parsed %+v\nwant   %+v", *ge, want)
	}
	if got := ge.Error(); got != "graph: HTTP 400, code 130429 (subcode 2494055): Rate limit hit: Cloud API message throughput has been reached. [fbtrace_id Az8or2yhqkZfEZ-_4Qn_Bam]" {
		t.Errorf("Error() = %q", got)
	}

	// Template creation errors carry user texts; error_data may be a string.
	ge = parseError(400, []byte(`{"error":{"message":"(#100) Invalid parameter","type":"OAuthException","code":100,
	  "error_subcode":2388040,"error_user_title":"Message body is too long","error_user_msg":"Shorten it",
	  "error_data":"{\"details\":\"too long\"}","is_transient":false,"fbtrace_id":"x"}}`)).(*Error)
	if ge.UserTitle != "Message body is too long" || ge.UserMessage != "Shorten it" || ge.Details != "too long" || ge.Subcode != 2388040 {
		t.Errorf("template error parsed as %+v", ge)
	}

	// Not Graph's JSON: keep the start of the body, no code.
	ge = parseError(502, []byte("<html>Bad Gateway</html>")).(*Error)
	if ge.Code != 0 || ge.Message != "<html>Bad Gateway</html>" || !ge.Retryable() {
		t.Errorf("proxy error parsed as %+v (retryable %v)", ge, ge.Retryable())
	}
}

// TestClassification covers the code table, including codes the fake does
// not produce.
func TestClassification(t *testing.T) {
	retryable := []int{1, 2, 4, 80007, 80008, 130429, 131000, 131016, 131056, 131057}
	permanent := []int{3, 10, 100, 190, 200, 299, 368, 130472, 131005, 131008, 131009, 131021, 131026, 131031,
		131042, 131045, 131047, 131048, 131049, 131050, 131051, 131052, 131053, 132000, 132001, 132005, 132007,
		132012, 132015, 132016, 132018, 2388019, 2388040}
	for _, code := range retryable {
		// Even with a 400 status: the code decides.
		if !(&Error{HTTPStatus: 400, Code: code}).Retryable() {
			t.Errorf("code %d should be retryable", code)
		}
	}
	for _, code := range permanent {
		// Even with a 500 status (131045 and 3 come with 500 in the old table).
		if (&Error{HTTPStatus: 500, Code: code}).Retryable() {
			t.Errorf("code %d should be permanent", code)
		}
	}
	for _, tc := range []struct {
		e    Error
		want bool
	}{
		{Error{HTTPStatus: 500, Code: 999999}, true},
		{Error{HTTPStatus: 503}, true},
		{Error{HTTPStatus: 429}, true},
		{Error{HTTPStatus: 400, Code: 999999}, false},
		{Error{HTTPStatus: 400, Code: 999999, Transient: true}, true},
		{Error{HTTPStatus: 404}, false},
	} {
		if got := tc.e.Retryable(); got != tc.want {
			t.Errorf("%+v: retryable %v, want %v", tc.e, got, tc.want)
		}
	}
	if Retryable(nil) || Retryable(errors.New("plain")) || Retryable(context.Canceled) {
		t.Error("nil, plain or cancelled errors classified retryable")
	}
	wrapped := fmt.Errorf("outbox: %w", &Error{HTTPStatus: 400, Code: CodePairRateLimit})
	if !Retryable(wrapped) {
		t.Error("a wrapped *Error is not classified")
	}
	if Retryable(&MediaError{Reason: MediaTooLarge}) {
		t.Error("MediaError classified retryable")
	}
}

// TestTransportFailures: 5xx, timeouts, dropped connections and cut answers
// are retryable; cancellation is not; answers are bounded.
func TestTransportFailures(t *testing.T) {
	msg := text(testCustomer, "hi")
	serve := func(t *testing.T, h http.HandlerFunc) *Client {
		srv := httptest.NewServer(h)
		t.Cleanup(srv.Close)
		return &Client{HTTP: &http.Client{Timeout: 5 * time.Second}, BaseURL: srv.URL, Version: "v23.0"}
	}

	t.Run("503 with code 131016", func(t *testing.T) {
		c := serve(t, func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(503)
			io.WriteString(w, `{"error":{"message":"(#131016) Service unavailable","type":"OAuthException","code":131016,"fbtrace_id":"t"}}`)
		})
		_, err := c.Send(t.Context(), testToken, testPN, msg)
		if ge := asError(t, "503", err, CodeServiceUnavailable); !ge.Retryable() || !Retryable(err) {
			t.Error("131016 not retryable")
		}
	})

	t.Run("500 not JSON", func(t *testing.T) {
		c := serve(t, func(w http.ResponseWriter, r *http.Request) { http.Error(w, "upstream exploded", 500) })
		_, err := c.Send(t.Context(), testToken, testPN, msg)
		if ge := asError(t, "500", err, 0); ge.HTTPStatus != 500 || !Retryable(err) || !strings.Contains(ge.Message, "upstream exploded") {
			t.Errorf("500: %+v", ge)
		}
	})

	t.Run("client timeout", func(t *testing.T) {
		release := make(chan struct{})
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-release:
			case <-r.Context().Done():
			}
		}))
		defer srv.Close()
		defer close(release)
		c := &Client{HTTP: &http.Client{Timeout: 50 * time.Millisecond}, BaseURL: srv.URL, Version: "v23.0"}
		_, err := c.Send(t.Context(), testToken, testPN, msg)
		if err == nil || !Retryable(err) {
			t.Errorf("timeout: %v, retryable %v", err, Retryable(err))
		}
	})

	t.Run("context deadline", func(t *testing.T) {
		release := make(chan struct{})
		c := serve(t, func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-release:
			case <-r.Context().Done():
			}
		})
		defer close(release)
		ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
		defer cancel()
		_, err := c.Send(ctx, testToken, testPN, msg)
		if !errors.Is(err, context.DeadlineExceeded) || !Retryable(err) {
			t.Errorf("deadline: %v, retryable %v", err, Retryable(err))
		}
	})

	t.Run("cancelled", func(t *testing.T) {
		started, release := make(chan struct{}), make(chan struct{})
		c := serve(t, func(w http.ResponseWriter, r *http.Request) {
			close(started)
			<-release
		})
		defer close(release)
		ctx, cancel := context.WithCancel(t.Context())
		go func() { <-started; cancel() }()
		_, err := c.Send(ctx, testToken, testPN, msg)
		if !errors.Is(err, context.Canceled) || Retryable(err) {
			t.Errorf("cancelled: %v, retryable %v", err, Retryable(err))
		}
	})

	t.Run("connection refused", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close()
		c := &Client{HTTP: &http.Client{Timeout: 5 * time.Second}, BaseURL: "http://" + addr, Version: "v23.0"}
		_, err = c.Send(t.Context(), testToken, testPN, msg)
		if err == nil || !Retryable(err) {
			t.Errorf("refused: %v, retryable %v", err, Retryable(err))
		}
		if strings.Contains(err.Error(), testToken) {
			t.Errorf("transport error leaks the token: %v", err)
		}
	})

	t.Run("connection dropped before the answer", func(t *testing.T) {
		c := serve(t, func(w http.ResponseWriter, r *http.Request) {
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				conn.Close()
			}
		})
		_, err := c.Send(t.Context(), testToken, testPN, msg)
		if err == nil || !Retryable(err) {
			t.Errorf("dropped: %v, retryable %v", err, Retryable(err))
		}
	})

	t.Run("answer cut short", func(t *testing.T) {
		c := serve(t, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Length", "500")
			w.WriteHeader(200)
			io.WriteString(w, `{"messaging_product":"whatsapp",`)
		})
		_, err := c.Send(t.Context(), testToken, testPN, msg)
		if !errors.Is(err, io.ErrUnexpectedEOF) || !Retryable(err) {
			t.Errorf("cut: %v, retryable %v", err, Retryable(err))
		}
	})

	t.Run("answer too large", func(t *testing.T) {
		c := serve(t, func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, `{"messages":[{"id":"wamid.x"}],"pad":"`+strings.Repeat("x", maxAnswer)+`"}`)
		})
		_, err := c.Send(t.Context(), testToken, testPN, msg)
		if err == nil || !strings.Contains(err.Error(), "exceeds") || Retryable(err) {
			t.Errorf("large: %v", err)
		}
	})

	t.Run("200 without id", func(t *testing.T) {
		c := serve(t, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, `{"messages":[]}`) })
		_, err := c.Send(t.Context(), testToken, testPN, msg)
		if err == nil || Retryable(err) {
			t.Errorf("no id: %v, retryable %v", err, Retryable(err))
		}
	})
}
