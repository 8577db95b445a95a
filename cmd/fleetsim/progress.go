package main

import (
	"fmt"
	"io"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/mdmkit/mdmkit/sim"
)

// progress is the progress bar of a run on stderr: simulated days done,
// events per second and the time left. It appears only on a terminal, and only
// once a run has taken longer than after, so that a quick run prints its
// summary alone.
type progress struct {
	w     io.Writer
	on    bool
	after time.Duration
	start time.Time
	bar   *progressbar.ProgressBar
}

func newProgress(w io.Writer, on bool, after time.Duration) *progress {
	return &progress{w: w, on: on, after: after, start: time.Now()}
}

// progressEvery is how many events pass between two looks at the run's
// progress (and its context): ten or more a second at the simulator's rate.
const progressEvery = 50_000

// attach asks the run for progress, when the bar may show.
func (p *progress) attach(o *sim.Options) {
	if !p.on {
		return
	}
	o.Progress = p.update
	o.ProgressEvery = progressEvery
}

// update is the run's Progress callback. The bar counts simulated minutes, so
// its estimate of the time left follows the simulated time done per second.
func (p *progress) update(pr sim.Progress) {
	el := time.Since(p.start)
	if p.bar == nil {
		if el < p.after || pr.Now >= pr.End {
			return
		}
		p.bar = progressbar.NewOptions64(int64(pr.End/time.Minute),
			progressbar.OptionSetWriter(p.w),
			progressbar.OptionSetWidth(30),
			progressbar.OptionSetPredictTime(true),
			progressbar.OptionSetElapsedTime(true),
			progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionClearOnFinish(),
			progressbar.OptionSetRenderBlankState(false),
		)
	}
	p.bar.Describe(fmt.Sprintf("day %.1f of %g, %.0f events/s", pr.Now.Hours()/24, pr.End.Hours()/24,
		float64(pr.Events)/max(el.Seconds(), 1e-9)))
	_ = p.bar.Set64(int64(pr.Now / time.Minute)) // a failed write to stderr is not worth stopping the run
}

// done takes the bar off the terminal before the summary is printed.
func (p *progress) done() {
	if p.bar != nil {
		_ = p.bar.Finish()
		_ = p.bar.Clear()
	}
}
