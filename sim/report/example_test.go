package report_test

import (
	"context"
	"fmt"
	"os"

	"github.com/mdmkit/mdmkit/sim"
	"github.com/mdmkit/mdmkit/sim/report"
)

// Run a small built-in scenario and write its report: the JSON, the text
// summary, the charts and the page that embeds them.
func ExampleWriteDir() {
	rep, err := sim.Run(context.Background(), sim.MidScenario(200, 3), sim.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	dir, err := os.MkdirTemp("", "fleetsim-report")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	files, err := report.WriteDir(dir, rep)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, f := range files {
		fmt.Println(f)
	}
	// Output:
	// compliance.png
	// failures.png
	// licenses.png
	// report.html
	// report.json
	// summary.txt
	// time-to-install.png
}
