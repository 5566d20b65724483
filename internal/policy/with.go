package policy

import (
	"encoding/json"
	"maps"
	"reflect"
	"slices"
	"strings"
)

// sources is what a [Loader] read, kept with the snapshot it built so
// that [Snapshot.With] and [Snapshot.Without] can assemble another
// snapshot from a changed set of objects without reading anything again.
type sources struct {
	opts    LoadOptions
	objects map[string]*loaded
	order   []string
	loose   Diagnostics
}

// With returns the snapshot of s's objects with objs added, each
// replacing the object of s with the same kind, namespace and name, as
// `kubectl apply` would. objs are typed objects, as [Loader.AddObject]
// takes them, and are not modified; s is not modified either.
//
// The result is the snapshot a fresh load of the resulting objects gives:
// its diagnostics are rebuilt for that set, so a replaced object's
// warnings and errors go with it (HasErrors turns false once an invalid
// policy is replaced by a valid one), and namespaces, workload
// endpoints and cross-object checks are derived again. Objects read from
// files keep their diagnostics' locations.
//
// With fails with an [*InvalidInputError] for an argument that is not an
// object, and for a snapshot that does not come from a [Loader] (one from
// [Snapshot.Apply] or [Snapshot.WithStagedView], or one with Kyverno
// policies, whose simulation rewrites objects). Its error is otherwise
// the snapshot's [Diagnostics], as for [Load]. With costs about as much
// as assembling the snapshot (no decoding of s's objects again).
func (s *Snapshot) With(objs ...any) (*Snapshot, error) {
	l, err := s.reload("policy: Snapshot.With")
	if err != nil {
		return nil, err
	}
	for _, o := range objs {
		if err := l.AddObject(o); err != nil {
			return nil, err
		}
	}
	return l.assemble()
}

// Without returns the snapshot of s's objects less the ones refs name.
// An ObjectRef names an object by Group (for the kinds of several API
// groups: [CalicoGroup], [GatewayGroup], ...), Kind, Namespace and Name;
// its Source and Origin are ignored. Take it from the snapshot's objects
// or from a typed object with [RefOf]. Removing a namespace removes only
// the namespace (its objects then live in a namespace the input does
// not declare, as a fresh load of the rest would say): remove them too
// when the cluster deleted them. A ref that names no object of s is an
// [*UnknownObjectError]. Diagnostics are rebuilt as by [Snapshot.With].
func (s *Snapshot) Without(refs ...ObjectRef) (*Snapshot, error) {
	const op = "policy: Snapshot.Without"
	l, err := s.reload(op)
	if err != nil {
		return nil, err
	}
	for _, r := range refs {
		key := l.keyOf(r)
		if key == "" {
			return nil, &UnknownObjectError{Op: op, Ref: r}
		}
		delete(l.objects, key)
	}
	l.order = slices.DeleteFunc(l.order, func(k string) bool { _, ok := l.objects[k]; return !ok })
	return l.assemble()
}

// keyOf returns the key of the object r names, "" when there is none.
// Skipped objects are stored under a key that also holds their location.
func (l *Loader) keyOf(r ObjectRef) string {
	key := r.Key()
	if _, ok := l.objects[key]; ok {
		return key
	}
	prefix := "skipped/" + key + "/"
	for _, k := range l.order {
		if strings.HasPrefix(k, prefix) {
			if _, ok := l.objects[k]; ok {
				return k
			}
		}
	}
	return ""
}

// reload returns a loader holding s's objects, ready to take changes.
func (s *Snapshot) reload(op string) (*Loader, error) {
	if err := s.Check(); err != nil {
		return nil, err
	}
	if s.src == nil {
		return nil, invalidInput(op, "the snapshot was not read by a Loader (it comes from Apply or a staged view, or holds Kyverno policies): call With or Without on the loaded snapshot")
	}
	l := NewLoader(s.src.opts)
	l.objects = maps.Clone(s.src.objects)
	l.order = slices.Clone(s.src.order)
	l.loose = slices.Clone(s.src.loose)
	l.replacing = make(map[string]bool, len(l.objects))
	for k, o := range l.objects {
		l.replacing[k] = true
		if p, ok := o.obj.(*podRecord); ok {
			// Assembling sets the endpoint's workload: work on a copy, as
			// s keeps the original.
			ep := *p.ep
			c := *o
			c.obj = &podRecord{ep: &ep, owners: p.owners}
			l.objects[k] = &c
		}
	}
	return l, nil
}

// assemble assembles the snapshot with the diagnostics of the objects it
// holds now: the loose ones, then each object's.
func (l *Loader) assemble() (*Snapshot, error) {
	l.flush()
	l.finish()
	l.diags = slices.Clone(l.loose)
	for _, k := range l.order {
		l.diags = append(l.diags, l.objects[k].diags...)
	}
	return l.Snapshot()
}

// RefOf returns the reference of a typed object (see [Loader.AddObject]),
// as the snapshot's objects carry it: for [Snapshot.Without] in an
// informer's delete handler. An object without a namespace of a
// namespaced kind is in "default", as the API server would put it. RefOf
// fails as AddObject does for what is not an object.
func RefOf(obj any) (ObjectRef, error) {
	l := NewLoader(LoadOptions{})
	if err := l.AddObject(obj); err != nil {
		return ObjectRef{}, err
	}
	l.flush()
	l.finish()
	if len(l.order) == 1 {
		r := l.objects[l.order[0]].ref
		r.Source, r.Origin = Location{}, nil
		return r, nil
	}
	// Nothing (an object without an apiVersion) or several (a List) was
	// read: name it from its type.
	var tm typeMeta
	j, _ := json.Marshal(obj)
	_ = json.Unmarshal(j, &tm)
	if tm.Kind == "" {
		t := typeKinds[reflect.Indirect(reflect.ValueOf(obj)).Type()]
		tm.APIVersion, tm.Kind = t.APIVersion, t.Kind
	}
	r := ObjectRef{Kind: tm.Kind, Namespace: tm.Metadata.Namespace, Name: tm.Metadata.Name}
	if clusterScoped[tm.Kind] {
		r.Namespace = ""
	} else if r.Namespace == "" {
		r.Namespace = "default"
	}
	r.Group = apiGroup(tm.APIVersion)
	return r, nil
}
