package auditreport

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/netreach/netreach/audit"
)

// The SVG pictures are laid out here, deterministically, and drawn by
// the template: every coordinate is rounded to one decimal so the output
// is byte-stable.

// maxPictured is the most namespaces drawn in the heatmap and the graph;
// larger clusters show the namespaces with the most pods.
const maxPictured = 120

// relation classifies a pair of namespaces for colouring.
type relation int

const (
	relNone     relation = iota // no flow
	relSelf                     // inside one namespace
	relSame                     // same tenant, or no tenant
	relShared                   // a shared namespace is involved
	relTenant                   // different tenants
	relInternet                 // to or from public addresses
)

// hue, saturation of each relation's colour ramp.
var ramps = map[relation][2]float64{
	relSelf:     {220, 14},
	relSame:     {213, 72},
	relShared:   {172, 55},
	relTenant:   {0, 74},
	relInternet: {25, 90},
}

// rampColor returns the colour of intensity t (0..1) on a relation's
// ramp: light for few flows, dark for many.
func rampColor(r relation, t float64) (fill, text string) {
	if r == relNone {
		return "#f1f3f6", "#9aa3ae"
	}
	hs := ramps[r]
	l := 90 - 52*t
	fill = fmt.Sprintf("hsl(%.0f %.0f%% %.0f%%)", hs[0], hs[1], l)
	text = "#1f2733"
	if l < 62 {
		text = "#ffffff"
	}
	return fill, text
}

// intensity maps n on a log scale of max to 0.15..1 (0 for n = 0).
func intensity(n, max int) float64 {
	if n <= 0 || max <= 0 {
		return 0
	}
	if max == 1 {
		return 1
	}
	return 0.15 + 0.85*math.Log1p(float64(n))/math.Log1p(float64(max))
}

func r1(x float64) float64 { return math.Round(x*10) / 10 }

// pictured returns the indexes of the namespaces to draw, in report order,
// and how many were left out.
func pictured(r *audit.Report) (idx []int, omitted int) {
	idx = make([]int, len(r.Namespaces))
	for i := range idx {
		idx[i] = i
	}
	if len(idx) <= maxPictured {
		return idx, 0
	}
	slices.SortStableFunc(idx, func(a, b int) int {
		return cmp.Compare(len(r.Namespaces[b].Pods), len(r.Namespaces[a].Pods))
	})
	idx = idx[:maxPictured]
	slices.Sort(idx)
	return idx, len(r.Namespaces) - maxPictured
}

func relationOf(r *audit.Report, i, j int) relation {
	a, b := &r.Namespaces[i], &r.Namespaces[j]
	switch {
	case i == j:
		return relSelf
	case a.Shared || b.Shared:
		return relShared
	case a.Tenant != "" && b.Tenant != "" && a.Tenant != b.Tenant:
		return relTenant
	}
	return relSame
}

var relationNames = map[relation]string{
	relSelf:   "inside the namespace",
	relSame:   "same tenant or no tenant",
	relShared: "to or from a shared namespace",
	relTenant: "cross-tenant",
}

type svgText struct {
	X, Y   float64
	Text   string
	Anchor string
	Href   string
	Title  string
	Class  string
}

type hmCell struct {
	X, Y, Size float64
	Fill       string
	Text       string
	TextFill   string
	TextX      float64
	TextY      float64
	Title      string
	Diagonal   bool
}

type legendSwatch struct {
	Fill, Label string
}

type heatmap struct {
	Width, Height float64
	Rows, Cols    []svgText
	Cells         []hmCell
	Legend        []legendSwatch
	Top           []topFlow
	Omitted       int
	Empty         bool
}

// topFlow is one of the largest flows between two namespaces.
type topFlow struct {
	From, To, Relation, Class string
	Count                     int
}

func namespacePods(r *audit.Report, i int) int { return len(r.Namespaces[i].Pods) }

