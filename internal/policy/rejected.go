package policy

import "strings"

// rejected stands for an object the loader read but refused whole (a
// NetworkPolicy with an invalid podSelector, a Pod without a name...).
// It is stored under the object's key like any other object, so that it
// owns its diagnostics: [Snapshot.With] replaces it (and its errors) with
// a later version of the object, a rejected version replaces an earlier
// valid one, and [Snapshot.Without] removes it. Assembling a snapshot
// leaves it out.
type rejected struct{}

// rejectable wraps the handler of a kind: when it stores nothing for an
// object (it rejected it), a [rejected] entry is stored in its place,
// named with the API group of apiVersion as the snapshot's objects are.
// Handlers run on shadow loaders only ([Loader.decodeAll]).
func rejectable(apiVersion string, h kindHandler) kindHandler {
	group := apiGroup(apiVersion)
	return func(l *Loader, c *decodeCtx, j []byte) {
		n := len(l.pending)
		h(l, c, j)
		if !l.shadow || l.bailed || len(l.pending) != n {
			return
		}
		ref := c.ref()
		ref.Group = group
		l.store(&loaded{ref: ref, obj: &rejected{}}, ref.Key())
	}
}

// apiGroup returns the Group of the [ObjectRef] of an object of
// apiVersion: set only for the kinds of several API groups.
func apiGroup(apiVersion string) string {
	group, _, _ := strings.Cut(apiVersion, "/")
	switch group {
	case CalicoGroup, "crd." + CalicoGroup:
		return CalicoGroup
	case GatewayGroup, OpenShiftGroup, MeshGroup, KyvernoGroup:
		return group
	}
	return ""
}

// storeRejectedDuplicate stores o under key when it or the object key
// holds already is a rejected one, in the same load (not replacing an
// object of the snapshot a [Snapshot.With] started from), and reports
// whether it did. A rejected object is no definition: it neither replaces
// an earlier object nor counts as a duplicate of a later one, as when it
// was not stored at all; its diagnostics are still reported.
func (l *Loader) storeRejectedDuplicate(o *loaded, key string) bool {
	prev, dup := l.objects[key]
	if !dup || l.replacing[key] {
		return false
	}
	if _, ok := prev.obj.(*rejected); ok {
		l.loose = append(l.loose, prev.diags...)
		l.objects[key] = o
		return true
	}
	if _, ok := o.obj.(*rejected); ok {
		l.loose = append(l.loose, o.diags...)
		return true
	}
	return false
}
