package applefake_test

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/mdmkit/mdmkit/storesync/apple"
	"github.com/mdmkit/mdmkit/storesync/applefake"
)

// L11, L19: device licenses are counted; assigning again is idempotent; with nothing
// available the pair fails with 9709 in the event and nothing is consumed.
func TestCore_AssociateCounting(t *testing.T) {
	f := newFixture(t, applefake.Config{})
	ev, err := f.core.Associate(t0, f.token, devices(appA, "S1", "S2"))
	must(t, err)
	if st := f.status(t, ev); st.EventStatus != apple.EventComplete || st.NumCompleted != 2 || st.NumRequested != 2 {
		t.Fatalf("status %+v", st)
	}
	if got := f.counts(t, appA); got != [3]int{2, 0, 2} {
		t.Fatalf("counts %v", got)
	}
	ev, err = f.core.Associate(t0, f.token, devices(appA, "S1")) // L19
	must(t, err)
	if st := f.status(t, ev); st.EventStatus != apple.EventComplete || f.counts(t, appA) != [3]int{2, 0, 2} {
		t.Fatalf("re-assigning: %+v %v", st, f.counts(t, appA))
	}
	ev, err = f.core.Associate(t0, f.token, devices(appA, "S3", "S1"))
	must(t, err)
	st := f.status(t, ev)
	want := []apple.ErrorResponse{{ErrorNumber: apple.ErrNotEnoughLicenses, ErrorMessage: apple.ErrNotEnoughLicenses.Message(),
		ErrorInfo: &apple.ErrorInfo{Assets: []apple.Asset{appA}, SerialNumbers: []string{"S3"}}}}
	if st.EventStatus != apple.EventFailed || st.NumCompleted != 1 || cmp.Diff(want, st.Failures) != "" {
		t.Fatalf("status %+v: %s", st, cmp.Diff(want, st.Failures))
	}
	if f.counts(t, appA) != [3]int{2, 0, 2} {
		t.Fatalf("counts %v", f.counts(t, appA))
	}
}

// L11: a batch over the service/config limits is 9602 and nothing is done.
func TestCore_BatchOverLimitNothingDone(t *testing.T) {
	f := newFixture(t, applefake.Config{Limits: map[string]int{"maxSerialNumbers": 2, "maxAssets": 1, "maxClientUserIds": 1}})
	before := f.core.AssignmentRecords(f.uid)
	page, err := f.core.Assets(t0, f.token, apple.AssetsQuery{}, 0)
	must(t, err)
	for name, req := range map[string]apple.ManageAssetsRequest{
		"serials": devices(appA, "S1", "S2", "S3"),
		"assets":  {Assets: []apple.Asset{appA, userAppC}, SerialNumbers: []string{"S1"}},
		"users":   users(userAppC, "u1", "u2"),
		"dups":    devices(appA, "S1", "S1"),
	} {
		_, err := f.core.Associate(t0, f.token, req)
		wantAPIError(t, err, apple.ErrInvalidArgument, 400)
		if !errors.Is(err, apple.ErrInvalidArgument) {
			t.Fatalf("%s: %v", name, err)
		}
	}
	after, err := f.core.Assets(t0, f.token, apple.AssetsQuery{}, 0)
	must(t, err)
	if d := cmp.Diff(before, f.core.AssignmentRecords(f.uid)); d != "" || after.VersionID != page.VersionID {
		t.Fatalf("something changed: %s, version %s -> %s", d, page.VersionID, after.VersionID)
	}
}

