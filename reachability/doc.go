// Package reachability computes who can connect to whom in a Snapshot,
// per protocol and port, and answers questions about the result.
package reachability
