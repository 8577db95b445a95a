package sim

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"slices"

	"github.com/mdmkit/mdmkit/mdm"
	"github.com/mdmkit/mdmkit/sim/eventq"
)

// Random streams. Each purpose draws from its own PCG stream of the run's seed,
// so that a change in one (say, one more group) does not shift the draws of
// another (which devices enroll when).
const (
	streamDevices  = 0x5eed_0001 // device facts: platform, OS, user, enrollment time
	streamGroups   = 0x5eed_0002 // group membership
	streamUsers    = 0x5eed_0003 // user facts
	streamBehavior = 0x5eed_0004 // the devices' own draws during the run
	streamSchedule = 0x5eed_0005 // check-in jitter, push latency
	streamActions  = 0x5eed_0006 // admin actions that pick at random (users leaving)
)

func newRand(seed, stream uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, stream)) }

// fleet is the generated directory and the facts of every device, compact: a
// million devices take a few tens of megabytes here.
type fleet struct {
	users []mdm.User
	// devices are in enrollment order: device i enrolls at dev[i].enroll, and its
	// id sorts with i.
	ids []mdm.DeviceID
	dev []devFacts
	// userGroups and deviceGroups hold direct membership as bit sets over users
	// and devices, per group of the scenario (nil for the other kind).
	members [][]uint64
}

// devFacts are what the scenario decides about a device before it enrolls.
type devFacts struct {
	enroll   eventq.Time
	user     int32 // index in users; -1 for a userless device
	platform uint16
	os       uint16
}

// genFleet draws the fleet of s from its seed. It is a pure function of the
// scenario (fleet, groups, seed): the same inputs give the same fleet.
func genFleet(s *Scenario) *fleet {
	fs := &s.Fleet
	f := &fleet{}

	ur := newRand(s.Seed, streamUsers)
	f.users = make([]mdm.User, fs.Users)
	width := digits(fs.Users)
	for i := range f.users {
		id := fmt.Sprintf("user-%0*d", width, i+1)
		f.users[i] = mdm.User{ID: mdm.UserID(id), DisplayName: id, UserPrincipalName: id + "@contoso.example",
			HasAppleAccount: ur.Float64() < fs.AppleAccountShare}
	}

	dr := newRand(s.Seed, streamDevices)
	pShares := make([]float64, len(fs.Platforms))
	for i, p := range fs.Platforms {
		pShares[i] = p.Share
	}
	wShares := make([]float64, len(fs.Enrollment))
	for i, w := range fs.Enrollment {
		wShares[i] = w.Share
	}
	osShares := make([][]float64, len(fs.Platforms))
	for i, p := range fs.Platforms {
		for _, o := range p.OSVersions {
			osShares[i] = append(osShares[i], o.Share)
		}
	}
	f.dev = make([]devFacts, fs.Devices)
	for i := range f.dev {
		d := &f.dev[i]
		d.platform = uint16(pick(dr, pShares))
		d.os = uint16(pick(dr, osShares[d.platform]))
		d.user = -1
		if fs.Users > 0 && dr.Float64() >= fs.UserlessShare {
			d.user = int32(dr.IntN(fs.Users))
		}
		w := fs.Enrollment[pick(dr, wShares)]
		d.enroll = eventq.Time(w.At)
		if w.Over > 0 {
			d.enroll += eventq.Time(dr.Int64N(int64(w.Over)))
		}
	}
	// Devices enroll in id order: the fleet reads naturally in reports
	// (dev-000001 is the first to enroll) and ties keep the draw order.
	slices.SortStableFunc(f.dev, func(a, b devFacts) int { return cmp.Compare(a.enroll, b.enroll) })
	f.ids = make([]mdm.DeviceID, fs.Devices)
	width = digits(fs.Devices)
	for i := range f.ids {
		f.ids[i] = mdm.DeviceID(fmt.Sprintf("dev-%0*d", width, i+1))
	}

	gr := newRand(s.Seed, streamGroups)
	f.members = make([][]uint64, len(fs.Groups))
	for gi, g := range fs.Groups {
		if g.Share == 0 {
			continue
		}
		switch g.Kind {
		case mdm.UserMembers:
			set := make([]uint64, (len(f.users)+63)/64)
			for u := range f.users {
				if gr.Float64() < g.Share {
					set[u/64] |= 1 << (u % 64)
				}
			}
			f.members[gi] = set
		case mdm.DeviceMembers:
			set := make([]uint64, (len(f.dev)+63)/64)
			for d := range f.dev {
				if !platformIn(fs.Platforms[f.dev[d].platform].Platform, g.Platforms) {
					continue
				}
				if g.Share >= 1 || gr.Float64() < g.Share {
					set[d/64] |= 1 << (d % 64)
				}
			}
			f.members[gi] = set
		}
	}
	return f
}

func platformIn(p mdm.Platform, ps []mdm.Platform) bool {
	return len(ps) == 0 || slices.Contains(ps, p)
}

// pick draws an index with probability proportional to its share.
func pick(r *rand.Rand, shares []float64) int {
	if len(shares) == 1 {
		return 0
	}
	x := r.Float64()
	for i, s := range shares {
		if x < s {
			return i
		}
		x -= s
	}
	return len(shares) - 1 // the shares' rounding
}

func digits(n int) int { return max(len(fmt.Sprint(n)), 6) }

func has(set []uint64, i int) bool { return i/64 < len(set) && set[i/64]&(1<<(i%64)) != 0 }

// userGroup returns the mdm group of user group gi with its direct members and
// nested groups.
func (f *fleet) userGroup(g *GroupSpec, gi int) mdm.Group {
	out := mdm.Group{ID: g.ID, DisplayName: string(g.ID), Kind: g.Kind, Groups: slices.Clone(g.Groups)}
	if g.Kind == mdm.UserMembers {
		for u := range f.users {
			if has(f.members[gi], u) {
				out.Users = append(out.Users, f.users[u].ID)
			}
		}
	}
	return out
}

// device returns the directory record of device i, as it enrolls.
func (f *fleet) device(s *Scenario, i int) mdm.Device {
	d := &f.dev[i]
	ps := &s.Fleet.Platforms[d.platform]
	md := mdm.Device{ID: f.ids[i], Name: string(f.ids[i]), Platform: ps.Platform,
		OSVersion: ps.OSVersions[d.os].Version, Ownership: ps.Ownership, JoinType: ps.JoinType,
		AndroidMode: ps.AndroidMode, FreeDiskMB: 64 << 10, MemoryMB: 8 << 10, CPUs: 4, CPUSpeedMHz: 2400}
	if d.user >= 0 {
		md.PrimaryUser = f.users[d.user].ID
	}
	if md.Ownership == mdm.OwnershipUnknown {
		md.Ownership = mdm.OwnershipCorporate
	}
	switch ps.Platform {
	case mdm.PlatformWindows:
		md.Architecture = mdm.ArchX64
		if md.JoinType == mdm.JoinNone {
			md.JoinType = mdm.JoinEntra
		}
	case mdm.PlatformMacOS:
		md.Architecture = mdm.ArchARM64
	case mdm.PlatformIOS, mdm.PlatformAndroid, mdm.PlatformAndroidEnterprise:
		md.Architecture = mdm.ArchARM64
	}
	if ps.Platform == mdm.PlatformAndroidEnterprise && md.AndroidMode == mdm.AndroidModeNone {
		md.AndroidMode = mdm.AndroidModePersonallyOwnedWorkProfile
	}
	return md
}
