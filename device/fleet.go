package device

import (
	"errors"
	"math"
	"time"

	"github.com/mdmkit/mdmkit/mdm"
)

// Portal is the company portal as a device's user sees it. The device cannot ask
// the service itself (it talks to it only through check-ins), so the caller
// answers from the service's state, as the real portal would get its list from
// the service: the apps offered to this device's primary user (T7, "available"
// and "available without enrollment" intents), and for each whether the portal
// offers to uninstall it.
//
// The device calls Offered only when its user opens the portal, a few times a
// month; it passes a reused buffer to append to.
type Portal interface {
	Offered(device mdm.DeviceID, dst []Offer) []Offer
}

// PortalFunc adapts a function to Portal.
type PortalFunc func(device mdm.DeviceID, dst []Offer) []Offer

// Offered calls f.
func (f PortalFunc) Offered(device mdm.DeviceID, dst []Offer) []Offer { return f(device, dst) }

// Offer is one app in the company portal.
type Offer struct {
	App mdm.AppID
	// Removable says the portal offers to uninstall the app once installed (T7:
	// always for Microsoft Store apps; for Win32 only where the app allows it).
	Removable bool
}

// FleetConfig configures a Fleet.
type FleetConfig struct {
	// Policy gives the stuck threshold (T6: StuckInstallThreshold) and the
	// restart grace period (T14: RestartGracePeriod). Use the tenant's policy
	// (or mdm.DefaultPolicy()); it must validate. The T5 retry loop is the
	// service's (Policy.RetryAttempts, RetryInterval): the device reports each
	// "retry" at once.
	Policy mdm.Policy
	// Start is the wall-clock instant of Time 0. Nights and weekends are computed
	// from it in each profile's time zone. Required.
	Start time.Time
	// Portal answers the user's visits to the company portal; nil means the
	// portal offers nothing.
	Portal Portal
	// BooksApp is the id under which the built-in Books app appears in the
	// inventory (L8); "" means "com.apple.iBooks".
	BooksApp mdm.AppID
}

// DefaultBooksApp is the inventory id of the built-in Books app unless
// FleetConfig.BooksApp says otherwise.
const DefaultBooksApp mdm.AppID = "com.apple.iBooks"

// Fleet is what the devices of one run share: the catalog that interns app ids
// and versions into small integers (so that a device holds 8 bytes per installed
// app), the policy, the calendar, the portal, and reusable buffers.
//
// A Fleet and its devices are not safe for concurrent use: the simulator drives
// them from its one goroutine. Devices of different fleets are independent.
type Fleet struct {
	cat      catalog
	start    int64 // Start in Unix nanoseconds
	portal   Portal
	booksApp uint32

	stuckAfter int64
	graceMax   int64

	offers  []Offer // scratch for Portal.Offered
	freeOps [][]op  // released op buffers, reused by the next device that needs one
}

// NewFleet checks cfg and returns an empty fleet.
func NewFleet(cfg FleetConfig) (*Fleet, error) {
	if err := cfg.Policy.Validate(); err != nil {
		if ve := (*mdm.ValidationError)(nil); errors.As(err, &ve) {
			return nil, fleetError(ve.Field, ve.Value, ve.Reason, ve.Remedy)
		}
		return nil, err
	}
	if cfg.Start.IsZero() {
		return nil, fleetError("start", "", "is missing", "give the wall-clock instant of Time 0, e.g. the scenario's start date")
	}
	lo, hi := time.Unix(0, math.MinInt64/2), time.Unix(0, math.MaxInt64/2)
	if cfg.Start.Before(lo) || cfg.Start.After(hi) {
		return nil, fleetError("start", cfg.Start.String(), "is outside the years 1824 to 2116", "start the run at a date near today")
	}
	books := cfg.BooksApp
	if books == "" {
		books = DefaultBooksApp
	}
	if err := mdm.CheckID("booksApp", string(books)); err != nil {
		if ve := (*mdm.ValidationError)(nil); errors.As(err, &ve) {
			return nil, fleetError(ve.Field, ve.Value, ve.Reason, ve.Remedy)
		}
		return nil, err
	}
	f := &Fleet{
		start:      cfg.Start.UnixNano(),
		portal:     cfg.Portal,
		stuckAfter: int64(cfg.Policy.StuckInstallThreshold),
		graceMax:   int64(cfg.Policy.RestartGracePeriod),
	}
	f.cat.init()
	f.booksApp = f.cat.app(books)
	f.cat.kind[f.booksApp] |= kindBooksApp
	return f, nil
}

