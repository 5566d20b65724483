package mesh

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/netreach/netreach/internal/policy"
)

// Verdict is the mesh layer's answer for one connection. The values are
// those of reachability.Verdict.
type Verdict uint8

// Verdicts; the zero value is Deny.
const (
	Deny Verdict = iota
	Allow
	// Conditional: some requests are allowed, depending on what the
	// manifests cannot tell (HTTP fields, an external authorizer); the
	// trace states the condition.
	Conditional
)

// String returns "deny", "allow" or "conditional".
func (v Verdict) String() string {
	switch v {
	case Allow:
		return "allow"
	case Conditional:
		return "conditional"
	}
	return "deny"
}

// MarshalText returns the verdict's name.
func (v Verdict) MarshalText() ([]byte, error) { return []byte(v.String()), nil }

// rank orders verdicts from most to least open.
func (v Verdict) rank() int {
	switch v {
	case Allow:
		return 2
	case Conditional:
		return 1
	}
	return 0
}

// meet is the verdict of two checks that must both pass.
func meet(a, b Verdict) Verdict {
	if a.rank() < b.rank() {
		return a
	}
	return b
}

// Flow is one connection as the mesh layer sees it.
type Flow struct {
	// Src is the source endpoint; nil for an address outside the
	// cluster's endpoints.
	Src *policy.Endpoint
	// SrcIP is the source's address in the flow's family; invalid when it
	// has none (a workload template).
	SrcIP netip.Addr
	// Dst and DstIP are the destination, likewise.
	Dst      *policy.Endpoint
	DstIP    netip.Addr
	Protocol policy.Protocol
	Port     uint16
}

// Trace explains the mesh layer's verdict on one connection.
type Trace struct {
	Verdict Verdict `json:"verdict"`
	// Enforced is false when no mesh proxy stands in front of the
	// destination for this connection; Note says why.
	Enforced bool   `json:"enforced"`
	Note     string `json:"note,omitempty"`
	// Source and Destination describe both ends' place in the mesh.
	Source      string `json:"source"`
	Destination string `json:"destination"`
	// MTLS is the mutual TLS check (when enforced).
	MTLS *MTLSTrace `json:"mtls,omitempty"`
	// Stages are the enforcement points in the order traffic meets them.
	Stages []StageTrace `json:"stages,omitempty"`
	// Decider names what decided a denial (a policy rule, the mTLS mode,
	// no matching ALLOW policy).
	Decider string `json:"decider,omitempty"`
	// Conditions state what a conditional verdict depends on.
	Conditions []string `json:"conditions,omitempty"`
}

// MTLSTrace is the PeerAuthentication check of a connection.
type MTLSTrace struct {
	Mode  policy.MTLSMode `json:"mode"`
	Scope string          `json:"scope"`
	// Policy set the mode; nil for the mesh default.
	Policy *policy.ObjectRef `json:"policy,omitempty"`
	// MutualTLS is true when the connection uses mutual TLS.
	MutualTLS bool   `json:"mutualTLS"`
	Detail    string `json:"detail"`
}

// StageTrace is the authorization check at one enforcement point.
type StageTrace struct {
	Stage Stage `json:"stage"`
	// Proxy names the proxy ("sidecar of ns/pod", "waypoint ns/name").
	Proxy string `json:"proxy"`
	// Peer is the source as the proxy sees it.
	Peer     string        `json:"peer"`
	Protocol string        `json:"protocol"`
	Verdict  Verdict       `json:"verdict"`
	Decision string        `json:"decision"`
	Policies []PolicyTrace `json:"policies,omitempty"`
}

// PolicyTrace is one AuthorizationPolicy consulted at a stage.
type PolicyTrace struct {
	Policy policy.ObjectRef  `json:"policy"`
	Action policy.MeshAction `json:"action"`
	Match  Tri               `json:"-"`
	Rules  []RuleTrace       `json:"rules,omitempty"`
	Note   string            `json:"note,omitempty"`
}

// RuleTrace is one rule of a policy and whether it matched.
type RuleTrace struct {
	Index  int             `json:"index"`
	Match  string          `json:"match"`
	Detail string          `json:"detail,omitempty"`
	Source policy.Location `json:"source"`
}

