package fakemeta

import (
	"crypto/subtle"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"time"
)

// The /_fake/ control API exposes the Go-only operations (registering
// numbers, the customer's phone, template decisions, counters) over HTTP, so
// a fake running as its own process (`switchboard fakemeta`) can be driven by
// Switchboard's sandbox set-up and customer simulator. It is not part of
// Meta's API; Meta's clients never call it.
func (s *Server) controlRoutes() *http.ServeMux {
	m := http.NewServeMux()
	m.HandleFunc("POST /_fake/numbers", s.control(s.ctlAddNumber))
	m.HandleFunc("GET /_fake/numbers/{pn}/customers", s.control(s.ctlCustomers))
	m.HandleFunc("GET /_fake/numbers/{pn}/customers/{customer}/conversation", s.control(s.ctlConversation))
	m.HandleFunc("POST /_fake/numbers/{pn}/customers/{customer}/messages", s.control(s.ctlCustomerSends))
	m.HandleFunc("POST /_fake/numbers/{pn}/customers/{customer}/choose", s.control(s.ctlChoose))
	m.HandleFunc("POST /_fake/numbers/{pn}/customers/{customer}/read", s.control(s.ctlRead))
	m.HandleFunc("GET /_fake/wabas/{waba}/templates", s.control(s.ctlTemplates))
	m.HandleFunc("POST /_fake/wabas/{waba}/templates/{id}/decision", s.control(s.ctlDecide))
	m.HandleFunc("PUT /_fake/recipients/{wa}/failure", s.control(s.ctlFailRecipient))
	m.HandleFunc("GET /_fake/media/{id}", s.ctlMedia)
	m.HandleFunc("GET /_fake/stats", s.control(s.ctlStats))
	return m
}

type ctlError struct {
	status int
	msg    string
}

func (s *Server) control(h func(*http.Request) (any, *ctlError)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !s.ctlAuthorised(r) {
			writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "control token required"})
			return
		}
		v, e := h(r)
		if e != nil {
			writeJSON(w, e.status, map[string]string{"error": e.msg})
			return
		}
		writeJSON(w, http.StatusOK, v)
	}
}

func (s *Server) ctlAuthorised(r *http.Request) bool {
	if s.cfg.ControlToken == "" {
		return true
	}
	return subtle.ConstantTimeCompare([]byte(bearer(r)), []byte(s.cfg.ControlToken)) == 1
}

func decodeCtl(r *http.Request, dst any) *ctlError {
	body, err := io.ReadAll(io.LimitReader(r.Body, 110<<20))
	if err != nil {
		return &ctlError{http.StatusBadRequest, err.Error()}
	}
	if len(body) == 0 {
		return nil
	}
	if err := json.Unmarshal(body, dst); err != nil {
		return &ctlError{http.StatusBadRequest, "invalid JSON: " + err.Error()}
	}
	return nil
}

func ctlErr(err error) *ctlError {
	status := http.StatusBadRequest
	if errors.Is(err, ErrUnknownNumber) || errors.Is(err, ErrUnknownTemplate) || errors.Is(err, ErrUnknownMessage) {
		status = http.StatusNotFound
	}
	if errors.Is(err, ErrClosed) {
		status = http.StatusServiceUnavailable
	}
	return &ctlError{status, err.Error()}
}

func (s *Server) ctlAddNumber(r *http.Request) (any, *ctlError) {
	var n Number
	if e := decodeCtl(r, &n); e != nil {
		return nil, e
	}
	if err := s.AddNumber(n); err != nil {
		return nil, ctlErr(err)
	}
	return map[string]bool{"success": true}, nil
}

func (s *Server) ctlCustomers(r *http.Request) (any, *ctlError) {
	out := s.Customers(r.PathValue("pn"))
	if out == nil {
		out = []CustomerInfo{}
	}
	return out, nil
}