// AddApp interns an app id. Devices intern the ids of the commands they receive
// anyway; adding the catalog's apps first, with the very strings the service
// holds, makes every inventory string the device reports share its bytes with the
// service's, so that the service's comparisons stop at the pointer.
func (f *Fleet) AddApp(id mdm.AppID) error {
	if err := mdm.CheckID("appId", string(id)); err != nil {
		return err
	}
	f.cat.app(id)
	return nil
}

// MarkBook records that id is a VPP book: it is delivered only to a device that
// still has the built-in Books app; elsewhere the install fails with
// CodeBooksAppMissing (L8).
func (f *Fleet) MarkBook(id mdm.AppID) error {
	if err := mdm.CheckID("appId", string(id)); err != nil {
		return err
	}
	f.cat.kind[f.cat.app(id)] |= kindBook
	return nil
}

// Apps returns how many app ids the catalog holds.
func (f *Fleet) Apps() int { return len(f.cat.ids) }

// takeOps returns an empty op buffer, reusing a released one when there is one,
// so that a device that receives commands now and then does not allocate each
// time, and an idle device holds none.
func (f *Fleet) takeOps() []op {
	if n := len(f.freeOps); n > 0 {
		b := f.freeOps[n-1]
		f.freeOps[n-1] = nil
		f.freeOps = f.freeOps[:n-1]
		return b
	}
	return make([]op, 0, 4)
}

// releaseOps returns an emptied buffer for reuse; oversized ones go to the
// garbage collector so that one busy device does not pin a large buffer.
func (f *Fleet) releaseOps(b []op) {
	if cap(b) == 0 || cap(b) > 16 {
		return
	}
	clear(b[:cap(b)])
	f.freeOps = append(f.freeOps, b[:0])
}

// catalog interns app ids and version strings. Index 0 of vers is "" so that an
// install without a version needs no entry.
type catalog struct {
	ids    []mdm.AppID
	kind   []uint8
	index  map[mdm.AppID]uint32
	vers   []string
	vindex map[string]uint32
}

const (
	kindBook     uint8 = 1 << iota // a VPP book (L8)
	kindBooksApp                   // the built-in Books app
)

func (c *catalog) init() {
	c.index = make(map[mdm.AppID]uint32)
	c.vindex = map[string]uint32{"": 0}
	c.vers = []string{""}
}

func (c *catalog) app(id mdm.AppID) uint32 {
	if i, ok := c.index[id]; ok {
		return i
	}
	i := uint32(len(c.ids))
	c.ids = append(c.ids, id)
	c.kind = append(c.kind, 0)
	c.index[id] = i
	return i
}

// lookup returns the index of id without interning it.
func (c *catalog) lookup(id mdm.AppID) (uint32, bool) {
	i, ok := c.index[id]
	return i, ok
}

func (c *catalog) version(v string) uint32 {
	if i, ok := c.vindex[v]; ok {
		return i
	}
	i := uint32(len(c.vers)) // Receive refuses a batch that would pass verMask
	c.vers = append(c.vers, v)
	c.vindex[v] = i
	return i
}

// Behavior is a Profile checked and bound to a fleet, ready to draw from. Many
// devices share one.
type Behavior struct {
	fleet   *Fleet
	profile Profile

	install   attemptModel
	uninstall attemptModel
	notNow    float64
	maxConc   int

	rebootDelay dist
	rebootEvery float64 // mean, ns; 0 none

	offset     int64 // UTC offset, ns
	nightStart int64
	nightEnd   int64
	nightP     float64
	weekendP   float64
	jitter     int64
	absEvery   float64
	absLength  dist

	userRate     [numUserActions]float64 // per ns
	userTotal    float64
	restartP     float64
	restartDelay dist

	booksP    float64
	unmanaged []unmanaged
}

