package fakemeta

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestWebhookRetriedOn500ThenDelivered(t *testing.T) {
	e := newEnv(t, nil)
	e.rx.failures = 2
	wamid, err := e.fake.CustomerSends(context.Background(), testPN, InboundMessage{From: testCustomer, Text: "hi"})
	if err != nil {
		t.Fatal(err)
	}
	e.rx.waitFor(t, "the message after two 500s", func(hs []hook) bool { return messageHook(hs, wamid) != nil })
	if err := e.fake.WaitIdle(context.Background()); err != nil {
		t.Fatal(err)
	}
	st := e.fake.WebhookStats()
	if st.Delivered != 1 || st.Retries != 2 || st.Attempts != 3 || st.Failed != 0 || st.Pending != 0 {
		t.Errorf("stats = %+v", st)
	}
	// Every attempt replays the same bytes with the same signature.
	e.rx.mu.Lock()
	defer e.rx.mu.Unlock()
	if len(e.rx.hooks) != 3 {
		t.Fatalf("%d requests, want 3", len(e.rx.hooks))
	}
	for _, h := range e.rx.hooks[1:] {
		if !bytes.Equal(h.body, e.rx.hooks[0].body) || h.signature != e.rx.hooks[0].signature {
			t.Error("a retry changed the body or the signature")
		}
	}
	if e.rx.badSig != 0 {
		t.Errorf("%d bad signatures", e.rx.badSig)
	}
}

func TestWebhookGivenUpAfterMaxAttempts(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.WebhookMaxAttempts = 3 })
	e.rx.failures = 1000
	if _, err := e.fake.CustomerSends(context.Background(), testPN, InboundMessage{From: testCustomer, Text: "hi"}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := e.fake.WaitIdle(ctx); err != nil {
		t.Fatal(err)
	}
	if st := e.fake.WebhookStats(); st.Failed != 1 || st.Attempts != 3 || st.Retries != 2 || st.Delivered != 0 {
		t.Errorf("stats = %+v", st)
	}
}

func TestBackoffSchedule(t *testing.T) {
	s := &Server{cfg: Config{WebhookBackoff: 100 * time.Millisecond}}
	var got []time.Duration
	for n := 1; n <= 5; n++ {
		got = append(got, s.backoff(n))
	}
	want := []time.Duration{0, 100 * time.Millisecond, 200 * time.Millisecond, 400 * time.Millisecond, 800 * time.Millisecond}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("backoff = %v, want %v", got, want)
		}
	}
}

func TestNoWebhookURLDropsAndCloseStopsWork(t *testing.T) {
	s := New(Config{Numbers: []Number{{PhoneNumberID: testPN, WABAID: testWABA, AccessToken: testToken}}})
	if _, err := s.CustomerSends(context.Background(), testPN, InboundMessage{From: testCustomer, Text: "hi"}); err != nil {
		t.Fatal(err)
	}
	if st := s.WebhookStats(); st.Dropped != 1 {
		t.Errorf("stats = %+v", st)
	}
	s.Close()
	s.Close() // idempotent
	if err := s.CustomerReads(testPN, testCustomer); err != nil {
		t.Fatal(err) // nothing outbound to read: no background work needed
	}
}

func TestControlAPIAndListenAndServe(t *testing.T) {
	rx := &receiver{t: t, notify: make(chan struct{}, 1)}
	hooks := http.Server{Handler: rx}
	hl, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = hooks.Serve(hl) }()
	defer hooks.Close()

	// Pick a free port for the fake.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() {
		errc <- ListenAndServe(ctx, addr, Config{AppSecret: testSecret, WebhookURL: "http://" + hl.Addr().String(), ControlToken: "ctl", StatusDelay: time.Millisecond})
	}()
	base := "http://" + addr
	do := func(method, path, token string, body any) (int, map[string]any) {
		t.Helper()
		b, _ := json.Marshal(body)
		var resp *http.Response
		for range 100 {
			req, _ := http.NewRequest(method, base+path, bytes.NewReader(b))
			req.Header.Set("Authorization", "Bearer "+token)
			resp, err = http.DefaultClient.Do(req)
			if err == nil {
				break
			}
			time.Sleep(10 * time.Millisecond) // the server is still starting
		}
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var m map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&m)
		return resp.StatusCode, m
	}
	if status, _ := do("POST", "/_fake/numbers", "wrong", Number{}); status != 401 {
		t.Errorf("control API without its token: %d", status)
	}
	status, resp := do("POST", "/_fake/numbers", "ctl", Number{PhoneNumberID: testPN, DisplayPhoneNumber: testDisplay, WABAID: testWABA, AccessToken: testToken})
	if status != 200 {
		t.Fatalf("add number: %d %v", status, resp)
	}
	status, resp = do("POST", "/_fake/numbers/"+testPN+"/customers/"+testCustomer+"/messages", "ctl", InboundMessage{ProfileName: "Ann", Text: "hello"})
	if status != 200 || !strings.HasPrefix(resp["wamid"].(string), "wamid.") {
		t.Fatalf("customer sends: %d %v", status, resp)
	}
	inbound := resp["wamid"].(string)
	status, resp = do("POST", "/v23.0/"+testPN+"/messages", testToken, text(testCustomer, "hi Ann"))
	if status != 200 {
		t.Fatalf("send: %d %v", status, resp)
	}
	out := get(resp, "messages.0.id").(string)
	rx.waitFor(t, "read status", func(hs []hook) bool { return len(statusHooks(hs, out)) == 3 && messageHook(hs, inbound) != nil })
	status, resp = do("GET", "/_fake/numbers/"+testPN+"/customers/"+testCustomer+"/conversation?wait=1ms", "ctl", nil)
	if status != 200 || len(get(resp, "events").([]any)) != 2 || get(resp, "events.1.status") != "read" {
		t.Errorf("conversation: %d %v", status, resp)
	}
	status, resp = do("GET", "/_fake/stats", "ctl", nil)
	if status != 200 || resp["delivered"] != float64(4) {
		t.Errorf("stats: %d %v", status, resp)
	}
	cancel()
	select {
	case err := <-errc:
		if err != nil && !errors.Is(err, context.Canceled) {
			t.Errorf("ListenAndServe: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("ListenAndServe did not stop")
	}
}
