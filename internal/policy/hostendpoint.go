package policy

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"slices"
	"sort"
	"strings"

	"github.com/netreach/netreach/internal/policy/calicov3"
)

// This file models Calico HostEndpoints and the Felix settings that decide
// their verdicts (docs/calico-host-endpoints.md).

func init() {
	for _, v := range []string{"projectcalico.org/v3", "crd.projectcalico.org/v1"} {
		register(v, calicov3.KindFelixConfiguration, (*Loader).addCalicoFelixConfiguration)
	}
}

// DefaultAllowProfile is the profile Calico provides with allow-all
// ingress and egress rules; host endpoints that carry it allow what no
// policy decides [docs/calico-host-endpoints.md §4].
const DefaultAllowProfile = "projectcalico-default-allow"

// HostEndpointPrefix starts the namespace part of a host endpoint's name in
// every output: "host:<node>/<interface>".
const HostEndpointPrefix = "host:"

// HostEndpoint is a Calico HostEndpoint after validation: one or all
// interfaces of a node that Calico polices.
type HostEndpoint struct {
	ObjectRef
	Node string
	// Interface is an interface name, "*" for all of the node's
	// interfaces, or "" when ExpectedIPs identify the interface.
	Interface   string
	ExpectedIPs []netip.Addr
	Labels      map[string]string
	Profiles    []string
	Ports       []ContainerPort

	endpoint *Endpoint // the endpoint standing for it, made once at load
}

// Endpoint returns the endpoint that stands for the host endpoint in the
// matrix (see [Snapshot.WithHostEndpoints]); the same one every time.
func (h *HostEndpoint) Endpoint() *Endpoint {
	return h.endpoint
}

func (h *HostEndpoint) makeEndpoint() {
	h.endpoint = &Endpoint{
		ObjectRef: ObjectRef{Group: CalicoGroup, Kind: h.Kind, Namespace: HostEndpointPrefix + h.Node, Name: h.InterfaceLabel(), Source: h.Source, Origin: h.Origin},
		Labels:    h.Labels, IPs: h.ExpectedIPs, Node: h.Node, Ports: h.Ports, Host: h,
	}
}

// AllInterfaces reports whether the endpoint stands for every interface of
// its node (interfaceName "*").
func (h *HostEndpoint) AllInterfaces() bool { return h.Interface == "*" }

// DefaultAllow reports whether the endpoint carries the
// projectcalico-default-allow profile.
func (h *HostEndpoint) DefaultAllow() bool { return slices.Contains(h.Profiles, DefaultAllowProfile) }

// InterfaceLabel is the interface part of the endpoint's name: the
// interface, "*", or the first expected IP when no interface is named.
func (h *HostEndpoint) InterfaceLabel() string {
	if h.Interface != "" || len(h.ExpectedIPs) == 0 {
		return h.Interface
	}
	return h.ExpectedIPs[0].String()
}

// FailsafePort is one failsafe entry: connections of the protocol to the
// port are allowed whatever the policy, from (inbound) or to (outbound)
// Net, or any address when Net is invalid.
type FailsafePort struct {
	Protocol Protocol
	Port     uint16
	Net      netip.Prefix
}

// String returns "22/TCP" or "22/TCP from 10.0.0.0/8"-like text without
// the direction.
func (f FailsafePort) String() string {
	s := fmt.Sprintf("%d/%s", f.Port, f.Protocol)
	if f.Net.IsValid() {
		s += " " + f.Net.String()
	}
	return s
}

// Matches reports whether a flow with protocol proto, port and remote
// address remote is covered.
func (f FailsafePort) Matches(proto Protocol, port uint16, remote netip.Addr) bool {
	return f.Protocol == proto && f.Port == port && (!f.Net.IsValid() || remote.IsValid() && f.Net.Contains(remote))
}

// EndpointToHost is what Felix does with traffic from a workload to its own
// host after the workload's egress policy (defaultEndpointToHostAction).
type EndpointToHost uint8

// Endpoint-to-host actions; the zero value is Felix's default, Drop.
const (
	EndpointToHostDrop EndpointToHost = iota
	EndpointToHostAccept
	EndpointToHostReturn
)

// String returns "Drop", "Accept" or "Return".
func (a EndpointToHost) String() string {
	switch a {
	case EndpointToHostAccept:
		return "Accept"
	case EndpointToHostReturn:
		return "Return"
	}
	return "Drop"
}

// Allows reports whether the action lets the traffic in: Accept does;
// Return hands it back to the host's own INPUT rules, which netreach takes
// as accepting.
func (a EndpointToHost) Allows() bool { return a != EndpointToHostDrop }

