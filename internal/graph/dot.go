package graph

import (
	"bufio"
	"cmp"
	"fmt"
	"io"
	"slices"
)

// DOTOptions controls [WriteDOT]. The zero value writes an anonymous
// digraph with every node, no attributes and no self-loops.
type DOTOptions struct {
	// Name is the graph ID, written after "digraph". Empty leaves it out.
	Name string

	// Label, if not nil, gives node i the attribute label=Label(i). An
	// empty label is left out.
	Label func(i int) string

	// Skip, if not nil, leaves out every node i for which it returns true,
	// together with the edges to and from it.
	Skip func(i int) bool

	// SelfLoops writes the edges from a node to itself. They are left out
	// by default because in a reachability matrix every pod reaches
	// itself.
	SelfLoops bool
}

// WriteDOT writes the square matrix m as a Graphviz digraph to w, naming
// node i names[i]. The output is deterministic, so it can be diffed and
// kept in golden files:
//
//	digraph "name" {
//		"a" [label="A"];
//		"b";
//		"a" -> "b";
//	}
//
// Nodes are listed in order of name, then edges in order of (source name,
// target name); nodes with equal names (which Graphviz merges) keep their
// index order. Every ID is quoted, with '"' and '\' escaped by a backslash
// and a newline written as \n.
//
// WriteDOT returns an error if m is not square or len(names) != m.Rows(),
// and otherwise the first error from w. It is O(n²/64 + E log E) for E
// edges and buffers its output.
func WriteDOT(w io.Writer, m *Matrix, names []string, opts DOTOptions) error {
	if m.rows != m.cols {
		return fmt.Errorf("graph: WriteDOT: matrix is %d×%d, not square", m.rows, m.cols)
	}
	if len(names) != m.rows {
		return fmt.Errorf("graph: WriteDOT: %d names for %d nodes", len(names), m.rows)
	}
	order := make([]int, 0, m.rows)
	for i := range m.rows {
		if opts.Skip == nil || !opts.Skip(i) {
			order = append(order, i)
		}
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(names[a], names[b]) })
	rank := make([]int, m.rows)
	for i := range rank {
		rank[i] = -1
	}
	for r, i := range order {
		rank[i] = r
	}

	bw := bufio.NewWriter(w)
	var buf []byte
	buf = append(buf, "digraph "...)
	if opts.Name != "" {
		buf = appendDOTID(buf, opts.Name)
		buf = append(buf, ' ')
	}
	buf = append(buf, "{\n"...)
	bw.Write(buf) // bufio keeps the first error, and Flush returns it
	buf = buf[:0]
	for _, i := range order {
		buf = append(buf, '\t')
		buf = appendDOTID(buf, names[i])
		if opts.Label != nil {
			if l := opts.Label(i); l != "" {
				buf = append(buf, " [label="...)
				buf = appendDOTID(buf, l)
				buf = append(buf, ']')
			}
		}
		buf = append(buf, ";\n"...)
		bw.Write(buf)
		buf = buf[:0]
	}
	var targets []int
	for _, i := range order {
		targets = targets[:0]
		for j := range m.Row(i).All() {
			if rank[j] >= 0 && (opts.SelfLoops || j != i) {
				targets = append(targets, j)
			}
		}
		slices.SortFunc(targets, func(a, b int) int { return rank[a] - rank[b] })
		for _, j := range targets {
			buf = append(buf, '\t')
			buf = appendDOTID(buf, names[i])
			buf = append(buf, " -> "...)
			buf = appendDOTID(buf, names[j])
			buf = append(buf, ";\n"...)
			bw.Write(buf)
			buf = buf[:0]
		}
	}
	bw.WriteString("}\n")
	return bw.Flush() // bufio keeps the first write error
}

// appendDOTID appends s to b as a quoted DOT ID.
func appendDOTID(b []byte, s string) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '"', '\\':
			b = append(b, '\\', c)
		case '\n':
			b = append(b, '\\', 'n')
		default:
			b = append(b, c)
		}
	}
	return append(b, '"')
}
