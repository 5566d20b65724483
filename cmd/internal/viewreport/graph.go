package viewreport

import (
	"bufio"
	"fmt"
	"io"
	"strings"

	"github.com/netreach/netreach/internal/reachability"
	"github.com/netreach/netreach/internal/safetext"
)

// EdgeKind says how an edge is drawn.
type EdgeKind uint8

// Kinds of edges.
const (
	EdgeNormal      EdgeKind = iota
	EdgePartial              // only some pairs: dashed
	EdgeCrossTenant          // between two tenants: red
	EdgeGained               // a diff's gained connections: green
	EdgeLost                 // a diff's lost connections: red, dashed
	EdgeChanged              // a diff's pair whose connections hold for more or fewer pairs: orange
)

// MaxGraphEdges bounds the edges of a drawing (dot, Mermaid, SVG): the
// graph is held in memory to lay it out, and beyond this nobody can read
// it.
const MaxGraphEdges = 200_000

// Graph is what the graph writers draw: nodes (the groups of a view) and
// labelled edges.
type Graph struct {
	// Title is stated in the output (the header line).
	Title string
	// By is the grouping, which decides the clusters: tenant and
	// namespace around pods and workloads, tenant around namespaces.
	By    reachability.GroupBy
	Nodes []reachability.GroupNode
	Edges []Edge
}

// Edge is one labelled edge.
type Edge struct {
	Src, Dst int
	Label    string
	Kind     EdgeKind
}

// NewGraph turns a grouped view's graph into a Graph: one edge per pair of
// nodes with some connection, labelled with the connections; red across
// tenants, dashed when only some pairs can connect. External ranges
// without any edge are left out.
func NewGraph(g *reachability.GroupGraph, by reachability.GroupBy, meta Meta) *Graph {
	out := &Graph{Title: meta.Header(), By: by}
	used := make([]bool, len(g.Nodes))
	for _, e := range g.Edges {
		used[e.Src], used[e.Dst] = true, true
	}
	index := make([]int, len(g.Nodes))
	for i, n := range g.Nodes {
		index[i] = -1
		if n.IsExternal() && !used[i] {
			continue
		}
		index[i] = len(out.Nodes)
		out.Nodes = append(out.Nodes, n)
	}
	for i := range g.Edges {
		e := &g.Edges[i]
		kind := EdgeNormal
		if e.Pair.Full.IsEmpty() {
			kind = EdgePartial
		}
		if CrossTenant(g.Nodes[e.Src], g.Nodes[e.Dst]) {
			kind = EdgeCrossTenant
		}
		out.Edges = append(out.Edges, Edge{Src: index[e.Src], Dst: index[e.Dst], Label: ConnectionsText(&e.Pair), Kind: kind})
	}
	return out
}

// CrossTenant reports whether an edge joins two different tenants.
func CrossTenant(a, b reachability.GroupNode) bool {
	return a.Tenant != "" && b.Tenant != "" && a.Tenant != b.Tenant
}

// cluster is a box of the drawing: a tenant holding namespaces, or a
// namespace holding nodes.
type cluster struct {
	label    string
	tenant   bool
	nodes    []int
	children []*cluster
}

// clusters returns the top-level boxes of the graph and the nodes outside
// every box, in node order.
func (g *Graph) clusters() (tops []*cluster, loose []int) {
	tenants := map[string]*cluster{}
	spaces := map[string]*cluster{}
	var order []*cluster
	for i, n := range g.Nodes {
		if n.IsExternal() || g.By == reachability.ByTenant || n.Kind == reachability.KindTenant {
			loose = append(loose, i)
			continue
		}
		var parent *cluster
		if n.Tenant != "" {
			t := tenants[n.Tenant]
			if t == nil {
				t = &cluster{label: "tenant " + n.Tenant, tenant: true}
				tenants[n.Tenant] = t
				order = append(order, t)
			}
			parent = t
		}
		if g.By == reachability.ByNamespace || n.Namespace == "" {
			if parent == nil {
				loose = append(loose, i)
			} else {
				parent.nodes = append(parent.nodes, i)
			}
			continue
		}
		ns := spaces[n.Namespace]
		if ns == nil {
			ns = &cluster{label: n.Namespace}
			spaces[n.Namespace] = ns
			if parent != nil {
				parent.children = append(parent.children, ns)
			} else {
				order = append(order, ns)
			}
		}
		ns.nodes = append(ns.nodes, i)
	}
	return order, loose
}

