// Package sim is mdmkit's deterministic discrete-event simulator: it runs a fleet
// of virtual devices (package device) against the library exactly as a
// deployment would use it — a tenant (package tenant) answering check-ins, store
// sync (package storesync) against in-process fakes of Apple's Apps and Books
// service (storesync/applefake, through its Direct adapter) and of the Store for
// Business (storesync/msfb) — with virtual time on one goroutine (sim/eventq),
// and reports what happened.
//
//	sc, err := sim.DecodeScenario(data)     // or sim.MidScenario(devices, days), sim.DefaultScenario(devices, days)
//	rep, err := sim.Run(ctx, sc, sim.Options{})
//	rep.WriteText(os.Stdout)                // or rep.WriteJSON; charts and an HTML page: package sim/report
//
// # The run
//
// Run first builds the tenant as an admin would at time 0: users, groups,
// the catalog, the store tokens and a first store sync (which brings the VPP and
// Store for Business apps in, C4), then the assignments. Then it pops events in
// (time, schedule order) until the end. Every device has one timer slot that
// fires at the earliest of its next regular check-in, a push to answer and the
// device's own next event (an install ending, a reboot, the user acting, coming
// back online); a few global slots carry the admin timeline, the store sync
// schedule (S1), the license push to Apple, the tenant's later pushes
// (re-notifications and wake-ups, tenant.DuePushes) and metric sampling. The
// Apple syncers are incremental (storesync.WithIncrementalSync: the assignments
// made since the last versionId, a full read weekly and when needed), told every
// license change of the tenant's pools before each sync, and given them at each
// hourly push.
//
// Devices enroll in waves. A device checks in at enrollment, then on the T2
// cadence: the enrollment burst (every 15 min for 1 h on Apple platforms; every
// 3 min for 15 min, then every 15 min until 2 h on the others), then about every
// 8 h, uniformly within ±Policy.CheckInJitter. A check-in due while the device
// is offline happens when it is back online. A push reaches an online device,
// which checks in within seconds; an offline one does not answer and the tenant
// re-notifies it (Policy.PushRenotifications). The Win32 agent's hourly poll
// (T2) is not modelled: pushes carry assignment changes.
//
// # Invariants and liveness
//
// While running, every check-in is checked: each status change must be a step
// of the T1 lifecycle (the simulator's own reading of SPEC T1, and the tenant's
// declared table, tenant.LegalTransition); no uninstall may go out while a
// required assignment reaches the device (T8); no license pool may grant while
// over its total (L18), checked after every install of a licensed app, every
// sync and every admin action. At the end, every device online enough must
// have reached its effective intents (see LivenessReport). A violation stops
// the run with a *Violation naming the rule, the time, the event, the device
// and the app, and the command line that reproduces it.
//
// # Determinism
//
// Every random draw comes from PCG streams of the scenario's seed, one stream
// per purpose (fleet generation, groups, device behaviour, check-in jitter,
// admin picks), on the run's one goroutine; the tenant's internal locks and
// sharding never reach the order of events. The report's JSON form holds no
// wall-clock figure and no map order, so the same scenario and seed give the
// same bytes at any GOMAXPROCS; Report.TraceHash fingerprints every event, every
// command and every status change.
//
// # Metrics
//
// The report has time to install for required apps (p50, p90, p99 with gonum's
// stat.Quantile, and a histogram), the restore time of required apps users
// removed (T3), compliance and license use sampled over time (per app and per
// pool), commands sent, failures by kind, the A6 conflict rows met over a
// sample of devices, what became of each admin action and store sync, and the
// event counts. Report.Run has the wall time and events per second, left out of
// the JSON. The samples count, per app, the devices installed (and of those,
// holding an older version than the catalog's: T4, L9), pending, failed (and
// of those, waiting for a license, L5) and not installed, and the failures so
// far by kind: what package sim/report draws.
//
// # Looking at one device
//
// Options.Until stops a run at a moment, and Options.Watch follows one
// (device, app) pair: Report.Watch holds what the device reported at each of
// its check-ins, the status changes and commands for the app, the admin
// actions on it, and, when the run stops, the pair's status and the tenant's
// A11 explanation (cmd/fleetsim explain prints it). Watching changes nothing
// in the run: the trace hash is the same.
//
// # Scenarios
//
// A Scenario says everything a run needs; its JSON form is the scenario file
// format. DecodeScenario reads a file strictly (unknown fields, duplicated
// fields, values of the wrong kind and unknown enum names are errors) and
// validates it; every error names the field by its path and its line and column:
//
//	what-if.json:14:22: fleet.platforms[1].share 1.4 is not a share in (0, 1]: give a fraction such as 0.25 for a quarter
//
// The format, field by field, is the documentation of Scenario and the types it
// holds. A small complete file (testdata/small.json, its description left out):
//
//	{
//	  "name": "small",
//	  "seed": 7,
//	  "duration": "10d",
//	  "sampleEvery": "6h",
//	  "fleet": {
//	    "devices": 200,
//	    "users": 150,
//	    "userlessShare": 0.05,
//	    "platforms": [
//	      {"platform": "windows", "share": 0.6, "osVersions": [{"version": "10.0.22631", "share": 1}], "joinType": "hybrid"},
//	      {"platform": "iOS", "share": 0.4, "osVersions": [{"version": "17.4", "share": 0.7}, {"version": "16.7", "share": 0.3}], "profile": "phone"}
//	    ],
//	    "groups": [
//	      {"id": "sales", "kind": "users", "share": 0.3},
//	      {"id": "ios", "kind": "devices", "share": 1, "platforms": ["iOS"]}
//	    ],
//	    "enrollment": [{"at": "0s", "over": "1d", "share": 1}]
//	  },
//	  "apps": [
//	    {"id": "vpn", "type": "win32LobApp", "version": "1.0", "sizeMB": 40},
//	    {"id": "outlook", "type": "iosVppApp", "store": {"token": "vpp-main", "licenses": 50}}
//	  ],
//	  "behavior": {"profiles": [
//	    {"name": "phone", "profile": {"booksAppProbability": 0.9, "schedule": {"nightOffProbability": 0.1}}}
//	  ]},
//	  "stores": {"vpp": [{"id": "vpp-main", "location": "Contoso"}]},
//	  "assignments": [
//	    {"id": "a-vpn", "app": "vpn", "intent": "required", "target": "allUsers"},
//	    {"id": "a-outlook", "app": "outlook", "intent": "required", "target": "group:ios"}
//	  ],
//	  "faults": {"storeOutages": [{"token": "vpp-main", "from": "2d", "to": "2d6h"}]},
//	  "timeline": [
//	    {"at": "3d", "action": "buyLicenses", "app": "outlook", "count": 40},
//	    {"at": "4d", "action": "changeIntent", "id": "a-vpn", "intent": "available"},
//	    {"at": "5d", "action": "newVersion", "app": "vpn", "version": "1.1"}
//	  ]
//	}
//
// Spans of virtual time are strings with an optional whole number of days
// first: "30d", "1d12h", "8h", "15m". Enums use Microsoft Graph's names (intent
// "required", app type "win32LobApp"). Targets are "allUsers", "allDevices",
// "group:ID" and "exclude:ID". A behaviour profile (package device's Profile)
// gives only what differs from device.DefaultProfile(). A file may carry
// comments, "// ..." to the end of a line and "/* ... */", as JSONC does
// (cmd/fleetsim example-scenario writes a commented one); nothing else of
// JSONC is accepted.
//
// # Built-in scenarios
//
// DefaultScenario is issue 7's scenario, a company onboarding its fleet, with
// every count scaled to a fleet size and every time to a number of days; at
// its defaults (100,000 devices, 30 days) it is what bench/fleet measures, and
// cmd/fleetsim runs it as builtin:large. MidScenario is the same story at
// 5,000 devices over 14 days, a run of under a second: cmd/fleetsim's default
// (builtin:mid). Builtin returns either by name.
package sim
