// Command graphexplain loads apps and their assignments from a Microsoft
// Graph export, resolves them for every device of a small directory, and
// explains, for a few (device, app) pairs, why the device gets the app (SPEC
// A11).
//
//	go run ./examples/graphexplain
//	go run ./examples/graphexplain -apps my-export.json -directory my-directory.json
//
// The export is what
//
//	GET https://graph.microsoft.com/v1.0/deviceAppManagement/mobileApps?$expand=assignments
//
// returns (testdata/mobileApps.json, embedded): each mobileApp with its
// "@odata.type", and its mobileAppAssignments with their targets and settings.
// Package mdm decodes Graph's own names — the app types, the intents, the
// target types, useDeviceLicensing, uninstallOnDeviceRemoval, deadlines — and
// ignores the fields mdmkit does not model. Graph does not export group
// membership with the apps, so a small directory of users, devices and groups
// comes beside it (testdata/directory.json, in mdm's JSON form).
//
// What it shows:
//
//   - decoding Graph JSON straight into mdm.App and mdm.Assignment, and
//     skipping app types that are not assigned as apps (app protection
//     entries);
//   - assign.Resolver: the directory, the apps and the assignments go in, each
//     validated (a refusal names the field, the value and the rule); each
//     device's effective intents come out, with the A6 conflict row;
//   - Explain (A11): through which group (and nesting) each assignment reached
//     the device, what an exclusion removed (A5) and which conflict row
//     decided (A6).
package main

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/mdmkit/mdmkit/assign"
	"github.com/mdmkit/mdmkit/mdm"
)

var (
	//go:embed testdata/mobileApps.json
	defaultApps []byte
	//go:embed testdata/directory.json
	defaultDirectory []byte
)

// pair names a (device, app) to explain, by display name.
type pair struct{ device, app string }

// The pairs explained by default: each shows one thing about resolution.
var defaultPairs = []pair{
	// A6 row 6: available to a nested user group, required on a device group.
	{"ADA-LT-01", "Contoso VPN"},
	// A5: the device exclusion removes the device-group "required", but not the
	// "available" that reaches the device through its user.
	{"CHEN-LT-07", "Contoso VPN"},
	// A6 row 8: the user is offboarding (uninstall), the device is corporate
	// (required): required wins.
	{"Dana's iPhone", "Microsoft Outlook"},
	// D3: a kiosk has no primary user, so All users does not reach it; the
	// device group's uninstall does.
	{"LOBBY-KIOSK-01", "Microsoft 365 Apps for Windows 10 and later"},
}

func main() {
	appsFile := flag.String("apps", "", "a Graph mobileApps export with $expand=assignments (default: the embedded example)")
	dirFile := flag.String("directory", "", "users, devices and groups in mdm's JSON form (default: the embedded example)")
	flag.Parse()
	apps, dir := defaultApps, defaultDirectory
	for _, f := range []struct {
		name string
		dst  *[]byte
	}{{*appsFile, &apps}, {*dirFile, &dir}} {
		if f.name == "" {
			continue
		}
		b, err := os.ReadFile(f.name)
		if err != nil {
			fmt.Fprintln(os.Stderr, "graphexplain:", err)
			os.Exit(2)
		}
		*f.dst = b
	}
	if err := run(os.Stdout, apps, dir, defaultPairs); err != nil {
		fmt.Fprintln(os.Stderr, "graphexplain:", err)
		os.Exit(1)
	}
}