// walkClusters writes the boxes depth first: open before a box's
// content, node for each node (inside its box, one step deeper), close
// after; then the nodes outside every box. Boxes are numbered in order.
func (g *Graph) walkClusters(indent, step string, open func(c *cluster, id int, indent string), node func(i int, indent string), close func(indent string)) {
	tops, loose := g.clusters()
	id := 0
	var walk func(c *cluster, indent string)
	walk = func(c *cluster, indent string) {
		open(c, id, indent)
		id++
		for _, ch := range c.children {
			walk(ch, indent+step)
		}
		for _, n := range c.nodes {
			node(n, indent+step)
		}
		close(indent)
	}
	for _, c := range tops {
		walk(c, indent)
	}
	for _, n := range loose {
		node(n, indent)
	}
}

// nodeLabel is a node's name inside its box: without the namespace when a
// namespace box holds it.
func (g *Graph) nodeLabel(i int) string {
	n := g.Nodes[i]
	l := n.Label()
	if g.By != reachability.ByNamespace && n.Namespace != "" && !n.IsExternal() {
		l = strings.TrimPrefix(l, n.Namespace+"/")
	}
	return l
}

// Colours of the drawings.
const (
	colourEdge   = "#555555"
	colourRed    = "#d62728"
	colourGreen  = "#2ca02c"
	colourNode   = "#4a6fa5"
	colourFill   = "#eef3fb"
	colourExt    = "#b8860b"
	colourExtBg  = "#fff4d6"
	colourTenant = "#888888"
	colourOrange = "#e67e00"
	colourDer    = "#2e7d32" // derived entries: the internet, ingress controllers, Services
	colourDerBg  = "#e8f5e9"
)

func (k EdgeKind) colour() string {
	switch k {
	case EdgeCrossTenant, EdgeLost:
		return colourRed
	case EdgeGained:
		return colourGreen
	case EdgeChanged:
		return colourOrange
	}
	return colourEdge
}

func (k EdgeKind) dashed() bool { return k == EdgePartial || k == EdgeLost }

// dotQuote returns s as a DOT double-quoted string.
func dotQuote(s string) string {
	s = safetext.Line(s)
	s = strings.ReplaceAll(s, `\`, `\\`)
	s = strings.ReplaceAll(s, `"`, `\"`)
	return `"` + s + `"`
}

// WriteDot writes the graph in Graphviz's dot language: namespaces (and
// tenants) as clusters, external ranges as hexagons, edges labelled with
// their connections.
func WriteDot(w io.Writer, g *Graph) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "// %s\n", safetext.Line(strings.TrimPrefix(g.Title, "# ")))
	bw.WriteString("digraph netreach {\n")
	fmt.Fprintf(bw, "\tgraph [rankdir=LR fontname=\"Helvetica\" fontsize=12 labelloc=t label=%s];\n", dotQuote(strings.TrimPrefix(g.Title, "# ")))
	fmt.Fprintf(bw, "\tnode [shape=box style=\"rounded,filled\" color=%q fillcolor=%q fontname=\"Helvetica\" fontsize=11];\n", colourNode, colourFill)
	fmt.Fprintf(bw, "\tedge [fontname=\"Helvetica\" fontsize=9 color=%q fontcolor=%q];\n", colourEdge, colourEdge)
	g.walkClusters("\t", "\t", func(c *cluster, id int, indent string) {
		fmt.Fprintf(bw, "%ssubgraph cluster_%d {\n", indent, id)
		style, colour := "rounded", colourNode
		if c.tenant {
			style, colour = "rounded,dashed", colourTenant
		}
		fmt.Fprintf(bw, "%s\tlabel=%s; style=%q; color=%q; fontcolor=%q;\n", indent, dotQuote(c.label), style, colour, colour)
	}, func(n int, indent string) { writeDotNode(bw, g, n, indent) },
		func(indent string) { fmt.Fprintf(bw, "%s}\n", indent) })
	for _, e := range g.Edges {
		attrs := fmt.Sprintf("label=%s", dotQuote(e.Label))
		if c := e.Kind.colour(); c != colourEdge {
			attrs += fmt.Sprintf(" color=%q fontcolor=%q penwidth=1.5", c, c)
		}
		if e.Kind.dashed() {
			attrs += " style=dashed"
		}
		fmt.Fprintf(bw, "\tn%d -> n%d [%s];\n", e.Src, e.Dst, attrs)
	}
	bw.WriteString("}\n")
	return bw.Flush()
}