// layoutHeatmap draws the namespace-to-namespace matrix of allowed pod
// pairs: sources as rows, destinations as columns, one square per pair
// coloured by relation (hue) and count (lightness, log scale).
func layoutHeatmap(r *audit.Report) heatmap {
	idx, omitted := pictured(r)
	n := len(idx)
	h := heatmap{Omitted: omitted, Empty: n == 0}
	if n == 0 {
		return h
	}
	cell := math.Max(12, math.Min(52, 640/float64(n)))
	maxLen := 0
	for _, i := range idx {
		maxLen = max(maxLen, len(r.Namespaces[i].Name))
	}
	left := math.Min(230, float64(maxLen)*7.2+24)
	top := math.Min(190, float64(maxLen)*5.4+28)
	maxCount := 0
	for _, i := range idx {
		for _, j := range idx {
			maxCount = max(maxCount, r.Flows[i][j])
		}
	}
	fontPx := math.Min(13, cell*0.42)
	for k, i := range idx {
		name := r.Namespaces[i].Name
		y := top + float64(k)*cell + cell/2
		h.Rows = append(h.Rows, svgText{X: r1(left - 8), Y: r1(y + 4), Text: name, Anchor: "end", Href: "#ns-" + name,
			Title: fmt.Sprintf("%s: %d pods", name, namespacePods(r, i))})
		x := left + float64(k)*cell + cell/2
		h.Cols = append(h.Cols, svgText{X: r1(x + 4), Y: r1(top - 8), Text: name, Anchor: "start", Href: "#ns-" + name,
			Title: fmt.Sprintf("%s: %d pods", name, namespacePods(r, i))})
	}
	for a, i := range idx {
		for b, j := range idx {
			count := r.Flows[i][j]
			rel := relationOf(r, i, j)
			shown := rel
			if count == 0 {
				shown = relNone
			}
			fill, tf := rampColor(shown, intensity(count, maxCount))
			pi, pj := namespacePods(r, i), namespacePods(r, j)
			possible := pi * pj
			if i == j {
				possible = pi * (pi - 1)
			}
			src, dst := r.Namespaces[i].Name, r.Namespaces[j].Name
			title := fmt.Sprintf("%s → %s: %d of %d pod pairs allowed (%s)", src, dst, count, possible, percent(count, possible))
			if count > 0 {
				title += ", " + relationNames[rel]
			}
			c := hmCell{X: r1(left + float64(b)*cell), Y: r1(top + float64(a)*cell), Size: r1(cell - 2), Fill: fill, TextFill: tf,
				Title: title, Diagonal: i == j}
			if count > 0 && cell >= 22 && float64(len(itoa(count)))*fontPx*0.62 < cell-4 {
				c.Text = itoa(count)
				c.TextX = r1(c.X + (cell-2)/2)
				c.TextY = r1(c.Y + (cell-2)/2 + fontPx*0.36)
			}
			h.Cells = append(h.Cells, c)
		}
	}
	// Column labels are rotated by 50°: they reach right of the last
	// column by up to cos(50°) of their length.
	h.Width = r1(left + float64(n)*cell + 20 + float64(maxLen)*7.2*0.64)
	h.Height = r1(top + float64(n)*cell + 10)
	for _, rel := range []relation{relSelf, relSame, relShared, relTenant} {
		fill, _ := rampColor(rel, 0.7)
		h.Legend = append(h.Legend, legendSwatch{fill, relationNames[rel]})
	}
	fill, _ := rampColor(relNone, 0)
	h.Legend = append(h.Legend, legendSwatch{fill, "no flow"})
	h.Top = topFlows(r, 10)
	return h
}

