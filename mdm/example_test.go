package mdm_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"

	"github.com/mdmkit/mdmkit/mdm"
)

// Define a Win32 app, a device group and a required assignment, validate them,
// and print them in Microsoft Graph's JSON form.
func Example() {
	app := mdm.App{
		ID:          "3f2a9c1e-0000-4000-8000-000000000001",
		DisplayName: "Contoso VPN",
		Type:        mdm.AppTypeWin32,
		Version:     "4.2.0",
		Publisher:   "Contoso",
		Package:     mdm.Package{FileName: "ContosoVPN.intunewin", Size: 48 * mdm.MiB},
		Categories:  []string{"Networking"},
	}
	group := mdm.Group{
		ID: "9d7e0000-0000-4000-8000-0000000000aa", DisplayName: "Sales laptops",
		Kind: mdm.DeviceMembers, Devices: []mdm.DeviceID{"laptop-001", "laptop-002"},
	}
	assignment := mdm.Assignment{
		ID: "as-1", App: app.ID, Intent: mdm.Required,
		Target:   mdm.GroupTarget(group.ID),
		Settings: mdm.DefaultSettings(app.Type),
	}
	if err := errors.Join(
		mdm.ValidateApp(&app, mdm.AddOptions{}),
		mdm.ValidateGroup(&group, nil),
		mdm.ValidateAssignment(&assignment, &app),
	); err != nil {
		fmt.Println(err)
		return
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	for _, v := range []any{app, group, assignment} {
		if err := enc.Encode(v); err != nil {
			fmt.Println(err)
		}
	}
	// Output:
	// {
	//   "@odata.type": "#microsoft.graph.win32LobApp",
	//   "id": "3f2a9c1e-0000-4000-8000-000000000001",
	//   "displayName": "Contoso VPN",
	//   "publisher": "Contoso",
	//   "displayVersion": "4.2.0",
	//   "fileName": "ContosoVPN.intunewin",
	//   "size": 50331648,
	//   "categories": [
	//     "Networking"
	//   ],
	//   "publishingState": "published"
	// }
	// {
	//   "id": "9d7e0000-0000-4000-8000-0000000000aa",
	//   "displayName": "Sales laptops",
	//   "kind": "devices",
	//   "devices": [
	//     "laptop-001",
	//     "laptop-002"
	//   ]
	// }
	// {
	//   "id": "as-1",
	//   "appId": "3f2a9c1e-0000-4000-8000-000000000001",
	//   "intent": "required",
	//   "target": {
	//     "@odata.type": "#microsoft.graph.groupAssignmentTarget",
	//     "groupId": "9d7e0000-0000-4000-8000-0000000000aa"
	//   },
	//   "settings": {
	//     "uninstallOnDeviceRemoval": true
	//   }
	// }
}

// A refused app explains itself: the field, the value, the rule and what to do.
func ExampleValidateApp() {
	app := mdm.App{
		ID: "app-1", DisplayName: "Field Service", Type: mdm.AppTypeIOSLOB,
		Package: mdm.Package{FileName: "FieldService.ipa", Size: 3 * mdm.GiB},
	}
	err := mdm.ValidateApp(&app, mdm.AddOptions{})
	fmt.Println(err)
	fmt.Println(errors.Is(err, mdm.ErrPackageTooLarge))
	var ve *mdm.ValidationError
	if errors.As(err, &ve) {
		fmt.Println(ve.Rule, ve.Field)
	}
	// Output:
	// package.size "3 GiB" is over the 2 GiB limit of the iOS/iPadOS line-of-business app type (C3): reduce the package below 2 GiB
	// true
	// C3 package.size
}
