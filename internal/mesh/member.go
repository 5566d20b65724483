package mesh

import (
	"sort"
	"strconv"
	"strings"

	"github.com/netreach/netreach/internal/policy"
)

// Options configures a [Model]. The zero value gives Istio's defaults.
type Options struct {
	// RootNamespace is the mesh's root namespace: AuthorizationPolicies
	// and PeerAuthentications there apply mesh-wide. Empty means
	// istio-system.
	RootNamespace string
	// TrustDomain is the trust domain of the mesh's identities. Empty
	// means cluster.local.
	TrustDomain string
}

// Defaults of [Options].
const (
	DefaultRootNamespace = "istio-system"
	DefaultTrustDomain   = "cluster.local"
)

func (o Options) withDefaults() Options {
	if o.RootNamespace == "" {
		o.RootNamespace = DefaultRootNamespace
	}
	if o.TrustDomain == "" {
		o.TrustDomain = DefaultTrustDomain
	}
	return o
}

// Describe returns the options as "key=value" pairs, for the options line
// every output prints.
func (o Options) Describe() string {
	o = o.withDefaults()
	return "meshRootNamespace=" + o.RootNamespace + " meshTrustDomain=" + o.TrustDomain
}

// Dataplane says how an endpoint takes part in the mesh.
type Dataplane uint8

// Data planes.
const (
	// NoDataplane: not in the mesh; its traffic is plaintext and nothing
	// enforces mesh policy in front of it.
	NoDataplane Dataplane = iota
	// Sidecar: an Envoy sidecar (istio-proxy) intercepts its traffic.
	Sidecar
	// Ambient: the node's ztunnel (and optionally a waypoint) handles its
	// traffic.
	Ambient
)

// String returns "none", "sidecar" or "ambient".
func (d Dataplane) String() string {
	switch d {
	case Sidecar:
		return "sidecar"
	case Ambient:
		return "ambient"
	}
	return "none"
}

// MarshalText returns the data plane's name.
func (d Dataplane) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// Waypoint names the waypoint proxy an ambient endpoint's inbound mesh
// traffic goes through.
type Waypoint struct {
	Namespace, Name string
}

// String returns "namespace/name".
func (w Waypoint) String() string { return w.Namespace + "/" + w.Name }

// Member is an endpoint's place in the mesh.
type Member struct {
	Dataplane Dataplane
	// Revision is the control plane revision of its proxy ("default"
	// unless an istio.io/rev label says otherwise).
	Revision string
	// Waypoint is set for an ambient endpoint that uses a waypoint.
	Waypoint *Waypoint
	// Why says which label, annotation or container decided.
	Why string
	// included and excluded are the inbound ports the proxy captures
	// (nil included: all) and does not.
	included, excluded map[uint16]bool
	bypassInbound      bool
}

// Captures reports whether the member's proxy intercepts inbound
// connections on proto/port: only TCP is proxied, and a sidecar skips the ports its
// traffic.sidecar.istio.io/includeInboundPorts and excludeInboundPorts
// annotations leave out [docs/mesh.md §1.7].
func (m Member) Captures(proto policy.Protocol, port uint16) bool {
	if m.Dataplane == NoDataplane || proto != policy.TCP || m.bypassInbound {
		return false
	}
	if m.included != nil && !m.included[port] {
		return false
	}
	return !m.excluded[port]
}

// String describes the member: "sidecar (revision default)",
// "ambient via waypoint ns/wp", "none".
func (m Member) String() string {
	switch m.Dataplane {
	case Sidecar:
		return "sidecar (revision " + m.Revision + ")"
	case Ambient:
		if m.Waypoint != nil {
			return "ambient via waypoint " + m.Waypoint.String()
		}
		return "ambient"
	}
	return "none"
}

