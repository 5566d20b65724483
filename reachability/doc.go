// Package reachability computes who can connect to whom in a
// [policy.Snapshot], per protocol and port, and answers questions about
// the result: [Compute] builds a [Matrix]; [Matrix.Query] answers one
// connection by name, [Matrix.Reachers] and [Matrix.Reachable] who can
// reach (or be reached by) a [Selection] and on what [Connections],
// [Matrix.Group] aggregates by workload, namespace or tenant,
// [Matrix.Explain] names the rules behind a verdict, [Matrix.Update]
// follows a changed snapshot incrementally and [Diff] compares two
// matrices. No question answers for a name it cannot resolve: it returns
// an [*UnknownEndpointError].
//
// docs/library.md in the repository shows each task with code.
package reachability
