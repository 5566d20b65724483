package selector

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/selection"
)

// FromLabelSelector converts a Kubernetes label selector with the semantics
// of k8s.io/apimachinery's LabelSelectorAsSelector:
//
//   - a nil selector matches nothing (callers that give nil another meaning,
//     such as a NetworkPolicy peer's absent namespaceSelector, must handle
//     it before calling);
//   - a selector with neither matchLabels nor matchExpressions matches
//     everything;
//   - matchLabels and every expression are ANDed; NotIn and DoesNotExist
//     also match label sets that lack the key.
//
// Keys, values and operators are validated as the API server does; the
// error names the offending requirement. Requirements are ordered by key,
// so String does not depend on map or list order.
func FromLabelSelector(ls *metav1.LabelSelector) (Selector, error) {
	if ls == nil {
		return Nothing(), nil
	}
	ks, err := metav1.LabelSelectorAsSelector(ls)
	if err != nil {
		return Selector{}, err
	}
	reqs, _ := ks.Requirements()
	if len(reqs) == 0 {
		return All(), nil
	}
	// LabelSelectorAsSelector sorts by key only, so requirements on the
	// same key keep their input order; break those ties by the
	// requirement's text. reqs belongs to ks, which nothing else sees.
	slices.SortFunc(reqs, func(a, b labels.Requirement) int {
		return cmp.Or(strings.Compare(a.Key(), b.Key()), strings.Compare(a.String(), b.String()))
	})
	parts := make([]node, 0, len(reqs))
	for _, r := range reqs {
		key := r.Key()
		vals := r.ValuesUnsorted()
		switch r.Operator() {
		case selection.Equals, selection.DoubleEquals:
			parts = append(parts, cmpNode{key: key, op: opEq, value: vals[0]})
		case selection.In:
			parts = append(parts, setNode{key: key, values: r.Values().List()})
		case selection.NotIn:
			parts = append(parts, setNode{key: key, neg: true, values: r.Values().List()})
		case selection.Exists:
			parts = append(parts, hasNode{key: key})
		case selection.DoesNotExist:
			parts = append(parts, notNode{hasNode{key: key}})
		default:
			return Selector{}, fmt.Errorf("%q is not a valid label selector operator", r.Operator())
		}
	}
	if len(parts) == 1 {
		return Selector{root: parts[0]}, nil
	}
	return Selector{root: andNode{parts}}, nil
}

// MustFromLabelSelector is like [FromLabelSelector] but panics on error. It
// is meant for tests and package-level variables.
func MustFromLabelSelector(ls *metav1.LabelSelector) Selector {
	s, err := FromLabelSelector(ls)
	if err != nil {
		panic(err)
	}
	return s
}