// L8, L11: books are never revocable (9607), and a refused request revokes nothing,
// not even its revocable assets.
func TestCore_BooksNeverRevocable(t *testing.T) {
	f := newFixture(t, applefake.Config{})
	f.createUsers(t, "u1")
	_, err := f.core.Associate(t0, f.token, apple.ManageAssetsRequest{Assets: []apple.Asset{bookB, userAppC}, ClientUserIDs: []string{"u1"}})
	must(t, err)
	_, err = f.core.Disassociate(t0, f.token, users(bookB, "u1"))
	ae := wantAPIError(t, err, apple.ErrLicenseIrrevocable, 400)
	if len(ae.Info.Assets) != 1 || ae.Info.Assets[0] != bookB {
		t.Fatalf("errorInfo %+v", ae.Info)
	}
	_, err = f.core.Disassociate(t0, f.token, apple.ManageAssetsRequest{Assets: []apple.Asset{userAppC, bookB}, ClientUserIDs: []string{"u1"}})
	wantAPIError(t, err, apple.ErrLicenseIrrevocable, 400)
	if f.counts(t, bookB)[0] != 1 || f.counts(t, userAppC)[0] != 1 {
		t.Fatalf("something was revoked: book %v app %v", f.counts(t, bookB), f.counts(t, userAppC))
	}
}

// L4, L11: books and user-only apps cannot go to a device (9628), nothing done.
func TestCore_DeviceAssignmentNotAllowed(t *testing.T) {
	f := newFixture(t, applefake.Config{})
	for _, a := range []apple.Asset{bookB, userAppC} {
		_, err := f.core.Associate(t0, f.token, apple.ManageAssetsRequest{Assets: []apple.Asset{appA, a}, SerialNumbers: []string{"S1"}})
		wantAPIError(t, err, apple.ErrDeviceAssignmentNotAllowed, 400)
	}
	if len(f.core.AssignmentRecords(f.uid)) != 0 {
		t.Fatal("a refused request assigned something")
	}
}

// L11: associating a user license to an unregistered clientUserId fails with 9609;
// once the user is created it succeeds.
func TestCore_UnregisteredUser(t *testing.T) {
	f := newFixture(t, applefake.Config{})
	ev, err := f.core.Associate(t0, f.token, users(userAppC, "ghost"))
	must(t, err)
	st := f.status(t, ev)
	if st.EventStatus != apple.EventFailed || st.Failures[0].ErrorNumber != apple.ErrRegisteredUserNotFound ||
		st.Failures[0].ErrorInfo.ClientUserIDs[0] != "ghost" || !errors.Is(st.Failures[0].Err(), apple.ErrRegisteredUserNotFound) {
		t.Fatalf("status %+v", st)
	}
	f.createUsers(t, "ghost")
	ev, err = f.core.Associate(t0, f.token, users(userAppC, "ghost"))
	must(t, err)
	if st := f.status(t, ev); st.EventStatus != apple.EventComplete || f.counts(t, userAppC)[0] != 1 {
		t.Fatalf("status %+v", st)
	}
}

// L11: revoking a license nobody holds fails with 9619 in the event; other pairs of the
// request are still revoked.
func TestCore_DisassociateNotHeld(t *testing.T) {
	f := newFixture(t, applefake.Config{})
	_, err := f.core.Associate(t0, f.token, devices(appA, "S1"))
	must(t, err)
	ev, err := f.core.Disassociate(t0, f.token, devices(appA, "S1", "S9"))
	must(t, err)
	st := f.status(t, ev)
	if st.EventStatus != apple.EventFailed || st.NumCompleted != 1 || st.Failures[0].ErrorNumber != apple.ErrLicenseNotAssociated ||
		st.Failures[0].ErrorInfo.SerialNumbers[0] != "S9" {
		t.Fatalf("status %+v", st)
	}
	if f.counts(t, appA) != [3]int{0, 2, 2} {
		t.Fatalf("counts %v", f.counts(t, appA))
	}
}

