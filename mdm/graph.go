package mdm

import (
	"strconv"
	"strings"
)

// ValidateGraph checks the rules across apps of a catalog (C9, C10):
//
//   - every dependency and supersedence edge names an app in apps, and a Win32 one;
//   - no dependency cycle and no supersedence cycle;
//   - every dependency tree, the app itself and nested dependencies included, has at
//     most p.DependencyLimit apps;
//   - every supersedence graph (apps linked by supersedence in either direction) has
//     at most p.SupersedenceGraphLimit apps, and at most p.SupersedingPerAppLimit apps
//     supersede any one app.
//
// A tenant calls it with its catalog plus the app being added or changed. The first
// violation in the order of apps is returned, so the result is deterministic. It
// runs in O(apps × tree size), which is small next to an admin round trip.
func ValidateGraph(apps []*App, p *Policy) error {
	if p == nil {
		d := DefaultPolicy()
		p = &d
	}
	g, err := buildGraph(apps)
	if err != nil {
		return err
	}
	if err := g.checkCycles(g.deps, "dependencies", "C9", ErrDependencyCycle); err != nil {
		return err
	}
	if err := g.checkCycles(g.sup, "supersedes", "C10", ErrSupersedenceCycle); err != nil {
		return err
	}
	if err := g.checkTreeSizes(p.DependencyLimit); err != nil {
		return err
	}
	return g.checkSupersedence(p)
}

type appGraph struct {
	apps []*App
	deps [][]int32 // deps[i]: indexes of the apps i depends on
	sup  [][]int32 // sup[i]: indexes of the apps i supersedes
}

func buildGraph(apps []*App) (*appGraph, error) {
	index := make(map[AppID]int32, len(apps))
	for i, a := range apps {
		if a == nil {
			return nil, missing("apps["+strconv.Itoa(i)+"]", "an app, not a nil pointer")
		}
		if _, dup := index[a.ID]; dup {
			return nil, &ValidationError{Field: "apps[" + strconv.Itoa(i) + "].id", Value: string(a.ID), Err: ErrInvalidID,
				Reason: "is used by two apps", Remedy: "give every app its own id"}
		}
		index[a.ID] = int32(i)
	}
	g := &appGraph{apps: apps, deps: make([][]int32, len(apps)), sup: make([][]int32, len(apps))}
	for i, a := range apps {
		for k, d := range a.Dependencies {
			field := string(a.ID) + ".dependencies[" + strconv.Itoa(k) + "]"
			j, ok := index[d.App]
			if !ok {
				return nil, &ValidationError{Field: field, Value: string(d.App), Rule: "C9", Err: ErrUnknownApp,
					Reason: "is not in the catalog", Remedy: "add the dependency first"}
			}
			if !apps[j].Type.IsWin32() {
				return nil, &ValidationError{Field: field, Value: string(d.App), Rule: "C9", Err: ErrDependencyNotWin32,
					Reason: "is of type " + apps[j].Type.DisplayName() + ", not a Win32 app", Remedy: "depend on Win32 apps only"}
			}
			g.deps[i] = append(g.deps[i], j)
		}
		for k, s := range a.Supersedes {
			field := string(a.ID) + ".supersedes[" + strconv.Itoa(k) + "]"
			j, ok := index[s.App]
			if !ok {
				return nil, &ValidationError{Field: field, Value: string(s.App), Rule: "C10", Err: ErrUnknownApp,
					Reason: "is not in the catalog", Remedy: "add the superseded app first"}
			}
			if !apps[j].Type.IsWin32() {
				return nil, &ValidationError{Field: field, Value: string(s.App), Rule: "C10", Err: ErrSupersedenceNotWin32,
					Reason: "is of type " + apps[j].Type.DisplayName() + ", not a Win32 app", Remedy: "supersede Win32 apps only"}
			}
			g.sup[i] = append(g.sup[i], j)
		}
	}
	return g, nil
}

