// Package phone turns phone numbers people type (forms, CSV files, the
// API's recipients) into E.164 through Google's numbering plans, as ported
// by github.com/nyaruka/phonenumbers: the lengths and ranges of every
// country's plan are data we keep current by upgrading a module, not rules
// we write. Meta's own wa_ids never come through here: the webhook
// processor keeps them as Meta sends them (digits with the country code).
package phone

import (
	"errors"
	"strconv"
	"strings"

	"github.com/nyaruka/phonenumbers"
	"google.golang.org/protobuf/proto"
)

// Error says why a number was refused: Key is an i18n message key (the
// pages show it beside the input or the CSV row), Error() is English (the
// API's messages and the logs).
type Error struct {
	Key    string
	Reason string
}

func (e *Error) Error() string { return e.Reason }

// The reasons a number is refused.
var (
	ErrMissing        = &Error{"phone.missing", "the phone number is missing"}
	ErrCharacters     = &Error{"phone.characters", "a phone number has only digits, spaces, +, -, dots and brackets"}
	ErrNoCountryCode  = &Error{"phone.no_country_code", "write the number with its country code, e.g. +39 333 123 4567"}
	ErrUnknownCountry = &Error{"phone.unknown_country", "no country has this calling code"}
	ErrTooShort       = &Error{"phone.too_short", "too short for its country's numbering plan"}
	ErrTooLong        = &Error{"phone.too_long", "too long for its country's numbering plan"}
	ErrWrongLength    = &Error{"phone.wrong_length", "its length is not one its country's numbering plan has"}
	ErrNotInPlan      = &Error{"phone.not_in_plan", "not a number of its country's numbering plan"}
)

// maxInput bounds what is handed to the parser: no number is this long,
// however it is spaced.
const maxInput = 64

// Normalize returns s as an E.164 number ("+393331234567"). A number
// written with + or 00 carries its country; one without is read in
// defaultRegion (ISO 3166 code, e.g. "IT"), and refused with
// ErrNoCountryCode when defaultRegion is "" rather than guessed. A number
// must be valid in its country's plan: the right length and a range in use.
func Normalize(s, defaultRegion string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", ErrMissing
	}
	// The parser reads letters as a keypad's (1-800-FLOWERS) and
	// understands extensions; neither is a WhatsApp number.
	if len(s) > maxInput || !plainChars(s) {
		return "", ErrCharacters
	}
	switch {
	case strings.HasPrefix(s, "+"):
	case strings.HasPrefix(s, "00"):
		s = "+" + s[2:] // the international prefix of most of the world
	case defaultRegion == "":
		return "", ErrNoCountryCode
	}
	if s[0] == '+' {
		if e164, ok := fastInternational(s); ok {
			return e164, nil
		}
	}
	n, err := phonenumbers.Parse(s, strings.ToUpper(defaultRegion))
	switch {
	case errors.Is(err, phonenumbers.ErrInvalidCountryCode):
		return "", ErrUnknownCountry
	case errors.Is(err, phonenumbers.ErrTooShortNSN), errors.Is(err, phonenumbers.ErrTooShortAfterIDD):
		return "", ErrTooShort
	case errors.Is(err, phonenumbers.ErrNumTooLong):
		return "", ErrTooLong
	case err != nil:
		return "", ErrCharacters
	}
	switch phonenumbers.IsPossibleNumberWithReason(n) {
	case phonenumbers.IS_POSSIBLE:
	case phonenumbers.INVALID_COUNTRY_CODE:
		return "", ErrUnknownCountry
	case phonenumbers.TOO_SHORT, phonenumbers.IS_POSSIBLE_LOCAL_ONLY:
		return "", ErrTooShort
	case phonenumbers.TOO_LONG:
		return "", ErrTooLong
	default:
		return "", ErrWrongLength
	}
	if !phonenumbers.IsValidNumber(n) {
		return "", ErrNotInPlan
	}
	return phonenumbers.Format(n, phonenumbers.E164), nil
}

// WaID is Normalize's number as WhatsApp names a customer: its digits,
// country code first, without the +.
func WaID(s, defaultRegion string) (string, error) {
	e164, err := Normalize(s, defaultRegion)
	return strings.TrimPrefix(e164, "+"), err
}

// International reads s as Meta's Cloud API reads a recipient: digits
// alone are international, country code first ("393331234567"), as are
// numbers written with + or 00. It returns the WhatsApp id.
func International(s string) (string, error) {
	t := strings.TrimSpace(s)
	if t != "" && t[0] >= '1' && t[0] <= '9' {
		t = "+" + t
	}
	return WaID(t, "")
}

// fastInternational accepts an international number that is valid as
// written, without the parser: its extension-finding expression is most of
// the cost of a number, and a 100,000-row import pays it 100,000 times.
// Anything else (a trunk 0 written after the country code, a number that
// is not valid) goes the parser's way, which says why.
func fastInternational(s string) (string, bool) {
	digits := phonenumbers.NormalizeDigitsOnly(s)
	// Calling codes are prefix-free: the first known prefix is the code.
	for l := 1; l <= 3 && l < len(digits); l++ {
		cc, _ := strconv.Atoi(digits[:l])
		if phonenumbers.GetRegionCodeForCountryCode(cc) == unknownRegion {
			continue
		}
		national := digits[l:]
		nn, err := strconv.ParseUint(national, 10, 64)
		if err != nil || len(national) > 17 {
			return "", false
		}
		n := &phonenumbers.PhoneNumber{CountryCode: proto.Int32(int32(cc)), NationalNumber: proto.Uint64(nn)}
		if zeros := len(national) - len(strings.TrimLeft(national, "0")); zeros > 0 {
			n.ItalianLeadingZero = proto.Bool(true)
			if zeros > 1 {
				n.NumberOfLeadingZeros = proto.Int32(int32(zeros))
			}
		}
		if phonenumbers.IsValidNumber(n) && phonenumbers.GetNationalSignificantNumber(n) == national {
			return "+" + digits, true
		}
		return "", false
	}
	return "", false
}

// unknownRegion is the parser's region for a calling code no country has.
const unknownRegion = "ZZ"

func plainChars(s string) bool {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9', c == ' ', c == '+' && i == 0, c == '-', c == '.', c == '(', c == ')', c == '/':
		default:
			return false
		}
	}
	return true
}

// Regions are the countries a person may choose for numbers written
// without their country code (a contacts file exported from a local
// address book), Italy's neighbours and main partners first. A short list
// of ISO 3166 codes, each named in the interface ("country.XX").
func Regions() []string {
	return []string{"IT", "SM", "VA", "CH", "FR", "DE", "AT", "ES", "PT", "GB", "IE", "BE", "NL", "LU", "GR", "MT", "SI", "HR", "PL", "RO", "US"}
}

// CallingCode is a region's country calling code ("+39"), "" for a region
// the numbering plans do not know.
func CallingCode(region string) string {
	if c := phonenumbers.GetCountryCodeForRegion(strings.ToUpper(region)); c > 0 {
		return "+" + strconv.Itoa(c)
	}
	return ""
}
