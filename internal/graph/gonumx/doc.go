// Package gonumx lets the algorithms of gonum (gonum.org/v1/gonum/graph)
// run on a [graph.Matrix] without copying it into a gonum graph.
// [Directed] presents a square matrix as a gonum graph.Directed, reading
// the bit rows on demand, and [SCC] uses it to compute strongly connected
// components with gonum's topo.TarjanSCC.
//
// The adapter needs package graph, so it cannot live inside it without an
// import cycle. Keeping it here also keeps package graph free of gonum:
// graph's own algorithms (closure, shortest path, aggregation) work on the
// bit rows directly, and only what gonum does better goes through this
// package.
package gonumx
