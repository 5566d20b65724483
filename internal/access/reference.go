package access

import (
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/netreach/netreach/internal/policy"
	"github.com/netreach/netreach/internal/reachability"
)

// standInNamespace is the namespace of the "{ingress-controller}"
// stand-in pod: not a valid namespace name, so no policy can name it, and
// with no labels but its name, as a namespace nobody labelled
// [docs/exposure-outside.md §3.4].
const standInNamespace = "{ingress-controller}"

// withStandIn returns the snapshot plus the stand-in pod of an unknown
// ingress controller: no labels, no address, in a namespace of its own.
func withStandIn(s *policy.Snapshot) (*policy.Snapshot, *policy.Endpoint) {
	ns := &policy.Namespace{ObjectRef: policy.ObjectRef{Kind: "Namespace", Name: standInNamespace},
		Labels: map[string]string{"kubernetes.io/metadata.name": standInNamespace}, Synthesized: true}
	ep := &policy.Endpoint{ObjectRef: policy.ObjectRef{Kind: KindIngressController, Namespace: standInNamespace, Name: "controller"},
		Template: true, Labels: map[string]string{}, ServiceAccount: "default"}
	out, err := s.Apply(&policy.Snapshot{Namespaces: []*policy.Namespace{ns}, Endpoints: []*policy.Endpoint{ep}}, nil)
	if err != nil {
		panic("access: adding the stand-in: " + err.Error()) // Apply fails only on deletes
	}
	return out, ep
}

// Evaluator is the reference evaluator of the access model: it decides
// one flow at a time by walking the Services, Ingresses, Gateway API
// routes and Routes as their documentation describes them, and asks the
// policy reference evaluator ([reachability.Evaluator]) about every hop
// that network policy decides. It is the oracle the [Layer]'s verdicts
// are tested against, and what explains a path. An Evaluator is safe for
// concurrent use.
type Evaluator struct {
	snap    *policy.Snapshot // with the stand-in
	orig    *policy.Snapshot
	opts    Options
	pol     *reachability.Evaluator
	clients []clientPart
	routes  []routeTarget
	notes   []string
	standIn *policy.Endpoint
}

// NewEvaluator prepares a reference evaluator. atoms are the external
// address atoms to take clients from (those of the snapshot's matrix:
// within one, no policy tells addresses apart).
func NewEvaluator(s *policy.Snapshot, ropts reachability.Options, opts Options, atoms []reachability.ExternalAtom) *Evaluator {
	ev := &Evaluator{orig: s, opts: opts}
	ev.routes, ev.notes = resolveRoutes(s, opts)
	ev.snap, ev.standIn = withStandIn(s)
	ev.pol = reachability.NewEvaluator(ev.snap, ropts)
	ev.clients = clientParts(s, atoms)
	return ev
}

// Notes returns what resolving the routes left out, and why.
func (ev *Evaluator) Notes() []string { return append([]string(nil), ev.notes...) }

// Hop is one step of a [Path]: what the connection goes through, and the
// verdict there.
type Hop struct {
	Text    string               `json:"text"`
	Verdict reachability.Verdict `json:"verdict"`
	// Trace is the policy evaluation of a hop network policy decides.
	Trace *reachability.Trace `json:"trace,omitempty"`
}

// Path explains the verdict of one flow to a Service or a backend: every
// way the connection can take, as hops.
type Path struct {
	From     string               `json:"from"`
	To       string               `json:"to"`
	Protocol string               `json:"protocol"`
	Port     uint16               `json:"port"`
	Verdict  reachability.Verdict `json:"verdict"`
	Hops     []Hop                `json:"hops"`
	Notes    []string             `json:"notes,omitempty"`
}

func (p *Path) hop(v reachability.Verdict, tr *reachability.Trace, format string, args ...any) {
	p.Hops = append(p.Hops, Hop{Text: fmt.Sprintf(format, args...), Verdict: v, Trace: tr})
}

