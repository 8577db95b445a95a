package device_test

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/mdmkit/mdmkit/device"
	"github.com/mdmkit/mdmkit/mdm"
)

// A device receives an install at a check-in, runs it, and reports the result
// and its inventory at the next check-in.
func Example() {
	fleet, err := device.NewFleet(device.FleetConfig{
		Policy: mdm.DefaultPolicy(),
		Start:  time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC), // a Monday
	})
	if err != nil {
		panic(err)
	}
	p := device.DefaultProfile()
	p.Install.Duration = device.Fixed(4 * time.Minute) // exact, for the example
	p.Install.FailureProbability, p.Install.RetryProbability = 0, 0
	p.Install.PendingRebootProbability, p.Install.StuckProbability = 0, 0
	p.NotNowProbability = 0
	p.UnmanagedApps = []device.UnmanagedApp{{App: "com.zoom.app", Version: "5.17", Probability: 1}}
	behavior, err := fleet.NewBehavior(p)
	if err != nil {
		panic(err)
	}
	rng := rand.New(rand.NewPCG(1, 2)) // the run's seeded source
	nine := device.Time(9 * time.Hour) // Monday 09:00 UTC
	d, err := device.New("laptop-7", behavior, nine, rng)
	if err != nil {
		panic(err)
	}

	var report mdm.Report // reused for every check-in
	if _, err := d.CheckIn(nine, rng, &report); err != nil {
		panic(err)
	}
	fmt.Println("enrolled with:", report.Inventory)

	// The service answers the check-in with a command.
	d.Receive(nine, rng, []mdm.Command{{ID: 1, Kind: mdm.CommandInstall, App: "com.contoso.crm", Version: "3.2"}})
	fmt.Println("next internal event:", d.NextEvent())

	// Fifteen minutes later (say, after a push) the device checks in again.
	later := nine + device.Time(15*time.Minute)
	d.Step(later, rng)
	if _, err := d.CheckIn(later, rng, &report); err != nil {
		panic(err)
	}
	fmt.Println("inventory:", report.Inventory)
	for _, r := range report.Results {
		fmt.Println("result:", r.Command, r.Kind, r.App, r.Outcome)
	}
	// Output:
	// enrolled with: [{com.zoom.app 5.17}]
	// next internal event: +9h4m0s
	// inventory: [{com.contoso.crm 3.2} {com.zoom.app 5.17}]
	// result: cmd-1 install com.contoso.crm succeeded
}

// A scenario gives a profile as JSON: only what differs from DefaultProfile,
// durations as strings, probabilities as numbers. Mistakes name the field.
func ExampleParseProfile() {
	p, err := device.ParseProfile([]byte(`{
		"install": {"duration": {"dist": "lognormal", "median": "6m", "sigma": 1, "max": "3h"},
		            "failureProbability": 0.05},
		"schedule": {"utcOffset": "1h", "nightOffProbability": 0.9, "absenceEvery": "60d"},
		"user": {"leaveAfter": "2y"}
	}`))
	fmt.Println(err)

	p, err = device.ParseProfile([]byte(`{"schedule": {"utcOffset": "1h", "nightOff": 0.9}}`))
	fmt.Println(err)

	p, err = device.ParseProfile([]byte(`{"install": {"failureProbability": 0.05, "duration": {"dist": "fixed", "value": "20m"}}}`))
	fmt.Println(err, p.Install.Duration, p.Install.FailureProbability)
	// Output:
	// user.leaveAfter "2y" is not a duration (Go's syntax with an optional whole number of days first): give a duration string such as "45m", "8h" or "14d"
	// schedule.nightOff is not a field of schedule: check the spelling; the fields are absenceEvery, absenceLength, jitter, nightEnd, nightOffProbability, nightStart, utcOffset, weekendOffProbability
	// <nil> fixed value=20m 0.05
}
