package viewreport

import (
	"bufio"
	"fmt"
	"html"
	"io"
	"math"
	"strings"
	"unicode/utf8"

	"github.com/netreach/netreach/internal/safetext"
)

// SVG layout, in pixels. The drawing is laid out here, without Graphviz:
// boxes (tenants holding namespaces holding nodes) are packed on shelves
// left to right, external ranges in a box of their own at the end, and
// edges are drawn as curves between node borders.
const (
	svgMaxWidth  = 1600 // shelves wrap at this width at most
	svgNodeH     = 26
	svgCharW     = 7  // average width of a character at the node font size
	svgGap       = 70 // between boxes, room for edges and their labels
	svgNodeGap   = 22 // between the nodes of a namespace
	svgPad       = 12
	svgTitleH    = 18
	svgMargin    = 20
	svgHeaderH   = 30
	svgMinNodeW  = 90
	svgLabelFont = 10
)

// MaxSVGNodes bounds the nodes of an SVG drawing: beyond it, nobody can
// read the picture, and the output is refused with a hint.
const MaxSVGNodes = 1500

type box struct {
	x, y, w, h float64
	label      string
	tenant     bool
	ext        bool
	kids       []*box
	node       int // -1 for a cluster
}

// layoutNode returns the box of one node.
func (g *Graph) layoutNode(i int) *box {
	w := float64(max(svgMinNodeW, utf8.RuneCountInString(safetext.Line(g.nodeLabel(i)))*svgCharW+2*svgPad))
	return &box{w: w, h: svgNodeH, node: i, ext: g.Nodes[i].IsExternal()}
}

// layoutCluster sizes a cluster: its kids packed on shelves, under its
// title.
func layoutCluster(label string, tenant, ext bool, kids []*box, vertical bool) *box {
	b := &box{label: label, tenant: tenant, ext: ext, kids: kids, node: -1}
	minW := float64(utf8.RuneCountInString(label)*svgCharW + 2*svgPad)
	if vertical {
		// Nodes in a grid of about √n columns, with room between them for
		// the edges that join them.
		cols := max(1, int(math.Ceil(math.Sqrt(float64(len(kids))))))
		colW := 0.0
		for _, k := range kids {
			colW = max(colW, k.w)
		}
		w, h := minW, 0.0
		for i, k := range kids {
			r, c := i/cols, i%cols
			k.x = svgPad + float64(c)*(colW+2*svgNodeGap)
			k.y = svgTitleH + svgPad + float64(r)*(svgNodeH+2*svgNodeGap)
			w = max(w, k.x+k.w+svgPad)
			h = max(h, k.y+k.h+svgPad)
		}
		b.w, b.h = w, h
		return b
	}
	w, h := shelve(kids, shelfWidth(kids), svgPad, svgTitleH+svgPad)
	b.w, b.h = max(minW, w+svgPad), h+svgPad
	return b
}

// shelfWidth is the width at which to wrap boxes so that they make a
// roughly square picture (wider than tall, as screens are).
func shelfWidth(kids []*box) float64 {
	area, widest := 0.0, 0.0
	for _, k := range kids {
		area += (k.w + svgGap) * (k.h + svgGap)
		widest = max(widest, k.w)
	}
	return min(svgMaxWidth, max(widest, 1.6*math.Sqrt(area)))
}

// shelve places boxes left to right from (x0, y0), wrapping at width;
// it returns the extent used.
func shelve(kids []*box, width, x0, y0 float64) (w, h float64) {
	x, y, rowH := x0, y0, 0.0
	for _, k := range kids {
		if x > x0 && x+k.w > x0+width {
			x, y, rowH = x0, y+rowH+svgGap, 0
		}
		k.x, k.y = x, y
		x += k.w + svgGap
		rowH = max(rowH, k.h)
		w = max(w, x-svgGap)
	}
	return w, y + rowH
}

