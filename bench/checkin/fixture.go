// Package checkin benchmarks the tenant's check-in (package tenant, issue 5):
// the steady check-in of a device with 20 targeted apps all installed, the
// check-in that sends one install with a license granted, and steady check-ins
// of many devices in parallel. The fixture builds a tenant the way a fleet
// reaches steady state: apps, users, devices, groups and required assignments,
// then every device checks in until it has everything.
package checkin

import (
	"fmt"
	"time"

	"github.com/mdmkit/mdmkit/mdm"
	"github.com/mdmkit/mdmkit/tenant"
)

// Start is the fixture's time zero.
var Start = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// Fixture is a tenant with devices at steady state and each device's report,
// ready to check in.
type Fixture struct {
	Tenant  *tenant.Tenant
	Now     time.Time
	Apps    []mdm.AppID
	Devices []mdm.DeviceID
	// Reports are each device's check-in report: its complete inventory, sorted
	// by app id, with the catalog's own id and version strings, as a virtual
	// device that interns the catalog's strings reports them.
	Reports []mdm.Report
}

// Options shape a fixture.
type Options struct {
	Devices int
	Apps    int // required Win32 apps, all targeted at every device
	// StoreApp adds one more required app on iOS devices: a VPP app whose pool
	// starts empty, so every device waits for a license (L5).
	StoreApp bool
}

// guid renders a GUID-sized id, as Graph ids are.
func guid(kind string, i int) string {
	return fmt.Sprintf("%08x-%s-4000-8000-%012d", i, kind, i)
}

// New builds a fixture and brings every device to steady state.
func New(o Options) (*Fixture, error) {
	t, err := tenant.New(tenant.Config{})
	if err != nil {
		return nil, err
	}
	f := &Fixture{Tenant: t, Now: Start}
	platform := mdm.PlatformWindows
	if o.StoreApp {
		platform = mdm.PlatformIOS
	}
	for i := 0; i < o.Apps; i++ {
		id := mdm.AppID(guid("a", i))
		a := mdm.App{ID: id, DisplayName: fmt.Sprintf("App %d", i), Version: fmt.Sprintf("%d.%d.0", 1+i%7, i%10)}
		if platform == mdm.PlatformIOS {
			a.Type, a.Package = mdm.AppTypeIOSLOB, mdm.Package{FileName: "app.ipa", Size: mdm.MiB}
		} else {
			a.Type, a.Package = mdm.AppTypeWin32, mdm.Package{FileName: "app.intunewin", Size: mdm.MiB}
		}
		if _, err := t.AddApp(f.Now, a); err != nil {
			return nil, err
		}
		f.Apps = append(f.Apps, id)
	}
	group := mdm.Group{ID: mdm.GroupID(guid("g", 0)), Kind: mdm.DeviceMembers}
	for i := 0; i < o.Devices; i++ {
		u := mdm.UserID(guid("u", i))
		if _, err := t.PutUser(f.Now, mdm.User{ID: u, HasAppleAccount: true}); err != nil {
			return nil, err
		}
		d := mdm.DeviceID(guid("d", i))
		dev := mdm.Device{ID: d, PrimaryUser: u, Platform: platform, OSVersion: "10.0.19045",
			SerialNumber: fmt.Sprintf("C02%07dJG5H", i)}
		if platform == mdm.PlatformIOS {
			dev.OSVersion = "17.4"
		}
		if _, err := t.EnrollDevice(f.Now, dev); err != nil {
			return nil, err
		}
		group.Devices = append(group.Devices, d)
		f.Devices = append(f.Devices, d)
	}
	if _, err := t.PutGroup(f.Now, group); err != nil {
		return nil, err
	}
	assign := func(i int, app mdm.AppID, typ mdm.AppType) error {
		_, err := t.Assign(f.Now, mdm.Assignment{ID: mdm.AssignmentID(guid("s", i)), App: app, Intent: mdm.Required,
			Target: mdm.GroupTarget(group.ID), Settings: mdm.DefaultSettings(typ)})
		return err
	}
	for i, app := range f.Apps {
		typ := mdm.AppTypeWin32
		if platform == mdm.PlatformIOS {
			typ = mdm.AppTypeIOSLOB
		}
		if err := assign(i, app, typ); err != nil {
			return nil, err
		}
	}
	if o.StoreApp {
		if _, err := t.AddToken(f.Now, "tok-1"); err != nil {
			return nil, err
		}
		vpp := mdm.App{ID: mdm.AppID(guid("v", 0)), DisplayName: "VPP", Type: mdm.AppTypeIOSVPP, Version: "5.0",
			Origin: mdm.StoreOrigin{Store: mdm.StoreAppleVPP, Token: "tok-1", ProductID: "361309726"}}
		if err := t.UpsertSyncedApp(f.Now, vpp); err != nil {
			return nil, err
		}
		if err := t.SetPoolCounts(f.Now, &vpp, 0, 0); err != nil {
			return nil, err
		}
		if err := assign(len(f.Apps), vpp.ID, vpp.Type); err != nil {
			return nil, err
		}
	}
	// Steady state: every device checks in, gets its installs, installs them
	// all and reports success with its inventory.
	var out tenant.CheckInResult
	f.Reports = make([]mdm.Report, len(f.Devices))
	for i, d := range f.Devices {
		rep := mdm.Report{Device: d}
		if err := t.CheckIn(f.Now, &rep, &out); err != nil {
			return nil, err
		}
		for _, c := range out.Commands {
			rep.Results = append(rep.Results, mdm.CommandResult{Command: c.ID, Kind: c.Kind, App: c.App, Outcome: mdm.OutcomeSucceeded})
		}
		for _, app := range f.Apps {
			a, _ := t.App(app)
			rep.Inventory = append(rep.Inventory, mdm.InstalledApp{App: app, Version: a.Version})
		}
		sortInventory(rep.Inventory)
		f.Now = f.Now.Add(time.Millisecond)
		if err := t.CheckIn(f.Now, &rep, &out); err != nil {
			return nil, err
		}
		if len(out.Commands) != 0 {
			return nil, fmt.Errorf("device %s: %d commands after installing everything", d, len(out.Commands))
		}
		rep.Results = nil
		f.Reports[i] = rep
	}
	// Intern like a virtual device: the inventory carries the catalog's strings.
	for i := range f.Reports {
		for k := range f.Reports[i].Inventory {
			it := &f.Reports[i].Inventory[k]
			for _, app := range f.Apps {
				if app == it.App {
					it.App = app
				}
			}
		}
	}
	return f, nil
}

func sortInventory(inv []mdm.InstalledApp) {
	for i := 1; i < len(inv); i++ {
		for j := i; j > 0 && inv[j-1].App > inv[j].App; j-- {
			inv[j-1], inv[j] = inv[j], inv[j-1]
		}
	}
}
