package reachability

import (
	"fmt"
	"strings"

	"github.com/netreach/netreach/internal/mesh"
	"github.com/netreach/netreach/internal/policy"
)

// Options are the switches of an analysis. The zero value means the
// defaults documented on each field.
type Options struct {
	// Mode decides how the policy APIs combine; the zero value is
	// policy.ModeAuto.
	Mode policy.Mode
	// IPBlockIgnoresPodIPs makes Kubernetes NetworkPolicy ipBlock peers
	// match only addresses outside the pod network (Cilium's behaviour).
	// The default (false) lets them match pod IPs, as the upstream e2e
	// tests and Calico do [docs/semantics.md §2.6].
	IPBlockIgnoresPodIPs bool
	// OwnNodeEgressUnpoliced lets a pod always reach its own node
	// (host-network pods on it), as the Kubernetes documentation's intro
	// says. The default (false) applies the pod's egress policy, as
	// Calico does [docs/semantics.md §2.9].
	OwnNodeEgressUnpoliced bool
	// CalicoVersion selects the objects a Calico cluster understands (calico
	// mode); the zero value is 3.32 and later.
	CalicoVersion policy.CalicoVersion
	// Staged says how Calico staged policies take part; the zero value
	// ignores them (what the cluster enforces).
	Staged policy.StagedView
	// Workers bounds the parallelism of Compute; 0 means GOMAXPROCS.
	Workers int
	// KeepSides keeps what [Update] needs to recompute only what a change
	// reaches: the ingress rows besides their transpose, the compiled
	// policies and the classes' keys. The matrix then takes about 1.6
	// times the memory (11.5 MB instead of 7.1 at 10,000 pods). Update on
	// a matrix computed without it computes from scratch (and says so in
	// Stats().Update); its result keeps them.
	KeepSides bool
	// Mesh says whether the Istio service-mesh layer takes part; the zero
	// value turns it on when the snapshot holds Istio security objects
	// [docs/mesh.md §5].
	Mesh MeshMode
	// MeshOptions configures the mesh layer (root namespace, trust
	// domain).
	MeshOptions mesh.Options
	// HostEndpoints overrides the Felix settings of Calico host endpoints
	// (failsafe ports, defaultEndpointToHostAction) that FelixConfiguration
	// objects or Felix's defaults give (docs/calico-host-endpoints.md §5).
	HostEndpoints policy.HostOptions

	// portCuts are the port ranges a DerivedLayer needs as atoms of their own
	// (see ComputeWith).
	portCuts []PortRange

	// Progress, when not nil, is called as the computation advances, with
	// the rows evaluated so far and the total, and with done == total
	// before the final assembly. It is called from several goroutines, at
	// most a few hundred times, and must be cheap.
	Progress func(done, total int)
}

// IPBlockMatchesPodIPs reports whether ipBlock peers match pod addresses,
// the switch the CLI and [Options.Describe] call ipBlockMatchesPodIPs
// (the negation of the field IPBlockIgnoresPodIPs, whose zero value is
// the default).
func (o Options) IPBlockMatchesPodIPs() bool { return !o.IPBlockIgnoresPodIPs }

// OwnNodeEgressPoliced reports whether a pod's egress policy applies to
// its own node, the switch the CLI and [Options.Describe] call
// ownNodeEgressPoliced (the negation of the field OwnNodeEgressUnpoliced).
func (o Options) OwnNodeEgressPoliced() bool { return !o.OwnNodeEgressUnpoliced }

// Describe returns the options as "key=value" pairs, for echoing with
// every result. mode is the resolved mode. The mesh layer is described
// when Mesh is MeshIstio or MeshOff (a matrix describes its resolved
// mesh mode: see [Matrix.Describe]).
func (o Options) Describe(mode policy.Mode) string {
	parts := []string{"mode=" + mode.String()}
	if mode == policy.ModeCalico {
		parts = append(parts, "calicoVersion="+o.CalicoVersion.String())
	}
	parts = append(parts, "staged="+o.Staged.String(),
		fmt.Sprintf("ipBlockMatchesPodIPs=%t", o.IPBlockMatchesPodIPs()),
		fmt.Sprintf("ownNodeEgressPoliced=%t", o.OwnNodeEgressPoliced()),
		"ownNodeIngress=allowed",
		"hostNetworkPods=node",
		"self=allowed",
	)
	if h := o.HostEndpoints; h.FailsafeInbound != nil || h.FailsafeOutbound != nil || h.EndpointToHost != nil {
		parts = append(parts, describeHostOptions(h))
	}
	switch o.Mesh {
	case MeshIstio:
		parts = append(parts, "mesh=istio", o.MeshOptions.Describe())
	case MeshOff:
		parts = append(parts, "mesh=off")
	}
	return strings.Join(parts, " ")
}
