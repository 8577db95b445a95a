package workload

import (
	"math"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/mdmkit/mdmkit/mdm"
)

// Config sizes a generated tenant.
type Config struct {
	Users       int
	Devices     int
	Groups      int
	Apps        int
	Assignments int
	// ExclusionShare is the share of the assignments that are exclusions.
	ExclusionShare float64
}

// TenantLConfig is the size of tenant-L (issue 3).
func TenantLConfig() Config {
	return Config{Users: 100_000, Devices: 150_000, Groups: 2_000, Apps: 1_000, Assignments: 5_000, ExclusionShare: 0.10}
}

// DefaultSeed is the seed the benchmarks use.
const DefaultSeed = 1

// Tenant is a generated tenant, in load order (see the package doc).
type Tenant struct {
	Config      Config
	Seed        uint64
	Users       []mdm.User
	Devices     []mdm.Device
	Groups      []mdm.Group // nested groups before the groups that nest them
	Apps        []mdm.App
	Assignments []mdm.Assignment
}

// TenantL generates tenant-L from a seed.
func TenantL(seed uint64) *Tenant { return Generate(seed, TenantLConfig()) }

// BaseTime is the instant deadlines are counted from.
var BaseTime = time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)

var platforms = []struct {
	p     mdm.Platform
	share float64
}{
	{mdm.PlatformWindows, 0.45}, {mdm.PlatformIOS, 0.25}, {mdm.PlatformAndroidEnterprise, 0.15},
	{mdm.PlatformMacOS, 0.10}, {mdm.PlatformAndroid, 0.05},
}

type gen struct {
	cfg Config
	rng *rand.Rand
	t   *Tenant

	devPlatform []int // index into platforms
	userDevices [][]int32
	// groups by role
	userGroups, deviceGroups []int
	groupKind                []mdm.MemberKind
	groupPlatform            []int   // device groups: platform index, -1 for mixed
	parent                   []int   // the group nesting this one, -1 for none
	children                 [][]int // the groups nested in this one
	appsByPlatform           [][]int
	mobileApps               []int // iOS and Android store apps: AWOE candidates
	used                     map[[2]int32]mdm.Intent
	includes                 []struct{ app, target int } // per include assignment
	stamp                    []uint32
	epoch                    uint32
}

func pick(rng *rand.Rand, shares []float64) int {
	x := rng.Float64()
	for i, s := range shares {
		if x < s {
			return i
		}
		x -= s
	}
	return len(shares) - 1
}

func id(prefix string, n int, width int) string {
	s := strconv.Itoa(n)
	for len(s) < width {
		s = "0" + s
	}
	return prefix + s
}

// Generate builds a tenant of the given size from a seed.
func Generate(seed uint64, cfg Config) *Tenant {
	g := &gen{cfg: cfg, rng: rand.New(rand.NewPCG(seed, 0x6d646d6b6974)), t: &Tenant{Config: cfg, Seed: seed},
		used: make(map[[2]int32]mdm.Intent)}
	g.users()
	g.devices()
	g.groups()
	g.apps()
	g.assignments()
	return g.t
}

func (g *gen) users() {
	g.t.Users = make([]mdm.User, g.cfg.Users)
	for i := range g.t.Users {
		g.t.Users[i] = mdm.User{ID: mdm.UserID(id("user-", i, 6))}
	}
	g.userDevices = make([][]int32, g.cfg.Users)
}

