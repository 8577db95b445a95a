package sim

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// Error messages in the report are one line, bounded, and valid UTF-8 when
// cut (a cut inside a character would turn into U+FFFD in the JSON).
func TestOneLine(t *testing.T) {
	if got := oneLine("a\nb"); got != "a; b" {
		t.Fatalf("oneLine = %q", got)
	}
	short := strings.Repeat("x", 600)
	if oneLine(short) != short {
		t.Fatal("a 600-byte message was cut")
	}
	long := strings.Repeat("é", 400) // 800 bytes, 2 per character
	got := oneLine(long)
	if !utf8.ValidString(got) || !strings.HasSuffix(got, "...") || len(got) > 600 {
		t.Fatalf("cut to %d bytes, valid UTF-8 %v: %q", len(got), utf8.ValidString(got), got[len(got)-10:])
	}
}
