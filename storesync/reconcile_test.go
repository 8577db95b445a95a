package storesync_test

import (
	"errors"
	"testing"

	"github.com/mdmkit/mdmkit/mdm"
	"github.com/mdmkit/mdmkit/storesync"
	"github.com/mdmkit/mdmkit/storesync/memsink"
)

// S2: Reconcile refuses a nil sink or snapshot with a typed error; it does not
// panic.
func TestReconcile_NilArguments(t *testing.T) {
	sink := memsink.New()
	snap := &storesync.Snapshot{Store: mdm.StoreAppleVPP, Token: tok}
	for name, call := range map[string]func() (*storesync.Result, error){
		"nil sink":     func() (*storesync.Result, error) { return storesync.Reconcile(t0, nil, snap, nil) },
		"nil snapshot": func() (*storesync.Result, error) { return storesync.Reconcile(t0, sink, nil, nil) },
	} {
		r, err := call()
		var ve *mdm.ValidationError
		if r != nil || !errors.Is(err, mdm.ErrMissingField) || !errors.As(err, &ve) {
			t.Errorf("%s: %v, %v", name, r, err)
		}
	}
}
