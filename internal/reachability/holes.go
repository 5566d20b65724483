package reachability

import (
	"maps"
	"slices"

	"github.com/netreach/netreach/internal/policy"
)

// Class numbers stay stable across updates: when a class loses its last
// member its slot becomes a hole (class.hole), and a new class takes the
// lowest hole, or slots appended after the last class when there is none.
// Kept rows are then not renumbered and the transposed rows are patched,
// not rebuilt: a new class in a hole is a column evaluated again, like the
// classes of a relabelled namespace.
//
// A hole keeps its last class's representative, rows and column, which
// nothing reads: no endpoint is in it, [Matrix.ClassGraph] clears it, and
// an update neither evaluates its rows nor lists the policies that apply
// to it. Appending classes moves the external atoms' columns, so every row
// is renumbered once; holes are appended along with them as room for the
// next new classes (growSlack). When holes make up more than a fraction of
// the slots (tooManyHoles), the classes are numbered anew (compacted), as
// Compute numbers them; Stats().Update.Renumbered says so, and why.

// RenumberReason is why [Update] numbered the endpoint classes anew,
// renumbering every kept row. The values are stable strings.
type RenumberReason string

// Reasons for numbering the classes anew.
const (
	// RenumberHoles: classes that lost their last member left more holes
	// than a quarter of the class slots.
	RenumberHoles RenumberReason = "holes"
	// RenumberKeys: the external atoms or what classes are told apart by
	// (label keys selectors read, named ports rules use, ...) changed, so
	// every endpoint was classified anew.
	RenumberKeys RenumberReason = "keys"
)

// holeLimit is the number of holes that classes keep at most when they
// keep their numbers, for a number of class slots: a quarter of them, and
// at least 16. A variable for tests.
var holeLimit = func(slots int) int { return max(16, slots/4) }

// growSlack is the number of holes appended with new classes when no hole
// is free, for the previous number of slots: 1/64 of them, so that a
// stream of new classes renumbers the rows once every slots/64 classes. A
// variable for tests.
var growSlack = func(slots int) int { return slots / 64 }

// withRoom appends growSlack holes to the classes Compute built for
// Update (Options.KeepSides), copies of the last class, so that the first
// new classes fill them instead of moving the external atoms' columns.
// Snapshots that Update always computes in full (Calico host endpoints,
// pods placed in IP pools) get none.
func withRoom(classes []class, keys []string, f *endpointFacts) ([]class, []string) {
	n := growSlack(len(classes))
	if n == 0 || f.host > 0 || f.pooled > 0 {
		return classes, keys
	}
	last := classes[len(classes)-1]
	last.hole = true
	for range n {
		classes = append(classes, last)
		keys = append(keys, "")
	}
	return classes, keys
}

// holes returns the number of holes among the classes. It is O(classes).
func (u *universe) holes() int {
	n := 0
	for i := range u.classes {
		if u.classes[i].hole {
			n++
		}
	}
	return n
}

