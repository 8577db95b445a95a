package report

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"image"
	"image/color"
	_ "image/png"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"gonum.org/v1/plot/vg"

	"github.com/mdmkit/mdmkit/sim"
)

// smallReport runs sim's small test scenario (200 devices, 10 days, a VPP
// pool short of licenses) and draws its charts, once for every test:
// rendering is the slow part under -race. Tests change copies only.
func smallReport(t *testing.T) *sim.Report {
	t.Helper()
	r, _ := small(t)
	c := *r
	return &c
}

func small(t *testing.T) (*sim.Report, []Chart) {
	t.Helper()
	smallOnce.Do(func() {
		f, err := os.Open("../testdata/small.json")
		if err != nil {
			smallErr = err
			return
		}
		defer f.Close()
		sc, err := sim.ReadScenario(f, "small.json")
		if err != nil {
			smallErr = err
			return
		}
		if smallRep, smallErr = sim.Run(context.Background(), sc, sim.Options{}); smallErr == nil {
			smallCharts, smallErr = Charts(smallRep)
		}
	})
	if smallErr != nil {
		t.Fatal(smallErr)
	}
	return smallRep, smallCharts
}

var (
	smallOnce   sync.Once
	smallRep    *sim.Report
	smallCharts []Chart
	smallErr    error
)

// Every chart is a PNG of the announced size with something drawn in the
// series colours, and the same report draws the same bytes.
func TestCharts(t *testing.T) {
	rep, charts := small(t)
	var names []string
	for _, c := range charts {
		names = append(names, c.Name)
		img, _, err := image.Decode(bytes.NewReader(c.PNG))
		if err != nil {
			t.Fatalf("%s: %v", c.Name, err)
		}
		b := img.Bounds()
		if b.Dx() != int(width/vg.Inch*dpi) || b.Dy() < int(height/vg.Inch*dpi) {
			t.Errorf("%s: %v, want %d px wide and at least %d high", c.Name, b, int(width/vg.Inch*dpi), int(height/vg.Inch*dpi))
		}
		if n := count(img, palette[0]); n < 200 {
			t.Errorf("%s: %d pixels of the first series' colour: nothing drawn?", c.Name, n)
		}
		if c.Title == "" || c.Caption == "" {
			t.Errorf("%s: no title or caption", c.Name)
		}
	}
	if want := []string{ChartCompliance, ChartTimeToInstall, ChartLicenses, ChartFailures}; !slices.Equal(names, want) {
		t.Errorf("charts %v, want %v", names, want)
	}
	again, err := Charts(rep)
	if err != nil {
		t.Fatal(err)
	}
	for i := range charts {
		if !bytes.Equal(charts[i].PNG, again[i].PNG) {
			t.Errorf("%s: two renderings of one report differ", charts[i].Name)
		}
	}
}

func count(img image.Image, c color.RGBA) int {
	// Through the pixel bytes: img.At boxes every pixel, slow under -race.
	var pix []uint8
	switch m := img.(type) {
	case *image.RGBA:
		pix = m.Pix
	case *image.NRGBA:
		pix = m.Pix
	default:
		return -1
	}
	n := 0
	for i := 0; i+3 < len(pix); i += 4 {
		if pix[i] == c.R && pix[i+1] == c.G && pix[i+2] == c.B {
			n++
		}
	}
	return n
}

// A chart without data is left out rather than drawn empty.
func TestCharts_leftOut(t *testing.T) {
	rep := smallReport(t)
	rep.Pools = nil
	rep.TimeToInstall = sim.Percentiles{}
	charts, err := Charts(rep)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range charts {
		if c.Name == ChartLicenses || c.Name == ChartTimeToInstall {
			t.Errorf("%s drawn without data", c.Name)
		}
	}
	if charts, err := Charts(&sim.Report{}); err != nil || len(charts) != 0 {
		t.Errorf("empty report: %d charts, %v", len(charts), err)
	}
}

var external = regexp.MustCompile(`(?i)(https?:|src="//|href=|<script|<link|url\(|@import)`)