// checkCycles finds a directed cycle with an iterative depth-first search and
// reports it as a path "a → b → a".
func (g *appGraph) checkCycles(edges [][]int32, field, rule string, sentinel error) error {
	const (
		white = iota
		grey
		black
	)
	color := make([]uint8, len(g.apps))
	type frame struct{ node, next int32 }
	var stack []frame
	for root := range g.apps {
		if color[root] != white {
			continue
		}
		stack = append(stack[:0], frame{int32(root), 0})
		color[root] = grey
		for len(stack) > 0 {
			top := &stack[len(stack)-1]
			if int(top.next) == len(edges[top.node]) {
				color[top.node] = black
				stack = stack[:len(stack)-1]
				continue
			}
			child := edges[top.node][top.next]
			top.next++
			switch color[child] {
			case white:
				color[child] = grey
				stack = append(stack, frame{child, 0})
			case grey:
				var path []string
				started := false
				for _, f := range stack {
					if f.node == child {
						started = true
					}
					if started {
						path = append(path, string(g.apps[f.node].ID))
					}
				}
				path = append(path, string(g.apps[child].ID))
				return &ValidationError{Field: string(g.apps[child].ID) + "." + field, Value: strings.Join(path, " → "),
					Rule: rule, Err: sentinel, Reason: "form a cycle", Remedy: "remove one of the edges of the cycle"}
			}
		}
	}
	return nil
}

// checkTreeSizes counts, for every app with dependencies, the apps reachable
// through dependencies plus the app itself (C9).
func (g *appGraph) checkTreeSizes(limit int) error {
	stamp := make([]int32, len(g.apps))
	var queue []int32
	for root := range g.apps {
		if len(g.deps[root]) == 0 {
			continue
		}
		mark := int32(root + 1)
		stamp[root] = mark
		queue = append(queue[:0], int32(root))
		for k := 0; k < len(queue); k++ {
			for _, c := range g.deps[queue[k]] {
				if stamp[c] != mark {
					stamp[c] = mark
					queue = append(queue, c)
				}
			}
		}
		if len(queue) > limit {
			return &ValidationError{Field: string(g.apps[root].ID) + ".dependencies", Value: strconv.Itoa(len(queue)) + " apps",
				Rule: "C9", Err: ErrDependencyLimit,
				Reason: "is a dependency tree over the limit of " + strconv.Itoa(limit) + " apps (the app itself included)",
				Remedy: "remove dependencies or split the tree"}
		}
	}
	return nil
}

// checkSupersedence counts the superseding apps of every app and the size of every
// supersedence graph, taken undirected (C10).
func (g *appGraph) checkSupersedence(p *Policy) error {
	n := len(g.apps)
	in := make([]int, n)
	parent := make([]int32, n)
	for i := range parent {
		parent[i] = int32(i)
	}
	find := func(x int32) int32 {
		for parent[x] != x {
			parent[x] = parent[parent[x]]
			x = parent[x]
		}
		return x
	}
	for i := range g.apps {
		for _, j := range g.sup[i] {
			in[j]++
			if a, b := find(int32(i)), find(j); a != b {
				parent[a] = b
			}
		}
	}
	for j, c := range in {
		if c > p.SupersedingPerAppLimit {
			return &ValidationError{Field: string(g.apps[j].ID), Value: strconv.Itoa(c) + " superseding apps",
				Rule: "C10", Err: ErrSupersedingLimit,
				Reason: "is superseded by more than " + strconv.Itoa(p.SupersedingPerAppLimit) + " apps",
				Remedy: "supersede the newest app in a chain instead of the same old app"}
		}
	}
	size := make([]int, n)
	for i := range g.apps {
		if len(g.sup[i]) > 0 || in[i] > 0 {
			size[find(int32(i))]++
		}
	}
	for i := range g.apps {
		if s := size[find(int32(i))]; s > p.SupersedenceGraphLimit {
			return &ValidationError{Field: string(g.apps[i].ID) + ".supersedes", Value: strconv.Itoa(s) + " apps",
				Rule: "C10", Err: ErrSupersedenceLimit,
				Reason: "is in a supersedence graph over the limit of " + strconv.Itoa(p.SupersedenceGraphLimit) + " apps",
				Remedy: "retire old apps from the chain before adding new ones"}
		}
	}
	return nil
}