func (g *gen) devices() {
	n := g.cfg.Devices
	shares := make([]float64, len(platforms))
	for i, p := range platforms {
		shares[i] = p.share
	}
	userless := n / 20
	g.t.Devices = make([]mdm.Device, n)
	g.devPlatform = make([]int, n)
	for i := range g.t.Devices {
		pi := pick(g.rng, shares)
		d := mdm.Device{ID: mdm.DeviceID(id("device-", i, 6)), Platform: platforms[pi].p, Ownership: mdm.OwnershipCorporate}
		withUser := i >= userless && g.cfg.Users > 0
		if withUser {
			// the first devices go one to each user, the rest to random users
			u := i - userless
			if u >= g.cfg.Users {
				u = g.rng.IntN(g.cfg.Users)
			}
			d.PrimaryUser = g.t.Users[u].ID
			g.userDevices[u] = append(g.userDevices[u], int32(i))
		}
		switch d.Platform {
		case mdm.PlatformWindows:
			d.JoinType, d.OSVersion, d.Architecture = mdm.JoinEntra, "10.0.22631", mdm.ArchX64
		case mdm.PlatformAndroidEnterprise:
			if !withUser {
				d.AndroidMode = mdm.AndroidModeDedicated
			} else {
				d.AndroidMode = []mdm.AndroidEnterpriseMode{mdm.AndroidModePersonallyOwnedWorkProfile,
					mdm.AndroidModeCorporateOwnedWorkProfile, mdm.AndroidModeFullyManaged}[pick(g.rng, []float64{0.4, 0.3, 0.3})]
			}
		case mdm.PlatformIOS:
			d.OSVersion = "17.4"
		}
		mobile := d.Platform == mdm.PlatformIOS || d.Platform == mdm.PlatformAndroid || d.Platform == mdm.PlatformAndroidEnterprise
		if withUser && mobile && g.rng.Float64() < 0.06 {
			d.Enrollment = mdm.AppProtectionOnly
			d.Ownership = mdm.OwnershipPersonal
		}
		g.t.Devices[i] = d
		g.devPlatform[i] = pi
	}
}

// addGroup appends a group and returns its index.
func (g *gen) addGroup(name string, kind mdm.MemberKind, platform int) int {
	i := len(g.t.Groups)
	prefix := "ug-"
	if kind == mdm.DeviceMembers {
		prefix = "dg-"
	}
	g.t.Groups = append(g.t.Groups, mdm.Group{ID: mdm.GroupID(id(prefix, i, 4)), DisplayName: name + " " + strconv.Itoa(i), Kind: kind})
	g.groupKind = append(g.groupKind, kind)
	g.groupPlatform = append(g.groupPlatform, platform)
	g.parent = append(g.parent, -1)
	g.children = append(g.children, nil)
	if kind == mdm.UserMembers {
		g.userGroups = append(g.userGroups, i)
	} else {
		g.deviceGroups = append(g.deviceGroups, i)
	}
	return i
}

// nest records that child is nested in parent. Groups are built leaves first, so
// the parent's list of nested groups refers to groups that come before it.
func (g *gen) nest(parent, child int) {
	g.t.Groups[parent].Groups = append(g.t.Groups[parent].Groups, g.t.Groups[child].ID)
	g.parent[child] = parent
	g.children[parent] = append(g.children[parent], child)
}

// longTail returns n group sizes, long-tailed (size ∝ 1/(k+1)^0.9), summing to
// about total, each at least min and at most max.
func longTail(n int, total, lo, hi int) []int {
	w := make([]float64, n)
	sum := 0.0
	for k := range w {
		w[k] = 1 / math.Pow(float64(k+1), 0.9)
		sum += w[k]
	}
	out := make([]int, n)
	for k := range out {
		out[k] = min(hi, max(lo, int(float64(total)*w[k]/sum)))
	}
	return out
}

// sample picks k distinct numbers below n.
func (g *gen) sample(n, k int, emit func(int)) {
	if len(g.stamp) < n {
		g.stamp = make([]uint32, n)
	}
	g.epoch++
	k = min(k, n)
	for k > 0 {
		x := g.rng.IntN(n)
		if g.stamp[x] == g.epoch {
			continue
		}
		g.stamp[x] = g.epoch
		emit(x)
		k--
	}
}

func (g *gen) groups() {
	nu := g.cfg.Groups * 7 / 10
	nd := g.cfg.Groups - nu
	g.userOrgChart(nu)
	g.deviceFleet(nd)
}

