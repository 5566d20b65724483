package kyverno

import (
	"regexp"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/selection"
)

// request is one admission request as the simulation sees it: the object
// (after the mutations so far), the labels of its namespace, and the
// operation (always CREATE offline).
type request struct {
	obj      Object
	group    string
	version  string
	kind     string
	name     string
	ns       string // the object's namespace; "" for cluster-scoped objects
	nsLabels map[string]string
}

// kindSelector is one entry of resources.kinds split the way Kyverno splits
// it: Kind, Version/Kind, Group/Version/Kind, with wildcards, and an
// optional subresource ("Pod/status", "Pod.status").
type kindSelector struct {
	group, version, kind, subresource string
}

var versionRE = regexp.MustCompile(`^(v\d+((alpha|beta)\d+)?|\*)$`)

func parseKindSelector(s string) kindSelector {
	parts := strings.Split(s, "/")
	last := parts[len(parts)-1]
	parts = append(parts[:len(parts)-1], strings.Split(last, ".")...)
	switch len(parts) {
	case 1:
		return kindSelector{"*", "*", parts[0], ""}
	case 2:
		if parts[0] == "*" && parts[1] == "*" {
			return kindSelector{"*", "*", "*", "*"}
		}
		if parts[0] == "*" && strings.ToLower(parts[1]) == parts[1] {
			return kindSelector{"*", "*", parts[0], parts[1]}
		}
		if versionRE.MatchString(parts[0]) {
			return kindSelector{"*", parts[0], parts[1], ""}
		}
		return kindSelector{"*", "*", parts[0], parts[1]}
	case 3:
		if versionRE.MatchString(parts[0]) {
			return kindSelector{"*", parts[0], parts[1], parts[2]}
		}
		return kindSelector{parts[0], parts[1], parts[2], ""}
	case 4:
		return kindSelector{parts[0], parts[1], parts[2], parts[3]}
	}
	return kindSelector{"", "", "\x00", ""} // matches nothing
}

// matches reports whether the selector picks the main resource (no
// subresource) of the given group, version and kind.
func (k kindSelector) matches(group, version, kind string) bool {
	if k.subresource != "" && k.subresource != "*" {
		return false // a subresource request is never an object's creation
	}
	return wildcardMatch(k.group, group) && wildcardMatch(k.version, version) && wildcardMatch(k.kind, kind)
}

// describe reports whether the resource description selects the request
// [Kyverno: "Selecting Resources"]: every field given must hold, any
// entry of a list may.
func (rd *ResourceDescription) describe(r *request) bool {
	if len(rd.Operations) > 0 {
		found := false
		for _, op := range rd.Operations {
			if op == "CREATE" {
				found = true
			}
		}
		if !found {
			return false
		}
	}
	if len(rd.Kinds) > 0 {
		found := false
		for _, k := range rd.Kinds {
			if parseKindSelector(k).matches(r.group, r.version, r.kind) {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	name := r.name
	if name == "" { // a pod from a template has no name yet at admission
		name, _ = r.obj.meta()["generateName"].(string)
	}
	if rd.Name != "" && !wildcardMatch(rd.Name, name) {
		return false
	}
	if len(rd.Names) > 0 && !anyWildcard(rd.Names, name) {
		return false
	}
	if len(rd.Namespaces) > 0 {
		ns := r.ns
		if r.kind == "Namespace" {
			ns = r.name // a Namespace is matched by its own name
		}
		if !anyWildcard(rd.Namespaces, ns) {
			return false
		}
	}
	if len(rd.Annotations) > 0 {
		ann := r.obj.Annotations()
		for pk, pv := range rd.Annotations {
			found := false
			for k, v := range ann {
				if wildcardMatch(pk, k) && wildcardMatch(pv, v) {
					found = true
					break
				}
			}
			if !found {
				return false
			}
		}
	}
	if rd.Selector != nil && !selectorMatches(rd.Selector, r.obj.Labels()) {
		return false
	}
	if rd.NamespaceSelector != nil {
		if r.kind == "Namespace" || r.ns == "" {
			return false // not applicable to Namespaces and cluster-scoped objects
		}
		if !selectorMatches(rd.NamespaceSelector, r.nsLabels) {
			return false
		}
	}
	return true
}

func anyWildcard(patterns []string, s string) bool {
	for _, p := range patterns {
		if wildcardMatch(p, s) {
			return true
		}
	}
	return false
}

func (rd *ResourceDescription) isEmpty() bool {
	return rd == nil || len(rd.Kinds) == 0 && rd.Name == "" && len(rd.Names) == 0 && len(rd.Namespaces) == 0 &&
		len(rd.Annotations) == 0 && rd.Selector == nil && rd.NamespaceSelector == nil && len(rd.Operations) == 0
}

// hasUserInfo reports whether a filter names subjects, roles or cluster
// roles, which only a live request can tell.
func (f *ResourceFilter) hasUserInfo() bool {
	return len(f.Subjects) > 0 || len(f.Roles) > 0 || len(f.ClusterRoles) > 0
}

// selectorMatches applies a label selector as Kyverno's match does:
// matchLabels keys and values may hold wildcards; expressions are the
// Kubernetes ones. A selector that does not parse matches nothing.
func selectorMatches(ls *metav1.LabelSelector, lbls map[string]string) bool {
	for pk, pv := range ls.MatchLabels {
		if !hasWildcard(pk) && !hasWildcard(pv) {
			if v, ok := lbls[pk]; !ok || v != pv {
				return false
			}
			continue
		}
		found := false
		for k, v := range lbls {
			if wildcardMatch(pk, k) && wildcardMatch(pv, v) {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	for _, e := range ls.MatchExpressions {
		var op selection.Operator
		switch e.Operator {
		case metav1.LabelSelectorOpIn:
			op = selection.In
		case metav1.LabelSelectorOpNotIn:
			op = selection.NotIn
		case metav1.LabelSelectorOpExists:
			op = selection.Exists
		case metav1.LabelSelectorOpDoesNotExist:
			op = selection.DoesNotExist
		default:
			return false
		}
		req, err := labels.NewRequirement(e.Key, op, e.Values)
		if err != nil || !req.Matches(labels.Set(lbls)) {
			return false
		}
	}
	return true
}
