package license_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/mdmkit/mdmkit/license"
	"github.com/mdmkit/mdmkit/mdm"
)

func encodeToken(body string) string { return base64.StdEncoding.EncodeToString([]byte(body)) }

const secretText = "VHlwZSBzZWNyZXQtdG9rZW4tdGV4dA=="

var sampleToken = encodeToken(`{"token":"` + secretText + `","expDate":"2014-08-15T18:13:52-0700","orgName":"Example Org"}`)

// L1: an sToken is base64 of {"token","expDate","orgName"}; expDate is ISO 8601
// with an offset; the state is valid until expDate, then expired; other states
// come from sync.
func TestParseToken(t *testing.T) {
	tok, err := license.ParseToken(sampleToken + "\n")
	if err != nil {
		t.Fatal(err)
	}
	exp := time.Date(2014, 8, 16, 1, 13, 52, 0, time.UTC)
	if tok.OrgName() != "Example Org" || !tok.ExpDate().Equal(exp) || tok.Reveal() != sampleToken || tok.IsZero() {
		t.Fatalf("%v %v %v", tok.OrgName(), tok.ExpDate(), tok.IsZero())
	}
	for _, c := range []struct {
		now  time.Time
		set  mdm.TokenState
		want mdm.TokenState
	}{
		{exp.Add(-time.Second), mdm.TokenValid, mdm.TokenValid},
		{exp, mdm.TokenValid, mdm.TokenExpired},
		{exp.Add(-time.Hour), mdm.TokenExpired, mdm.TokenExpired}, // the store said 9621 early
		{exp.Add(-time.Hour), mdm.TokenAssignedToExternalMDM, mdm.TokenAssignedToExternalMDM},
		{exp.Add(-time.Hour), mdm.TokenDuplicate, mdm.TokenDuplicate},
		{exp.Add(-time.Hour), mdm.TokenInvalid, mdm.TokenInvalid},
	} {
		tk := tok
		if err := tk.SetState(c.set); err != nil {
			t.Fatal(err)
		}
		if got := tk.State(c.now); got != c.want {
			t.Errorf("L1 state at %v with %v: %v, want %v", c.now, c.set, got, c.want)
		}
	}
	if err := tok.SetState(mdm.TokenState(99)); !errors.Is(err, mdm.ErrUnknownEnum) {
		t.Fatal(err)
	}
	if (license.Token{}).State(exp) != mdm.TokenInvalid {
		t.Fatal("the zero Token is not a valid token")
	}
	// RFC 3339 dates are accepted too; fractional seconds as well.
	for _, d := range []string{"2014-08-15T18:13:52Z", "2014-08-15T18:13:52+02:00", "2014-08-15T18:13:52.123-0700"} {
		if _, err := license.ParseToken(encodeToken(`{"token":"x","expDate":"` + d + `"}`)); err != nil {
			t.Errorf("%s: %v", d, err)
		}
	}
}

