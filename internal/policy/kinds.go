package policy

import (
	"cmp"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/runtime/schema"
)

// Kinds returns the group, version and kind of every object the Loader
// evaluates (rather than skips), sorted by group, kind and version. A
// reader of a live cluster lists these resources; the same kind may be
// served in several versions, of which a reader should read one.
func Kinds() []schema.GroupVersionKind {
	out := make([]schema.GroupVersionKind, 0, len(handlers))
	for key := range handlers {
		apiVersion, kind, _ := strings.Cut(key, "|")
		out = append(out, schema.FromAPIVersionAndKind(apiVersion, kind))
	}
	slices.SortFunc(out, func(a, b schema.GroupVersionKind) int {
		return cmp.Or(strings.Compare(a.Group, b.Group), strings.Compare(a.Kind, b.Kind), strings.Compare(a.Version, b.Version))
	})
	return out
}

// SkippedReachabilityKinds returns the kinds the Loader does not evaluate
// although they change who can connect to whom (Cilium or Antrea
// policies, Kyverno cleanup policies, ...): an object of one of them is
// skipped with a warning that says what the answer leaves out. Any version
// of the group counts. Sorted by group and kind.
func SkippedReachabilityKinds() []schema.GroupKind {
	out := make([]schema.GroupKind, 0, len(reachabilityKinds))
	for key := range reachabilityKinds {
		group, kind, _ := strings.Cut(key, "|")
		out = append(out, schema.GroupKind{Group: group, Kind: kind})
	}
	slices.SortFunc(out, func(a, b schema.GroupKind) int {
		return cmp.Or(strings.Compare(a.Group, b.Group), strings.Compare(a.Kind, b.Kind))
	})
	return out
}
