// Package device is a virtual device for the fleet simulator: the client side of
// check-ins, seen by the service only through mdm commands and reports, exactly
// as a real device would be.
//
// A device holds its installed apps and their versions; runs install, update and
// uninstall commands with durations and outcomes drawn from its Profile; answers
// "not now" while busy; reports results at its next check-in; reboots; goes
// offline at night, at weekends and during long absences; and has a user who
// installs and uninstalls apps from the company portal, deletes apps, restarts
// stuck installs, and may leave the company.
//
// # Pieces
//
//   - A Fleet holds what the devices of one run share: a catalog that interns app
//     ids and versions into small integers, the mdm.Policy (T6 stuck threshold,
//     T14 restart grace period), the wall-clock start of the run
//     (for nights and weekends), the company Portal, and reusable buffers.
//   - A Profile is everything random about a class of devices: every probability
//     and every distribution (Dist: fixed, uniform, exponential, log-normal). It
//     has a strict JSON form (durations as strings such as "45m" or "14d") for
//     the simulator's scenario files; Validate and ParseProfile return a
//     *mdm.ValidationError wrapping ErrInvalidProfile that names the field's
//     path. Fleet.NewBehavior checks a profile and binds it to the fleet.
//   - A Device is one device: Init (or New) with an id, a Behavior, the
//     enrollment time and a *rand.Rand.
//
// # Time and events
//
// Time is int64 nanoseconds since the start of the run, the unit of
// sim/eventq.Time. The package never reads the clock, sleeps or starts a
// goroutine; randomness comes only from the *rand.Rand (math/rand/v2) passed to
// each call, never from a global source, so the same seed and the same calls give
// the same behaviour byte for byte.
//
// The simulator keeps one timer per device. The device tells it when its next
// internal event is due (NextEvent: an attempt ending, a stuck install
// restarted, a reboot, a user action, coming back online, an absence ending) and
// the simulator schedules min(next check-in, next push, NextEvent). Step(now)
// runs every event due up to now, each at its own time, so a late step runs
// exactly what timely steps would have, and an early or repeated step runs
// nothing. CheckIn and Receive run what is due first too, and all three return
// the Events the caller must act on: EventCheckInRequested (a portal request,
// or a T5 "retry" result), EventUserLeft (the simulator turns it into
// a directory change) and EventBooksAppRemoved (L8). Times never run backwards:
// a call earlier than the latest one is refused with ErrTimeBackwards and changes
// nothing.
//
// A check-in cycle in the simulator:
//
//	ev, err := d.Step(now, rng)             // at the device's timer
//	if d.Online(now) && checkInDue {
//		ev, err = d.CheckIn(now, rng, &report) // inventory, results, requests
//		err = tenant.CheckIn(wall(now), &report, &out)
//		ev, err = d.Receive(now, rng, out.Commands)
//	}
//	queue.Schedule(slot, min(nextCheckIn, nextPush, d.NextEvent()))
//
// Going offline is not an event, because nothing happens inside the device then;
// coming back online is, so a check-in deferred while the device was offline
// needs no other timer. Online(t) and NextOnline(t) answer for the present.
//
// # Commands and results
//
// Every delivered command gets exactly one final result, in the report of a
// later check-in (see Receive): succeeded; failed with an error code (Profile
// codes, CodeNotManaged for an app the service did not install, A10,
// CodeNotInstalled, CodeBooksAppMissing, L8); retry (CodeRetry), reported with
// EventCheckInRequested because the service's T5 loop (Policy.RetryAttempts
// re-sends, RetryInterval apart) wants it now; or "not now" while the device is
// locked, the app is busy with another command, or too many commands run. An
// install may first report "pending reboot" (CodeSoftReboot), which is not
// final: at the restart (the user's delay, at most Policy.RestartGracePeriod,
// T14) the app appears in the inventory and the command is reported again,
// "succeeded". A stuck attempt makes no progress; after
// Policy.StuckInstallThreshold the user restarts it with the profile's
// probability and delay (T6), and any reboot restarts it.
//
// # Reports
//
// CheckIn fills a caller-owned *mdm.Report. The inventory is complete at every
// check-in (managed apps, unmanaged apps, A10, and the Books app) and sorted by
// app id, so the service can merge-walk it; its strings are the fleet's interned
// ids and versions (add the service's app ids with Fleet.AddApp first and the
// service's string comparisons stop at the pointer). The report's slices are the
// caller's buffers, truncated and refilled at each check-in: the report is valid
// until the next CheckIn with the same *mdm.Report, and a steady check-in (20
// apps, nothing to report) allocates nothing.
//
// # The user
//
// The user acts as a Poisson process with the profile's mean intervals, only
// while the device is online (an action that falls offline waits), except
// leaving. A portal visit asks the Portal for the apps offered to the device's
// primary user (the caller answers from the service's state, as the real company
// portal would) and requests the install of one not on the device, or the
// uninstall of a removable one the service installed (T7); the request goes out
// at the next check-in. Deleting an app removes any app the device holds, managed
// or not (T3: a required app comes back; T7: an available one does not; L8: the
// Books app cannot be restored).
//
// # Memory
//
// An installed app is 8 bytes: an app index and a version index, the top bit
// saying the service installed it. A Device is 208 bytes and holds up to
// InlineApps (11) of them itself, so that a check-in reads its inventory without
// a second cache miss elsewhere in the heap: 208 bytes for a device of 8 apps;
// one with more keeps them all in a separate array grown by a quarter at a time
// (424 bytes for 20 apps), and moves them back in when they fit again, measured
// by BenchmarkDeviceMemory. Commands in progress borrow a small buffer from the
// fleet, returned at the check-in that reports them. No device holds a map or a
// random source. A Fleet and its devices
// are not safe for concurrent use: the simulator drives them from one goroutine.
package device