// L1: a token is valid for one year (Policy.TokenLifetime): an expired token or
// one claiming a longer life is refused at upload.
func TestToken_Validate(t *testing.T) {
	pol := mdm.DefaultPolicy()
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	mk := func(exp time.Time) license.Token {
		tok, err := license.ParseToken(encodeToken(`{"token":"` + secretText + `","expDate":"` + exp.Format(license.ExpDateLayout) + `","orgName":"O"}`))
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	for _, c := range []struct {
		exp time.Time
		ok  bool
	}{
		{now.Add(365 * 24 * time.Hour), true},
		{now.Add(time.Hour), true},
		{now, false},
		{now.Add(-time.Hour), false},
		{now.Add(400 * 24 * time.Hour), false},
	} {
		err := mk(c.exp).Validate(now, &pol)
		if c.ok != (err == nil) || (err != nil && !errors.Is(err, license.ErrTokenLifetime)) {
			t.Errorf("L1 expDate %v: %v", c.exp, err)
		}
		if err != nil && strings.Contains(err.Error(), secretText[:12]) {
			t.Fatalf("error shows the token: %v", err)
		}
	}
	if err := (license.Token{}).Validate(now, &pol); !errors.Is(err, license.ErrMalformedToken) {
		t.Fatal(err)
	}
}

// L1: malformed tokens are *mdm.ValidationError wrapping ErrMalformedToken, and
// no part of the token appears in the message.
func TestParseToken_Malformed(t *testing.T) {
	const s = "secret-token-text-abcdefgh"
	for name, tok := range map[string]string{
		"empty":          "  \n",
		"not base64":     "!!!" + s + "!!!",
		"not json":       encodeToken(s),
		"json array":     encodeToken(`["` + s + `"]`),
		"no token":       encodeToken(`{"expDate":"2014-08-15T18:13:52-0700","orgName":"` + s + `"}`),
		"empty token":    encodeToken(`{"token":"","expDate":"2014-08-15T18:13:52-0700"}`),
		"no date":        encodeToken(`{"token":"` + s + `","orgName":"O"}`),
		"bad date":       encodeToken(`{"token":"` + s + `","expDate":"tomorrow"}`),
		"token as date":  encodeToken(`{"token":"` + s + `","expDate":"` + s + `"}`),
		"number token":   encodeToken(`{"token":12345678901234,"expDate":"2014-08-15T18:13:52-0700"}`),
		"trailing bytes": encodeToken(`{"token":"` + s + `","expDate":"2014-08-15T18:13:52-0700"} ` + s),
		"too long":       strings.Repeat("A", license.MaxTokenLength+4),
		"raw base64 bad": strings.TrimRight(encodeToken(`{"token":"`+s+`","expDate":"x"}`), "="),
	} {
		_, err := license.ParseToken(tok)
		var ve *mdm.ValidationError
		if !errors.As(err, &ve) || !errors.Is(err, license.ErrMalformedToken) || ve.Rule != "L1" || ve.Field != "sToken" {
			t.Errorf("%s: %v", name, err)
			continue
		}
		assertNoSecret(t, name, err.Error(), s, strings.TrimSpace(tok))
	}
	// Unpadded base64 is accepted.
	if _, err := license.ParseToken(strings.TrimRight(sampleToken, "=")); err != nil {
		t.Fatal(err)
	}
}

// L1: the token text never appears in any output: String, every fmt verb, in
// structs and pointers, JSON, slog's text and JSON handlers, and errors.
func TestToken_NeverPrinted(t *testing.T) {
	for _, org := range []string{"Example Org", secretText, "Org " + secretText[4:20]} {
		body := `{"token":"` + secretText + `","expDate":"2014-08-15T18:13:52-0700","orgName":"` + org + `"}`
		raw := encodeToken(body)
		tok, err := license.ParseToken(raw)
		if err != nil {
			t.Fatal(err)
		}
		type holder struct {
			Name  string
			Token license.Token
			Ptr   *license.Token
		}
		h := holder{Name: "h", Token: tok, Ptr: &tok}
		var outs []string
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%10s", "%-40v", "%#x"} {
			outs = append(outs, fmt.Sprintf(verb, tok), fmt.Sprintf(verb, &tok), fmt.Sprintf(verb, h), fmt.Sprintf(verb, &h),
				fmt.Sprintf(verb, []license.Token{tok}), fmt.Sprintf(verb, map[string]license.Token{"k": tok}))
		}
		outs = append(outs, tok.String(), tok.GoString(), fmt.Sprint(tok), fmt.Sprintln(tok, &tok, h))
		for _, v := range []any{tok, &tok, h, &h, []license.Token{tok}, map[string]any{"t": tok}} {
			b, err := json.Marshal(v)
			if err != nil {
				t.Fatal(err)
			}
			outs = append(outs, string(b))
		}
		var buf bytes.Buffer
		for _, log := range []*slog.Logger{slog.New(slog.NewTextHandler(&buf, nil)), slog.New(slog.NewJSONHandler(&buf, nil))} {
			log.Info("token", "token", tok, "ptr", &tok, "struct", h, "any", any(tok))
			log.Info("group", slog.Group("g", slog.Any("t", tok)))
		}
		outs = append(outs, buf.String())
		var back license.Token
		err = json.Unmarshal([]byte(`"`+raw+`"`), &back)
		if err == nil || back.Reveal() != "" {
			t.Fatal("a token must not come back from JSON")
		}
		outs = append(outs, err.Error())
		pol := mdm.DefaultPolicy()
		outs = append(outs, tok.Validate(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC), &pol).Error())
		for i, o := range outs {
			assertNoSecret(t, fmt.Sprintf("org %q output %d", org, i), o, secretText, raw)
			if !strings.Contains(o, license.Redacted) && !strings.Contains(o, "expDate") && !strings.Contains(o, "sToken") {
				t.Errorf("output %d shows neither the redacted form nor a refusal: %s", i, o)
			}
		}
		if org == "Example Org" && !strings.Contains(tok.String(), "Example Org") {
			t.Errorf("a harmless organisation name is shown: %s", tok)
		}
	}
}

