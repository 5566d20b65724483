package policy

import (
	"github.com/netreach/netreach/internal/bridge"
	ipolicy "github.com/netreach/netreach/internal/policy"
)

// Snapshot is a loaded, validated set of Kubernetes and Calico objects:
// pods (or workloads), namespaces, services and every policy kind, with
// the diagnostics found while reading them. A Snapshot never changes once
// made; With and Without return new ones. It is safe for concurrent use.
type Snapshot struct {
	s *ipolicy.Snapshot
}

func wrap(s *ipolicy.Snapshot) *Snapshot {
	if s == nil {
		return nil
	}
	return &Snapshot{s: s}
}

func init() {
	bridge.Snapshot = func(x any) *ipolicy.Snapshot {
		if s, _ := x.(*Snapshot); s != nil {
			return s.s
		}
		return nil
	}
	bridge.WrapSnapshot = func(s *ipolicy.Snapshot) any { return wrap(s) }
	bridge.PolicyError = publicError
	bridge.ObjectRef = func(r ipolicy.ObjectRef) any { return refFrom(r) }
	bridge.RuleRef = func(r ipolicy.RuleRef) any { return ruleFrom(r) }
	bridge.Location = func(l ipolicy.Location) any { return locFrom(l) }
	bridge.Diagnostics = func(ds ipolicy.Diagnostics) any { return diagsFrom(ds) }
	bridge.LoadOptions = func(x any) ipolicy.LoadOptions { return x.(LoadOptions).internal() }
}

// get returns the internal snapshot, or an *InvalidInputError for a nil
// or zero Snapshot.
func (s *Snapshot) get(op string) (*ipolicy.Snapshot, error) {
	if s == nil || s.s == nil {
		return nil, invalid(op, "nil or zero Snapshot: build one with Load, FromObjects or a Loader")
	}
	return s.s, nil
}

// Check reports whether s can be analysed: it was built by [Load],
// [FromObjects] or a [Loader], or derived from such a snapshot by
// [Snapshot.With] or [Snapshot.Without]. A nil or zero Snapshot fails
// with an [*InvalidInputError].
func (s *Snapshot) Check() error {
	is, err := s.get("policy: Snapshot")
	if err != nil {
		return err
	}
	return publicError(is.Check())
}

// With returns the snapshot of s's objects with objs added, each
// replacing the object of s with the same kind, namespace and name, as
// `kubectl apply` would. objs are typed objects, as [Loader.AddObject]
// takes them; neither they nor s are modified.
//
// The result equals what a fresh load of the resulting objects gives: its
// diagnostics are rebuilt for that set, so a replaced object's warnings
// and errors go with it, and namespaces, workload endpoints and
// cross-object checks are derived again. Objects read from files keep the
// locations of their diagnostics. Errors are as for [FromObjects];
// a snapshot whose input has Kyverno policies (simulated) cannot be
// changed, and fails with an [*InvalidInputError]: load it again instead.
// With costs about as much as assembling the snapshot; nothing of s is
// decoded again.
func (s *Snapshot) With(objs ...any) (*Snapshot, error) {
	is, err := s.get("policy: Snapshot.With")
	if err != nil {
		return nil, err
	}
	n, err := is.With(objs...)
	return wrap(n), publicError(err)
}

// Without returns the snapshot of s's objects less the ones refs name
// (see [RefOf] and [Snapshot.Objects]). Removing a namespace removes only
// the namespace object: remove its objects too when the cluster deleted
// them. A ref that names no object of s is an [*UnknownObjectError].
// Diagnostics are rebuilt as by [Snapshot.With].
func (s *Snapshot) Without(refs ...ObjectRef) (*Snapshot, error) {
	is, err := s.get("policy: Snapshot.Without")
	if err != nil {
		return nil, err
	}
	in := make([]ipolicy.ObjectRef, len(refs))
	for i, r := range refs {
		if r == (ObjectRef{}) {
			return nil, invalid("policy: Snapshot.Without", "zero ObjectRef")
		}
		in[i] = r.internal()
	}
	n, err := is.Without(in...)
	return wrap(n), publicError(err)
}

// Diagnostics returns every diagnostic of the snapshot (errors, warnings
// and notes), sorted by location then object; nil for a nil or zero
// Snapshot.
func (s *Snapshot) Diagnostics() Diagnostics {
	if s == nil || s.s == nil {
		return nil
	}
	return diagsFrom(s.s.Diagnostics)
}

// Skipped is an input object netreach does not evaluate (a kind that does
// not shape reachability, such as a ConfigMap, or one it does not read),
// listed so that nothing given disappears silently.
type Skipped struct {
	// Object is the object skipped.
	Object ObjectRef `json:"object"`
	// Location is where it was read.
	Location Location `json:"location,omitzero"`
	// APIVersion is the object's apiVersion.
	APIVersion string `json:"apiVersion"`
	// Reason says why it was skipped.
	Reason string `json:"reason"`
}

// Skipped returns the objects the snapshot does not evaluate, in input
// order; nil for a nil or zero Snapshot.
func (s *Snapshot) Skipped() []Skipped {
	if s == nil || s.s == nil {
		return nil
	}
	var out []Skipped
	for _, k := range s.s.Skipped {
		out = append(out, Skipped{Object: refFrom(k.ObjectRef), Location: locFrom(k.Source), APIVersion: k.APIVersion, Reason: k.Reason})
	}
	return out
}

// Objects returns the references of the objects the snapshot was built
// from (skipped ones and ones rejected as invalid included), sorted by kind, group, namespace and
// name: what [Snapshot.Without] takes. Nil for a nil or zero Snapshot.
func (s *Snapshot) Objects() []ObjectRef {
	if s == nil || s.s == nil {
		return nil
	}
	in := s.s.ObjectRefs()
	out := make([]ObjectRef, len(in))
	for i, r := range in {
		out[i] = refFrom(r)
	}
	return out
}

// Namespaces returns the names of the snapshot's namespaces, sorted:
// those declared and those objects refer to without declaring (see
// [CodeUndeclaredNamespace]). Nil for a nil or zero Snapshot.
func (s *Snapshot) Namespaces() []string {
	if s == nil || s.s == nil {
		return nil
	}
	out := make([]string, len(s.s.Namespaces))
	for i, ns := range s.s.Namespaces {
		out[i] = ns.Name
	}
	return out
}

// Endpoints returns the names, "namespace/name", of the snapshot's
// endpoints, sorted: its pods, and for a workload given without pods
// (a Deployment, a DaemonSet...), the workload, standing for the pods it
// would run. These are the names a reachability matrix answers for. Nil
// for a nil or zero Snapshot.
func (s *Snapshot) Endpoints() []string {
	if s == nil || s.s == nil {
		return nil
	}
	out := make([]string, len(s.s.Endpoints))
	for i, e := range s.s.Endpoints {
		out[i] = e.Namespace + "/" + e.Name
	}
	return out
}
