package phone_test

import (
	"testing"

	"switchboard/internal/i18n"
	"switchboard/internal/phone"
)

func TestNormalize(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in, region, want string
		err              *phone.Error
	}{
		// Italy: mobiles and landlines, however they are spaced.
		{"+39 333 123 4567", "", "+393331234567", nil},
		{"+393331234567", "", "+393331234567", nil},
		{"0039 333-123-4567", "", "+393331234567", nil},
		{"+39 (02) 1234 5678", "", "+390212345678", nil},
		{" +39 06.6988.1234 ", "", "+390669881234", nil},
		{"333 123 4567", "IT", "+393331234567", nil},
		{"02 1234 5678", "it", "+390212345678", nil},
		// The United States and Canada.
		{"+1 (650) 253-0000", "", "+16502530000", nil},
		{"+1 650 555 1234", "", "+16505551234", nil},
		{"(650) 253-0000", "US", "+16502530000", nil},
		// The United Kingdom: mobile, London, with the trunk 0 written.
		{"+44 7911 123456", "", "+447911123456", nil},
		{"+44 20 7946 0958", "", "+442079460958", nil},
		{"+44 (0)20 7946 0958", "", "+442079460958", nil},
		{"07911 123456", "GB", "+447911123456", nil},
		// Refused, each with its reason.
		{"", "", "", phone.ErrMissing},
		{"   ", "IT", "", phone.ErrMissing},
		{"333 123 4567", "", "", phone.ErrNoCountryCode},
		{"+39 333 abc", "", "", phone.ErrCharacters},
		{"+1-800-FLOWERS", "", "", phone.ErrCharacters},
		{"+39 333 123 4567 ext. 12", "", "", phone.ErrCharacters},
		{"+39 333+1234567", "", "", phone.ErrCharacters},
		{"+999 123 4567", "", "", phone.ErrUnknownCountry},
		{"+39 3", "", "", phone.ErrTooShort},
		{"+1 650 253", "", "", phone.ErrTooShort},
		{"+39 333 123 4567 8901", "", "", phone.ErrTooLong},
		{"+44 7911 1234567", "", "", phone.ErrTooLong},
		{"+39 333 123", "", "", phone.ErrNotInPlan},
		{"+1 555 078 3881", "", "", phone.ErrNotInPlan}, // 555 is no area code
	} {
		got, err := phone.Normalize(tc.in, tc.region)
		if tc.err != nil {
			if err != tc.err {
				t.Errorf("Normalize(%q, %q) = %q, %v; want %v", tc.in, tc.region, got, err, tc.err.Key)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("Normalize(%q, %q) = %q, %v; want %q", tc.in, tc.region, got, err, tc.want)
		}
	}
}

func TestWaIDAndInternational(t *testing.T) {
	t.Parallel()
	if got, err := phone.WaID("+39 333 123 4567", ""); err != nil || got != "393331234567" {
		t.Fatalf("WaID: %q %v", got, err)
	}
	// Meta's recipients: digits alone carry their country code.
	for in, want := range map[string]string{"393331234567": "393331234567", "+1 (650) 555-1234": "16505551234", "0044 7911 123456": "447911123456"} {
		if got, err := phone.International(in); err != nil || got != want {
			t.Errorf("International(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"1", "12", "alice", "3331234567", ""} {
		if got, err := phone.International(in); err == nil {
			t.Errorf("International(%q) = %q, accepted", in, got)
		}
	}
}

func BenchmarkNormalize(b *testing.B) {
	for i := 0; b.Loop(); i++ {
		if _, err := phone.Normalize("+39 333 123 4567", ""); err != nil {
			b.Fatal(err)
		}
	}
}

// Every reason is said in both languages (the i18n test's key finder does
// not look for phone.*).
func TestReasonsAreTranslated(t *testing.T) {
	t.Parallel()
	for _, e := range []*phone.Error{phone.ErrMissing, phone.ErrCharacters, phone.ErrNoCountryCode, phone.ErrUnknownCountry,
		phone.ErrTooShort, phone.ErrTooLong, phone.ErrWrongLength, phone.ErrNotInPlan} {
		if !i18n.Has(e.Key) || i18n.Translate(i18n.Italian, e.Key) == i18n.Translate(i18n.English, e.Key) {
			t.Errorf("%s is not in both languages", e.Key)
		}
	}
}

// Every country offered for local numbers has a calling code and a name in
// the interface.
func TestRegionsAreKnownAndNamed(t *testing.T) {
	t.Parallel()
	for _, r := range phone.Regions() {
		if phone.CallingCode(r) == "" || !i18n.Has("country."+r) {
			t.Errorf("region %s: calling code %q, named %v", r, phone.CallingCode(r), i18n.Has("country."+r))
		}
	}
	if got := phone.CallingCode("IT"); got != "+39" {
		t.Errorf("Italy's calling code: %q", got)
	}
	if got := phone.CallingCode("XX"); got != "" {
		t.Errorf("an unknown region's calling code: %q", got)
	}
}