func writeDotNode(bw *bufio.Writer, g *Graph, i int, indent string) {
	n := g.Nodes[i]
	tip := n.Label()
	if n.Endpoints > 0 {
		tip = fmt.Sprintf("%s (%d endpoint%s)", tip, n.Endpoints, plural(n.Endpoints))
	}
	attrs := fmt.Sprintf("label=%s tooltip=%s", dotQuote(g.nodeLabel(i)), dotQuote(tip))
	switch {
	case n.IsExternal():
		attrs += fmt.Sprintf(" shape=hexagon style=filled color=%q fillcolor=%q", colourExt, colourExtBg)
	case n.IsDerived():
		attrs += fmt.Sprintf(" shape=oval style=filled color=%q fillcolor=%q", colourDer, colourDerBg)
	}
	fmt.Fprintf(bw, "%sn%d [%s];\n", indent, i, attrs)
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// mermaidText escapes s for a double-quoted Mermaid label.
func mermaidText(s string) string {
	s = safetext.Line(s)
	r := strings.NewReplacer(`"`, "#quot;", "<", "#lt;", ">", "#gt;", "`", "#96;")
	return r.Replace(s)
}

// WriteMermaid writes the graph as a Mermaid flowchart: namespaces (and
// tenants) as subgraphs, external ranges as hexagons, edges labelled with
// their connections, coloured with linkStyle.
func WriteMermaid(w io.Writer, g *Graph) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "%%%% %s\n", mermaidText(strings.TrimPrefix(g.Title, "# ")))
	bw.WriteString("flowchart LR\n")
	fmt.Fprintf(bw, "  classDef external fill:%s,stroke:%s\n", colourExtBg, colourExt)
	fmt.Fprintf(bw, "  classDef derived fill:%s,stroke:%s\n", colourDerBg, colourDer)
	g.walkClusters("  ", "  ", func(c *cluster, id int, indent string) {
		fmt.Fprintf(bw, "%ssubgraph c%d[\"%s\"]\n", indent, id, mermaidText(c.label))
	}, func(n int, indent string) { writeMermaidNode(bw, g, n, indent) },
		func(indent string) { fmt.Fprintf(bw, "%send\n", indent) })
	for i, e := range g.Edges {
		arrow := "-->"
		if e.Kind.dashed() {
			arrow = "-.->"
		}
		fmt.Fprintf(bw, "  n%d %s|\"%s\"| n%d\n", e.Src, arrow, mermaidText(e.Label), e.Dst)
		if c := e.Kind.colour(); c != colourEdge {
			fmt.Fprintf(bw, "  linkStyle %d stroke:%s,color:%s\n", i, c, c)
		}
	}
	return bw.Flush()
}

func writeMermaidNode(bw *bufio.Writer, g *Graph, i int, indent string) {
	switch {
	case g.Nodes[i].IsExternal():
		fmt.Fprintf(bw, "%sn%d{{\"%s\"}}:::external\n", indent, i, mermaidText(g.nodeLabel(i)))
		return
	case g.Nodes[i].IsDerived():
		fmt.Fprintf(bw, "%sn%d([\"%s\"]):::derived\n", indent, i, mermaidText(g.nodeLabel(i)))
		return
	}
	fmt.Fprintf(bw, "%sn%d[\"%s\"]\n", indent, i, mermaidText(g.nodeLabel(i)))
}
