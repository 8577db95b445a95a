package device

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"time"
)

// DistKind names the shape of a duration distribution.
type DistKind uint8

const (
	DistNone        DistKind = iota // unset: valid only where the profile says so
	DistFixed                       // always Value
	DistUniform                     // uniform in [Min, Max]
	DistExponential                 // Min + an exponential draw of mean Mean, capped at Max if set
	DistLogNormal                   // Median·e^(Sigma·N(0,1)), at least Min, capped at Max if set
	numDistKinds
)

var distKindNames = [numDistKinds]string{DistNone: "", DistFixed: "fixed", DistUniform: "uniform",
	DistExponential: "exponential", DistLogNormal: "lognormal"}

func (k DistKind) String() string {
	if k < numDistKinds && distKindNames[k] != "" {
		return distKindNames[k]
	}
	if k == DistNone {
		return "none"
	}
	return fmt.Sprintf("DistKind(%d)", uint8(k))
}

// MarshalText writes the kind's name; DistNone writes "".
func (k DistKind) MarshalText() ([]byte, error) {
	if k >= numDistKinds {
		return nil, fmt.Errorf("device: unknown DistKind %d", uint8(k))
	}
	return []byte(distKindNames[k]), nil
}

// UnmarshalText reads fixed, uniform, exponential or lognormal, and "" for an
// unset distribution (as MarshalText writes it); anything else is an error.
func (k *DistKind) UnmarshalText(b []byte) error {
	for i, n := range distKindNames {
		if n == string(b) {
			*k = DistKind(i)
			return nil
		}
	}
	return errors.New("not a distribution (fixed, uniform, exponential or lognormal)")
}

// Dist is a distribution of durations: how long an install takes, how long a user
// waits before restarting a machine, how long an absence lasts. Only the fields of
// its Kind may be set; the others must stay zero, so that a typo ("mean" on a
// lognormal) is an error rather than a silently ignored number.
//
//	{"dist": "fixed", "value": "10m"}
//	{"dist": "uniform", "min": "3d", "max": "14d"}
//	{"dist": "exponential", "mean": "30m", "min": "1m", "max": "4h"}
//	{"dist": "lognormal", "median": "3m", "sigma": 0.8, "max": "2h"}
type Dist struct {
	Kind   DistKind `json:"dist"`
	Value  Duration `json:"value,omitzero"`  // fixed
	Min    Duration `json:"min,omitzero"`    // uniform: lower bound; exponential, lognormal: floor
	Max    Duration `json:"max,omitzero"`    // uniform: upper bound; exponential, lognormal: cap (0: none)
	Mean   Duration `json:"mean,omitzero"`   // exponential
	Median Duration `json:"median,omitzero"` // lognormal
	Sigma  float64  `json:"sigma,omitzero"`  // lognormal: the standard deviation of the log
}

// Fixed returns a distribution that always draws d.
func Fixed(d time.Duration) Dist { return Dist{Kind: DistFixed, Value: Duration(d)} }

// Uniform returns a distribution uniform in [lo, hi].
func Uniform(lo, hi time.Duration) Dist {
	return Dist{Kind: DistUniform, Min: Duration(lo), Max: Duration(hi)}
}

// Exponential returns an exponential distribution of the given mean.
func Exponential(mean time.Duration) Dist { return Dist{Kind: DistExponential, Mean: Duration(mean)} }

// LogNormal returns a log-normal distribution with the given median and log
// standard deviation, capped at max (0: no cap).
func LogNormal(median time.Duration, sigma float64, max time.Duration) Dist {
	return Dist{Kind: DistLogNormal, Median: Duration(median), Sigma: sigma, Max: Duration(max)}
}

func (d Dist) String() string {
	var b strings.Builder
	b.WriteString(d.Kind.String())
	add := func(name string, v Duration) {
		if v != 0 {
			fmt.Fprintf(&b, " %s=%s", name, v)
		}
	}
	add("value", d.Value)
	add("min", d.Min)
	add("max", d.Max)
	add("mean", d.Mean)
	add("median", d.Median)
	if d.Sigma != 0 {
		fmt.Fprintf(&b, " sigma=%g", d.Sigma)
	}
	return b.String()
}

// MaxDuration bounds every duration of a profile: 100 years is beyond any run,
// and the bound keeps every sum of times and draws far from overflow.
const MaxDuration = Duration(36500 * Day)

// maxDraw bounds every drawn duration (about 146 years), far beyond any run, so
// that adding a draw to a time cannot overflow.
const maxDraw = int64(1) << 62

