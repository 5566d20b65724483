package policy

import (
	"fmt"
	"strconv"
	"strings"

	ipolicy "github.com/netreach/netreach/internal/policy"
)

// ObjectRef names one input object: its API group (only where the kind
// alone is ambiguous), kind, namespace and name. It is a comparable value,
// fit for map keys. The zero ObjectRef names nothing.
type ObjectRef struct {
	// Group is the API group when the kind alone is ambiguous:
	// "projectcalico.org" for Calico objects, "gateway.networking.k8s.io"
	// for the Gateway API, "security.istio.io" for Istio, "kyverno.io",
	// "route.openshift.io"; empty for Kubernetes' own kinds and the
	// AdminNetworkPolicy API.
	Group string `json:"group,omitempty"`
	// Kind is the object's kind, such as "Pod" or "NetworkPolicy".
	Kind string `json:"kind"`
	// Namespace is empty for cluster-scoped objects.
	Namespace string `json:"namespace,omitempty"`
	// Name is the object's name.
	Name string `json:"name"`
}

// RefOf returns the reference of a typed object, as [FromObjects] would
// name it: the kind from TypeMeta or, without TypeMeta (informer caches),
// from the Go type; a namespaced object without a namespace is in
// "default". It fails with an [*InvalidInputError] for nil and for values
// that are not Kubernetes objects. It does not modify obj.
func RefOf(obj any) (ObjectRef, error) {
	r, err := ipolicy.RefOf(obj)
	if err != nil {
		return ObjectRef{}, publicError(err)
	}
	return refFrom(r), nil
}

// String returns "Kind namespace/name", "Kind name" for a cluster-scoped
// object, and "Kind.group namespace/name" when Group is set; ParseObjectRef
// reads it back.
func (r ObjectRef) String() string {
	k := r.Kind
	if r.Group != "" {
		k += "." + r.Group
	}
	if r.Namespace == "" {
		return k + " " + r.Name
	}
	return k + " " + r.Namespace + "/" + r.Name
}

// ParseObjectRef reads what [ObjectRef.String] writes: "Kind
// namespace/name", "Kind name" (cluster-scoped) or "Kind.group
// namespace/name". It also reads "Calico Kind namespace/name", as
// diagnostics name Calico objects. The error is an [*InvalidInputError].
func ParseObjectRef(s string) (ObjectRef, error) {
	bad := func(reason string) (ObjectRef, error) {
		return ObjectRef{}, &InvalidInputError{Op: "policy.ParseObjectRef(" + strconv.Quote(s) + ")", Reason: reason}
	}
	f := strings.Fields(s)
	var r ObjectRef
	if len(f) == 3 && f[0] == "Calico" {
		r.Group, f = ipolicy.CalicoGroup, f[1:]
	}
	if len(f) != 2 {
		return bad(`expected "Kind namespace/name" or "Kind name"`)
	}
	r.Kind = f[0]
	if kind, group, ok := strings.Cut(f[0], "."); ok {
		if r.Group != "" {
			return bad("two groups")
		}
		r.Kind, r.Group = kind, group
	}
	r.Name = f[1]
	if ns, name, ok := strings.Cut(f[1], "/"); ok {
		r.Namespace, r.Name = ns, name
	}
	if r.Kind == "" || r.Name == "" || strings.Contains(r.Name, "/") {
		return bad("empty kind or name, or more than one slash")
	}
	return r, nil
}

func refFrom(r ipolicy.ObjectRef) ObjectRef {
	return ObjectRef{Group: r.Group, Kind: r.Kind, Namespace: r.Namespace, Name: r.Name}
}

func (r ObjectRef) internal() ipolicy.ObjectRef {
	return ipolicy.ObjectRef{Group: r.Group, Kind: r.Kind, Namespace: r.Namespace, Name: r.Name}
}

// Location is where an object or a field was read: file, YAML document
// and position. The zero Location means "unknown", as for objects given
// in code ([FromObjects]), which diagnostics locate by their [ObjectRef].
type Location struct {
	// File is the path as given, "-" for standard input, the name given
	// to [Loader.AddBytes] or [Loader.AddReader], or "" when unknown.
	File string `json:"file,omitempty"`
	// Document is the 1-based index of the YAML document within the
	// file; 0 when unknown.
	Document int `json:"document,omitempty"`
	// Line and Column are 1-based; 0 when unknown.
	Line   int `json:"line,omitempty"`
	Column int `json:"column,omitempty"`
}

// IsValid reports whether the location names a file.
func (l Location) IsValid() bool { return l.File != "" }

// String returns "file:line:column", "file:line" or "file" as far as they
// are known, and "" for the zero Location.
func (l Location) String() string { return l.internal().String() }

func locFrom(l ipolicy.Location) Location {
	return Location{File: l.File, Document: l.Doc, Line: l.Line, Column: l.Col}
}

func (l Location) internal() ipolicy.Location {
	return ipolicy.Location{File: l.File, Doc: l.Document, Line: l.Line, Col: l.Column}
}

// RuleRef locates one rule of a policy: the policy, the direction of the
// rule and its position among the policy's rules of that direction, as
// written in the object (before netreach split it, if it did).
type RuleRef struct {
	// Policy is the policy holding the rule.
	Policy ObjectRef `json:"policy"`
	// Direction is the rule's direction (ingress or egress list).
	Direction Direction `json:"direction"`
	// Index is the 0-based position of the rule in that list.
	Index int `json:"index"`
	// Location is where the rule was read; the zero Location when the
	// policy was given as an object.
	Location Location `json:"location,omitzero"`
}

// String returns "Kind namespace/name ingress[2]", followed by " at
// file:line" when the location is known.
func (r RuleRef) String() string {
	s := fmt.Sprintf("%s %s[%d]", r.Policy, r.Direction, r.Index)
	if loc := r.Location.String(); loc != "" {
		s += " at " + loc
	}
	return s
}

func ruleFrom(r ipolicy.RuleRef) RuleRef {
	return RuleRef{Policy: refFrom(r.Policy), Direction: Direction(r.Dir), Index: r.Index, Location: locFrom(r.Source)}
}
