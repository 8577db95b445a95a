package workload

import (
	"reflect"
	"testing"

	"github.com/mdmkit/mdmkit/mdm"
)

var small = Config{Users: 2_000, Devices: 3_000, Groups: 200, Apps: 100, Assignments: 500, ExclusionShare: 0.10}

func TestDeterministic(t *testing.T) {
	a, b := Generate(7, small), Generate(7, small)
	if !reflect.DeepEqual(a, b) {
		t.Fatal("the same seed gave two tenants")
	}
	if c := Generate(8, small); reflect.DeepEqual(a.Assignments, c.Assignments) {
		t.Fatal("another seed gave the same assignments")
	}
}

// check validates a generated tenant with mdm's rules and the shape the package
// doc promises; assign's own rules are checked by bench/resolve, which loads it.
func check(t *testing.T, tn *Tenant) {
	cfg := tn.Config
	if len(tn.Users) != cfg.Users || len(tn.Devices) != cfg.Devices || len(tn.Groups) != cfg.Groups ||
		len(tn.Apps) != cfg.Apps || len(tn.Assignments) != cfg.Assignments {
		t.Fatalf("sizes: %d users, %d devices, %d groups, %d apps, %d assignments; want %+v",
			len(tn.Users), len(tn.Devices), len(tn.Groups), len(tn.Apps), len(tn.Assignments), cfg)
	}
	excl := 0
	for i := range tn.Assignments {
		if tn.Assignments[i].Target.IsExclusion() {
			excl++
		}
	}
	if want := int(float64(cfg.Assignments) * cfg.ExclusionShare); excl != want {
		t.Fatalf("%d exclusions, want %d", excl, want)
	}
	apps := map[mdm.AppID]*mdm.App{}
	for i := range tn.Apps {
		a := &tn.Apps[i]
		if err := mdm.ValidateApp(a, mdm.AddOptions{FromSync: a.Type.IsSynced()}); err != nil {
			t.Fatalf("app %s: %v", a.ID, err)
		}
		apps[a.ID] = a
	}
	kinds := map[mdm.GroupID]mdm.MemberKind{}
	depth := map[mdm.GroupID]int{}
	for i := range tn.Groups {
		g := &tn.Groups[i]
		err := mdm.ValidateGroup(g, func(id mdm.GroupID) (mdm.MemberKind, bool) { k, ok := kinds[id]; return k, ok })
		if err != nil {
			t.Fatalf("group %s: %v", g.ID, err)
		}
		kinds[g.ID] = g.Kind
		depth[g.ID] = 1
		for _, c := range g.Groups {
			depth[g.ID] = max(depth[g.ID], depth[c]+1)
		}
		if depth[g.ID] > 3 {
			t.Fatalf("group %s nests %d levels", g.ID, depth[g.ID])
		}
	}
	seen := map[[2]string]bool{}
	for i := range tn.Assignments {
		a := &tn.Assignments[i]
		if err := mdm.ValidateAssignment(a, apps[a.App]); err != nil {
			t.Fatalf("assignment %s: %v", a.ID, err)
		}
		key := [2]string{string(a.App), a.Target.String()}
		if a.Target.HasGroup() {
			key[1] = string(a.Target.Group)
		}
		if seen[key] {
			t.Fatalf("assignment %s targets %v twice for %s (A3)", a.ID, a.Target, a.App)
		}
		seen[key] = true
	}
}

func TestSmallValid(t *testing.T) { check(t, Generate(3, small)) }

func TestTenantL(t *testing.T) {
	if testing.Short() {
		t.Skip("tenant-L takes about a second")
	}
	tn := TenantL(DefaultSeed)
	check(t, tn)
	users := 0
	for i := range tn.Devices {
		if tn.Devices[i].PrimaryUser != "" {
			users++
		}
	}
	if users != 142_500 {
		t.Fatalf("%d devices with a primary user, want 142,500", users)
	}
}