// L11: missing arguments are 9600, unknown assets 9604, unknown events 9604.
func TestCore_MissingAndUnknown(t *testing.T) {
	f := newFixture(t, applefake.Config{})
	_, err := f.core.Associate(t0, f.token, apple.ManageAssetsRequest{SerialNumbers: []string{"S1"}})
	wantAPIError(t, err, apple.ErrMissingArgument, 400)
	_, err = f.core.Associate(t0, f.token, apple.ManageAssetsRequest{Assets: []apple.Asset{appA}})
	wantAPIError(t, err, apple.ErrMissingArgument, 400)
	_, err = f.core.Associate(t0, f.token, devices(apple.Asset{AdamID: "999"}, "S1"))
	ae := wantAPIError(t, err, apple.ErrNotFound, 400)
	if ae.Info.Assets[0].AdamID != "999" {
		t.Fatalf("errorInfo %+v", ae.Info)
	}
	_, err = f.core.EventStatus(t0, f.token, "no-such-event")
	wantAPIError(t, err, apple.ErrNotFound, 400)
	_, err = f.core.CreateUsers(t0, f.token, apple.ManageUsersRequest{})
	wantAPIError(t, err, apple.ErrMissingArgument, 400)
}

// L18: a refund below the assigned count keeps the overage assigned, makes nothing
// available, and refuses new assignments (9709).
func TestCore_Refund(t *testing.T) {
	f := newFixture(t, applefake.Config{})
	_, err := f.core.Associate(t0, f.token, devices(appA, "S1", "S2"))
	must(t, err)
	must(t, f.core.Refund(f.uid, appA, 1))
	r, _ := f.core.AssetRecord(f.uid, appA)
	if r.AssignedCount != 2 || r.AvailableCount != 0 || r.TotalCount != 1 || r.RetiredCount != 1 {
		t.Fatalf("after refund %+v", r)
	}
	_, err = f.core.Disassociate(t0, f.token, devices(appA, "S1"))
	must(t, err)
	ev, err := f.core.Associate(t0, f.token, devices(appA, "S3"))
	must(t, err)
	if st := f.status(t, ev); st.Failures[0].ErrorNumber != apple.ErrNotEnoughLicenses {
		t.Fatalf("status %+v", st)
	}
	must(t, f.core.BuyLicenses(f.uid, appA, 5))
	if f.counts(t, appA) != [3]int{1, 5, 6} {
		t.Fatalf("after buying %v", f.counts(t, appA))
	}
	for _, err := range []error{f.core.Refund(f.uid, appA, 7), f.core.Refund(f.uid, appA, 0), f.core.BuyLicenses(f.uid, appA, -1),
		f.core.Refund(f.uid, apple.Asset{AdamID: "nope"}, 1)} {
		var ae *applefake.AdminError
		if !errors.As(err, &ae) || !errors.Is(err, applefake.ErrAdmin) {
			t.Fatalf("want *AdminError, got %v", err)
		}
	}
	if f.counts(t, appA) != [3]int{1, 5, 6} {
		t.Fatalf("a refused admin call changed counts: %v", f.counts(t, appA))
	}
}

// L1, S4: token states are answered with Apple's numbers and HTTP 401.
func TestCore_TokenStates(t *testing.T) {
	f := newFixture(t, applefake.Config{})
	_, err := f.core.Assets(expires, f.token, apple.AssetsQuery{}, 0) // the date has come
	wantAPIError(t, err, apple.ErrTokenExpired, 401)
	_, err = f.core.Assets(t0, "", apple.AssetsQuery{}, 0)
	wantAPIError(t, err, apple.ErrLoginRequired, 401)
	_, err = f.core.Assets(t0, "forged", apple.AssetsQuery{}, 0)
	wantAPIError(t, err, apple.ErrInvalidToken, 401)

	tok2, err := f.core.IssueToken(f.uid, expires)
	must(t, err)
	must(t, f.core.RevokeToken(tok2))
	_, err = f.core.ClientConfig(t0, tok2)
	wantAPIError(t, err, apple.ErrTokenRevoked, 401)
	must(t, f.core.ExpireToken(f.token))
	_, err = f.core.Associate(t0, f.token, devices(appA, "S1"))
	wantAPIError(t, err, apple.ErrTokenExpired, 401)
	if state, ok := apple.TokenState(err); !ok || state.String() != "expired" {
		t.Fatalf("token state %v %v", state, ok)
	}
	// L1: the token decodes as Apple's format.
	info, err := apple.ParseSToken(f.token)
	if err != nil || info.OrgName != "Example School" || !info.ExpDate.Equal(expires) {
		t.Fatalf("token %+v %v", info, err)
	}
}