// stableClasses numbers the classes of the new snapshot keeping the
// previous numbers: tags[i] is the previous class of endpoint i (≥ 0) or
// -1-k for the k-th new key of newKeyList. Classes that lost their last
// member become holes; new classes fill the lowest holes, then slots
// appended after the last class (with growSlack more holes). It reports
// false, and changes nothing, when more holes than holeLimit would remain.
func (u *updater) stableClasses(kr *classKeyer, tags []int, newKeyList []string) bool {
	pe, e, eps := u.pe, u.e, u.snap.Endpoints
	nOld := pe.u.nC
	first := make([]int32, nOld) // first member of each previous class, -1: none
	for c := range first {
		first[c] = -1
	}
	firstNew := make([]int32, len(newKeyList))
	for k := range firstNew {
		firstNew[k] = -1
	}
	for i, tg := range tags {
		if tg >= 0 {
			if first[tg] < 0 {
				first[tg] = int32(i)
			}
		} else if k := -1 - tg; firstNew[k] < 0 {
			firstNew[k] = int32(i)
		}
	}
	var free []int
	for c, f := range first {
		if f < 0 {
			free = append(free, c)
		}
	}
	nNew := len(newKeyList)
	appended, slack := max(0, nNew-len(free)), 0
	if appended > 0 {
		slack = growSlack(nOld)
	}
	nC := nOld + appended + slack
	if holes := len(free) - min(len(free), nNew) + slack; holes > holeLimit(nC) {
		u.st.Update.Renumbered = RenumberHoles
		return false
	}
	slot := make([]int, nNew) // new key k's class
	for k := range slot {
		if k < len(free) {
			slot[k] = free[k]
		} else {
			slot[k] = nOld + k - len(free)
		}
	}
	classes := make([]class, nC)
	copy(classes, pe.u.classes)
	keys := make([]string, nC)
	copy(keys, pe.keys.list)
	u.parent = make([]int, nC)
	for c := range u.parent {
		u.parent[c] = -1
		if c < nOld {
			u.parent[c] = c
		}
	}
	for c, f := range first {
		switch {
		case f >= 0:
			classes[c].rep = eps[f] // the first member, as Compute picks
		case !classes[c].hole:
			classes[c].hole, classes[c].gen = true, pe.portsGen
			keys[c] = ""
			u.st.Update.ClassesRemoved++
		}
	}
	for k, c := range slot {
		ep := eps[firstNew[k]]
		_, a4, a6, _ := kr.key(ep)
		classes[c] = class{rep: ep, atom: [2]int{a4, a6}, v4: v4Capable(ep), host: ep.HostNetwork}
		keys[c] = newKeyList[k]
		u.parent[c] = -1
	}
	for c := nOld + appended; c < nC; c++ {
		// Room for the next new classes: copies of the last one appended,
		// so that they read like a class (see the type comment).
		classes[c] = classes[nOld+appended-1]
		classes[c].hole, classes[c].blank = true, true
	}
	u.st.Update.ClassesAdded = nNew
	u.reclassed = slot
	for c, f := range first {
		if f < 0 && !pe.u.classes[c].hole {
			u.vanished = append(u.vanished, c)
		}
	}
	u.classOf = make([]int, len(eps))
	for i, tg := range tags {
		if tg < 0 {
			tg = slot[-1-tg]
		}
		u.classOf[i] = tg
	}
	u.children = make([][]int, nOld)
	for c := range u.children {
		if u.parent[c] == c {
			u.children[c] = u.parent[c : c+1 : c+1]
		}
	}
	e.u.classes, e.keys = classes, &classKeys{list: keys}
	e.u.nC = nC
	e.u.nU = nC + len(e.u.atoms)
	// Every previous slot keeps its column (a filled hole's column is
	// evaluated again); appended slots have none.
	u.colMap = make([]int, e.u.nU)
	for c := range nC {
		u.colMap[c] = -1
		if c < nOld {
			u.colMap[c] = c
		}
	}
	if nNew == 0 && len(free) == pe.u.holes() {
		e.keys = pe.keys // the same classes: the same keys and index
	}
	return true
}

// filledAlike reports whether every new class that filled a hole reads, to
// the rows of other classes, as the hole's previous class did, but for its
// bits in the compiled sets and the named ports it declares: the same
// address families and external atoms of its addresses, the same host
// networking (and node, for a host-network class), no host endpoint, a
// hole whose column was evaluated (not blank) over the port atoms of now
// (none moved since the hole was made: port atoms leave holes out). A row
// whose policies have no peer set that changed at those classes, and (for
// egress rows) no rule naming a port they declare otherwise (namesMoved),
// then keeps their columns (columnsMoved). It is O(filled holes × named
// ports), and O(rules) when named ports moved.
func (u *updater) filledAlike() bool {
	if u.portsMoved {
		return false
	}
	u.namesMoved = map[string]bool{}
	for _, c := range u.reclassed {
		o, n := &u.pe.u.classes[c], &u.e.u.classes[c]
		if o.blank || o.gen != u.pe.portsGen || o.v4 != n.v4 || o.atom != n.atom || o.host != n.host ||
			n.host && o.rep.Node != n.rep.Node || o.rep.Host != nil || n.rep.Host != nil {
			return false
		}
		// Named ports that read otherwise: the egress rows of the policies
		// that name them are patched.
		for k, s := range u.e.named {
			if s.Has(c) != (u.pe.named[k] != nil && u.pe.named[k].Has(c)) {
				u.namesMoved[k.name] = true
			}
		}
		for k, s := range u.pe.named {
			if _, ok := u.e.named[k]; !ok && s.Has(c) {
				u.namesMoved[k.name] = true
			}
		}
	}
	if len(u.namesMoved) > 0 {
		u.namedPolicies = make([]bool, len(u.e.policies))
		for pi := range u.e.policies {
			for _, r := range u.e.policies[pi].rules[policy.Egress] {
				for _, pm := range slices.Concat(r.dstPorts, r.dstNot) {
					if u.namesMoved[pm.Name] {
						u.namedPolicies[pi] = true
					}
				}
			}
		}
	}
	return true
}

