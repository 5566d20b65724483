package reachability

import (
	"fmt"
	"strings"

	"github.com/netreach/netreach/internal/policy"
	"github.com/netreach/netreach/internal/safetext"
)

// FormatTrace renders a trace as indented text for people: the verdict,
// then the egress side and the ingress side with every stage, policy and
// rule consulted.
func FormatTrace(t *Trace) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %s", t.Flow, strings.ToUpper(t.Verdict.String()))
	if t.Reason != "" {
		fmt.Fprintf(&b, " (%s)", t.Reason)
	}
	b.WriteByte('\n')
	for _, p := range t.Pools {
		fmt.Fprintf(&b, "  no address yet: %s\n", safetext.Line(p.String()))
	}
	for _, st := range []SideTrace{t.Egress, t.Ingress} {
		fmt.Fprintf(&b, "  %s at %s: %s — %s", st.Direction, st.Subject, st.Verdict, st.Decision)
		if st.Note != "" {
			fmt.Fprintf(&b, " (%s)", st.Note)
		}
		b.WriteByte('\n')
		if st.Decider != nil {
			fmt.Fprintf(&b, "    decided by %s %s rule %d (%s)%s\n", st.Decider.Policy, dirWord(st.Direction), st.Decider.Index, st.Decider.Action, at(st.Decider.Source))
			writeOrigin(&b, "      ", st.Decider.Policy.Origin)
		}
		for _, stage := range st.Stages {
			fmt.Fprintf(&b, "    stage %s: %s\n", stage.Name, stage.Outcome)
			for _, p := range stage.Policies {
				if !p.Selected {
					fmt.Fprintf(&b, "      %s: not selected (%s)\n", p.Policy, p.NotSelectedBecause)
					continue
				}
				if p.Note != "" {
					fmt.Fprintf(&b, "      %s: selected (%s)\n", p.Policy, p.Note)
				} else {
					fmt.Fprintf(&b, "      %s: selected\n", p.Policy)
				}
				writeOrigin(&b, "        ", p.Policy.Origin)
				for _, r := range p.Rules {
					if r.Matched {
						fmt.Fprintf(&b, "        rule %d %s%s: matched%s\n", r.Index, r.Action, at(r.Source), cond(r.Conditional))
					} else {
						fmt.Fprintf(&b, "        rule %d %s%s: no match (%s: %s)\n", r.Index, r.Action, at(r.Source), r.Failed, r.Detail)
					}
				}
			}
		}
	}
	formatMesh(&b, t)
	return b.String()
}

// writeOrigin adds a line saying which admission policy (Kyverno)
// generated or changed the object, when one did.
func writeOrigin(b *strings.Builder, indent string, o *policy.Origin) {
	if d := o.Describe(); d != "" {
		fmt.Fprintf(b, "%s(%s)\n", indent, safetext.Line(d))
	}
}

func cond(c string) string {
	if c == "" {
		return ""
	}
	return " if " + c
}

// at formats a rule location as " at file:line", or nothing.
func at(l policy.Location) string {
	if !l.IsValid() {
		return ""
	}
	return " at " + l.String()
}

func dirWord(d policy.Direction) string { return d.String() }
