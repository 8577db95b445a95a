package report

import (
	"bytes"
	"fmt"
	"image/color"
	"math"
	"slices"
	"strconv"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"github.com/mdmkit/mdmkit/sim"
)

// Chart is one rendered chart: a PNG image with the words that go with it.
type Chart struct {
	// Name is the chart's file name without extension ("compliance").
	Name string
	// Title is the chart's title; Caption says how to read it.
	Title, Caption string
	// PNG is the image.
	PNG []byte
}

// Chart names, in the order Charts returns them.
const (
	ChartCompliance    = "compliance"
	ChartTimeToInstall = "time-to-install"
	ChartLicenses      = "licenses"
	ChartFailures      = "failures"
)

// Size and resolution of the images: wide enough for a legend beside the
// plot, sharp on a laptop screen.
const (
	width  = 10 * vg.Inch
	height = 5 * vg.Inch
	dpi    = 110
)

// Charts renders the report's charts: compliance over time per required app,
// the time-to-install distribution, license use per pool with its total, and
// failures over time by kind. A chart whose data the report lacks (no
// samples, no required app, no pool) is left out; the others are returned in
// the order of the Chart* names.
func Charts(r *sim.Report) ([]Chart, error) {
	var out []Chart
	for _, build := range []func(*sim.Report) (*Chart, error){compliance, timeToInstall, licenses, failures} {
		c, err := build(r)
		if err != nil {
			return nil, err
		}
		if c != nil {
			out = append(out, *c)
		}
	}
	return out, nil
}

// palette is Tableau's ten colours, told apart by most readers, also with
// colour-blindness; beyond ten, the dash pattern changes.
var palette = []color.RGBA{
	{0x4e, 0x79, 0xa7, 0xff}, {0xf2, 0x8e, 0x2b, 0xff}, {0xe1, 0x57, 0x59, 0xff}, {0x76, 0xb7, 0xb2, 0xff},
	{0x59, 0xa1, 0x4f, 0xff}, {0xed, 0xc9, 0x48, 0xff}, {0xb0, 0x7a, 0xa1, 0xff}, {0xff, 0x9d, 0xa7, 0xff},
	{0x9c, 0x75, 0x5f, 0xff}, {0xba, 0xb0, 0xac, 0xff},
}

var dashes = [][]vg.Length{nil, {vg.Points(6), vg.Points(3)}, {vg.Points(2), vg.Points(2)}}

func lineStyle(i int) draw.LineStyle {
	return draw.LineStyle{Color: palette[i%len(palette)], Width: vg.Points(1.6), Dashes: dashes[(i/len(palette))%len(dashes)]}
}

var black = color.RGBA{0x22, 0x22, 0x22, 0xff}

func newPlot(title, x, y string) *plot.Plot {
	p := plot.New()
	p.X.Tick.Marker = dayTicks{}
	p.Y.Tick.Marker = countTicks{}
	p.Title.Text = title
	p.Title.TextStyle.Font.Size = vg.Points(14)
	p.X.Label.Text = x
	p.Y.Label.Text = y
	p.X.Label.TextStyle.Font.Size = vg.Points(11)
	p.Y.Label.TextStyle.Font.Size = vg.Points(11)
	p.Add(plotter.NewGrid())
	return p
}

// render draws p with its legend in a strip on its right, as wide as its
// longest entry, as a PNG.
func render(p *plot.Plot, legend *plot.Legend, names []string) ([]byte, error) {
	c := vgimg.NewWith(vgimg.UseWH(width, height), vgimg.UseDPI(dpi), vgimg.UseBackgroundColor(color.White))
	dc := draw.New(c)
	if legend == nil {
		p.Draw(draw.Crop(dc, vg.Points(6), -vg.Points(10), vg.Points(4), -vg.Points(6)))
		return png(c)
	}
	lw := legend.ThumbnailWidth + vg.Points(24)
	for _, n := range names {
		lw = max(lw, legend.ThumbnailWidth+legend.TextStyle.Rectangle(n).Max.X+vg.Points(24))
	}
	lw = min(lw, width/2)
	p.Draw(draw.Crop(dc, vg.Points(6), -lw, vg.Points(4), -vg.Points(6)))
	legend.Top, legend.Left = true, true
	legend.Draw(draw.Crop(dc, width-lw+vg.Points(10), 0, 0, -vg.Points(40)))
	return png(c)
}

// dayTicks marks whole days: every day on a run of up to 16 days, then every
// 2, 5, 10 or 30.
type dayTicks struct{}

