package mdm

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

// ids: an id is valid UTF-8 without control characters, so that it survives JSON
// unchanged; an accepted id always round-trips, and a message quoting a refused
// id is itself valid UTF-8.
func TestCheckID_UTF8AndControls(t *testing.T) {
	bad := []string{
		"a\xffb",          // invalid byte
		"\xc3",            // truncated sequence
		"\xed\xa0\x80",    // a surrogate encoded in UTF-8
		"a\u0085b",        // NEL, a C1 control
		"a\u009fb",        // APC, a C1 control
		"a\x00b", "a\x7f", // C0 and DEL (already refused)
	}
	for _, id := range bad {
		err := CheckID("id", id)
		var ve *ValidationError
		if !errors.Is(err, ErrInvalidID) || !errors.As(err, &ve) || ve.Field != "id" {
			t.Errorf("CheckID(%q) = %v, want ErrInvalidID on id", id, err)
			continue
		}
		if !utf8.ValidString(ve.Error()) {
			t.Errorf("CheckID(%q): message %q is not valid UTF-8", id, ve.Error())
		}
	}
	for _, id := range []string{"Zoë", "设备-1", "a b", "\u00a0nbsp", "emoji-\U0001F600"} {
		if err := CheckID("id", id); err != nil {
			t.Errorf("CheckID(%q) = %v, want nil", id, err)
		}
		b, _ := json.Marshal(AppID(id))
		var back AppID
		if err := json.Unmarshal(b, &back); err != nil || string(back) != id {
			t.Errorf("id %q did not survive JSON: %q, %v", id, back, err)
		}
	}
	long := "x" + strings.Repeat("é", 200)
	err := CheckID("id", long)
	var ve *ValidationError
	if !errors.As(err, &ve) || !utf8.ValidString(ve.Value) {
		t.Errorf("over-long id: err = %v, value %q must be valid UTF-8", err, ve.Value)
	}
}
