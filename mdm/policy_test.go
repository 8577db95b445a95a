package mdm

import (
	"errors"
	"math"
	"testing"
)

// P: a NaN fraction compares false with every bound, so a range check written as
// "v < lo || v > hi" lets it through; Validate must refuse it and name the field.
func TestPolicy_ValidateNaNAndInf(t *testing.T) {
	cases := []struct {
		field string
		mut   func(*Policy)
	}{
		{"policy.checkInJitter", func(p *Policy) { p.CheckInJitter = math.NaN() }},
		{"policy.checkInJitter", func(p *Policy) { p.CheckInJitter = math.Inf(1) }},
		{"policy.checkInJitter", func(p *Policy) { p.CheckInJitter = math.Inf(-1) }},
		{"policy.utilizationAlertThreshold", func(p *Policy) { p.UtilizationAlertThreshold = math.NaN() }},
		{"policy.utilizationAlertThreshold", func(p *Policy) { p.UtilizationAlertThreshold = math.Inf(1) }},
		{"policy.utilizationAlertThreshold", func(p *Policy) { p.UtilizationAlertThreshold = math.Inf(-1) }},
	}
	for i, c := range cases {
		p := DefaultPolicy()
		c.mut(&p)
		err := p.Validate()
		var ve *ValidationError
		if !errors.As(err, &ve) || !errors.Is(err, ErrInvalidPolicy) || ve.Field != c.field {
			t.Errorf("case %d: err = %v, want a *ValidationError on %s wrapping ErrInvalidPolicy", i, err, c.field)
		}
	}
}