func (dayTicks) Ticks(lo, hi float64) []plot.Tick {
	step := 30.0
	for _, s := range []float64{1, 2, 5, 10} {
		if (hi-lo)/s <= 16 {
			step = s
			break
		}
	}
	var out []plot.Tick
	for d := math.Ceil(lo/step) * step; d <= hi+1e-9; d += step {
		out = append(out, plot.Tick{Value: d, Label: strconv.FormatFloat(d, 'f', -1, 64)})
	}
	return out
}

// countTicks are plot's default ticks labelled as plain numbers (10, 2500,
// 0.5), without the fixed decimals of the default labels.
type countTicks struct{}

func (countTicks) Ticks(lo, hi float64) []plot.Tick {
	ts := plot.DefaultTicks{}.Ticks(lo, hi)
	for i := range ts {
		if ts[i].Label != "" {
			ts[i].Label = strconv.FormatFloat(ts[i].Value, 'f', -1, 64)
		}
	}
	return ts
}

// percentTicks mark every 10%.
type percentTicks struct{}

func (percentTicks) Ticks(lo, hi float64) []plot.Tick {
	var out []plot.Tick
	for v := 0.0; v <= 100; v += 10 {
		if v >= lo && v <= hi {
			out = append(out, plot.Tick{Value: v, Label: strconv.Itoa(int(v))})
		}
	}
	return out
}

func png(c *vgimg.Canvas) ([]byte, error) {
	var b bytes.Buffer
	if _, err := (vgimg.PngCanvas{Canvas: c}).WriteTo(&b); err != nil {
		return nil, fmt.Errorf("report: encode png: %w", err)
	}
	return b.Bytes(), nil
}

func newLegend() *plot.Legend {
	l := plot.NewLegend()
	l.TextStyle.Font.Size = vg.Points(10)
	l.Padding = vg.Points(2)
	return &l
}

func days(d sim.Duration) float64 { return time.Duration(d).Hours() / 24 }

// line makes a line plotter in style i; a series with no point gives nil.
func line(pts plotter.XYs, sty draw.LineStyle) (*plotter.Line, error) {
	if len(pts) == 0 {
		return nil, nil
	}
	l, err := plotter.NewLine(pts)
	if err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	l.LineStyle = sty
	return l, nil
}

// compliance: per required app, the share of its targeted devices (those
// with a status) that have it installed, and the overall compliance.
func compliance(r *sim.Report) (*Chart, error) {
	if len(r.Samples) == 0 {
		return nil, nil
	}
	var apps []string // required at some sample, in the report's app order
	required := map[string]bool{}
	for _, s := range r.Samples {
		for _, a := range s.Apps {
			if a.Required {
				required[string(a.App)] = true
			}
		}
	}
	for _, a := range r.PerApp {
		if required[string(a.App)] {
			apps = append(apps, string(a.App))
		}
	}
	if len(apps) == 0 {
		return nil, nil
	}
	p := newPlot(fmt.Sprintf("Compliance over time: %s", r.Scenario), "days since the start", "devices with the app installed (%)")
	legend := newLegend()
	var all plotter.XYs
	for _, s := range r.Samples {
		targeted := 0
		for _, a := range s.Apps {
			if a.Required {
				targeted += a.Targeted
			}
		}
		if targeted > 0 {
			all = append(all, plotter.XY{X: days(s.At), Y: 100 * s.Compliance})
		}
	}
	for i, app := range apps {
		var pts plotter.XYs
		for _, s := range r.Samples {
			for _, a := range s.Apps {
				if string(a.App) == app && a.Required && a.Targeted > 0 {
					pts = append(pts, plotter.XY{X: days(s.At), Y: 100 * float64(a.Installed) / float64(a.Targeted)})
				}
			}
		}
		l, err := line(pts, lineStyle(i))
		if err != nil {
			return nil, err
		}
		if l != nil {
			p.Add(l)
			legend.Add(app, l)
		}
	}
	l, err := line(all, draw.LineStyle{Color: black, Width: vg.Points(3)})
	if err != nil {
		return nil, err
	}
	if l != nil {
		p.Add(l)
		legend.Add("all required apps", l)
	}
	p.Y.Min, p.Y.Max = 0, 100
	p.Y.Tick.Marker = percentTicks{}
	p.X.Min, p.X.Max = 0, days(r.Duration)
	img, err := render(p, legend, append(apps, "all required apps"))
	if err != nil {
		return nil, err
	}
	return &Chart{Name: ChartCompliance, Title: "Compliance over time",
		Caption: "For each app with a required assignment: the share of the devices it targets (those with a status, T1) " +
			"that have it installed, at each metrics sample. The thick line is the compliance over every required app.",
		PNG: img}, nil
}

