package main

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mdmkit/mdmkit/examples/internal/golden"
	"github.com/mdmkit/mdmkit/mdm"
	"github.com/mdmkit/mdmkit/tenant"
)

// fakeClock is a clock that moves one second at every reading: the server sees
// time pass, the test never waits for it.
func fakeClock() func() time.Time {
	start := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	var ticks atomic.Int64
	return func() time.Time { return start.Add(time.Duration(ticks.Add(1)) * time.Second) }
}

// The whole program on loopback, with a fake clock: its output is the golden
// file, byte for byte (devices check in concurrently, but each device's story
// is deterministic: T3 install, T10 dependency first, "not now" re-sent, T4
// update). Run it a few times: scheduling must not reach the output.
func TestRun(t *testing.T) {
	for i := range 3 {
		var out bytes.Buffer
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		err := run(ctx, &out, fakeClock(), 5*time.Second)
		cancel()
		if err != nil {
			t.Fatalf("run %d: %v", i, err)
		}
		golden.Check(t, "testdata/output.golden", out.Bytes())
	}
}

// The handler's answers to bad requests: the tenant's typed errors map to HTTP
// statuses, and a refusal changes nothing (an A3 conflict, then the same
// assignment accepted once corrected).
func TestServer_Errors(t *testing.T) {
	now := fakeClock()
	tn, err := setupTenant(now())
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var pushed []mdm.DeviceID
	srv := httptest.NewServer(newServer(tn, now, func(d mdm.DeviceID) {
		mu.Lock()
		pushed = append(pushed, d)
		mu.Unlock()
	}).handler())
	defer srv.Close()
	ctx := context.Background()
	c := srv.Client()

	status := func(err error) string {
		if err == nil {
			return "ok"
		}
		s := err.Error()
		for _, code := range []string{"404", "400", "422"} {
			if strings.Contains(s, ": "+code+" ") {
				return code
			}
		}
		return s
	}
	var ans checkInAnswer
	if got := status(call(ctx, c, http.MethodPost, srv.URL+"/checkin", mdm.Report{Device: "nobody"}, &ans)); got != "404" {
		t.Errorf("check-in of an unknown device: %s, want 404", got)
	}
	bad := mdm.Report{Device: "laptop-1", Inventory: []mdm.InstalledApp{{App: "vpn"}, {App: "vpn"}}}
	if got := status(call(ctx, c, http.MethodPost, srv.URL+"/checkin", bad, &ans)); got != "422" {
		t.Errorf("check-in with an app twice in the inventory: %s, want 422", got)
	}
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/checkin", strings.NewReader(`{"deviceId": 7}`))
	if resp, err := c.Do(req); err != nil || resp.StatusCode != http.StatusBadRequest {
		t.Errorf("check-in that is not JSON of a report: %v %v", resp.Status, err)
	}

	// A3: one group, one app, two intents: the second is refused.
	first := mdm.Assignment{ID: "a1", App: "vpn", Intent: mdm.Required, Target: mdm.GroupTarget("laptops")}
	second := mdm.Assignment{ID: "a2", App: "vpn", Intent: mdm.Available, Target: mdm.GroupTarget("laptops")}
	var admin adminAnswer
	if err := call(ctx, c, http.MethodPost, srv.URL+"/admin/assignments", first, &admin); err != nil {
		t.Fatal(err)
	}
	err = call(ctx, c, http.MethodPost, srv.URL+"/admin/assignments", second, &admin)
	if status(err) != "422" || !strings.Contains(err.Error(), "A3") {
		t.Errorf("A3 conflict: %v, want 422 naming A3", err)
	}
	if got := tn.Assignments(); len(got) != 1 || got[0].ID != "a1" {
		t.Errorf("assignments after the refusal: %v", got)
	}
	mu.Lock()
	if len(pushed) != 2 {
		t.Errorf("pushed %v, want the two laptops once", pushed)
	}
	mu.Unlock()

	// The first laptop checks in and gets the dependency first; the app waits
	// for it (T10).
	if err := call(ctx, c, http.MethodPost, srv.URL+"/checkin", mdm.Report{Device: "laptop-1"}, &ans); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, cmd := range ans.Commands {
		got = append(got, cmd.Kind.String()+" "+string(cmd.App))
	}
	if strings.Join(got, ", ") != "install vcredist" {
		t.Errorf("commands %v", got)
	}
	// The app id in the URL and in the body must agree.
	other := vpnApp
	other.ID = "vcredist"
	if err := call(ctx, c, http.MethodPut, srv.URL+"/admin/apps/vpn", other, &admin); status(err) != "400" {
		t.Errorf("update with mismatched ids: %v", err)
	}
}

// Check-ins run in parallel with admin calls and with each other; under -race
// this proves the handler needs no lock of its own around the tenant.
func TestServer_ConcurrentCheckIns(t *testing.T) {
	now := fakeClock()
	tn, err := setupTenant(now())
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(newServer(tn, now, func(mdm.DeviceID) {}).handler())
	defer srv.Close()
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for _, d := range []mdm.DeviceID{"laptop-1", "laptop-2", "iphone-1"} {
		wg.Go(func() {
			for range 10 {
				var ans checkInAnswer
				if err := call(ctx, srv.Client(), http.MethodPost, srv.URL+"/checkin", mdm.Report{Device: d}, &ans); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Go(func() {
		a := mdm.Assignment{ID: "a-vpn", App: "vpn", Intent: mdm.Required, Target: mdm.GroupTarget("laptops")}
		var ans adminAnswer
		if err := call(ctx, srv.Client(), http.MethodPost, srv.URL+"/admin/assignments", a, &ans); err != nil {
			errs <- err
		}
	})
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	st, err := tn.DeviceStatus("laptop-1")
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range st.Apps {
		// check-ins that ran nothing: the dependency is requested (or, once a
		// later check-in has acknowledged it, installing, T1) and the app waits
		// for it (T10), whatever the interleaving was
		ok := a.App == "vpn" && a.State == mdm.StatePendingInstall ||
			a.App == "vcredist" && (a.State == mdm.StateInstallRequested || a.State == mdm.StateInstalling)
		if !ok {
			t.Errorf("%s on laptop-1: %v", a.App, a.State)
		}
	}
	if _, err := tn.DeviceStatus("nobody"); !errors.Is(err, tenant.ErrUnknownDevice) {
		t.Errorf("unknown device: %v", err)
	}
}
