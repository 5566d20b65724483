package egress

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"iter"
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
func (r *Report) WriteJSON(w io.Writer) error { return writeJSON(w, r.Describe, r.all()) }

// writeJSON writes the document flow by flow, as an encoder with a
// two-space indent writes the whole.
func writeJSON(w io.Writer, describe string, flows iter.Seq[*Flow]) error {
	bw := bufio.NewWriter(w)
	d, err := json.Marshal(describe)
	if err != nil {
		return err
	}
	bw.WriteString("{\n  \"options\": ")
	bw.Write(d)
	bw.WriteString(",\n  \"flows\": [")
	n := 0
	for f := range flows {
		fj := flowJSON{Flow: *f, Connections: connText(f.Allowed)}
		if !f.Conditional.IsEmpty() {
			fj.CondText = f.Conditional.String()
		}
		b, err := json.MarshalIndent(fj, "    ", "  ")
		if err != nil {
			return err
		}
		if n > 0 {
			bw.WriteByte(',')
		}
		n++
		bw.WriteString("\n    ")
		bw.Write(b)
	}
	if n > 0 {
		bw.WriteString("\n  ")
	}
	bw.WriteString("]\n}\n")
	return bw.Flush()
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

// ports renders the allowed connections, and the conditional ones marked
// with "?".
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
func (r *Report) WriteTable(w io.Writer) error { return writeTable(w, r.Describe, r.all()) }

// writeTable writes the table; its columns are aligned, so the text is
// held until the last flow.
func writeTable(w io.Writer, describe string, flows iter.Seq[*Flow]) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "# %s\n", describe)
	tw := tabwriter.NewWriter(bw, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "WORKLOAD\tDESTINATION\tPORTS\tVIA\tSOURCES SEEN OUTSIDE\tNOTES")
	n := 0
	for f := range flows {
		n++
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", safetext.Line(f.Workload), destinations(f.Destinations), ports(f),
			f.Via, prefixList(f.Sources), safetext.Line(notes(f)))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if n == 0 {
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
func (r *Report) WriteCSV(w io.Writer) error { return writeCSV(w, r.all()) }

func writeCSV(w io.Writer, flows iter.Seq[*Flow]) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"workload", "destinations", "connections", "conditional", "via", "sources", "shared_with", "notes"})
	for f := range flows {
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
func (r *Report) WriteFirewall(w io.Writer) error { return writeFirewall(w, r.Describe, r.all()) }

func writeFirewall(w io.Writer, describe string, flows iter.Seq[*Flow]) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "# %s\n", describe)
	for f := range flows {
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

// all returns the report's flows in order.
func (r *Report) all() iter.Seq[*Flow] {
	return func(yield func(*Flow) bool) {
		for i := range r.Flows {
			if !yield(&r.Flows[i]) {
				return
			}
		}
	}
}

// Format is an output of the analysis.
type Format int

// The outputs of [Analysis.Write].
const (
	FormatTable Format = iota
	FormatCSV
	FormatJSON
	FormatFirewall
	numFormats
)

// Write writes the analysis in a format, flow by flow (the table's
// columns are aligned, so its text is held until the end); the outputs
// are those of [Report.WriteTable], [Report.WriteCSV], [Report.WriteJSON]
// and [Report.WriteFirewall].
func (a *Analysis) Write(w io.Writer, f Format) error {
	switch f {
	case FormatCSV:
		return writeCSV(w, a.Flows())
	case FormatJSON:
		return writeJSON(w, a.Describe(), a.Flows())
	case FormatFirewall:
		return writeFirewall(w, a.Describe(), a.Flows())
	}
	return writeTable(w, a.Describe(), a.Flows())
}

// size counts an output's rows (lines) and bytes.
type size struct{ rows, bytes int64 }

// Size returns an estimate of an output's lines and bytes, found by
// [New] without writing it: exact line counts for the table, CSV and
// firewall rules, and byte counts that leave out the table's padding and
// the shared-address notes; the JSON document is estimated. Its cost is
// O(1).
func (a *Analysis) Size(f Format) (rows, bytes int64) {
	s := a.sizes[f]
	d := int64(len(a.Describe()) + 3)
	switch f {
	case FormatTable:
		rows, bytes = s.rows+2, s.bytes+d+60
		if s.rows == 0 {
			rows, bytes = rows+1, bytes+80
		}
		return rows, bytes
	case FormatCSV:
		return s.rows + 1, s.bytes + 70
	case FormatJSON:
		return s.rows + 4, s.bytes + d + 20
	}
	return s.rows + 1, s.bytes + d
}

// measure adds a flow to the sizes of every output.
func (a *Analysis) measure(f *Flow) {
	sumLen := func(ps []netip.Prefix) int64 {
		var n int64
		for _, p := range ps {
			n += int64(len(p.String())) + 1
		}
		return n
	}
	src, dst := sumLen(f.Sources), sumLen(f.Destinations)
	var noteLen int64
	for _, n := range f.Notes {
		noteLen += int64(len(n)) + 2
	}
	conn, cond := int64(len(connText(f.Allowed))), int64(len(connText(f.Conditional)))
	w, via := int64(len(f.Workload)), int64(len(f.Via))
	a.sizes[FormatTable].rows++
	a.sizes[FormatTable].bytes += w + int64(len(destinations(f.Destinations))) + int64(len(ports(f))) + via + src + noteLen + 11
	a.sizes[FormatCSV].rows++
	a.sizes[FormatCSV].bytes += w + dst + conn + cond + via + src + noteLen + 8
	lines := int64(16 + len(f.Endpoints) + len(f.Destinations) + len(f.Sources) + len(f.Notes))
	a.sizes[FormatJSON].rows += lines
	a.sizes[FormatJSON].bytes += lines*8 + 150 + w*2 + dst + conn + cond + src + noteLen + int64(len(f.Namespace))
	for _, e := range f.Endpoints {
		a.sizes[FormatJSON].bytes += int64(len(e)) + 3
	}
	if len(f.Sources) == 0 {
		a.sizes[FormatFirewall].rows++
		a.sizes[FormatFirewall].bytes += w + dst + noteLen + 40
		return
	}
	nS, nD := int64(len(f.Sources)), int64(len(f.Destinations))
	for _, c := range []struct {
		conn reachability.Connections
		tag  int64
	}{{f.Allowed, 0}, {f.Conditional, 13}} {
		if c.conn.IsEmpty() {
			continue
		}
		ps := portTexts(c.conn)
		nP, pLen := int64(len(ps)), int64(0)
		for _, p := range ps {
			pLen += int64(len(p))
		}
		// "allow S -> D P  # W via V[, conditional]\n" per source,
		// destination and port.
		n := nS * nD * nP
		a.sizes[FormatFirewall].rows += n
		a.sizes[FormatFirewall].bytes += n*(6+4+1+4+5+1+w+via+c.tag) + nD*nP*(src-nS) + nS*nP*(dst-nD) + nS*nD*pLen
	}
}
