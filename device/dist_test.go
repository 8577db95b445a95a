package device

import (
	"math"
	"slices"
	"testing"
	"time"
)

// Draws follow their distribution: bounds, floors and caps hold, means and
// medians are near their parameters.
func TestDist_Draws(t *testing.T) {
	const n = 20000
	rng := newRand(3)
	draw := func(d Dist) []float64 {
		if err := d.validate("d", false); err != nil {
			t.Fatal(err)
		}
		c := compileDist(d)
		out := make([]float64, n)
		for i := range out {
			out[i] = float64(c.draw(rng))
		}
		slices.Sort(out)
		return out
	}
	mean := func(xs []float64) float64 {
		s := 0.0
		for _, x := range xs {
			s += x
		}
		return s / float64(len(xs))
	}
	near := func(name string, got, want, tol float64) {
		if math.Abs(got-want) > tol*want {
			t.Errorf("%s: %v, want %v ± %.0f%%", name, time.Duration(got), time.Duration(want), tol*100)
		}
	}
	if xs := draw(Fixed(7 * time.Minute)); xs[0] != xs[n-1] || xs[0] != float64(7*time.Minute) {
		t.Errorf("fixed draws %v..%v", xs[0], xs[n-1])
	}
	xs := draw(Uniform(time.Hour, 3*time.Hour))
	if xs[0] < float64(time.Hour) || xs[n-1] > float64(3*time.Hour) {
		t.Errorf("uniform out of [1h, 3h]: %v..%v", time.Duration(xs[0]), time.Duration(xs[n-1]))
	}
	near("uniform mean", mean(xs), float64(2*time.Hour), 0.02)
	xs = draw(Exponential(30 * time.Minute))
	near("exponential mean", mean(xs), float64(30*time.Minute), 0.04)
	xs = draw(Dist{Kind: DistExponential, Mean: Duration(time.Hour), Min: Duration(time.Minute), Max: Duration(2 * time.Hour)})
	if xs[0] < float64(time.Minute) || xs[n-1] != float64(2*time.Hour) {
		t.Errorf("exponential floor/cap: %v..%v", time.Duration(xs[0]), time.Duration(xs[n-1]))
	}
	xs = draw(LogNormal(3*time.Minute, 0.8, 0))
	near("lognormal median", xs[n/2], float64(3*time.Minute), 0.04)
	near("lognormal mean", mean(xs), float64(3*time.Minute)*math.Exp(0.8*0.8/2), 0.05)
	xs = draw(LogNormal(3*time.Minute, 2, 10*time.Minute))
	if xs[n-1] != float64(10*time.Minute) {
		t.Errorf("lognormal cap: max %v", time.Duration(xs[n-1]))
	}
	if got := (&dist{}).draw(nil); got != 0 {
		t.Errorf("an unset distribution draws %v without a source", got)
	}
}

func TestStrings(t *testing.T) {
	for _, tc := range []struct{ got, want string }{
		{Time(90 * time.Minute).String(), "+1h30m0s"},
		{Never.String(), "never"},
		{Time(-time.Second).String(), "-1s"},
		{(EventCheckInRequested | EventUserLeft).String(), "checkInRequested|userLeft"},
		{Events(0).String(), "none"},
		{EventBooksAppRemoved.String(), "booksAppRemoved"},
		{LogNormal(3*time.Minute, 0.8, time.Hour).String(), "lognormal max=1h median=3m sigma=0.8"},
		{DistKind(9).String(), "DistKind(9)"},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
	if Time(5).Add(time.Duration(math.MaxInt64)) != Never {
		t.Error("Time.Add does not saturate")
	}
}
