package auditreport

import (
	"bufio"
	"cmp"
	"fmt"
	"io"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/netreach/netreach/internal/audit"
)

// The Markdown summary is bounded by construction, whatever the cluster's
// size: at most maxRisks top risks, one row per finding kind, the
// maxWorstFindings most serious findings and the maxSummaryFlows largest
// flows, every cell clipped. It fits a pull-request comment (65,536
// characters) and a CI step summary (1 MiB); TestMarkdownSummaryFits
// holds it under MaxSummaryChars.
const (
	// MaxSummaryChars is the most characters the Markdown summary has.
	MaxSummaryChars  = 60000
	maxWorstFindings = 25
	maxSummaryFlows  = 10
)

// WriteMarkdown writes the Markdown summary of the report (`-o md`, the
// default): the top risks, the counts, the findings per kind, the most
// serious findings and the largest flows between namespaces, with the
// commands that give the full report. It stays under MaxSummaryChars
// characters at any cluster size; [WriteMarkdownFull] writes everything.
func WriteMarkdown(w io.Writer, d *Document) error {
	var out strings.Builder
	b := bufio.NewWriter(&out)
	r := d.Report
	p := func(format string, args ...any) { fmt.Fprintf(b, format, args...) }

	p("# netreach audit report (summary)\n\n")
	p("netreach %s · inputs: %s · `%s`\n\n", d.Version, clip(codeList(d.Inputs), 500), r.Settings)
	p("Audit options: `%s`\n\n", clip(r.AuditOptions, 500))
	inputs := "-f " + strings.Join(d.Inputs, " -f ")
	p("> The summary: top risks, counts and the %d most serious findings. Everything: `netreach audit %s -o md --detail full`, or `-o html` (an interactive page), `-o json`.\n\n",
		maxWorstFindings, clip(inputs, 300))

	writeTopRisksMarkdown(p, r)

	writeSummaryMarkdown(p, r, false)

	p("## Findings by kind\n\n")
	if len(r.Findings) == 0 {
		p("No findings.\n\n")
	} else {
		counts := map[audit.Kind][5]int{}
		for _, f := range r.Findings {
			n := counts[f.Kind]
			n[sevIndex(f.Severity)]++
			counts[f.Kind] = n
		}
		p("| id | kind | findings | critical | high | medium | low | info |\n| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |\n")
		for _, k := range audit.Kinds() {
			n, ok := counts[k.Kind]
			if !ok {
				continue
			}
			p("| %s | %s | %d | %d | %d | %d | %d | %d |\n", k.ID, k.Title, n[0]+n[1]+n[2]+n[3]+n[4], n[0], n[1], n[2], n[3], n[4])
		}
		p("\n")

		worst := r.Findings[:min(len(r.Findings), maxWorstFindings)]
		p("## Most serious findings\n\n")
		p("| severity | id | finding | where | remedy |\n| --- | --- | --- | --- | --- |\n")
		for _, f := range worst {
			msg := clip(cell(f.Message), 400)
			if len(f.Evidence) > 0 {
				msg += "<br>↳ " + clip(cell(f.Evidence[0]), 250)
			}
			p("| %s | %s | %s | %s | %s |\n", f.Severity, f.ID, msg, clip(cell(whereText(&f)), 150), clip(cell(f.Remedy), 300))
		}
		if n := len(r.Findings) - len(worst); n > 0 {
			p("\n… and %d more findings: see the full report.\n", n)
		}
		p("\n")
	}

	writeFixesMarkdown(b, d)

	if flows := largestFlows(r, maxSummaryFlows); len(flows) > 0 {
		p("## Largest flows between namespaces\n\n")
		p("Allowed pod pairs, cross-tenant flows first.\n\n| from | to | pod pairs | relation |\n| --- | --- | ---: | --- |\n")
		for _, f := range flows {
			p("| %s | %s | %d | %s |\n", clip(cell(f.from), 120), clip(cell(f.to), 120), f.count, f.relation)
		}
		p("\n")
	}
	if err := b.Flush(); err != nil {
		return err
	}
	_, err := io.WriteString(w, out.String())
	return err
}

type nsFlow struct {
	from, to, relation string
	count              int
}

// largestFlows returns the n largest flows between distinct namespaces:
// cross-tenant ones first, then those between namespaces of one tenant or
// none, then those with shared namespaces.
func largestFlows(r *audit.Report, n int) []nsFlow {
	type cand struct {
		i, j, count int
		rel         relation
	}
	var cs []cand
	for i, row := range r.Flows {
		for j, c := range row {
			if i != j && c > 0 {
				cs = append(cs, cand{i, j, c, relationOf(r, i, j)})
			}
		}
	}
	order := map[relation]int{relTenant: 0, relSame: 1, relShared: 2}
	slices.SortStableFunc(cs, func(a, b cand) int {
		if c := cmp.Compare(order[a.rel], order[b.rel]); c != 0 {
			return c
		}
		return cmp.Compare(b.count, a.count)
	})
	names := map[relation]string{relSame: "same tenant or none", relShared: "shared namespace", relTenant: "cross-tenant"}
	var out []nsFlow
	for _, c := range cs[:min(n, len(cs))] {
		out = append(out, nsFlow{r.Namespaces[c.i].Name, r.Namespaces[c.j].Name, names[c.rel], c.count})
	}
	return out
}

// clip cuts s to at most n characters, marking the cut with "…".
func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	rs := []rune(s)
	cut := string(rs[:n-1])
	// Do not leave a Markdown escape or an entity cut in half.
	if i := strings.LastIndexAny(cut, "\\&"); i >= len(cut)-6 && i >= 0 {
		cut = cut[:i]
	}
	return cut + "…"
}
