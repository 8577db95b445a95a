package sim_test

import (
	"context"
	"fmt"
	"os"

	"github.com/mdmkit/mdmkit/sim"
)

// Why does a device have an app, and how did it get it? Watch the pair and
// stop the run at the moment to look at: the report holds the tenant's A11
// explanation then, the status, and the pair's history.
func ExampleRun_watch() {
	f, err := os.Open("testdata/small.json")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer f.Close()
	sc, err := sim.ReadScenario(f, "small.json")
	if err != nil {
		fmt.Println(err)
		return
	}
	rep, err := sim.Run(context.Background(), sc, sim.Options{
		Until: 3 * sim.Day,
		Watch: &sim.Watch{Device: "dev-000002", App: "outlook"}, // an iPhone of the small fleet
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	w := rep.Watch
	fmt.Println("at:", w.At)
	fmt.Println("intent:", w.Explained.Effective.Intent)
	fmt.Println("through:", w.Explained.Applied[0].Assignment)
	fmt.Println("first event:", w.History[0].Event)
	fmt.Println("liveness:", rep.Liveness.Checked, "devices checked (the run stopped early)")
	// Output:
	// at: 3d
	// intent: required
	// through: a-outlook
	// first event: enrolled
	// liveness: 0 devices checked (the run stopped early)
}