// The page embeds every chart as a data: URI of its very bytes, loads
// nothing from elsewhere, and escapes what the scenario says.
func TestWriteHTML(t *testing.T) {
	rep := smallReport(t)
	_, charts := small(t)
	rep.Description = `<script>alert("x")</script> & more`
	var b bytes.Buffer
	if err := WriteHTML(&b, rep, charts); err != nil {
		t.Fatal(err)
	}
	html := b.String()
	if m := external.FindString(html); m != "" {
		t.Errorf("the page references something outside itself: %q", m)
	}
	srcs := regexp.MustCompile(`<img src="data:image/png;base64,([A-Za-z0-9+/=]+)"`).FindAllStringSubmatch(html, -1)
	if len(srcs) != len(charts) {
		t.Fatalf("%d embedded images, %d charts", len(srcs), len(charts))
	}
	for i, m := range srcs {
		png, err := base64.StdEncoding.DecodeString(m[1])
		if err != nil || !bytes.Equal(png, charts[i].PNG) {
			t.Errorf("image %d is not chart %s (%v)", i, charts[i].Name, err)
		}
	}
	for _, want := range []string{"<!DOCTYPE html>", "fleetsim report: small", rep.TraceHash, "&lt;script&gt;", "outlook", "vpp-main", "Text summary"} {
		if !strings.Contains(html, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
}

// With no required (device, app) status there is no compliance: the page says
// so rather than "0.0%", as the summary does.
func TestWriteHTML_nothingRequired(t *testing.T) {
	rep := smallReport(t)
	last := rep.Samples[len(rep.Samples)-1]
	last.Apps = slices.Clone(last.Apps) // the report is shared: change copies
	for j := range last.Apps {
		last.Apps[j].Required = false
	}
	rep.Samples = []sim.Sample{last}
	rep.Compliance = 0
	var b bytes.Buffer
	if err := WriteHTML(&b, rep, nil); err != nil {
		t.Fatal(err)
	}
	if html := b.String(); !strings.Contains(html, "<td>no required (device, app) statuses</td>") || strings.Contains(html, "0.0%") {
		t.Errorf("the page does not say there is no compliance to report:\n%s", html)
	}
}

// WriteDir writes the JSON (the report's own form), the summary, the charts
// and the page.
func TestWriteDir(t *testing.T) {
	rep := smallReport(t)
	dir := filepath.Join(t.TempDir(), "out", "deeper")
	files, err := WriteDir(dir, rep)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"compliance.png", "failures.png", "licenses.png", FileHTML, FileJSON, FileSummary, "time-to-install.png"}
	if !slices.Equal(files, want) {
		t.Fatalf("wrote %v, want %v", files, want)
	}
	for _, f := range files {
		if st, err := os.Stat(filepath.Join(dir, f)); err != nil || st.Size() == 0 {
			t.Errorf("%s: %v", f, err)
		}
	}
	data, err := os.ReadFile(filepath.Join(dir, FileJSON))
	if err != nil {
		t.Fatal(err)
	}
	var back sim.Report
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatal(err)
	}
	if back.TraceHash != rep.TraceHash || len(back.Samples) != len(rep.Samples) {
		t.Errorf("report.json: trace %s, %d samples; want %s, %d", back.TraceHash, len(back.Samples), rep.TraceHash, len(rep.Samples))
	}
	if _, err := WriteDir(filepath.Join(dir, FileJSON, "x"), rep); err == nil {
		t.Error("WriteDir under a file succeeded")
	}
}

func TestShort(t *testing.T) {
	for d, want := range map[time.Duration]string{
		45 * time.Second: "45s", 16 * time.Minute: "16m", 64 * time.Minute: "1.1h", 8 * time.Hour: "8h",
		34 * time.Hour: "1.4d", 2 * sim.Day: "2d",
	} {
		if got := short(d); got != want {
			t.Errorf("short(%s) = %q, want %q", d, got, want)
		}
	}
}
