package storesync

import (
	"context"
	"errors"
	"reflect"
	"strconv"
	"sync"
	"time"

	"github.com/benbjohnson/clock"

	"github.com/mdmkit/mdmkit/mdm"
)

// ErrStopped is returned by SyncNow after Stop.
var ErrStopped = errors.New("storesync: runner stopped")

// ErrNotStarted is returned by SyncNow before Start.
var ErrNotStarted = errors.New("storesync: runner not started: call Start first")

// RunnerOption configures a Runner.
type RunnerOption func(*Runner)

// WithClock sets the clock the runner reads and ticks on (clock.New() by default; a
// test passes clock.NewMock()).
func WithClock(c clock.Clock) RunnerOption {
	return func(r *Runner) {
		if c != nil {
			r.clk = c
		}
	}
}

// WithInterval sets the time between scheduled syncs; a value ≤ 0 keeps the default,
// Policy.VPPSyncInterval (S1: twice a day).
func WithInterval(d time.Duration) RunnerOption {
	return func(r *Runner) {
		if d > 0 {
			r.interval = d
		}
	}
}

// WithReports receives the report of every sync the runner runs, scheduled or on
// demand, in the order they finish. The runner blocks on a full channel: read it,
// or give it room.
func WithReports(ch chan<- *Report) RunnerOption { return func(r *Runner) { r.reports = ch } }

// Runner syncs a set of tokens on a schedule (every Policy.VPPSyncInterval by
// default, S1) and on demand, on a clock.Clock. It is the one part of mdmkit that
// runs in real time; everything it calls takes the time from it. Jobs run one at a
// time, in the order given. It is safe for concurrent use.
type Runner struct {
	clk      clock.Clock
	interval time.Duration
	jobs     []Job
	reports  chan<- *Report
	err      error // why the runner cannot run (a nil job); fixed by NewRunner

	mu      sync.Mutex
	started bool
	demand  chan demand
	stop    chan struct{}
	done    chan struct{}
}

type demand struct {
	token mdm.TokenID    // "" for every job
	reply chan []*Report // closed without a value when the runner is stopping
}

// NewRunner returns a runner for jobs; Start starts it. A nil option is
// ignored. A nil job (a nil Job, or a Job holding a nil pointer such as a nil
// *AppleSyncer) would fail every run, so the runner refuses to run at all: Err
// returns a *mdm.ValidationError wrapping mdm.ErrMissingField and naming the
// job, SyncNow fails with it, and Start starts nothing. Check Err after
// NewRunner.
func NewRunner(jobs []Job, opts ...RunnerOption) *Runner {
	p := mdm.DefaultPolicy()
	r := &Runner{clk: clock.New(), interval: p.VPPSyncInterval, jobs: append([]Job(nil), jobs...),
		demand: make(chan demand), stop: make(chan struct{}), done: make(chan struct{})}
	for i, j := range r.jobs {
		if isNil(j) {
			r.err = &mdm.ValidationError{Field: "jobs[" + strconv.Itoa(i) + "]", Rule: "S1", Err: mdm.ErrMissingField,
				Reason: "is nil", Remedy: "pass the syncers NewAppleSyncer and NewStoreForBusinessSyncer returned, without the nil ones"}
			break
		}
	}
	for _, o := range opts {
		if o != nil {
			o(r)
		}
	}
	return r
}

// Err returns why the runner cannot run (a nil job, see NewRunner), or nil.
func (r *Runner) Err() error { return r.err }

// isNil reports whether v is nil or an interface holding a nil pointer, map,
// func, channel or slice: a value whose methods would dereference nil.
func isNil(v any) bool {
	if v == nil {
		return true
	}
	switch rv := reflect.ValueOf(v); rv.Kind() {
	case reflect.Pointer, reflect.Map, reflect.Func, reflect.Chan, reflect.Slice, reflect.Interface:
		return rv.IsNil()
	}
	return false
}

// Interval is the time between scheduled syncs.
func (r *Runner) Interval() time.Duration { return r.interval }

// Start starts the schedule: the first scheduled sync runs one interval from now.
// It returns at once; ctx bounds every sync, and its end stops the runner as Stop
// does. Starting twice does nothing, and so does starting a runner that cannot
// run (Err).
func (r *Runner) Start(ctx context.Context) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.started || r.err != nil {
		return
	}
	r.started = true
	ticker := r.clk.Ticker(r.interval)
	go r.loop(ctx, ticker)
}

func (r *Runner) loop(ctx context.Context, ticker *clock.Ticker) {
	defer close(r.done)
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-r.stop:
			return
		case <-ticker.C:
			r.runAll(ctx, "")
		case d := <-r.demand:
			if ctx.Err() != nil || r.stopping() {
				close(d.reply)
				return
			}
			d.reply <- r.runAll(ctx, d.token)
		}
	}
}

func (r *Runner) stopping() bool {
	select {
	case <-r.stop:
		return true
	default:
		return false
	}
}

func (r *Runner) runAll(ctx context.Context, token mdm.TokenID) []*Report {
	var out []*Report
	for _, j := range r.jobs {
		if token != "" && j.Token() != token {
			continue
		}
		if ctx.Err() != nil {
			break
		}
		rep := j.Sync(ctx, r.clk.Now())
		out = append(out, rep)
		if r.reports != nil {
			select {
			case r.reports <- rep:
			case <-r.stop:
			case <-ctx.Done():
			}
		}
	}
	return out
}

// SyncNow syncs every job now (S1: on demand), or only the job of token when one is
// given, between scheduled syncs, and returns their reports. It waits for a
// scheduled sync that is running to finish first. It fails with Err when the
// runner cannot run, with ErrStopped after Stop, with ErrNotStarted before Start,
// and with ctx.Err() if ctx ends first.
func (r *Runner) SyncNow(ctx context.Context, token mdm.TokenID) ([]*Report, error) {
	if r.err != nil {
		return nil, r.err
	}
	r.mu.Lock()
	started := r.started
	r.mu.Unlock()
	if !started {
		if r.stopping() {
			return nil, ErrStopped
		}
		return nil, ErrNotStarted
	}
	d := demand{token: token, reply: make(chan []*Report, 1)}
	select {
	case r.demand <- d:
	case <-r.done:
		return nil, ErrStopped
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	select {
	case reps, ok := <-d.reply:
		if !ok {
			return nil, ErrStopped
		}
		return reps, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// Stop stops the schedule and waits for a running sync to end. Stopping twice, or
// a runner never started, is fine.
func (r *Runner) Stop() {
	r.mu.Lock()
	started := r.started
	select {
	case <-r.stop:
	default:
		close(r.stop)
	}
	r.mu.Unlock()
	if started {
		<-r.done
	}
}