type unmanaged struct {
	app, ver uint32
	p        float64
}

// attemptModel draws the outcome of one attempt: cumulative thresholds for
// failed, retry, pending reboot and stuck; succeeded above the last.
type attemptModel struct {
	dur      dist
	cum      [4]float64
	codes    []int32
	codesCum []float64
}

func compileAttempt(d Dist, fail, retry, reboot, stuck float64, codes []WeightedCode) attemptModel {
	m := attemptModel{dur: compileDist(d)}
	m.cum[0] = fail
	m.cum[1] = m.cum[0] + retry
	m.cum[2] = m.cum[1] + reboot
	m.cum[3] = m.cum[2] + stuck
	total := 0.0
	for _, c := range codes {
		if c.Weight > 0 {
			total += c.Weight
			m.codes = append(m.codes, c.Code)
			m.codesCum = append(m.codesCum, total)
		}
	}
	for i := range m.codesCum {
		m.codesCum[i] /= total
	}
	return m
}

// NewBehavior validates p and binds it to the fleet. The profile is copied: later
// changes to p do not reach the devices.
func (f *Fleet) NewBehavior(p Profile) (*Behavior, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	b := &Behavior{fleet: f, profile: p}
	b.profile.Install.FailureCodes = append([]WeightedCode(nil), p.Install.FailureCodes...)
	b.profile.Uninstall.FailureCodes = append([]WeightedCode(nil), p.Uninstall.FailureCodes...)
	b.profile.UnmanagedApps = append([]UnmanagedApp(nil), p.UnmanagedApps...)
	in := &p.Install
	b.install = compileAttempt(in.Duration, in.FailureProbability, in.RetryProbability,
		in.PendingRebootProbability, in.StuckProbability, in.FailureCodes)
	b.uninstall = compileAttempt(p.Uninstall.Duration, p.Uninstall.FailureProbability, 0, 0, 0, p.Uninstall.FailureCodes)
	b.notNow = p.NotNowProbability
	b.maxConc = p.MaxConcurrentCommands
	b.rebootDelay = compileDist(p.Reboot.Delay)
	b.rebootEvery = float64(p.Reboot.Every)
	s := &p.Schedule
	b.offset = int64(s.UTCOffset)
	b.nightStart, b.nightEnd = int64(s.NightStart), int64(s.NightEnd)
	b.nightP, b.weekendP = s.NightOffProbability, s.WeekendOffProbability
	b.jitter = int64(s.Jitter)
	b.absEvery = float64(s.AbsenceEvery)
	b.absLength = compileDist(s.AbsenceLength)
	u := &p.User
	for i, every := range [numUserActions]Duration{
		actPortalInstall:   u.PortalInstallEvery,
		actPortalUninstall: u.PortalUninstallEvery,
		actRemove:          u.RemoveEvery,
		actLeave:           u.LeaveAfter,
	} {
		if every > 0 {
			b.userRate[i] = 1 / float64(every)
			b.userTotal += b.userRate[i]
		}
	}
	b.restartP = u.RestartStuckProbability
	b.restartDelay = compileDist(u.RestartStuckDelay)
	b.booksP = p.BooksAppProbability
	for _, a := range p.UnmanagedApps {
		if a.Probability > 0 {
			b.unmanaged = append(b.unmanaged, unmanaged{app: f.cat.app(a.App), ver: f.cat.version(a.Version), p: a.Probability})
		}
	}
	return b, nil
}

// Profile returns a copy of the profile b was made from.
func (b *Behavior) Profile() Profile {
	p := b.profile
	p.Install.FailureCodes = append([]WeightedCode(nil), p.Install.FailureCodes...)
	p.Uninstall.FailureCodes = append([]WeightedCode(nil), p.Uninstall.FailureCodes...)
	p.UnmanagedApps = append([]UnmanagedApp(nil), p.UnmanagedApps...)
	return p
}

// Fleet returns the fleet b belongs to.
func (b *Behavior) Fleet() *Fleet { return b.fleet }