// Evaluate decides one connection at the mesh layer, as the Istio
// documentation describes it [docs/mesh.md §5.2]: nothing is enforced unless
// the destination's proxy intercepts the connection; the destination's
// PeerAuthentication mode decides whether plaintext is accepted; then at
// each enforcement point CUSTOM, DENY and ALLOW policies are checked in
// that order. Evaluate is the reference the engine is tested against.
func (m *Model) Evaluate(f Flow) *Trace {
	t := &Trace{Verdict: Allow}
	src, dst := m.Member(f.Src), m.Member(f.Dst)
	t.Source, t.Destination = describe(f.Src, f.SrcIP, src), describe(f.Dst, f.DstIP, dst)
	switch {
	case f.Dst == nil:
		t.Note = "the destination is outside the cluster: no mesh proxy stands in front of it"
		return t
	case dst.Dataplane == NoDataplane:
		t.Note = "the destination is not in the mesh (" + dst.Why + "): nothing enforces mesh policy in front of it"
		return t
	case !dst.Captures(f.Protocol, f.Port):
		t.Note = fmt.Sprintf("the destination's proxy does not intercept %d/%s (only TCP is proxied, and annotations can exclude ports): the mesh does not see the connection", f.Port, f.Protocol)
		return t
	}
	t.Enforced = true
	fromMesh := src.Dataplane != NoDataplane
	mt := m.MTLS(f.Dst, f.Port)
	// A client proxy upgrades to mutual TLS unless the destination's mode
	// is DISABLE [docs/mesh.md §2.3]; a client outside the mesh sends
	// plaintext.
	mutual := fromMesh && mt.Mode != policy.MTLSDisable
	t.MTLS = &MTLSTrace{Mode: mt.Mode, Scope: mt.Scope, MutualTLS: mutual}
	if mt.Policy != nil {
		r := mt.Policy.ObjectRef
		t.MTLS.Policy = &r
	}
	switch {
	case mutual:
		t.MTLS.Detail = "both ends are in the mesh: the connection uses mutual TLS"
	case fromMesh:
		t.MTLS.Detail = "mode DISABLE: the client's proxy sends plaintext"
	default:
		t.MTLS.Detail = "the source is not in the mesh: it sends plaintext"
	}
	if mt.Mode == policy.MTLSStrict && !mutual {
		t.Verdict = Deny
		t.MTLS.Detail += "; STRICT accepts only mutual TLS, so the connection is rejected"
		t.Decider = "PeerAuthentication mode STRICT (" + describeMTLS(mt) + ")"
		return t
	}
	direct := m.peerOf(f.Src, f.SrcIP, mutual)
	proto := m.Protocol(f.Dst, f.Port)
	fi := flowInfo{port: f.Port, dstIP: f.DstIP}
	switch {
	case dst.Dataplane == Sidecar:
		t.stage(m.stage(AtSidecar, "sidecar of "+f.Dst.ID(), f.Dst, direct, proto, fi))
	case dst.Waypoint != nil && fromMesh:
		// Mesh traffic to an ambient destination with a waypoint goes
		// through the waypoint (with the client's identity), then the
		// destination's ztunnel, which sees the waypoint's identity
		// [docs/mesh.md §4.6].
		t.stage(m.stage(AtWaypoint, "waypoint "+dst.Waypoint.String(), f.Dst, direct, proto, fi))
		if t.Verdict != Deny {
			t.stage(m.behindWaypoint(f.Dst, *dst.Waypoint, fi))
		}
	default:
		// ztunnel enforces layer 4 only [docs/mesh.md §4.6].
		t.stage(m.stage(AtZtunnel, "ztunnel of "+f.Dst.ID(), f.Dst, direct, Opaque, fi))
	}
	return t
}

// behindWaypoint checks, at an ambient destination's ztunnel, traffic that
// arrives from its waypoint: the waypoint's identity is what ztunnel sees
// [docs/mesh.md §4.6].
func (m *Model) behindWaypoint(dst *policy.Endpoint, w Waypoint, f flowInfo) (StageTrace, string, []string) {
	wp := peer{mtls: true, principal: m.WaypointPrincipal(w), namespace: w.Namespace,
		serviceAccount: w.Namespace + "/" + w.Name, trustDomain: m.opts.TrustDomain,
		ipUnknown: true, desc: "waypoint " + w.String()}
	return m.stage(AtZtunnel, "ztunnel of "+dst.ID(), dst, wp, Opaque, f)
}

// BehindWaypoint returns the verdict of an ambient destination's ztunnel
// on traffic its waypoint forwards to port (dstIP is the destination's
// address in the connection's family, invalid when it has none). It is
// Allow for a destination without a waypoint.
func (m *Model) BehindWaypoint(dst *policy.Endpoint, dstIP netip.Addr, port uint16) Verdict {
	w := m.Member(dst).Waypoint
	if w == nil {
		return Allow
	}
	st, _, _ := m.behindWaypoint(dst, *w, flowInfo{port: port, dstIP: dstIP})
	return st.Verdict
}

// stage records a stage's outcome in the trace.
func (t *Trace) stage(st StageTrace, decider string, conds []string) {
	t.Stages = append(t.Stages, st)
	t.Verdict = meet(t.Verdict, st.Verdict)
	if st.Verdict == Deny && t.Decider == "" {
		t.Decider = decider
	}
	t.Conditions = append(t.Conditions, conds...)
}

// peerOf describes a connection's source as the destination's proxy sees
// it.
func (m *Model) peerOf(e *policy.Endpoint, ip netip.Addr, mutual bool) peer {
	p := peer{mtls: mutual, ip: ip}
	if e != nil {
		p.desc = e.ID()
		if mutual {
			p.principal, p.namespace = m.Principal(e), e.Namespace
			p.serviceAccount, p.trustDomain = e.Namespace+"/"+e.ServiceAccount, m.opts.TrustDomain
			p.desc = p.principal
		}
	} else {
		p.desc = ip.String()
	}
	if !mutual {
		p.desc = "plaintext from " + p.desc
	}
	return p
}