// S5: every change moves the versionId of the data sets it touches; reads do not.
// sinceVersionId returns only what changed after it.
func TestCore_VersionIDs(t *testing.T) {
	f := newFixture(t, applefake.Config{})
	read := func() (assets, assigns string) {
		a, err := f.core.Assets(t0, f.token, apple.AssetsQuery{}, 0)
		must(t, err)
		s, err := f.core.Assignments(t0, f.token, apple.AssignmentsQuery{}, 0)
		must(t, err)
		return a.VersionID, s.VersionID
	}
	a0, s0 := read()
	if a1, s1 := read(); a1 != a0 || s1 != s0 {
		t.Fatal("a read changed the versionId")
	}
	_, err := f.core.Associate(t0, f.token, devices(appA, "S1"))
	must(t, err)
	a2, s2 := read()
	if a2 == a0 || s2 == s0 {
		t.Fatal("an assignment must move both versionIds (counts and assignments changed)")
	}
	must(t, f.core.BuyLicenses(f.uid, userAppC, 1))
	if a3, s3 := read(); a3 == a2 || s3 != s2 {
		t.Fatalf("buying licenses moves the assets version only: %s %s", a3, s3)
	}
	_, err = f.core.Associate(t0, f.token, devices(appA, "S2"))
	must(t, err)
	delta, err := f.core.Assignments(t0, f.token, apple.AssignmentsQuery{SinceVersionID: s2}, 0)
	must(t, err)
	if len(delta.Assignments) != 1 || delta.Assignments[0].SerialNumber != "S2" {
		t.Fatalf("since %s: %+v", s2, delta.Assignments)
	}
	for _, bad := range []string{"junk", applefake.VersionID(1 << 40)} {
		_, err = f.core.Assignments(t0, f.token, apple.AssignmentsQuery{SinceVersionID: bad}, 0)
		wantAPIError(t, err, apple.ErrInvalidVersionID, 400)
		if !errors.Is(err, apple.ErrInvalidArgument) {
			t.Fatal("9721 is an invalid argument")
		}
	}
}

// S6, L3: each assignment and user records the service that made it; a claim by
// another service shows in every answer's mdmInfo until control is taken back.
func TestCore_CreatedByAndClaim(t *testing.T) {
	f := newFixture(t, applefake.Config{})
	_, err := f.core.SetClientConfig(t0, f.token, apple.ClientConfigRequest{MdmInfo: &mdmkit})
	must(t, err)
	_, err = f.core.Associate(t0, f.token, devices(appA, "S1"))
	must(t, err)
	must(t, f.core.ClaimToken(f.token, other, false))
	ev, err := f.core.Associate(t0, f.token, devices(appA, "S2"))
	must(t, err)
	if ev.MdmInfo == nil || ev.MdmInfo.ID != other.ID {
		t.Fatalf("answer after the claim carries %+v", ev.MdmInfo)
	}
	f.createUsers(t, "u-other")
	_, err = f.core.SetClientConfig(t0, f.token, apple.ClientConfigRequest{MdmInfo: &mdmkit}) // take control back
	must(t, err)
	cc, err := f.core.ClientConfig(t0, f.token)
	must(t, err)
	if cc.MdmInfo == nil || *cc.MdmInfo != mdmkit {
		t.Fatalf("client config %+v", cc.MdmInfo)
	}
	want := []applefake.AssignmentRecord{
		{Assignment: apple.Assignment{AdamID: "100", PricingParam: "STDQ", SerialNumber: "S1"}, CreatedBy: mdmkit.ID},
		{Assignment: apple.Assignment{AdamID: "100", PricingParam: "STDQ", SerialNumber: "S2"}, CreatedBy: other.ID},
	}
	if d := cmp.Diff(want, f.core.AssignmentRecords(f.uid)); d != "" {
		t.Fatal(d)
	}
	if u := f.core.UserRecords(f.uid); len(u) != 1 || u[0].CreatedBy != other.ID {
		t.Fatalf("users %+v", u)
	}
}