// topFlows returns the largest flows between distinct namespaces:
// cross-tenant ones first, flows with shared namespaces last.
func topFlows(r *audit.Report, n int) []topFlow {
	var out []topFlow
	var rels []relation
	for i := range r.Namespaces {
		for j := range r.Namespaces {
			if i == j || r.Flows[i][j] == 0 {
				continue
			}
			rel := relationOf(r, i, j)
			tf := topFlow{From: r.Namespaces[i].Name, To: r.Namespaces[j].Name, Count: r.Flows[i][j], Relation: shortRelation[rel]}
			if rel == relSame && (r.Namespaces[i].Tenant == "" || r.Namespaces[j].Tenant == "") {
				tf.Relation = "no tenant"
			}
			if rel == relTenant {
				tf.Class = "cross"
			}
			out = append(out, tf)
			rels = append(rels, rel)
		}
	}
	idx := make([]int, len(out))
	for i := range idx {
		idx[i] = i
	}
	order := map[relation]int{relTenant: 0, relSame: 1, relShared: 2}
	slices.SortStableFunc(idx, func(a, b int) int {
		if c := cmp.Compare(order[rels[a]], order[rels[b]]); c != 0 {
			return c
		}
		return cmp.Compare(out[b].Count, out[a].Count)
	})
	sorted := make([]topFlow, 0, min(n, len(idx)))
	for _, i := range idx[:min(n, len(idx))] {
		sorted = append(sorted, out[i])
	}
	return sorted
}

var shortRelation = map[relation]string{relSame: "same tenant", relShared: "shared", relTenant: "cross-tenant"}

type gNode struct {
	X, Y, R   float64
	Shape     string // "circle" or a path for external nodes
	Fill      string
	Stroke    string
	Dash      string
	Label     svgText
	Sub       svgText
	Title     string
	Href      string
	External  bool
	Internet  bool
	PodsLabel string
}

type gEdge struct {
	D      string
	Width  float64
	Stroke string
	Dash   string
	Marker string
	Title  string
	Alpha  string
}

type nsGraph struct {
	Width, Height  float64
	ClusterX       float64
	ClusterY       float64
	ClusterR       float64
	OutsideX       float64
	OutsideY       float64
	Nodes          []gNode
	Edges          []gEdge
	Tenants        []legendSwatch
	Omitted        int
	Empty          bool
	HasExternal    bool
	OutsideLabelX  float64
	OutsideLabelY  float64
	ClusterLabelY  float64
	ExternalHeight float64
	// ExposedIn and ExposedOut list the namespaces with pods reachable
	// from outside the cluster and with pods that can reach the internet
	// (counts in pods); Lateral the strongly connected groups.
	ExposedIn, ExposedOut []audit.PeerCount
	Lateral               []string
}

// tenantPalette colours tenants, in tenant-name order.
var tenantPalette = []string{"#4f7cff", "#2fb67c", "#a05cf0", "#f0a020", "#e0529c", "#19a5c2", "#8b6d3f", "#6c8a0f", "#d2691e", "#5b6bd6"}