// Key returns a string that is equal for two members the mesh treats
// alike (for grouping endpoints into classes).
func (m Member) Key() string {
	var b strings.Builder
	b.WriteString(m.Dataplane.String())
	b.WriteByte('|')
	b.WriteString(m.Revision)
	b.WriteByte('|')
	if m.Waypoint != nil {
		b.WriteString(m.Waypoint.String())
	}
	b.WriteByte('|')
	b.WriteString(strconv.FormatBool(m.bypassInbound))
	b.WriteString(portSetKey(m.included, "*"))
	b.WriteString(portSetKey(m.excluded, ""))
	return b.String()
}

func portSetKey(s map[uint16]bool, nilText string) string {
	if s == nil {
		return "|" + nilText
	}
	ports := make([]int, 0, len(s))
	for p := range s {
		ports = append(ports, int(p))
	}
	sort.Ints(ports)
	var b strings.Builder
	b.WriteByte('|')
	for _, p := range ports {
		b.WriteString(strconv.Itoa(p))
		b.WriteByte(',')
	}
	return b.String()
}

// Labels and annotations that decide membership.
const (
	labelInjection    = "istio-injection"
	labelRevision     = "istio.io/rev"
	labelInject       = "sidecar.istio.io/inject"
	annotationInject  = "sidecar.istio.io/inject"
	annotationStatus  = "sidecar.istio.io/status"
	labelDataplane    = "istio.io/dataplane-mode"
	labelUseWaypoint  = "istio.io/use-waypoint"
	labelWaypointNS   = "istio.io/use-waypoint-namespace"
	annotationInclude = "traffic.sidecar.istio.io/includeInboundPorts"
	annotationExclude = "traffic.sidecar.istio.io/excludeInboundPorts"
	annotationBypass  = "ambient.istio.io/bypass-inbound-capture"
	defaultRevision   = "default"
)

// member decides an endpoint's place in the mesh [docs/mesh.md §1].
func (m *Model) member(e *policy.Endpoint) Member {
	ns := m.namespaceLabels(e.Namespace)
	if e.HostNetwork {
		return Member{Why: "host-network pods are never in the mesh"}
	}
	rev := e.Labels[labelRevision]
	if rev == "" {
		rev = defaultRevision
	}
	// An injected pod shows its sidecar: the istio-proxy container, or the
	// injector's status annotation.
	if e.IstioProxy {
		return m.sidecar(e, rev, "it has the istio-proxy container")
	}
	if e.MeshAnnotations[annotationStatus] != "" {
		return m.sidecar(e, rev, "it carries the sidecar.istio.io/status annotation of an injected pod")
	}
	r, why, ok := injected(e, ns)
	if ok {
		return m.sidecar(e, r, why)
	}
	// Ambient: the pod's istio.io/dataplane-mode label wins over its
	// namespace's; sidecar injection wins over both [docs/mesh.md §1.4].
	switch pod, nsMode := e.Labels[labelDataplane], ns[labelDataplane]; {
	case pod == "none":
		return Member{Why: "pod label istio.io/dataplane-mode=none"}
	case pod == "ambient" || (pod == "" && nsMode == "ambient"):
		why := "pod label istio.io/dataplane-mode=ambient"
		if pod == "" {
			why = "namespace label istio.io/dataplane-mode=ambient"
		}
		if r := ns[labelRevision]; e.Labels[labelRevision] == "" && r != "" {
			rev = r
		}
		mb := Member{Dataplane: Ambient, Revision: rev, Why: why, bypassInbound: strings.EqualFold(e.MeshAnnotations[annotationBypass], "true")}
		mb.Waypoint = m.waypointOf(e, ns)
		return mb
	}
	if why == "" {
		why = "no injection or ambient label applies"
	}
	return Member{Why: why}
}

