package reachability

import (
	"fmt"
	"net/netip"
	"sync"

	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/netreach/netreach/internal/mesh"
	"github.com/netreach/netreach/internal/policy"
	"github.com/netreach/netreach/internal/selector"
)

// Evaluator is the reference evaluator: it decides one flow at a time,
// straight from the policy objects and the rules of docs/semantics.md, with no
// bitsets and no caching of results, and records every policy and rule it
// consulted. It is the oracle the bitset engine is tested against and the
// engine behind explain. An Evaluator is safe for concurrent use.
type Evaluator struct {
	snap *policy.Snapshot
	opts Options
	mode policy.Mode
	plan []*policy.PlanTier // calico mode
	// untracked and preDNAT are the tiers of host endpoint policies
	// (calico mode, with host endpoints).
	untracked, preDNAT []*policy.PlanTier
	nps                map[string][]*policy.NetworkPolicy // by namespace
	// conditional is true when some rule can match only under a condition
	// that cannot be checked offline.
	conditional bool
	// sels holds every Kubernetes label selector of the policies, converted
	// once (conversion is slow; matching stays per flow).
	sels map[*metav1.LabelSelector]selector.Selector
	// diags is what choosing the staged view and planning the Calico
	// tiers reported.
	diags policy.Diagnostics
	// mesh is the service-mesh layer, nil when it is off.
	mesh *mesh.Model
	// cuts are the address boundaries of every policy CIDR, for the
	// candidate addresses of pods without one (reference_pool.go).
	cutsOnce sync.Once
	cuts     []netip.Addr
}

// NewEvaluator prepares a reference evaluator for the snapshot.
func NewEvaluator(s *policy.Snapshot, opts Options) *Evaluator {
	mode := opts.Mode.Resolve(s)
	s, diags := s.WithStagedView(opts.Staged)
	s, diags = withHostEndpoints(s, mode, opts, diags)
	ev := &Evaluator{snap: s, opts: opts, mode: mode, nps: map[string][]*policy.NetworkPolicy{},
		sels: map[*metav1.LabelSelector]selector.Selector{}, diags: diags}
	if opts.Mesh.Resolve(s) == MeshIstio {
		ev.mesh = mesh.New(s, opts.MeshOptions)
	}
	if mode == policy.ModeCalico {
		var planDiags policy.Diagnostics
		ev.plan, planDiags = s.CalicoPlan(opts.CalicoVersion)
		ev.untracked, ev.preDNAT = s.CalicoHostPlan(opts.CalicoVersion)
		ev.diags = append(ev.diags, planDiags...)
	}
	for _, p := range s.Calico.Policies {
		for _, rs := range [][]policy.CalicoRule{p.Ingress, p.Egress} {
			for _, r := range rs {
				if r.HTTP || (r.Action == policy.ActionAllow && (r.Source.Ports != nil || r.Source.NotPorts != nil)) {
					ev.conditional = true
				}
			}
		}
	}
	for _, ap := range s.Admin.Policies {
		for _, r := range ap.Egress {
			for _, p := range r.Peers {
				if len(p.DomainNames) > 0 {
					ev.conditional = true
				}
			}
		}
	}
	for _, np := range s.NetworkPolicies {
		ev.nps[np.Namespace] = append(ev.nps[np.Namespace], np)
		ev.addSelector(&np.Spec.PodSelector)
		for _, r := range np.Spec.Ingress {
			ev.addPeerSelectors(r.From)
		}
		for _, r := range np.Spec.Egress {
			ev.addPeerSelectors(r.To)
		}
	}
	return ev
}

func (ev *Evaluator) addPeerSelectors(peers []networkingv1.NetworkPolicyPeer) {
	for i := range peers {
		ev.addSelector(peers[i].PodSelector)
		ev.addSelector(peers[i].NamespaceSelector)
	}
}

func (ev *Evaluator) addSelector(ls *metav1.LabelSelector) {
	if ls != nil {
		ev.sels[ls], _ = selector.FromLabelSelector(ls)
	}
}

// selector returns the converted form of a selector of the snapshot.
func (ev *Evaluator) selector(ls *metav1.LabelSelector) selector.Selector {
	if s, ok := ev.sels[ls]; ok {
		return s
	}
	s, _ := selector.FromLabelSelector(ls)
	return s
}

