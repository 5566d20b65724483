// Package reachability computes who can connect to whom: the library's
// main API.
//
// [Compute] builds the [Matrix] of a snapshot — for every ordered pair of
// endpoints and external address ranges and every port atom, a [Verdict]
// — with the bitset engine: endpoints that no policy can tell apart form
// classes, ports are cut into atoms at every rule boundary, selectors are
// compiled once to bit rows, and every tier is evaluated for all peers at
// once with word-wide operations. [Matrix.At], [Matrix.Verdict],
// [Matrix.Row], [Matrix.Column] and [Matrix.Flows] query it;
// [Matrix.WriteCSV], [Matrix.WriteJSON] and [Matrix.WriteTable] write it.
//
// [Evaluate] (or an [Evaluator]) decides one [Flow] at a time, straight
// from the policy objects, and returns a [Trace] of every tier, policy and
// rule consulted: this reference evaluator is the oracle the engine is
// tested against and what `netreach explain` prints.
//
// [Diff] compares two matrices flow by flow; [Update] recomputes a matrix
// after a policy change, re-evaluating only the rows the change can affect.
//
// Every result echoes the mode and the implementation-defined switches of
// its [Options].
package reachability
