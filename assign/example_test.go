package assign_test

import (
	"fmt"

	"github.com/mdmkit/mdmkit/assign"
	"github.com/mdmkit/mdmkit/mdm"
)

// Resolve a small tenant: a Win32 VPN client made available to the Sales users
// (through a nested group) and required on the laptops, with the contractors'
// devices excluded. Then ask why the app is required on Ada's laptop.
func Example() {
	r := assign.New()
	must := func(err error) {
		if err != nil {
			panic(err)
		}
	}
	must(r.PutUser(mdm.User{ID: "u-ada", DisplayName: "ada"}))
	must(r.PutUser(mdm.User{ID: "u-bob", DisplayName: "bob"}))
	for _, d := range []mdm.Device{
		{ID: "d-1", Name: "laptop-001", PrimaryUser: "u-ada", Platform: mdm.PlatformWindows},
		{ID: "d-2", Name: "laptop-002", PrimaryUser: "u-bob", Platform: mdm.PlatformWindows},
	} {
		_, err := r.PutDevice(d)
		must(err)
	}
	for _, g := range []mdm.Group{
		{ID: "g-sales-eu", DisplayName: "Sales-EU", Kind: mdm.UserMembers, Users: []mdm.UserID{"u-ada"}},
		{ID: "g-sales", DisplayName: "Sales", Kind: mdm.UserMembers, Groups: []mdm.GroupID{"g-sales-eu"}},
		{ID: "g-laptops", DisplayName: "Laptops", Kind: mdm.DeviceMembers, Devices: []mdm.DeviceID{"d-1", "d-2"}},
		{ID: "g-contractors", DisplayName: "Contractor devices", Kind: mdm.DeviceMembers, Devices: []mdm.DeviceID{"d-2"}},
	} {
		_, err := r.PutGroup(g)
		must(err)
	}
	must(r.PutApp(&mdm.App{ID: "app-vpn", DisplayName: "Contoso VPN", Type: mdm.AppTypeWin32}))
	for _, a := range []mdm.Assignment{
		{ID: "as-1", App: "app-vpn", Intent: mdm.Available, Target: mdm.GroupTarget("g-sales")},
		{ID: "as-2", App: "app-vpn", Intent: mdm.Required, Target: mdm.GroupTarget("g-laptops")},
		{ID: "as-3", App: "app-vpn", Intent: mdm.Required, Target: mdm.ExclusionTarget("g-contractors")},
	} {
		_, err := r.Assign(a)
		must(err)
	}

	for _, d := range []mdm.DeviceID{"d-1", "d-2"} {
		res, err := r.ResolveDevice(d)
		must(err)
		for _, e := range res.All() {
			fmt.Printf("%s %s: %s\n", d, e.App, e.Intent)
		}
	}
	x, err := r.Explain("d-1", "app-vpn")
	must(err)
	fmt.Print(x)
	x, err = r.Explain("d-2", "app-vpn")
	must(err)
	fmt.Print(x)
	// Output:
	// d-1 app-vpn: required and available
	// app Contoso VPN (app-vpn) on device laptop-001 (d-1): required and available
	//   device: enrolled (MDM), primary user ada (u-ada)
	//   conflict: A6 row 6: U available + D required → required and available
	//   assignments that apply:
	//     as-1 (available) via group Sales ⊃ group Sales-EU (member: user ada)
	//     as-2 (required) via group Laptops (member: device laptop-001)
	//   uninstall on device removal: yes (A12)
	// app Contoso VPN (app-vpn) on device laptop-002 (d-2): nothing applies
	//   device: enrolled (MDM), primary user bob (u-bob)
	//   removed by an exclusion of the same kind (A5):
	//     as-2 (required) via group Laptops (member: device laptop-002), excluded by as-3 (exclusion) via group Contractor devices (member: device laptop-002)
}