// timeToInstall: how long required apps took to install, as a histogram
// with buckets doubling from one minute, and the percentiles.
func timeToInstall(r *sim.Report) (*Chart, error) {
	t := r.TimeToInstall
	if t.Count == 0 || len(t.Histogram) == 0 {
		return nil, nil
	}
	vals := make(plotter.Values, len(t.Histogram))
	labels := make([]string, len(t.Histogram))
	for i, b := range t.Histogram {
		vals[i] = float64(b.Count)
		labels[i] = "≤" + short(time.Duration(b.UpTo))
	}
	p := newPlot(fmt.Sprintf("Time to install required apps: %d installs", t.Count),
		"time from the app becoming required on the device to installed (buckets double)", "installs")
	bars, err := plotter.NewBarChart(vals, vg.Points(22))
	if err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	bars.Color = palette[0]
	bars.LineStyle.Width = 0
	p.Add(bars)
	p.NominalX(labels...)
	p.Y.Tick.Marker = countTicks{}
	p.X.Tick.Label.Font.Size = vg.Points(9)
	legend := newLegend()
	legend.Add("installs", bars)
	// Bucket k holds (60s·2^(k-1), 60s·2^k] and bar k spans k±0.5, so a time v
	// stands at log2(v/60s)+0.5 on the x axis.
	top := slices.Max(vals) * 1.1
	for i, q := range []struct {
		name string
		d    sim.Duration
	}{{"p50", t.P50}, {"p90", t.P90}, {"p99", t.P99}} {
		x := math.Max(-0.5, math.Log2(time.Duration(q.d).Seconds()/60)+0.5)
		l, err := line(plotter.XYs{{X: x, Y: 0}, {X: x, Y: top}},
			draw.LineStyle{Color: palette[i+1], Width: vg.Points(2), Dashes: dashes[1]})
		if err != nil {
			return nil, err
		}
		p.Add(l)
		legend.Add(fmt.Sprintf("%s %s", q.name, short(time.Duration(q.d))), l)
	}
	p.Y.Min, p.Y.Max = 0, top
	img, err := render(p, legend, []string{"installs", "p50 00.0h"})
	if err != nil {
		return nil, err
	}
	return &Chart{Name: ChartTimeToInstall, Title: "Time to install",
		Caption: fmt.Sprintf("From when an app became required on a device (its assignment, or the device's enrollment, "+
			"whichever is later) to its first installed status, over every required app. p50 %s, p90 %s, p99 %s, max %s.",
			short(time.Duration(t.P50)), short(time.Duration(t.P90)), short(time.Duration(t.P99)), short(time.Duration(t.Max))),
		PNG: img}, nil
}

// licenses: one panel per license pool, its licenses used and its total over
// time, and the devices (or users) waiting for one.
func licenses(r *sim.Report) (*Chart, error) {
	if len(r.Pools) == 0 || len(r.Samples) == 0 {
		return nil, nil
	}
	cols := min(2, len(r.Pools))
	rows := (len(r.Pools) + cols - 1) / cols
	grid := make([][]*plot.Plot, rows)
	for i := range grid {
		grid[i] = make([]*plot.Plot, cols)
	}
	used := draw.LineStyle{Color: palette[0], Width: vg.Points(2)}
	total := draw.LineStyle{Color: black, Width: vg.Points(1.5), Dashes: dashes[1]}
	waiting := draw.LineStyle{Color: palette[2], Width: vg.Points(1.5)}
	for k, pool := range r.Pools {
		var u, tot, w plotter.XYs
		for _, s := range r.Samples {
			for _, ps := range s.Pools {
				if ps.App == pool.App {
					x := days(s.At)
					u = append(u, plotter.XY{X: x, Y: float64(ps.Assigned)})
					tot = append(tot, plotter.XY{X: x, Y: float64(ps.Total)})
					w = append(w, plotter.XY{X: x, Y: float64(ps.Waiting)})
				}
			}
		}
		p := newPlot(fmt.Sprintf("%s (%s)", pool.App, pool.Token), "days since the start", "licenses")
		p.Title.TextStyle.Font.Size = vg.Points(11)
		p.Legend.Top, p.Legend.Left = true, true
		p.Legend.TextStyle.Font.Size = vg.Points(8)
		peak := 1.0
		for _, set := range []struct {
			name string
			pts  plotter.XYs
			sty  draw.LineStyle
		}{{"total", tot, total}, {"used", u, used}, {"waiting for one", w, waiting}} {
			l, err := line(set.pts, set.sty)
			if err != nil {
				return nil, err
			}
			if l == nil {
				continue
			}
			p.Add(l)
			p.Legend.Add(set.name, l)
			for _, pt := range set.pts {
				peak = math.Max(peak, pt.Y)
			}
		}
		p.X.Min, p.X.Max = 0, days(r.Duration)
		p.Y.Min, p.Y.Max = 0, peak*1.45 // room above the lines for the legend
		grid[k/cols][k%cols] = p
	}
	h := max(height, vg.Length(rows)*2.4*vg.Inch)
	c := vgimg.NewWith(vgimg.UseWH(width, h), vgimg.UseDPI(dpi), vgimg.UseBackgroundColor(color.White))
	dc := draw.New(c)
	tiles := draw.Tiles{Rows: rows, Cols: cols, PadX: vg.Points(24), PadY: vg.Points(18),
		PadTop: vg.Points(6), PadBottom: vg.Points(4), PadLeft: vg.Points(6), PadRight: vg.Points(10)}
	dc.FillText(figureTitle(), vg.Point{X: width / 2, Y: h - vg.Points(4)}, "License use per pool: "+r.Scenario)
	canvases := plot.Align(grid, tiles, draw.Crop(dc, 0, 0, 0, -vg.Points(24)))
	for j := range grid {
		for i, p := range grid[j] {
			if p != nil {
				p.Draw(canvases[j][i])
			}
		}
	}
	img, err := png(c)
	if err != nil {
		return nil, err
	}
	return &Chart{Name: ChartLicenses, Title: "License use per pool",
		Caption: "For each license pool (L5, L14): the licenses used (assigned), the licenses owned (dashed: " +
			"purchases come in at the next store sync, S1) and the holders waiting for one (L5).",
		PNG: img}, nil
}