// Diagnostics returns what choosing the staged view and ordering the
// Calico tiers reported (such as policies tied on order), as
// [Matrix.Diagnostics] does for the engine.
func (ev *Evaluator) Diagnostics() policy.Diagnostics {
	return append(policy.Diagnostics(nil), ev.diags...)
}

// Mode returns the resolved mode the evaluator uses.
func (ev *Evaluator) Mode() policy.Mode { return ev.mode }

// Evaluate decides one flow with a fresh [Evaluator]; see
// [Evaluator.Evaluate].
func Evaluate(s *policy.Snapshot, f Flow, opts Options) (Verdict, *Trace) {
	return NewEvaluator(s, opts).Evaluate(f)
}

// Evaluate decides the flow and explains the decision. A connection is
// allowed when the source's egress side and the destination's ingress side
// both allow it [docs/semantics.md §2.8]; a pod can always reach itself [2.9].
func (ev *Evaluator) Evaluate(f Flow) (Verdict, *Trace) {
	t := &Trace{Flow: f, Mode: ev.mode}
	if f.Src.Endpoint != nil && f.Src.Endpoint == f.Dst.Endpoint {
		t.Verdict = Allow
		t.Reason = "a pod can always reach itself"
		t.Egress = SideTrace{Direction: policy.Egress, Subject: f.Src.String(), Verdict: Allow, Decision: NotPoliced, Note: t.Reason}
		t.Ingress = SideTrace{Direction: policy.Ingress, Subject: f.Dst.String(), Verdict: Allow, Decision: NotPoliced, Note: t.Reason}
		return Allow, t
	}
	if hasPoolRanges(f.Src) || hasPoolRanges(f.Dst) {
		return ev.evaluatePools(f)
	}
	fam := family(f.Src, f.Dst)
	t.Egress = ev.side(policy.Egress, f.Src, f.Dst, f, fam, true)
	t.Ingress = ev.side(policy.Ingress, f.Dst, f.Src, f, fam, true)
	t.Verdict = combine(t.Egress.Verdict, t.Ingress.Verdict)
	if t.Verdict != Deny && ev.conditional {
		// Rules that match only under a condition we cannot check are all
		// Allow rules, so the verdict is monotone in every condition: it is
		// certain when it is the same with every condition false.
		eg := ev.side(policy.Egress, f.Src, f.Dst, f, fam, false)
		in := ev.side(policy.Ingress, f.Dst, f.Src, f, fam, false)
		if combine(eg.Verdict, in.Verdict) != t.Verdict {
			t.Verdict = Conditional
			if eg.Verdict != t.Egress.Verdict {
				t.Egress.Verdict = Conditional
			}
			if in.Verdict != t.Ingress.Verdict {
				t.Ingress.Verdict = Conditional
			}
		}
	}
	if ev.mesh != nil {
		ev.meshLayer(t, f, fam)
	}
	return t.Verdict, t
}

// side evaluates direction d at subj, with remote the other end.
func (ev *Evaluator) side(d policy.Direction, subj, remote Entity, f Flow, fam int, cond bool) SideTrace {
	st := SideTrace{Direction: d, Subject: subj.String(), Verdict: Allow, Decision: NotPoliced}
	switch {
	case subj.Endpoint == nil:
		st.Note = "an address outside the cluster's endpoints"
		return st
	case subj.Endpoint.HostNetwork:
		st.Note = "a host-network pod is treated as its node, which pod policies do not cover"
		return st
	case subj.Endpoint.Host != nil && ev.mode != policy.ModeCalico:
		st.Note = "a Calico host endpoint, evaluated in calico mode only"
		return st
	case subj.Endpoint.Host != nil:
		st.Note = hostEndpointNote(subj.Endpoint)
		ev.hostSide(&st, d, subj, remote, f, fam, cond)
		return st
	}
	if d == policy.Ingress && ev.onOwnNode(remote, subj.Endpoint) {
		st.Decision = OwnNode
		st.Note = "traffic from the pod's own node (kubelet probes) is always allowed"
		return st
	}
	if d == policy.Egress && ev.opts.OwnNodeEgressUnpoliced && ev.onOwnNode(remote, subj.Endpoint) {
		st.Note = "traffic to the pod's own node is not policed (option OwnNodeEgressUnpoliced)"
		return st
	}
	if ev.mode == policy.ModeCalico {
		ev.calicoSide(&st, d, subj, remote, f, fam, cond)
		ev.forwardSide(&st, d, subj, remote, f, fam, cond)
	} else {
		ev.kubeSide(&st, d, subj, remote, f, fam, cond)
	}
	return st
}

