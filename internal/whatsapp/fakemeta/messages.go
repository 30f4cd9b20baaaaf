package fakemeta

import (
	"encoding/hex"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// handleSend serves POST /{phone-number-id}/messages: sends (§4.1–4.2) and
// mark-as-read / typing indicator (§4.3).
func (s *Server) handleSend(w http.ResponseWriter, r *http.Request) *apiError {
	// Graph checks the token before it looks at the body.
	s.mu.Lock()
	_, e := s.numberForRequestLocked(r)
	s.mu.Unlock()
	if e != nil {
		return e
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 4<<20))
	if err != nil {
		return invalid("Could not read the request body: %v", err)
	}
	req, raw, e := decodeSend(body)
	if e != nil {
		return e
	}
	if req.MessagingProduct != "whatsapp" {
		return invalid("Param messaging_product must be whatsapp.")
	}
	if req.Status != "" {
		return s.markRead(w, r, req)
	}
	out, e := validateSend(req, raw)
	if e != nil {
		return e
	}
	return s.send(w, r, req.To, out)
}

// errorMode says whether fail is answered now or via a failed status.
func (s *Server) errorMode(code int) ErrorMode {
	if code == CodeInvalidParameter || code == CodeAccessToken || code == CodeSameSenderRecipient {
		return ErrorSync
	}
	if m := s.cfg.ErrorModes[code]; m != ErrorModeDefault {
		return m
	}
	switch code {
	case CodeReengagement, CodeUndeliverable, CodeEcosystem, CodeMarketingOptOut, CodeExperiment:
		// "In practice, delivery-time failures arrive after a 200 + wamid as
		// a status: failed webhook" (§5.1): these are the examples it gives.
		return ErrorAsync
	}
	return ErrorSync
}

// send applies the policy checks in the order Meta would meet them (template,
// media, throughput, pair rate, window), then accepts the message and starts
// its status webhooks.
func (s *Server) send(w http.ResponseWriter, r *http.Request, input string, out *outbound) *apiError {
	now := s.now()
	s.mu.Lock()
	n, e := s.numberForRequestLocked(r)
	if e != nil {
		s.mu.Unlock()
		return e
	}
	if own, _ := normalizePhone(n.DisplayPhoneNumber); own == out.to {
		s.mu.Unlock()
		return newError(CodeSameSenderRecipient, "")
	}
	th := s.threads[threadKey{n.PhoneNumberID, out.to}]
	open := windowOpen(th, now)
	category, pricingType := "service", "free_customer_service"

	fail := s.contentPolicyLocked(n, out, &category)
	if out.template != nil && fail == nil {
		pricingType = "regular"
		if category == "utility" && open {
			pricingType = "free_customer_service"
		}
	}
	rated := false
	if fail == nil {
		switch {
		case !n.tput.allow(now, s.cfg.Throughput):
			fail = newError(CodeThroughput, "")
		case s.cfg.PairRate > 0 && !pairAllow(n.pairs[out.to], now, s.cfg.PairRate, s.cfg.PairBurst):
			fail = newError(CodePairRate, "")
		default:
			rated = true
			if out.template == nil && !open {
				fail = newError(CodeReengagement, "")
			} else if code := s.failures[out.to]; code != 0 {
				fail = newError(code, "")
			}
		}
	}
	if fail != nil && s.errorMode(fail.code) == ErrorSync {
		s.mu.Unlock()
		return fail
	}
	if rated {
		// Counted only when within the limits: a request refused for rate
		// must not push the next one further out.
		n.tput.record(now, s.cfg.Throughput)
		if s.cfg.PairRate > 0 {
			n.pairs[out.to] = pairNext(n.pairs[out.to], now, s.cfg.PairRate)
		}
	}

	th = s.threadLocked(n.PhoneNumberID, out.to)
	th.typingUntil = time.Time{} // a reply dismisses the typing indicator
	ev := out.ev
	ev.WAMID, ev.Time, ev.Status = newWAMID(), now, "accepted"
	ref := &msgRef{
		th: th, ev: &ev, opaque: out.opaque, category: category, pricingType: pricingType,
		convID: hex.EncodeToString(randomBytes(16)), running: true,
	}
	s.addEventLocked(th, &ev, ref)
	s.mu.Unlock()

	seq := s.cfg.StatusSequence
	if fail != nil {
		// Meta sends only "failed" for a message it could not deliver.
		seq = []string{"failed"}
	}
	wamid := ev.WAMID
	s.goBackground(func() { s.runStatuses(wamid, seq, fail) })

	msg := map[string]string{"id": wamid}
	if out.template != nil {
		msg["message_status"] = "accepted"
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"messaging_product": "whatsapp",
		"contacts":          []map[string]string{{"input": input, "wa_id": out.to}},
		"messages":          []map[string]string{msg},
	})
	return nil
}

