package license

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/mdmkit/mdmkit/mdm"
)

// Redacted is what the secret part of a token prints as.
const Redacted = "[redacted]"

// MaxTokenLength bounds an sToken, so hostile input cannot make parsing expensive.
// Apple's tokens are a few hundred bytes.
const MaxTokenLength = 64 << 10

// ExpDateLayout is the layout of an sToken's expDate: ISO 8601 with a numeric
// offset and no colon, e.g. "2014-08-15T18:13:52-0700" (L1). RFC 3339
// ("...Z", "+00:00") is accepted too.
const ExpDateLayout = "2006-01-02T15:04:05-0700"

// Token is an Apple Apps and Books location token (an sToken, L1): what it says
// about itself (organisation, expiry) and the secret the store API needs as its
// bearer credential.
//
// A Token is a secret. Every way of printing it shows at most the organisation,
// the expiry and Redacted: String, every fmt verb (%v, %+v, %#v, %s, %q, %x, ...),
// JSON, and slog. Errors about a token never contain its text. Only Reveal returns
// the sToken, for the Authorization header of a store request.
//
// The zero Token is not a token: its State is invalid.
type Token struct {
	raw   string // the sToken as uploaded, trimmed: the bearer credential
	org   string
	exp   time.Time
	state mdm.TokenState // learned from the store; TokenValid when nothing was learned
	// orgSafe is false when the organisation name shares text with the secret,
	// so printing it could leak part of the token.
	orgSafe bool
}

// ParseToken reads an sToken: the base64 of a JSON object {"token", "expDate",
// "orgName"}, expDate in ISO 8601 with offset (L1). Surrounding white space is
// ignored (token files often end with a newline). A malformed token is a
// *mdm.ValidationError wrapping ErrMalformedToken whose text never holds any part
// of the input.
func ParseToken(sToken string) (Token, error) {
	s := strings.TrimSpace(sToken)
	if s == "" {
		return Token{}, malformed("is empty")
	}
	if len(s) > MaxTokenLength {
		return Token{}, malformed(fmt.Sprintf("is %d bytes, over the %d-byte limit", len(s), MaxTokenLength))
	}
	raw, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		if raw, err = base64.RawStdEncoding.DecodeString(s); err != nil {
			return Token{}, malformed("is not base64")
		}
	}
	var body struct {
		Token   *string `json:"token"`
		ExpDate *string `json:"expDate"`
		OrgName string  `json:"orgName"`
	}
	// The decoder's own messages may quote the input, so only our words go out.
	if err := json.Unmarshal(raw, &body); err != nil {
		return Token{}, malformed("does not hold a JSON object with token, expDate and orgName")
	}
	if body.Token == nil || *body.Token == "" {
		return Token{}, malformed("has no token field")
	}
	if body.ExpDate == nil || *body.ExpDate == "" {
		return Token{}, malformed("has no expDate field")
	}
	exp, ok := parseExpDate(*body.ExpDate)
	if !ok {
		// The value is not quoted: nothing from inside a secret goes into an error.
		return Token{}, malformed("has an expDate that is not ISO 8601 with offset, like 2014-08-15T18:13:52-0700")
	}
	t := Token{raw: s, org: body.OrgName, exp: exp}
	t.orgSafe = !sharesText(t.org, *body.Token) && !sharesText(t.org, s)
	return t, nil
}

func malformed(reason string) error {
	return invalid("sToken", "", "L1", ErrMalformedToken, reason,
		"upload the token file exactly as downloaded from Apple Business Manager or Apple School Manager")
}

// parseExpDate accepts Apple's layout and RFC 3339.
func parseExpDate(s string) (time.Time, bool) {
	if t, err := time.Parse(ExpDateLayout, s); err == nil {
		return t, true
	}
	t, err := time.Parse(time.RFC3339, s)
	return t, err == nil
}

// scrubWindow is the shortest piece of a secret that sharesText still recognises.
const scrubWindow = 8

// sharesText reports whether text contains the secret or any scrubWindow-byte
// piece of it (or, for a secret shorter than that, the secret itself).
func sharesText(text, secret string) bool {
	if text == "" || secret == "" {
		return false
	}
	if len(secret) < scrubWindow {
		return strings.Contains(text, secret)
	}
	for i := 0; i+scrubWindow <= len(secret); i++ {
		if strings.Contains(text, secret[i:i+scrubWindow]) {
			return true
		}
	}
	return false
}

// OrgName is the organisation the token belongs to, as the token states it.
func (t Token) OrgName() string { return t.org }

