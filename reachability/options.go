package reachability

import (
	"strconv"

	"github.com/netreach/netreach/internal/enumtext"
	"github.com/netreach/netreach/internal/mesh"
	ipolicy "github.com/netreach/netreach/internal/policy"
	ireach "github.com/netreach/netreach/internal/reachability"
	"github.com/netreach/netreach/policy"
)

// Options are the switches of an analysis, each named after the CLI flag
// it matches. The zero value means the defaults, those of the CLI.
type Options struct {
	// Mode decides how the policy APIs combine (--mode); the zero value
	// is ModeAuto.
	Mode Mode
	// CalicoVersion selects the objects a Calico cluster understands in
	// calico mode (--calico-version): "3.28", "3.29", "3.30", "3.31",
	// "3.32" or "latest"; "" means "latest".
	CalicoVersion string
	// Staged says how Calico staged policies take part (--staged):
	// "enforced" (ignored, what the cluster enforces; the default for ""),
	// "calico-pending" (evaluated alongside) or "promote" (replacing their
	// enforced counterparts).
	Staged string
	// IPBlockMatchesPodIPs says whether Kubernetes NetworkPolicy ipBlock
	// peers also match pod addresses (--ipblock-matches-pod-ips): On by
	// default, as the upstream e2e tests and Calico do; Off for Cilium's
	// behaviour.
	IPBlockMatchesPodIPs Switch
	// OwnNodeEgressPoliced says whether a pod's egress policy applies to
	// its own node (--own-node-egress-policed): On by default, as Calico
	// does; Off lets a pod always reach its own node.
	OwnNodeEgressPoliced Switch
	// Mesh says whether the Istio service-mesh layer takes part (--mesh):
	// "auto" (the default for "": on when the snapshot holds Istio
	// AuthorizationPolicies or PeerAuthentications), "off" or "istio".
	Mesh string
	// MeshRootNamespace (--mesh-root-namespace) and MeshTrustDomain
	// (--mesh-trust-domain) configure the mesh layer; empty means
	// istio-system and cluster.local.
	MeshRootNamespace, MeshTrustDomain string
	// Incremental keeps what [Matrix.Update] needs to recompute only what
	// a change reaches: On by default. Off saves about a third of the
	// matrix's memory; Update then computes from scratch (and says so in
	// [Stats]).
	Incremental Switch
	// Workers bounds the parallelism of Compute; 0 means GOMAXPROCS.
	Workers int
	// Progress, when not nil, is called as the computation advances with
	// the rows evaluated so far and the total, and with done == total
	// before the final assembly. It is called from several goroutines, at
	// most a few hundred times, and must be cheap.
	Progress func(done, total int)
}

// internal returns the internal options, or an *policy.InvalidInputError
// for a value no flag accepts.
func (o Options) internal() (ireach.Options, error) {
	bad := func(field, value string, err error) (ireach.Options, error) {
		return ireach.Options{}, &policy.InvalidInputError{Op: "reachability: Options." + field, Reason: strconv.Quote(value) + ": " + err.Error()}
	}
	in := ireach.Options{
		Mode:                   ipolicy.Mode(o.Mode),
		IPBlockIgnoresPodIPs:   o.IPBlockMatchesPodIPs == Off,
		OwnNodeEgressUnpoliced: o.OwnNodeEgressPoliced == Off,
		KeepSides:              o.Incremental != Off,
		Workers:                o.Workers,
		MeshOptions:            mesh.Options{RootNamespace: o.MeshRootNamespace, TrustDomain: o.MeshTrustDomain},
		Progress:               o.Progress,
	}
	if o.Mode > ModeCalico {
		return bad("Mode", o.Mode.String(), errString("unknown mode"))
	}
	for i, s := range []Switch{o.IPBlockMatchesPodIPs, o.OwnNodeEgressPoliced, o.Incremental} {
		if s > Off {
			return bad([]string{"IPBlockMatchesPodIPs", "OwnNodeEgressPoliced", "Incremental"}[i], s.String(), errString("unknown switch"))
		}
	}
	var err error
	if o.CalicoVersion != "" {
		if in.CalicoVersion, err = ipolicy.ParseCalicoVersion(o.CalicoVersion); err != nil {
			return bad("CalicoVersion", o.CalicoVersion, err)
		}
	}
	if o.Staged != "" {
		if in.Staged, err = ipolicy.ParseStagedView(o.Staged); err != nil {
			return bad("Staged", o.Staged, err)
		}
	}
	if o.Mesh != "" {
		if in.Mesh, err = ireach.ParseMeshMode(o.Mesh); err != nil {
			return bad("Mesh", o.Mesh, err)
		}
	}
	return in, nil
}

// optionsFrom returns the public form of internal options.
func optionsFrom(in ireach.Options) Options {
	sw := func(on bool) Switch {
		if on {
			return On
		}
		return Off
	}
	return Options{Mode: Mode(in.Mode), CalicoVersion: in.CalicoVersion.String(), Staged: in.Staged.String(),
		IPBlockMatchesPodIPs: sw(!in.IPBlockIgnoresPodIPs), OwnNodeEgressPoliced: sw(!in.OwnNodeEgressUnpoliced),
		Mesh: in.Mesh.String(), MeshRootNamespace: in.MeshOptions.RootNamespace, MeshTrustDomain: in.MeshOptions.TrustDomain,
		Incremental: sw(in.KeepSides), Workers: in.Workers, Progress: in.Progress}
}

type errString string

func (e errString) Error() string { return string(e) }

// Switch is an on/off setting whose zero value means "the default", which
// the field's documentation gives.
type Switch uint8

// The values of a Switch.
const (
	Default Switch = iota
	On
	Off
)

// String returns "default", "on" or "off".
func (s Switch) String() string {
	switch s {
	case Default:
		return "default"
	case On:
		return "on"
	case Off:
		return "off"
	}
	return "Switch(" + strconv.Itoa(int(s)) + ")"
}

// MarshalText returns the String form.
func (s Switch) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText reads what MarshalText writes.
func (s *Switch) UnmarshalText(b []byte) error { return enumtext.Unmarshal(s, b, Default, On, Off) }

// Mode decides how the policy APIs combine, because a real cluster runs
// one enforcement engine.
type Mode uint8

// Modes.
const (
	// ModeAuto is ModeCalico when the snapshot has any projectcalico.org
	// object, ModeKubernetes otherwise.
	ModeAuto Mode = iota
	// ModeKubernetes evaluates the Kubernetes APIs (NetworkPolicy,
	// AdminNetworkPolicy, BaselineAdminNetworkPolicy,
	// ClusterNetworkPolicy) as kube-proxy-era plugins do; Calico objects
	// are ignored.
	ModeKubernetes
	// ModeCalico flattens every API into Calico's tiers, as Calico does.
	ModeCalico
)

// String returns "auto", "k8s" or "calico", the values of --mode.
func (m Mode) String() string { return ipolicy.Mode(m).String() }

// MarshalText returns the String form.
func (m Mode) MarshalText() ([]byte, error) { return []byte(m.String()), nil }

// UnmarshalText reads what MarshalText writes.
func (m *Mode) UnmarshalText(b []byte) error {
	return enumtext.Unmarshal(m, b, ModeAuto, ModeKubernetes, ModeCalico)
}
