package policy

// Exported for the external tests (package policy_test), which may import
// packages that import policy.

// LoadBothWays loads the inputs with and without the fast path; see
// loadBothWays.
var LoadBothWays = loadBothWays

// SnapshotDiff compares two snapshots, unexported fields included.
var SnapshotDiff = snapshotDiff
