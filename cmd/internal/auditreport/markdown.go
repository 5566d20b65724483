package auditreport

import (
	"bufio"
	"fmt"
	"io"
	"strings"

	"github.com/netreach/netreach/internal/audit"
	"github.com/netreach/netreach/internal/safetext"
)

// maxMarkdownMatrix is the largest number of namespaces whose flows are
// written as a matrix; above it they are listed.
const maxMarkdownMatrix = 20

// WriteMarkdownFull writes the whole report as GitHub-flavoured
// Markdown (`--detail full`): the top risks, the summary, every finding,
// the namespace flows (a table for up to 20 namespaces, a list
// otherwise), the external ranges, lateral movement and the per-namespace
// details. It mirrors the HTML report without pictures, and grows with
// the cluster.
func WriteMarkdownFull(w io.Writer, d *Document) error {
	b := bufio.NewWriter(w)
	r := d.Report
	p := func(format string, args ...any) { fmt.Fprintf(b, format, args...) }

	p("# netreach audit report\n\n")
	p("netreach %s · inputs: %s · `%s`\n\n", d.Version, codeList(d.Inputs), r.Settings)
	p("Audit options: `%s`\n\n", r.AuditOptions)

	writeTopRisksMarkdown(p, r)

	writeSummaryMarkdown(p, r, true)

	p("## Findings\n\n")
	if len(r.Findings) == 0 {
		p("No findings.\n\n")
	} else {
		p("| severity | id | kind | namespace | finding | where | remedy |\n| --- | --- | --- | --- | --- | --- | --- |\n")
		for _, f := range r.Findings {
			msg := cell(f.Message)
			for _, e := range f.Evidence {
				msg += "<br>↳ " + cell(e)
			}
			p("| %s | %s | %s | %s | %s | %s | %s |\n", f.Severity, f.ID, f.Kind, cell(f.Namespace), msg, cell(whereText(&f)), cell(f.Remedy))
		}
		p("\n")
	}
	writeFixesMarkdown(b, d)

	p("## Namespace flows\n\n")
	p("Allowed pod pairs from each namespace (rows) to each namespace (columns), on any port.\n\n")
	names := make([]string, len(r.Namespaces))
	for i, ns := range r.Namespaces {
		names[i] = ns.Name
	}
	switch {
	case len(names) == 0:
		p("No namespaces.\n\n")
	case len(names) <= maxMarkdownMatrix:
		p("| from \\ to |")
		for _, n := range names {
			p(" %s |", cell(n))
		}
		p("\n| --- |%s\n", strings.Repeat(" ---: |", len(names)))
		for i, n := range names {
			p("| **%s** |", cell(n))
			for j := range names {
				if v := r.Flows[i][j]; v > 0 {
					p(" %d |", v)
				} else {
					p(" · |")
				}
			}
			p("\n")
		}
		p("\n")
	default:
		for i, n := range names {
			for j, m := range names {
				if v := r.Flows[i][j]; v > 0 {
					p("- %s → %s: %d\n", n, m, v)
				}
			}
		}
		p("\n")
	}

	p("## External address ranges\n\n")
	if len(r.External) == 0 {
		p("No allowed flow to or from addresses outside the cluster.\n\n")
	} else {
		p("| ranges | kind | pods that can reach them | pods they can reach |\n| --- | --- | --- | --- |\n")
		for _, x := range r.External {
			kind := "private"
			if x.Internet {
				kind = "internet"
			}
			p("| %s | %s | %s | %s |\n", cell(strings.Join(x.Ranges, ", ")), kind, peerText(x.From), peerText(x.To))
		}
		p("\n")
	}

	p("## Lateral movement\n\n")
	if len(r.LateralGroups) > 0 {
		p("Namespaces whose pods can all reach one another, directly or through other pods:\n\n")
		for _, g := range r.LateralGroups {
			p("- %s\n", strings.Join(g, ", "))
		}
		p("\n")
	}
	p("Endpoints by blast radius (other endpoints reachable directly and transitively, on any port):\n\n")
	p("| endpoint | workload | direct | transitive |\n| --- | --- | ---: | ---: |\n")
	for _, br := range r.BlastRadius[:min(len(r.BlastRadius), 20)] {
		p("| %s | %s | %d | %d |\n", cell(br.Endpoint), cell(br.Workload), br.Direct, br.Reach)
	}
	if n := len(r.BlastRadius) - 20; n > 0 {
		p("\n… and %d more endpoints.\n", n)
	}
	p("\n")

	p("## Namespaces\n\n")
	for _, ns := range r.Namespaces {
		p("### %s\n\n", ns.Name)
		var facts []string
		if ns.Tenant != "" {
			facts = append(facts, "tenant **"+cell(ns.Tenant)+"**")
		}
		if ns.Shared {
			facts = append(facts, "shared")
		}
		if ns.Synthesized {
			facts = append(facts, "not declared in the input")
		}
		facts = append(facts, "default deny: ingress "+yesNo(ns.DefaultDenyIngress)+", egress "+yesNo(ns.DefaultDenyEgress))
		facts = append(facts, fmt.Sprintf("%d findings", ns.Findings))
		p("%s\n\n", strings.Join(facts, " · "))
		if len(ns.Pods) > 0 {
			p("| pod | workload | ingress isolated | egress isolated | direct | transitive |\n| --- | --- | --- | --- | ---: | ---: |\n")
			for _, pod := range ns.Pods {
				name := pod.Name
				if pod.HostNetwork {
					name += " (host network)"
				}
				p("| %s | %s | %s | %s | %d | %d |\n", cell(name), cell(pod.Workload), yesNo(pod.IsolatedIngress), yesNo(pod.IsolatedEgress), pod.Direct, pod.Reach)
			}
			p("\n")
		} else {
			p("No pods.\n\n")
		}
		if len(ns.Policies) > 0 {
			p("Policies:\n\n")
			for _, o := range ns.Policies {
				p("- %s\n", cell(objectText(o)))
			}
			p("\n")
		}
		p("- inbound from: %s\n", peerText(ns.Inbound))
		p("- outbound to: %s\n", peerText(ns.Outbound))
		p("- from outside the cluster: %s\n", peerText(ns.ExternalIn))
		p("- to outside the cluster: %s\n\n", peerText(ns.ExternalOut))
	}

	p("## Finding kinds\n\n| id | kind | default severity | title |\n| --- | --- | --- | --- |\n")
	for _, k := range audit.Kinds() {
		p("| %s | %s | %s | %s |\n", k.ID, k.Kind, k.Severity, k.Title)
	}
	return b.Flush()
}