// stage checks the AuthorizationPolicies enforced at one point: a
// matching CUSTOM policy hands the request to an external authorizer (the
// verdict becomes conditional); a matching DENY policy denies; if ALLOW
// policies apply, one must match; otherwise the request is allowed
// [docs/mesh.md §4.3]. AUDIT policies do not change the verdict.
func (m *Model) stage(stage Stage, proxy string, dst *policy.Endpoint, p peer, proto AppProtocol, f flowInfo) (StageTrace, string, []string) {
	st := StageTrace{Stage: stage, Proxy: proxy, Peer: p.desc, Protocol: proto.String()}
	custom, deny, allow := False, False, False
	allowPresent := false
	var denier, customer, allower string
	var conds []string
	for _, pol := range m.Policies(stage, dst) {
		pt := PolicyTrace{Policy: pol.ObjectRef, Action: pol.Action}
		match := False
		for i := range pol.Rules {
			r := &pol.Rules[i]
			var t Tri
			var detail string
			switch proto {
			case HTTP:
				t, detail = matchRule(pol.Action, r, ctxHTTP, p, f)
			case Opaque:
				t, detail = matchRule(pol.Action, r, ctxTCP, p, f)
			default:
				th, dh := matchRule(pol.Action, r, ctxHTTP, p, f)
				tt, dt := matchRule(pol.Action, r, ctxTCP, p, f)
				t = either(th, tt)
				detail = dh
				if th == True && tt != True {
					detail = dt
				}
				if t == Maybe && th != tt {
					detail = "the port's protocol is not declared, so the traffic may be HTTP or not: " + strings.TrimPrefix(detail+"; "+dt, "; ")
				}
			}
			pt.Rules = append(pt.Rules, RuleTrace{Index: i, Match: t.String(), Detail: detail, Source: r.Loc})
			if t == Maybe {
				conds = append(conds, fmt.Sprintf("%s %s rule %d: %s", pol.Action, pol.ObjectRef.Namespace+"/"+pol.Name, i, detail))
			}
			if t == True {
				switch pol.Action {
				case policy.MeshDeny:
					if denier == "" {
						denier = fmt.Sprintf("DENY policy %s/%s rule %d", pol.Namespace, pol.Name, i)
					}
				case policy.MeshAllow:
					if allower == "" {
						allower = fmt.Sprintf("ALLOW policy %s/%s rule %d", pol.Namespace, pol.Name, i)
					}
				case policy.MeshCustom:
					if customer == "" {
						customer = fmt.Sprintf("CUSTOM policy %s/%s (provider %s)", pol.Namespace, pol.Name, pol.Provider)
					}
				}
			}
			match = or(match, t)
		}
		pt.Match = match
		switch pol.Action {
		case policy.MeshAudit:
			pt.Note = "AUDIT policies do not change the verdict"
		case policy.MeshCustom:
			custom = or(custom, match)
			if match != False {
				pt.Note = "a matching request goes to the external authorizer " + pol.Provider + ", whose answer cannot be known offline"
			}
		case policy.MeshDeny:
			deny = or(deny, match)
		case policy.MeshAllow:
			allowPresent = true
			allow = or(allow, match)
		}
		st.Policies = append(st.Policies, pt)
	}
	st.Verdict = Allow
	decider := ""
	switch {
	case deny == True:
		st.Verdict, st.Decision, decider = Deny, "denied by "+denier, denier
	case allowPresent && allow == False:
		st.Verdict, st.Decision = Deny, "ALLOW policies apply and none matches: denied"
		decider = "no ALLOW policy at the " + stage.String() + " matches"
	default:
		var why []string
		if allowPresent && allow == Maybe {
			st.Verdict = Conditional
			why = append(why, "an ALLOW rule matches only some requests")
		}
		if deny == Maybe {
			st.Verdict = Conditional
			why = append(why, "a DENY rule matches some requests")
		}
		if custom != False {
			st.Verdict = Conditional
			if customer != "" {
				why = append(why, customer+" decides")
			} else {
				why = append(why, "a CUSTOM policy may hand requests to its external authorizer")
			}
		}
		switch {
		case st.Verdict == Conditional:
			st.Decision = "conditional: " + strings.Join(why, "; ")
		case allowPresent:
			st.Decision = "allowed by " + allower
		default:
			st.Decision = "no ALLOW policy applies: allowed"
		}
	}
	if st.Verdict != Conditional {
		conds = nil
	}
	return st, decider, conds
}

// describe names an end of a connection with its place in the mesh.
func describe(e *policy.Endpoint, ip netip.Addr, mb Member) string {
	if e == nil {
		return ip.String() + ": outside the cluster, not in the mesh"
	}
	return e.ID() + ": " + mb.String() + " (" + mb.Why + ")"
}

// describeMTLS names the policy and scope that set a mode.
func describeMTLS(r MTLSResult) string {
	if r.Policy == nil {
		return "the mesh default"
	}
	return fmt.Sprintf("%s PeerAuthentication %s/%s", r.Scope, r.Policy.Namespace, r.Policy.Name)
}
