// Command httpserver embeds a mdmkit tenant in an HTTP server on the loopback
// interface and lets a few virtual devices check in over JSON until they have
// what their assignments require.
//
//	go run ./examples/httpserver
//
// What it shows:
//
//   - the tenant is a library, not a service: the program owns the listener,
//     the clock and the push channel, and calls the tenant from ordinary
//     net/http handlers (server.go);
//   - no lock around the tenant: it is safe for concurrent use, and the three
//     devices check in from their own goroutines at the same time;
//   - a check-in is one POST: the device's mdm.Report in, mdm.Commands out; the
//     device runs them and reports the results at its next check-in
//     (agent.go);
//   - admin calls over HTTP take Graph's JSON (mobileAppAssignment, mobileApp)
//     and answer with the devices the tenant pushed;
//   - a Win32 dependency installs before its parent (T10), a device that says
//     "not now" gets the command again, and a new version goes out as an
//     update (T4).
//
// The output is the same at every run: devices act concurrently, but each
// device's story is its own and is printed in device order.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/mdmkit/mdmkit/mdm"
	"github.com/mdmkit/mdmkit/tenant"
)

func main() {
	if err := run(context.Background(), os.Stdout, time.Now, 30*time.Second); err != nil {
		fmt.Fprintln(os.Stderr, "httpserver:", err)
		os.Exit(1)
	}
}

// The catalog. Win32 apps carry their uploaded package; the runtime is a
// dependency of the VPN client, installed automatically first (C9, T10).
var (
	runtimeApp = mdm.App{ID: "vcredist", DisplayName: "Visual C++ Runtime", Type: mdm.AppTypeWin32, Version: "14.38",
		Publisher: "Microsoft", Package: mdm.Package{FileName: "vcredist.intunewin", Size: 25 * mdm.MiB}}
	vpnApp = mdm.App{ID: "vpn", DisplayName: "Contoso VPN", Type: mdm.AppTypeWin32, Version: "4.2",
		Publisher: "Contoso", Package: mdm.Package{FileName: "ContosoVPN.intunewin", Size: 48 * mdm.MiB},
		Dependencies: []mdm.Dependency{{App: "vcredist", Kind: mdm.AutoInstall}}}
	fieldApp = mdm.App{ID: "field", DisplayName: "Contoso Field Service", Type: mdm.AppTypeIOSLOB, Version: "2.0",
		Publisher: "Contoso", Package: mdm.Package{FileName: "FieldService.ipa", Size: 80 * mdm.MiB}}
)

// run starts the server and the devices, plays the story and prints it to w.
// now is the service's clock; timeout bounds every wait for the devices.
func run(ctx context.Context, w io.Writer, now func() time.Time, timeout time.Duration) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	t, err := setupTenant(now())
	if err != nil {
		return err
	}

	// The server listens on 127.0.0.1, any free port.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	url := "http://" + ln.Addr().String()
	client := &http.Client{Transport: &http.Transport{}, Timeout: timeout}

	// The devices: each runs its own check-in loop. laptop-2's user is busy
	// when the first command arrives.
	settled := make(chan struct{}, 1)
	ids := []mdm.DeviceID{"iphone-1", "laptop-1", "laptop-2"}
	agents := map[mdm.DeviceID]*agent{}
	for _, id := range ids {
		agents[id] = newAgent(id, url, client, settled)
	}
	agents["laptop-2"].busy = true

	// Pushes go to the device agents (a real service calls APNs, FCM or WNS).
	srv := newServer(t, now, func(d mdm.DeviceID) {
		if a, ok := agents[d]; ok {
			a.push()
		}
	})
	hs := &http.Server{Handler: srv.handler(), ReadHeaderTimeout: 5 * time.Second}
	go hs.Serve(ln) //nolint:errcheck // returns http.ErrServerClosed at Shutdown
	defer func() {
		// Stop the devices and close their connections first: Shutdown waits
		// for open connections to go idle.
		cancel()
		client.CloseIdleConnections()
		ctx, stop := context.WithTimeout(context.Background(), timeout)
		defer stop()
		_ = hs.Shutdown(ctx)
	}()
	fmt.Fprintln(w, "tenant serving on 127.0.0.1 (loopback)")

	for _, id := range ids {
		go agents[id].run(ctx)
		agents[id].push() // a device checks in on its own right after enrollment (T2)
	}
	if err := waitSettled(ctx, agents, settled, timeout); err != nil {
		return err
	}
	printLogs(w, "enrollment check-ins (nothing assigned yet)", ids, agents)

	// Admin: two required assignments, over HTTP, in Graph's JSON.
	fmt.Fprintln(w)
	for _, a := range []mdm.Assignment{
		{ID: "a-vpn", App: "vpn", Intent: mdm.Required, Target: mdm.GroupTarget("laptops"), Settings: mdm.DefaultSettings(mdm.AppTypeWin32)},
		{ID: "a-field", App: "field", Intent: mdm.Required, Target: mdm.GroupTarget("field-staff"), Settings: mdm.DefaultSettings(mdm.AppTypeIOSLOB)},
	} {
		var ans adminAnswer
		if err := call(ctx, client, http.MethodPost, url+"/admin/assignments", a, &ans); err != nil {
			return err
		}
		fmt.Fprintf(w, "POST /admin/assignments %s (%s %s → %s): pushed %s\n", a.ID, a.App, a.Intent, a.Target, join(ans.Notified))
	}
	if err := waitSettled(ctx, agents, settled, timeout); err != nil {
		return err
	}
	printLogs(w, "devices converge", ids, agents)

	// Admin: a new version of the VPN client. Devices holding it are pushed and
	// get an update command (T4).
	fmt.Fprintln(w)
	v43 := vpnApp
	v43.Version = "4.3"
	v43.Package.FileName = "ContosoVPN-4.3.intunewin"
	var ans adminAnswer
	if err := call(ctx, client, http.MethodPut, url+"/admin/apps/vpn", v43, &ans); err != nil {
		return err
	}
	fmt.Fprintf(w, "PUT /admin/apps/vpn (version %s): pushed %s\n", v43.Version, join(ans.Notified))
	if err := waitSettled(ctx, agents, settled, timeout); err != nil {
		return err
	}
	printLogs(w, "devices converge", ids, agents)

	// What the service knows now, read over HTTP as an admin console would.
	fmt.Fprintln(w)
	fmt.Fprintln(w, "status at the service:")
	for _, id := range ids {
		var st tenant.DeviceStatus
		if err := call(ctx, client, http.MethodGet, url+"/admin/devices/"+string(id)+"/status", nil, &st); err != nil {
			return err
		}
		for _, a := range st.Apps {
			state := a.State.String()
			if a.Detail != mdm.DetailNone {
				state += " (" + a.Detail.String() + ")"
			}
			fmt.Fprintf(w, "  %-8s  %-8s  intent %-8s  %s\n", id, a.App, a.Intent, state)
		}
	}

	// Why does Ada's laptop have a status for an iPhone app? The explanation
	// (A11) says: the app is assigned to a user group, and user-targeted apps
	// follow the user to each of her devices (D3); the tenant then found that
	// the platform does not match (T11).
	fmt.Fprintln(w)
	const explain = "/admin/devices/laptop-1/apps/field/explain"
	var why bytes.Buffer
	if err := call(ctx, client, http.MethodGet, url+explain, nil, &why); err != nil {
		return err
	}
	fmt.Fprint(w, "GET "+explain+"\n", why.String())
	return nil
}

