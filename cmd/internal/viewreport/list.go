package viewreport

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/netreach/netreach/internal/reachability"
	"github.com/netreach/netreach/internal/safetext"
)

// Meta is what every output states about how it was made.
type Meta struct {
	// Options are the matrix's mode and switches (Matrix.Describe).
	Options string
	// View describes the grouping and the filters ("by=workload
	// direction=both ..."), see [DescribeView].
	View string
}

// Header returns the comment line of text outputs: "# " + options + view.
func (m Meta) Header() string {
	s := "# " + m.Options
	if m.View != "" {
		s += " " + m.View
	}
	return s
}

// DescribeView returns the grouping and filters of a view as "key=value"
// pairs.
func DescribeView(o reachability.GroupOptions) string {
	parts := []string{"by=" + o.By.String()}
	if o.By == reachability.ByTenant {
		parts = append(parts, "tenantLabel="+safetext.Line(o.TenantLabel))
	}
	if len(o.Namespaces) > 0 {
		parts = append(parts, "namespaces="+safetext.Line(strings.Join(o.Namespaces, ",")))
	}
	if len(o.Focus) > 0 {
		var f []string
		for _, s := range o.Focus {
			f = append(f, s.String())
		}
		parts = append(parts, "focus="+safetext.Line(strings.Join(f, ",")), "direction="+o.Direction.String())
	}
	if o.Connections != nil {
		parts = append(parts, fmt.Sprintf("connections=%q", o.Connections.String()))
	}
	if o.NoExternal {
		parts = append(parts, "external=no")
	}
	return strings.Join(parts, " ")
}

// ConnectionsText returns what a pair can open, as the list prints it:
// the connections every pair can open, then ", partial: CONNECTIONS (N of
// M pairs)" for those only some pairs can, and ", conditional: ..." for
// those that depend on what netreach cannot know offline. A pair with only
// partial connections starts with "partial:".
func ConnectionsText(p *reachability.GroupPair) string {
	if len(p.Partial) == 0 && len(p.Conditional) == 0 {
		return p.Full.String()
	}
	var parts []string
	if !p.Full.IsEmpty() {
		parts = append(parts, p.Full.String())
	}
	for _, x := range p.Partial {
		parts = append(parts, fmt.Sprintf("partial: %s (%d of %d pairs)", x.Connections, x.Pairs, p.Pairs))
	}
	for _, x := range p.Conditional {
		parts = append(parts, fmt.Sprintf("conditional: %s (%d of %d pairs)", x.Connections, x.Pairs, p.Pairs))
	}
	return strings.Join(parts, ", ")
}

// partialText is the partial column of the CSV: "CONNECTIONS (N of M
// pairs)" per count, conditional ones prefixed with "conditional ", joined
// with " | ".
func partialText(p *reachability.GroupPair) string {
	var parts []string
	for _, x := range p.Partial {
		parts = append(parts, fmt.Sprintf("%s (%d of %d pairs)", x.Connections, x.Pairs, p.Pairs))
	}
	for _, x := range p.Conditional {
		parts = append(parts, fmt.Sprintf("conditional %s (%d of %d pairs)", x.Connections, x.Pairs, p.Pairs))
	}
	return strings.Join(parts, " | ")
}

// WriteList writes the connection list: the header line, then one line
// per ordered pair of groups that can open some connection,
// "SRC => DST : CONNECTIONS" (see [ConnectionsText]).
func WriteList(ctx context.Context, w io.Writer, v *reachability.GroupedView, meta Meta) error {
	bw := bufio.NewWriterSize(w, 1<<16)
	if _, err := fmt.Fprintln(bw, meta.Header()); err != nil {
		return err
	}
	err := v.Walk(ctx, func(p *reachability.GroupPair) error {
		bw.WriteString(safetext.Line(p.Src.Label()))
		bw.WriteString(" => ")
		bw.WriteString(safetext.Line(p.Dst.Label()))
		bw.WriteString(" : ")
		bw.WriteString(ConnectionsText(p))
		return bw.WriteByte('\n')
	})
	if err != nil {
		return err
	}
	return bw.Flush()
}