// onOwnNode reports whether from is the node that pod runs on: a
// host-network pod on that node, or one of the node's addresses.
func (ev *Evaluator) onOwnNode(from Entity, pod *policy.Endpoint) bool {
	if pod.Node == "" {
		return false
	}
	if from.Endpoint != nil {
		return (from.Endpoint.HostNetwork || from.Endpoint.Host != nil) && from.Endpoint.Node == pod.Node
	}
	if n := ev.snap.Node(pod.Node); n != nil {
		for _, a := range n.Addresses {
			if a == from.IP {
				return true
			}
		}
	}
	return false
}

// kubeSide is the Kubernetes-mode pipeline for one direction: Admin
// (AdminNetworkPolicy, ClusterNetworkPolicy Admin) → NetworkPolicy
// isolation and the union of its rules → Baseline
// (BaselineAdminNetworkPolicy, ClusterNetworkPolicy Baseline) → allow
// [docs/semantics.md §5.1, 5.2].
func (ev *Evaluator) kubeSide(st *SideTrace, d policy.Direction, subj, remote Entity, f Flow, fam int, cond bool) {
	out, stage, decider := ev.adminStage(policy.TierAdmin, d, subj, remote, f, fam, cond)
	if len(stage.Policies) > 0 {
		st.Stages = append(st.Stages, stage)
	}
	switch out {
	case adminAllow, adminDeny:
		st.Verdict, st.Decision, st.Decider = Allow, ByRule, decider
		if out == adminDeny {
			st.Verdict = Deny
		}
		return
	}
	np := ev.kubeStage(d, subj, remote, f, fam)
	st.Stages = append(st.Stages, np.StageTrace)
	if np.Applied {
		if np.decider != nil {
			st.Verdict, st.Decision, st.Decider = Allow, ByRule, np.decider
		} else {
			st.Verdict, st.Decision = Deny, Isolated
		}
		return
	}
	out, stage, decider = ev.adminStage(policy.TierBaseline, d, subj, remote, f, fam, cond)
	if len(stage.Policies) > 0 {
		st.Stages = append(st.Stages, stage)
	}
	switch out {
	case adminAllow, adminDeny:
		st.Verdict, st.Decision, st.Decider = Allow, ByRule, decider
		if out == adminDeny {
			st.Verdict = Deny
		}
		return
	case adminPass:
		st.Verdict, st.Decision, st.Decider = Allow, DefaultAllow, decider
		return
	}
	st.Verdict, st.Decision = Allow, NotSelected
	if len(ev.snap.Admin.Policies) > 0 && out == adminNoMatch {
		st.Decision = DefaultAllow
	}
}

type kubeStageResult struct {
	StageTrace
	decider *RuleTrace
}

// kubeStage evaluates the NetworkPolicies of subj's namespace: a policy
// applies when its podSelector matches the pod and its (defaulted)
// policyTypes include d; the first matching rule of any applying policy
// allows.
func (ev *Evaluator) kubeStage(d policy.Direction, subj, remote Entity, f Flow, fam int) kubeStageResult {
	res := kubeStageResult{StageTrace: StageTrace{Name: "NetworkPolicy"}}
	pod := subj.Endpoint
	for _, np := range ev.nps[pod.Namespace] {
		pt := PolicyTrace{Policy: np.ObjectRef}
		sel := ev.selector(&np.Spec.PodSelector)
		switch {
		case !sel.Matches(ev.podLabels(pod)):
			pt.NotSelectedBecause = "podSelector does not match the pod"
		case !np.Applies(d):
			pt.NotSelectedBecause = fmt.Sprintf("policyTypes %v does not include %s", np.Spec.PolicyTypes, directionType(d))
		default:
			pt.Selected = true
			res.Applied = true
			if d == policy.Ingress && np.DefaultedTypes && len(np.Spec.Egress) > 0 {
				pt.Note = ImplicitIngressNote
			}
			n := len(np.Spec.Ingress)
			if d == policy.Egress {
				n = len(np.Spec.Egress)
			}
			for i := 0; i < n; i++ {
				rt := ev.kubeRule(np, d, i, subj, remote, f, fam)
				pt.Rules = append(pt.Rules, rt)
				if rt.Matched && res.decider == nil {
					r := rt
					res.decider = &r
				}
			}
		}
		res.Policies = append(res.Policies, pt)
	}
	switch {
	case !res.Applied:
		res.Outcome = "no policy selects the pod"
	case res.decider != nil:
		res.Outcome = "allow"
	default:
		res.Outcome = "isolated, no rule matched: deny"
	}
	return res
}

