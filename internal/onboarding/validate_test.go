package onboarding

import (
	"net/url"
	"testing"

	"switchboard/internal/storage"
)

func TestPartitaIVACheckDigit(t *testing.T) {
	// Published partite IVA of real companies, and the same with one digit
	// changed: the check digit catches a single typo.
	for _, good := range []string{"00159560366", "00743110157", "12345678903"} {
		if !ValidPartitaIVA(good) {
			t.Errorf("%s refused", good)
		}
	}
	for _, bad := range []string{"00159560367", "00159650366", "00743110158", "00000000000", "0015956036", "001595603666", "0015956036A"} {
		if ValidPartitaIVA(bad) {
			t.Errorf("%s accepted", bad)
		}
	}
}

func TestVATNumbers(t *testing.T) {
	cases := []struct{ in, normalized, key string }{
		{"IT00159560366", "IT00159560366", ""},
		{"it 001 595 603 66", "IT00159560366", ""},
		{"00159560366", "IT00159560366", ""}, // a bare partita IVA
		{"IT00159560367", "IT00159560367", "onboarding.vat_it_invalid"},
		{"IT0015956036", "IT0015956036", "onboarding.vat_it_invalid"},
		{"DE123456789", "DE123456789", ""},
		{"fr-40.303.265.045", "FR40303265045", ""},
		{"EL094259216", "EL094259216", ""},
		{"GR094259216", "GR094259216", "onboarding.vat_prefix"}, // Greece is EL in VIES
		{"US123456789", "US123456789", "onboarding.vat_prefix"},
		{"123", "123", "onboarding.vat_prefix"},
		{"DE12345678901234", "DE12345678901234", "onboarding.vat_invalid"},
		{"DE12_34", "DE12_34", "onboarding.vat_invalid"},
		{"", "", "form.required"},
	}
	for _, c := range cases {
		n := NormalizeVAT(c.in)
		if n != c.normalized {
			t.Errorf("NormalizeVAT(%q) = %q, want %q", c.in, n, c.normalized)
		}
		if key := CheckVAT(n); key != c.key {
			t.Errorf("CheckVAT(%q) = %q, want %q", n, key, c.key)
		}
	}
}

func TestPhones(t *testing.T) {
	cases := []struct{ in, normalized, key string }{
		{"+39 02 1234 5678", "+390212345678", ""},
		{"0039 (02) 1234-5678", "+390212345678", ""},
		{"+44 20 7946 0958", "+442079460958", ""},
		{"02 1234 5678", "", "phone.no_country_code"},
		{"+0 212345678", "", "phone.unknown_country"},
		{"+39 12", "", "phone.too_short"},
		{"+39 02 CALL ME", "", "phone.characters"},
		{"", "", "phone.missing"},
	}
	for _, c := range cases {
		q, _, errs := ParseQuestionnaire(url.Values{"phone": {c.in}})
		key := ""
		for _, e := range errs {
			if e.Field == "phone" {
				key = e.Key
			}
		}
		if q.Phone != c.normalized || key != c.key {
			t.Errorf("phone %q: got %q %q, want %q %q", c.in, q.Phone, key, c.normalized, c.key)
		}
	}
}

func TestParseQuestionnaire(t *testing.T) {
	good := url.Values{"company_name": {" Trasporti Rossi Srl "}, "vat_number": {"00159560366"}, "meta_business_id": {"102938475612345"},
		"phone": {"+39 02 1234 5678"}, "monthly_conversations": {"2.500"}, "use_cases": {"shipping_update", "issue_resolution", "shipping_update"}}
	q, _, errs := ParseQuestionnaire(good)
	if len(errs) != 0 {
		t.Fatalf("good form refused: %v", errs)
	}
	want := storage.Questionnaire{CompanyName: "Trasporti Rossi Srl", VATNumber: "IT00159560366", MetaBusinessID: "102938475612345",
		Phone: "+390212345678", MonthlyConversations: 2500, UseCases: []string{"shipping_update", "issue_resolution"}}
	if q.CompanyName != want.CompanyName || q.VATNumber != want.VATNumber || q.Phone != want.Phone || q.MonthlyConversations != want.MonthlyConversations ||
		len(q.UseCases) != 2 || q.UseCases[0] != "shipping_update" || q.UseCases[1] != "issue_resolution" || q.MetaBusinessID != want.MetaBusinessID {
		t.Fatalf("parsed %+v, want %+v", q, want)
	}

	bad := url.Values{"company_name": {""}, "vat_number": {"IT00159560367"}, "meta_business_id": {"BM-1234"},
		"phone": {"02 1234 5678"}, "monthly_conversations": {"lots"}, "use_cases": {"spam"}}
	_, typed, errs := ParseQuestionnaire(bad)
	got := map[string]string{}
	for _, e := range errs {
		got[e.Field] = e.Key
	}
	wantErrs := map[string]string{"company_name": "form.required", "vat_number": "onboarding.vat_it_invalid", "meta_business_id": "onboarding.business_id_invalid",
		"phone": "phone.no_country_code", "monthly_conversations": "onboarding.volume_invalid", "use_cases": "onboarding.use_case_invalid"}
	for f, k := range wantErrs {
		if got[f] != k {
			t.Errorf("%s: error %q, want %q", f, got[f], k)
		}
	}
	// What was typed is kept, as typed, for the form shown again.
	if typed["vat_number"] != "IT00159560367" || typed["phone"] != "02 1234 5678" || typed["monthly_conversations"] != "lots" {
		t.Errorf("typed values not kept: %v", typed)
	}
	if _, _, errs := ParseQuestionnaire(url.Values{}); len(errs) != 6 {
		t.Errorf("an empty form gives %d errors, want 6: %v", len(errs), errs)
	}
}

func TestSlug(t *testing.T) {
	for in, want := range map[string]string{
		"Trasporti Rossi Srl":   "trasporti-rossi-srl",
		"  Caffè Ñandú & Co.  ": "caffe-nandu-co",
		"Ö":                     "companyo",
		"日本":                    "company",
		"A very long company name that goes on and on and on": "a-very-long-company-name-that-goes-o", // 36 at most: room for a suffix
	} {
		if got := Slug(in); got != want {
			t.Errorf("Slug(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestMoves(t *testing.T) {
	if _, err := CheckMove(storage.AppSubmitted, storage.AppInReview, ""); err != nil {
		t.Errorf("submitted → in review refused: %v", err)
	}
	if _, err := CheckMove(storage.AppSubmitted, storage.AppWaitingForMeta, ""); err == nil {
		t.Error("a step skipped was accepted")
	}
	if _, err := CheckMove(storage.AppInReview, storage.AppRejected, "  "); err == nil {
		t.Error("a rejection without a reason was accepted")
	}
	if note, err := CheckMove(storage.AppWaitingForMeta, storage.AppRejected, " Meta refused the business "); err != nil || note != "Meta refused the business" {
		t.Errorf("rejection with a reason: %q %v", note, err)
	}
	if _, err := CheckMove(storage.AppRejected, storage.AppInReview, ""); err != nil {
		t.Errorf("reopening refused: %v", err)
	}
	if _, err := CheckMove(storage.AppNumberConnected, storage.AppRejected, "late"); err == nil {
		t.Error("a connected application was moved")
	}
	long := make([]byte, MaxNoteLen+1)
	for i := range long {
		long[i] = 'x'
	}
	if _, err := CheckMove(storage.AppSubmitted, storage.AppInReview, string(long)); err == nil {
		t.Error("an over-long note was accepted")
	}
}
