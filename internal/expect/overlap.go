package expect

import (
	"fmt"

	"github.com/netreach/netreach/internal/policy"
)

// portsOverlap reports whether two port entries share a port: the same
// protocol and intersecting ranges, or the same container port name on
// protocols that can be the same.
func portsOverlap(a, b Port) bool {
	sameProto := a.Protocol == b.Protocol || a.Protocol == policy.AnyProtocol || b.Protocol == policy.AnyProtocol
	switch {
	case !sameProto:
		return false
	case a.Name != "" || b.Name != "":
		// A name resolves per destination: only the same name is known
		// to overlap.
		return a.Name == b.Name
	case !a.Protocol.HasPorts():
		return true
	}
	return a.Lo <= b.Hi && b.Lo <= a.Hi
}

// listsOverlap reports whether two rules' port lists share a port; an
// empty list means every port.
func listsOverlap(a, b []Port) bool {
	if len(a) == 0 || len(b) == 0 {
		return true
	}
	for _, x := range a {
		for _, y := range b {
			if portsOverlap(x, y) {
				return true
			}
		}
	}
	return false
}

// checkPortOverlaps reports entries of one ports list that overlap an
// earlier entry: a list names each port once. index maps an entry of ports
// to its position in the file's list.
func (p *parser) checkPortOverlaps(at string, ports []Port, index []int) {
	for j := range ports {
		for i := 0; i < j; i++ {
			if portsOverlap(ports[i], ports[j]) {
				p.valueErrorf(fmt.Sprintf("%s[%d]", at, index[j]), "%s overlaps %s[%d] (%s): list each port once", ports[j], at, index[i], ports[i])
				break
			}
		}
	}
}

// checkContradictions reports a rule that expects the opposite of an
// earlier rule for the same selections and overlapping ports: one of the
// two would fail on every matrix, whatever the policies say.
func (p *parser) checkContradictions(rules []*Rule, at []string) {
	for j, b := range rules {
		if b.Kind == Isolate {
			continue
		}
		for i, a := range rules[:j] {
			if a.Kind == Isolate || a.Kind == b.Kind || a.From.String() != b.From.String() || a.To.String() != b.To.String() {
				continue
			}
			if listsOverlap(a.Ports, b.Ports) {
				p.rule = b.Name
				p.valueErrorf(at[j]+".expect", "contradicts rule %q (%s): the same flows from %s to %s cannot be both allowed and denied", a.Name, at[i], a.From, a.To)
				p.rule = ""
				break
			}
		}
	}
}
