package fakemeta

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Template is a message template as the fake stores it (§7).
type Template struct {
	ID              string          `json:"id"`
	WABAID          string          `json:"waba_id"`
	Name            string          `json:"name"`
	Language        string          `json:"language"`
	Category        string          `json:"category"`
	ParameterFormat string          `json:"parameter_format"` // POSITIONAL or NAMED
	Status          string          `json:"status"`
	RejectedReason  string          `json:"rejected_reason"` // NONE unless REJECTED
	Components      json.RawMessage `json:"components"`
}

type templateRecord struct {
	Template
	parsed   []tmplComponent
	edits    []time.Time // approved-template edits, for the edit limits (§7.1)
	decision int         // bumps on every change, so a stale timer does nothing
}

type wabaState struct {
	templates []*templateRecord // creation order, as Graph lists them
	creations []time.Time       // last hour's creations (100/hour, §7.1)
	// hookTail is closed when the WABA's latest template webhook is done;
	// each new one waits for it, so decisions arrive in the order made.
	hookTail chan struct{}
}

func newWABA() *wabaState {
	t := make(chan struct{})
	close(t)
	return &wabaState{hookTail: t}
}

func (w *wabaState) byID(id string) *templateRecord {
	for _, t := range w.templates {
		if t.ID == id {
			return t
		}
	}
	return nil
}

// find resolves name+language for a send. Language codes compare with "-"
// and "_" as equals: the contract notes both spellings in the wild (§2.6).
func (w *wabaState) find(name, lang string) *templateRecord {
	for _, t := range w.templates {
		if t.Name == name && sameLanguage(t.Language, lang) {
			return t
		}
	}
	return nil
}

func sameLanguage(a, b string) bool {
	norm := func(s string) string { return strings.ToLower(strings.ReplaceAll(s, "-", "_")) }
	return norm(a) == norm(b)
}

// Templates returns a WABA's templates in creation order.
func (s *Server) Templates(wabaID string) []Template {
	s.mu.Lock()
	defer s.mu.Unlock()
	w := s.wabas[wabaID]
	if w == nil {
		return nil
	}
	out := make([]Template, 0, len(w.templates))
	for _, t := range w.templates {
		out = append(out, t.Template)
	}
	return out
}

// wabaForRequestLocked authorises /{waba-id}/… calls.
func (s *Server) wabaForRequestLocked(r *http.Request) (string, *wabaState, *apiError) {
	tokWABA, e := s.tokenWABALocked(r)
	if e != nil {
		return "", nil, e
	}
	id := r.PathValue("id")
	w := s.wabas[id]
	if w == nil {
		return "", nil, unknownObject(r.Method, id)
	}
	if tokWABA != id {
		return "", nil, newError(CodeAccessToken, "The access token does not grant access to this WhatsApp Business Account.")
	}
	return id, w, nil
}

// defaultTemplateFields is what a list returns without ?fields= (§7.1).
func defaultTemplateFields() []string {
	return []string{"name", "parameter_format", "components", "language", "status", "category", "id"}
}

func templateObject(t *templateRecord, fields []string) map[string]any {
	all := map[string]any{
		"id":               t.ID,
		"name":             t.Name,
		"language":         t.Language,
		"status":           t.Status,
		"category":         t.Category,
		"parameter_format": t.ParameterFormat,
		"components":       t.Components,
		"rejected_reason":  t.RejectedReason,
	}
	out := map[string]any{"id": t.ID} // Graph always returns the id
	for _, f := range fields {
		if v, ok := all[f]; ok {
			out[f] = v
		}
	}
	return out
}