// whereText lists a finding's location and objects.
func whereText(f *audit.Finding) string {
	if l := locText(f.PrimaryLocation()); l != "" {
		return l
	}
	return ""
}

func peerText(ps []audit.PeerCount) string {
	if len(ps) == 0 {
		return "none"
	}
	items := make([]string, len(ps))
	for i, pc := range ps {
		items[i] = fmt.Sprintf("%s (%d)", cell(pc.Peer), pc.Count)
	}
	return strings.Join(items, ", ")
}

func codeList(xs []string) string {
	if len(xs) == 0 {
		return "none"
	}
	items := make([]string, len(xs))
	for i, x := range xs {
		items[i] = "`" + x + "`"
	}
	return strings.Join(items, ", ")
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// cell escapes text for a Markdown table cell.
func cell(s string) string {
	s = safetext.Line(s) // controls and bidi characters from the input, visible
	s = strings.ReplaceAll(s, "\\", "\\\\")
	s = strings.ReplaceAll(s, "|", "\\|")
	s = strings.ReplaceAll(s, "\n", " ")
	s = strings.ReplaceAll(s, "<", "&lt;")
	return s
}

// writeTopRisksMarkdown writes the ranked top risks as a numbered list.
func writeTopRisksMarkdown(p func(string, ...any), r *audit.Report) {
	if len(r.TopRisks) == 0 {
		return
	}
	p("## Top risks\n\n")
	for _, k := range r.TopRisks {
		p("%d. **%s** %s — %s: %s (%d affected, %s)\n", k.Rank, k.Severity, k.Kind, cell(k.Title), clip(cell(k.Scope), 300),
			k.Affected, countOf(len(k.Findings), "finding"))
	}
	p("\n")
}

// writeSummaryMarkdown writes the counts of the report: findings per
// severity (and waived, new and fixed ones), pods isolated, policies,
// allowed pairs; full adds the address and port ranges.
func writeSummaryMarkdown(p func(string, ...any), r *audit.Report, full bool) {
	p("## Summary\n\n")
	p("| critical | high | medium | low | info |\n| ---: | ---: | ---: | ---: | ---: |\n")
	c := r.Summary.BySeverity
	p("| %d | %d | %d | %d | %d |\n\n", c.Critical, c.High, c.Medium, c.Low, c.Info)
	if n := r.Summary.Waived; n > 0 {
		p("%s waived (not counted above; listed in the JSON report).\n\n", countOf(n, "finding"))
	}
	if r.Summary.New > 0 || len(r.Fixed) > 0 {
		p("Against the baseline: %d new, %d fixed.\n\n", r.Summary.New, len(r.Fixed))
	}
	s := r.Summary
	p("| | |\n| --- | ---: |\n")
	p("| namespaces | %d |\n", s.Namespaces)
	p("| endpoints | %d (%d on the pod network) |\n", s.Endpoints, s.PodNetwork)
	p("| isolated for ingress | %d of %d (%s) |\n", s.IsolatedIngress, s.PodNetwork, percent(s.IsolatedIngress, s.PodNetwork))
	p("| isolated for egress | %d of %d (%s) |\n", s.IsolatedEgress, s.PodNetwork, percent(s.IsolatedEgress, s.PodNetwork))
	p("| policies | %d |\n", s.Policies)
	if !full {
		p("| allowed pod pairs | %d of %d (%s) |\n\n", s.AllowedPairs, s.Pairs, percent(s.AllowedPairs, s.Pairs))
		return
	}
	p("| allowed pod pairs | %d of %d (%s) |\n", s.AllowedPairs, s.Pairs, percent(s.AllowedPairs, s.Pairs))
	p("| external address ranges | %d |\n", s.ExternalAtoms)
	p("| port ranges | %d |\n\n", s.PortAtoms)
}