// layoutGraph draws the namespaces on a circle (grouped by tenant, then by
// name), the external address groups in a column to the right, and one
// curved arrow per allowed flow between them.
func layoutGraph(r *audit.Report) nsGraph {
	idx, omitted := pictured(r)
	g := nsGraph{Omitted: omitted, Empty: len(idx) == 0}
	if g.Empty {
		return g
	}
	in, out := map[string]int{}, map[string]int{}
	for _, ns := range r.Namespaces {
		for _, pc := range ns.ExternalIn {
			in[ns.Name] = max(in[ns.Name], pc.Count)
		}
	}
	for _, x := range r.External {
		if x.Internet {
			for _, pc := range x.From {
				out[pc.Peer] = max(out[pc.Peer], pc.Count)
			}
		}
	}
	for _, ns := range r.Namespaces {
		if n := in[ns.Name]; n > 0 {
			g.ExposedIn = append(g.ExposedIn, audit.PeerCount{Peer: ns.Name, Count: n})
		}
		if n := out[ns.Name]; n > 0 {
			g.ExposedOut = append(g.ExposedOut, audit.PeerCount{Peer: ns.Name, Count: n})
		}
	}
	for _, grp := range r.LateralGroups {
		g.Lateral = append(g.Lateral, strings.Join(grp, ", "))
	}
	// Order: by tenant (no tenant last, shared after), then name.
	order := slices.Clone(idx)
	rank := func(i int) (int, string) {
		ns := &r.Namespaces[i]
		switch {
		case ns.Shared:
			return 2, ""
		case ns.Tenant == "":
			return 1, ""
		}
		return 0, ns.Tenant
	}
	slices.SortStableFunc(order, func(a, b int) int {
		ra, ta := rank(a)
		rb, tb := rank(b)
		if ra != rb {
			return cmp.Compare(ra, rb)
		}
		if ta != tb {
			return cmp.Compare(ta, tb)
		}
		return cmp.Compare(r.Namespaces[a].Name, r.Namespaces[b].Name)
	})
	var tenants []string
	for _, i := range order {
		if t := r.Namespaces[i].Tenant; t != "" && !slices.Contains(tenants, t) {
			tenants = append(tenants, t)
		}
	}
	slices.Sort(tenants)
	colorOf := func(t string) string {
		if k := slices.Index(tenants, t); k >= 0 {
			return tenantPalette[k%len(tenantPalette)]
		}
		return "#94a3b8"
	}
	for _, t := range tenants {
		g.Tenants = append(g.Tenants, legendSwatch{colorOf(t), "tenant " + t})
	}
	g.Tenants = append(g.Tenants, legendSwatch{"#94a3b8", "no tenant"}, legendSwatch{"#ffffff", "shared"})

	n := len(order)
	radius := math.Max(190, math.Min(380, float64(n)*18))
	maxLen := 0
	for _, i := range order {
		maxLen = max(maxLen, len(r.Namespaces[i].Name))
	}
	margin := math.Min(170, float64(maxLen)*7+40)
	cx, cy := margin+radius+10, radius+margin*0.55+30
	g.ClusterX, g.ClusterY, g.ClusterR = r1(cx), r1(cy), r1(radius+margin*0.45)
	g.ClusterLabelY = r1(cy + g.ClusterR + 18)

	maxPods := 1
	for _, i := range order {
		maxPods = max(maxPods, len(r.Namespaces[i].Pods))
	}
	pos := map[string][3]float64{} // x, y, radius
	for k, i := range order {
		ns := &r.Namespaces[i]
		angle := -math.Pi/2 + 2*math.Pi*float64(k)/float64(n)
		x, y := cx+radius*math.Cos(angle), cy+radius*math.Sin(angle)
		nr := 9 + 11*math.Sqrt(float64(len(ns.Pods))/float64(maxPods))
		if n > 40 {
			nr *= 0.7
		}
		node := gNode{X: r1(x), Y: r1(y), R: r1(nr), Shape: "circle", Fill: colorOf(ns.Tenant), Stroke: "#ffffff", Href: "#ns-" + ns.Name}
		if ns.Shared {
			node.Fill, node.Stroke, node.Dash = "#ffffff", "#0f9f8f", "4 3"
		}
		lx, ly := x+(nr+7)*math.Cos(angle), y+(nr+7)*math.Sin(angle)
		anchor := "middle"
		switch c := math.Cos(angle); {
		case c > 0.2:
			anchor = "start"
		case c < -0.2:
			anchor = "end"
		}
		if math.Sin(angle) > 0.2 {
			ly += 10
		} else if math.Sin(angle) > -0.2 {
			ly += 4
		}
		node.Label = svgText{X: r1(lx), Y: r1(ly), Text: ns.Name, Anchor: anchor}
		what := fmt.Sprintf("%d pods", len(ns.Pods))
		if ns.Tenant != "" {
			what = "tenant " + ns.Tenant + ", " + what
		}
		if ns.Shared {
			what = "shared, " + what
		}
		node.Title = fmt.Sprintf("%s (%s, %d findings)", ns.Name, what, ns.Findings)
		g.Nodes = append(g.Nodes, node)
		pos[ns.Name] = [3]float64{x, y, nr}
	}

	// External nodes in a column right of the cluster.
	ext := r.External
	if len(ext) > 30 {
		ext = ext[:30]
	}
	g.HasExternal = len(ext) > 0
	colX := cx + g.ClusterR + 150
	spacing := 52.0
	total := float64(len(ext)-1) * spacing
	startY := cy - total/2
	g.OutsideX, g.OutsideY = r1(colX), r1(startY)
	g.OutsideLabelX, g.OutsideLabelY = r1(colX-15), r1(startY-32)
	extPos := map[string][3]float64{}
	for k, x := range ext {
		y := startY + float64(k)*spacing
		node := gNode{X: r1(colX), Y: r1(y), R: 13, External: true, Internet: x.Internet, Href: "#external"}
		node.Shape = hexagon(colX, y, 15)
		node.Fill, node.Stroke = "#ede9fe", "#7c3aed"
		kind := "private"
		if x.Internet {
			node.Fill, node.Stroke = "#ffedd5", "#ea580c"
			kind = "internet"
		}
		node.Label = svgText{X: r1(colX + 22), Y: r1(y - 1), Text: kind, Anchor: "start"}
		node.Sub = svgText{X: r1(colX + 22), Y: r1(y + 13), Text: rangeSummary(x.Ranges), Anchor: "start", Class: "sub"}
		node.Title = fmt.Sprintf("%s (%s): %s", x.Name, kind, strings.Join(firstN(x.Ranges, 12), ", "))
		g.Nodes = append(g.Nodes, node)
		extPos["ext:"+x.Name] = [3]float64{colX, y, 15}
	}
	g.ExternalHeight = total

	// Edges between namespaces.
	maxFlow := 1
	for _, i := range idx {
		for _, j := range idx {
			if i != j {
				maxFlow = max(maxFlow, r.Flows[i][j])
			}
		}
	}
	for _, i := range order {
		for _, j := range order {
			count := r.Flows[i][j]
			if i == j || count == 0 {
				continue
			}
			a, b := pos[r.Namespaces[i].Name], pos[r.Namespaces[j].Name]
			rel := relationOf(r, i, j)
			e := gEdge{D: curve(a, b, 0.18), Width: r1(1 + 3*intensity(count, maxFlow)), Stroke: "#64748b", Marker: "arrow", Alpha: "0.55",
				Title: fmt.Sprintf("%s → %s: %d pod pairs (%s)", r.Namespaces[i].Name, r.Namespaces[j].Name, count, relationNames[rel])}
			switch rel {
			case relTenant:
				e.Stroke, e.Marker, e.Alpha = "#dc2626", "arrow-red", "0.85"
			case relShared:
				e.Stroke, e.Marker = "#0f9f8f", "arrow-teal"
			}
			g.Edges = append(g.Edges, e)
		}
	}
	// Edges to and from external nodes.
	maxExt := 1
	for _, x := range ext {
		for _, pc := range append(slices.Clone(x.From), x.To...) {
			maxExt = max(maxExt, pc.Count)
		}
	}
	for _, x := range ext {
		xp := extPos["ext:"+x.Name]
		stroke, marker := "#7c3aed", "arrow-violet"
		if x.Internet {
			stroke, marker = "#ea580c", "arrow-orange"
		}
		for _, pc := range x.From {
			if p, ok := pos[pc.Peer]; ok {
				g.Edges = append(g.Edges, gEdge{D: curve(p, xp, 0.12), Width: r1(1 + 2.5*intensity(pc.Count, maxExt)), Stroke: stroke, Marker: marker,
					Dash: "5 3", Alpha: "0.7", Title: fmt.Sprintf("%s → %s: %d pods can connect out", pc.Peer, x.Name, pc.Count)})
			}
		}
		for _, pc := range x.To {
			if p, ok := pos[pc.Peer]; ok {
				g.Edges = append(g.Edges, gEdge{D: curve(xp, p, 0.12), Width: r1(1 + 2.5*intensity(pc.Count, maxExt)), Stroke: stroke, Marker: marker,
					Alpha: "0.7", Title: fmt.Sprintf("%s → %s: %d pods accept connections", x.Name, pc.Peer, pc.Count)})
			}
		}
	}
	if len(g.Edges) > 60 {
		// A dense graph: thinner, lighter lines so that the structure
		// shows rather than a solid mass.
		for i := range g.Edges {
			g.Edges[i].Width = r1(0.6 + 0.6*g.Edges[i].Width)
			g.Edges[i].Alpha = "0.4"
		}
	}
	g.Width = r1(math.Max(cx+g.ClusterR+20, colX+200))
	if !g.HasExternal {
		g.Width = r1(cx + g.ClusterR + margin*0.6)
	}
	g.Height = r1(math.Max(cy+g.ClusterR+30, startY+total+40))
	return g
}

