// Package resolvebench measures package assign on tenant-L (bench/workload) and
// compares it with a straightforward baseline (issue 3):
//
//   - BenchmarkResolveAll: full resolution of tenant-L on every core; also
//     reports the memory of the resolved state (resolved-MB) and of the loaded
//     resolver (resolver-MB), the apps per device and the load time;
//   - BenchmarkResolveDeviceCold: one device, nothing cached;
//   - BenchmarkResolveDeviceWarm: one device, cache valid (one device again and
//     again, and a sample of 4,096 devices in turn);
//   - BenchmarkResolveDeviceWarmIndex: the same by device index, and
//     BenchmarkResolveDeviceWarmParallel from every core at once;
//   - BenchmarkBaselineResolveDevice: Baseline on the devices of the cold
//     benchmark, with the speedup of cold resolution over it measured in the same
//     run (cold-speedup).
//
// Every benchmark also reports cpu-ns/op, the CPU time the benchmark's thread
// (or process, for ResolveAll) ran per operation: the machine the figures are
// first taken on is shared, and ns/op there includes waiting for a core.
//
// Plain `go test` runs only TestBaselineAgrees on a small tenant (well under a
// second); tenant-L is generated and loaded once, on the first benchmark.
//
//	go test ./bench/resolve -run XXX -bench . -benchmem
package resolvebench
