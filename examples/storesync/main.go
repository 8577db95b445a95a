// Command storesync syncs a tenant's Apple volume-purchased (VPP) apps and
// licenses with Apple's Apps and Books service — here the fake in
// storesync/applefake, served over HTTP on 127.0.0.1 and read with the real
// client, storesync/apple — and shows three things going wrong and how the
// sync recovers.
//
//	go run ./examples/storesync
//
// The story:
//
//  1. First sync, rate limited: Apple answers GET assets with HTTP 429 and a
//     Retry-After; the client waits and retries, the sync completes. The apps
//     bought at Apple appear in the catalog (C4: store apps come only through
//     sync), with their license pools; a license this service's device already
//     holds is imported, one another service made is not (S6).
//  2. Licenses out: a required assignment; the iPads check in, each install
//     takes a license from the pool (L5); the grants are pushed to Apple as
//     associations (S5).
//  3. A purchase, and a change at Apple during the read: the versionId changes
//     between two pages of GET assets, so the read starts over against the new
//     version (S5) and the new total comes in.
//  4. The token claimed by another management service (L3), mid-sync, losing
//     this service's records at Apple: the sync fails and records the state
//     (assignedToExternalMDM) and its last-sync status; nothing is dropped
//     locally (S4). The admin takes the token back; the next sync finds the
//     licenses Apple lost and pushes them again.
//
// The program prints what each sync changed, the token's state and its last
// sync status. The output is the same at every run.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http/httptest"
	"os"
	"time"

	"github.com/benbjohnson/clock"

	"github.com/mdmkit/mdmkit/license"
	"github.com/mdmkit/mdmkit/mdm"
	"github.com/mdmkit/mdmkit/storesync"
	"github.com/mdmkit/mdmkit/storesync/apple"
	"github.com/mdmkit/mdmkit/storesync/applefake"
	"github.com/mdmkit/mdmkit/tenant"
)

func main() {
	// The real program waits the Retry-After Apple asks for (a second here).
	if err := run(context.Background(), os.Stdout, clock.New(), nil); err != nil {
		fmt.Fprintln(os.Stderr, "storesync:", err)
		os.Exit(1)
	}
}

// What the organisation bought at Apple. The Apps and Books API knows assets
// by adamId and returns neither names nor versions; those come from Apple's
// content metadata in a real service, from this table here.
var assets = []struct {
	adamID, name, publisher, version string
	kind                             apple.ProductType
	total                            int
}{
	{"361285480", "Keynote", "Apple", "14.2", apple.ProductApp, 10},
	{"361309726", "Pages", "Apple", "14.2", apple.ProductApp, 5},
	{"881256329", "The Swift Programming Language", "Apple", "", apple.ProductBook, 20},
}

const (
	tokenID = mdm.TokenID("vpp-contoso") // the tenant's name for the location token
	keynote = "361285480"
)

// The iPads this service manages, by serial number (Apple assigns device
// licenses to serial numbers).
var ipads = []mdm.Device{
	{ID: "ipad-1", SerialNumber: "DMPXK1A1", Platform: mdm.PlatformIOS, OSVersion: "18.3"},
	{ID: "ipad-2", SerialNumber: "DMPXK1A2", Platform: mdm.PlatformIOS, OSVersion: "18.3"},
	{ID: "ipad-3", SerialNumber: "DMPXK1A3", Platform: mdm.PlatformIOS, OSVersion: "17.7"},
	{ID: "ipad-4", SerialNumber: "DMPXK1A4", Platform: mdm.PlatformIOS, OSVersion: "17.7"},
}