// assertNoSecret fails if text holds any of the secrets or an 8-byte piece of one.
func assertNoSecret(t *testing.T, name, text string, secrets ...string) {
	t.Helper()
	for _, s := range secrets {
		if len(s) < 8 {
			continue
		}
		for i := 0; i+8 <= len(s); i++ {
			if strings.Contains(text, s[i:i+8]) {
				t.Fatalf("%s: output shows part of the token (%q): %s", name, s[i:i+8], text)
			}
		}
	}
}

// FuzzParseToken: never panics; an error never repeats the input or the token
// inside it; a parsed token never prints them.
func FuzzParseToken(f *testing.F) {
	f.Add(sampleToken)
	f.Add(encodeToken(`{"token":"abc","expDate":"2014-08-15T18:13:52-0700","orgName":"Org"}`))
	f.Add(encodeToken(`{"token":"abcdefghijkl","expDate":"abcdefghijkl","orgName":"abcdefghijkl"}`))
	f.Add(encodeToken(`{"token":"abcdefghijkl","expDate":"2014-08-15T18:13:52Z","orgName":"abcdefghijkl-x"}`))
	f.Add("not base64!")
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		tok, err := license.ParseToken(s)
		inner := innerToken(s)
		if err != nil {
			if !errors.Is(err, license.ErrMalformedToken) {
				t.Fatalf("untyped error %v", err)
			}
			msg := err.Error()
			// The fixed wording may contain a short input by chance ("not base").
			if in := strings.TrimSpace(s); len(in) >= 8 && strings.Contains(msg, in) && !strings.Contains(vocabulary, in) {
				t.Fatalf("error repeats the input: %v", msg)
			}
			if len(inner) >= 8 && strings.Contains(msg, inner) && !strings.Contains(vocabulary, inner) {
				t.Fatalf("error repeats the token: %v", msg)
			}
			return
		}
		outs := []string{tok.String(), fmt.Sprintf("%+v %#v %x", tok, tok, tok)}
		if b, err := json.Marshal(tok); err == nil {
			outs = append(outs, string(b))
		}
		for _, o := range outs {
			if len(inner) >= 8 && strings.Contains(o, inner) {
				t.Fatalf("output repeats the token: %s", o)
			}
			if raw := strings.TrimSpace(s); strings.Contains(o, raw) {
				t.Fatalf("output repeats the sToken: %s", o)
			}
		}
		if tok.Reveal() != strings.TrimSpace(s) {
			t.Fatal("Reveal must return the sToken")
		}
	})
}

// vocabulary is every fixed text a malformed-token error is made of.
var vocabulary = func() string {
	var b strings.Builder
	for _, in := range []string{"", "!", encodeToken("x"), encodeToken(`{}`), encodeToken(`{"token":"t"}`),
		encodeToken(`{"token":"t","expDate":"x"}`), strings.Repeat("A", license.MaxTokenLength+1)} {
		_, err := license.ParseToken(in)
		b.WriteString(err.Error())
		b.WriteByte('\n')
	}
	return b.String()
}()

// innerToken decodes the token field of an sToken, if there is one.
func innerToken(s string) string {
	s = strings.TrimSpace(s)
	raw, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		if raw, err = base64.RawStdEncoding.DecodeString(s); err != nil {
			return ""
		}
	}
	var body struct {
		Token string `json:"token"`
	}
	if json.Unmarshal(raw, &body) != nil {
		return ""
	}
	return body.Token
}
