// Package report renders a simulation report (sim.Report) for people: charts
// drawn with gonum.org/v1/plot and one self-contained HTML page. It is apart
// from package sim so that a program that only runs simulations does not pull
// a plotting library in; cmd/fleetsim -out uses it.
//
//	rep, err := sim.Run(ctx, sc, sim.Options{})
//	files, err := report.WriteDir("out", rep) // report.json, summary.txt, *.png, report.html
//
// # Charts
//
// Charts returns four PNG charts, each with a title and a caption saying how
// to read it:
//
//   - compliance: for each app with a required assignment, the share of the
//     devices it targets that have it installed, at each metrics sample, and
//     the overall compliance as a thick line;
//   - time-to-install: the histogram of the time from an app becoming
//     required on a device to installed (buckets doubling from one minute),
//     with p50, p90 and p99 marked;
//   - licenses: one panel per license pool, its licenses used and owned over
//     time and the holders waiting for one (L5): the shortfall;
//   - failures: status changes into failed per sample interval, by kind.
//
// A chart whose data the report lacks (a run without required apps or
// without pools) is left out. Everything drawn comes from the report, so the
// same report gives the same images.
//
// # The page
//
// WriteHTML writes one page: the key figures (compliance, time to install,
// events, seed and trace hash), the charts embedded as data: URIs, tables of
// apps, pools, failures, admin actions and syncs, liveness, and the text
// summary. It loads nothing from elsewhere — no script, stylesheet, font or
// image — so it opens offline and can be mailed as one file.
package report
