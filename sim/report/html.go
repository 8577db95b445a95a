package report

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"html"
	"html/template"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/mdmkit/mdmkit/sim"
)

// WriteHTML writes one self-contained page for a person to open in a
// browser: the key figures, the charts embedded as data: URIs, the per-app and
// per-pool tables, failures, admin actions and store syncs, and the text
// summary. It references nothing outside itself (no script, stylesheet, font
// or image to fetch), so it can be mailed or archived as one file.
func WriteHTML(w io.Writer, r *sim.Report, charts []Chart) error {
	var summary strings.Builder
	if err := r.WriteText(&summary); err != nil {
		return err
	}
	d := page{R: r, Summary: summary.String(), Compliance: fmt.Sprintf("%.1f%%", 100*r.Compliance)}
	if r.RequiredStatuses() == 0 {
		d.Compliance = "" // the page says there is none to report
	}
	for _, c := range charts {
		// Built here rather than in the template: html/template would escape
		// every '+' of the base64 text as an entity, a third more bytes.
		// Base64 holds no character HTML gives a meaning to; the title is
		// escaped.
		img := fmt.Sprintf(`<img src="data:image/png;base64,%s" alt="%s" width="1100">`,
			base64.StdEncoding.EncodeToString(c.PNG), html.EscapeString(c.Title))
		d.Charts = append(d.Charts, pageChart{Chart: c, Img: template.HTML(img)})
	}
	if r.Run.Wall > 0 {
		d.Wall = fmt.Sprintf("%s wall time, %.0f events/s", r.Run.Wall.Round(time.Millisecond), r.Run.EventsPerSec)
	}
	var b bytes.Buffer
	if err := pageTemplate.Execute(&b, d); err != nil {
		return fmt.Errorf("report: html: %w", err)
	}
	_, err := w.Write(b.Bytes())
	return err
}

type page struct {
	R          *sim.Report
	Summary    string
	Compliance string
	Wall       string
	Charts     []pageChart
}

type pageChart struct {
	Chart
	Img template.HTML
}

// Files written by WriteDir besides the charts (NAME.png, one per chart).
const (
	FileJSON    = "report.json"
	FileHTML    = "report.html"
	FileSummary = "summary.txt"
)

// WriteDir writes the report into dir, creating it if needed: report.json
// (the report's JSON form), summary.txt (the text summary), one PNG per chart
// and report.html (the page, charts embedded). It returns the names of the
// files written, sorted.
func WriteDir(dir string, r *sim.Report) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	charts, err := Charts(r)
	if err != nil {
		return nil, err
	}
	var written []string
	write := func(name string, fill func(io.Writer) error) error {
		var b bytes.Buffer
		if err := fill(&b); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, name), b.Bytes(), 0o644); err != nil {
			return err
		}
		written = append(written, name)
		return nil
	}
	if err := write(FileJSON, r.WriteJSON); err != nil {
		return written, err
	}
	if err := write(FileSummary, r.WriteText); err != nil {
		return written, err
	}
	for _, c := range charts {
		if err := write(c.Name+".png", func(w io.Writer) error { _, err := w.Write(c.PNG); return err }); err != nil {
			return written, err
		}
	}
	if err := write(FileHTML, func(w io.Writer) error { return WriteHTML(w, r, charts) }); err != nil {
		return written, err
	}
	slices.Sort(written)
	return written, nil
}

