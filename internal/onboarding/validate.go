// Package onboarding walks a company from sign-up to a connected number:
// the questionnaire's rules (VAT number, Meta Business Manager id, the
// phone to register), the moves of an application, and the sign-up itself
// (tenant, administrator, application, then a sandbox number to try
// everything before Meta answers).
package onboarding

import (
	"errors"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"switchboard/internal/domain"
	"switchboard/internal/storage"

	"switchboard/internal/phone"
)

// UseCases are the seed's list of what a company writes to its customers
// about (product.md keeps it as templates' use case too).
func UseCases() []string {
	return []string{"account_update", "alert_update", "appointment_update", "auto_reply", "issue_resolution",
		"payment_update", "personal_finance_update", "reservation_update", "shipping_update", "ticket_update",
		"transportation_update"}
}

// MaxMonthlyConversations bounds the expected volume (as the schema does).
const MaxMonthlyConversations = 100_000_000

// euVATPrefixes are the prefixes of EU VAT numbers (VIES): the member
// states' ISO codes, except Greece's EL, and XI for Northern Ireland.
var euVATPrefixes = map[string]bool{
	"AT": true, "BE": true, "BG": true, "CY": true, "CZ": true, "DE": true, "DK": true, "EE": true, "EL": true,
	"ES": true, "FI": true, "FR": true, "HR": true, "HU": true, "IE": true, "IT": true, "LT": true, "LU": true,
	"LV": true, "MT": true, "NL": true, "PL": true, "PT": true, "RO": true, "SE": true, "SI": true, "SK": true,
	"XI": true,
}

var vatBodyRE = regexp.MustCompile(`^[0-9A-Z]{2,13}$`)

// NormalizeVAT upper-cases a VAT number and drops spaces, dots and dashes;
// eleven bare digits are an Italian partita IVA and get the IT prefix.
func NormalizeVAT(s string) string {
	s = strings.Map(func(r rune) rune {
		if r == ' ' || r == '.' || r == '-' || r == '\u00a0' {
			return -1
		}
		return unicode.ToUpper(r)
	}, strings.TrimSpace(s))
	if len(s) == 11 && strings.Trim(s, "0123456789") == "" {
		return "IT" + s
	}
	return s
}

// CheckVAT returns a message key when a normalized VAT number is not an EU
// VAT number: a member state's prefix and 2 to 13 letters or digits; for
// Italy exactly 11 digits whose last is the partita IVA's check digit.
func CheckVAT(v string) string {
	switch {
	case v == "":
		return "form.required"
	case len(v) < 4 || !euVATPrefixes[v[:2]]:
		return "onboarding.vat_prefix"
	case !vatBodyRE.MatchString(v[2:]):
		return "onboarding.vat_invalid"
	case v[:2] == "IT" && !ValidPartitaIVA(v[2:]):
		return "onboarding.vat_it_invalid"
	}
	return ""
}

// ValidPartitaIVA checks an Italian VAT number: 11 digits, not all zero,
// the last being the Luhn check digit of the first ten (odd places as
// they are, even places doubled less 9 when over 9).
func ValidPartitaIVA(s string) bool {
	if len(s) != 11 || strings.Trim(s, "0123456789") != "" || s == "00000000000" {
		return false
	}
	sum := 0
	for i := range 10 {
		d := int(s[i] - '0')
		if i%2 == 1 {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
	}
	return (10-sum%10)%10 == int(s[10]-'0')
}

var businessIDRE = regexp.MustCompile(`^[0-9]{6,20}$`)

// ParseQuestionnaire reads and checks the questionnaire's fields of a
// form; the values as typed (trimmed) are returned for showing the form
// again, with an error key per wrong field.
func ParseQuestionnaire(form url.Values) (storage.Questionnaire, map[string]string, []*domain.FieldError) {
	var q storage.Questionnaire
	var errs []*domain.FieldError
	typed := map[string]string{}
	fail := func(field, key string) { errs = append(errs, &domain.FieldError{Field: field, Key: key}) }

	name := strings.TrimSpace(form.Get("company_name"))
	typed["company_name"] = name
	if n, err := storage.CheckTenantName(name); err != nil {
		fail("company_name", err.(*domain.FieldError).Key)
	} else {
		q.CompanyName = n
	}

	typed["vat_number"] = strings.TrimSpace(form.Get("vat_number"))
	q.VATNumber = NormalizeVAT(typed["vat_number"])
	if key := CheckVAT(q.VATNumber); key != "" {
		fail("vat_number", key)
	}

	q.MetaBusinessID = strings.TrimSpace(form.Get("meta_business_id"))
	typed["meta_business_id"] = q.MetaBusinessID
	switch {
	case q.MetaBusinessID == "":
		fail("meta_business_id", "form.required")
	case !businessIDRE.MatchString(q.MetaBusinessID):
		fail("meta_business_id", "onboarding.business_id_invalid")
	}

	typed["phone"] = strings.TrimSpace(form.Get("phone"))
	// The number to register must be a real one of its country's plan
	// (internal/phone: Google's numbering plans), with its country code.
	if n, err := phone.Normalize(typed["phone"], ""); err != nil {
		var pe *phone.Error
		key := "onboarding.phone_invalid"
		if errors.As(err, &pe) {
			key = pe.Key
		}
		fail("phone", key)
	} else {
		q.Phone = n
	}

	typed["monthly_conversations"] = strings.TrimSpace(form.Get("monthly_conversations"))
	n, err := strconv.Atoi(strings.NewReplacer(".", "", ",", "", " ", "").Replace(typed["monthly_conversations"]))
	switch {
	case typed["monthly_conversations"] == "":
		fail("monthly_conversations", "form.required")
	case err != nil || n < 1 || n > MaxMonthlyConversations:
		fail("monthly_conversations", "onboarding.volume_invalid")
	default:
		q.MonthlyConversations = n
	}

	known := UseCases()
	for _, u := range form["use_cases"] {
		if !slices.Contains(known, u) {
			fail("use_cases", "onboarding.use_case_invalid")
			break
		}
		if !slices.Contains(q.UseCases, u) {
			q.UseCases = append(q.UseCases, u)
		}
	}
	typed["use_cases"] = strings.Join(q.UseCases, ",")
	if len(form["use_cases"]) == 0 {
		fail("use_cases", "onboarding.use_case_required")
	}
	return q, typed, errs
}

// Slug makes a tenant's short name from its company name: lower-case
// letters and digits joined by dashes, accents dropped, at most 40.
func Slug(name string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(name) {
		r = unaccent(r)
		switch {
		case r >= 'a' && r <= 'z' || r >= '0' && r <= '9':
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			dash = false
			b.WriteRune(r)
		default:
			dash = true
		}
		if b.Len() >= 36 {
			break
		}
	}
	s := strings.Trim(b.String(), "-")
	if utf8.RuneCountInString(s) < 2 {
		s = "company" + s
	}
	return s
}

// unaccent maps the accented letters of Western European names to their
// base letter; anything else is returned as it is.
func unaccent(r rune) rune {
	const from, to = "àáâãäåèéêëìíîïòóôõöùúûüñçýÿ", "aaaaaaeeeeiiiiooooouuuuncyy"
	if i := strings.IndexRune(from, r); i >= 0 {
		return []rune(to)[utf8.RuneCountInString(from[:i])]
	}
	return r
}
