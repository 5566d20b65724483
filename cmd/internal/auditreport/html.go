package auditreport

import (
	_ "embed"
	"html/template"
	"io"
	"strings"

	"github.com/netreach/netreach/internal/audit"
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

type htmlData struct {
	Version    string
	Inputs     string
	Settings   string
	Audit      string
	CSS        template.CSS
	JS         template.JS
	Data       template.JS
	Severities []sevCard
	Stats      []statCard
	Blast      barChart
	Lateral    []string
	External   []audit.ExternalNode
	Total      int
	Namespaces int
	// Waived, New and Fixed count the findings a waiver covers and, with
	// a baseline, those that are new and those that are gone.
	Waived, New, Fixed int
	Baseline           bool
}

// WriteHTML writes the report as one self-contained HTML page: inline CSS,
// inline JavaScript and the report's data as one JSON blob that the
// script renders on demand (top risks, a findings list rendered a page at
// a time with filters and search, a tenant × tenant matrix that drills
// down to namespaces and workloads, a graph focused on one namespace or
// tenant, namespace panels sorted by risk); nothing is loaded from the
// network. The page is rendered with html/template and the data escaped
// as JSON, so every name from the input is escaped for its context.
func WriteHTML(w io.Writer, d *Document) error {
	r := d.Report
	blob, err := marshalBlob(buildBlob(d))
	if err != nil {
		return err
	}
	data := htmlData{
		Version:    d.Version,
		Inputs:     strings.Join(d.Inputs, ", "),
		Settings:   r.Settings,
		Audit:      r.AuditOptions,
		CSS:        template.CSS(htmlCSS),
		JS:         template.JS(htmlJS),
		Data:       template.JS(blob),
		Blast:      layoutBlast(r),
		External:   r.External,
		Total:      len(r.Findings),
		Namespaces: len(r.Namespaces),
		Waived:     len(r.Waived),
		Fixed:      len(r.Fixed),
	}
	for _, f := range r.Findings {
		if f.Status != "" {
			data.Baseline = true
		}
		if f.Status == audit.StatusNew {
			data.New++
		}
	}
	data.Baseline = data.Baseline || data.Fixed > 0
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
