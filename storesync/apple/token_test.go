package apple

import (
	"bytes"
	"encoding/base64"
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

// L1: an sToken is base64 of {"token","expDate","orgName"}, expDate ISO 8601 with offset.
func TestParseSToken(t *testing.T) {
	tok := encodeToken(`{"token":"VHlwZSBzZWNyZXQ=","expDate":"2014-08-15T18:13:52-0700","orgName":"Example Org"}`)
	info, err := ParseSToken(tok + "\n")
	if err != nil {
		t.Fatal(err)
	}
	want := time.Date(2014, 8, 16, 1, 13, 52, 0, time.UTC)
	if info.OrgName != "Example Org" || !info.ExpDate.Equal(want) {
		t.Fatalf("got %+v", info)
	}
	if !info.Expired(want) || info.Expired(want.Add(-time.Second)) {
		t.Fatal("a token is expired from its expDate on")
	}
	if s := fmt.Sprintf("%+v", info); strings.Contains(s, "VHlwZSBzZWNyZXQ") {
		t.Fatalf("TokenInfo keeps the secret: %s", s)
	}
}

// L1: a malformed token is a *mdm.ValidationError wrapping ErrMalformedToken, and its
// text never holds the token.
func TestParseSToken_Malformed(t *testing.T) {
	for name, tok := range map[string]string{
		"empty":      "",
		"not base64": "!!!not-base64-at-all-but-long-enough!!!",
		"not json":   encodeToken("secret-token-text-that-is-long"),
		"no token":   encodeToken(`{"expDate":"2014-08-15T18:13:52-0700","orgName":"O"}`),
		"no date":    encodeToken(`{"token":"secret-token-text-xyz","orgName":"O"}`),
		"bad date":   encodeToken(`{"token":"secret-token-text-xyz","expDate":"tomorrow","orgName":"O"}`),
		"raw base64": strings.TrimRight(encodeToken(`{"token":"t","expDate":"bad"}`), "="),
		"too long":   strings.Repeat("A", MaxTokenLength+4),
	} {
		_, err := ParseSToken(tok)
		var ve *mdm.ValidationError
		if !errors.As(err, &ve) || !errors.Is(err, ErrMalformedToken) || ve.Rule != "L1" {
			t.Errorf("%s: got %v", name, err)
			continue
		}
		if strings.Contains(err.Error(), "secret-token-text") || (len(tok) > 8 && strings.Contains(err.Error(), tok[:8])) {
			t.Errorf("%s: error reveals the token: %v", name, err)
		}
	}
}

// L1: a Secret prints as [redacted] with every verb, in structs, and in slog.
func TestSecret_NeverPrinted(t *testing.T) {
	s := Secret("notification-shared-secret")
	cfg := ClientConfig{NotificationAuthToken: s, LocationName: "L"}
	var texts []string
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%10s"} {
		texts = append(texts, fmt.Sprintf(verb, s), fmt.Sprintf(verb, cfg), fmt.Sprintf(verb, &cfg))
	}
	var buf bytes.Buffer
	slog.New(slog.NewTextHandler(&buf, nil)).Info("cfg", "secret", s)
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("cfg", "secret", s)
	texts = append(texts, buf.String(), s.String(), s.GoString())
	for _, txt := range texts {
		if strings.Contains(txt, "notification-shared-secret") {
			t.Fatalf("secret printed: %s", txt)
		}
	}
	if s.Reveal() != "notification-shared-secret" {
		t.Fatal("Reveal must return the text")
	}
}

// L1: ParseSToken is license.ParseToken's reading, the one sToken parser: the same
// facts and the same errors.
func TestParseSToken_DelegatesToLicense(t *testing.T) {
	for _, tok := range []string{
		encodeToken(`{"token":"VHlwZSBzZWNyZXQ=","expDate":"2014-08-15T18:13:52-0700","orgName":"Example Org"}`),
		encodeToken(`{"token":"x","expDate":"2030-01-01T00:00:00Z"}`),
		encodeToken(`{"token":"x","expDate":"soon"}`),
		"not base64!",
		"",
	} {
		info, err := ParseSToken(tok)
		want, wantErr := license.ParseToken(tok)
		if (err == nil) != (wantErr == nil) || (err != nil && err.Error() != wantErr.Error()) {
			t.Fatalf("%q: %v, license says %v", tok, err, wantErr)
		}
		if err == nil && (info.OrgName != want.OrgName() || !info.ExpDate.Equal(want.ExpDate())) {
			t.Fatalf("%q: %+v, license says %v", tok, info, want)
		}
	}
	if ErrMalformedToken != license.ErrMalformedToken || Redacted != license.Redacted {
		t.Fatal("apple's sentinel and redaction text are license's")
	}
}