// L3: a claim can lose the previous service's records: its revocable assignments and
// its users; books stay.
func TestCore_ClaimLosesRecords(t *testing.T) {
	f := newFixture(t, applefake.Config{})
	_, err := f.core.SetClientConfig(t0, f.token, apple.ClientConfigRequest{MdmInfo: &mdmkit})
	must(t, err)
	f.createUsers(t, "u1")
	_, err = f.core.Associate(t0, f.token, devices(appA, "S1"))
	must(t, err)
	_, err = f.core.Associate(t0, f.token, users(bookB, "u1"))
	must(t, err)
	must(t, f.core.ClaimToken(f.token, other, true))
	recs := f.core.AssignmentRecords(f.uid)
	if len(recs) != 1 || recs[0].AdamID != bookB.AdamID || f.counts(t, appA)[0] != 0 {
		t.Fatalf("after the claim: %+v", recs)
	}
	if u := f.core.UserRecords(f.uid); u[0].Status != apple.UserRetired {
		t.Fatalf("users %+v", u)
	}
	if err := f.core.ClaimToken(f.token, apple.MdmInfo{}, false); !errors.Is(err, applefake.ErrAdmin) {
		t.Fatal(err)
	}
}

// Users: create (9716 for an active one), list, accept, retire (frees revocable
// licenses, 9609 for an unknown one), re-create.
func TestCore_UsersLifecycle(t *testing.T) {
	f := newFixture(t, applefake.Config{})
	f.createUsers(t, "u1", "u2")
	ev, err := f.core.CreateUsers(t0, f.token, apple.ManageUsersRequest{Users: []apple.RequestUser{{ClientUserID: "u1"}}})
	must(t, err)
	if st := f.status(t, ev); st.Failures[0].ErrorNumber != apple.ErrUserAlreadyExists {
		t.Fatalf("status %+v", st)
	}
	must(t, f.core.AcceptInvite(f.uid, "u2"))
	_, err = f.core.Associate(t0, f.token, apple.ManageAssetsRequest{Assets: []apple.Asset{userAppC, bookB}, ClientUserIDs: []string{"u1"}})
	must(t, err)
	ev, err = f.core.RetireUsers(t0, f.token, apple.ManageUsersRequest{Users: []apple.RequestUser{{ClientUserID: "u1"}, {ClientUserID: "nobody"}}})
	must(t, err)
	if st := f.status(t, ev); st.NumCompleted != 1 || st.Failures[0].ErrorNumber != apple.ErrRegisteredUserNotFound {
		t.Fatalf("status %+v", st)
	}
	if f.counts(t, userAppC)[0] != 0 || f.counts(t, bookB)[0] != 1 {
		t.Fatal("retiring frees the app license and keeps the book (L8)")
	}
	f.createUsers(t, "u1")
	all, err := f.core.Users(t0, f.token, apple.UsersQuery{}, 0)
	must(t, err)
	active, err := f.core.Users(t0, f.token, apple.UsersQuery{ActiveOnly: true}, 0)
	must(t, err)
	var statuses []string
	for _, u := range all.Users {
		statuses = append(statuses, u.ClientUserID+":"+u.Status)
	}
	if d := cmp.Diff([]string{"u1:Retired", "u2:Associated", "u1:Registered"}, statuses); d != "" || len(active.Users) != 2 {
		t.Fatalf("%s, %d active", d, len(active.Users))
	}
	if all.Users[1].IDHash == "" || all.Users[2].InviteCode == "" {
		t.Fatalf("users %+v", all.Users)
	}
}