// CSVHeader is the header of the connection list's CSV form.
const CSVHeader = "source,destination,connections,partial"

// WriteCSV writes the connection list as CSV for tools: the header
// "source,destination,connections,partial", then one row per pair of
// groups that can open some connection. connections holds what every pair
// can open (empty when that is nothing), partial what only some pairs
// can, "CONNECTIONS (N of M pairs)" joined with " | " (empty when every
// pair holds).
func WriteCSV(ctx context.Context, w io.Writer, v *reachability.GroupedView) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(strings.Split(CSVHeader, ",")); err != nil {
		return err
	}
	rec := make([]string, 4)
	err := v.Walk(ctx, func(p *reachability.GroupPair) error {
		rec[0] = safetext.Line(p.Src.Label())
		rec[1] = safetext.Line(p.Dst.Label())
		rec[2] = ""
		if !p.Full.IsEmpty() {
			rec[2] = p.Full.String()
		}
		rec[3] = partialText(p)
		return cw.Write(rec)
	})
	if err != nil {
		return err
	}
	cw.Flush()
	return cw.Error()
}

// JSONKind is the kind of the connection list's JSON document.
const JSONKind = "ConnectionList"

type groupJSON struct {
	Name      string `json:"name"`
	Kind      string `json:"kind"`
	Namespace string `json:"namespace,omitempty"`
	Tenant    string `json:"tenant,omitempty"`
	Endpoints int    `json:"endpoints"`
}

type partialJSON struct {
	Connections string `json:"connections"`
	Pairs       int64  `json:"pairs"`
}

type pairJSON struct {
	Source      string        `json:"source"`
	Destination string        `json:"destination"`
	Pairs       int64         `json:"pairs"`
	Connections string        `json:"connections"`
	Partial     []partialJSON `json:"partial,omitempty"`
	Conditional []partialJSON `json:"conditional,omitempty"`
}

// WriteJSON writes the connection list as a JSON document (apiVersion
// netreach.io/v1alpha1, kind ConnectionList): the options, the view, the
// groups other than external ranges, and one object per pair of groups
// that can open some connection, one per line. It streams: nothing is
// built in memory.
func WriteJSON(ctx context.Context, w io.Writer, v *reachability.GroupedView, meta Meta) error {
	bw := bufio.NewWriterSize(w, 1<<16)
	enc := func(x any) []byte {
		b, _ := json.Marshal(x) // strings and numbers only: cannot fail
		return b
	}
	fmt.Fprintf(bw, "{\n  \"apiVersion\": %s,\n  \"kind\": %s,\n  \"options\": %s,\n  \"view\": %s,\n  \"groups\": [",
		enc(reachability.JSONAPIVersion), enc(JSONKind), enc(meta.Options), enc(meta.View))
	first := true
	for _, g := range v.Groups() {
		if g.IsExternal() {
			continue // ranges are cut per line: they are named in the connections
		}
		if !first {
			bw.WriteByte(',')
		}
		first = false
		bw.WriteString("\n    ")
		bw.Write(enc(groupJSON{Name: g.Label(), Kind: g.Kind, Namespace: g.Namespace, Tenant: g.Tenant, Endpoints: g.Endpoints}))
	}
	bw.WriteString("\n  ],\n  \"connections\": [")
	first = true
	err := v.Walk(ctx, func(p *reachability.GroupPair) error {
		j := pairJSON{Source: p.Src.Label(), Destination: p.Dst.Label(), Pairs: p.Pairs, Connections: p.Full.String()}
		for _, x := range p.Partial {
			j.Partial = append(j.Partial, partialJSON{x.Connections.String(), x.Pairs})
		}
		for _, x := range p.Conditional {
			j.Conditional = append(j.Conditional, partialJSON{x.Connections.String(), x.Pairs})
		}
		if !first {
			bw.WriteByte(',')
		}
		first = false
		bw.WriteString("\n    ")
		_, err := bw.Write(enc(j))
		return err
	})
	if err != nil {
		return err
	}
	bw.WriteString("\n  ]\n}\n")
	return bw.Flush()
}
