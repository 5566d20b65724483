package reachability

import (
	"maps"
	"reflect"
	"slices"

	"github.com/netreach/netreach/internal/policy"
)

// inventoryChanges is what differs between the inventories of two
// snapshots, as far as the engine reads them. Objects are matched by
// kind, namespace and name; an object that is the same pointer in both is
// unchanged without looking further, so that a snapshot derived from
// another one ([policy.Snapshot.Apply]) is compared in time linear in its
// size with no deep comparison but of the objects it replaced.
type inventoryChanges struct {
	// oldEndpoint[i] is the index in the old snapshot of new endpoint i
	// when it is unchanged, else -1.
	oldEndpoint []int
	// endpoints counts endpoints added, removed or modified.
	endpoints int
	// namespaces are the namespaces whose labels differ (added and removed
	// ones included); serviceAccounts the service accounts, as ns/name.
	namespaces      map[string]bool
	serviceAccounts map[string]bool
	// nodes and services count the nodes and services that differ.
	nodes, services int
}

// diffInventory compares the inventory of two snapshots.
func diffInventory(a, b *policy.Snapshot) *inventoryChanges {
	ch := &inventoryChanges{oldEndpoint: make([]int, len(b.Endpoints))}
	for i := range ch.oldEndpoint {
		ch.oldEndpoint[i] = -1
	}
	matched := 0
	diffRefs(a.Endpoints, b.Endpoints, func(x *policy.Endpoint) *policy.ObjectRef { return &x.ObjectRef }, func(i, j int) {
		if j >= 0 && i >= 0 && (a.Endpoints[i] == b.Endpoints[j] || reflect.DeepEqual(a.Endpoints[i], b.Endpoints[j])) {
			ch.oldEndpoint[j] = i
			matched++
		}
	})
	ch.endpoints = len(a.Endpoints) + len(b.Endpoints) - 2*matched
	ch.namespaces = map[string]bool{}
	diffRefs(a.Namespaces, b.Namespaces, func(x *policy.Namespace) *policy.ObjectRef { return &x.ObjectRef }, func(i, j int) {
		switch {
		case i < 0:
			ch.namespaces[b.Namespaces[j].Name] = true
		case j < 0:
			ch.namespaces[a.Namespaces[i].Name] = true
		case a.Namespaces[i] != b.Namespaces[j] && !maps.Equal(a.Namespaces[i].Labels, b.Namespaces[j].Labels):
			ch.namespaces[b.Namespaces[j].Name] = true
		}
	})
	ch.serviceAccounts = map[string]bool{}
	diffRefs(a.ServiceAccounts, b.ServiceAccounts, func(x *policy.ServiceAccount) *policy.ObjectRef { return &x.ObjectRef }, func(i, j int) {
		var sa *policy.ServiceAccount
		switch {
		case i < 0:
			sa = b.ServiceAccounts[j]
		case j < 0:
			sa = a.ServiceAccounts[i]
		case a.ServiceAccounts[i] != b.ServiceAccounts[j] && !maps.Equal(a.ServiceAccounts[i].Labels, b.ServiceAccounts[j].Labels):
			sa = b.ServiceAccounts[j]
		}
		if sa != nil {
			ch.serviceAccounts[sa.Namespace+"/"+sa.Name] = true
		}
	})
	diffRefs(a.Nodes, b.Nodes, func(x *policy.Node) *policy.ObjectRef { return &x.ObjectRef }, func(i, j int) {
		if i < 0 || j < 0 || a.Nodes[i] != b.Nodes[j] && !reflect.DeepEqual(a.Nodes[i], b.Nodes[j]) {
			ch.nodes++
		}
	})
	diffRefs(a.Services, b.Services, func(x *policy.Service) *policy.ObjectRef { return &x.ObjectRef }, func(i, j int) {
		if i < 0 || j < 0 || a.Services[i] != b.Services[j] && !reflect.DeepEqual(a.Services[i], b.Services[j]) {
			ch.services++
		}
	})
	return ch
}

// nodesDiffer reports whether the nodes differ in anything but labels:
// their names or addresses.
func nodesDiffer(a, b *policy.Snapshot) bool {
	return !slices.EqualFunc(a.Nodes, b.Nodes, func(x, y *policy.Node) bool {
		return x == y || x.Name == y.Name && slices.Equal(x.Addresses, y.Addresses)
	})
}

// diffRefs pairs the objects of two lists by kind, namespace and name,
// calling pair(i, j) for every object of either list: i and j are its
// indexes in a and b, -1 where it is missing. The lists are merged in one
// pass, in snapshot order; runs of the very same objects are skipped
// without comparing names. (Lists out of order only make objects look
// removed and added, which costs time, never exactness.)
func diffRefs[T comparable](a, b []T, ref func(T) *policy.ObjectRef, pair func(i, j int)) {
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		switch {
		case i < len(a) && j < len(b) && a[i] == b[j]:
			pair(i, j)
			i++
			j++
		case j == len(b) || i < len(a) && refBefore(ref(a[i]), ref(b[j])):
			pair(i, -1)
			i++
		case i == len(a) || refBefore(ref(b[j]), ref(a[i])):
			pair(-1, j)
			j++
		default:
			pair(i, j)
			i++
			j++
		}
	}
}

// refBefore orders object references as snapshots sort them: namespace,
// name, kind (then group, so that the order is total).
func refBefore(a, b *policy.ObjectRef) bool {
	switch {
	case a.Namespace != b.Namespace:
		return a.Namespace < b.Namespace
	case a.Name != b.Name:
		return a.Name < b.Name
	case a.Kind != b.Kind:
		return a.Kind < b.Kind
	}
	return a.Group < b.Group
}

// endpointFacts counts the endpoints of a snapshot that change how it is
// computed, so that an update finds them without visiting every endpoint
// again: a pass over 150,000 endpoints costs milliseconds in cache misses.
type endpointFacts struct {
	host    int // Calico host endpoints
	hostNet int // host-network endpoints
	pooled  int // pods without an address placed in IP pools (see pool.go)
	ranged  int // endpoints without an address that have pool ranges
	v6      int // endpoints with an IPv6 address
}

// factsOf counts the facts of every endpoint of s. It is O(endpoints).
func factsOf(s *policy.Snapshot) endpointFacts {
	var f endpointFacts
	for _, e := range s.Endpoints {
		f.add(e, 1)
	}
	return f
}

func (f *endpointFacts) add(e *policy.Endpoint, n int) {
	if e.Host != nil {
		f.host += n
	}
	if e.HostNetwork {
		f.hostNet += n
	}
	if len(e.IPs) == 0 && len(e.PoolRanges) > 0 {
		f.ranged += n
		if !e.HostNetwork {
			f.pooled += n
		}
	}
	if _, ok := e.IP(6); ok {
		f.v6 += n
	}
}

// update returns the facts of b from f, those of a, visiting only the
// endpoints that differ (ch compares a with b). It is O(endpoints) without
// looking into the unchanged ones.
func (f endpointFacts) update(a, b *policy.Snapshot, ch *inventoryChanges) endpointFacts {
	if ch.endpoints == 0 {
		return f
	}
	kept := make([]bool, len(a.Endpoints))
	for i, o := range ch.oldEndpoint {
		if o >= 0 {
			kept[o] = true
		} else {
			f.add(b.Endpoints[i], 1)
		}
	}
	for i, ok := range kept {
		if !ok {
			f.add(a.Endpoints[i], -1)
		}
	}
	return f
}
