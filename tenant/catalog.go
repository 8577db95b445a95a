package tenant

import (
	"github.com/mdmkit/mdmkit/mdm"
)

// appEntry is one catalog app as the check-in engine reads it: the app itself and
// what the engine derives from it once, when the app is added or changed, so that
// a check-in never walks strings or maps. Entries are immutable: a change of the
// app builds a new entry (and bumps the catalog epoch), so a check-in that holds
// the read lock sees one consistent catalog.
type appEntry struct {
	idx     int32
	id      mdm.AppID
	app     mdm.App // a deep copy; never handed out without copying again
	version string  // app.Version; "" means versions are not tracked (T4)

	win32 bool
	// portalUninstall: the user may uninstall the app from the company portal
	// (T7): always for Microsoft Store apps, for others only where the app
	// allows it (Win32 default off).
	portalUninstall bool
	// autoUpdate: a new version reaches every device holding the app, available
	// or required, unless the assignment prevents it where the token allows
	// that (L9: VPP apps; books, like Store for Business apps, are updated by
	// their store, not through assignments: engine.autoUpdates).
	autoUpdate bool

	deps []depEdge // direct dependencies (C9)
	sups []supEdge // apps this app supersedes directly (C10)
	// supBy are the apps that supersede this one directly.
	supBy []int32
	// closure is the dependency tree below the app, deepest first, each app once
	// (T10). An edge kind of DetectOnly anywhere on the way makes the app
	// detect-only for this root.
	closure []depEdge
	// below is every app this one supersedes, directly or through a chain (T9:
	// in a chain every app is superseded by the last one), with the kind of the
	// edge into it.
	below []supEdge
	// above is every app that supersedes this one, directly or through a chain.
	above []int32

	// pool is the license pool of a synced app (L4, L13); hasPool is false for
	// apps that need no license.
	pool    poolRef
	hasPool bool
}

type depEdge struct {
	app  int32
	kind mdm.DependencyKind
}

type supEdge struct {
	app  int32
	kind mdm.SupersedenceKind
}

// poolRef names a license pool: the token and the store's product id.
type poolRef struct {
	token   mdm.TokenID
	product string
}

// catalog is the tenant's app catalog, indexed by the resolver's app index
// (stable for the life of the tenant, never reused). It is only changed under the
// tenant's write lock.
type catalog struct {
	apps []*appEntry // by index; nil for an index with no app (deleted)
	// keys holds each app's id and catalog version by index, side by side:
	// what the steady check-in compares the inventory with, in a few cache
	// lines instead of one or two per entry. Zero for an index with no app.
	keys  []appKey
	byID  map[mdm.AppID]int32
	bytes int64 // package storage in use (C3)
}

// appKey is an app's id and catalog version ("" when versions are not
// tracked), and whether its store owns the version (upToDate).
type appKey struct {
	id      mdm.AppID
	version string
	synced  bool
}

// upToDate reports whether a copy of version v is current against the app's
// catalog version (T4): any copy when versions are not tracked, the same
// version, or, for an app whose store owns the version (C4), a later one: a
// device updates store apps by itself, and the version store sync brings may
// lag behind the store's (an update to it would be a downgrade).
func (k *appKey) upToDate(v string) bool {
	return k.same(v) || k.synced && mdm.CompareVersions(v, k.version) > 0
}

// same reports whether a copy of version v is the catalog's version, or
// versions are not tracked: the steady check-in's test (current), small enough
// to inline. A store app's later copy fails it, so the device's check-ins take
// the full evaluation, which finds it up to date: rare, and correct.
func (k *appKey) same(v string) bool { return k.version == "" || sameString(v, k.version) }

func newCatalog() *catalog {
	return &catalog{byID: make(map[mdm.AppID]int32)}
}

func (c *catalog) lookup(id mdm.AppID) (*appEntry, bool) {
	i, ok := c.byID[id]
	if !ok {
		return nil, false
	}
	return c.apps[i], true
}

// list returns every app, in index order, for mdm.ValidateGraph.
func (c *catalog) list() []*mdm.App {
	out := make([]*mdm.App, 0, len(c.byID))
	for _, e := range c.apps {
		if e != nil {
			out = append(out, &e.app)
		}
	}
	return out
}

