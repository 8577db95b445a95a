package sim

import (
	"errors"
	"strings"
	"testing"
)

// Comments are blanked byte for byte: lines and columns stay, strings that
// hold "//" or "/*" are left alone, and a block comment left open is refused.
func TestStripComments(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`{"a": 1}`, `{"a": 1}`},
		{"{\"a\": 1} // note", "{\"a\": 1}        "},
		{"{// x\n\"a\": 1}", "{    \n\"a\": 1}"},
		{"{/* a\nb */\"a\": 1}", "{    \n    \"a\": 1}"},
		{`{"url": "https://x/*y*/"}`, `{"url": "https://x/*y*/"}`},
		{`{"q": "say \"//\" here"} /**/`, `{"q": "say \"//\" here"}     `},
		{`{"a": 1 / 2}`, `{"a": 1 / 2}`}, // not a comment: JSON's own error follows
	} {
		got, open := stripComments([]byte(tc.in))
		if string(got) != tc.want || open >= 0 {
			t.Errorf("stripComments(%q) = %q, %d; want %q", tc.in, got, open, tc.want)
		}
	}
	in := []byte("{\n  /* open")
	if got, open := stripComments(in); open != 4 || string(got) != string(in) {
		t.Errorf("open comment: %q, %d", got, open)
	}
}

// A commented scenario decodes as the same scenario without comments, and an
// error after a comment names the right line and column.
func TestDecodeScenario_comments(t *testing.T) {
	plain := readSmall(t)
	commented := strings.Replace(string(plain), "{", "{ // the small scenario\n/* two\n lines */", 1)
	a, err := DecodeScenario(plain)
	if err != nil {
		t.Fatal(err)
	}
	b, err := DecodeScenario([]byte(commented))
	if err != nil {
		t.Fatalf("commented scenario refused: %v", err)
	}
	if a.Name != b.Name || a.Fleet.Devices != b.Fleet.Devices || len(a.Timeline) != len(b.Timeline) {
		t.Fatalf("decoded differently: %+v vs %+v", a, b)
	}
	_, err = DecodeScenario([]byte("{\n  // a comment\n  \"duration\": \"3x\" /* why */\n}"))
	if err == nil || !strings.HasPrefix(err.Error(), "3:15: duration \"3x\"") {
		t.Fatalf("error %v: want it at 3:15", err)
	}
	_, err = DecodeScenario([]byte("{\n  \"duration\": \"3d\" /* never closed\n}"))
	if !errors.Is(err, ErrInvalidScenario) || !strings.HasPrefix(err.Error(), "2:20: scenario has a /* comment that is never closed") {
		t.Fatalf("open comment: %v", err)
	}
}

// A syntax error is placed on the unexpected byte: a missing comma shows where
// the next member starts.
func TestDecodeScenario_syntaxPlace(t *testing.T) {
	_, err := DecodeScenario([]byte("{\n  \"name\": \"x\"\n  \"seed\": 3\n}"))
	if err == nil || !strings.HasPrefix(err.Error(), "3:3: scenario is not valid JSON: invalid character '\"' after object key:value pair") {
		t.Fatalf("%v: want it at 3:3, the quote after the missing comma", err)
	}
}