// ParseEndpointToHost parses "Drop", "Accept" or "Return" (any case).
func ParseEndpointToHost(s string) (EndpointToHost, error) {
	switch strings.ToLower(s) {
	case "drop", "":
		return EndpointToHostDrop, nil
	case "accept":
		return EndpointToHostAccept, nil
	case "return":
		return EndpointToHostReturn, nil
	}
	return 0, fmt.Errorf("invalid endpoint-to-host action %q: expected Drop, Accept or Return", s)
}

// HostSettings are the Felix settings that apply to the host endpoints of
// one node.
type HostSettings struct {
	FailsafeInbound, FailsafeOutbound []FailsafePort
	EndpointToHost                    EndpointToHost
	// From says where the values came from, for explain.
	From string
}

// HostOptions override the Felix settings of every node, as Felix's
// environment variables do. Nil fields leave the FelixConfiguration values
// (or Felix's defaults) in place.
type HostOptions struct {
	FailsafeInbound, FailsafeOutbound *[]calicov3.ProtoPort
	EndpointToHost                    *EndpointToHost
}

// FelixConfig is a decoded FelixConfiguration: "default" for every node,
// "node.<name>" for one node.
type FelixConfig struct {
	ObjectRef
	Spec calicov3.FelixConfigurationSpec
}

func (l *Loader) addCalicoFelixConfiguration(c *decodeCtx, j []byte) {
	var obj calicov3.FelixConfiguration
	if !c.decode(j, &obj) || !c.meta(&obj.ObjectMeta, false) {
		return
	}
	raw, err := json.Marshal(obj.RawSpec)
	if err == nil {
		err = json.Unmarshal(raw, &obj.Spec)
	}
	if err != nil {
		c.errorf("spec", "cannot read the failsafe settings: %v; the object is left out", err)
		return
	}
	if _, whole := c.report(obj.Validate()); whole {
		c.errorf("spec", "the object is left out of the evaluation")
		return
	}
	ref := c.calicoRef()
	if ref.Name != "default" && !strings.HasPrefix(ref.Name, "node.") {
		c.warnf("metadata.name", "Felix reads only the FelixConfiguration named \"default\" and \"node.<nodename>\": this one has no effect")
	}
	l.store(&loaded{ref: ref, obj: &FelixConfig{ObjectRef: ref, Spec: obj.Spec}, doc: c.doc, at: c.at}, ref.Key())
}

func (l *Loader) addCalicoHostEndpoint(c *decodeCtx, j []byte) {
	var obj calicov3.HostEndpoint
	if !c.decode(j, &obj) || !c.meta(&obj.ObjectMeta, false) {
		return
	}
	if _, whole := c.report(obj.Validate()); whole {
		c.errorf("spec", "the host endpoint is left out of the evaluation")
		return
	}
	s := obj.Spec
	h := &HostEndpoint{ObjectRef: c.calicoRef(), Node: s.Node, Interface: s.InterfaceName, Labels: obj.Labels, Profiles: s.Profiles}
	for _, ip := range s.ExpectedIPs {
		if a, err := netip.ParseAddr(ip); err == nil {
			h.ExpectedIPs = append(h.ExpectedIPs, a.Unmap())
		}
	}
	for _, p := range s.Ports {
		h.Ports = append(h.Ports, ContainerPort{Name: p.Name, Protocol: Protocol(p.Protocol.Number()), Port: p.Port})
	}
	for i, p := range h.Profiles {
		if p != DefaultAllowProfile {
			c.warnf(fmt.Sprintf("spec.profiles[%d]", i), "profile %q is not modelled: only %s is known, so this profile allows nothing", p, DefaultAllowProfile)
		}
	}
	if len(h.ExpectedIPs) == 0 {
		c.warnf("spec.expectedIPs", "no expectedIPs: rule selectors never match this host endpoint, and it has no address for nets rules")
	}
	h.makeEndpoint()
	l.store(&loaded{ref: h.ObjectRef, obj: h, doc: c.doc, at: c.at}, h.Key())
}

// HasHostEndpoints reports whether the snapshot has Calico host endpoints.
func (s *Snapshot) HasHostEndpoints() bool { return len(s.Calico.HostEndpoints) > 0 }