// run loads the directory and the export, prints every device's effective
// intents and explains the pairs.
func run(w io.Writer, appsJSON, dirJSON []byte, pairs []pair) error {
	r := assign.New()
	dir, err := loadDirectory(r, dirJSON)
	if err != nil {
		return fmt.Errorf("directory: %w", err)
	}
	exp, err := loadExport(r, appsJSON)
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	fmt.Fprintf(w, "directory: %d users, %d devices, %d groups\n", len(dir.Users), len(dir.Devices), len(dir.Groups))
	fmt.Fprintf(w, "export: %d apps, %d assignments\n", len(exp.order), exp.assignments)
	for _, s := range exp.skipped {
		fmt.Fprintf(w, "  skipped %s\n", s)
	}

	// Every device's resolution: one line per app some assignment reaches.
	// Resolution does not look at platforms: a user-targeted Windows app
	// reaches the user's iPhone too, and the service then reports it not
	// applicable there (T1, T11). The last column says so.
	fmt.Fprintln(w, "\neffective intents:")
	var table bytes.Buffer
	tw := tabwriter.NewWriter(&table, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  device\tapp\tintent\tA6 row\tnote")
	for _, d := range dir.Devices {
		res, err := r.ResolveDevice(d.ID)
		if err != nil {
			return err
		}
		if res.Len() == 0 {
			fmt.Fprintf(tw, "  %s\t(none)\t\t\t\n", d.Name)
		}
		effs := res.Effects()
		slices.SortFunc(effs, func(a, b assign.Effective) int {
			return strings.Compare(exp.apps[a.App].DisplayName, exp.apps[b.App].DisplayName)
		})
		for _, e := range effs {
			row, note := "", ""
			if e.Row != 0 {
				row = fmt.Sprint(e.Row)
			}
			if t := exp.apps[e.App].Type; !t.Platforms().Has(d.Platform) {
				note = fmt.Sprintf("not applicable: %s app on %s", t.Platforms(), d.Platform)
			}
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\n", d.Name, exp.apps[e.App].DisplayName, e.Intent, row, note)
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for line := range strings.Lines(table.String()) {
		fmt.Fprintln(w, strings.TrimRight(line, " \n")) // tabwriter pads empty last cells
	}

	// Why? One explanation per pair, as a person reads it (A11).
	devices := map[string]mdm.DeviceID{}
	for _, d := range dir.Devices {
		devices[d.Name] = d.ID
	}
	apps := map[string]mdm.AppID{}
	for _, id := range exp.order {
		apps[exp.apps[id].DisplayName] = id
	}
	for _, p := range pairs {
		d, okd := devices[p.device]
		a, oka := apps[p.app]
		if !okd || !oka {
			return fmt.Errorf("explain %q / %q: no such device or app in the data", p.device, p.app)
		}
		x, err := r.Explain(d, a)
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "\n%s", x)
	}
	return nil
}

// directory is the file beside the export: the users, devices and groups
// that assignments target, in mdm's JSON form.
type directory struct {
	Users   []mdm.User   `json:"users"`
	Devices []mdm.Device `json:"devices"`
	Groups  []mdm.Group  `json:"groups"`
}

// loadDirectory puts the directory into the resolver. Groups are created in
// file order, so a nested group comes before the groups that hold it.
func loadDirectory(r *assign.Resolver, data []byte) (*directory, error) {
	var dir directory
	if err := strictDecode(data, &dir); err != nil {
		return nil, err
	}
	for _, u := range dir.Users {
		if err := r.PutUser(u); err != nil {
			return nil, fmt.Errorf("user %s: %w", u.ID, err)
		}
	}
	for _, d := range dir.Devices {
		if _, err := r.PutDevice(d); err != nil {
			return nil, fmt.Errorf("device %s: %w", d.ID, err)
		}
	}
	for _, g := range dir.Groups {
		if _, err := r.PutGroup(g); err != nil {
			return nil, fmt.Errorf("group %s (%s): %w", g.ID, g.DisplayName, err)
		}
	}
	return &dir, nil
}

// export is what loadExport took from a Graph export.
type export struct {
	apps        map[mdm.AppID]*mdm.App
	order       []mdm.AppID // as in the export
	assignments int
	skipped     []string // apps of types mdmkit does not assign, with why
}

// loadExport decodes a Graph mobileApps export and puts its apps and their
// assignments into the resolver. A real export spans pages
// ("@odata.nextLink"); concatenate the "value" arrays first.
func loadExport(r *assign.Resolver, data []byte) (*export, error) {
	var page struct {
		Value []json.RawMessage `json:"value"`
	}
	if err := json.Unmarshal(data, &page); err != nil {
		return nil, err
	}
	exp := &export{apps: map[mdm.AppID]*mdm.App{}}
	for i, raw := range page.Value {
		// mdm.App decodes the mobileApp by its @odata.type. Types that are not
		// assigned as apps (the managed*StoreApp entries app protection policies
		// target) are refused as unknown: skip those, fail on anything else.
		var app mdm.App
		if err := json.Unmarshal(raw, &app); err != nil {
			var ve *mdm.ValidationError
			if errors.As(err, &ve) && ve.Field == "@odata.type" && errors.Is(err, mdm.ErrUnknownEnum) {
				var head struct{ ID, DisplayName string }
				_ = json.Unmarshal(raw, &head) // the fields are plain strings; the app failed on its type only
				exp.skipped = append(exp.skipped, fmt.Sprintf("%s (%s): %s is not an app type mdmkit assigns", head.DisplayName, head.ID, ve.Value))
				continue
			}
			return nil, fmt.Errorf("value[%d]: %w", i, err)
		}
		if err := r.PutApp(&app); err != nil {
			return nil, fmt.Errorf("app %s: %w", app.ID, err)
		}
		exp.apps[app.ID] = &app
		exp.order = append(exp.order, app.ID)

		// The assignments of the app, as $expand=assignments nests them. Graph
		// keeps the app's id in the URL, not in the assignment: set it here.
		var nested struct {
			Assignments []mdm.Assignment `json:"assignments"`
		}
		if err := json.Unmarshal(raw, &nested); err != nil {
			return nil, fmt.Errorf("app %s (%s): assignments: %w", app.ID, app.DisplayName, err)
		}
		for _, a := range nested.Assignments {
			a.App = app.ID
			if _, err := r.Assign(a); err != nil {
				return nil, fmt.Errorf("app %s (%s): assignment %s: %w", app.ID, app.DisplayName, a.ID, err)
			}
			exp.assignments++
		}
	}
	return exp, nil
}

// strictDecode decodes JSON refusing unknown fields: a typo in a hand-written
// directory should not silently drop a group member.
func strictDecode(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}
