// Package graph holds the dense bit matrix at the core of netreach and the
// graph algorithms that run on it. It imports nothing from Kubernetes and
// nothing outside the standard library, so it is reusable and fast to
// test.
//
// A [Matrix] is a rows×cols bit matrix stored in one []uint64 in row-major
// order, (cols+63)/64 words per row. Read as the adjacency matrix of a
// directed graph, bit (i, j) means "node i reaches node j". Each row is a
// [Set], a fixed-size bitset whose operations work a word at a time
// (OR, AND, AND NOT, popcount) and never allocate; [Matrix.Row] hands out
// rows as views, so row algebra updates the matrix in place.
//
// On top of that the package provides:
//
//   - [Matrix.Transpose] and [Matrix.AndTransposeOf], built on a 64×64
//     bit-block transpose;
//   - [Matrix.Closure], [Matrix.Reach] and [Matrix.BlastRadius]:
//     transitive reachability (lateral movement), with a parallel bitset
//     Warshall;
//   - [ShortestPath], a breadth-first search over bit rows;
//   - [Aggregate] and [AggregateCounts], which collapse nodes into groups
//     (pods into namespaces, say);
//   - [WriteDOT], deterministic Graphviz output.
//
// Strongly connected components come from gonum's Tarjan implementation,
// through the adapter in the subpackage gonumx, which presents a *Matrix
// as a gonum graph without copying it. That adapter depends on this
// package, so SCC lives there
// ([github.com/netreach/netreach/graph/gonumx.SCC]) and not here, and this
// package does not import gonum.
//
// Indices are plain ints: callers such as the reachability engine map
// their own index types (pod or class IDs) onto 0..n-1. An index out of
// range is a programmer error and panics.
package graph
