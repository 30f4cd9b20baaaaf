package onboarding

import (
	"strings"
	"unicode/utf8"

	"switchboard/internal/domain"
	"switchboard/internal/storage"
)

// MaxNoteLen bounds the operator's note on a move (and a rejection's
// reason), as the schema does.
const MaxNoteLen = 1000

// Next is the one state an application moves forward to from state; ""
// when it cannot move forward (connected, or rejected: that is reopened).
func Next(state string) string {
	switch state {
	case storage.AppSubmitted:
		return storage.AppInReview
	case storage.AppInReview:
		return storage.AppWaitingForMeta
	case storage.AppWaitingForMeta:
		return storage.AppNumberConnected
	}
	return ""
}

// Moves lists where the operator may take an application from state: one
// step forward, rejection from any open state, and back into review after
// a rejection (the company fixed its answers).
func Moves(state string) []string {
	switch state {
	case storage.AppRejected:
		return []string{storage.AppInReview}
	case storage.AppNumberConnected, "":
		return nil
	}
	return []string{Next(state), storage.AppRejected}
}

// CheckMove validates a move and its note: a FieldError on "to" when the
// move is not allowed from "from", on "note" when a rejection has no reason
// or the note is too long. It returns the trimmed note.
func CheckMove(from, to, note string) (string, error) {
	note = strings.TrimSpace(note)
	allowed := false
	for _, m := range Moves(from) {
		allowed = allowed || m == to
	}
	switch {
	case !allowed:
		return note, &domain.FieldError{Field: "to", Key: "onboarding.move_invalid"}
	case utf8.RuneCountInString(note) > MaxNoteLen:
		return note, &domain.FieldError{Field: "note", Key: "form.too_long"}
	case to == storage.AppRejected && note == "":
		return note, &domain.FieldError{Field: "note", Key: "onboarding.reason_required"}
	}
	return note, nil
}
