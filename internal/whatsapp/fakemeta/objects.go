package fakemeta

import (
	"net/http"
	"strings"
)

// Graph addresses media, templates and phone numbers all as /{id}; these
// handlers resolve the id across the fake's stores.

func (s *Server) findTemplateLocked(id string) (string, *templateRecord) {
	for wabaID, w := range s.wabas {
		if t := w.byID(id); t != nil {
			return wabaID, t
		}
	}
	return "", nil
}

// handleGetObject serves GET /{media-id}, GET /{template-id},
// GET /{phone-number-id} and GET /{upload-session-id}.
func (s *Server) handleGetObject(w http.ResponseWriter, r *http.Request) *apiError {
	if isUploadSession(r.PathValue("id")) {
		return s.handleUploadStatus(w, r)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	waba, e := s.tokenWABALocked(r)
	if e != nil {
		return e
	}
	id := r.PathValue("id")
	denied := newError(CodeAccessToken, "The access token does not grant access to this object.")
	if m := s.mediaLocked(id); m != nil {
		if m.waba != waba {
			return denied
		}
		return s.mediaInfoLocked(w, r, m)
	}
	if tw, t := s.findTemplateLocked(id); t != nil {
		if tw != waba {
			return denied
		}
		s.getTemplateLocked(w, r, t)
		return nil
	}
	if n := s.numbers[id]; n != nil {
		if n.WABAID != waba {
			return denied
		}
		writeJSON(w, http.StatusOK, s.numberObject(n.Number, r.URL.Query().Get("fields")))
		return nil
	}
	return unknownObject(r.Method, id)
}

// numberObject answers the phone-number reads of §8.2–8.3.
func (s *Server) numberObject(n Number, fields string) map[string]any {
	level := "STANDARD"
	if s.cfg.Throughput >= 1000 || s.cfg.Throughput < 0 {
		level = "HIGH"
	}
	all := map[string]any{
		"id":                   n.PhoneNumberID,
		"display_phone_number": n.DisplayPhoneNumber,
		"verified_name":        "Switchboard Sandbox",
		"quality_rating":       "GREEN",
		"throughput":           map[string]string{"level": level},
		"whatsapp_business_manager_messaging_limit": "TIER_250",
	}
	if fields == "" {
		fields = "verified_name,display_phone_number,quality_rating"
	}
	out := map[string]any{"id": n.PhoneNumberID}
	for _, f := range strings.Split(fields, ",") {
		if v, ok := all[strings.TrimSpace(f)]; ok {
			out[strings.TrimSpace(f)] = v
		}
	}
	return out
}

// handlePhoneNumbers serves GET /{waba-id}/phone_numbers.
func (s *Server) handlePhoneNumbers(w http.ResponseWriter, r *http.Request) *apiError {
	s.mu.Lock()
	defer s.mu.Unlock()
	wabaID, _, e := s.wabaForRequestLocked(r)
	if e != nil {
		return e
	}
	data := []map[string]any{}
	for _, n := range s.numbers {
		if n.WABAID == wabaID {
			data = append(data, s.numberObject(n.Number, r.URL.Query().Get("fields")))
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": data})
	return nil
}

// handlePostObject serves POST /{template-id} (template edit) and
// POST /{upload-session-id} (a sample file's bytes).
func (s *Server) handlePostObject(w http.ResponseWriter, r *http.Request) *apiError {
	if isUploadSession(r.PathValue("id")) {
		return s.handleUploadData(w, r)
	}
	s.mu.Lock()
	waba, e := s.tokenWABALocked(r)
	if e != nil {
		s.mu.Unlock()
		return e
	}
	tw, t := s.findTemplateLocked(r.PathValue("id"))
	s.mu.Unlock()
	if t == nil {
		return unknownObject(r.Method, r.PathValue("id"))
	}
	if tw != waba {
		return newError(CodeAccessToken, "The access token does not grant access to this template.")
	}
	return s.editTemplate(w, r, tw)
}

// handleDeleteObject serves DELETE /{media-id}.
func (s *Server) handleDeleteObject(w http.ResponseWriter, r *http.Request) *apiError {
	s.mu.Lock()
	defer s.mu.Unlock()
	waba, e := s.tokenWABALocked(r)
	if e != nil {
		return e
	}
	id := r.PathValue("id")
	m := s.mediaLocked(id)
	if m == nil {
		return unknownObject(r.Method, id)
	}
	if m.waba != waba {
		return newError(CodeAccessToken, "The access token does not grant access to this media.")
	}
	if pn := r.URL.Query().Get("phone_number_id"); pn != "" && pn != m.owner {
		return invalid("The media was not uploaded on phone number %s.", pn)
	}
	delete(s.media, id)
	writeJSON(w, http.StatusOK, map[string]bool{"success": true})
	return nil
}