// ImplicitIngressNote is the note of a NetworkPolicy that has egress
// rules and no policyTypes, and so also applies to ingress
// [docs/semantics.md §2.2].
const ImplicitIngressNote = "policyTypes is not set, so it defaults to [Ingress, Egress]: the policy has egress rules and also isolates the pod for ingress (docs/semantics.md §2.2)"

func directionType(d policy.Direction) networkingv1.PolicyType {
	if d == policy.Egress {
		return networkingv1.PolicyTypeEgress
	}
	return networkingv1.PolicyTypeIngress
}

// kubeRule matches rule i of direction d of a NetworkPolicy against the
// flow: (no peers, or some peer matches) and (no ports, or some port
// matches) [docs/semantics.md §2.3].
func (ev *Evaluator) kubeRule(np *policy.NetworkPolicy, d policy.Direction, i int, subj, remote Entity, f Flow, fam int) RuleTrace {
	key := policy.RuleKey{Dir: d, Index: i}
	rt := RuleTrace{Policy: np.ObjectRef, Index: i, Action: "Allow", Source: np.RuleSource[key]}
	if np.Invalid[key] {
		rt.Failed, rt.Detail = "invalid", "the rule is invalid and left out of the evaluation"
		return rt
	}
	var peers []networkingv1.NetworkPolicyPeer
	var ports []networkingv1.NetworkPolicyPort
	dst := subj // named ports resolve on the destination of the connection
	if d == policy.Ingress {
		peers, ports = np.Spec.Ingress[i].From, np.Spec.Ingress[i].Ports
	} else {
		peers, ports = np.Spec.Egress[i].To, np.Spec.Egress[i].Ports
		dst = remote
	}
	if len(peers) > 0 {
		matched, except := false, ""
		for _, p := range peers {
			ok, ex := ev.kubePeer(np.Namespace, p, remote, fam)
			if ok {
				matched = true
				break
			}
			if ex != "" {
				except = ex
			}
		}
		if !matched {
			if except != "" {
				rt.Failed, rt.Detail = "except", fmt.Sprintf("%s is in the except block %s", remote, except)
			} else {
				rt.Failed, rt.Detail = "peer", fmt.Sprintf("no peer matches %s", remote)
			}
			return rt
		}
	}
	if len(ports) > 0 {
		matched, protoSeen := false, false
		for _, p := range ports {
			proto, _ := policy.ParseKubeProtocol(string(*p.Protocol))
			if proto != f.Protocol {
				continue
			}
			protoSeen = true
			if kubePortMatches(p, dst, f) {
				matched = true
				break
			}
		}
		if !matched {
			if !protoSeen {
				rt.Failed, rt.Detail = "protocol", fmt.Sprintf("no port entry for protocol %s", f.Protocol)
			} else {
				rt.Failed, rt.Detail = "port", fmt.Sprintf("no port entry matches %d/%s on %s", f.Port, f.Protocol, dst)
			}
			return rt
		}
	}
	rt.Matched = true
	return rt
}