// cloneApp copies the slices of an app so that the catalog never shares memory
// with a caller.
func cloneApp(a *mdm.App) mdm.App {
	c := *a
	c.Categories = append([]string(nil), a.Categories...)
	c.Dependencies = append([]mdm.Dependency(nil), a.Dependencies...)
	c.Supersedes = append([]mdm.Supersedence(nil), a.Supersedes...)
	c.Requirements.Architectures = append([]mdm.Architecture(nil), a.Requirements.Architectures...)
	return c
}

// isolated reports whether an app of type t stands outside the dependency and
// supersedence graph: only Win32 apps have edges (mdm.ValidateApp refuses them
// on other types) and only Win32 apps are their targets (mdm.ValidateGraph, C9,
// C10). Every store-synced app is isolated, so store sync never needs the graph.
func isolated(t mdm.AppType) bool { return !t.IsWin32() }

// put stores app (already validated, with ValidateGraph passed over the whole
// catalog when it is part of the graph). For a Win32 app it rebuilds the derived
// edges of every entry, since one app's change may alter chains and closures of
// others: Win32 apps are added by an administrator, a few at a time, so a full
// rebuild costs nothing that matters and keeps the derivation simple. An
// isolated app (every store app) changes no other entry: its own entry is
// built alone, so a sync of thousands of apps costs each app once (C4, S2).
func (c *catalog) put(idx int32, a *mdm.App) *appEntry {
	for int(idx) >= len(c.apps) {
		c.apps = append(c.apps, nil)
		c.keys = append(c.keys, appKey{})
	}
	c.keys[idx] = appKey{id: a.ID, version: a.Version, synced: a.Type.IsSynced()}
	if old := c.apps[idx]; old != nil {
		c.bytes -= old.app.Package.Size
	}
	c.byID[a.ID] = idx
	e := &appEntry{idx: idx, id: a.ID, app: cloneApp(a), version: a.Version}
	c.bytes += a.Package.Size
	if isolated(a.Type) {
		e = c.derive(e)
		c.apps[idx] = e
		return e
	}
	c.apps[idx] = e
	c.rebuild()
	return c.apps[idx]
}

// remove deletes an app (its references were checked by the caller, C5). An
// isolated app is referenced by no edge: nothing else changes.
func (c *catalog) remove(id mdm.AppID) {
	idx, ok := c.byID[id]
	if !ok {
		return
	}
	old := c.apps[idx]
	c.bytes -= old.app.Package.Size
	c.apps[idx] = nil
	c.keys[idx] = appKey{}
	delete(c.byID, id)
	if !isolated(old.app.Type) {
		c.rebuild()
	}
}

// derive returns a fresh entry of old's app with what is derived from the app
// alone: its type's traits, its pool and its direct edges (by index). Closures
// and chains come from rebuild.
func (c *catalog) derive(old *appEntry) *appEntry {
	e := &appEntry{idx: old.idx, id: old.id, app: old.app, version: old.version}
	a := &e.app
	e.win32 = a.Type.IsWin32()
	e.portalUninstall = a.Type == mdm.AppTypeMicrosoftStore || a.AllowUserUninstall
	e.autoUpdate = a.Type.IsVPP() && !a.Type.IsBook()
	if a.Type.IsSynced() {
		e.hasPool = true
		e.pool = poolRef{token: a.Origin.Token, product: a.Origin.ProductID}
	}
	for _, d := range a.Dependencies {
		if j, ok := c.byID[d.App]; ok {
			e.deps = append(e.deps, depEdge{app: j, kind: d.Kind})
		}
	}
	for _, s := range a.Supersedes {
		if j, ok := c.byID[s.App]; ok {
			e.sups = append(e.sups, supEdge{app: j, kind: s.Kind})
		}
	}
	return e
}

