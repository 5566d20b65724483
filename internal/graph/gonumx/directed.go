package gonumx

import (
	gonum "gonum.org/v1/gonum/graph"

	"github.com/netreach/netreach/internal/graph"
)

// Directed is a view of a square [graph.Matrix] as a gonum graph.Directed:
// node i has ID i, and there is an edge from u to v iff bit (u, v) is set.
// Self-loops are edges like any other.
//
// Directed reads the matrix on every call and copies nothing but one node
// value per index, so it sees later changes to the matrix; do not change
// the matrix while a gonum algorithm runs. It is safe for concurrent use
// as long as the matrix is not written. The zero Directed is an empty
// graph.
//
// Lookups with an unknown ID return nil, false or an empty iterator, as
// gonum expects. [Directed.From] is O(n/64) plus O(1) per node yielded;
// [Directed.To] reads a column and is O(n).
type Directed struct {
	m     *graph.Matrix
	nodes []node // nodes[i] is node i; handing out &nodes[i] does not allocate
}

// New returns a Directed view of the square matrix m. It panics if m is
// not square. New is O(n) and allocates n small node values once.
func New(m *graph.Matrix) *Directed {
	if m.Rows() != m.Cols() {
		panic("gonumx: New: matrix is not square")
	}
	nodes := make([]node, m.Rows())
	for i := range nodes {
		nodes[i] = node(i)
	}
	return &Directed{m: m, nodes: nodes}
}

var _ gonum.Directed = (*Directed)(nil)

// node is a node of a Directed graph; its ID is its matrix index.
type node int64

// ID returns the node's matrix index.
func (n *node) ID() int64 { return int64(*n) }

// edge is the edge f→t of a Directed graph.
type edge struct{ f, t *node }

// From, To and ReversedEdge implement gonum.Edge.
func (e edge) From() gonum.Node         { return e.f }
func (e edge) To() gonum.Node           { return e.t }
func (e edge) ReversedEdge() gonum.Edge { return edge{f: e.t, t: e.f} }

// valid reports whether id names a node of g.
func (g *Directed) valid(id int64) bool { return 0 <= id && id < int64(len(g.nodes)) }

// Node returns the node with the given ID, or nil if there is none. It is
// O(1).
func (g *Directed) Node(id int64) gonum.Node {
	if !g.valid(id) {
		return nil
	}
	return &g.nodes[id]
}

// Nodes returns an iterator over all nodes in increasing ID order. It is
// O(1); iterating is O(n).
func (g *Directed) Nodes() gonum.Nodes {
	if len(g.nodes) == 0 {
		return gonum.Empty
	}
	return newNodeIter(g, nil, true, len(g.nodes))
}

// From returns an iterator over the nodes that id has an edge to, in
// increasing ID order. It is O(n/64); iterating costs O(1) per node plus
// O(n/64) in all.
func (g *Directed) From(id int64) gonum.Nodes {
	if !g.valid(id) {
		return gonum.Empty
	}
	row := g.m.Row(int(id))
	n := row.Count()
	if n == 0 {
		return gonum.Empty
	}
	return newNodeIter(g, row, false, n)
}

// To returns an iterator over the nodes that have an edge to id, in
// increasing ID order. It reads column id and is O(n).
func (g *Directed) To(id int64) gonum.Nodes {
	if !g.valid(id) {
		return gonum.Empty
	}
	col := graph.NewSet(len(g.nodes))
	g.m.Column(int(id), col)
	n := col.Count()
	if n == 0 {
		return gonum.Empty
	}
	return newNodeIter(g, col, false, n)
}

// HasEdgeBetween reports whether there is an edge between x and y in
// either direction. It is O(1).
func (g *Directed) HasEdgeBetween(xid, yid int64) bool {
	return g.HasEdgeFromTo(xid, yid) || g.HasEdgeFromTo(yid, xid)
}

// HasEdgeFromTo reports whether there is an edge from u to v. It is O(1).
func (g *Directed) HasEdgeFromTo(uid, vid int64) bool {
	return g.valid(uid) && g.valid(vid) && g.m.Has(int(uid), int(vid))
}

// Edge returns the edge from u to v, or nil if there is none. It is O(1).
func (g *Directed) Edge(uid, vid int64) gonum.Edge {
	if !g.HasEdgeFromTo(uid, vid) {
		return nil
	}
	return edge{f: &g.nodes[uid], t: &g.nodes[vid]}
}

// nodeIter iterates over the members of a bit set (or, with all, over
// every node) in increasing order. It implements gonum.Nodes and
// gonum.NodeSlicer.
type nodeIter struct {
	g        *Directed
	ids      graph.Set // nodes to visit; ignored when all is set
	all      bool
	total, n int // number of nodes in all, and not yet returned by Next
	cur      int // current node; -1 before the first and after the last Next
}

func newNodeIter(g *Directed, ids graph.Set, all bool, n int) *nodeIter {
	return &nodeIter{g: g, ids: ids, all: all, total: n, n: n, cur: -1}
}

// Len, Next, Node, Reset and NodeSlice implement gonum.Nodes and
// gonum.NodeSlicer, as documented there.
func (it *nodeIter) Len() int { return it.n }

func (it *nodeIter) Next() bool {
	if it.n == 0 {
		it.cur = -1
		return false
	}
	if it.all {
		it.cur++
	} else {
		it.cur, _ = it.ids.Next(it.cur + 1)
	}
	it.n--
	return true
}

func (it *nodeIter) Node() gonum.Node {
	if it.cur < 0 {
		return nil
	}
	return &it.g.nodes[it.cur]
}

func (it *nodeIter) Reset() { it.n, it.cur = it.total, -1 }

func (it *nodeIter) NodeSlice() []gonum.Node {
	out := make([]gonum.Node, 0, it.n)
	for it.Next() {
		out = append(out, &it.g.nodes[it.cur])
	}
	return out
}