// rangeSummary names a group of ranges by its first one and how many
// more there are.
func rangeSummary(rs []string) string {
	switch len(rs) {
	case 0:
		return ""
	case 1:
		return rs[0]
	}
	return fmt.Sprintf("%s and %d more", rs[0], len(rs)-1)
}

func firstN(xs []string, n int) []string {
	if len(xs) <= n {
		return xs
	}
	return append(slices.Clone(xs[:n]), fmt.Sprintf("… %d more", len(xs)-n))
}

// curve returns the path of a quadratic Bézier arrow from node a to node
// b (x, y, radius), bent to the left of the direction of travel so that
// the two directions between a pair of nodes do not overlap; it starts
// and ends at the nodes' rims.
func curve(a, b [3]float64, bend float64) string {
	dx, dy := b[0]-a[0], b[1]-a[1]
	dist := math.Hypot(dx, dy)
	if dist == 0 {
		return ""
	}
	mx, my := (a[0]+b[0])/2, (a[1]+b[1])/2
	// Left normal of the direction of travel.
	nx, ny := dy/dist, -dx/dist
	qx, qy := mx+nx*dist*bend, my+ny*dist*bend
	start := towards(a, qx, qy, a[2]+2)
	end := towards(b, qx, qy, b[2]+5)
	return fmt.Sprintf("M%.1f %.1fQ%.1f %.1f %.1f %.1f", start[0], start[1], qx, qy, end[0], end[1])
}