// ExpDate is when the token expires.
func (t Token) ExpDate() time.Time { return t.exp }

// IsZero reports whether t holds no token.
func (t Token) IsZero() bool { return t.raw == "" }

// Reveal returns the sToken, for the Authorization header of a store request.
// It is the only way to read the secret; never log what it returns.
func (t Token) Reveal() string { return t.raw }

// State is the token's state at now (L1): the state the store last reported
// (SetState: invalid, assignedToExternalMDM, duplicate, expired), else expired from
// its expDate on, else valid. The zero Token is invalid.
func (t Token) State(now time.Time) mdm.TokenState {
	switch {
	case t.raw == "":
		return mdm.TokenInvalid
	case t.state != mdm.TokenValid:
		return t.state
	case !now.Before(t.exp):
		return mdm.TokenExpired
	}
	return mdm.TokenValid
}

// SetState records a state the store reported during sync (L1, L3): invalid
// (401, 9622, 9625), expired (9621, even before the date), assignedToExternalMDM
// (another service claimed the token), duplicate. TokenValid forgets what was
// recorded, e.g. after the service took control back; the date still decides
// expiry.
func (t *Token) SetState(s mdm.TokenState) error {
	if _, err := s.MarshalText(); err != nil {
		return invalid("tokenState", s.String(), "L1", mdm.ErrUnknownEnum, "is not a token state",
			"use one of the mdm.Token* states")
	}
	t.state = s
	return nil
}

// Validate checks that a token just uploaded can be used at now under the
// policy's token lifetime (L1): it must not have expired, and it must not claim
// to be valid for longer than Policy.TokenLifetime (plus a day for time zones),
// which no token downloaded from Apple does.
func (t Token) Validate(now time.Time, p *mdm.Policy) error {
	if t.raw == "" {
		return malformed("is empty")
	}
	if !now.Before(t.exp) {
		return invalid("sToken.expDate", t.exp.UTC().Format(ExpDateLayout), "L1", ErrTokenLifetime,
			"has passed", "download a new token from Apple Business Manager or Apple School Manager")
	}
	if p != nil && t.exp.Sub(now) > p.TokenLifetime+24*time.Hour {
		return invalid("sToken.expDate", t.exp.UTC().Format(ExpDateLayout), "L1", ErrTokenLifetime,
			fmt.Sprintf("is more than the token lifetime (%s) away", p.TokenLifetime),
			"upload a token downloaded from Apple, or set Policy.TokenLifetime to the lifetime your tokens have")
	}
	return nil
}

// String shows the organisation and expiry, never the secret.
func (t Token) String() string {
	if t.raw == "" {
		return "sToken(none)"
	}
	org := t.org
	if !t.orgSafe {
		org = Redacted
	}
	return fmt.Sprintf("sToken(orgName=%q, expDate=%s, token=%s)", org, t.exp.UTC().Format(ExpDateLayout), Redacted)
}

// GoString is String: %#v shows no more than %v.
func (t Token) GoString() string { return t.String() }

// Format prints String for every verb, so no verb (%x, %d, %#v, ...) can reach
// the fields.
func (t Token) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, t.String()) }

// LogValue shows the organisation and expiry in slog; the token is Redacted.
func (t Token) LogValue() slog.Value {
	org := t.org
	if !t.orgSafe {
		org = Redacted
	}
	return slog.GroupValue(slog.String("orgName", org), slog.Time("expDate", t.exp), slog.String("token", Redacted))
}

// tokenJSON is the JSON form of a Token: what it says about itself, the secret
// redacted.
type tokenJSON struct {
	OrgName string    `json:"orgName"`
	ExpDate time.Time `json:"expDate"`
	Token   string    `json:"token"`
}

// MarshalJSON writes {"orgName", "expDate", "token": "[redacted]"}: a report or a
// log line may carry a token, the secret stays out. Store the sToken itself
// (Reveal) where it must be kept.
func (t Token) MarshalJSON() ([]byte, error) {
	org := t.org
	if !t.orgSafe {
		org = Redacted
	}
	return json.Marshal(tokenJSON{OrgName: org, ExpDate: t.exp, Token: Redacted})
}

// UnmarshalJSON refuses: the JSON form of a Token holds no secret, so a token
// cannot come back from it. Keep the sToken and use ParseToken.
func (t *Token) UnmarshalJSON([]byte) error {
	return invalid("sToken", "", "L1", ErrMalformedToken, "cannot be restored from its redacted JSON form",
		"keep the sToken text itself and read it with ParseToken")
}
