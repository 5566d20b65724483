package auditreport

import (
	_ "embed"
	"html/template"
	"io"
	"strings"

	"github.com/netreach/netreach/audit"
)

//go:embed assets/report.html.tmpl
var htmlTemplate string

//go:embed assets/style.css
var htmlCSS string

//go:embed assets/script.js
var htmlJS string

var pageTemplate = template.Must(template.New("report").Parse(htmlTemplate))

type statCard struct {
	Label  string
	Value  string
	Detail string
	// Bar is the filled share (0-100) of an optional progress bar; -1 for
	// none.
	Bar   int
	Class string
}

type sevCard struct {
	Name  string
	Count int
}

type findingRow struct {
	audit.Finding
	Sev       int
	WhereDir  string
	WhereFile string
	Objects   []string
	Title     string
	KindName  string
	MoreLabel string
}

type kindOption struct {
	ID, Kind, Title string
	Count           int
}

type nsView struct {
	audit.NamespaceReport
	Policies      []string
	PodsLabel     string
	FindingsLabel string
	Isolated      string
}

type htmlData struct {
	Version    string
	Inputs     string
	Settings   string
	Audit      string
	CSS        template.CSS
	JS         template.JS
	Severities []sevCard
	Stats      []statCard
	Heatmap    heatmap
	Graph      nsGraph
	Findings   []findingRow
	Kinds      []kindOption
	Namespaces []nsView
	Blast      barChart
	Lateral    []string
	External   []audit.ExternalNode
	Total      int
}

// WriteHTML writes the report as one self-contained HTML page: inline CSS,
// inline SVG pictures (a namespace-to-namespace heatmap of allowed flows,
// a graph of namespaces and external address ranges, a blast-radius
// chart) and a little inline JavaScript to filter the findings table;
// nothing is loaded from the network. The page is rendered with
// html/template, so every name from the input is escaped for its context.
func WriteHTML(w io.Writer, d *Document) error {
	r := d.Report
	data := htmlData{
		Version:  d.Version,
		Inputs:   strings.Join(d.Inputs, ", "),
		Settings: r.Settings,
		Audit:    r.AuditOptions,
		CSS:      template.CSS(htmlCSS),
		JS:       template.JS(htmlJS),
		Heatmap:  layoutHeatmap(r),
		Graph:    layoutGraph(r),
		Blast:    layoutBlast(r),
		External: r.External,
		Total:    len(r.Findings),
	}
	for _, sc := range severityCounts(r) {
		data.Severities = append(data.Severities, sevCard{sc.Severity.String(), sc.Count})
	}
	s := r.Summary
	data.Stats = []statCard{
		{Label: "Isolated for ingress", Value: percent(s.IsolatedIngress, s.PodNetwork), Detail: itoa(s.IsolatedIngress) + " of " + itoa(s.PodNetwork) + " pods", Bar: pct(s.IsolatedIngress, s.PodNetwork), Class: goodBad(s.IsolatedIngress, s.PodNetwork)},
		{Label: "Isolated for egress", Value: percent(s.IsolatedEgress, s.PodNetwork), Detail: itoa(s.IsolatedEgress) + " of " + itoa(s.PodNetwork) + " pods", Bar: pct(s.IsolatedEgress, s.PodNetwork), Class: goodBad(s.IsolatedEgress, s.PodNetwork)},
		{Label: "Allowed pod pairs", Value: percent(s.AllowedPairs, s.Pairs), Detail: itoa(s.AllowedPairs) + " of " + itoa(s.Pairs) + " ordered pairs", Bar: pct(s.AllowedPairs, s.Pairs), Class: "neutral"},
		{Label: "Namespaces", Value: itoa(s.Namespaces), Detail: itoa(s.Endpoints) + " endpoints", Bar: -1},
		{Label: "Policies", Value: itoa(s.Policies), Detail: "evaluated in " + s.Mode + " mode", Bar: -1},
		{Label: "External ranges", Value: itoa(len(r.External)), Detail: "with allowed flows, of " + itoa(s.ExternalAtoms) + " cut by the policies", Bar: -1},
	}
	counts := map[audit.Kind]int{}
	for _, f := range r.Findings {
		counts[f.Kind]++
		row := findingRow{Finding: f, Sev: int(f.Severity), Title: f.Kind.Info().Title, KindName: string(f.Kind)}
		if where := locText(f.PrimaryLocation()); where != "" {
			if i := strings.LastIndexByte(where, '/'); i >= 0 {
				row.WhereDir, row.WhereFile = where[:i+1], where[i+1:]
			} else {
				row.WhereFile = where
			}
		}
		more := []string{countOf(len(f.Objects), "object")}
		if len(f.Evidence) > 0 {
			more = append(more, countOf(len(f.Evidence), "sample flow"))
		}
		row.MoreLabel = strings.Join(more, ", ")
		for _, o := range f.Objects[:min(len(f.Objects), 8)] {
			row.Objects = append(row.Objects, objectText(o))
		}
		if n := len(f.Objects) - 8; n > 0 {
			row.Objects = append(row.Objects, "… and "+itoa(n)+" more")
		}
		data.Findings = append(data.Findings, row)
	}
	for _, k := range audit.Kinds() {
		if counts[k.Kind] > 0 {
			data.Kinds = append(data.Kinds, kindOption{k.ID, string(k.Kind), k.Title, counts[k.Kind]})
		}
	}
	for _, ns := range r.Namespaces {
		v := nsView{NamespaceReport: ns, PodsLabel: countOf(len(ns.Pods), "pod"), FindingsLabel: countOf(ns.Findings, "finding")}
		for _, o := range ns.Policies {
			v.Policies = append(v.Policies, objectText(o))
		}
		iso := 0
		for _, p := range ns.Pods {
			if p.IsolatedIngress && p.IsolatedEgress {
				iso++
			}
		}
		v.Isolated = itoa(iso) + "/" + itoa(len(ns.Pods))
		data.Namespaces = append(data.Namespaces, v)
	}
	for _, g := range r.LateralGroups {
		data.Lateral = append(data.Lateral, strings.Join(g, ", "))
	}
	return pageTemplate.Execute(w, data)
}

func pct(n, d int) int {
	if d == 0 {
		return 0
	}
	return (100*n + d/2) / d
}

// goodBad classes a share where more is better.
func goodBad(n, d int) string {
	switch p := pct(n, d); {
	case d == 0:
		return "neutral"
	case p >= 90:
		return "good"
	case p >= 50:
		return "fair"
	}
	return "bad"
}
