package storesync_test

import (
	"testing"

	"github.com/mdmkit/mdmkit/mdm"
	"github.com/mdmkit/mdmkit/storesync"
)

// T4, L9, C4: WithAppleVersions gives the catalog entries of apps their App
// Store versions, per platform family; a new version reaches the catalog at
// the next sync; books get none; a version the catalog cannot take is not
// used (S2). Full and incremental syncs alike.
func TestAppleSyncer_T4_Versions(t *testing.T) {
	for _, incremental := range []bool{false, true} {
		name := "full"
		if incremental {
			name = "incremental"
		}
		t.Run(name, func(t *testing.T) {
			w := newWorld(t, worldOpt{})
			w.app(t, "100", 5, "iOS", "macOS")
			w.book(t, "200", 3)
			versions := map[string]string{"ios": "4.1", "macos": "2.0", "book": "9"}
			lookups := 0
			lookup := func(adamID string, typ mdm.AppType) (string, bool) {
				lookups++
				if adamID != "100" && adamID != "200" {
					t.Errorf("asked for the version of adamId %q", adamID)
				}
				switch typ {
				case mdm.AppTypeIOSVPP:
					return versions["ios"], true
				case mdm.AppTypeMacOSVPP:
					return versions["macos"], true
				}
				return versions["book"], true
			}
			opts := []storesync.AppleOption{storesync.WithAppleVersions(lookup)}
			if incremental {
				opts = append(opts, storesync.WithIncrementalSync(0))
			}
			sy, err := storesync.NewAppleSyncer(tok, w.api, w.sink, me, opts...)
			if err != nil {
				t.Fatal(err)
			}
			sync := func() *storesync.Report {
				t.Helper()
				w.now = w.now.Add(1)
				return sy.Sync(ctxb, w.now)
			}
			have := func() map[mdm.AppID]string {
				out := map[mdm.AppID]string{}
				for _, a := range w.sink.Apps() {
					out[a.ID] = a.Version
				}
				return out
			}
			want := func(ios, mac string) {
				t.Helper()
				got := have()
				if got["vpp:tok-1:100:ios"] != ios || got["vpp:tok-1:100:macos"] != mac || got["vpp:tok-1:200:book"] != "" {
					t.Fatalf("versions %v, want iOS %q, macOS %q and none for the book", got, ios, mac)
				}
			}
			if rep := sync(); rep.Err != nil {
				t.Fatal(rep.Err)
			}
			want("4.1", "2.0")
			if lookups != 2 {
				t.Fatalf("%d lookups, want one per app entry (books have no version)", lookups)
			}

			versions["ios"] = "4.2"
			rep := sync()
			if rep.Err != nil {
				t.Fatal(rep.Err)
			}
			want("4.2", "2.0")
			if len(rep.Result.AppsUpdated) != 1 || rep.Result.AppsUpdated[0] != "vpp:tok-1:100:ios" {
				t.Fatalf("updated %v, want the iOS entry alone", rep.Result.AppsUpdated)
			}

			// S2: a version the catalog cannot take (not UTF-8) is not used:
			// the entry keeps the one it has, and the rest of the sync goes on.
			versions["ios"], versions["macos"] = "\xff", "2.1"
			if rep := sync(); rep.Err != nil {
				t.Fatalf("a version that is not UTF-8 failed the sync: %v", rep.Err)
			}
			want("4.2", "2.1")
		})
	}
}

// S2, T4: a version lookup that cannot answer (ok false) leaves the version
// the catalog has. Erasing it would be a version change in the tenant: every
// holder pushed, then pushed again when the next good sync sets it back.
// (Found by review.)
func TestAppleSyncer_S2_FailedVersionLookupKeepsVersion(t *testing.T) {
	w := newWorld(t, worldOpt{})
	w.app(t, "100", 5, "iOS")
	up := true
	lookup := func(adamID string, typ mdm.AppType) (string, bool) { return "4.1", up }
	sy, err := storesync.NewAppleSyncer(tok, w.api, w.sink, me, storesync.WithAppleVersions(lookup))
	if err != nil {
		t.Fatal(err)
	}
	version := func() string {
		for _, a := range w.sink.Apps() {
			if a.ID == "vpp:tok-1:100:ios" {
				return a.Version
			}
		}
		t.Fatal("no app")
		return ""
	}
	for i, ok := range []bool{true, false, true} {
		up = ok
		w.now = w.now.Add(1)
		rep := sy.Sync(ctxb, w.now)
		if rep.Err != nil {
			t.Fatal(rep.Err)
		}
		if got := version(); got != "4.1" {
			t.Fatalf("sync %d (lookup answers: %v): version %q, want 4.1 kept; updated %v", i, ok, got, rep.Result.AppsUpdated)
		}
	}
}
