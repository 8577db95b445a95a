package sim_test

import (
	"context"
	"fmt"
	"os"

	"github.com/mdmkit/mdmkit/sim"
)

// Run a scenario file and read the report. The same file and seed give the
// same report, byte for byte; WriteText and WriteJSON print it whole.
func Example() {
	f, err := os.Open("testdata/small.json")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer f.Close()
	sc, err := sim.ReadScenario(f, "small.json")
	if err != nil {
		fmt.Println(err) // every problem, each with its field and line
		return
	}
	rep, err := sim.Run(context.Background(), sc, sim.Options{})
	if err != nil {
		fmt.Println(err) // a *sim.Violation prints the reproduction line
		return
	}
	fmt.Println("devices enrolled:", rep.Events.Enrollments)
	fmt.Println("every check-in answered:", rep.Events.CheckIns > 0 && rep.Violation == nil)
	fmt.Println("sync failed in the outage:", rep.Syncs.Failed > 0)
	fmt.Println("devices checked for convergence:", rep.Liveness.Checked > 0)
	// Output:
	// devices enrolled: 200
	// every check-in answered: true
	// sync failed in the outage: true
	// devices checked for convergence: true
}

// A scenario that does not hold together is refused before anything runs, with
// every problem named by its field and line.
func ExampleDecodeScenario() {
	_, err := sim.DecodeScenario([]byte(`{
  "duration": "30d",
  "fleet": {"devices": 10, "users": 5,
    "platforms": [{"platform": "iOZ", "share": 1, "osVersions": [{"version": "17.4", "share": 1}]}],
    "enrollment": [{"at": "0s", "over": "1d", "share": 1}]},
  "apps": []
}`))
	fmt.Println(err)
	// Output:
	// 4:32: fleet.platforms[0].platform "iOZ" is not a known value: use one of: android, androidEnterprise, iOS, macOS, windows
}
