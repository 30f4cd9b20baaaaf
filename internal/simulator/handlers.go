package simulator

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/go-chi/chi/v5"

	"switchboard/internal/auth"
	"switchboard/internal/i18n"
	"switchboard/internal/whatsapp/fakemeta"
)

func handlePage(d Deps) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		n, ok := d.number(w, r)
		if !ok {
			return
		}
		customer, valid := customerParam(r.URL.Query().Get("customer"))
		if !valid {
			customer = ""
		}
		view := View{Number: n, Customer: customer, Name: r.URL.Query().Get("name"),
			Customers: d.Sandbox.Fake.Customers(n.PhoneNumberID), CSRF: auth.CSRFToken(r.Context())}
		if key := r.URL.Query().Get("error"); i18n.Has(key) {
			view.Error = key
		}
		if customer != "" {
			view.Events = d.Sandbox.Fake.Conversation(n.PhoneNumberID, customer)
		}
		d.Render(w, r, http.StatusOK, Page(d.Shell.Page(w, r, "simulator.title", "simulator"), view))
	}
}

// handleThread answers the page's script with the thread as HTML. With
// wait=1 it holds the request (up to 25 s) until the thread changes, so the
// business's replies and ticks appear as they happen without polling hard.
func handleThread(d Deps) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		n, ok := d.number(w, r)
		if !ok {
			return
		}
		customer, valid := customerParam(r.URL.Query().Get("customer"))
		if !valid {
			http.Error(w, "customer must be a phone number", http.StatusBadRequest)
			return
		}
		if r.URL.Query().Get("wait") == "1" {
			changed := d.Sandbox.Fake.Changed(n.PhoneNumberID, customer)
			ctx, cancel := context.WithTimeout(r.Context(), 25*time.Second)
			select {
			case <-changed:
			case <-ctx.Done():
			}
			cancel()
		}
		view := View{Number: n, Customer: customer, Events: d.Sandbox.Fake.Conversation(n.PhoneNumberID, customer),
			CSRF: auth.CSRFToken(r.Context())}
		d.Render(w, r, http.StatusOK, Thread(view))
	}
}

// handleSend makes the customer send something: text, a photo or document,
// a location, or a reaction.
func handleSend(d Deps) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		n, ok := d.number(w, r)
		if !ok {
			return
		}
		customer, valid := customerParam(r.PostFormValue("customer"))
		name := strings.TrimSpace(r.PostFormValue("name"))
		back := func(key string) {
			q := url.Values{"customer": {customer}, "name": {name}}
			if key != "" {
				q.Set("error", key)
			}
			http.Redirect(w, r, "/simulator/"+n.ID+"/?"+q.Encode(), http.StatusSeeOther)
		}
		if !valid || utf8.RuneCountInString(name) > 100 {
			d.Fail(w, r, http.StatusBadRequest, "simulator.bad_customer")
			return
		}
		msg := fakemeta.InboundMessage{From: customer, ProfileName: name}
		text := strings.TrimSpace(r.PostFormValue("text"))
		if utf8.RuneCountInString(text) > 4096 {
			back("simulator.too_long")
			return
		}
		switch r.PostFormValue("kind") {
		case "text":
			if text == "" {
				back("simulator.empty")
				return
			}
			msg.Type, msg.Text = "text", text
		case "file":
			file, header, err := r.FormFile("file")
			if err != nil {
				back("simulator.no_file")
				return
			}
			data, err := io.ReadAll(io.LimitReader(file, MaxUpload+1))
			file.Close()
			if err != nil || len(data) == 0 || len(data) > MaxUpload {
				back("simulator.file_size")
				return
			}
			mime := header.Header.Get("Content-Type")
			msg.Type, msg.Text = "document", text
			if strings.HasPrefix(mime, "image/jpeg") || strings.HasPrefix(mime, "image/png") {
				msg.Type = "image"
			}
			msg.Media = &fakemeta.InboundMedia{Data: data, MIMEType: mime, Filename: header.Filename}
		case "location":
			lat, err1 := strconv.ParseFloat(r.PostFormValue("latitude"), 64)
			lng, err2 := strconv.ParseFloat(r.PostFormValue("longitude"), 64)
			if err1 != nil || err2 != nil || lat < -90 || lat > 90 || lng < -180 || lng > 180 {
				back("simulator.bad_location")
				return
			}
			msg.Type = "location"
			msg.Location = &fakemeta.Location{Latitude: lat, Longitude: lng, Name: text}
		case "reaction":
			target := r.PostFormValue("message")
			if target == "" || len(target) > 200 {
				back("simulator.bad_reaction")
				return
			}
			msg.Type, msg.Reaction = "reaction", &fakemeta.Reaction{MessageID: target, Emoji: r.PostFormValue("emoji")}
		default:
			back("simulator.bad_kind")
			return
		}
		if _, err := d.Sandbox.Fake.CustomerSends(r.Context(), n.PhoneNumberID, msg); err != nil {
			d.Logger.WarnContext(r.Context(), "simulator: send", "error", err)
			back("simulator.refused")
			return
		}
		back("")
	}
}

// handleChoose presses a button or picks a list row of a business message.
func handleChoose(d Deps) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		n, ok := d.number(w, r)
		if !ok {
			return
		}
		customer, valid := customerParam(r.PostFormValue("customer"))
		if !valid {
			d.Fail(w, r, http.StatusBadRequest, "simulator.bad_customer")
			return
		}
		if _, err := d.Sandbox.Fake.CustomerChooses(r.Context(), n.PhoneNumberID, customer, r.PostFormValue("message"), r.PostFormValue("choice")); err != nil {
			d.Logger.WarnContext(r.Context(), "simulator: choose", "error", err)
		}
		http.Redirect(w, r, "/simulator/"+n.ID+"/?"+url.Values{"customer": {customer}}.Encode(), http.StatusSeeOther)
	}
}

// handleMedia shows the customer a file from the thread (the fake keeps
// the bytes either way sent).
func handleMedia(d Deps) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		n, ok := d.number(w, r)
		if !ok {
			return
		}
		// Only a file of this number's conversation with this customer: the
		// fake's media ids are easy to guess.
		customer, valid := customerParam(r.URL.Query().Get("customer"))
		mediaID := chi.URLParam(r, "media")
		if !valid || !inThread(d.Sandbox.Fake.Conversation(n.PhoneNumberID, customer), mediaID) {
			d.NotFound(w, r)
			return
		}
		data, mime, err := d.Sandbox.Fake.MediaContent(mediaID)
		if err != nil {
			if errors.Is(err, context.Canceled) {
				return
			}
			d.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", mime)
		w.Header().Set("Content-Security-Policy", "sandbox; default-src 'none'")
		disposition := "attachment"
		if mime == "image/jpeg" || mime == "image/png" || mime == "image/webp" {
			disposition = "inline"
		}
		w.Header().Set("Content-Disposition", disposition)
		_, _ = w.Write(data)
	}
}

func inThread(events []fakemeta.Event, mediaID string) bool {
	for _, e := range events {
		if e.Media != nil && e.Media.ID == mediaID {
			return true
		}
	}
	return false
}
