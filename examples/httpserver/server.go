package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/mdmkit/mdmkit/mdm"
	"github.com/mdmkit/mdmkit/tenant"
)

// server puts a *tenant.Tenant behind HTTP. It is deliberately thin: decode the
// request, call the tenant with the current time, encode what the tenant
// returned. Everything a device management service decides lives in the tenant.
//
// Note what is missing: a mutex. A Tenant is safe for concurrent use — admin
// operations take its write lock, check-ins share its read lock and each takes
// only its own device's lock — so net/http may run any number of these handlers
// at once, and check-ins of different devices proceed in parallel.
type server struct {
	t *tenant.Tenant
	// now is the service's clock. The tenant never reads a clock itself: the
	// embedding program passes time in (time.Now in production, a fake clock in
	// tests), which is what makes the tenant reproducible.
	now func() time.Time
	// push notifies a device that it should check in (APNs, FCM or WNS in a real
	// service). The tenant says whom to push; delivering is the caller's job.
	// A production server also pushes what the tenant schedules for later —
	// re-notifications of silent devices (T2), reinstall and retry wake-ups
	// (T3, T5) — by calling t.DuePushes(time.Now(), nil) whenever
	// t.NextPush() comes due; nothing in this short demo becomes due.
	push func(mdm.DeviceID)
	// results recycles CheckInResults: a CheckIn fills a caller-owned result
	// and, in steady state, allocates nothing when that result is reused.
	results sync.Pool
}

func newServer(t *tenant.Tenant, now func() time.Time, push func(mdm.DeviceID)) *server {
	s := &server{t: t, now: now, push: push}
	s.results.New = func() any { return new(tenant.CheckInResult) }
	return s
}

// checkInAnswer is the body of the answer to a check-in.
type checkInAnswer struct {
	Commands []mdm.Command `json:"commands"`
}

// adminAnswer is the body of the answer to an admin call: the devices the
// service pushed because of it (tenant.Change.Notify).
type adminAnswer struct {
	Notified []mdm.DeviceID `json:"notified"`
}

// handler returns the HTTP API:
//
//	POST /checkin                          device check-in: mdm.Report in, commands out
//	POST /admin/assignments                add an assignment (Graph's mobileAppAssignment JSON)
//	PUT  /admin/apps/{app}                 update an app (Graph's mobileApp JSON), e.g. a new version
//	GET  /admin/devices/{device}/status    every app's install state on a device
//	GET  /admin/devices/{device}/apps/{app}/explain   why the device gets the app (A11)
func (s *server) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /checkin", s.checkIn)
	mux.HandleFunc("POST /admin/assignments", s.assign)
	mux.HandleFunc("PUT /admin/apps/{app}", s.updateApp)
	mux.HandleFunc("GET /admin/devices/{device}/status", s.deviceStatus)
	mux.HandleFunc("GET /admin/devices/{device}/apps/{app}/explain", s.explain)
	return mux
}

// checkIn answers a device: it reports its complete inventory, the results of
// the commands it ran and the user's portal requests; the tenant records them
// and answers with the commands to run now.
func (s *server) checkIn(w http.ResponseWriter, r *http.Request) {
	var report mdm.Report
	if !decode(w, r, &report) {
		return
	}
	out := s.results.Get().(*tenant.CheckInResult)
	defer s.results.Put(out)
	if err := s.t.CheckIn(s.now(), &report, out); err != nil {
		fail(w, err)
		return
	}
	// out.Commands is valid until out is reused: encode before putting it back.
	reply(w, http.StatusOK, checkInAnswer{Commands: out.Commands})
}

// assign adds an assignment and pushes the devices it reaches, so that they
// check in now instead of at their next scheduled check-in (T2).
func (s *server) assign(w http.ResponseWriter, r *http.Request) {
	var a mdm.Assignment
	if !decode(w, r, &a) {
		return
	}
	ch, err := s.t.Assign(s.now(), a)
	if err != nil {
		fail(w, err)
		return
	}
	s.notify(ch)
	reply(w, http.StatusCreated, adminAnswer{Notified: ch.Notify})
}

// updateApp replaces an app's facts; a new version reaches the devices that
// hold the app at their next check-in (T4), and they are pushed now.
func (s *server) updateApp(w http.ResponseWriter, r *http.Request) {
	var app mdm.App
	if !decode(w, r, &app) {
		return
	}
	if app.ID != mdm.AppID(r.PathValue("app")) {
		http.Error(w, fmt.Sprintf("app id %q in the body does not match the URL", app.ID), http.StatusBadRequest)
		return
	}
	ch, err := s.t.UpdateApp(s.now(), app)
	if err != nil {
		fail(w, err)
		return
	}
	s.notify(ch)
	reply(w, http.StatusOK, adminAnswer{Notified: ch.Notify})
}

func (s *server) deviceStatus(w http.ResponseWriter, r *http.Request) {
	st, err := s.t.DeviceStatus(mdm.DeviceID(r.PathValue("device")))
	if err != nil {
		fail(w, err)
		return
	}
	reply(w, http.StatusOK, st)
}

func (s *server) explain(w http.ResponseWriter, r *http.Request) {
	x, err := s.t.Explain(mdm.DeviceID(r.PathValue("device")), mdm.AppID(r.PathValue("app")))
	if err != nil {
		fail(w, err)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	fmt.Fprint(w, x)
}

func (s *server) notify(ch tenant.Change) {
	for _, d := range ch.Notify {
		s.push(d)
	}
}

// maxBody bounds a request body: a check-in of a device with a thousand apps is
// a few tens of kilobytes.
const maxBody = 1 << 20

func decode(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody))
	if err := dec.Decode(v); err != nil {
		http.Error(w, "bad request body: "+err.Error(), http.StatusBadRequest)
		return false
	}
	return true
}

// fail maps the tenant's typed errors to HTTP statuses. Every refusal changed
// nothing in the tenant, so the client may correct the request and send it
// again. The messages name the field, the value, the rule and what to do.
func fail(w http.ResponseWriter, err error) {
	code := http.StatusInternalServerError
	var ve *mdm.ValidationError
	switch {
	case errors.Is(err, tenant.ErrUnknownDevice), errors.Is(err, mdm.ErrUnknownApp):
		code = http.StatusNotFound
	case errors.As(err, &ve):
		code = http.StatusUnprocessableEntity
	}
	http.Error(w, err.Error(), code)
}

func reply(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v) // the client has gone if this fails
}
