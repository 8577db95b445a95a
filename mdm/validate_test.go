package mdm

import (
	"errors"
	"math"
	"strings"
	"testing"
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
