package webhook

import (
	"strings"
	"testing"
)

func TestSign(t *testing.T) {
	// Reference value computed independently:
	// python3 -c 'import hmac,hashlib; print(hmac.new(b"app-secret", body, hashlib.sha256).hexdigest())'
	body := []byte(`{"object":"whatsapp_business_account","entry":[]}`)
	const want = "sha256=d3e4f9da0ce6c71ab3dba55929b8eeeee2455349e534924ead19f98d143e904f"
	if got := Sign([]byte("app-secret"), body); got != want {
		t.Fatalf("Sign = %s", got)
	}
}

func TestVerifySignature(t *testing.T) {
	secret := []byte("app-secret")
	body := load(t, "batch.json")
	good := Sign(secret, body)
	hexPart := strings.TrimPrefix(good, "sha256=")
	flipped := []byte(hexPart)
	if flipped[0] == '0' {
		flipped[0] = '1'
	} else {
		flipped[0] = '0'
	}
	cases := []struct {
		name   string
		secret []byte
		body   []byte
		header string
		want   bool
	}{
		{"valid", secret, body, good, true},
		{"surrounding spaces", secret, body, " " + good + " ", true},
		{"uppercase hex", secret, body, "sha256=" + strings.ToUpper(hexPart), true},
		{"missing header", secret, body, "", false},
		{"prefix only", secret, body, "sha256=", false},
		{"no prefix", secret, body, hexPart, false},
		{"sha1 prefix", secret, body, "sha1=" + hexPart, false},
		{"uppercase prefix", secret, body, "SHA256=" + hexPart, false},
		{"not hex", secret, body, "sha256=" + strings.Repeat("zz", 32), false},
		{"short", secret, body, good[:len(good)-2], false},
		{"long", secret, body, good + "00", false},
		{"one nibble off", secret, body, "sha256=" + string(flipped), false},
		{"other secret", []byte("other"), body, good, false},
		{"empty secret", nil, body, Sign(nil, body), false},
		{"body changed", secret, append([]byte(" "), body...), good, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := VerifySignature(c.secret, c.body, c.header); got != c.want {
				t.Errorf("VerifySignature = %v, want %v", got, c.want)
			}
		})
	}
}
