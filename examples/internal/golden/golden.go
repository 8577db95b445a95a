// Package golden compares a program's output with a golden file, for the
// examples' tests. Run a test with -update to rewrite the file after a
// deliberate change, then read the diff before committing it.
package golden

import (
	"flag"
	"os"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files with the output of this run")

// Check fails t when got differs from the file at path, printing got; with
// -update it writes got to the file instead.
func Check(t testing.TB, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run the test with -update to create it)", err)
	}
	if string(got) != string(want) {
		t.Fatalf("output differs from %s (go test -update to accept it)\n--- got\n%s", path, got)
	}
}