// policy decides the hop from src to backend b on its port, as network
// policy does; the trace goes to the path when one is being kept.
func (ev *Evaluator) policy(src reachability.Entity, b backend, p *Path, label string) reachability.Verdict {
	v, tr := ev.pol.Evaluate(reachability.Flow{Src: src, Dst: b.ent, Protocol: b.proto, Port: b.port})
	if p != nil {
		p.hop(v, tr, "%s → %s on %d/%s (network policy)", label, b.ent, b.port, b.proto)
	}
	return v
}

// seenSources returns what the backend's network policy sees as the
// source of a connection from client through a Service: the client's
// address, and, when kube-proxy source-NATs (externalTrafficPolicy:
// Cluster), the address of any other node, or any address outside the
// cluster when the input has no Node objects [docs/exposure-outside.md
// §2.2].
func (ev *Evaluator) seenSources(client clientPart, svc *policy.Service, b backend) []reachability.Entity {
	out := []reachability.Entity{reachability.IPEntity(client.Addr)}
	if keepsClient(ev.opts, svc) {
		return out
	}
	if len(ev.orig.Nodes) == 0 {
		for _, c := range ev.clients {
			out = append(out, reachability.IPEntity(c.Addr))
		}
		return out
	}
	for _, n := range ev.orig.Nodes {
		if n.Name == b.node && b.node != "" {
			continue
		}
		for _, a := range n.Addresses {
			if (client.Addr.Is4()) == a.Is4() {
				out = append(out, reachability.IPEntity(a))
			}
		}
	}
	return out
}

// throughFrontend decides a connection from client to backend b through
// frontend f of svc: the load balancer's source ranges first, then the
// backend's policy for every source it may see.
func (ev *Evaluator) throughFrontend(client clientPart, svc *policy.Service, f frontend, b backend, p *Path) reachability.Verdict {
	if f.Addr.IsValid() && f.Addr.Is4() != client.Addr.Is4() {
		return reachability.Deny
	}
	if !admits(f.SourceRanges, client.Addr) {
		if p != nil {
			p.hop(reachability.Deny, nil, "client %s → %s of Service %s: outside loadBalancerSourceRanges", client.Addr, f, svc.Namespace+"/"+svc.Name)
		}
		return reachability.Deny
	}
	var o outcomes
	for _, src := range ev.seenSources(client, svc, b) {
		label := "client " + src.String()
		if src.IP != client.Addr {
			label = "node address " + src.String() + " (source NAT, externalTrafficPolicy: Cluster)"
		}
		o.add(ev.policy(src, b, nil, label))
	}
	v := o.verdict()
	if p != nil {
		p.hop(reachability.Allow, nil, "client %s → %s of Service %s/%s", client.Addr, f, svc.Namespace, svc.Name)
		if keepsClient(ev.opts, svc) {
			ev.policy(reachability.IPEntity(client.Addr), b, p, "client "+client.Addr.String()+" (address kept)")
		} else {
			p.hop(v, nil, "→ %s on %d/%s: the backend sees the client's address or a node's (source NAT, externalTrafficPolicy: Cluster)", b.ent, b.port, b.proto)
		}
	}
	return v
}

// controllerReach decides a connection from client to backend b through
// a route's controller: the client reaches a controller pod (through the
// controller's own Service when the input has one, else assumed), and
// that pod reaches b as network policy allows.
func (ev *Evaluator) controllerReach(client *clientPart, rt routeTarget, b backend, p *Path) reachability.Verdict {
	c := rt.Controller
	if c.StandIn {
		if p != nil && client != nil {
			p.hop(reachability.Allow, nil, "client → %s via %s (%s; its pods are unknown: assumed reachable)", IngressController, rt.Via, rt.Object)
		}
		return ev.policy(reachability.EndpointEntity(ev.standIn), b, p, IngressController)
	}
	var o outcomes
	for _, k := range c.Pods {
		v := reachability.Allow
		if client != nil {
			v = ev.toControllerPod(*client, k)
			if p != nil {
				p.hop(v, nil, "client %s → controller pod %s (%s, %s)", client.Addr, k.ID(), c.Name, c.How)
			}
		}
		o.add(worst(v, ev.policy(reachability.EndpointEntity(k), b, p, "controller pod "+k.ID())))
	}
	return o.verdict()
}