// userOrgChart builds divisions ⊃ departments ⊃ teams (about 61% of the user
// groups) and long-tailed flat groups.
func (g *gen) userOrgChart(n int) {
	divisions, depts, teams := max(1, n/100), max(1, n/10), max(1, n/2)
	if divisions+depts+teams > n {
		divisions, depts, teams = 1, 1, max(1, n-2)
	}
	teamIdx := make([]int, teams)
	for t := range teams {
		teamIdx[t] = g.addGroup("Team", mdm.UserMembers, -1)
	}
	for u := range g.cfg.Users {
		t := teamIdx[g.rng.IntN(teams)]
		g.t.Groups[t].Users = append(g.t.Groups[t].Users, g.t.Users[u].ID)
	}
	deptIdx := make([]int, depts)
	for d := range depts {
		deptIdx[d] = g.addGroup("Department", mdm.UserMembers, -1)
	}
	for t, ti := range teamIdx {
		g.nest(deptIdx[t*depts/teams], ti)
	}
	for v := range divisions {
		dv := g.addGroup("Division", mdm.UserMembers, -1)
		for d := v * depts / divisions; d < (v+1)*depts/divisions; d++ {
			g.nest(dv, deptIdx[d])
		}
	}
	flat := n - divisions - depts - teams
	sizes := longTail(flat, 3*g.cfg.Users, 20, g.cfg.Users/2)
	var made []int
	for _, size := range sizes {
		gi := g.addGroup("Project", mdm.UserMembers, -1)
		g.sample(g.cfg.Users, size, func(u int) {
			g.t.Groups[gi].Users = append(g.t.Groups[gi].Users, g.t.Users[u].ID)
		})
		// A tenth nest an earlier flat group (depth 2 at most).
		if len(made) > 0 && g.rng.IntN(10) == 0 {
			c := made[g.rng.IntN(len(made))]
			if g.parent[c] < 0 && len(g.t.Groups[c].Groups) == 0 {
				g.nest(gi, c)
			}
		}
		made = append(made, gi)
	}
}

// deviceFleet builds platform ⊃ region ⊃ site (half of the device groups) and
// flat groups of one platform each.
func (g *gen) deviceFleet(n int) {
	np := len(platforms)
	regionsPer := max(1, n/75) // 8 for 600 groups
	sitesPer := max(1, n/2/np) // 60 for 600 groups
	if np*(1+regionsPer+sitesPer) > n {
		regionsPer, sitesPer = 1, 1
	}
	sites := make([][]int, np)
	for p := range np {
		for range sitesPer {
			sites[p] = append(sites[p], g.addGroup("Site", mdm.DeviceMembers, p))
		}
	}
	for d := range g.t.Devices {
		p := g.devPlatform[d]
		s := sites[p][g.rng.IntN(sitesPer)]
		g.t.Groups[s].Devices = append(g.t.Groups[s].Devices, g.t.Devices[d].ID)
	}
	for p := range np {
		regions := make([]int, regionsPer)
		for r := range regionsPer {
			regions[r] = g.addGroup("Region", mdm.DeviceMembers, p)
		}
		for s, si := range sites[p] {
			g.nest(regions[s*regionsPer/sitesPer], si)
		}
		root := g.addGroup("Platform", mdm.DeviceMembers, p)
		for _, r := range regions {
			g.nest(root, r)
		}
	}
	flat := n - np*(1+regionsPer+sitesPer)
	if flat <= 0 {
		return
	}
	byPlatform := make([][]int32, np)
	for d, p := range g.devPlatform {
		byPlatform[p] = append(byPlatform[p], int32(d))
	}
	sizes := longTail(flat, g.cfg.Devices, 10, g.cfg.Devices/10)
	for k, size := range sizes {
		p := k % np
		gi := g.addGroup("Ring", mdm.DeviceMembers, p)
		members := byPlatform[p]
		g.sample(len(members), size, func(x int) {
			g.t.Groups[gi].Devices = append(g.t.Groups[gi].Devices, g.t.Devices[members[x]].ID)
		})
	}
}

var appMix = []struct {
	platform int // index into platforms, -1 for web links
	share    float64
	types    []mdm.AppType
	weights  []float64
}{
	{0, 0.40, []mdm.AppType{mdm.AppTypeWin32, mdm.AppTypeWindowsLOB, mdm.AppTypeMicrosoftStore, mdm.AppTypeStoreForBusiness}, []float64{0.7, 0.1, 0.15, 0.05}},
	{1, 0.30, []mdm.AppType{mdm.AppTypeIOSStore, mdm.AppTypeIOSVPP, mdm.AppTypeIOSLOB, mdm.AppTypeVPPBook}, []float64{0.4, 0.35, 0.2, 0.05}},
	{2, 0.15, []mdm.AppType{mdm.AppTypeManagedGooglePlay, mdm.AppTypeAndroidEnterpriseSystem}, []float64{0.9, 0.1}},
	{3, 0.10, []mdm.AppType{mdm.AppTypeMacOSLOB, mdm.AppTypeMacOSDMG, mdm.AppTypeMacOSPKG, mdm.AppTypeMacOSVPP}, []float64{0.3, 0.3, 0.2, 0.2}},
	{4, 0.03, []mdm.AppType{mdm.AppTypeAndroidStore}, []float64{1}},
	{-1, 0.02, []mdm.AppType{mdm.AppTypeWebLink}, []float64{1}},
}