// figureTitle is the style of a title above a grid of plots: a plot title's,
// centred on the point given, hanging from it.
func figureTitle() text.Style {
	sty := plot.New().Title.TextStyle
	sty.Font.Size = vg.Points(14)
	sty.XAlign, sty.YAlign = draw.XCenter, draw.YTop
	return sty
}

// failures: status changes into a failed state per sample interval, by kind.
func failures(r *sim.Report) (*Chart, error) {
	if len(r.Samples) < 2 {
		return nil, nil
	}
	var kinds []string
	for _, s := range r.Samples {
		for _, k := range s.FailureKinds {
			if !slices.Contains(kinds, k.Name) {
				kinds = append(kinds, k.Name)
			}
		}
	}
	slices.Sort(kinds)
	interval := time.Duration(r.Samples[1].At - r.Samples[0].At)
	p := newPlot("Failures over time", "days since the start",
		fmt.Sprintf("status changes into failed per %s", short(interval)))
	legend := newLegend()
	peak := 1.0
	for i, kind := range kinds {
		var pts plotter.XYs
		prev, prevAt := 0, sim.Duration(-1)
		for _, s := range r.Samples {
			n := 0
			for _, k := range s.FailureKinds {
				if k.Name == kind {
					n = k.Count
				}
			}
			if s.At != prevAt && prevAt >= 0 {
				pts = append(pts, plotter.XY{X: days(s.At), Y: float64(n - prev)})
				peak = math.Max(peak, float64(n-prev))
			}
			prev, prevAt = n, s.At
		}
		l, err := line(pts, lineStyle(i))
		if err != nil {
			return nil, err
		}
		if l != nil {
			p.Add(l)
			legend.Add(kind, l)
		}
	}
	if len(kinds) == 0 {
		legend = nil
	}
	p.X.Min, p.X.Max = 0, days(r.Duration)
	p.Y.Min, p.Y.Max = 0, peak*1.1
	img, err := render(p, legend, kinds)
	if err != nil {
		return nil, err
	}
	return &Chart{Name: ChartFailures, Title: "Failures over time",
		Caption: fmt.Sprintf("Status changes into failed (install) or uninstallFailed in each %s between metrics samples, "+
			"by detail (T1): an error code the device reported, no license left (L5), the user without an Apple "+
			"account (L4), the token not usable (L3), ...", short(interval)),
		PNG: img}, nil
}

// short prints a span compactly: 45s, 16m, 4.3h, 2.8d.
func short(d time.Duration) string {
	switch {
	case d >= sim.Day:
		return trim(fmt.Sprintf("%.1f", d.Hours()/24)) + "d"
	case d >= time.Hour:
		return trim(fmt.Sprintf("%.1f", d.Hours())) + "h"
	case d >= time.Minute:
		return trim(fmt.Sprintf("%.0f", d.Minutes())) + "m"
	}
	return fmt.Sprintf("%.0fs", d.Seconds())
}

func trim(s string) string {
	if len(s) > 2 && s[len(s)-2:] == ".0" {
		return s[:len(s)-2]
	}
	return s
}
