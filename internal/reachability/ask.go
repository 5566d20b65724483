package reachability

import (
	"fmt"
	"iter"

	"go4.org/netipx"

	"github.com/netreach/netreach/internal/graph"
	"github.com/netreach/netreach/internal/policy"
)

// UnknownEndpointError reports a name or endpoint that a matrix does not
// have: no endpoint, address or derived entry of that name. Test for it
// with errors.As.
type UnknownEndpointError struct {
	// Name is the name as given ("namespace/name", an address), or the
	// endpoint's "namespace/name".
	Name string
}

// Error returns "unknown endpoint "name"".
func (e *UnknownEndpointError) Error() string {
	return fmt.Sprintf("reachability: unknown endpoint %q", e.Name)
}

// validCell reports whether src and dst are entries and p a port atom.
func (m *Matrix) validCell(src, dst, p int) bool {
	n := m.Len()
	return src >= 0 && dst >= 0 && src < n && dst < n && p >= 0 && p < len(m.ports)
}

// entryOf is EntryOf with an error for what it cannot resolve.
func (m *Matrix) entryOf(e Entity) (int, error) {
	if e.Endpoint == nil && !e.IP.IsValid() {
		return -1, &policy.InvalidInputError{Op: "reachability: flow", Reason: "an entity with neither endpoint nor address"}
	}
	i := m.EntryOf(e)
	if i < 0 {
		return -1, &UnknownEndpointError{Name: e.String()}
	}
	return i, nil
}

// entry resolves a name as [Matrix.Lookup] does, with an error for what
// it cannot resolve.
func (m *Matrix) entry(name string) (int, error) {
	i, ok := m.Lookup(name)
	if !ok || i < 0 {
		return -1, &UnknownEndpointError{Name: name}
	}
	return i, nil
}

// Query returns the verdict of a connection from the entry named from to
// the entry named to on port. A name is "namespace/name" of an endpoint,
// an address (the endpoint that owns it, else the external range holding
// it) or the name of a derived entry, as [Matrix.Lookup] reads it. An
// unknown name is an [*UnknownEndpointError]; Query never answers for an
// endpoint it cannot resolve. A protocol no policy can restrict (see
// [Matrix.PortAtomIndex]) is Allow. Query costs O(log endpoints) for names,
// O(endpoints) for addresses.
func (m *Matrix) Query(from, to string, port Port) (Verdict, error) {
	src, err := m.entry(from)
	if err != nil {
		return Deny, err
	}
	dst, err := m.entry(to)
	if err != nil {
		return Deny, err
	}
	p := m.PortAtomIndex(port.Protocol, port.Number)
	if p < 0 {
		return Allow, nil
	}
	return m.At(src, dst, p), nil
}

// Entries iterates over the entries in order: index and name (see
// [Matrix.Name]).
func (m *Matrix) Entries() iter.Seq2[int, string] {
	return func(yield func(int, string) bool) {
		for i := range m.Len() {
			if !yield(i, m.Name(i)) {
				return
			}
		}
	}
}

// Reachers iterates over the entries that can open a connection to at
// least one entry of sel on some of ports, by name, each with the
// connections it can open to the selection (the union over the selected
// entries; a pod reaching only itself does not count). Only connections
// allowed for sure count, not [Conditional] ones. Entries come in matrix
// order. An invalid selection is an [*policy.InvalidInputError]; a
// selection that picks nothing yields nothing. Reachers costs
// O(port atoms × (selected classes × universe + entries)).
func (m *Matrix) Reachers(sel Selection, ports Connections) (iter.Seq2[string, Connections], error) {
	return m.reach(sel, ports, false)
}

// Reachable iterates over the entries that at least one entry of sel can
// open a connection to on some of ports, by name, each with the
// connections the selection can open to it. It is the mirror of
// [Matrix.Reachers] and costs the same.
func (m *Matrix) Reachable(sel Selection, ports Connections) (iter.Seq2[string, Connections], error) {
	return m.reach(sel, ports, true)
}

// selected returns the entries sel picks, grouped by row of the class
// matrices: entries of one group have the same verdicts with every
// other entry.
func (m *Matrix) selected(sel Selection) [][]int {
	groups := map[int][]int{}
	var order []int
	add := func(key, i int) {
		if _, ok := groups[key]; !ok {
			order = append(order, key)
		}
		groups[key] = append(groups[key], i)
	}
	nE := m.NumEndpoints()
	for i := range nE {
		if sel.MatchesEndpoint(m.Endpoint(i)) {
			add(m.universeIndex(i), i)
		}
	}
	if pfx, ok := sel.Prefix(); ok {
		for i := nE; i < m.Len(); i++ {
			a, isAtom := m.ExternalAtom(i)
			if isAtom && a.Range.Overlaps(netipx.RangeOfPrefix(pfx)) {
				add(-1-i, i) // each atom alone
			}
		}
	}
	out := make([][]int, 0, len(order))
	for _, k := range order {
		out = append(out, groups[k])
	}
	return out
}

func (m *Matrix) reach(sel Selection, ports Connections, forward bool) (iter.Seq2[string, Connections], error) {
	if !sel.IsValid() {
		return nil, &policy.InvalidInputError{Op: "reachability: Reachers", Reason: "the zero Selection selects nothing; use ParseSelection"}
	}
	scope := m.ConnectionScope()
	groups := m.selected(sel)
	n := m.Len()
	hit := make([]graph.Set, len(m.ports)) // per port atom: the entries that reach (are reached by) the selection
	for p := range m.ports {
		one := p
		if connectionsOf(m.ports, scope, func(q int) bool { return q == one }).Intersect(ports).IsEmpty() {
			continue
		}
		acc := graph.NewSet(n)
		for _, g := range groups {
			rep := g[0]
			var line graph.Set
			if forward {
				line = m.Row(rep, p)
			} else {
				line = m.Column(rep, p)
			}
			if !m.reachesOtherMember(g, p) {
				line.Remove(rep) // rep reaches no other member of its group: only itself
			}
			acc.Or(line)
		}
		hit[p] = acc
	}
	seq := func(yield func(string, Connections) bool) {
		for i := range n {
			c := connectionsOf(m.ports, scope, func(p int) bool { return hit[p] != nil && hit[p].Has(i) }).Intersect(ports)
			if c.IsEmpty() {
				continue
			}
			if !yield(m.Name(i), c) {
				return
			}
		}
	}
	return seq, nil
}

// reachesOtherMember reports whether the first entry of a group of
// same-class entries is connected on port atom p with another entry of
// the group (the verdict is the same in both directions within a class).
func (m *Matrix) reachesOtherMember(g []int, p int) bool {
	return len(g) > 1 && m.At(g[0], g[1], p) == Allow
}
