package mdm

import (
	"errors"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// C3: the trial total is checked without overflow. Storage already near the
// int64 maximum plus a package used to wrap to a negative total and pass.
func TestValidateApp_TrialStorageOverflow(t *testing.T) {
	for _, used := range []int64{math.MaxInt64, math.MaxInt64 - 10, math.MaxInt64 - 10*MiB + 1, 3 * GiB, -1} {
		a := validApp(AppTypeWin32)
		err := ValidateApp(&a, AddOptions{Trial: true, StorageUsed: used})
		var ve *ValidationError
		if !errors.Is(err, ErrTrialStorage) || !errors.As(err, &ve) || ve.Field != "package.size" {
			t.Errorf("trial, used %d bytes, 10 MiB package: err = %v, want ErrTrialStorage on package.size", used, err)
			continue
		}
		if used >= 0 && strings.Contains(ve.Reason, "-") {
			t.Errorf("used %d: reason %q shows a wrapped negative total", used, ve.Reason)
		}
	}
	// A policy with no practical trial limit still works at the edge.
	p := DefaultPolicy()
	p.TrialStorageLimit = math.MaxInt64
	a := validApp(AppTypeWin32)
	if err := ValidateApp(&a, AddOptions{Trial: true, StorageUsed: math.MaxInt64 - a.Package.Size, Policy: &p}); err != nil {
		t.Errorf("exactly at a MaxInt64 limit: %v", err)
	}
	if err := ValidateApp(&a, AddOptions{Trial: true, StorageUsed: math.MaxInt64 - a.Package.Size + 1, Policy: &p}); !errors.Is(err, ErrTrialStorage) {
		t.Errorf("one byte over a MaxInt64 limit: %v", err)
	}
}

// Bad input never panics (DESIGN, Errors): a nil pointer is a missing field.
func TestValidate_NilPointers(t *testing.T) {
	w := validApp(AppTypeWin32)
	cases := []struct {
		field string
		call  func() error
	}{
		{"app", func() error { return ValidateApp(nil, AddOptions{}) }},
		{"group", func() error { return ValidateGroup(nil, nil) }},
		{"assignment", func() error { return ValidateAssignment(nil, &w) }},
		{"report", func() error { var r *Report; return r.Validate() }},
		{"policy", func() error { var p *Policy; return p.Validate() }},
		{"apps[1]", func() error { return ValidateGraph([]*App{&w, nil}, nil) }},
	}
	for _, c := range cases {
		t.Run(c.field, func(t *testing.T) {
			var err error
			func() {
				defer func() {
					if r := recover(); r != nil {
						t.Fatalf("panic: %v", r)
					}
				}()
				err = c.call()
			}()
			var ve *ValidationError
			if !errors.As(err, &ve) || !errors.Is(err, ErrMissingField) || ve.Field != c.field {
				t.Errorf("err = %v, want ErrMissingField on %s", err, c.field)
			}
		})
	}
}

// C2: an Android Enterprise system app needs a package id and a publisher; the
// error names the one that is missing (it used to name identifier, with its
// value, when only the publisher was missing).
func TestValidateApp_IdentityFieldNamed(t *testing.T) {
	for _, c := range []struct {
		mut   func(*App)
		field string
	}{
		{func(a *App) { a.Publisher = "" }, "publisher"},
		{func(a *App) { a.Identifier = "" }, "identifier"},
		{func(a *App) { a.Identifier, a.Publisher = "", "" }, "identifier"},
	} {
		a := validApp(AppTypeAndroidEnterpriseSystem)
		c.mut(&a)
		err := ValidateApp(&a, AddOptions{})
		var ve *ValidationError
		if !errors.As(err, &ve) || !errors.Is(err, ErrMissingField) || ve.Field != c.field || ve.Value != "" {
			t.Errorf("err = %v, want ErrMissingField on %s with no value", err, c.field)
		}
	}
}

// C7, C9, C10: duplicate checks of an app's lists take linear time, so a
// hostile app with 100,000 categories or edges is refused (or accepted) at once;
// they used to compare every pair, about 25 s for one such list. The index of
// the first repeat is reported the same way for long and short lists.
func TestValidateApp_LongListsLinear(t *testing.T) {
	const n = 100_000
	build := func(dup bool) []App {
		c, d, s := validApp(AppTypeWin32), validApp(AppTypeWin32), validApp(AppTypeWin32)
		for i := 0; i < n; i++ {
			k := i
			if dup && i == n-1 {
				k = 7
			}
			id := "x" + strconv.Itoa(k)
			c.Categories = append(c.Categories, id)
			d.Dependencies = append(d.Dependencies, Dependency{App: AppID(id)})
			s.Supersedes = append(s.Supersedes, Supersedence{App: AppID(id)})
		}
		return []App{c, d, s}
	}
	fields := []string{"categories[99999]", "dependencies[99999].appId", "supersedes[99999].appId"}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i, a := range build(false) {
			if err := ValidateApp(&a, AddOptions{}); err != nil {
				t.Errorf("list %d without repeats: %v", i, err)
			}
		}
		for i, a := range build(true) {
			err := ValidateApp(&a, AddOptions{})
			var ve *ValidationError
			if !errors.As(err, &ve) || !errors.Is(err, ErrInvalidSetting) || ve.Field != fields[i] || ve.Value != "x7" {
				t.Errorf("list %d with a repeat at the end: err = %v, want ErrInvalidSetting on %s", i, err, fields[i])
			}
		}
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("validating lists of 100,000 entries took over 5 s: duplicate checks are not linear")
	}
}

// C2, C7: an app's text is valid UTF-8, or it would not come back from JSON as
// it went in (encoding/json writes invalid bytes as U+FFFD).
func TestValidateApp_TextUTF8(t *testing.T) {
	const bad = "caf\xe9"
	for _, c := range []struct {
		field string
		mut   func(*App)
	}{
		{"displayName", func(a *App) { a.DisplayName = bad }},
		{"displayVersion", func(a *App) { a.Version = bad }},
		{"publisher", func(a *App) { a.Publisher = bad }},
		{"package.fileName", func(a *App) { a.Package.FileName = bad + ".intunewin" }},
		{"identifier", func(a *App) { a.Identifier = bad }},
		{"requirements.minimumOsVersion", func(a *App) { a.Requirements.MinOSVersion = bad }},
		{"categories[1]", func(a *App) { a.Categories = []string{"Office", bad} }},
	} {
		a := validApp(AppTypeWin32)
		c.mut(&a)
		err := ValidateApp(&a, AddOptions{})
		var ve *ValidationError
		if !errors.As(err, &ve) || !errors.Is(err, ErrInvalidSetting) || ve.Field != c.field {
			t.Errorf("%s = %q: err = %v, want ErrInvalidSetting on %s", c.field, bad, err, c.field)
			continue
		}
		if !utf8.ValidString(ve.Error()) {
			t.Errorf("%s: message %q is not valid UTF-8", c.field, ve.Error())
		}
	}
	a := validApp(AppTypeIOSVPP)
	a.Origin.ProductID = bad
	var ve *ValidationError
	if err := ValidateApp(&a, AddOptions{FromSync: true}); !errors.As(err, &ve) || ve.Field != "origin.productId" {
		t.Errorf("origin.productId = %q: err = %v", bad, err)
	}
	w := validApp(AppTypeWebLink)
	w.URL = "https://contoso.com/" + bad
	if err := ValidateApp(&w, AddOptions{}); !errors.As(err, &ve) || ve.Field != "appUrl" {
		t.Errorf("appUrl = %q: err = %v", w.URL, err)
	}
}
