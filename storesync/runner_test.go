package storesync_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/benbjohnson/clock"

	"github.com/mdmkit/mdmkit/mdm"
	"github.com/mdmkit/mdmkit/storesync"
)

// countingJob records the times it was synced at.
type countingJob struct {
	token mdm.TokenID
	mu    sync.Mutex
	at    []time.Time
}

func (j *countingJob) Token() mdm.TokenID { return j.token }

func (j *countingJob) Sync(_ context.Context, now time.Time) *storesync.Report {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.at = append(j.at, now)
	return &storesync.Report{Token: j.token, At: now}
}

func (j *countingJob) times() []time.Time {
	j.mu.Lock()
	defer j.mu.Unlock()
	return append([]time.Time(nil), j.at...)
}

// S1: the runner syncs every Policy.VPPSyncInterval (twice a day) on its clock, and
// on demand, and stops. The mock clock drives it: no sleeps.
func TestRunner_ScheduleOnDemandStop(t *testing.T) {
	clk := clock.NewMock()
	clk.Set(t0)
	a, b := &countingJob{token: "a"}, &countingJob{token: "b"}
	reports := make(chan *storesync.Report, 8)
	r := storesync.NewRunner([]storesync.Job{a, b}, storesync.WithClock(clk), storesync.WithReports(reports))
	if r.Interval() != mdm.DefaultPolicy().VPPSyncInterval || r.Interval() != 12*time.Hour {
		t.Fatalf("interval %v", r.Interval())
	}
	ctx := context.Background()
	r.Start(ctx)
	defer r.Stop()

	clk.Add(11 * time.Hour)          // not yet
	reps, err := r.SyncNow(ctx, "b") // on demand, one token
	if err != nil || len(reps) != 1 || reps[0].Token != "b" {
		t.Fatalf("SyncNow: %v %v", reps, err)
	}
	if <-reports != reps[0] {
		t.Fatal("on-demand report not published")
	}
	if len(a.times()) != 0 {
		t.Fatalf("a synced early: %v", a.times())
	}
	clk.Add(time.Hour) // 12 h: the schedule fires
	for _, want := range []mdm.TokenID{"a", "b"} {
		if rep := <-reports; rep.Token != want || !rep.At.Equal(t0.Add(12*time.Hour)) {
			t.Fatalf("scheduled report %v %v", rep.Token, rep.At)
		}
	}
	clk.Add(12 * time.Hour)
	<-reports
	<-reports
	if got := a.times(); len(got) != 2 || !got[1].Equal(t0.Add(24*time.Hour)) {
		t.Fatalf("a synced at %v", got)
	}
	reps, err = r.SyncNow(ctx, "")
	if err != nil || len(reps) != 2 {
		t.Fatalf("SyncNow all: %v %v", reps, err)
	}
	<-reports
	<-reports

	r.Stop()
	r.Stop() // twice is fine
	if _, err := r.SyncNow(ctx, ""); !errors.Is(err, storesync.ErrStopped) {
		t.Fatalf("SyncNow after Stop: %v", err)
	}
	clk.Add(24 * time.Hour)
	if got := len(a.times()); got != 3 {
		t.Fatalf("synced after Stop: %d", got)
	}
}

// S1: the interval is a policy value; the context's end stops the runner too.
func TestRunner_IntervalAndContext(t *testing.T) {
	clk := clock.NewMock()
	j := &countingJob{token: "a"}
	reports := make(chan *storesync.Report, 4)
	r := storesync.NewRunner([]storesync.Job{j}, storesync.WithClock(clk), storesync.WithInterval(24*time.Hour),
		storesync.WithReports(reports))
	ctx, cancel := context.WithCancel(context.Background())
	r.Start(ctx)
	clk.Add(12 * time.Hour)
	if len(j.times()) != 0 {
		t.Fatal("synced at 12 h with a 24 h interval")
	}
	clk.Add(12 * time.Hour)
	<-reports
	cancel()
	if _, err := r.SyncNow(context.Background(), ""); !errors.Is(err, storesync.ErrStopped) {
		t.Fatalf("after cancel: %v", err)
	}
	r.Stop()
	if _, err := storesync.NewRunner(nil).SyncNow(context.Background(), ""); err == nil {
		t.Fatal("SyncNow before Start")
	}
}

// S1: on demand needs a running runner: before Start SyncNow fails with
// ErrNotStarted, after Stop (started or not) with ErrStopped, as errors a
// caller can branch on.
func TestRunner_SyncNowNotRunning(t *testing.T) {
	r := storesync.NewRunner([]storesync.Job{&countingJob{token: "t1"}}, storesync.WithClock(clock.NewMock()))
	if _, err := r.SyncNow(context.Background(), ""); !errors.Is(err, storesync.ErrNotStarted) {
		t.Fatalf("before Start: %v", err)
	}
	r.Stop()
	if _, err := r.SyncNow(context.Background(), ""); !errors.Is(err, storesync.ErrStopped) {
		t.Fatalf("after Stop, never started: %v", err)
	}
}

// S1: a nil job (a nil Job, or a nil *AppleSyncer in one) and a nil option
// make no panic, now or later: the runner refuses to run, SyncNow fails with
// a *mdm.ValidationError naming the job, and Start starts no schedule that
// would meet it.
func TestRunner_S1_NilJobRefused(t *testing.T) {
	for name, jobs := range map[string][]storesync.Job{
		"nil Job":           {&countingJob{token: "t1"}, nil},
		"nil *AppleSyncer":  {&countingJob{token: "t1"}, (*storesync.AppleSyncer)(nil)},
		"nil *StoreForBiz":  {&countingJob{token: "t1"}, (*storesync.StoreForBusinessSyncer)(nil)},
		"nil *countingJob":  {&countingJob{token: "t1"}, (*countingJob)(nil)},
		"nil job and token": {&countingJob{token: "t1"}, nil, &countingJob{token: "t2"}},
	} {
		t.Run(name, func(t *testing.T) {
			clk := clock.NewMock()
			reports := make(chan *storesync.Report, 4)
			r := storesync.NewRunner(jobs, storesync.WithClock(clk), nil, storesync.WithReports(reports))
			var ve *mdm.ValidationError
			if err := r.Err(); !errors.As(err, &ve) || !errors.Is(err, mdm.ErrMissingField) || ve.Field != "jobs[1]" {
				t.Fatalf("Err: %v", err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			r.Start(ctx)
			for _, token := range []mdm.TokenID{"", "t1"} {
				if reps, err := r.SyncNow(ctx, token); reps != nil || err != r.Err() {
					t.Fatalf("SyncNow(%q): %v, %v", token, reps, err)
				}
			}
			clk.Add(2 * r.Interval())
			select {
			case rep := <-reports:
				t.Fatalf("a refused runner synced: %v", rep)
			default:
			}
			r.Stop()
			if _, err := r.SyncNow(ctx, ""); err != r.Err() {
				t.Fatalf("SyncNow after Stop: %v", err)
			}
		})
	}
	// A nil option alone is no option.
	r := storesync.NewRunner([]storesync.Job{&countingJob{token: "t1"}}, nil, storesync.WithClock(clock.NewMock()))
	if r.Err() != nil {
		t.Fatalf("nil option: %v", r.Err())
	}
}
