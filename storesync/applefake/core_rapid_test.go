package applefake_test

import (
	"slices"
	"testing"

	"github.com/mdmkit/mdmkit/storesync/apple"
	"github.com/mdmkit/mdmkit/storesync/applefake"
	"pgregory.net/rapid"
)

// modelPair is one license holder in the model.
type modelPair struct {
	asset   string
	user    bool
	subject string
}

// TestCore_CountingModel runs random manage, purchase, refund and user operations
// against the core and a plain model of Apple's counting, checking after every step:
// the assignments are the model's, assigned equals the number of assignments,
// available is max(0, total-assigned), and assigned never exceeds total except by a
// refund (L18, L19, L11).
func TestCore_CountingModel(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		core := applefake.NewCore(applefake.Config{PageSize: 3, Limits: map[string]int{"maxSerialNumbers": 3, "maxClientUserIds": 3}})
		uid := core.AddLocation("model")
		tok, _ := core.IssueToken(uid, expires)
		assets := map[string]apple.ProductType{"a1": apple.ProductApp, "a2": apple.ProductApp, "b1": apple.ProductBook}
		total := map[string]int{}
		for _, id := range []string{"a1", "a2", "b1"} {
			n := rapid.IntRange(0, 3).Draw(t, "total-"+id)
			app := assets[id] == apple.ProductApp
			if err := core.AddAsset(uid, applefake.AssetSpec{AdamID: id, ProductType: assets[id], DeviceAssignable: app, Revocable: app, Total: n}); err != nil {
				t.Fatal(err)
			}
			total[id] = n
		}
		held := map[modelPair]bool{}
		// S5 sinceVersionId: the step at which each held pair was last made, and
		// the versionIds read at earlier checks with the step they were read at.
		step, madeAt := 0, map[modelPair]int{}
		type seen struct {
			version string
			step    int
		}
		var versions []seen
		registered := map[string]bool{}
		refunded := map[string]bool{}
		subjects := rapid.SampledFrom([]string{"s1", "s2", "s3", "s4"})
		userIDs := rapid.SampledFrom([]string{"u1", "u2", "u3"})
		assigned := func(id string) int {
			n := 0
			for p := range held {
				if p.asset == id {
					n++
				}
			}
			return n
		}
		t.Repeat(map[string]func(*rapid.T){
			"associate": func(t *rapid.T) {
				id := rapid.SampledFrom([]string{"a1", "a2", "b1"}).Draw(t, "asset")
				user := rapid.Bool().Draw(t, "user") || assets[id] == apple.ProductBook
				var subs []string
				if user {
					subs = rapid.SliceOfNDistinct(userIDs, 1, 3, rapid.ID).Draw(t, "users")
				} else {
					subs = rapid.SliceOfNDistinct(subjects, 1, 4, rapid.ID).Draw(t, "serials")
				}
				req := apple.ManageAssetsRequest{Assets: []apple.Asset{{AdamID: id}}}
				if user {
					req.ClientUserIDs = subs
				} else {
					req.SerialNumbers = subs
				}
				_, err := core.Associate(t0, tok, req)
				if len(subs) > 3 { // over the limit: nothing done (L11 9602)
					if err == nil {
						t.Fatal("over-limit batch accepted")
					}
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				for _, s := range subs {
					p := modelPair{id, user, s}
					switch {
					case user && !registered[s]: // 9609
					case held[p]: // L19
					case total[id]-assigned(id) <= 0: // 9709
					default:
						held[p] = true
						step++
						madeAt[p] = step
					}
				}
			},
			"disassociate": func(t *rapid.T) {
				id := rapid.SampledFrom([]string{"a1", "a2"}).Draw(t, "asset")
				user := rapid.Bool().Draw(t, "user")
				var subs []string
				if user {
					subs = rapid.SliceOfNDistinct(userIDs, 1, 3, rapid.ID).Draw(t, "users")
				} else {
					subs = rapid.SliceOfNDistinct(subjects, 1, 3, rapid.ID).Draw(t, "serials")
				}
				req := apple.ManageAssetsRequest{Assets: []apple.Asset{{AdamID: id}}}
				if user {
					req.ClientUserIDs = subs
				} else {
					req.SerialNumbers = subs
				}
				if _, err := core.Disassociate(t0, tok, req); err != nil {
					t.Fatal(err)
				}
				for _, s := range subs {
					delete(held, modelPair{id, user, s})
				}
			},
			"revokeBook": func(t *rapid.T) {
				_, err := core.Disassociate(t0, tok, users(apple.Asset{AdamID: "b1"}, "u1"))
				if err == nil {
					t.Fatal("a book was revocable (L8)")
				}
			},
			"buy": func(t *rapid.T) {
				id := rapid.SampledFrom([]string{"a1", "a2", "b1"}).Draw(t, "asset")
				n := rapid.IntRange(1, 2).Draw(t, "n")
				if err := core.BuyLicenses(uid, apple.Asset{AdamID: id}, n); err != nil {
					t.Fatal(err)
				}
				total[id] += n
			},
			"refund": func(t *rapid.T) {
				id := rapid.SampledFrom([]string{"a1", "a2", "b1"}).Draw(t, "asset")
				if total[id] == 0 {
					return
				}
				if err := core.Refund(uid, apple.Asset{AdamID: id}, 1); err != nil {
					t.Fatal(err)
				}
				total[id]--
				refunded[id] = true
			},
			"createUser": func(t *rapid.T) {
				u := userIDs.Draw(t, "user")
				if _, err := core.CreateUsers(t0, tok, apple.ManageUsersRequest{Users: []apple.RequestUser{{ClientUserID: u}}}); err != nil {
					t.Fatal(err)
				}
				registered[u] = true
			},
			"retireUser": func(t *rapid.T) {
				u := userIDs.Draw(t, "user")
				if _, err := core.RetireUsers(t0, tok, apple.ManageUsersRequest{Users: []apple.RequestUser{{ClientUserID: u}}}); err != nil {
					t.Fatal(err)
				}
				if registered[u] {
					for p := range held {
						if p.user && p.subject == u && assets[p.asset] == apple.ProductApp {
							delete(held, p)
						}
					}
				}
				delete(registered, u)
			},
			"": func(t *rapid.T) {
				recs := core.AssignmentRecords(uid)
				if len(recs) != len(held) {
					t.Fatalf("core has %d assignments, model %d", len(recs), len(held))
				}
				// Records come sorted by asset, then devices before users, then
				// subject, each once.
				key := func(r applefake.AssignmentRecord) string {
					kind := "d"
					if r.ClientUserID != "" {
						kind = "u"
					}
					return r.AdamID + "\x00" + kind + "\x00" + r.ClientUserID + r.SerialNumber
				}
				for i := 1; i < len(recs); i++ {
					if key(recs[i-1]) >= key(recs[i]) {
						t.Fatalf("records out of order: %+v before %+v", recs[i-1], recs[i])
					}
				}
				for _, r := range recs {
					p := modelPair{r.AdamID, r.ClientUserID != "", r.ClientUserID + r.SerialNumber}
					if !held[p] {
						t.Fatalf("core holds %+v, model does not", r)
					}
				}
				for id := range assets {
					r, _ := core.AssetRecord(uid, apple.Asset{AdamID: id})
					n := assigned(id)
					if r.AssignedCount != n || r.TotalCount != total[id] || r.AvailableCount != max(0, total[id]-n) {
						t.Fatalf("%s: core %+v, model assigned %d total %d", id, r, n, total[id])
					}
					if n > total[id] && !refunded[id] { // L18
						t.Fatalf("%s: %d assigned of %d without a refund", id, n, total[id])
					}
				}
				// Paged reads agree with the records.
				l, err := applefake.NewDirect(core, tok, func() timeT { return t0 }).Assignments(ctxb, apple.AssignmentsQuery{})
				if err != nil || len(l.Items) != len(recs) {
					t.Fatalf("paged read: %v, %d items", err, len(recs))
				}
				// A read since an earlier versionId lists exactly the pairs made
				// after it, in the same order (S5).
				d := applefake.NewDirect(core, tok, func() timeT { return t0 })
				for _, v := range versions {
					delta, err := d.Assignments(ctxb, apple.AssignmentsQuery{SinceVersionID: v.version})
					if err != nil {
						t.Fatalf("read since %s: %v", v.version, err)
					}
					var want []string
					for _, r := range recs {
						if madeAt[modelPair{r.AdamID, r.ClientUserID != "", r.ClientUserID + r.SerialNumber}] > v.step {
							want = append(want, key(applefake.AssignmentRecord{Assignment: r.Assignment}))
						}
					}
					var got []string
					for _, a := range delta.Items {
						got = append(got, key(applefake.AssignmentRecord{Assignment: a}))
					}
					if !slices.Equal(got, want) {
						t.Fatalf("read since %s (step %d): got %v, want %v", v.version, v.step, got, want)
					}
				}
				versions = append(versions, seen{l.VersionID, step})
			},
		})
	})
}