func requestedFields(q url.Values) []string {
	f := q.Get("fields")
	if f == "" {
		return defaultTemplateFields()
	}
	var out []string
	for _, p := range strings.Split(f, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// handleListTemplates serves GET /{waba-id}/message_templates with the
// filters and cursor paging of §7.1.
func (s *Server) handleListTemplates(w http.ResponseWriter, r *http.Request) *apiError {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, waba, e := s.wabaForRequestLocked(r)
	if e != nil {
		return e
	}
	q := r.URL.Query()
	limit := 25
	if l := q.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 {
			return invalid("Param limit must be a positive integer.")
		}
		limit = n
	}
	start := 0
	if a := q.Get("after"); a != "" {
		b, err := base64.RawURLEncoding.DecodeString(a)
		n, err2 := strconv.Atoi(string(b))
		if err != nil || err2 != nil || n < 0 {
			return invalid("Param after is not a valid cursor.")
		}
		start = n
	}
	var matched []*templateRecord
	for _, t := range waba.templates {
		if v := q.Get("status"); v != "" && !strings.EqualFold(v, t.Status) {
			continue
		}
		if v := q.Get("category"); v != "" && !strings.EqualFold(v, t.Category) {
			continue
		}
		if v := q.Get("language"); v != "" && !sameLanguage(v, t.Language) {
			continue
		}
		if v := q.Get("name"); v != "" && !strings.Contains(t.Name, strings.ToLower(v)) {
			continue
		}
		matched = append(matched, t)
	}
	fields := requestedFields(q)
	data := []map[string]any{}
	end := min(start+limit, len(matched))
	for i := start; i < end; i++ {
		data = append(data, templateObject(matched[i], fields))
	}
	resp := map[string]any{"data": data}
	if len(data) > 0 {
		cursor := func(i int) string { return base64.RawURLEncoding.EncodeToString([]byte(strconv.Itoa(i))) }
		paging := map[string]any{"cursors": map[string]string{"before": cursor(start), "after": cursor(end)}}
		if end < len(matched) {
			nq := url.Values{}
			for k, v := range q {
				nq[k] = v
			}
			nq.Set("after", cursor(end))
			nq.Del("access_token")
			paging["next"] = s.baseURLLocked() + r.URL.Path + "?" + nq.Encode()
		}
		resp["paging"] = paging
	}
	writeJSON(w, http.StatusOK, resp)
	return nil
}

type createTemplateRequest struct {
	Name            string          `json:"name"`
	Category        string          `json:"category"`
	Language        string          `json:"language"`
	ParameterFormat string          `json:"parameter_format"`
	Components      json.RawMessage `json:"components"`
}

// readTemplateBody accepts JSON or a form with components as a JSON string:
// Graph takes both.
func readTemplateBody(r *http.Request, dst any) *apiError {
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct == "application/x-www-form-urlencoded" || ct == "multipart/form-data" {
		if err := r.ParseMultipartForm(1 << 20); err != nil && err != http.ErrNotMultipart {
			return invalid("Could not parse the form: %v", err)
		}
		m := map[string]json.RawMessage{}
		for k := range r.PostForm {
			v := r.PostForm.Get(k)
			if k == "components" {
				m[k] = json.RawMessage(v)
				continue
			}
			b, _ := json.Marshal(v)
			m[k] = b
		}
		b, _ := json.Marshal(m)
		if err := json.Unmarshal(b, dst); err != nil {
			return invalid("Invalid template request: %v", err)
		}
		return nil
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		return invalid("Could not read the request body.")
	}
	if err := json.Unmarshal(body, dst); err != nil {
		return invalid("Invalid template request: %v", err)
	}
	return nil
}

// handleCreateTemplate serves POST /{waba-id}/message_templates: validate
// (§7.3), apply limits (§7.1, §7.5), store as PENDING, and answer
// {"id","status","category"}.
func (s *Server) handleCreateTemplate(w http.ResponseWriter, r *http.Request) *apiError {
	s.mu.Lock()
	_, _, e := s.wabaForRequestLocked(r)
	s.mu.Unlock()
	if e != nil {
		return e
	}
	var req createTemplateRequest
	if e := readTemplateBody(r, &req); e != nil {
		return e
	}
	t, e := validateTemplateCreate(req)
	if e != nil {
		return e
	}
	now := s.now()
	s.mu.Lock()
	wabaID, waba, e := s.wabaForRequestLocked(r)
	if e != nil {
		s.mu.Unlock()
		return e
	}
	if e := s.checkHandlesLocked(t.parsed); e != nil {
		s.mu.Unlock()
		return e
	}
	if waba.find(t.Name, t.Language) != nil {
		s.mu.Unlock()
		return templateCreateError(2388024, "Content in this language already exists", "A template named %s already exists in language %s.", t.Name, t.Language)
	}
	if len(waba.templates) >= s.cfg.TemplateLimit {
		s.mu.Unlock()
		return templateCreateError(2388019, "Message template limit exceeded", "This WhatsApp Business Account has reached its limit of %d message templates.", s.cfg.TemplateLimit)
	}
	waba.creations = slices.DeleteFunc(waba.creations, func(c time.Time) bool { return now.Sub(c) >= time.Hour })
	if len(waba.creations) >= 100 {
		s.mu.Unlock()
		return newError(CodeTemplateRateLimit, "")
	}
	waba.creations = append(waba.creations, now)
	t.ID = s.newID()
	t.WABAID = wabaID
	t.Status = "PENDING"
	t.RejectedReason = "NONE"
	waba.templates = append(waba.templates, t)
	resp := map[string]string{"id": t.ID, "status": t.Status, "category": t.Category}
	gen := t.decision
	s.mu.Unlock()
	s.scheduleDecision(wabaID, t.ID, gen)
	writeJSON(w, http.StatusOK, resp)
	return nil
}

// handleDeleteTemplates serves DELETE /{waba-id}/message_templates?name=…
// [&hsm_id=…]: by name it removes every language.
func (s *Server) handleDeleteTemplates(w http.ResponseWriter, r *http.Request) *apiError {
	s.mu.Lock()
	wabaID, waba, e := s.wabaForRequestLocked(r)
	if e != nil {
		s.mu.Unlock()
		return e
	}
	q := r.URL.Query()
	name, hsm := q.Get("name"), q.Get("hsm_id")
	if name == "" {
		s.mu.Unlock()
		return invalid("Param name is required.")
	}
	var victims []*templateRecord
	for _, t := range waba.templates {
		if t.Name == name && (hsm == "" || t.ID == hsm) {
			victims = append(victims, t)
		}
	}
	if len(victims) == 0 {
		s.mu.Unlock()
		return invalid("Message template %q not found.", name)
	}
	for _, t := range victims {
		if t.Status == "DISABLED" {
			s.mu.Unlock()
			return invalid("Disabled message templates cannot be deleted.")
		}
	}
	now := s.now()
	var hooks []orderedHook
	for _, t := range victims {
		hooks = append(hooks, s.applyDecisionLocked(wabaID, waba, t, "DELETED", "NONE", now))
	}
	s.mu.Unlock()
	for _, h := range hooks {
		s.emitOrdered(h)
	}
	writeJSON(w, http.StatusOK, map[string]bool{"success": true})
	return nil
}

// getTemplateLocked serves GET /{template-id}.
func (s *Server) getTemplateLocked(w http.ResponseWriter, r *http.Request, t *templateRecord) {
	fields := requestedFields(r.URL.Query())
	writeJSON(w, http.StatusOK, templateObject(t, fields))
}

type editTemplateRequest struct {
	Category   string          `json:"category"`
	Components json.RawMessage `json:"components"`
}

// editTemplate serves POST /{template-id} (§7.1 edit rules). An edit sends
// the template back to review.
func (s *Server) editTemplate(w http.ResponseWriter, r *http.Request, wabaID string) *apiError {
	var req editTemplateRequest
	if e := readTemplateBody(r, &req); e != nil {
		return e
	}
	if req.Category == "" && len(req.Components) == 0 {
		return invalid("Provide category or components to edit a template.")
	}
	now := s.now()
	s.mu.Lock()
	waba := s.wabas[wabaID]
	t := waba.byID(r.PathValue("id"))
	if t == nil {
		s.mu.Unlock()
		return unknownObject(r.Method, r.PathValue("id"))
	}
	switch t.Status {
	case "APPROVED", "REJECTED", "PAUSED":
	default:
		s.mu.Unlock()
		return invalid("Only APPROVED, REJECTED or PAUSED templates can be edited; this one is %s.", t.Status)
	}
	cand := createTemplateRequest{Name: t.Name, Category: t.Category, Language: t.Language, ParameterFormat: t.ParameterFormat, Components: t.Components}
	if req.Category != "" {
		if t.Status == "APPROVED" && !strings.EqualFold(req.Category, t.Category) {
			s.mu.Unlock()
			return invalid("The category of an approved template cannot be edited.")
		}
		cand.Category = req.Category
	}
	if len(req.Components) > 0 {
		cand.Components = req.Components
	}
	nt, e := validateTemplateCreate(cand)
	if e != nil {
		s.mu.Unlock()
		return e
	}
	if e := s.checkHandlesLocked(nt.parsed); e != nil {
		s.mu.Unlock()
		return e
	}
	if t.Status == "APPROVED" {
		t.edits = slices.DeleteFunc(t.edits, func(c time.Time) bool { return now.Sub(c) >= 30*24*time.Hour })
		if len(t.edits) >= 10 || (len(t.edits) > 0 && now.Sub(t.edits[len(t.edits)-1]) < 24*time.Hour) {
			s.mu.Unlock()
			return invalid("Approved templates can be edited once per 24 hours and 10 times per 30 days.")
		}
		t.edits = append(t.edits, now)
	}
	t.Category, t.Components, t.parsed = nt.Category, nt.Components, nt.parsed
	t.Status, t.RejectedReason = "PENDING", "NONE"
	t.decision++
	gen := t.decision
	s.mu.Unlock()
	s.scheduleDecision(wabaID, t.ID, gen)
	writeJSON(w, http.StatusOK, map[string]bool{"success": true})
	return nil
}

// scheduleDecision lets TemplateDecider decide after TemplateDecisionDelay,
// unless the template changed meanwhile (gen differs) or was decided by hand.
func (s *Server) scheduleDecision(wabaID, templateID string, gen int) {
	if s.cfg.TemplateDecisionDelay <= 0 {
		return
	}
	s.goBackground(func() {
		if !s.sleep(s.cfg.TemplateDecisionDelay) {
			return
		}
		s.mu.Lock()
		waba := s.wabas[wabaID]
		var t *templateRecord
		if waba != nil {
			t = waba.byID(templateID)
		}
		if t == nil || t.decision != gen || t.Status != "PENDING" {
			s.mu.Unlock()
			return
		}
		snapshot := t.Template
		s.mu.Unlock()
		event, reason := s.decide(snapshot)
		if err := s.DecideTemplate(wabaID, templateID, event, reason); err != nil {
			s.log.Warn("fakemeta: automatic template decision failed", "template", templateID, "err", err)
		}
	})
}

// decide is the automatic review: approve, unless the text contains
// TemplateRejectWord, so tests can drive both outcomes.
func (s *Server) decide(t Template) (string, string) {
	if s.cfg.TemplateDecider != nil {
		return s.cfg.TemplateDecider(t)
	}
	if strings.Contains(string(t.Components), s.cfg.TemplateRejectWord) {
		return "REJECTED", "INVALID_FORMAT"
	}
	return "APPROVED", "NONE"
}

// DecideTemplate applies a review event (APPROVED, REJECTED, PAUSED,
// DISABLED, …, §2.6) with a reason (NONE, INVALID_FORMAT, PROMOTIONAL, …;
// empty means NONE) and posts the message_template_status_update webhook.
func (s *Server) DecideTemplate(wabaID, templateID, event, reason string) error {
	event, reason = strings.ToUpper(event), strings.ToUpper(reason)
	if !validTemplateEvent(event) {
		return fmt.Errorf("fakemeta: unknown template event %q", event)
	}
	if reason == "" {
		reason = "NONE"
	}
	if !validTemplateReason(reason) {
		return fmt.Errorf("fakemeta: unknown template rejection reason %q", reason)
	}
	s.mu.Lock()
	waba := s.wabas[wabaID]
	var t *templateRecord
	if waba != nil {
		t = waba.byID(templateID)
	}
	if t == nil {
		s.mu.Unlock()
		return ErrUnknownTemplate
	}
	h := s.applyDecisionLocked(wabaID, waba, t, event, reason, s.now())
	s.mu.Unlock()
	s.emitOrdered(h)
	return nil
}

// applyDecisionLocked changes the template's status for event and returns the
// webhook announcing it.
func (s *Server) applyDecisionLocked(wabaID string, waba *wabaState, t *templateRecord, event, reason string, now time.Time) orderedHook {
	t.decision++
	switch event {
	case "FLAGGED", "LOCKED":
		// Warnings: the status stays as it is.
	case "REINSTATED", "UNARCHIVED":
		t.Status = "APPROVED"
	case "DELETED":
		t.Status = "DELETED"
		waba.templates = slices.DeleteFunc(waba.templates, func(x *templateRecord) bool { return x == t })
	default:
		t.Status = event
	}
	if event == "REJECTED" {
		t.RejectedReason = reason
	} else if t.Status == "APPROVED" {
		t.RejectedReason = "NONE"
	}
	id, _ := strconv.ParseInt(t.ID, 10, 64)
	v := templateStatusValue{
		Event:                   event,
		MessageTemplateID:       id,
		MessageTemplateName:     t.Name,
		MessageTemplateLanguage: t.Language,
		MessageTemplateCategory: t.Category,
	}
	if event != "PENDING_DELETION" {
		// The reason is null only when the template is scheduled for deletion.
		v.Reason = &reason
	}
	switch event {
	case "REJECTED":
		if reason == "INVALID_FORMAT" {
			v.RejectionInfo = &hookRejectionInfo{
				Reason:         "The template's format is invalid (fake review: the text contains " + strconv.Quote(s.cfg.TemplateRejectWord) + " or an operator rejected it).",
				Recommendation: "Fix the template's format and submit it again.",
			}
		}
	case "DISABLED":
		v.DisableInfo = &hookDisableInfo{DisableDate: now.Unix()}
	case "PAUSED":
		v.OtherInfo = &hookOtherInfo{Title: "FIRST_PAUSE", Description: "Your message template has been paused for 3 hours due to low quality."}
	}
	s.log.Info("fakemeta: template decision", "waba", wabaID, "template", t.ID, "name", t.Name, "event", event, "reason", reason)
	h := orderedHook{env: fieldEnvelope(wabaID, now, "message_template_status_update", v), after: waba.hookTail, done: make(chan struct{})}
	waba.hookTail = h.done
	return h
}

// orderedHook is a webhook to post after the previous one of its WABA.
type orderedHook struct {
	env   hookEnvelope
	after <-chan struct{}
	done  chan struct{}
}

// emitOrdered posts h in the background, after its predecessor is done, so
// the caller never waits for queue space.
func (s *Server) emitOrdered(h orderedHook) {
	started := s.goBackground(func() {
		defer close(h.done)
		select {
		case <-h.after:
		case <-s.ctx.Done():
			return
		}
		done, err := s.emit(s.ctx, h.env)
		if err != nil {
			return
		}
		select {
		case <-done:
		case <-s.ctx.Done():
		}
	})
	if !started {
		close(h.done)
	}
}

func validTemplateEvent(e string) bool {
	switch e {
	case "APPROVED", "ARCHIVED", "UNARCHIVED", "DELETED", "DISABLED", "FLAGGED", "IN_APPEAL",
		"LIMIT_EXCEEDED", "LOCKED", "PAUSED", "PENDING", "REINSTATED", "PENDING_DELETION", "REJECTED":
		return true
	}
	return false
}

func validTemplateReason(r string) bool {
	switch r {
	case "ABUSIVE_CONTENT", "CATEGORY_NOT_AVAILABLE", "INCORRECT_CATEGORY", "INVALID_FORMAT",
		"NONE", "PROMOTIONAL", "SCAM", "TAG_CONTENT_MISMATCH":
		return true
	}
	return false
}