// run plays the story on clk and prints it to w. sleep, when not nil, replaces
// how the Apple client waits before a retry (a test records the wait instead
// of sleeping); nil waits on clk.
func run(ctx context.Context, w io.Writer, clk clock.Clock, sleep func(ctx context.Context, d time.Duration) error) error {
	// This service, as Apple knows it: the mdmInfo it writes into the location
	// to say "this location is managed by me" (L3).
	me := apple.MdmInfo{ID: "mdmkit-example", Name: "mdmkit example"}

	// --- Apple's side: a location with a token, three assets, and two
	// licenses already assigned: one by this service before (ipad-1), one by
	// another service for a device it manages.
	core := applefake.NewCore(applefake.Config{PageSize: 2}) // small pages, so reads span pages
	loc := core.AddLocation("Contoso Ltd")
	sToken, err := core.IssueToken(loc, clk.Now().AddDate(1, 0, 0)) // valid one year (L1)
	if err != nil {
		return err
	}
	for _, a := range assets {
		book := a.kind == apple.ProductBook
		if err := core.AddAsset(loc, applefake.AssetSpec{AdamID: a.adamID, ProductType: a.kind, DeviceAssignable: !book,
			Revocable: !book, SupportedPlatforms: []string{"iOS"}, Total: a.total}); err != nil {
			return err
		}
	}
	// Fabrikam MDM managed this location before and licensed one of its own
	// devices; then this service took the location over and licensed ipad-1.
	other := apple.MdmInfo{ID: "fabrikam-mdm", Name: "Fabrikam MDM"}
	for _, step := range []struct {
		owner  apple.MdmInfo
		serial string
	}{{other, "F9FZL0QX"}, {me, "DMPXK1A1"}} {
		if _, err := core.SetClientConfig(clk.Now(), sToken, apple.ClientConfigRequest{MdmInfo: &step.owner}); err != nil {
			return err
		}
		if _, err := core.Associate(clk.Now(), sToken, apple.ManageAssetsRequest{
			Assets: []apple.Asset{{AdamID: keynote}}, SerialNumbers: []string{step.serial}}); err != nil {
			return err
		}
	}

	// Apple over HTTP on 127.0.0.1, with a fault script shared with the test.
	faults := applefake.NewFaults()
	srv := httptest.NewServer(applefake.NewHandler(core, applefake.WithClock(clk), applefake.WithFaults(faults)))
	defer srv.Close()

	// --- The service's side: a tenant, its iPads and the token.
	now := clk.Now
	tn, err := tenant.New(tenant.Config{})
	if err != nil {
		return err
	}
	if _, err := tn.AddToken(now(), tokenID); err != nil {
		return err
	}
	// The admin uploads the sToken: the tenant learns its expDate, so grants
	// through it stop on that date even before a sync hears it from Apple (L1).
	tok, err := license.ParseToken(sToken)
	if err != nil {
		return err
	}
	if _, err := tn.SetTokenExpiry(now(), tokenID, tok.ExpDate()); err != nil {
		return err
	}
	for _, d := range ipads {
		if _, err := tn.EnrollDevice(now(), d); err != nil {
			return err
		}
	}

	// The real Apps and Books client. It never prints the sToken (L1). Waits
	// before retries are announced, then slept (or recorded, in the test).
	wait := func(ctx context.Context, d time.Duration) error {
		fmt.Fprintf(w, "  apple client: waiting %v before retrying (Retry-After)\n", d)
		if sleep != nil {
			return sleep(ctx, d)
		}
		select {
		case <-clk.After(d):
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	client, err := apple.New(sToken, apple.WithBaseURL(srv.URL+"/mdm/v2"), apple.WithHTTPClient(srv.Client()),
		apple.WithMdmInfo(me), apple.WithClock(clk), apple.WithTimeout(10*time.Second), apple.WithWait(wait))
	if err != nil {
		return err
	}
	names := func(adamID string) (string, string, bool) {
		for _, a := range assets {
			if a.adamID == adamID {
				return a.name, a.publisher, true
			}
		}
		return "", "", false
	}
	// With versions, a new one reaches the devices holding an older copy (T4).
	versions := func(adamID string, _ mdm.AppType) (string, bool) {
		for _, a := range assets {
			if a.adamID == adamID {
				return a.version, a.version != ""
			}
		}
		return "", false
	}
	// The tenant is the sync's Sink: the syncer writes the catalog, the pools
	// and the token's state through the interfaces of storesync/sink.go.
	sy, err := storesync.NewAppleSyncer(tokenID, client, tn, me,
		storesync.WithAppleNames(names), storesync.WithAppleVersions(versions))
	if err != nil {
		return err
	}
	sync := func(title string) *storesync.Report {
		fmt.Fprintf(w, "\n%s\n", title)
		rep := sy.Sync(ctx, now())
		printReport(w, tn, rep)
		return rep
	}

	// 1. First sync: GET assets is rate limited once.
	if err := faults.Add(apple.EndpointAssets, applefake.Fault{Kind: applefake.FaultRateLimit, RetryAfter: time.Second}); err != nil {
		return err
	}
	rep := sync("1. first sync (Apple rate-limits GET assets once, Retry-After: 1)")
	if rep.Err != nil {
		return rep.Err
	}
	var keynoteApp mdm.AppID
	for _, app := range rep.Result.AppsAdded {
		if a, _ := tn.App(app); a.Origin.ProductID == keynote && a.Type == mdm.AppTypeIOSVPP {
			keynoteApp = app
		}
	}
	printPool(w, tn, keynoteApp)

	// 2. Keynote required on every device. Each check-in that sends the install
	// takes a license (L5); ipad-1 holds one already (imported above), so it
	// takes no other (L19). The grants wait in the tenant's outbox until they
	// are pushed to Apple.
	fmt.Fprintf(w, "\n2. Keynote required on all devices; the iPads check in\n")
	if _, err := tn.Assign(now(), mdm.Assignment{ID: "a-keynote", App: keynoteApp, Intent: mdm.Required,
		Target: mdm.AllDevicesTarget(), Settings: mdm.DefaultSettings(mdm.AppTypeIOSVPP)}); err != nil {
		return err
	}
	var out tenant.CheckInResult
	for _, d := range ipads {
		if err := tn.CheckIn(now(), &mdm.Report{Device: d.ID}, &out); err != nil {
			return err
		}
		for _, c := range out.Commands {
			fmt.Fprintf(w, "  %s: %s %s\n", d.ID, c.Kind, appName(tn, c.App))
		}
	}
	if err := push(ctx, w, tn, sy, now()); err != nil {
		return err
	}
	printPool(w, tn, keynoteApp)
	printApple(w, core, loc)

	// 3. Five more Keynote licenses bought at Apple; during the next read,
	// Apple's data changes between page 1 and page 2 of GET assets.
	if err := core.BuyLicenses(loc, apple.Asset{AdamID: keynote}, 5); err != nil {
		return err
	}
	if err := faults.Add(apple.EndpointAssets, applefake.Fault{Kind: applefake.FaultChangeVersion, After: 1}); err != nil {
		return err
	}
	calls := faults.Calls(apple.EndpointAssets)
	rep = sync("3. five Keynote licenses bought; Apple's versionId changes between two pages of the read")
	if rep.Err != nil {
		return rep.Err
	}
	fmt.Fprintf(w, "  GET assets: %d calls for 2 pages (the versionId changed under the read: it started over)\n", faults.Calls(apple.EndpointAssets)-calls)
	printPool(w, tn, keynoteApp)

	// 4. Another service claims the token in the middle of the next sync, and
	// Apple drops what this service made there.
	if err := faults.Add(apple.EndpointAssets, applefake.Fault{Kind: applefake.FaultClaimToken, Claimant: other, LoseRecords: true}); err != nil {
		return err
	}
	rep = sync("4. Fabrikam MDM claims the token during the sync (Apple drops this service's records)")
	var claimed *apple.ClaimedError
	if !errors.As(rep.Err, &claimed) {
		return fmt.Errorf("the claim went unnoticed: %v", rep.Err)
	}
	printPool(w, tn, keynoteApp)
	printApple(w, core, loc)
	rep = sync("   a scheduled sync while the token is claimed")
	if !errors.Is(rep.Err, storesync.ErrTokenState) {
		return fmt.Errorf("a claimed token synced: %v", rep.Err)
	}

	// The admin takes the token back (L3). The next sync finds the licenses
	// Apple lost and pushes them again.
	fmt.Fprintf(w, "\n   the admin takes the token back\n")
	if err := sy.TakeBack(ctx, now()); err != nil {
		return err
	}
	printToken(w, tn, false)
	rep = sync("   sync after taking back")
	if rep.Err != nil {
		return rep.Err
	}
	if err := push(ctx, w, tn, sy, now()); err != nil {
		return err
	}
	printApple(w, core, loc)
	rep = sync("   and once more (S2: a sync that finds nothing new changes nothing)")
	if rep.Err != nil {
		return rep.Err
	}
	fmt.Fprintf(w, "  changed anything: %v\n", rep.Result.Changed())
	return nil
}

// push drains the tenant's license outbox into the syncer and pushes it to
// Apple (associate and disassociate requests in batches, S5).
func push(ctx context.Context, w io.Writer, tn *tenant.Tenant, sy *storesync.AppleSyncer, now time.Time) error {
	n, err := sy.EnqueueLicenseChanges(tn.TakeLicenseChanges(nil))
	if err != nil {
		return err
	}
	res, err := sy.Push(ctx, now)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "  license push: %d changes from the tenant; %s\n", n, res)
	return nil
}

// printReport prints one sync: what it changed, then the token's state and
// last-sync status as the tenant recorded them (S3, S4); the status's detail
// says why a failed sync failed.
func printReport(w io.Writer, tn *tenant.Tenant, rep *storesync.Report) {
	if rep.Push != nil {
		fmt.Fprintf(w, "  license push in the sync: %s\n", rep.Push)
	}
	if rep.Result != nil {
		fmt.Fprintf(w, "  %s\n", rep.Result)
	}
	printToken(w, tn, true)
}

func printToken(w io.Writer, tn *tenant.Tenant, detail bool) {
	state, _ := tn.TokenState(tokenID)
	status, why, _, _ := tn.SyncStatus(tokenID)
	fmt.Fprintf(w, "  token %s: state %s, last sync %s\n", tokenID, state, status)
	if detail && why != "" {
		fmt.Fprintf(w, "    why: %s\n", why)
	}
}

func printPool(w io.Writer, tn *tenant.Tenant, app mdm.AppID) {
	st, err := tn.AppStatus(app)
	if err != nil || !st.HasPool {
		fmt.Fprintf(w, "  pool of %s: none (%v)\n", app, err)
		return
	}
	l := st.Licenses
	fmt.Fprintf(w, "  tenant's Keynote pool: %d total, %d assigned, %d available, %d waiting\n", l.Total, l.Assigned, l.Available, l.Waiting)
}

// printApple prints Keynote's licenses as Apple sees them.
func printApple(w io.Writer, core *applefake.Core, loc string) {
	rec, _ := core.AssetRecord(loc, apple.Asset{AdamID: keynote})
	var serials []string
	for _, r := range core.AssignmentRecords(loc) {
		if r.AdamID == keynote {
			serials = append(serials, r.SerialNumber)
		}
	}
	fmt.Fprintf(w, "  at Apple, Keynote: %d of %d assigned %v\n", rec.AssignedCount, rec.TotalCount, serials)
}

func appName(tn *tenant.Tenant, id mdm.AppID) string {
	if a, ok := tn.App(id); ok {
		return a.DisplayName
	}
	return string(id)
}