// sidecar returns a sidecar member with the inbound ports its annotations
// capture.
func (m *Model) sidecar(e *policy.Endpoint, rev, why string) Member {
	mb := Member{Dataplane: Sidecar, Revision: rev, Why: why}
	if v, ok := e.MeshAnnotations[annotationInclude]; ok && strings.TrimSpace(v) != "*" {
		mb.included = parsePortList(v)
	}
	if v, ok := e.MeshAnnotations[annotationExclude]; ok {
		mb.excluded = parsePortList(v)
	}
	return mb
}

// parsePortList reads a comma-separated list of ports; entries that are
// not ports are skipped.
func parsePortList(s string) map[uint16]bool {
	out := map[uint16]bool{}
	for _, f := range strings.Split(s, ",") {
		if n, err := strconv.ParseUint(strings.TrimSpace(f), 10, 16); err == nil && n > 0 {
			out[uint16(n)] = true
		}
	}
	return out
}

// injected decides automatic sidecar injection as the injector's webhooks
// do [docs/mesh.md §1.3]:
// which webhook (if any) sees the pod depends on the namespace labels
// istio-injection and istio.io/rev and the pod labels istio.io/rev and
// sidecar.istio.io/inject; a pod label (or, without one, the annotation)
// sidecar.istio.io/inject other than true opts the pod out. It returns the
// revision, and why (also when the pod is not injected).
func injected(e *policy.Endpoint, ns map[string]string) (rev, why string, ok bool) {
	switch e.Namespace {
	case "kube-system", "kube-public":
		return "", "the injector never injects into " + e.Namespace, false
	}
	podInject, hasPodInject := e.Labels[labelInject]
	nsInject, hasNsInject := ns[labelInjection]
	switch {
	case hasNsInject:
		if nsInject != "enabled" {
			return "", "namespace label istio-injection=" + nsInject, false
		}
		rev, why = defaultRevision, "namespace label istio-injection=enabled"
	case ns[labelRevision] != "":
		rev, why = ns[labelRevision], "namespace label istio.io/rev="+ns[labelRevision]
	case e.Labels[labelRevision] != "":
		rev, why = e.Labels[labelRevision], "pod label istio.io/rev="+e.Labels[labelRevision]
	case hasPodInject && podInject == "true":
		rev, why = defaultRevision, "pod label sidecar.istio.io/inject=true"
	default:
		return "", "", false
	}
	// The pod label wins over the legacy annotation; y, yes, true and on
	// (any case) inject, an empty value follows the namespace, anything
	// else opts out.
	value, from := e.MeshAnnotations[annotationInject], "annotation"
	if hasPodInject {
		value, from = podInject, "label"
	}
	switch strings.ToLower(value) {
	case "y", "yes", "true", "on", "":
		return rev, why, true
	}
	return "", "pod " + from + " sidecar.istio.io/inject=" + value + " opts out of injection", false
}

// waypointOf finds the waypoint an ambient endpoint's inbound mesh traffic
// uses: the istio.io/use-waypoint label of the pod, else of a Service
// selecting it, else of its namespace; "#none" (or "none") stops the
// search [docs/mesh.md §1.5].
func (m *Model) waypointOf(e *policy.Endpoint, ns map[string]string) *Waypoint {
	from := func(labels map[string]string, ownNS string) (*Waypoint, bool) {
		v, ok := labels[labelUseWaypoint]
		if !ok {
			return nil, false
		}
		if v == "#none" || v == "none" || v == "" {
			return nil, true
		}
		w := &Waypoint{Namespace: ownNS, Name: v}
		if n, name, ok := strings.Cut(v, "/"); ok {
			w.Namespace, w.Name = n, name
		}
		if n := labels[labelWaypointNS]; n != "" {
			w.Namespace = n
		}
		return w, true
	}
	if w, ok := from(e.Labels, e.Namespace); ok {
		return w
	}
	for _, svc := range m.servicesOf(e) {
		if w, ok := from(svc.Labels, svc.Namespace); ok {
			return w
		}
	}
	w, _ := from(ns, e.Namespace)
	return w
}
