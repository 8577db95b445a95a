package tenant_test

import (
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/mdmkit/mdmkit/assign"
	"github.com/mdmkit/mdmkit/mdm"
	"github.com/mdmkit/mdmkit/tenant"
)

// TestTenant_ConcurrentCheckIns runs check-ins of different devices from several
// goroutines while an admin goroutine changes assignments, group membership and
// pool counts and others read status and pushes. Under -race it proves the
// locking; afterwards, once every device has checked in quietly, each holds every
// required app, and the VPP pool never held more licenses than it had.
func TestTenant_ConcurrentCheckIns(t *testing.T) {
	const (
		workers    = 4
		perWorker  = 8
		rounds     = 60
		apps       = 6
		vppLicense = 10
	)
	now0 := start
	ten, err := tenant.New(tenant.Config{})
	if err != nil {
		t.Fatal(err)
	}
	mustC := func(_ tenant.Change, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	for i := 0; i < apps; i++ {
		mustC(ten.AddApp(now0, mdm.App{ID: mdm.AppID(fmt.Sprintf("app-%d", i)), DisplayName: "x", Type: mdm.AppTypeWin32,
			Version: "1.0", Package: mdm.Package{FileName: "x.intunewin", Size: mdm.MiB}}))
	}
	mustC(ten.AddToken(now0, "tok"))
	vpp := mdm.App{ID: "vpp", DisplayName: "vpp", Type: mdm.AppTypeIOSVPP, Version: "1",
		Origin: mdm.StoreOrigin{Store: mdm.StoreAppleVPP, Token: "tok", ProductID: "1"}}
	if err := ten.UpsertSyncedApp(now0, vpp); err != nil {
		t.Fatal(err)
	}
	if err := ten.SetPoolCounts(now0, &vpp, vppLicense, 0); err != nil {
		t.Fatal(err)
	}
	var devices []mdm.DeviceID
	all := mdm.Group{ID: "all", Kind: mdm.DeviceMembers}
	for i := 0; i < workers*perWorker; i++ {
		id := mdm.DeviceID(fmt.Sprintf("dev-%02d", i))
		pl := mdm.PlatformWindows
		if i%4 == 3 {
			pl = mdm.PlatformIOS
		}
		mustC(ten.EnrollDevice(now0, mdm.Device{ID: id, Platform: pl, OSVersion: "17.4"}))
		devices = append(devices, id)
		all.Devices = append(all.Devices, id)
	}
	mustC(ten.PutGroup(now0, all))
	mustC(ten.PutGroup(now0, mdm.Group{ID: "half", Kind: mdm.DeviceMembers}))
	for i := 0; i < apps; i += 2 {
		mustC(ten.Assign(now0, mdm.Assignment{ID: mdm.AssignmentID(fmt.Sprintf("req-%d", i)), App: mdm.AppID(fmt.Sprintf("app-%d", i)),
			Intent: mdm.Required, Target: mdm.GroupTarget("all"), Settings: mdm.DefaultSettings(mdm.AppTypeWin32)}))
	}
	mustC(ten.Assign(now0, mdm.Assignment{ID: "req-vpp", App: "vpp", Intent: mdm.Required, Target: mdm.GroupTarget("all"),
		Settings: mdm.DefaultSettings(mdm.AppTypeIOSVPP)}))

	// the clock, shared: every goroutine reads it, the admin moves it
	var clockMu sync.Mutex
	clock := now0
	now := func() time.Time { clockMu.Lock(); defer clockMu.Unlock(); return clock }

	type vdev struct {
		inv  map[mdm.AppID]string
		held []mdm.Command
	}
	checkIn := func(id mdm.DeviceID, v *vdev, out *tenant.CheckInResult) error {
		rep := mdm.Report{Device: id}
		for _, c := range v.held {
			rep.Results = append(rep.Results, mdm.CommandResult{Command: c.ID, Kind: c.Kind, App: c.App, Outcome: mdm.OutcomeSucceeded})
			if c.Kind == mdm.CommandUninstall {
				delete(v.inv, c.App)
			} else {
				v.inv[c.App] = c.Version
			}
		}
		v.held = v.held[:0]
		for app, ver := range v.inv {
			rep.Inventory = append(rep.Inventory, mdm.InstalledApp{App: app, Version: ver})
		}
		sort.Slice(rep.Inventory, func(i, j int) bool { return rep.Inventory[i].App < rep.Inventory[j].App })
		if err := ten.CheckIn(now(), &rep, out); err != nil {
			return err
		}
		v.held = append(v.held, out.Commands...)
		for _, c := range out.Changes {
			if c.From != c.To && !tenant.LegalTransition(c.From, c.To) {
				return fmt.Errorf("%s: illegal transition %s", id, c)
			}
		}
		return nil
	}

	vdevs := make([]*vdev, len(devices))
	for i := range vdevs {
		vdevs[i] = &vdev{inv: map[mdm.AppID]string{}}
	}
	var wg sync.WaitGroup
	errs := make(chan error, workers+3)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			var out tenant.CheckInResult
			for r := 0; r < rounds; r++ {
				for k := w * perWorker; k < (w+1)*perWorker; k++ {
					if err := checkIn(devices[k], vdevs[k], &out); err != nil {
						errs <- err
						return
					}
				}
			}
		}(w)
	}
	wg.Add(2)
	go func() { // the admin
		defer wg.Done()
		for r := 0; r < rounds; r++ {
			clockMu.Lock()
			clock = clock.Add(10 * time.Minute)
			clockMu.Unlock()
			app := mdm.AppID(fmt.Sprintf("app-%d", 1+2*(r%(apps/2))))
			id := mdm.AssignmentID(fmt.Sprintf("half-%d", r))
			if _, err := ten.Assign(now(), mdm.Assignment{ID: id, App: app, Intent: mdm.Required, Target: mdm.GroupTarget("half"),
				Settings: mdm.DefaultSettings(mdm.AppTypeWin32)}); err != nil {
				// A3: the group already has this app with the same intent: fine
				continue
			}
			if _, err := ten.AddMember(now(), "half", string(devices[r%len(devices)])); err != nil {
				errs <- err
				return
			}
			if r%3 == 0 {
				if _, err := ten.Unassign(now(), id); err != nil {
					errs <- err
					return
				}
			}
			if err := ten.SetPoolCounts(now(), &vpp, vppLicense+r%3, 0); err != nil {
				errs <- err
				return
			}
		}
	}()
	go func() { // readers
		defer wg.Done()
		for r := 0; r < rounds*4; r++ {
			if st, err := ten.AppStatus("vpp"); err != nil || st.Licenses.Assigned > st.Licenses.Total {
				errs <- fmt.Errorf("vpp status %+v, %v", st, err)
				return
			}
			if _, err := ten.DeviceStatus(devices[r%len(devices)]); err != nil {
				errs <- err
				return
			}
			ten.DuePushes(now(), nil)
			ten.NextPush()
			ten.TakeLicenseChanges(nil)
		}
	}()
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	// Quiet: every device checks in until nothing is sent; then each holds
	// every app required on it.
	var out tenant.CheckInResult
	for k, id := range devices {
		for n := 0; ; n++ {
			if err := checkIn(id, vdevs[k], &out); err != nil {
				t.Fatal(err)
			}
			if len(out.Commands) == 0 && len(vdevs[k].held) == 0 {
				break
			}
			if n > 10 {
				t.Fatalf("%s does not settle: %v", id, out.Commands)
			}
		}
		platform := mdm.PlatformWindows
		if k%4 == 3 {
			platform = mdm.PlatformIOS
		}
		for _, a := range ten.Apps() {
			x, err := ten.Explain(id, a.ID)
			if err != nil {
				t.Fatal(err)
			}
			_, present := vdevs[k].inv[a.ID]
			if x.Reached && x.Effective.Intent&assign.IntentRequired != 0 && a.Type.Platforms().Has(platform) && !present {
				t.Errorf("%s: required %s missing", id, a.ID) // 8 iPads, at least 10 licenses: none waits
			}
		}
	}
}
