package kyverno

import (
	"encoding/json"
	"fmt"
	"maps"
	"reflect"
	"sort"
	"strings"
)

// Object is one Kubernetes object as generic JSON (maps, slices, strings,
// float64, bools), the way an admission webhook sees it.
type Object map[string]any

// DecodeObject decodes JSON text into an Object.
func DecodeObject(j []byte) (Object, error) {
	var o Object
	if err := json.Unmarshal(j, &o); err != nil {
		return nil, err
	}
	return o, nil
}

// JSON returns the object's JSON encoding (keys sorted, as encoding/json
// writes maps).
func (o Object) JSON() []byte {
	j, err := json.Marshal(map[string]any(o))
	if err != nil {
		panic(fmt.Sprintf("kyverno: encode object: %v", err)) // generic JSON values always encode
	}
	return j
}

// APIVersion returns apiVersion.
func (o Object) APIVersion() string { s, _ := o["apiVersion"].(string); return s }

// Kind returns kind.
func (o Object) Kind() string { s, _ := o["kind"].(string); return s }

// GroupVersion splits apiVersion into its group ("" for the core group)
// and version.
func (o Object) GroupVersion() (group, version string) { return splitAPIVersion(o.APIVersion()) }

func splitAPIVersion(av string) (group, version string) {
	if g, v, ok := strings.Cut(av, "/"); ok {
		return g, v
	}
	return "", av
}

func (o Object) meta() map[string]any { m, _ := o["metadata"].(map[string]any); return m }

// Name returns metadata.name.
func (o Object) Name() string { s, _ := o.meta()["name"].(string); return s }

// Namespace returns metadata.namespace.
func (o Object) Namespace() string { s, _ := o.meta()["namespace"].(string); return s }

// Labels returns metadata.labels as strings (other values are left out).
func (o Object) Labels() map[string]string { return stringMap(o.meta()["labels"]) }

// Annotations returns metadata.annotations as strings.
func (o Object) Annotations() map[string]string { return stringMap(o.meta()["annotations"]) }

func stringMap(v any) map[string]string {
	m, _ := v.(map[string]any)
	out := make(map[string]string, len(m))
	for k, x := range m {
		if s, ok := x.(string); ok {
			out[k] = s
		}
	}
	return out
}

// ensureMeta returns metadata, creating it when missing.
func (o Object) ensureMeta() map[string]any {
	m := o.meta()
	if m == nil {
		m = map[string]any{}
		o["metadata"] = m
	}
	return m
}

// ID identifies an object within a cluster: API group, kind, namespace
// (empty for cluster-scoped kinds) and name.
type ID struct {
	Group, Kind, Namespace, Name string
}

// String returns "Kind ns/name" ("Kind name" when cluster-scoped), with
// the group when it is not the core group: "NetworkPolicy.networking.k8s.io
// test01/deny".
func (id ID) String() string {
	k := id.Kind
	if id.Group != "" {
		k += "." + id.Group
	}
	if id.Namespace == "" {
		return k + " " + id.Name
	}
	return k + " " + id.Namespace + "/" + id.Name
}

// IDOf returns the object's identity.
func IDOf(o Object) ID {
	g, _ := o.GroupVersion()
	return ID{Group: g, Kind: o.Kind(), Namespace: o.Namespace(), Name: o.Name()}
}

// deepCopy copies generic JSON.
func deepCopy(v any) any {
	switch x := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[k] = deepCopy(e)
		}
		return m
	case []any:
		s := make([]any, len(x))
		for i, e := range x {
			s[i] = deepCopy(e)
		}
		return s
	}
	return v
}

// Copy returns a deep copy of the object.
func (o Object) Copy() Object { return Object(deepCopy(map[string]any(o)).(map[string]any)) }

func deepEqual(a, b any) bool { return reflect.DeepEqual(a, b) }

// sortedKeys returns the keys of m in order.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range maps.Keys(m) {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// labelChanges lists the labels that differ between before and after, as
// "key=value" (set or changed) or "-key" (removed), sorted by key.
func labelChanges(before, after map[string]string) []string {
	var out []string
	for _, k := range sortedKeys(after) {
		if v, ok := before[k]; !ok || v != after[k] {
			out = append(out, k+"="+after[k])
		}
	}
	for _, k := range sortedKeys(before) {
		if _, ok := after[k]; !ok {
			out = append(out, "-"+k)
		}
	}
	sort.Slice(out, func(i, j int) bool { return strings.TrimPrefix(out[i], "-") < strings.TrimPrefix(out[j], "-") })
	return out
}