// kubePeer matches one NetworkPolicyPeer in a policy of namespace ns
// against the remote entity [docs/semantics.md §2.4]. For an ipBlock that contains
// the address but excludes it, except names the except block.
func (ev *Evaluator) kubePeer(ns string, p networkingv1.NetworkPolicyPeer, remote Entity, fam int) (match bool, except string) {
	if p.IPBlock != nil {
		ip, ok := ev.ipBlockAddr(remote, fam)
		if !ok {
			return false, ""
		}
		cidr, _, _ := policy.ParseCIDR(p.IPBlock.CIDR)
		if !cidr.Contains(ip) {
			return false, ""
		}
		for _, e := range p.IPBlock.Except {
			ex, _, _ := policy.ParseCIDR(e)
			if ex.Contains(ip) {
				return false, e
			}
		}
		return true, ""
	}
	if !remote.isPodNetwork() {
		return false, "" // selectors match only pods on the pod network
	}
	pod := remote.Endpoint
	if p.NamespaceSelector != nil {
		if !ev.selector(p.NamespaceSelector).Matches(ev.namespaceLabels(pod.Namespace)) {
			return false, ""
		}
	} else if pod.Namespace != ns {
		return false, ""
	}
	if p.PodSelector != nil {
		if !ev.selector(p.PodSelector).Matches(ev.podLabels(pod)) {
			return false, ""
		}
	}
	return true, ""
}

// ipBlockAddr returns the address an ipBlock sees for the remote entity:
// an outside address as is; a host-network pod's (node) address; a pod's
// address unless the IPBlockIgnoresPodIPs option is set [docs/semantics.md §2.6].
func (ev *Evaluator) ipBlockAddr(remote Entity, fam int) (netip.Addr, bool) {
	if remote.Endpoint != nil && !remote.Endpoint.HostNetwork && ev.opts.IPBlockIgnoresPodIPs {
		return netip.Addr{}, false
	}
	return remote.addr(fam)
}

// namespaceLabels returns the labels namespace selectors see: the
// namespace's labels, plus projectcalico.org/name in calico mode.
func (ev *Evaluator) namespaceLabels(ns string) map[string]string {
	n := ev.snap.Namespace(ns)
	if n == nil {
		n = &policy.Namespace{ObjectRef: policy.ObjectRef{Name: ns}, Labels: map[string]string{"kubernetes.io/metadata.name": ns}}
	}
	if ev.mode == policy.ModeCalico {
		return n.CalicoLabels()
	}
	return n.Labels
}

// podLabels returns the labels pod selectors see: the pod's labels, plus
// Calico's implicit labels in calico mode.
func (ev *Evaluator) podLabels(e *policy.Endpoint) map[string]string {
	if ev.mode == policy.ModeCalico {
		return e.CalicoLabels()
	}
	return e.Labels
}

// saLabels returns the labels service-account selectors see.
func (ev *Evaluator) saLabels(e *policy.Endpoint) map[string]string {
	if ev.mode == policy.ModeCalico {
		return ev.snap.CalicoServiceAccountLabels(e.Namespace, e.ServiceAccount)
	}
	return ev.snap.ServiceAccountLabels(e.Namespace, e.ServiceAccount)
}

// kubePortMatches matches one NetworkPolicyPort (its protocol already
// checked) against the destination port [docs/semantics.md §2.7]: no port means
// every port; a number, or the range port..endPort; a name, resolved on the
// destination pod's container ports with the same protocol and number.
func kubePortMatches(p networkingv1.NetworkPolicyPort, dst Entity, f Flow) bool {
	if p.Port == nil {
		return true
	}
	if p.Port.Type == intstr.Int {
		lo, hi := p.Port.IntVal, p.Port.IntVal
		if p.EndPort != nil {
			hi = *p.EndPort
		}
		return int32(f.Port) >= lo && int32(f.Port) <= hi
	}
	return hasNamedPort(dst, p.Port.StrVal, f.Protocol, f.Port)
}

// hasNamedPort reports whether the entity is a pod on the pod network with
// a container port of that name, protocol and number. Named ports never
// match addresses, nodes or host-network pods [docs/semantics.md §6(h)].
func hasNamedPort(e Entity, name string, proto policy.Protocol, port uint16) bool {
	// Pods, and Calico host endpoints through their ports field
	// (docs/calico-host-endpoints.md §2).
	if !e.isPodNetwork() && (e.Endpoint == nil || e.Endpoint.Host == nil) {
		return false
	}
	for _, cp := range e.Endpoint.Ports {
		if cp.Name == name && (proto == policy.AnyProtocol || cp.Protocol == proto) && cp.Port == port {
			return true
		}
	}
	return false
}