// toControllerPod decides whether a client reaches controller pod k: the
// best way through any Service that exposes k outside the cluster, or
// Allow when no Service in the input exposes it (the controller's front
// is assumed reachable).
func (ev *Evaluator) toControllerPod(client clientPart, k *policy.Endpoint) reachability.Verdict {
	v, exposed := reachability.Deny, false
	for _, svc := range sortedServices(ev.orig) {
		for _, sp := range svc.Ports {
			for _, b := range backendsOf(ev.orig, svc, sp) {
				if b.ent.Endpoint != k {
					continue
				}
				for _, f := range frontendsOf(svc, sp) {
					exposed = true
					v = best(v, ev.throughFrontend(client, svc, f, b, nil))
				}
			}
		}
	}
	if !exposed {
		return reachability.Allow
	}
	return v
}

// routeBackends returns the backends a route target sends to.
func (ev *Evaluator) routeBackends(rt routeTarget) []backend {
	var out []backend
	for _, b := range backendsOf(ev.orig, rt.Service, rt.Port) {
		if rt.TargetPort == 0 || b.port == rt.TargetPort {
			out = append(out, b)
		}
	}
	return out
}

// Target is the destination of a flow the access model decides: a
// Service (its ports) or an endpoint (a backend).
type Target struct {
	Service  *policy.Service
	Endpoint *policy.Endpoint
}

func (t Target) String() string {
	if t.Service != nil {
		return ServiceEntry(t.Service.Namespace, t.Service.Name)
	}
	return t.Endpoint.ID()
}

// FromInternet decides a connection from any client outside the cluster
// to the target on proto/port: for a Service, port is the port clients
// connect to (service port or node port); for an endpoint, the port on it.
// The verdict is Allow when every client can connect, Deny when none can,
// and Conditional when it depends on the client's address or on a choice
// along the way (the node, the backend) [docs/exposure-outside.md §2.3].
func (ev *Evaluator) FromInternet(to Target, proto policy.Protocol, port uint16, explain bool) (reachability.Verdict, *Path) {
	path := &Path{From: Internet, To: to.String(), Protocol: proto.String(), Port: port, Notes: ev.Notes()}
	var o outcomes
	for i, c := range ev.clients {
		var p *Path
		if explain && i == 0 {
			p = path
		}
		v := reachability.Deny
		if to.Service != nil {
			v = ev.internetToService(c, to.Service, proto, port, p)
		} else {
			v = ev.internetToEndpoint(c, to.Endpoint, proto, port, p)
		}
		o.add(v)
		if explain && (i == 0 || v != path.Verdict) {
			path.Notes = append(path.Notes, fmt.Sprintf("clients %s: %s", c.Range, v))
		}
		if i == 0 {
			path.Verdict = v
		}
	}
	path.Verdict = o.verdict()
	return path.Verdict, path
}

func (ev *Evaluator) internetToService(c clientPart, svc *policy.Service, proto policy.Protocol, port uint16, p *Path) reachability.Verdict {
	v := reachability.Deny
	for _, sp := range svc.Ports {
		if protocolOf(sp) != proto {
			continue
		}
		for _, f := range frontendsOf(svc, sp) {
			if port < f.Ports.Lo || port > f.Ports.Hi {
				continue
			}
			var o outcomes
			for _, b := range backendsOf(ev.orig, svc, sp) {
				o.add(ev.throughFrontend(c, svc, f, b, p))
			}
			if f.Ports.Lo != f.Ports.Hi {
				// The node port is one unknown port of the range.
				o.add(reachability.Deny)
			}
			v = best(v, o.verdict())
		}
	}
	return v
}

func (ev *Evaluator) internetToEndpoint(c clientPart, x *policy.Endpoint, proto policy.Protocol, port uint16, p *Path) reachability.Verdict {
	v := reachability.Deny
	for _, svc := range sortedServices(ev.orig) {
		for _, sp := range svc.Ports {
			for _, b := range backendsOf(ev.orig, svc, sp) {
				if b.ent.Endpoint != x || b.proto != proto || b.port != port {
					continue
				}
				for _, f := range frontendsOf(svc, sp) {
					v = best(v, ev.throughFrontend(c, svc, f, b, p))
				}
			}
		}
	}
	for _, rt := range ev.routes {
		for _, b := range ev.routeBackends(rt) {
			if b.ent.Endpoint == x && b.proto == proto && b.port == port {
				v = best(v, ev.controllerReach(&c, rt, b, p))
			}
		}
	}
	return v
}

