package storesync_test

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/mdmkit/mdmkit/mdm"
	"github.com/mdmkit/mdmkit/storesync"
	"github.com/mdmkit/mdmkit/storesync/apple"
	"github.com/mdmkit/mdmkit/storesync/memsink"
)

// S3: whatever a store answers, a snapshot built from it either reconciles, and a
// second reconciliation changes nothing (S2), or is refused whole with a typed
// error and nothing written. The input is GET assets and GET assignments JSON.
func FuzzReconcileAppleAnswers(f *testing.F) {
	f.Add([]byte(`{"assets":[{"adamId":"408709785","pricingParam":"STDQ","productType":"App","totalCount":5,"assignedCount":1,`+
		`"availableCount":4,"deviceAssignable":true,"revocable":true,"supportedPlatforms":["iOS","macOS"]}]}`),
		[]byte(`{"assignments":[{"adamId":"408709785","pricingParam":"STDQ","serialNumber":"S1"},{"adamId":"408709785","clientUserId":"u1"}]}`))
	f.Add([]byte(`{"assets":[{"adamId":"1","productType":"Book","totalCount":-1}]}`), []byte(`{"assignments":[{"adamId":"1"}]}`))
	f.Add([]byte(`{"assets":[{"adamId":"\u0001","productType":"App"}]}`), []byte(`{"assignments":[]}`))
	f.Add([]byte(`{"assets":[{"adamId":"7","productType":"App","pricingParam":"PLUS","totalCount":2}]}`),
		[]byte(`{"assignments":[{"adamId":"7","pricingParam":"PLUS","serialNumber":"S1","clientUserId":"u"}]}`))
	f.Fuzz(func(t *testing.T, assetsJSON, assignsJSON []byte) {
		var assets apple.AssetsResponse
		var assigns apple.AssignmentsResponse
		if json.Unmarshal(assetsJSON, &assets) != nil || json.Unmarshal(assignsJSON, &assigns) != nil {
			return
		}
		sink := memsink.New()
		sink.AddToken(tok)
		sink.AddDevice("d1", "S1")
		sink.AddUser("u1", "u1")
		snap := storesync.AppleSnapshot(tok, "apple:1", assets.Assets, assigns.Assignments, nil)
		r, err := storesync.Reconcile(t0, sink, snap, nil)
		if err != nil {
			var ve *mdm.ValidationError
			if !errors.As(err, &ve) || sink.Writes() != 0 {
				t.Fatalf("refused with %v after %d writes", err, sink.Writes())
			}
			return
		}
		writes := sink.Writes()
		again, err := storesync.Reconcile(t0, sink, snap, nil)
		if err != nil || again.Changed() || sink.Writes() != writes {
			t.Fatalf("second reconcile: %v %v (first: %v)", again, err, r)
		}
	})
}
