package egress

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"net/netip"
	"strings"
	"text/tabwriter"

	"go4.org/netipx"

	"github.com/netreach/netreach/internal/reachability"
	"github.com/netreach/netreach/internal/safetext"
)

// flowJSON is a Flow with its connections as text.
type flowJSON struct {
	Flow
	Connections string `json:"connections"`
	CondText    string `json:"conditional,omitempty"`
}

// WriteJSON writes the report as one JSON document: the options line and
// the flows, connections as text ("80/TCP, 443/TCP"), conditional
// connections (allowed only under a condition netreach cannot decide) in
// their own field.
func (r *Report) WriteJSON(w io.Writer) error {
	out := struct {
		Describe string     `json:"options"`
		Flows    []flowJSON `json:"flows"`
	}{Describe: r.Describe, Flows: []flowJSON{}}
	for _, f := range r.Flows {
		fj := flowJSON{Flow: f, Connections: connText(f.Allowed)}
		if !f.Conditional.IsEmpty() {
			fj.CondText = f.Conditional.String()
		}
		out.Flows = append(out.Flows, fj)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

func connText(c reachability.Connections) string {
	if c.IsEmpty() {
		return ""
	}
	return c.String()
}

func prefixList(ps []netip.Prefix) string {
	if len(ps) == 0 {
		return "-"
	}
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = p.String()
	}
	return strings.Join(s, " ")
}

// ports renders the allowed connections, and the conditional ones marked
// with "?".
// destinations renders a flow's destination ranges; a family covered but
// for a few ranges reads "0.0.0.0/0 except 10.244.0.0/16".
func destinations(ps []netip.Prefix) string {
	var v4, v6 []netip.Prefix
	for _, p := range ps {
		if p.Addr().Is4() {
			v4 = append(v4, p)
		} else {
			v6 = append(v6, p)
		}
	}
	var parts []string
	for _, fam := range []struct {
		ps  []netip.Prefix
		all netip.Prefix
	}{{v4, netip.MustParsePrefix("0.0.0.0/0")}, {v6, netip.MustParsePrefix("::/0")}} {
		if len(fam.ps) == 0 {
			continue
		}
		var b netipx.IPSetBuilder
		b.AddPrefix(fam.all)
		for _, p := range fam.ps {
			b.RemovePrefix(p)
		}
		rest, _ := b.IPSet()
		if holes := rest.Prefixes(); len(holes) > 0 && len(holes) < len(fam.ps) {
			parts = append(parts, fam.all.String()+" except "+prefixList(holes))
		} else {
			parts = append(parts, prefixList(fam.ps))
		}
	}
	return strings.Join(parts, " ")
}

func ports(f *Flow) string {
	var parts []string
	if !f.Allowed.IsEmpty() {
		parts = append(parts, f.Allowed.String())
	}
	if !f.Conditional.IsEmpty() {
		parts = append(parts, "conditional "+f.Conditional.String()+" (?)")
	}
	return strings.Join(parts, "; ")
}

// WriteTable writes one line per flow: workload, destinations, ports (the
// conditional ones marked "?"), how the traffic leaves, the sources the
// outside sees, and notes (shared node addresses first). The options
// line comes first, as a comment.
func (r *Report) WriteTable(w io.Writer) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "# %s\n", r.Describe)
	tw := tabwriter.NewWriter(bw, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "WORKLOAD\tDESTINATION\tPORTS\tVIA\tSOURCES SEEN OUTSIDE\tNOTES")
	for i := range r.Flows {
		f := &r.Flows[i]
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", safetext.Line(f.Workload), destinations(f.Destinations), ports(f),
			f.Via, prefixList(f.Sources), safetext.Line(notes(f)))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(r.Flows) == 0 {
		fmt.Fprintln(bw, "# no workload may open connections to a destination outside the cluster")
	}
	return bw.Flush()
}

func notes(f *Flow) string {
	var n []string
	if f.SharedCount > 0 {
		shared := strings.Join(f.SharedWith, ", ")
		if more := f.SharedCount - len(f.SharedWith); more > 0 {
			shared += fmt.Sprintf(" and %d more", more)
		}
		n = append(n, "node addresses shared with "+shared)
	}
	n = append(n, f.Notes...)
	return strings.Join(n, "; ")
}

// WriteCSV writes the flows as CSV (pure data, no options line):
// workload, destination, connections, conditional, via, sources, shared
// with, notes; lists are space-separated.
func (r *Report) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"workload", "destinations", "connections", "conditional", "via", "sources", "shared_with", "notes"})
	for i := range r.Flows {
		f := &r.Flows[i]
		cw.Write([]string{f.Workload, prefixList(f.Destinations), connText(f.Allowed), connText(f.Conditional), string(f.Via),
			prefixList(f.Sources), strings.Join(f.SharedWith, " "), strings.Join(f.Notes, "; ")})
	}
	cw.Flush()
	return cw.Error()
}

// WriteFirewall writes one allow rule per source range × destination
// range × port range a firewall outside the cluster needs for the allowed
// connections:
//
//	allow 192.168.0.1/32 -> 172.18.0.1/32 80/TCP  # ns/Deployment/web via node
//
// Conditional connections get rules too, marked "conditional" in the
// comment; flows whose sources are not known get a comment line instead.
func (r *Report) WriteFirewall(w io.Writer) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "# %s\n", r.Describe)
	for i := range r.Flows {
		f := &r.Flows[i]
		if len(f.Sources) == 0 {
			fmt.Fprintf(bw, "# %s -> %s: source addresses not known (%s)\n", safetext.Line(f.Workload), prefixList(f.Destinations), safetext.Line(notes(f)))
			continue
		}
		for _, c := range []struct {
			conn reachability.Connections
			tag  string
		}{{f.Allowed, ""}, {f.Conditional, ", conditional"}} {
			if c.conn.IsEmpty() {
				continue
			}
			for _, s := range f.Sources {
				for _, d := range f.Destinations {
					for _, p := range portTexts(c.conn) {
						fmt.Fprintf(bw, "allow %s -> %s %s  # %s via %s%s\n", s, d, p, safetext.Line(f.Workload), f.Via, c.tag)
					}
				}
			}
		}
	}
	return bw.Flush()
}

// portTexts lists a connection set's port ranges and whole protocols,
// "80/TCP", "8000-8100/UDP", "ICMP".
func portTexts(c reachability.Connections) []string {
	if c.IsAll() {
		return []string{"any"}
	}
	var out []string
	for _, r := range c.Ranges() {
		if r.Lo == r.Hi {
			out = append(out, fmt.Sprintf("%d/%s", r.Lo, r.Protocol))
		} else {
			out = append(out, fmt.Sprintf("%d-%d/%s", r.Lo, r.Hi, r.Protocol))
		}
	}
	for _, p := range c.Protocols() {
		if !p.HasPorts() {
			out = append(out, p.String())
		}
	}
	return out
}
