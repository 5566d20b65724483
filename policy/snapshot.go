package policy

import (
	"github.com/netreach/netreach/internal/bridge"
	ipolicy "github.com/netreach/netreach/internal/policy"
)

// Snapshot is a loaded, validated set of Kubernetes and Calico objects:
// pods (or workloads), namespaces, services and every policy kind, with
// the diagnostics found while reading them. A Snapshot never changes once
// made; With and Without return new ones. It is safe for concurrent use.
type Snapshot struct {
	s *ipolicy.Snapshot
}

func wrap(s *ipolicy.Snapshot) *Snapshot {
	if s == nil {
		return nil
	}
	return &Snapshot{s: s}
}

func init() {
	bridge.Snapshot = func(x any) *ipolicy.Snapshot {
		if s, _ := x.(*Snapshot); s != nil {
			return s.s
		}
		return nil
	}
	bridge.WrapSnapshot = func(s *ipolicy.Snapshot) any { return wrap(s) }
	bridge.PolicyError = publicError
	bridge.ObjectRef = func(r ipolicy.ObjectRef) any { return refFrom(r) }
	bridge.RuleRef = func(r ipolicy.RuleRef) any { return ruleFrom(r) }
	bridge.Location = func(l ipolicy.Location) any { return locFrom(l) }
	bridge.Diagnostics = func(ds ipolicy.Diagnostics) any { return diagsFrom(ds) }
}
