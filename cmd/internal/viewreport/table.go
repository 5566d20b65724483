package viewreport

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/netreach/netreach/internal/reachability"
	"github.com/netreach/netreach/internal/safetext"
)

// DefaultWidth is the table width when $COLUMNS is not set.
const DefaultWidth = 120

// Symbols of the table's cells.
const (
	symNone    = "x" // no connection
	symNotPair = "-" // not a pair (a one-endpoint group with itself, two ranges)
)

// TableFits reports whether a table of n columns (nodes) can fit in width
// columns, with the narrowest row labels.
func TableFits(n, width int) bool {
	return tableWidth(n, minLabel, 1) <= width
}

// minLabel is the narrowest row label: the row's number and a few
// characters of its name.
const minLabel = 8

// tableWidth returns the width of a table of n columns with codes of
// codeWidth characters and row labels of label characters.
func tableWidth(n, label, codeWidth int) int {
	cw := max(len(strconv.Itoa(n)), codeWidth)
	return label + 1 + n*(cw+1) + 1 // label, " |", cells, "|"
}

// WriteTable writes the graph as a table for a terminal of the given
// width: sources as rows, destinations as columns, grouped by namespace
// (by tenant for a namespace view), every node numbered and named in a
// legend, a code per cell for what the row can open to the column and a
// key for the codes. It returns false, writing nothing, when the table
// cannot fit in width columns.
func WriteTable(w io.Writer, g *reachability.GroupGraph, by reachability.GroupBy, meta Meta, width int) (bool, error) {
	n := len(g.Nodes)
	// Codes: one per distinct result, uppercase when every pair holds,
	// lowercase when only some do.
	codes := map[string]string{}
	var keyLines []string
	nUpper, nLower := 0, 0
	code := func(p *reachability.GroupPair) string {
		text, partial := keyText(p)
		if c, ok := codes[text]; ok {
			return c
		}
		var c string
		if partial {
			c = codeName(nLower, 'a')
			nLower++
		} else {
			c = codeName(nUpper, 'A')
			nUpper++
		}
		codes[text] = c
		keyLines = append(keyLines, c+" "+text)
		return c
	}
	cells := make(map[[2]int]string, len(g.Edges))
	codeWidth := 1
	for i := range g.Edges {
		e := &g.Edges[i]
		c := code(&e.Pair)
		cells[[2]int{e.Src, e.Dst}] = c
		codeWidth = max(codeWidth, len(c))
	}
	label := 0
	names := make([]string, n)
	for i, nd := range g.Nodes {
		names[i] = safetext.Line(nd.Label())
		label = max(label, len(strconv.Itoa(i+1))+1+utf8.RuneCountInString(names[i]))
	}
	label = min(label, max(minLabel, width/3))
	if tableWidth(n, label, codeWidth) > width {
		label = max(minLabel, width-(tableWidth(n, 0, codeWidth)))
		if tableWidth(n, label, codeWidth) > width {
			return false, nil
		}
	}
	cw := max(len(strconv.Itoa(n)), codeWidth)

	bw := bufio.NewWriter(w)
	for _, l := range wrap(meta.Header(), width, "# ") {
		bw.WriteString(l + "\n")
	}
	// Column blocks: consecutive nodes of one namespace (tenant for a
	// namespace view, nothing for a tenant view), external ranges last.
	blockOf := func(nd reachability.GroupNode) string {
		switch {
		case nd.IsExternal():
			return "external"
		case by == reachability.ByNamespace:
			return nd.Tenant
		case by == reachability.ByTenant:
			return ""
		}
		return nd.Namespace
	}
	// Runs of consecutive nodes of one block: [start, end) of each.
	var blocks [][2]int
	for i := 0; i < n; {
		j := i
		for j < n && blockOf(g.Nodes[j]) == blockOf(g.Nodes[i]) {
			j++
		}
		blocks = append(blocks, [2]int{i, j})
		i = j
	}
	// Header: block names over their columns, then the column numbers.
	pad := strings.Repeat(" ", label)
	var top, nums strings.Builder
	top.WriteString(pad + " |")
	nums.WriteString(pad + " |")
	for _, bl := range blocks {
		i, j := bl[0], bl[1]
		span := (j-i)*(cw+1) - 1
		name := safetext.Line(blockOf(g.Nodes[i]))
		if utf8.RuneCountInString(name) > span && span < 4 {
			name = "" // too narrow even for a cut name: see the legend
		}
		top.WriteString(fit(name, span) + "|")
		for k := i; k < j; k++ {
			if k > i {
				nums.WriteByte(' ')
			}
			nums.WriteString(fmt.Sprintf("%*d", cw, k+1))
		}
		nums.WriteByte('|')
	}
	bw.WriteString(strings.TrimRight(top.String(), " ") + "\n")
	bw.WriteString(nums.String() + "\n")
	// When some row name does not fit, rows in a namespace's block leave
	// out the namespace: the column header and the legend have it.
	short := false
	for r := 0; r < n; r++ {
		if utf8.RuneCountInString(fmt.Sprintf("%d %s", r+1, names[r])) > label {
			short = true
		}
	}
	for r := 0; r < n; r++ {
		var line strings.Builder
		rowName := fmt.Sprintf("%d %s", r+1, names[r])
		if short && g.Nodes[r].Namespace != "" && blockOf(g.Nodes[r]) == g.Nodes[r].Namespace {
			// Cut: the namespace is in the column header and the legend.
			rowName = fmt.Sprintf("%d %s", r+1, strings.TrimPrefix(names[r], safetext.Line(g.Nodes[r].Namespace)+"/"))
		}
		line.WriteString(fit(rowName, label) + " |")
		for _, bl := range blocks {
			i, j := bl[0], bl[1]
			for c := i; c < j; c++ {
				if c > i {
					line.WriteByte(' ')
				}
				sym, ok := cells[[2]int{r, c}]
				if !ok {
					sym = symNone
					if g.Counted(r, c) == 0 {
						sym = symNotPair
					}
				}
				line.WriteString(fmt.Sprintf("%*s", cw, sym))
			}
			line.WriteByte('|')
		}
		bw.WriteString(line.String() + "\n")
	}
	bw.WriteString("\n")
	for _, l := range wrap("key: "+symNone+" no connection, "+symNotPair+" not a pair (a group of one endpoint with itself, or two external ranges); uppercase: every pair of members can open these connections; lowercase: only some pairs can (counts with -o list)", width, "") {
		bw.WriteString(l + "\n")
	}
	for _, k := range keyLines {
		for i, l := range wrap(k, width-4, "") {
			if i == 0 {
				bw.WriteString("  " + l + "\n")
			} else {
				bw.WriteString("    " + l + "\n")
			}
		}
	}
	bw.WriteString("legend:\n")
	var legend []string
	for _, bl := range blocks {
		i, j := bl[0], bl[1]
		var items []string
		block := safetext.Line(blockOf(g.Nodes[i]))
		for k := i; k < j; k++ {
			name := names[k]
			if block != "" && g.Nodes[k].Namespace == blockOf(g.Nodes[k]) {
				name = strings.TrimPrefix(name, block+"/")
			}
			items = append(items, fmt.Sprintf("%d %s", k+1, name))
		}
		text := strings.Join(items, ", ")
		if block != "" {
			text = block + ": " + text
		}
		legend = append(legend, text)
	}
	for _, b := range legend {
		for k, l := range wrap(b, width-4, "") {
			if k == 0 {
				bw.WriteString("  " + l + "\n")
			} else {
				bw.WriteString("    " + l + "\n")
			}
		}
	}
	return true, bw.Flush()
}