// WriteSVG draws the graph as a standalone SVG image: a title, the
// clusters, the nodes (external ranges as hexagons), and the edges with
// their labels; every element carries a tooltip (<title>). It fails when
// the graph has more than MaxSVGNodes nodes.
func WriteSVG(w io.Writer, g *Graph) error {
	if len(g.Nodes) > MaxSVGNodes {
		return fmt.Errorf("the drawing would have %d nodes, more than %d: narrow it with --by namespace or tenant, --focus or -n", len(g.Nodes), MaxSVGNodes)
	}
	tops, loose := g.clusters()
	var build func(c *cluster) *box
	build = func(c *cluster) *box {
		var kids []*box
		for _, ch := range c.children {
			kids = append(kids, build(ch))
		}
		for _, n := range c.nodes {
			kids = append(kids, g.layoutNode(n))
		}
		return layoutCluster(c.label, c.tenant, false, kids, len(c.children) == 0)
	}
	var items []*box
	for _, c := range tops {
		items = append(items, build(c))
	}
	var ext []*box
	for _, n := range loose {
		if g.Nodes[n].IsExternal() {
			ext = append(ext, g.layoutNode(n))
		} else {
			items = append(items, g.layoutNode(n))
		}
	}
	if len(ext) > 0 {
		items = append(items, layoutCluster("external addresses", false, true, ext, true))
	}
	// External ranges go in a column on the right.
	var extBox *box
	if n := len(items); n > 0 && items[n-1].ext {
		extBox, items = items[n-1], items[:n-1]
	}
	width, height := shelve(items, shelfWidth(items), svgMargin, svgMargin+svgHeaderH)
	if extBox != nil {
		extBox.x, extBox.y = max(width+svgGap, svgMargin), svgMargin+svgHeaderH
		width = extBox.x + extBox.w
		height = max(height, extBox.y+extBox.h)
		items = append(items, extBox)
	}
	title := strings.TrimPrefix(g.Title, "# ")
	width = max(width+svgMargin, float64(utf8.RuneCountInString(title))*6.2+2*svgMargin)
	height += svgMargin

	// Absolute node positions.
	pos := make([]*box, len(g.Nodes))
	var place func(b *box, ox, oy float64)
	place = func(b *box, ox, oy float64) {
		b.x += ox
		b.y += oy
		if b.node >= 0 {
			pos[b.node] = b
		}
		for _, k := range b.kids {
			place(k, b.x, b.y)
		}
	}
	for _, it := range items {
		place(it, 0, 0)
	}

	bw := bufio.NewWriter(w)
	esc := func(s string) string { return html.EscapeString(safetext.Line(s)) }
	fmt.Fprintf(bw, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n")
	fmt.Fprintf(bw, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" font-family=\"Helvetica, Arial, sans-serif\">\n", width, height, width, height)
	fmt.Fprintf(bw, "<title>%s</title>\n", esc(title))
	bw.WriteString("<defs>\n")
	for _, c := range []struct{ id, colour string }{{"a-edge", colourEdge}, {"a-red", colourRed}, {"a-green", colourGreen}, {"a-orange", colourOrange}} {
		fmt.Fprintf(bw, "<marker id=\"%s\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"7\" markerHeight=\"7\" orient=\"auto-start-reverse\"><path d=\"M0,0 L10,5 L0,10 z\" fill=\"%s\"/></marker>\n", c.id, c.colour)
	}
	bw.WriteString("</defs>\n")
	fmt.Fprintf(bw, "<rect x=\"0\" y=\"0\" width=\"%.0f\" height=\"%.0f\" fill=\"#ffffff\"/>\n", width, height)
	fmt.Fprintf(bw, "<text x=\"%d\" y=\"%d\" font-size=\"11\" fill=\"#333333\">%s</text>\n", svgMargin, svgMargin+12, esc(title))

	var drawBox func(b *box)
	drawBox = func(b *box) {
		if b.node >= 0 {
			return
		}
		stroke, dash, fill := colourNode, "", "#f9fbfe"
		if b.tenant {
			stroke, dash, fill = colourTenant, ` stroke-dasharray="5,3"`, "#ffffff"
		}
		if b.ext {
			stroke, fill = colourExt, "#fffdf5"
		}
		fmt.Fprintf(bw, "<g class=\"cluster\"><title>%s</title><rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" rx=\"6\" fill=\"%s\" stroke=\"%s\"%s/>", esc(b.label), b.x, b.y, b.w, b.h, fill, stroke, dash)
		fmt.Fprintf(bw, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\" font-weight=\"bold\" fill=\"%s\">%s</text></g>\n", b.x+svgPad, b.y+13, stroke, esc(b.label))
		for _, k := range b.kids {
			drawBox(k)
		}
	}
	for _, it := range items {
		drawBox(it)
	}

	// Edges under the nodes, labels over them.
	var labels strings.Builder
	for _, e := range g.Edges {
		a, b := pos[e.Src], pos[e.Dst]
		colour := e.Kind.colour()
		marker := "a-edge"
		switch colour {
		case colourRed:
			marker = "a-red"
		case colourGreen:
			marker = "a-green"
		case colourOrange:
			marker = "a-orange"
		}
		dash := ""
		if e.Kind.dashed() {
			dash = ` stroke-dasharray="6,4"`
		}
		path, lx, ly := edgePath(a, b)
		tip := esc(g.Nodes[e.Src].Label() + " → " + g.Nodes[e.Dst].Label() + ": " + e.Label)
		fmt.Fprintf(bw, "<g class=\"edge\"><title>%s</title><path d=\"%s\" fill=\"none\" stroke=\"%s\" stroke-width=\"1.3\"%s marker-end=\"url(#%s)\"/></g>\n", tip, path, colour, dash, marker)
		fmt.Fprintf(&labels, "<text class=\"edge-label\" x=\"%.1f\" y=\"%.1f\" font-size=\"%d\" text-anchor=\"middle\" fill=\"%s\" stroke=\"#ffffff\" stroke-width=\"3\" paint-order=\"stroke\"><title>%s</title>%s</text>\n",
			lx, ly, svgLabelFont, colour, tip, esc(shortLabel(e.Label)))
	}
	for i, b := range pos {
		if b == nil {
			continue
		}
		n := g.Nodes[i]
		tip := n.Label()
		if n.Endpoints > 0 {
			tip = fmt.Sprintf("%s (%d endpoint%s)", tip, n.Endpoints, plural(n.Endpoints))
		}
		fmt.Fprintf(bw, "<g class=\"node\"><title>%s</title>", esc(tip))
		if n.IsExternal() {
			x, y, w, h := b.x, b.y, b.w, b.h
			fmt.Fprintf(bw, "<polygon points=\"%.1f,%.1f %.1f,%.1f %.1f,%.1f %.1f,%.1f %.1f,%.1f %.1f,%.1f\" fill=\"%s\" stroke=\"%s\"/>",
				x+8, y, x+w-8, y, x+w, y+h/2, x+w-8, y+h, x+8, y+h, x, y+h/2, colourExtBg, colourExt)
		} else if n.IsDerived() {
			fmt.Fprintf(bw, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" rx=\"%.1f\" fill=\"%s\" stroke=\"%s\"/>", b.x, b.y, b.w, b.h, b.h/2, colourDerBg, colourDer)
		} else {
			fmt.Fprintf(bw, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" rx=\"5\" fill=\"%s\" stroke=\"%s\"/>", b.x, b.y, b.w, b.h, colourFill, colourNode)
		}
		fmt.Fprintf(bw, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\" text-anchor=\"middle\" fill=\"#1a1a1a\">%s</text></g>\n", b.x+b.w/2, b.y+b.h/2+4, esc(g.nodeLabel(i)))
	}
	bw.WriteString(labels.String())
	bw.WriteString("</svg>\n")
	return bw.Flush()
}

// edgePath returns an SVG path from box a to box b, curved so that the
// edges of both directions between two nodes stay apart, and the point
// where its label goes. An edge from a box to itself is a loop on the
// box's right side.
func edgePath(a, b *box) (d string, lx, ly float64) {
	if a == b {
		x, y := a.x+a.w, a.y+a.h/2
		return fmt.Sprintf("M%.1f,%.1f C%.1f,%.1f %.1f,%.1f %.1f,%.1f", x, y-6, x+36, y-30, x+36, y+30, x, y+6), x + 30, y - 16
	}
	ax, ay := a.x+a.w/2, a.y+a.h/2
	bx, by := b.x+b.w/2, b.y+b.h/2
	sx, sy := border(a, bx, by)
	tx, ty := border(b, ax, ay)
	dx, dy := tx-sx, ty-sy
	l := math.Hypot(dx, dy)
	if l == 0 {
		l = 1
	}
	// Bend to the right of the direction of travel.
	bend := math.Min(40, l/5)
	cx, cy := (sx+tx)/2+dy/l*bend, (sy+ty)/2-dx/l*bend
	// The label goes 40% of the way, so that the labels of the two
	// directions between two nodes do not meet.
	const u = 0.4
	lx = (1-u)*(1-u)*sx + 2*(1-u)*u*cx + u*u*tx
	ly = (1-u)*(1-u)*sy + 2*(1-u)*u*cy + u*u*ty
	return fmt.Sprintf("M%.1f,%.1f Q%.1f,%.1f %.1f,%.1f", sx, sy, cx, cy, tx, ty), lx, ly
}

// border returns where the segment from b's centre towards (x, y) leaves
// b's rectangle.
func border(b *box, x, y float64) (float64, float64) {
	cx, cy := b.x+b.w/2, b.y+b.h/2
	dx, dy := x-cx, y-cy
	if dx == 0 && dy == 0 {
		return cx, cy
	}
	t := math.Inf(1)
	if dx != 0 {
		t = math.Min(t, (b.w/2)/math.Abs(dx))
	}
	if dy != 0 {
		t = math.Min(t, (b.h/2)/math.Abs(dy))
	}
	return cx + dx*t, cy + dy*t
}

// shortLabel is an edge's label as drawn: "all" for every connection,
// cut at 40 characters (the tooltip has it whole).
func shortLabel(s string) string {
	s = strings.ReplaceAll(s, "All Connections", "all")
	if utf8.RuneCountInString(s) <= 40 {
		return s
	}
	return fit(s, 40)
}