// setupTenant builds the tenant as an embedding program would at start-up:
// catalog, users, enrolled devices, groups. Assignments come later, over HTTP.
func setupTenant(now time.Time) (*tenant.Tenant, error) {
	t, err := tenant.New(tenant.Config{}) // the product's default policy (SPEC P)
	if err != nil {
		return nil, err
	}
	var errs []error
	check := func(_ tenant.Change, err error) { errs = append(errs, err) }
	for _, app := range []mdm.App{runtimeApp, vpnApp, fieldApp} {
		check(t.AddApp(now, app))
	}
	for _, u := range []mdm.User{{ID: "ada", DisplayName: "Ada"}, {ID: "bob", DisplayName: "Bob"}} {
		check(t.PutUser(now, u))
	}
	for _, d := range []mdm.Device{
		{ID: "laptop-1", Name: "ADA-LAPTOP", PrimaryUser: "ada", Platform: mdm.PlatformWindows, OSVersion: "10.0.22631"},
		{ID: "laptop-2", Name: "BOB-LAPTOP", PrimaryUser: "bob", Platform: mdm.PlatformWindows, OSVersion: "10.0.22631"},
		{ID: "iphone-1", Name: "Ada's iPhone", PrimaryUser: "ada", Platform: mdm.PlatformIOS, OSVersion: "17.4"},
	} {
		check(t.EnrollDevice(now, d))
	}
	check(t.PutGroup(now, mdm.Group{ID: "laptops", DisplayName: "Laptops", Kind: mdm.DeviceMembers,
		Devices: []mdm.DeviceID{"laptop-1", "laptop-2"}}))
	check(t.PutGroup(now, mdm.Group{ID: "field-staff", DisplayName: "Field staff", Kind: mdm.UserMembers,
		Users: []mdm.UserID{"ada"}}))
	return t, errors.Join(errs...)
}

// waitSettled waits until every agent has answered every push with a check-in
// that brought nothing new: the devices have converged.
func waitSettled(ctx context.Context, agents map[mdm.DeviceID]*agent, settled <-chan struct{}, timeout time.Duration) error {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		all := true
		for _, a := range agents {
			ok, err := a.state()
			if err != nil {
				return err
			}
			all = all && ok
		}
		if all {
			return nil
		}
		select {
		case <-settled:
		case <-deadline.C:
			return fmt.Errorf("devices did not converge within %v", timeout)
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

func printLogs(w io.Writer, title string, ids []mdm.DeviceID, agents map[mdm.DeviceID]*agent) {
	fmt.Fprintln(w, title+":")
	for _, id := range ids {
		log := agents[id].takeLog()
		if len(log) == 0 {
			log = []string{"nothing to do"}
		}
		for _, l := range log {
			fmt.Fprintf(w, "  %-8s  %s\n", id, l)
		}
	}
}

// call sends an admin request with a JSON body (when in is not nil) and
// decodes the JSON answer into out (or copies it, for a *bytes.Buffer).
func call(ctx context.Context, c *http.Client, method, url string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, body)
	if err != nil {
		return err
	}
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		return fmt.Errorf("%s %s: %s: %s", method, url, resp.Status, strings.TrimSpace(string(msg)))
	}
	if buf, ok := out.(*bytes.Buffer); ok {
		_, err = io.Copy(buf, resp.Body)
		return err
	}
	return json.NewDecoder(resp.Body).Decode(out)
}

func join(ids []mdm.DeviceID) string {
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = string(id)
	}
	return strings.Join(s, ", ")
}