// FromController decides a connection from the ingress controllers to
// the target: through every route that sends to it, each controller's
// pods (or the stand-in) to the backends, as network policy decides.
func (ev *Evaluator) FromController(to Target, proto policy.Protocol, port uint16, explain bool) (reachability.Verdict, *Path) {
	path := &Path{From: IngressController, To: to.String(), Protocol: proto.String(), Port: port, Notes: ev.Notes()}
	var p *Path
	if explain {
		p = path
	}
	v := reachability.Deny
	for _, rt := range ev.routes {
		if to.Service != nil {
			if rt.Service != to.Service || uint16(rt.Port.Port) != port || protocolOf(rt.Port) != proto {
				continue
			}
			var o outcomes
			for _, b := range ev.routeBackends(rt) {
				o.add(ev.controllerReach(nil, rt, b, p))
			}
			v = best(v, o.verdict())
			continue
		}
		for _, b := range ev.routeBackends(rt) {
			if b.ent.Endpoint == to.Endpoint && b.proto == proto && b.port == port {
				v = best(v, ev.controllerReach(nil, rt, b, p))
			}
		}
	}
	path.Verdict = v
	return v, path
}

// FromEndpoint decides a connection from an endpoint to a Service's port
// (its virtual IP): kube-proxy picks a backend, so the verdict is Allow
// when every backend it may pick accepts, Conditional when some do. With
// internalTrafficPolicy: Local only backends on the client's node are
// picked, and there may be none [docs/exposure-outside.md §1.4].
func (ev *Evaluator) FromEndpoint(src *policy.Endpoint, svc *policy.Service, proto policy.Protocol, port uint16, explain bool) (reachability.Verdict, *Path) {
	path := &Path{From: src.ID(), To: ServiceEntry(svc.Namespace, svc.Name), Protocol: proto.String(), Port: port}
	var p *Path
	if explain {
		p = path
	}
	var o outcomes
	matched := false
	for _, sp := range svc.Ports {
		if protocolOf(sp) != proto || uint16(sp.Port) != port || !isProxied(svc) {
			continue
		}
		matched = true
		for _, b := range backendsOf(ev.orig, svc, sp) {
			if svc.InternalTrafficPolicy == corev1.ServiceInternalTrafficPolicyLocal {
				switch {
				case src.Node == "" || b.node == "":
					o.add(reachability.Deny) // perhaps no backend is on the client's node
					if p != nil {
						p.hop(reachability.Conditional, nil, "internalTrafficPolicy: Local: the node of %s or of %s is unknown", src.ID(), b.ent)
					}
				case src.Node != b.node:
					continue
				}
			}
			o.add(ev.policy(reachability.EndpointEntity(src), b, p, src.ID()))
		}
	}
	if !matched {
		path.Notes = append(path.Notes, fmt.Sprintf("Service %s/%s has no port %d/%s", svc.Namespace, svc.Name, port, proto))
	}
	path.Verdict = o.verdict()
	return path.Verdict, path
}

// Format writes a path for people.
func (p *Path) Format() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s -> %s %d/%s: %s\n", p.From, p.To, p.Port, p.Protocol, strings.ToUpper(p.Verdict.String()))
	for _, h := range p.Hops {
		fmt.Fprintf(&b, "  %s: %s\n", h.Text, h.Verdict)
		if h.Trace != nil {
			for _, ln := range strings.Split(strings.TrimRight(reachability.FormatTrace(h.Trace), "\n"), "\n") {
				fmt.Fprintf(&b, "      %s\n", ln)
			}
		}
	}
	for _, n := range p.Notes {
		fmt.Fprintf(&b, "  note: %s\n", n)
	}
	return b.String()
}
