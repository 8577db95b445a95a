package apple

import (
	"errors"
	"fmt"
	"testing"

	"github.com/mdmkit/mdmkit/mdm"
	"pgregory.net/rapid"
)

type pair struct {
	asset   Asset
	user    bool
	subject string
}

// S5: every (asset, subject) pair of the input is in exactly one request, and every
// request is within the limits.
func TestSplitManageAssets_Property(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		lim := BatchLimits{
			MaxAssets:        rapid.IntRange(1, 4).Draw(t, "maxAssets"),
			MaxSerialNumbers: rapid.IntRange(1, 5).Draw(t, "maxSerials"),
			MaxClientUserIDs: rapid.IntRange(1, 5).Draw(t, "maxUsers"),
		}
		id := func(prefix string, n int) *rapid.Generator[string] {
			return rapid.Map(rapid.IntRange(0, n), func(i int) string { return fmt.Sprintf("%s%d", prefix, i) })
		}
		assetIDs := rapid.SliceOfN(id("a", 12), 1, 12).Draw(t, "assets")
		serials := rapid.SliceOfN(id("s", 15), 0, 15).Draw(t, "serials")
		users := rapid.SliceOfN(id("u", 15), 0, 15).Draw(t, "users")
		if len(serials)+len(users) == 0 {
			serials = []string{"s0"}
		}
		req := ManageAssetsRequest{SerialNumbers: serials, ClientUserIDs: users}
		for _, a := range assetIDs {
			req.Assets = append(req.Assets, Asset{AdamID: a})
		}
		want := map[pair]bool{}
		for _, a := range req.Assets {
			for _, s := range serials {
				want[pair{a, false, s}] = true
			}
			for _, u := range users {
				want[pair{a, true, u}] = true
			}
		}
		batches, err := SplitManageAssets(req, lim)
		if err != nil {
			t.Fatal(err)
		}
		got := map[pair]int{}
		for _, b := range batches {
			if len(b.Assets) == 0 || len(b.Assets) > lim.MaxAssets || len(b.SerialNumbers) > lim.MaxSerialNumbers ||
				len(b.ClientUserIDs) > lim.MaxClientUserIDs || len(b.SerialNumbers)+len(b.ClientUserIDs) == 0 {
				t.Fatalf("batch out of limits %+v: %+v", lim, b)
			}
			for _, a := range b.Assets {
				for _, s := range b.SerialNumbers {
					got[pair{a, false, s}]++
				}
				for _, u := range b.ClientUserIDs {
					got[pair{a, true, u}]++
				}
			}
		}
		if len(got) != len(want) {
			t.Fatalf("%d pairs sent, %d asked", len(got), len(want))
		}
		for p, n := range got {
			if !want[p] || n != 1 {
				t.Fatalf("pair %+v sent %d times", p, n)
			}
		}
	})
}

func TestSplitManageAssets_Refuses(t *testing.T) {
	cases := map[string]struct {
		req ManageAssetsRequest
		err error
	}{
		"no assets":    {ManageAssetsRequest{SerialNumbers: []string{"s"}}, mdm.ErrMissingField},
		"no subjects":  {ManageAssetsRequest{Assets: []Asset{{AdamID: "1"}}}, mdm.ErrMissingField},
		"empty adamId": {ManageAssetsRequest{Assets: []Asset{{}}, SerialNumbers: []string{"s"}}, mdm.ErrInvalidID},
		"empty serial": {ManageAssetsRequest{Assets: []Asset{{AdamID: "1"}}, SerialNumbers: []string{""}}, mdm.ErrInvalidID},
		"empty user":   {ManageAssetsRequest{Assets: []Asset{{AdamID: "1"}}, ClientUserIDs: []string{"u", ""}}, mdm.ErrInvalidID},
	}
	for name, c := range cases {
		if _, err := SplitManageAssets(c.req, DefaultBatchLimits); !errors.Is(err, c.err) {
			t.Errorf("%s: got %v, want %v", name, err, c.err)
		}
	}
}

func TestSplitManageUsers(t *testing.T) {
	req := ManageUsersRequest{}
	for i := range 7 {
		req.Users = append(req.Users, RequestUser{ClientUserID: fmt.Sprint("u", i%5)})
	}
	got, err := SplitManageUsers(req, BatchLimits{MaxUsers: 2})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || len(got[0].Users) != 2 || len(got[2].Users) != 1 || got[2].Users[0].ClientUserID != "u4" {
		t.Fatalf("got %+v", got)
	}
	if _, err := SplitManageUsers(ManageUsersRequest{}, DefaultBatchLimits); !errors.Is(err, mdm.ErrMissingField) {
		t.Fatal(err)
	}
}

// S5: limits come from service/config; missing or non-positive ones fall back.
func TestServiceConfig_BatchLimits(t *testing.T) {
	sc := ServiceConfig{Limits: map[string]int{"maxAssets": 10, "maxSerialNumbers": 0, "maxUsers": 7}}
	got := sc.BatchLimits()
	want := BatchLimits{MaxAssets: 10, MaxClientUserIDs: 1000, MaxSerialNumbers: 1000, MaxUsers: 7}
	if got != want {
		t.Fatalf("got %+v want %+v", got, want)
	}
}