// keyText describes a result for the key, without counts: what every
// pair can open, then what only some pairs can.
func keyText(p *reachability.GroupPair) (text string, partial bool) {
	var parts []string
	if !p.Full.IsEmpty() {
		parts = append(parts, p.Full.String())
	}
	for _, x := range p.Partial {
		parts = append(parts, "some pairs: "+x.Connections.String())
		partial = true
	}
	for _, x := range p.Conditional {
		parts = append(parts, "conditional for some pairs: "+x.Connections.String())
		partial = true
	}
	return strings.Join(parts, ", "), partial
}

// codeName returns the i-th code: A..Z, then AA, AB, ... (a.. for
// lowercase).
func codeName(i int, base byte) string {
	if i < 26 {
		return string(base + byte(i))
	}
	return codeName(i/26-1, base) + string(base+byte(i%26))
}

// fit pads or cuts s to exactly n characters, marking a cut with "…".
func fit(s string, n int) string {
	r := []rune(s)
	if len(r) > n {
		if n <= 0 {
			return ""
		}
		return string(r[:n-1]) + "…"
	}
	return s + strings.Repeat(" ", n-len(r))
}

// wrap cuts s into lines of at most width characters at spaces, starting
// every line after the first with indent.
func wrap(s string, width int, indent string) []string {
	var lines []string
	cur := ""
	for _, word := range strings.Fields(s) {
		switch {
		case cur == "":
			cur = word
			if len(lines) > 0 {
				cur = indent + word
			}
		case utf8.RuneCountInString(cur)+1+utf8.RuneCountInString(word) <= width:
			cur += " " + word
		default:
			lines = append(lines, cur)
			cur = indent + word
		}
	}
	if cur != "" {
		lines = append(lines, cur)
	}
	for i, l := range lines {
		lines[i] = fit(l, min(width, utf8.RuneCountInString(l)))
	}
	return lines
}
