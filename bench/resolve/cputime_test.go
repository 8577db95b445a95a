package resolvebench

import (
	"runtime"
	"syscall"
	"testing"
	"time"
)

// The machine these benchmarks are first run on is shared, and wall-clock
// ns/op includes the time the benchmark goroutine's thread waits for a core.
// cpuClock reads the CPU time the thread (or the process, for multi-threaded
// benchmarks) actually ran, which is what the same code costs on a quiet
// machine, less the effect of other programs on the caches. Benchmarks report
// it next to ns/op as cpu-ns/op.
type cpuClock struct {
	who   int
	start time.Duration
}

func tv(t syscall.Timeval) time.Duration { return time.Duration(t.Nano()) }

func cpuNow(who int) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(who, &ru); err != nil {
		return 0
	}
	return tv(ru.Utime) + tv(ru.Stime)
}

const rusageThread = 1 // RUSAGE_THREAD (Linux)

// startThreadCPU pins the benchmark goroutine to its thread and starts the clock.
func startThreadCPU() *cpuClock {
	runtime.LockOSThread()
	return &cpuClock{who: rusageThread, start: cpuNow(rusageThread)}
}

// startProcessCPU starts a clock over every thread of the process.
func startProcessCPU() *cpuClock {
	return &cpuClock{who: syscall.RUSAGE_SELF, start: cpuNow(syscall.RUSAGE_SELF)}
}

// report adds cpu-ns/op over n operations.
func (c *cpuClock) report(b *testing.B, n int) {
	d := cpuNow(c.who) - c.start
	if c.who == rusageThread {
		runtime.UnlockOSThread()
	}
	if n > 0 && d > 0 {
		b.ReportMetric(float64(d.Nanoseconds())/float64(n), "cpu-ns/op")
	}
}