// towards returns the point at distance d from node p towards (x, y).
func towards(p [3]float64, x, y, d float64) [2]float64 {
	dx, dy := x-p[0], y-p[1]
	l := math.Hypot(dx, dy)
	if l == 0 {
		return [2]float64{p[0], p[1]}
	}
	return [2]float64{p[0] + dx/l*d, p[1] + dy/l*d}
}

// hexagon returns the path of a flat-topped hexagon of radius s at (x, y).
func hexagon(x, y, s float64) string {
	var b strings.Builder
	for k := range 6 {
		a := math.Pi / 3 * float64(k)
		cmd := "L"
		if k == 0 {
			cmd = "M"
		}
		fmt.Fprintf(&b, "%s%.1f %.1f", cmd, x+s*math.Cos(a), y+s*math.Sin(a))
	}
	b.WriteString("Z")
	return b.String()
}

type bar struct {
	Label      string
	Href       string
	Y          float64
	Width      float64
	DirectW    float64
	Value      string
	ValueX     float64
	Title      string
	LabelWidth float64
}

type barChart struct {
	Width, Height float64
	Left          float64
	BarW          float64
	Bars          []bar
}

// layoutBlast draws the endpoints with the largest blast radius as
// horizontal bars: the transitive reach, with the direct reach darker.
func layoutBlast(r *audit.Report) barChart {
	top := r.BlastRadius[:min(len(r.BlastRadius), 12)]
	var c barChart
	others := max(1, r.Summary.Endpoints-1)
	maxLen := 0
	for _, b := range top {
		maxLen = max(maxLen, len(b.Endpoint))
	}
	c.Left = math.Min(300, float64(maxLen)*7+16)
	c.BarW = 420
	for k, b := range top {
		y := float64(k) * 26
		w := c.BarW * float64(b.Reach) / float64(others)
		dw := c.BarW * float64(b.Direct) / float64(others)
		c.Bars = append(c.Bars, bar{
			Label: b.Endpoint, Href: "#ns-" + b.Namespace, Y: r1(y), Width: r1(math.Max(w, 1)), DirectW: r1(dw),
			Value:  fmt.Sprintf("%d (%s) · %d direct", b.Reach, percent(b.Reach, others), b.Direct),
			ValueX: r1(c.Left + math.Max(w, 1) + 8),
			Title:  fmt.Sprintf("%s reaches %d endpoints directly and %d of %d transitively", b.Endpoint, b.Direct, b.Reach, others),
		})
	}
	c.Width = r1(c.Left + c.BarW + 110)
	c.Height = r1(float64(len(top))*26 + 4)
	return c
}
