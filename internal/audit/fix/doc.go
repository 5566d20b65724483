// Package fix turns audit findings into verified fixes: for every finding
// whose fix is mechanical it writes the patch (a new or edited object, as
// YAML ready for `kubectl apply`), applies the patch to the snapshot,
// computes the matrix again and reports exactly which flows the patch
// closes and which it opens, grouped by workload. With expectations
// (package expect) it also names the expectations the patch would break.
//
// [Generate] builds a [Result] from an audit report: one [Fix] per distinct
// patch, and one [Entry] per finding, which names its fix or says why
// there is no mechanical one (the policy was read from a List document, is
// a Calico object, or the finding needs a judgement call). [Result.WriteDir]
// writes the patches, one file each, and an index.
//
// The fix kinds, what each does and its limits are described for users
// in docs/fixes.md.
//
// Verification is exact: endpoints that behave alike in both matrices
// (same endpoint class before and after) are compared once, so its cost
// grows with the number of classes, not of pods (see [Flows]).
package fix