func (g *gen) apps() {
	shares := make([]float64, len(appMix))
	for i, m := range appMix {
		shares[i] = m.share
	}
	g.appsByPlatform = make([][]int, len(platforms))
	g.t.Apps = make([]mdm.App, g.cfg.Apps)
	for i := range g.t.Apps {
		m := appMix[pick(g.rng, shares)]
		typ := m.types[pick(g.rng, m.weights)]
		a := mdm.App{ID: mdm.AppID(id("app-", i, 4)), DisplayName: "App " + strconv.Itoa(i), Type: typ, Version: "1.0", Publisher: "Contoso"}
		fillPackage(&a, i)
		g.t.Apps[i] = a
		if m.platform >= 0 {
			g.appsByPlatform[m.platform] = append(g.appsByPlatform[m.platform], i)
		} else {
			for p := range g.appsByPlatform {
				g.appsByPlatform[p] = append(g.appsByPlatform[p], i)
			}
		}
		if typ == mdm.AppTypeIOSStore || typ == mdm.AppTypeAndroidStore || typ == mdm.AppTypeManagedGooglePlay {
			g.mobileApps = append(g.mobileApps, i)
		}
	}
}

// fillPackage gives the app what mdm.ValidateApp asks of its type (C2, C4).
func fillPackage(a *mdm.App, i int) {
	n := strconv.Itoa(i)
	switch a.Type.PackageKind() {
	case mdm.PackageFile:
		a.Package = mdm.Package{FileName: "app" + n + a.Type.Extensions()[0], Size: int64(1+i%50) * mdm.MiB}
	case mdm.PackageStoreURL:
		a.URL = "https://store.example.com/app/" + n
	case mdm.PackageWebURL:
		a.URL = "https://intranet.example.com/" + n
	case mdm.PackageFromStore:
		a.Identifier = "com.contoso.app" + n
	case mdm.PackageIdentity:
		a.Identifier, a.Publisher = "com.contoso.system"+n, "Contoso"
	case mdm.PackageSynced:
		a.Origin = mdm.StoreOrigin{Store: a.Type.Store(), Token: "token-1", ProductID: strconv.Itoa(100000 + i)}
		if a.Type.Store() == mdm.StoreMicrosoftBusiness {
			a.Origin.Token, a.Origin.Licensing = "msfb-1", mdm.LicenseOffline
		}
	}
}

// target of an assignment: a group index, or -1 All users, -2 All devices.
const (
	allUsers   = -1
	allDevices = -2
)

func (g *gen) kindOf(target int) mdm.MemberKind {
	switch target {
	case allUsers:
		return mdm.UserMembers
	case allDevices:
		return mdm.DeviceMembers
	}
	return g.groupKind[target]
}

// intentFor draws an intent that A4 and D4 allow for the app on a target kind.
func (g *gen) intentFor(app int, kind mdm.MemberKind) mdm.Intent {
	typ := g.t.Apps[app].Type
	if kind == mdm.UserMembers {
		in := []mdm.Intent{mdm.Required, mdm.Available, mdm.Uninstall, mdm.AvailableWithoutEnrollment}[pick(g.rng, []float64{0.35, 0.45, 0.08, 0.12})]
		if in == mdm.AvailableWithoutEnrollment && typ != mdm.AppTypeIOSStore && typ != mdm.AppTypeAndroidStore && typ != mdm.AppTypeManagedGooglePlay {
			in = mdm.Available
		}
		return in
	}
	in := []mdm.Intent{mdm.Required, mdm.Uninstall, mdm.Available}[pick(g.rng, []float64{0.80, 0.12, 0.08})]
	if in == mdm.Available && !typ.IsWin32() && typ.Platforms() != mdm.PlatformsOf(mdm.PlatformAndroidEnterprise) {
		in = mdm.Required
	}
	return in
}

