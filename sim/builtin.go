package sim

import (
	"errors"
	"fmt"
	"strings"
)

// Sizes of the mid-size built-in scenario, the one cmd/fleetsim runs with no
// arguments: a realistic mid-size tenant that a laptop simulates in well under
// a few seconds (about 250,000 events).
const (
	MidDevices = 5_000
	MidDays    = 14
)

// MidScenario returns the mid-size built-in scenario: DefaultScenario's company
// (its fleet mix, apps, pools short of licenses, failure rates, faults and
// admin timeline) at 5,000 devices over two weeks. DefaultScenario scales every
// count with the fleet and every time with the days, so the story is the same
// one, told faster: enrollment waves over the first five days, the last admin
// change at two thirds of the run, and the rest left to converge.
//
// With devices ≤ 0 or days ≤ 0 the mid-size defaults apply (MidDevices,
// MidDays). The scenario is named "mid".
func MidScenario(devices, days int) *Scenario {
	if devices <= 0 {
		devices = MidDevices
	}
	if days <= 0 {
		days = MidDays
	}
	sc := DefaultScenario(devices, days)
	sc.Name = "mid"
	sc.Description = "A mid-size company onboards its fleet (the default scenario at 5,000 devices over two weeks): " +
		"20 apps of mixed intents, VPP and Store for Business pools short of licenses, default failure rates, " +
		"and an admin timeline with a store outage and a claimed token."
	return sc
}

// Builtins are the names of the built-in scenarios, in the order a user reads
// them: "mid" (MidScenario, cmd/fleetsim's default) and "large"
// (DefaultScenario at its issue-7 size, 100,000 devices over 30 days, the one
// bench/fleet measures).
var Builtins = []string{"mid", "large"}

// ErrUnknownBuiltin is wrapped by the error of Builtin for a name it does not
// know.
var ErrUnknownBuiltin = errors.New("unknown built-in scenario")

// Builtin returns the built-in scenario called name (see Builtins), for a fleet
// of devices over days; devices ≤ 0 or days ≤ 0 keep the scenario's own size.
// The "large" one keeps DefaultScenario's content and is named "large".
func Builtin(name string, devices, days int) (*Scenario, error) {
	switch name {
	case "mid":
		return MidScenario(devices, days), nil
	case "large":
		sc := DefaultScenario(devices, days)
		sc.Name = "large"
		return sc, nil
	}
	return nil, fmt.Errorf("%w %q: use one of %s", ErrUnknownBuiltin, name, strings.Join(Builtins, ", "))
}