// S5: pages of a fixed size, numbered from 0, nextPageIndex until the last; 9650
// outside.
func TestCore_Paging(t *testing.T) {
	f := newFixture(t, applefake.Config{PageSize: 2})
	var ids []string
	for i := 0; ; i++ {
		p, err := f.core.Assets(t0, f.token, apple.AssetsQuery{}, i)
		must(t, err)
		if p.CurrentPageIndex != i || p.TotalPages != 2 || p.Size != len(p.Assets) {
			t.Fatalf("page %+v", p.Paging)
		}
		for _, a := range p.Assets {
			ids = append(ids, a.AdamID)
		}
		if p.NextPageIndex == nil {
			break
		}
	}
	if d := cmp.Diff([]string{"100", "200", "300"}, ids); d != "" {
		t.Fatal(d)
	}
	_, err := f.core.Assets(t0, f.token, apple.AssetsQuery{}, 2)
	wantAPIError(t, err, apple.ErrInvalidPageIndex, 400)
	books, err := f.core.Assets(t0, f.token, apple.AssetsQuery{ProductType: apple.ProductBook}, 0)
	must(t, err)
	if len(books.Assets) != 1 || books.Assets[0].Revocable || books.Assets[0].DeviceAssignable {
		t.Fatalf("books %+v", books.Assets)
	}
	empty, err := f.core.Assignments(t0, f.token, apple.AssignmentsQuery{}, 0)
	must(t, err)
	if empty.TotalPages != 1 || empty.NextPageIndex != nil || len(empty.Assignments) != 0 {
		t.Fatalf("empty %+v", empty)
	}
}

// Events report PENDING for the configured latency.
func TestCore_EventLatency(t *testing.T) {
	f := newFixture(t, applefake.Config{EventLatency: time.Minute})
	ev, err := f.core.Associate(t0, f.token, devices(appA, "S1"))
	must(t, err)
	st, _ := f.core.EventStatus(t0.Add(59*time.Second), f.token, ev.EventID)
	if st.EventStatus != apple.EventPending || st.Done() {
		t.Fatalf("status %+v", st)
	}
	st, _ = f.core.EventStatus(t0.Add(time.Minute), f.token, ev.EventID)
	if st.EventStatus != apple.EventComplete || st.NumCompleted != 1 {
		t.Fatalf("status %+v", st)
	}
	other, _ := f.core.IssueToken(f.core.AddLocation("elsewhere"), expires)
	_, err = f.core.EventStatus(t0, other, ev.EventID)
	wantAPIError(t, err, apple.ErrNotFound, 400)
}

// Determinism: the same calls give the same bytes.
func TestCore_Deterministic(t *testing.T) {
	run := func() string {
		f := newFixture(t, applefake.Config{PageSize: 2})
		f.createUsers(t, "u3", "u1", "u2")
		var out []any
		_, err := f.core.Associate(t0, f.token, apple.ManageAssetsRequest{Assets: []apple.Asset{userAppC, appA},
			ClientUserIDs: []string{"u2", "u1", "ghost"}, SerialNumbers: []string{"Z", "A"}})
		if err == nil {
			t.Fatal("userAppC is not device-assignable")
		}
		ev, err := f.core.Associate(t0, f.token, apple.ManageAssetsRequest{Assets: []apple.Asset{userAppC, bookB},
			ClientUserIDs: []string{"u2", "u1", "ghost", "u3"}})
		must(t, err)
		st := f.status(t, ev)
		sc := f.core.ServiceConfig("http://x")
		as, _ := f.core.Assignments(t0, f.token, apple.AssignmentsQuery{}, 1)
		us, _ := f.core.Users(t0, f.token, apple.UsersQuery{}, 0)
		out = append(out, ev, st, sc, as, us, f.core.AssignmentRecords(f.uid))
		b, err := json.Marshal(out)
		must(t, err)
		return string(b)
	}
	if a, b := run(), run(); a != b {
		t.Fatalf("two runs differ:\n%s\n%s", a, b)
	}
}