// validate checks the fields of d; field is the JSON path of d in the profile.
// optional allows DistNone.
func (d Dist) validate(field string, optional bool) error {
	bad := func(sub, value, reason, remedy string) error {
		f := field
		if sub != "" {
			f += "." + sub
		}
		return profileError(f, value, reason, remedy)
	}
	unused := func(names ...string) error {
		vals := map[string]bool{"value": d.Value != 0, "min": d.Min != 0, "max": d.Max != 0,
			"mean": d.Mean != 0, "median": d.Median != 0, "sigma": d.Sigma != 0}
		for _, n := range []string{"value", "min", "max", "mean", "median", "sigma"} {
			if vals[n] && !contains(names, n) {
				return bad(n, "", "is not a parameter of a "+d.Kind.String()+" distribution",
					"a "+d.Kind.String()+" distribution takes "+strings.Join(names, ", "))
			}
		}
		return nil
	}
	for _, p := range []struct {
		name string
		v    Duration
	}{{"value", d.Value}, {"min", d.Min}, {"max", d.Max}, {"mean", d.Mean}, {"median", d.Median}} {
		if p.v < 0 {
			return bad(p.name, p.v.String(), "is negative", "durations of a distribution are zero or positive")
		}
		if p.v > MaxDuration {
			return bad(p.name, p.v.String(), "is over 100 years", "no simulated behaviour needs a longer duration")
		}
	}
	switch d.Kind {
	case DistNone:
		if !optional {
			return bad("dist", "", "is missing", `set "dist" to fixed, uniform, exponential or lognormal`)
		}
		return unused()
	case DistFixed:
		return unused("value")
	case DistUniform:
		if d.Max < d.Min {
			return bad("max", d.Max.String(), "is below min "+d.Min.String(), "give the interval as min ≤ max")
		}
		return unused("min", "max")
	case DistExponential:
		if d.Mean <= 0 {
			return bad("mean", d.Mean.String(), "must be positive", `give the mean of the draws, e.g. "30m"`)
		}
		if d.Max != 0 && d.Max < d.Min {
			return bad("max", d.Max.String(), "is below min "+d.Min.String(), "the cap must be at least the floor")
		}
		return unused("mean", "min", "max")
	case DistLogNormal:
		if d.Median <= 0 {
			return bad("median", d.Median.String(), "must be positive", `give the median of the draws, e.g. "3m"`)
		}
		if !(d.Sigma >= 0 && d.Sigma <= 10) {
			return bad("sigma", fmt.Sprint(d.Sigma), "must be in [0, 10]", "sigma is the standard deviation of the log; 0.5 to 1.5 is typical")
		}
		if d.Max != 0 && d.Max < d.Min {
			return bad("max", d.Max.String(), "is below min "+d.Min.String(), "the cap must be at least the floor")
		}
		return unused("median", "sigma", "min", "max")
	}
	return bad("dist", d.Kind.String(), "is not a distribution", "use fixed, uniform, exponential or lognormal")
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// dist is a Dist checked and turned into nanoseconds for drawing.
type dist struct {
	kind    DistKind
	lo, hi  int64 // fixed: lo; uniform: [lo, hi]; others: floor lo, cap hi (0: none)
	mean    float64
	mu, sig float64 // lognormal: ln(median), sigma
}

func compileDist(d Dist) dist {
	c := dist{kind: d.Kind}
	switch d.Kind {
	case DistFixed:
		c.lo = int64(d.Value)
	case DistUniform:
		c.lo, c.hi = int64(d.Min), int64(d.Max)
	case DistExponential:
		c.lo, c.hi, c.mean = int64(d.Min), int64(d.Max), float64(d.Mean)
	case DistLogNormal:
		c.lo, c.hi, c.mu, c.sig = int64(d.Min), int64(d.Max), math.Log(float64(d.Median)), d.Sigma
	}
	return c
}

// draw returns a duration in nanoseconds, in [0, maxDraw]. DistNone draws 0
// without touching rng, so an unused distribution consumes no randomness.
func (c *dist) draw(rng *rand.Rand) int64 {
	var v int64
	switch c.kind {
	case DistNone:
		return 0
	case DistFixed:
		v = c.lo
	case DistUniform:
		if c.hi == c.lo {
			v = c.lo
		} else {
			v = c.lo + rng.Int64N(c.hi-c.lo+1)
		}
	case DistExponential:
		v = floatNanos(float64(c.lo) + rng.ExpFloat64()*c.mean)
	case DistLogNormal:
		v = floatNanos(math.Exp(c.mu + c.sig*rng.NormFloat64()))
		v = max(v, c.lo)
	}
	if c.hi > 0 && c.kind != DistUniform && v > c.hi {
		v = c.hi
	}
	return min(max(v, 0), maxDraw)
}

// floatNanos converts a float64 of nanoseconds to int64 without overflow.
func floatNanos(f float64) int64 {
	if !(f < float64(maxDraw)) { // also catches NaN
		return maxDraw
	}
	if f < 0 {
		return 0
	}
	return int64(f)
}

// expDraw draws an exponential waiting time of the given mean (ns), at least 1 ns
// so that a chain of draws always moves time forward.
func expDraw(rng *rand.Rand, mean float64) int64 {
	return max(floatNanos(rng.ExpFloat64()*mean), 1)
}