// sameNamedCuts reports whether the port atoms cut at the container ports
// of classes (named ports rules use) stay as they are: no class appeared
// or disappeared, or those that did have no such port but one at which the
// atoms are cut already. It is O(changed classes × ports).
func (u *updater) sameNamedCuts() bool {
	if u.st.Update.ClassesAdded+u.st.Update.ClassesRemoved == 0 {
		return true
	}
	if u.reclassed == nil && u.st.Update.ClassesAdded > 0 || len(u.vanished) < u.st.Update.ClassesRemoved {
		return false // numbered anew: the changed classes are not listed
	}
	t := u.e.tally
	for _, c := range u.vanished {
		for _, cp := range u.pe.u.classes[c].rep.Ports {
			if t.portNames[cp.Name] > 0 {
				return false
			}
		}
	}
	for _, c := range u.reclassed {
		for _, cp := range u.e.u.classes[c].rep.Ports {
			if t.portNames[cp.Name] > 0 && !slices.ContainsFunc(u.pe.ports, func(a PortAtom) bool {
				return a.Protocol == cp.Protocol && a.Lo == cp.Port && a.Hi == cp.Port
			}) {
				return false
			}
		}
	}
	return true
}

// reclass reads again every per-class datum of the given classes, which
// replace other classes in their slots (was holds the previous ones), on
// copies: the per-class data is shared with the compiler c was forked
// from.
func (c *compiler) reclass(slots []int, was []class) {
	if len(slots) == 0 {
		return
	}
	c.labels, c.nsLabels, c.saLabels = slices.Clone(c.labels), slices.Clone(c.nsLabels), slices.Clone(c.saLabels)
	c.podNet = slices.Clone(c.podNet)
	c.nsLabelsOf = maps.Clone(c.nsLabelsOf)
	c.nsNames = slices.Clone(c.nsNames)
	nsClasses := make(map[string][]int, len(c.nsClasses))
	for ns, l := range c.nsClasses {
		nsClasses[ns] = l
	}
	c.nsClasses = nsClasses
	c.byAtom = [2][][]int{} // built again on first use
	touched := map[string]bool{}
	edit := func(ns string) {
		if !touched[ns] {
			touched[ns] = true
			if _, ok := c.nsClasses[ns]; !ok {
				c.nsNames = append(c.nsNames, ns)
			}
			c.nsClasses[ns] = slices.Clone(c.nsClasses[ns])
		}
	}
	for _, i := range slots {
		if old := was[i].rep; old.Host == nil {
			edit(old.Namespace)
			c.nsClasses[old.Namespace] = slices.DeleteFunc(c.nsClasses[old.Namespace], func(x int) bool { return x == i })
		}
		c.podNet.Remove(i)
		cl := c.u.classes[i]
		e := cl.rep
		if !cl.v4 {
			c.v6 = true
		}
		c.nsLabels[i], c.saLabels[i] = nil, nil
		if e.Host != nil {
			c.labels[i] = e.CalicoLabels()
			continue
		}
		edit(e.Namespace)
		c.nsClasses[e.Namespace] = append(c.nsClasses[e.Namespace], i)
		c.readPod(i)
	}
	for ns := range touched {
		slices.Sort(c.nsClasses[ns])
	}
}
