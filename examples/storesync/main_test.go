package main

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/benbjohnson/clock"

	"github.com/mdmkit/mdmkit/examples/internal/golden"
)

// The whole story over loopback HTTP with a mock clock: the output is the
// golden file (S3 rate limit honoured and recovered, S5 versionId restart, L3
// claim with records lost, S4 state recorded and nothing dropped, take-back
// and re-push, S2 idempotent), the client waited exactly the Retry-After Apple
// sent, once, without sleeping, and the token never reached the output (L1).
func TestRun(t *testing.T) {
	clk := clock.NewMock()
	clk.Set(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
	var waits []time.Duration
	sleep := func(ctx context.Context, d time.Duration) error {
		waits = append(waits, d)
		return ctx.Err()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var out bytes.Buffer
	if err := run(ctx, &out, clk, sleep); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	if !slices.Equal(waits, []time.Duration{time.Second}) {
		t.Errorf("waits %v, want one Retry-After of 1s", waits)
	}
	// The sToken is base64 of JSON beginning {"token": it would show as eyJ0b2tlbi.
	if strings.Contains(out.String(), "eyJ0b2tlbi") {
		t.Error("the sToken was printed (L1)")
	}
	golden.Check(t, "testdata/output.golden", out.Bytes())
}
