package live

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/netreach/netreach/internal/policy"
)

// Resource is one API resource a [Cluster] reads, in the version chosen.
type Resource struct {
	Group, Version string
	// Name is the resource's plural name, as in the URL ("pods").
	Name string
	Kind string
	// Namespaced is true for resources that live in a namespace.
	Namespaced bool
}

// String returns the resource as kubectl names it: "pods",
// "networkpolicies.networking.k8s.io".
func (r Resource) String() string {
	if r.Group == "" {
		return r.Name
	}
	return r.Name + "." + r.Group
}

// APIVersion returns "v1" or "group/version".
func (r Resource) APIVersion() string {
	return schema.GroupVersion{Group: r.Group, Version: r.Version}.String()
}

// path returns the URL path of the resource's list, in namespace ns when
// ns is not empty.
func (r Resource) path(ns string) string {
	var b strings.Builder
	if r.Group == "" {
		b.WriteString("/api/")
	} else {
		b.WriteString("/apis/" + r.Group + "/")
	}
	b.WriteString(r.Version)
	if ns != "" {
		b.WriteString("/namespaces/" + ns)
	}
	b.WriteString("/" + r.Name)
	return b.String()
}

// calicoCRDGroup holds the CRDs behind Calico's API server: the same
// objects as projectcalico.org, in their stored form.
const calicoCRDGroup = "crd.projectcalico.org"

// discovered is what discovery told about the server.
type discovered struct {
	// versions of each group, the preferred first.
	versions map[string][]string
	// resources by group and kind, then by version.
	resources map[schema.GroupKind]map[string]metav1.APIResource
	// failed are the group versions whose discovery failed.
	failed map[schema.GroupVersion]error
}

func newDiscovered(groups []*metav1.APIGroup, lists []*metav1.APIResourceList, failed map[schema.GroupVersion]error) *discovered {
	d := &discovered{versions: map[string][]string{}, resources: map[schema.GroupKind]map[string]metav1.APIResource{}, failed: failed}
	for _, g := range groups {
		var vs []string
		if g.PreferredVersion.Version != "" {
			vs = append(vs, g.PreferredVersion.Version)
		}
		for _, v := range g.Versions {
			if !slices.Contains(vs, v.Version) {
				vs = append(vs, v.Version)
			}
		}
		d.versions[g.Name] = vs
	}
	for _, l := range lists {
		gv, err := schema.ParseGroupVersion(l.GroupVersion)
		if err != nil {
			continue
		}
		for _, r := range l.APIResources {
			if strings.Contains(r.Name, "/") || !slices.Contains(r.Verbs, "list") {
				continue // a subresource, or nothing to list
			}
			gk := schema.GroupKind{Group: gv.Group, Kind: r.Kind}
			if d.resources[gk] == nil {
				d.resources[gk] = map[string]metav1.APIResource{}
			}
			d.resources[gk][gv.Version] = r
		}
	}
	return d
}

// pick returns the version of gk to read among those allowed (nil: any):
// the group's preferred version when it serves gk, else the first served
// one in the group's order.
func (d *discovered) pick(gk schema.GroupKind, allowed []string) (Resource, bool) {
	served := d.resources[gk]
	for _, v := range d.versions[gk.Group] {
		r, ok := served[v]
		if !ok || (allowed != nil && !slices.Contains(allowed, v)) {
			continue
		}
		return Resource{Group: gk.Group, Version: v, Name: r.Name, Kind: gk.Kind, Namespaced: r.Namespaced}, true
	}
	return Resource{}, false
}

// groupFailed returns the discovery error of group, if any version of it
// failed.
func (d *discovered) groupFailed(group string) error {
	var keys []schema.GroupVersion
	for gv := range d.failed {
		if gv.Group == group {
			keys = append(keys, gv)
		}
	}
	if len(keys) == 0 {
		return nil
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i].String() < keys[j].String() })
	return fmt.Errorf("%s: %w", keys[0], d.failed[keys[0]])
}

// plan chooses the resources to read, Namespaces first, and notes the
// kinds the server does not serve. source locates the notes.
func (d *discovered) plan(source string) ([]Resource, policy.Diagnostics) {
	var out []Resource
	var notes policy.Diagnostics
	note := func(sev policy.Severity, code policy.Code, value, format string, args ...any) {
		notes = append(notes, policy.Diagnostic{Severity: sev, Code: code, Value: value, Location: policy.Location{File: source}, Msg: fmt.Sprintf(format, args...)})
	}

	// The kinds the loader evaluates, grouped by group and kind with the
	// versions it reads.
	wanted := map[schema.GroupKind][]string{}
	var order []schema.GroupKind
	for _, gvk := range policy.Kinds() {
		gk := gvk.GroupKind()
		if _, seen := wanted[gk]; !seen {
			order = append(order, gk)
		}
		wanted[gk] = append(wanted[gk], gvk.Version)
	}
	missing := map[string][]string{} // group -> kinds not served
	for _, gk := range order {
		if gk.Group == calicoCRDGroup {
			if _, ok := d.pick(schema.GroupKind{Group: policy.CalicoGroup, Kind: gk.Kind}, wanted[schema.GroupKind{Group: policy.CalicoGroup, Kind: gk.Kind}]); ok {
				continue // read through Calico's API server instead
			}
		}
		r, ok := d.pick(gk, wanted[gk])
		if !ok {
			missing[gk.Group] = append(missing[gk.Group], gk.Kind)
			continue
		}
		out = append(out, r)
	}
	if _, ok := d.versions[policy.CalicoGroup]; ok {
		if _, ok := d.versions[calicoCRDGroup]; ok {
			note(policy.Info, policy.CodeOther, calicoCRDGroup, "Calico objects read through the %s API; %s holds the same objects in their stored form and is not read", policy.CalicoGroup, calicoCRDGroup)
		}
	}
	groups := make([]string, 0, len(missing))
	for g := range missing {
		groups = append(groups, g)
	}
	sort.Strings(groups)
	var absent []string
	for _, g := range groups {
		kinds := strings.Join(missing[g], ", ")
		switch err := d.groupFailed(g); {
		case err != nil:
			note(policy.Warning, policy.CodeUnavailable, g, "discovery of API group %s failed (%v): %s not read, so the answer leaves them out", g, err, kinds)
		case g == calicoCRDGroup && d.versions[policy.CalicoGroup] != nil:
			// Served through projectcalico.org, noted above.
		case d.versions[g] == nil:
			absent = append(absent, g)
		default:
			note(policy.Info, policy.CodeNotServed, g, "API group %s does not serve %s in a version netreach reads", g, kinds)
		}
	}
	if len(absent) > 0 {
		note(policy.Info, policy.CodeNotServed, strings.Join(absent, ","), "API groups not served (their CRDs are not installed), so none of their objects: %s", strings.Join(absent, ", "))
	}

	// Kinds the loader skips with a warning: read them so the skipped
	// list says they are there.
	planned := map[schema.GroupKind]bool{}
	for _, r := range out {
		planned[schema.GroupKind{Group: r.Group, Kind: r.Kind}] = true
	}
	for _, gk := range policy.SkippedReachabilityKinds() {
		if r, ok := d.pick(gk, nil); ok && !planned[gk] {
			out = append(out, r)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		return out[i].Group == "" && out[i].Kind == "Namespace" && !(out[j].Group == "" && out[j].Kind == "Namespace")
	})
	return out, notes
}
