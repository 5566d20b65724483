package reachability

import (
	"fmt"
	"strings"

	"github.com/netreach/netreach/internal/mesh"
	"github.com/netreach/netreach/internal/safetext"
)

// meshLayer adds the service-mesh layer to a trace: the connection is
// allowed when network policy allows it and the mesh allows it
// [docs/mesh.md §5.1].
func (ev *Evaluator) meshLayer(t *Trace, f Flow, fam int) {
	network := t.Verdict
	src, _ := f.Src.addr(fam)
	dst, _ := f.Dst.addr(fam)
	mt := ev.mesh.Evaluate(mesh.Flow{Src: f.Src.Endpoint, SrcIP: src, Dst: f.Dst.Endpoint, DstIP: dst, Protocol: f.Protocol, Port: f.Port})
	t.Network, t.Mesh = &network, mt
	t.Verdict = combine(network, Verdict(mt.Verdict))
}

// Describe returns the evaluator's mode and switches, as
// [Matrix.Describe] does for a matrix.
func (ev *Evaluator) Describe() string {
	resolved := MeshOff
	if ev.mesh != nil {
		resolved = MeshIstio
	}
	return describeWith(describeResolved(ev.opts, ev.mode, resolved), ev.snap)
}

// formatMesh renders the layers of a trace with the mesh layer on.
func formatMesh(b *strings.Builder, t *Trace) {
	if t.Mesh == nil || t.Network == nil {
		return
	}
	m := t.Mesh
	line := func(indent, format string, args ...any) {
		b.WriteString(indent)
		b.WriteString(safetext.Line(fmt.Sprintf(format, args...)))
		b.WriteByte('\n')
	}
	line("  ", "network layer: %s", *t.Network)
	line("  ", "mesh layer: %s", m.Verdict)
	line("    ", "source %s", m.Source)
	line("    ", "destination %s", m.Destination)
	if !m.Enforced {
		line("    ", "not enforced: %s", m.Note)
		return
	}
	if m.MTLS != nil {
		by := "the mesh default"
		if m.MTLS.Policy != nil {
			by = m.MTLS.Scope + " " + m.MTLS.Policy.String() + at(m.MTLS.Policy.Source)
		}
		line("    ", "mTLS mode %s (from %s): %s", m.MTLS.Mode, by, m.MTLS.Detail)
	}
	for _, st := range m.Stages {
		line("    ", "%s: %s (peer %s, protocol %s)", st.Proxy, st.Decision, st.Peer, st.Protocol)
		for _, p := range st.Policies {
			note := ""
			if p.Note != "" {
				note = " (" + p.Note + ")"
			}
			line("      ", "%s %s%s", p.Action, p.Policy, note)
			for _, r := range p.Rules {
				detail := ""
				if r.Detail != "" {
					detail = " (" + r.Detail + ")"
				}
				line("        ", "rule %d%s: match %s%s", r.Index, at(r.Source), r.Match, detail)
			}
		}
	}
	if m.Decider != "" {
		line("    ", "denied by %s", m.Decider)
	}
	for _, c := range m.Conditions {
		line("    ", "condition: %s", c)
	}
}