var pageTemplate = template.Must(template.New("page").Funcs(template.FuncMap{
	"pct": func(n, of int) string {
		if of == 0 {
			return "-"
		}
		return fmt.Sprintf("%.1f%%", 100*float64(n)/float64(of))
	},
	"sub": func(a, b int) int { return a - b },
	"short": func(d sim.Duration, n int) string {
		if n == 0 {
			return "-"
		}
		return short(time.Duration(d))
	},
}).Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>fleetsim: {{.R.Scenario}}, seed {{.R.Seed}}</title>
<style>
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: #222; max-width: 1150px; margin: 2em auto; padding: 0 1em; }
h1 { font-size: 1.6em; margin-bottom: .2em; }
h2 { font-size: 1.25em; margin-top: 2em; border-bottom: 1px solid #ddd; }
.lead { color: #555; margin-top: 0; }
table { border-collapse: collapse; margin: .5em 0; }
th, td { padding: .2em .7em; text-align: right; border-bottom: 1px solid #eee; }
th { background: #f5f5f5; }
td:first-child, th:first-child, td.l, th.l { text-align: left; }
.scroll { overflow-x: auto; }
.apps th, .apps td { padding: .2em .4em; font-size: 13.5px; }
.apps td { white-space: nowrap; }
.keys td:first-child { color: #555; }
.keys td { text-align: left; }
figure { margin: 1.5em 0; }
figure img { max-width: 100%; height: auto; border: 1px solid #eee; }
figcaption { color: #555; font-size: .92em; max-width: 60em; }
.violation { background: #fdecea; border: 1px solid #e15759; padding: .6em 1em; }
pre { background: #f7f7f7; padding: 1em; overflow-x: auto; font-size: 12.5px; }
code { font-size: .95em; }
</style>
</head>
<body>
<h1>fleetsim report: {{.R.Scenario}}</h1>
{{with .R.Description}}<p class="lead">{{.}}</p>{{end}}
{{with .R.Violation}}<p class="violation"><b>{{.Rule}} violated</b> at {{.At}} ({{.Event}}): {{.What}}<br>reproduce with: <code>{{.Repro}}</code></p>{{end}}
<table class="keys">
<tr><td>fleet</td><td>{{.R.Devices}} devices, {{.R.Users}} users, {{.R.Apps}} apps</td></tr>
<tr><td>simulated</td><td>{{.R.Duration}} from {{.R.Start.Format "2006-01-02"}}</td></tr>
<tr><td>compliance at the end</td><td>{{if .Compliance}}<b>{{.Compliance}}</b> of required (device, app) statuses installed{{else}}no required (device, app) statuses{{end}}</td></tr>
<tr><td>time to install</td><td>{{with .R.TimeToInstall}}{{if .Count}}p50 {{.P50}}, p90 {{.P90}}, p99 {{.P99}}, max {{.Max}} over {{.Count}} installs{{else}}no installs{{end}}{{end}}</td></tr>
<tr><td>restore after a user removed a required app (T3)</td><td>{{with .R.Restore}}{{if .Count}}p50 {{.P50}}, p90 {{.P90}}, p99 {{.P99}} over {{.Count}}{{else}}none{{end}}{{end}}</td></tr>
<tr><td>events</td><td>{{.R.Events.Total}} ({{.R.Events.CheckIns}} check-ins, {{.R.Events.DeviceSteps}} device events, {{.R.Events.Enrollments}} enrollments, {{.R.Events.Pushes}} pushes){{with .Wall}}; {{.}}{{end}}</td></tr>
<tr><td>commands sent</td><td>{{.R.Commands.Install}} install, {{.R.Commands.Update}} update, {{.R.Commands.Uninstall}} uninstall</td></tr>
<tr><td>seed, trace hash</td><td>{{.R.Seed}}, <code>{{.R.TraceHash}}</code></td></tr>
</table>

{{range .Charts}}
<h2>{{.Title}}</h2>
<figure>{{.Img}}<figcaption>{{.Caption}}</figcaption></figure>
{{end}}

<h2>Apps at the end</h2>
<div class="scroll"><table class="apps">
<tr><th>app</th><th class="l">type</th><th class="l">intents</th><th>targeted</th><th>installed</th><th>%</th><th>outdated</th><th>pending</th><th>failed</th><th>waiting for a license</th><th>not installed</th><th>p50</th><th>p90</th><th>p99</th></tr>
{{range .R.PerApp}}<tr><td>{{.App}}</td><td class="l">{{.Type}}</td><td class="l">{{.Intents}}</td><td>{{.Targeted}}</td><td>{{.Installed}}</td><td>{{pct .Installed .Targeted}}</td><td>{{.Outdated}}</td><td>{{.Pending}}</td><td>{{sub .Failed .WaitingLicense}}</td><td>{{.WaitingLicense}}</td><td>{{.NotInstalled}}</td><td>{{short .TimeToInstall.P50 .TimeToInstall.Count}}</td><td>{{short .TimeToInstall.P90 .TimeToInstall.Count}}</td><td>{{short .TimeToInstall.P99 .TimeToInstall.Count}}</td></tr>
{{end}}</table></div>
<p class="lead">Targeted: devices with a status for the app (T1). Outdated: of installed, an older version than the catalog's (T4; L9 when held back). Failed: the last install failed; waiting: for a license (L5). p50–p99: time to install, required apps only.</p>

{{if .R.Pools}}<h2>License pools</h2>
<table>
<tr><th>app</th><th class="l">token</th><th>used</th><th>total</th><th>waiting at the end</th><th>peak waiting (shortfall)</th></tr>
{{range .R.Pools}}<tr><td>{{.App}}</td><td class="l">{{.Token}}</td><td>{{.Assigned}}</td><td>{{.Total}}</td><td>{{.Waiting}}</td><td>{{.PeakWaiting}}</td></tr>
{{end}}</table>{{end}}

{{if or .R.Failures .R.Waiting}}<h2>Failures and waits</h2>
<table>
<tr><th>status change</th><th>count</th></tr>
{{range .R.Failures}}<tr><td>failed, {{.Name}}</td><td>{{.Count}}</td></tr>
{{end}}{{range .R.Waiting}}<tr><td>pendingInstall, {{.Name}}</td><td>{{.Count}}</td></tr>
{{end}}</table>{{end}}

{{with .R.Conflict}}{{if .SampledDevices}}<h2>Conflicts met (A6)</h2>
<p>Over {{.SampledDevices}} sampled devices and {{.Pairs}} (device, app) resolutions{{if not .Rows}}: none{{end}}.</p>
{{if .Rows}}<table><tr><th>A6 row</th><th>count</th></tr>
{{range .Rows}}<tr><td>{{.Name}}</td><td>{{.Count}}</td></tr>
{{end}}</table>{{end}}{{end}}{{end}}

{{if or .R.Actions .R.Refused}}<h2>Admin actions</h2>
<table><tr><th>at</th><th class="l">action</th><th class="l">outcome</th></tr>
{{range .R.Refused}}<tr><td>setup</td><td class="l">{{.What}}</td><td class="l">refused: {{.Error}}</td></tr>
{{end}}{{range .R.Actions}}<tr><td>{{.At}}</td><td class="l">{{.What}}</td><td class="l">{{if .OK}}ok{{else}}refused: {{.Error}}{{end}}</td></tr>
{{end}}</table>{{end}}

<h2>Store syncs and license pushes</h2>
<p>{{.R.Syncs.Runs}} store syncs, {{.R.Syncs.Failed}} failed; {{.R.Pushes.Runs}} license pushes, {{.R.Pushes.Sent}} changes sent, {{.R.Pushes.Failed}} refused, {{.R.Pushes.Errors}} stopped on an error.</p>
{{if .R.Syncs.Errors}}<table><tr><th>at</th><th class="l">token</th><th class="l">error</th></tr>
{{range .R.Syncs.Errors}}<tr><td>{{.At}}</td><td class="l">{{.Token}}</td><td class="l">{{.Error}}</td></tr>
{{end}}</table>{{end}}

<h2>Liveness</h2>
{{with .R.Liveness}}{{if .Note}}<p>{{.Note}}</p>{{else}}<p>{{.Checked}} devices checked after {{.LastChange}} (the last change) + {{.Window}} (the window), {{.Skipped}} skipped; {{.Pairs}} required statuses.{{range $i, $a := .Allowed}}{{if $i}};{{end}} {{$a.Count}} {{$a.Name}}{{end}}</p>{{end}}{{end}}

<h2>Text summary</h2>
<details><summary>as <code>fleetsim</code> prints it</summary>
<pre>{{.Summary}}</pre>
</details>
</body>
</html>
`))
