package mdm

import (
	"errors"
	"fmt"
	"testing"
)

func win32(id string) *App {
	a := validApp(AppTypeWin32)
	a.ID = AppID(id)
	return &a
}

// chain returns n Win32 apps where app i depends on app i+1: one tree of n apps.
func depChain(n int) []*App {
	apps := make([]*App, n)
	for i := range apps {
		apps[i] = win32(fmt.Sprintf("a%03d", i))
	}
	for i := 0; i+1 < n; i++ {
		apps[i].Dependencies = []Dependency{{App: apps[i+1].ID}}
	}
	return apps
}

// C9: a dependency tree holds at most 100 apps, the app itself included.
func TestValidateGraph_DependencyLimit(t *testing.T) {
	for _, c := range []struct {
		n  int
		ok bool
	}{{99, true}, {100, true}, {101, false}} {
		err := ValidateGraph(depChain(c.n), nil)
		if c.ok && err != nil {
			t.Errorf("tree of %d apps refused: %v", c.n, err)
		}
		if !c.ok && !errors.Is(err, ErrDependencyLimit) {
			t.Errorf("tree of %d apps: err = %v, want ErrDependencyLimit", c.n, err)
		}
	}
	// A wide tree counts every nested dependency once, even when shared.
	root := win32("root")
	apps := []*App{root}
	for i := 0; i < 99; i++ {
		d := win32(fmt.Sprintf("d%02d", i))
		root.Dependencies = append(root.Dependencies, Dependency{App: d.ID})
		apps = append(apps, d)
	}
	apps[1].Dependencies = []Dependency{{App: apps[2].ID}} // shared, not counted twice
	if err := ValidateGraph(apps, nil); err != nil {
		t.Errorf("wide tree of 100 apps refused: %v", err)
	}
	extra := win32("extra")
	apps[5].Dependencies = []Dependency{{App: extra.ID}}
	if err := ValidateGraph(append(apps, extra), nil); !errors.Is(err, ErrDependencyLimit) {
		t.Errorf("wide tree of 101 apps: err = %v, want ErrDependencyLimit", err)
	}
	p := DefaultPolicy()
	p.DependencyLimit = 3
	if err := ValidateGraph(depChain(4), &p); !errors.Is(err, ErrDependencyLimit) {
		t.Errorf("policy limit ignored: %v", err)
	}
}

// C9: dependencies are Win32, known, and acyclic.
func TestValidateGraph_DependencyRules(t *testing.T) {
	apps := depChain(4)
	apps[3].Dependencies = []Dependency{{App: apps[1].ID}}
	err := ValidateGraph(apps, nil)
	var ve *ValidationError
	if !errors.Is(err, ErrDependencyCycle) || !errors.As(err, &ve) || ve.Value != "a001 → a002 → a003 → a001" {
		t.Errorf("cycle: err = %v, want ErrDependencyCycle naming a001 → a002 → a003 → a001", err)
	}

	ios := validApp(AppTypeIOSLOB)
	w := win32("w")
	w.Dependencies = []Dependency{{App: ios.ID}}
	if err := ValidateGraph([]*App{w, &ios}, nil); !errors.Is(err, ErrDependencyNotWin32) {
		t.Errorf("non-Win32 dependency: %v", err)
	}
	w.Dependencies = []Dependency{{App: "missing"}}
	if err := ValidateGraph([]*App{w}, nil); !errors.Is(err, ErrUnknownApp) {
		t.Errorf("unknown dependency: %v", err)
	}
	if err := ValidateGraph([]*App{win32("x"), win32("x")}, nil); !errors.Is(err, ErrInvalidID) {
		t.Errorf("duplicate ids: %v", err)
	}
}

// supersedenceChain returns n Win32 apps where app i supersedes app i+1.
func supersedenceChain(n int) []*App {
	apps := make([]*App, n)
	for i := range apps {
		apps[i] = win32(fmt.Sprintf("s%02d", i))
	}
	for i := 0; i+1 < n; i++ {
		apps[i].Supersedes = []Supersedence{{App: apps[i+1].ID, Kind: Replace}}
	}
	return apps
}

// C10: a supersedence graph holds at most 11 apps.
func TestValidateGraph_SupersedenceGraphLimit(t *testing.T) {
	for _, c := range []struct {
		n  int
		ok bool
	}{{10, true}, {11, true}, {12, false}} {
		err := ValidateGraph(supersedenceChain(c.n), nil)
		if c.ok && err != nil {
			t.Errorf("graph of %d apps refused: %v", c.n, err)
		}
		if !c.ok && !errors.Is(err, ErrSupersedenceLimit) {
			t.Errorf("graph of %d apps: err = %v, want ErrSupersedenceLimit", c.n, err)
		}
	}
	// Two separate graphs of 11 are fine: the limit is per graph.
	a, b := supersedenceChain(11), supersedenceChain(11)
	for i, x := range b {
		x.ID = AppID(fmt.Sprintf("t%02d", i))
		if i > 0 {
			b[i-1].Supersedes[0].App = x.ID
		}
	}
	if err := ValidateGraph(append(a, b...), nil); err != nil {
		t.Errorf("two graphs of 11: %v", err)
	}
}

// C10: at most 10 apps supersede one app.
func TestValidateGraph_SupersedingPerApp(t *testing.T) {
	star := func(n int) []*App {
		old := win32("old")
		apps := []*App{old}
		for i := 0; i < n; i++ {
			s := win32(fmt.Sprintf("new%02d", i))
			s.Supersedes = []Supersedence{{App: old.ID}}
			apps = append(apps, s)
		}
		return apps
	}
	for _, c := range []struct {
		n  int
		ok bool
	}{{9, true}, {10, true}, {11, false}} {
		err := ValidateGraph(star(c.n), nil)
		if c.ok && err != nil {
			t.Errorf("%d superseding apps refused: %v", c.n, err)
		}
		if !c.ok && !errors.Is(err, ErrSupersedingLimit) {
			t.Errorf("%d superseding apps: err = %v, want ErrSupersedingLimit", c.n, err)
		}
	}
}

// C10: supersedence is acyclic and links known Win32 apps.
func TestValidateGraph_SupersedenceRules(t *testing.T) {
	apps := supersedenceChain(3)
	apps[2].Supersedes = []Supersedence{{App: apps[0].ID}}
	if err := ValidateGraph(apps, nil); !errors.Is(err, ErrSupersedenceCycle) {
		t.Errorf("cycle: %v", err)
	}
	dmg := validApp(AppTypeMacOSDMG)
	w := win32("w")
	w.Supersedes = []Supersedence{{App: dmg.ID}}
	if err := ValidateGraph([]*App{w, &dmg}, nil); !errors.Is(err, ErrSupersedenceNotWin32) {
		t.Errorf("non-Win32 superseded app: %v", err)
	}
	w.Supersedes = []Supersedence{{App: "gone"}}
	if err := ValidateGraph([]*App{w}, nil); !errors.Is(err, ErrUnknownApp) {
		t.Errorf("unknown superseded app: %v", err)
	}
}