// rebuild derives the edges, closures and chains of every entry. Entries are
// replaced, never modified, because a check-in may be reading the old ones only
// while it holds the read lock, and put/remove run under the write lock; so
// modifying in place would be safe too, but fresh entries keep the invariant
// "an entry never changes" simple to state.
func (c *catalog) rebuild() {
	for i, old := range c.apps {
		if old == nil || isolated(old.app.Type) {
			continue // an isolated app's entry depends on nothing else
		}
		c.apps[i] = c.derive(old)
	}
	for _, e := range c.apps {
		if e == nil {
			continue
		}
		for _, s := range e.sups {
			t := c.apps[s.app]
			t.supBy = append(t.supBy, e.idx)
		}
	}
	for _, e := range c.apps {
		if e == nil || isolated(e.app.Type) {
			continue
		}
		e.closure = c.depClosure(e)
		e.below = c.supersededBelow(e)
		e.above = c.supersedingAbove(e)
	}
}

// depClosure lists the dependency tree of e deepest first (T10): an app's level
// is its longest distance from e, and apps are listed by decreasing level, by
// index within a level. Detect-only applies if any edge reaching the app on some
// path is detect-only and no auto-install path reaches it: an auto-install path
// means the service installs it anyway. Graphs are acyclic (C9, checked by
// mdm.ValidateGraph before put).
func (c *catalog) depClosure(e *appEntry) []depEdge {
	if len(e.deps) == 0 {
		return nil
	}
	level := map[int32]int{}
	auto := map[int32]bool{}
	var visit func(i int32, depth int, viaAuto bool)
	visit = func(i int32, depth int, viaAuto bool) {
		for _, d := range c.apps[i].deps {
			a := viaAuto && d.kind == mdm.AutoInstall
			if l, ok := level[d.app]; !ok || depth+1 > l {
				level[d.app] = depth + 1
			}
			if a {
				auto[d.app] = true
			} else if _, ok := auto[d.app]; !ok {
				auto[d.app] = false
			}
			visit(d.app, depth+1, a)
		}
	}
	visit(e.idx, 0, true)
	out := make([]depEdge, 0, len(level))
	for i, l := range level {
		_ = l
		k := mdm.DetectOnly
		if auto[i] {
			k = mdm.AutoInstall
		}
		out = append(out, depEdge{app: i, kind: k})
	}
	sortDeps(out, level)
	return out
}

func sortDeps(d []depEdge, level map[int32]int) {
	// insertion sort: trees are at most DependencyLimit (100) apps
	for i := 1; i < len(d); i++ {
		for j := i; j > 0; j-- {
			a, b := d[j-1], d[j]
			if level[a.app] > level[b.app] || (level[a.app] == level[b.app] && a.app < b.app) {
				break
			}
			d[j-1], d[j] = b, a
		}
	}
}

// supersededBelow lists every app e supersedes, through chains, with the kind of
// the edge into each (T9: each edge says what happens to its old app). An app
// reached on two paths takes replace if either edge replaces it.
func (c *catalog) supersededBelow(e *appEntry) []supEdge {
	if len(e.sups) == 0 {
		return nil
	}
	kind := map[int32]mdm.SupersedenceKind{}
	var visit func(i int32)
	visit = func(i int32) {
		for _, s := range c.apps[i].sups {
			if k, ok := kind[s.app]; !ok || (k == mdm.Update && s.kind == mdm.Replace) {
				kind[s.app] = s.kind
			}
			visit(s.app)
		}
	}
	visit(e.idx)
	out := make([]supEdge, 0, len(kind))
	for i, k := range kind {
		out = append(out, supEdge{app: i, kind: k})
	}
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j-1].app > out[j].app; j-- {
			out[j-1], out[j] = out[j], out[j-1]
		}
	}
	return out
}

// supersedingAbove lists every app that supersedes e, through chains, by index.
func (c *catalog) supersedingAbove(e *appEntry) []int32 {
	if len(e.supBy) == 0 {
		return nil
	}
	seen := map[int32]bool{}
	var visit func(i int32)
	visit = func(i int32) {
		for _, s := range c.apps[i].supBy {
			if !seen[s] {
				seen[s] = true
				visit(s)
			}
		}
	}
	visit(e.idx)
	out := make([]int32, 0, len(seen))
	for i := range seen {
		out = append(out, i)
	}
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j-1] > out[j]; j-- {
			out[j-1], out[j] = out[j], out[j-1]
		}
	}
	return out
}