// WithHostEndpoints returns the snapshot with one endpoint per active
// Calico host endpoint added to Endpoints (named "host:<node>/<interface>",
// see [Endpoint.Host]), and the Felix settings of each node. Of several
// host endpoints with the same node and interface, Felix uses the first by
// name; the others are reported and left out. Without host endpoints the
// snapshot is returned as it is.
func (s *Snapshot) WithHostEndpoints(o HostOptions) (*Snapshot, Diagnostics) {
	if !s.HasHostEndpoints() {
		return s, nil
	}
	var diags Diagnostics
	out := *s
	out.Endpoints = append([]*Endpoint(nil), s.Endpoints...)
	out.hostSettings = map[string]*HostSettings{}
	heps := append([]*HostEndpoint(nil), s.Calico.HostEndpoints...)
	sort.SliceStable(heps, func(i, j int) bool { return heps[i].Name < heps[j].Name })
	seen := map[string]*HostEndpoint{}
	for _, h := range heps {
		id := h.Endpoint().ID()
		if first := seen[id]; first != nil {
			diags = append(diags, Diagnostic{Severity: Warning, Location: h.Source, Kind: h.Kind, Name: h.Name,
				Msg: fmt.Sprintf("%s also claims interface %q of node %q: Felix uses the first by name, so this one is left out", first.ObjectRef, h.InterfaceLabel(), h.Node)})
			continue
		}
		seen[id] = h
		out.Endpoints = append(out.Endpoints, h.Endpoint())
		if out.hostSettings[h.Node] == nil {
			out.hostSettings[h.Node] = s.resolveHostSettings(h.Node, o, &diags)
		}
	}
	sortRefs(out.Endpoints)
	wild := map[string]bool{}
	var named []string
	for _, e := range out.Endpoints {
		if e.Host != nil && e.Host.AllInterfaces() {
			wild[e.Node] = true
		}
	}
	for _, e := range out.Endpoints {
		if e.Host != nil && !wild[e.Node] && !slices.Contains(named, e.Node) {
			named = append(named, e.Node)
		}
	}
	if len(named) > 0 {
		for _, p := range s.Calico.Policies {
			if !p.Staged && (p.ApplyOnForward || p.PreDNAT) {
				diags = append(diags, Diagnostic{Severity: Warning, Location: p.Source, Kind: p.Kind, Name: p.Name,
					Msg: fmt.Sprintf("forwarded traffic is checked only at interfaceName \"*\" host endpoints: on node(s) %s, which have only named ones, this policy is evaluated for the host's own traffic (docs/calico-host-endpoints.md §7)", strings.Join(named, ", "))})
			}
		}
	}
	return &out, diags
}

// HostSettings returns the Felix settings of a node's host endpoints (of a
// snapshot made by [Snapshot.WithHostEndpoints]); Felix's defaults when the
// node has none.
func (s *Snapshot) HostSettings(node string) *HostSettings {
	if h := s.hostSettings[node]; h != nil {
		return h
	}
	return s.resolveHostSettings(node, HostOptions{}, nil)
}

// resolveHostSettings applies, in Felix's order of precedence, the
// options (environment), FelixConfiguration node.<node>, FelixConfiguration
// default, and Felix's built-in defaults [docs/calico-host-endpoints.md §5].
func (s *Snapshot) resolveHostSettings(node string, o HostOptions, diags *Diagnostics) *HostSettings {
	in, out := calicov3.DefaultFailsafeInbound, calicov3.DefaultFailsafeOutbound
	inFrom, outFrom := "Felix default", "Felix default"
	action, actionFrom := EndpointToHostDrop, "Felix default"
	for _, name := range []string{"default", "node." + node} {
		for _, fc := range s.Calico.Felix {
			if fc.Name != name {
				continue
			}
			if fc.Spec.FailsafeInboundHostPorts != nil {
				in, inFrom = *fc.Spec.FailsafeInboundHostPorts, fc.ObjectRef.String()
			}
			if fc.Spec.FailsafeOutboundHostPorts != nil {
				out, outFrom = *fc.Spec.FailsafeOutboundHostPorts, fc.ObjectRef.String()
			}
			if fc.Spec.DefaultEndpointToHostAction != "" {
				action, _ = ParseEndpointToHost(fc.Spec.DefaultEndpointToHostAction)
				actionFrom = fc.ObjectRef.String()
			}
		}
	}
	if o.FailsafeInbound != nil {
		in, inFrom = *o.FailsafeInbound, "option"
	}
	if o.FailsafeOutbound != nil {
		out, outFrom = *o.FailsafeOutbound, "option"
	}
	if o.EndpointToHost != nil {
		action, actionFrom = *o.EndpointToHost, "option"
	}
	conv := func(list []calicov3.ProtoPort) []FailsafePort {
		ps := []FailsafePort{}
		for _, p := range list {
			fp := FailsafePort{Protocol: TCP, Port: p.Port}
			switch strings.ToLower(p.Protocol) {
			case "udp":
				fp.Protocol = UDP
			case "sctp":
				fp.Protocol = SCTP
			}
			if p.Net != "" {
				if n, err := calicov3.ParseNet(p.Net); err == nil {
					fp.Net = n
				}
			}
			ps = append(ps, fp)
		}
		return ps
	}
	return &HostSettings{
		FailsafeInbound: conv(in), FailsafeOutbound: conv(out), EndpointToHost: action,
		From: fmt.Sprintf("failsafe inbound: %s; failsafe outbound: %s; defaultEndpointToHostAction %s: %s", inFrom, outFrom, action, actionFrom),
	}
}