// contentPolicyLocked resolves the template (132001/132015/132016), matches
// its parameters (132000/132012/…) and checks media ids (131053). It fills
// the event with what the customer will see.
func (s *Server) contentPolicyLocked(n *numberState, out *outbound, category *string) *apiError {
	uses := out.media
	if st := out.template; st != nil {
		t := s.wabas[n.WABAID].find(st.Name, st.Language.Code)
		switch {
		case t == nil:
			return errorf(CodeTemplateMissing, "Template %s does not exist in language %s.", st.Name, st.Language.Code)
		case t.Status == "PAUSED":
			return newError(CodeTemplatePaused, "")
		case t.Status == "DISABLED":
			return newError(CodeTemplateDisabled, "")
		case t.Status != "APPROVED":
			return errorf(CodeTemplateMissing, "Template %s (%s) is %s, not APPROVED.", st.Name, t.Language, t.Status)
		}
		rt, e := checkTemplateSend(t, st)
		if e != nil {
			return e
		}
		*category = strings.ToLower(t.Category)
		out.ev.Text, out.ev.Choices = rt.text, rt.choices
		if rt.media != nil {
			out.ev.Media = rt.media
		}
		uses = append(uses, rt.uses...)
	}
	stored, e := s.checkMediaUsesLocked(n, uses)
	if e != nil {
		return e
	}
	if stored != nil && out.ev.Media != nil && out.ev.Media.ID == stored.ID {
		filename := out.ev.Media.Filename
		out.ev.Media = stored
		if filename != "" {
			out.ev.Media.Filename = filename
		}
	}
	return nil
}

// markRead serves {"status":"read","message_id":…[,"typing_indicator"]}.
// Reading a message also reads the earlier ones (§4.3).
func (s *Server) markRead(w http.ResponseWriter, r *http.Request, req *sendRequest) *apiError {
	if req.Status != "read" {
		return invalid("Param status must be read.")
	}
	if req.MessageID == "" {
		return invalid("Param message_id is required.")
	}
	if req.TypingIndicator != nil && req.TypingIndicator.Type != "text" {
		return invalid("Param typing_indicator['type'] must be text.")
	}
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	n, e := s.numberForRequestLocked(r)
	if e != nil {
		return e
	}
	ref := s.messages[req.MessageID]
	if ref == nil || ref.th.key.pn != n.PhoneNumberID {
		return errorf(CodeInvalidValue, "Message %s is unknown or too old to be marked as read.", req.MessageID)
	}
	if ref.ev.Direction != Inbound {
		return errorf(CodeInvalidValue, "Outgoing messages cannot be marked as read.")
	}
	th := ref.th
	for _, ev := range th.events {
		if ev.Direction == Inbound && ev.Status != "read" {
			ev.Status, ev.Updated = "read", now
		}
		if ev == ref.ev {
			break
		}
	}
	if req.TypingIndicator != nil {
		th.typingUntil = now.Add(25 * time.Second)
	}
	th.notify()
	writeJSON(w, http.StatusOK, map[string]bool{"success": true})
	return nil
}

// runStatuses plays a message's status sequence: wait StatusDelay, post the
// webhook, wait for its delivery (or give-up), next. Waiting keeps each
// message's statuses in order at the receiver, whatever the worker count.
func (s *Server) runStatuses(wamid string, seq []string, fail *apiError) {
	defer func() {
		s.mu.Lock()
		if ref := s.messages[wamid]; ref != nil {
			ref.running, ref.readPending = false, false
		}
		s.mu.Unlock()
	}()
	for i := 0; i < len(seq); i++ {
		if !s.sleep(s.cfg.StatusDelay) {
			return
		}
		env, ok := s.statusEnvelope(wamid, seq[i], fail)
		if !ok {
			return
		}
		done, err := s.emit(s.ctx, env)
		if err != nil {
			return
		}
		select {
		case <-done:
		case <-s.ctx.Done():
			return
		}
		if i == len(seq)-1 {
			// CustomerReads arrived while this sequence ran: finish with read.
			s.mu.Lock()
			ref := s.messages[wamid]
			if ref != nil && ref.readPending && ref.ev.Status != "read" && ref.ev.Status != "failed" {
				ref.readPending = false
				seq = append(seq[:len(seq):len(seq)], "read")
			}
			s.mu.Unlock()
		}
	}
}

// statusEnvelope builds one status webhook (§2.4) and moves the message's
// status. conversation and pricing ride on "sent" and on the first of
// delivered/read; conversation is omitted from v24.0 on.
func (s *Server) statusEnvelope(wamid, status string, fail *apiError) (hookEnvelope, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ref := s.messages[wamid]
	if ref == nil {
		return hookEnvelope{}, false
	}
	n := s.numbers[ref.th.key.pn]
	now := s.now()
	st := hookStatus{
		ID: wamid, Status: status, Timestamp: unixString(now),
		RecipientID: ref.th.key.customer, BizOpaqueCallbackData: ref.opaque,
	}
	attach := func(sent bool) {
		st.Pricing = &hookPricing{
			Billable: ref.pricingType == "regular", PricingModel: "PMP",
			Type: ref.pricingType, Category: ref.category,
		}
		if apiMajor(s.cfg.APIVersion) < 24 {
			st.Conversation = &hookConversation{ID: ref.convID, Origin: hookOrigin{Type: ref.category}}
			if sent {
				st.Conversation.ExpirationTimestamp = unixString(now.Add(customerServiceWindow))
			}
		}
	}
	switch status {
	case "failed":
		if fail == nil {
			fail = newError(CodeUndeliverable, "")
		}
		st.Errors = []hookError{fail.webhookError()}
	case "sent":
		attach(true)
	default:
		if !ref.billed {
			attach(false)
			ref.billed = true
		}
	}
	s.setStatusLocked(ref, status, now, fail)
	return messagesEnvelope(n.Number, messagesValue{Statuses: []hookStatus{st}}), true
}

// apiMajor reads 23 from "v23.0"; unparsable versions count as current.
func apiMajor(v string) int {
	major, _, _ := strings.Cut(strings.TrimPrefix(v, "v"), ".")
	n, err := strconv.Atoi(major)
	if err != nil {
		return 1 << 30
	}
	return n
}
