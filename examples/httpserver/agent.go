package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"

	"github.com/mdmkit/mdmkit/mdm"
)

// agent is a tiny device management client, the kind of loop that runs on a
// real device: when woken (by enrollment or a push) it checks in with its
// complete inventory and the results of the commands it ran, runs the commands
// it gets back, and checks in again until the service has nothing more for it.
//
// Installs here take no time and always succeed, except that a busy agent
// answers "not now" to its first command (a user presenting, say): the service
// keeps the command, does not send it back in the answer to that report, and
// sends it again at the device's next check-in, which the agent makes once its
// user is free.
type agent struct {
	id     mdm.DeviceID
	url    string // the service's base URL
	client *http.Client
	busy   bool // answer the next command with "not now"
	again  bool // check in once more: a "not now" was reported

	installed map[mdm.AppID]string // app → version: the device's inventory
	results   []mdm.CommandResult  // to report at the next check-in

	// Pushes: wanted counts the wake-ups asked for, answered those a check-in
	// with nothing to do has answered since. The agent is settled when they
	// are equal. settled is signalled whenever answered moves, for the waiter.
	mu       sync.Mutex
	wanted   int
	answered int
	log      []string // what the device did, in order
	err      error
	wake     chan struct{}
	settled  chan<- struct{}
}

func newAgent(id mdm.DeviceID, url string, client *http.Client, settled chan<- struct{}) *agent {
	return &agent{id: id, url: url, client: client, installed: map[mdm.AppID]string{},
		wake: make(chan struct{}, 1), settled: settled}
}

// push asks the agent to check in, as a push notification does.
func (a *agent) push() {
	a.mu.Lock()
	a.wanted++
	a.mu.Unlock()
	select {
	case a.wake <- struct{}{}:
	default: // a wake-up is already pending; it covers this one
	}
}

// run is the agent's life: wait for a push, then check in until there is
// nothing to do. It returns when ctx ends or a check-in fails.
func (a *agent) run(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-a.wake:
		}
		for {
			a.mu.Lock()
			asked := a.wanted
			a.mu.Unlock()
			n, err := a.checkIn(ctx)
			if err != nil {
				a.mu.Lock()
				a.err = fmt.Errorf("%s: %w", a.id, err)
				a.mu.Unlock()
				a.signal()
				return
			}
			if n > 0 {
				continue // report what the commands did right away
			}
			if a.again {
				a.again = false
				continue // the user is free now: ask for the deferred command
			}
			a.mu.Lock()
			a.answered = asked
			more := a.answered < a.wanted
			a.mu.Unlock()
			a.signal()
			if !more {
				break
			}
		}
	}
}

func (a *agent) signal() {
	select {
	case a.settled <- struct{}{}:
	default:
	}
}

// state reports whether every push has been answered, and the error that
// stopped the agent, if any.
func (a *agent) state() (settled bool, err error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.answered == a.wanted, a.err
}

// takeLog returns what the agent did since the last call.
func (a *agent) takeLog() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	l := a.log
	a.log = nil
	return l
}

func (a *agent) logf(format string, args ...any) {
	a.mu.Lock()
	a.log = append(a.log, fmt.Sprintf(format, args...))
	a.mu.Unlock()
}

// checkIn sends one report and runs the commands of the answer. It returns how
// many commands it got.
func (a *agent) checkIn(ctx context.Context) (int, error) {
	report := mdm.Report{Device: a.id, Inventory: a.inventory(), Results: a.results}
	body, err := json.Marshal(report)
	if err != nil {
		return 0, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, a.url+"/checkin", bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := a.client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		return 0, fmt.Errorf("check-in refused: %s: %s", resp.Status, strings.TrimSpace(string(msg)))
	}
	var answer checkInAnswer
	if err := json.NewDecoder(resp.Body).Decode(&answer); err != nil {
		return 0, fmt.Errorf("check-in answer: %w", err)
	}
	a.results = a.results[:0] // reported: the service has them now
	for _, c := range answer.Commands {
		a.execute(c)
	}
	return len(answer.Commands), nil
}

// inventory lists the installed apps sorted by app id, the order the tenant
// compares fastest (it merge-walks the inventory with its own records).
func (a *agent) inventory() []mdm.InstalledApp {
	inv := make([]mdm.InstalledApp, 0, len(a.installed))
	for app, v := range a.installed {
		inv = append(inv, mdm.InstalledApp{App: app, Version: v})
	}
	slices.SortFunc(inv, func(x, y mdm.InstalledApp) int { return strings.Compare(string(x.App), string(y.App)) })
	return inv
}

// execute runs one command and keeps its result for the next check-in. Every
// command gets exactly one final result (tenant's usage contract, rule 5).
func (a *agent) execute(c mdm.Command) {
	res := mdm.CommandResult{Command: c.ID, Kind: c.Kind, App: c.App, Outcome: mdm.OutcomeSucceeded}
	switch {
	case a.busy:
		a.busy, a.again = false, true
		res.Outcome = mdm.OutcomeNotNow
		a.logf("%s %s %s: not now (the user is busy)", c.Kind, c.App, c.Version)
	case c.Kind == mdm.CommandUninstall:
		delete(a.installed, c.App)
		a.logf("uninstall %s: done", c.App)
	default: // install or update
		a.installed[c.App] = c.Version
		a.logf("%s %s %s: done", c.Kind, c.App, c.Version)
	}
	a.results = append(a.results, res)
}
