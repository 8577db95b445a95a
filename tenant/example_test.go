package tenant_test

import (
	"fmt"
	"time"

	"github.com/mdmkit/mdmkit/mdm"
	"github.com/mdmkit/mdmkit/tenant"
)

// A required Win32 app reaches a device through a device group. At its first
// check-in the device gets the install command (T3); it reports success and the
// app in its inventory; at the next check-in nothing more is sent.
func Example() {
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	t, err := tenant.New(tenant.Config{})
	if err != nil {
		fmt.Println(err)
		return
	}
	must := func(_ tenant.Change, err error) {
		if err != nil {
			panic(err)
		}
	}
	must(t.AddApp(now, mdm.App{ID: "vpn", DisplayName: "Contoso VPN", Type: mdm.AppTypeWin32, Version: "4.2",
		Package: mdm.Package{FileName: "vpn.intunewin", Size: 48 * mdm.MiB}}))
	must(t.EnrollDevice(now, mdm.Device{ID: "laptop-1", Platform: mdm.PlatformWindows, OSVersion: "10.0.19045"}))
	must(t.PutGroup(now, mdm.Group{ID: "laptops", Kind: mdm.DeviceMembers, Devices: []mdm.DeviceID{"laptop-1"}}))
	ch, err := t.Assign(now, mdm.Assignment{ID: "a1", App: "vpn", Intent: mdm.Required,
		Target: mdm.GroupTarget("laptops"), Settings: mdm.DefaultSettings(mdm.AppTypeWin32)})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("push:", ch.Notify)

	var out tenant.CheckInResult
	report := mdm.Report{Device: "laptop-1"}
	if err := t.CheckIn(now, &report, &out); err != nil {
		fmt.Println(err)
		return
	}
	for _, c := range out.Commands {
		fmt.Println("command:", c)
	}
	for _, c := range out.Changes {
		fmt.Println("change:", c)
	}

	now = now.Add(20 * time.Minute)
	cmd := out.Commands[0]
	report = mdm.Report{Device: "laptop-1",
		Inventory: []mdm.InstalledApp{{App: "vpn", Version: "4.2"}},
		Results:   []mdm.CommandResult{{Command: cmd.ID, Kind: cmd.Kind, App: cmd.App, Outcome: mdm.OutcomeSucceeded}}}
	if err := t.CheckIn(now, &report, &out); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("commands:", len(out.Commands))
	for _, c := range out.Changes {
		fmt.Println("change:", c)
	}
	st, _ := t.AppStatus("vpn")
	fmt.Println("installed:", st.Installed)
	// Output:
	// push: [laptop-1]
	// command: cmd-1 install vpn@4.2
	// change: vpn: unknown → installRequested (noAdditionalDetails)
	// commands: 0
	// change: vpn: installRequested → installed (noAdditionalDetails)
	// installed: 1
}
