package apple

import (
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/mdmkit/mdmkit/license"
)

// Redacted is what a secret prints as (the same text as license.Redacted).
const Redacted = license.Redacted

// Secret is text that is never printed: fmt (every verb, %#v included), slog and
// String all show Redacted. JSON encodes the real text, because the wire needs it.
// Reveal returns it.
type Secret string

func (Secret) String() string             { return Redacted }
func (Secret) GoString() string           { return `"` + Redacted + `"` }
func (Secret) Format(f fmt.State, _ rune) { io.WriteString(f, Redacted) }
func (Secret) LogValue() slog.Value       { return slog.StringValue(Redacted) }
func (s Secret) Reveal() string           { return string(s) }

// ErrMalformedToken is wrapped by every sToken parse failure. It is
// license.ErrMalformedToken: package license holds the one sToken parser.
var ErrMalformedToken = license.ErrMalformedToken

// MaxTokenLength bounds an sToken, so hostile input cannot make parsing expensive.
const MaxTokenLength = license.MaxTokenLength

// TokenInfo is what an sToken says about itself (L1). The secret part is not kept.
type TokenInfo struct {
	OrgName string
	ExpDate time.Time
}

// Expired reports whether the token's date has passed at now.
func (t TokenInfo) Expired(now time.Time) bool { return !now.Before(t.ExpDate) }

// ParseSToken reads an sToken: base64 of a JSON object {"token","expDate","orgName"}
// with expDate in ISO 8601 with offset (L1). It delegates to license.ParseToken, the
// one parser, and keeps only what the token says about itself; use license.Token
// where the secret must be kept. Errors never contain the token text.
func ParseSToken(sToken string) (TokenInfo, error) {
	t, err := license.ParseToken(sToken)
	if err != nil {
		return TokenInfo{}, err
	}
	return TokenInfo{OrgName: t.OrgName(), ExpDate: t.ExpDate()}, nil
}

// scrubWindow is the shortest piece of a secret that scrub still recognises.
const scrubWindow = 8

// scrub removes the secret from s. Text that came from the server is scrubbed before
// it is put into an error, in case a faulty server echoes the token: every whole
// occurrence is replaced by Redacted, and if a piece of it is still there (a body cut
// mid-token), the whole text is withheld.
func scrub(s, secret string) string {
	if secret == "" || s == "" {
		return s
	}
	s = strings.ReplaceAll(s, secret, Redacted)
	if len(secret) < scrubWindow {
		return s
	}
	for i := 0; i+scrubWindow <= len(secret); i++ {
		if strings.Contains(s, secret[i:i+scrubWindow]) {
			return Redacted + " (server text withheld: it contained part of the token)"
		}
	}
	return s
}