// appFor draws an app for a target: one of the group's platform for device
// groups, never a book on a device target (A4).
func (g *gen) appFor(target int) int {
	kind := g.kindOf(target)
	for {
		var a int
		if kind == mdm.DeviceMembers && target >= 0 && g.groupPlatform[target] >= 0 {
			list := g.appsByPlatform[g.groupPlatform[target]]
			a = list[g.rng.IntN(len(list))]
		} else {
			a = g.rng.IntN(len(g.t.Apps))
		}
		if kind == mdm.DeviceMembers && g.t.Apps[a].Type.IsBook() {
			continue
		}
		return a
	}
}

func (g *gen) add(app, target int, in mdm.Intent, exclusion bool) bool {
	key := [2]int32{int32(app), int32(target)}
	if _, taken := g.used[key]; taken {
		return false // one group, one intent per app (A3); no duplicates either
	}
	g.used[key] = in
	if !exclusion {
		g.includes = append(g.includes, struct{ app, target int }{app, target})
	}
	a := &g.t.Apps[app]
	as := mdm.Assignment{ID: mdm.AssignmentID(id("asg-", len(g.t.Assignments), 5)), App: a.ID, Intent: in,
		Settings: mdm.DefaultSettings(a.Type)}
	switch {
	case target == allUsers:
		as.Target = mdm.AllUsersTarget()
	case target == allDevices:
		as.Target = mdm.AllDevicesTarget()
	case exclusion:
		as.Target = mdm.ExclusionTarget(g.t.Groups[target].ID)
	default:
		as.Target = mdm.GroupTarget(g.t.Groups[target].ID)
	}
	if in == mdm.Required && !exclusion && g.rng.IntN(10) == 0 {
		as.Settings.Deadline = BaseTime.Add(time.Duration(1+g.rng.IntN(30)) * 24 * time.Hour)
	}
	g.t.Assignments = append(g.t.Assignments, as)
	return true
}

func (g *gen) assignments() {
	total := g.cfg.Assignments
	if total == 0 || len(g.t.Apps) == 0 {
		return
	}
	excl := int(float64(total) * g.cfg.ExclusionShare)
	incl := total - excl
	// The apps everybody gets: about 0.3% of the includes to All users and
	// All devices.
	broad := max(2, incl*3/1000)
	// All users get them required or available, All devices required.
	for n := 0; n < broad && len(g.t.Assignments) < incl; {
		target, in := allUsers, mdm.Required
		switch n % 3 {
		case 1:
			in = mdm.Available
		case 2:
			target = allDevices
		}
		if g.add(g.appFor(target), target, in, false) {
			n++
		}
	}
	for len(g.t.Assignments) < incl {
		var target int
		if g.rng.Float64() < 0.55 || len(g.deviceGroups) == 0 {
			target = g.userGroups[g.rng.IntN(len(g.userGroups))]
		} else {
			target = g.deviceGroups[g.rng.IntN(len(g.deviceGroups))]
		}
		app := g.appFor(target)
		g.add(app, target, g.intentFor(app, g.kindOf(target)), false)
	}
	includes := len(g.t.Assignments)
	for tries := 0; len(g.t.Assignments) < total && tries < 100*total; tries++ {
		k := g.rng.IntN(includes)
		in, app, inTarget := g.t.Assignments[k], g.includes[k].app, g.includes[k].target
		kind := g.kindOf(inTarget)
		if g.rng.IntN(10) < 3 { // the other kind: A5 makes it ineffective
			kind = mdm.UserMembers + mdm.DeviceMembers - kind
		}
		var cands []int
		if kind == mdm.UserMembers {
			cands = g.userGroups
		} else {
			cands = g.deviceGroups
		}
		target := cands[g.rng.IntN(len(cands))]
		if inTarget >= 0 && kind == g.groupKind[inTarget] && len(g.children[inTarget]) > 0 {
			// prefer a group nested in the include's target
			kids := g.children[inTarget]
			target = kids[g.rng.IntN(len(kids))]
		}
		if kind == mdm.DeviceMembers && g.t.Apps[app].Type.IsBook() {
			continue // A4: books take user groups only, exclusions too
		}
		g.add(app, target, in.Intent, true)
	}
}