// ctlConversation returns the conversation; with ?wait=<duration> it first
// waits (at most a minute) for the next change: a long poll for the
// simulator page.
func (s *Server) ctlConversation(r *http.Request) (any, *ctlError) {
	pn, c := r.PathValue("pn"), r.PathValue("customer")
	if w := r.URL.Query().Get("wait"); w != "" {
		d, err := time.ParseDuration(w)
		if err != nil || d < 0 {
			return nil, &ctlError{http.StatusBadRequest, "wait must be a duration such as 25s"}
		}
		ch := s.Changed(pn, c)
		t := time.NewTimer(min(d, time.Minute))
		select {
		case <-ch:
		case <-t.C:
		case <-r.Context().Done():
		case <-s.ctx.Done():
		}
		t.Stop()
	}
	s.mu.Lock()
	th := s.threads[threadKey{pn, c}]
	typing := th != nil && s.now().Before(th.typingUntil)
	s.mu.Unlock()
	evs := s.Conversation(pn, c)
	if evs == nil {
		evs = []Event{}
	}
	return map[string]any{"events": evs, "typing": typing}, nil
}

func (s *Server) ctlCustomerSends(r *http.Request) (any, *ctlError) {
	var m InboundMessage
	if e := decodeCtl(r, &m); e != nil {
		return nil, e
	}
	if m.From == "" && !m.OmitWaID {
		m.From = r.PathValue("customer")
	}
	id, err := s.CustomerSends(r.Context(), r.PathValue("pn"), m)
	if err != nil {
		return nil, ctlErr(err)
	}
	return map[string]string{"wamid": id}, nil
}

func (s *Server) ctlChoose(r *http.Request) (any, *ctlError) {
	var req struct {
		MessageID string `json:"message_id"`
		ChoiceID  string `json:"choice_id"`
	}
	if e := decodeCtl(r, &req); e != nil {
		return nil, e
	}
	id, err := s.CustomerChooses(r.Context(), r.PathValue("pn"), r.PathValue("customer"), req.MessageID, req.ChoiceID)
	if err != nil {
		return nil, ctlErr(err)
	}
	return map[string]string{"wamid": id}, nil
}

func (s *Server) ctlRead(r *http.Request) (any, *ctlError) {
	if err := s.CustomerReads(r.PathValue("pn"), r.PathValue("customer")); err != nil {
		return nil, ctlErr(err)
	}
	return map[string]bool{"success": true}, nil
}

func (s *Server) ctlTemplates(r *http.Request) (any, *ctlError) {
	out := s.Templates(r.PathValue("waba"))
	if out == nil {
		out = []Template{}
	}
	return out, nil
}

func (s *Server) ctlDecide(r *http.Request) (any, *ctlError) {
	var req struct {
		Event  string `json:"event"`
		Reason string `json:"reason"`
	}
	if e := decodeCtl(r, &req); e != nil {
		return nil, e
	}
	if err := s.DecideTemplate(r.PathValue("waba"), r.PathValue("id"), req.Event, req.Reason); err != nil {
		return nil, ctlErr(err)
	}
	return map[string]bool{"success": true}, nil
}

func (s *Server) ctlFailRecipient(r *http.Request) (any, *ctlError) {
	var req struct {
		Code int `json:"code"`
	}
	if e := decodeCtl(r, &req); e != nil {
		return nil, e
	}
	s.FailRecipient(r.PathValue("wa"), req.Code)
	return map[string]bool{"success": true}, nil
}

func (s *Server) ctlStats(*http.Request) (any, *ctlError) {
	return s.WebhookStats(), nil
}

// ctlMedia serves stored media bytes to the simulator page (no Graph token).
func (s *Server) ctlMedia(w http.ResponseWriter, r *http.Request) {
	if !s.ctlAuthorised(r) {
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "control token required"})
		return
	}
	data, mimeType, err := s.MediaContent(r.PathValue("id"))
	if err != nil {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", mimeType)
	_, _ = w.Write(data)
}