// Admin calls refuse bad input and change nothing.
func TestCore_AdminRefuses(t *testing.T) {
	f := newFixture(t, applefake.Config{})
	for name, err := range map[string]error{
		"book revocable": f.core.AddAsset(f.uid, applefake.AssetSpec{AdamID: "9", ProductType: apple.ProductBook, Revocable: true}),
		"book device":    f.core.AddAsset(f.uid, applefake.AssetSpec{AdamID: "9", ProductType: apple.ProductBook, DeviceAssignable: true}),
		"duplicate":      f.core.AddAsset(f.uid, applefake.AssetSpec{AdamID: "100", ProductType: apple.ProductApp}),
		"no type":        f.core.AddAsset(f.uid, applefake.AssetSpec{AdamID: "9"}),
		"no location":    f.core.AddAsset("nowhere", applefake.AssetSpec{AdamID: "9", ProductType: apple.ProductApp}),
		"negative":       f.core.AddAsset(f.uid, applefake.AssetSpec{AdamID: "9", ProductType: apple.ProductApp, Total: -1}),
		"remove unknown": f.core.RemoveAsset(f.uid, apple.Asset{AdamID: "9"}),
		"expire unknown": f.core.ExpireToken("nope"),
		"accept unknown": f.core.AcceptInvite(f.uid, "nobody"),
		"bump unknown":   f.core.BumpVersion("nope"),
	} {
		if !errors.Is(err, applefake.ErrAdmin) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, ok := f.core.AssetRecord(f.uid, apple.Asset{AdamID: "9"}); ok {
		t.Fatal("a refused AddAsset added the asset")
	}
	_, err := f.core.IssueToken("nowhere", expires)
	if !errors.Is(err, applefake.ErrAdmin) {
		t.Fatal(err)
	}
}

// S2 scene: an asset removed from the store takes its assignments with it.
func TestCore_RemoveAsset(t *testing.T) {
	f := newFixture(t, applefake.Config{})
	_, err := f.core.Associate(t0, f.token, devices(appA, "S1"))
	must(t, err)
	must(t, f.core.RemoveAsset(f.uid, appA))
	if len(f.core.AssignmentRecords(f.uid)) != 0 {
		t.Fatal("assignments of a removed asset remain")
	}
	p, _ := f.core.Assets(t0, f.token, apple.AssetsQuery{}, 0)
	if len(p.Assets) != 2 {
		t.Fatalf("assets %+v", p.Assets)
	}
}

// L3: client config refuses incomplete mdmInfo and bad notification settings, changing
// nothing.
func TestCore_SetClientConfigRefuses(t *testing.T) {
	f := newFixture(t, applefake.Config{})
	long := string(make([]byte, 101))
	for _, c := range []struct {
		req apple.ClientConfigRequest
		n   apple.ErrorNumber
	}{
		{apple.ClientConfigRequest{MdmInfo: &apple.MdmInfo{Name: "no id"}}, apple.ErrMissingArgument},
		{apple.ClientConfigRequest{MdmInfo: &apple.MdmInfo{ID: long, Name: "n"}}, apple.ErrInvalidArgument},
		{apple.ClientConfigRequest{NotificationURL: "https://x"}, apple.ErrMissingArgument},
		{apple.ClientConfigRequest{NotificationURL: "http://x", NotificationAuthToken: "s"}, apple.ErrInvalidArgument},
	} {
		_, err := f.core.SetClientConfig(t0, f.token, c.req)
		wantAPIError(t, err, c.n, 400)
	}
	if _, ok := f.core.Owner(f.uid); ok {
		t.Fatal("a refused request set the owner")
	}
	cc, err := f.core.SetClientConfig(t0, f.token, apple.ClientConfigRequest{NotificationURL: "https://mdm.example/n",
		NotificationAuthToken: "shared", NotificationTypes: []string{"ASSET_MANAGEMENT"}})
	must(t, err)
	if cc.NotificationURL != "https://mdm.example/n" || cc.NotificationAuthToken.Reveal() != "shared" || cc.SubscribedNotificationTypes[0] != "ASSET_MANAGEMENT" {
		t.Fatalf("config %+v", cc)
	}
}
