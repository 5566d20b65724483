package exposure_test

import (
	"context"
	"flag"
	"fmt"
	"maps"
	"math/rand/v2"
	"net/netip"
	"slices"
	"testing"

	"go4.org/netipx"
	"sigs.k8s.io/yaml"

	"github.com/netreach/netreach/internal/exposure"
	"github.com/netreach/netreach/internal/policy"
	"github.com/netreach/netreach/internal/randcluster"
	"github.com/netreach/netreach/internal/reachability"
	"github.com/netreach/netreach/internal/selector"
)

var (
	propClusters = flag.Int("exposure.clusters", 150, "random clusters per exposure property test")
	propPods     = flag.Int("exposure.pods", 4, "random new pods per cluster")
	propSeed     = flag.Uint64("exposure.seed", 0, "first seed of the exposure property tests")
)

// newPod is a random hypothetical pod and the manifests that create it.
type newPod struct {
	pod  exposure.Pod
	docs []any
}

// randomPod draws a pod that the space covers: a random existing or new
// namespace (with random labels), random labels, service account, node,
// addresses (free ones, in the families the input uses) and named ports.
func randomPod(r *rand.Rand, snap *policy.Snapshot, v6 bool) newPod {
	w := randcluster.Words()
	pick := func(xs []string) string { return xs[r.IntN(len(xs))] }
	labels := func(n int) map[string]string {
		m := map[string]string{}
		for i := 0; i < r.IntN(n+1); i++ {
			m[pick(w.LabelKeys)] = pick(w.LabelValues)
		}
		return m
	}
	var p exposure.Pod
	if r.IntN(2) == 0 && len(snap.Namespaces) > 0 {
		p.Namespace = snap.Namespaces[r.IntN(len(snap.Namespaces))].Name
	} else {
		p.Namespace = pick([]string{"fresh", "ns9", "x-new"})
		p.NamespaceLabels = labels(3)
	}
	p.Labels = labels(3)
	p.ServiceAccount = pick([]string{"", "default", "sa1", "sa2"})
	sa := p.ServiceAccount
	if sa == "" {
		sa = "default"
	}
	used := slices.ContainsFunc(snap.Endpoints, func(e *policy.Endpoint) bool { return e.Namespace == p.Namespace && e.ServiceAccount == sa })
	if snap.ServiceAccountLabels(p.Namespace, sa) == nil && !used && r.IntN(2) == 0 {
		p.ServiceAccountLabels = labels(2) // a new service account
	}
	p.Node = pick(append(w.Nodes, "n3", ""))
	taken := map[netip.Addr]bool{}
	for _, e := range snap.Endpoints {
		for _, ip := range e.IPs {
			taken[ip] = true
		}
	}
	for _, n := range snap.Nodes {
		for _, a := range n.Addresses {
			taken[a] = true
		}
	}
	free := func(cands []string) (netip.Addr, bool) {
		for k := 0; k < 20; k++ {
			ip := netip.MustParseAddr(pick(cands))
			if !taken[ip] {
				return ip, true
			}
		}
		return netip.Addr{}, false
	}
	v4s := []string{"10.1.1.1", "10.1.1.7", "10.1.1.130", "10.1.2.3", "10.0.0.9", "10.2.0.4", "10.3.4.5", "192.168.3.4", "8.8.8.8", "1.2.3.4", "172.16.0.9", "10.1.1.200",
		fmt.Sprintf("10.%d.%d.%d", r.IntN(3), r.IntN(2), 1+r.IntN(200))}
	v6s := []string{"fd00::1", "fd00::2", "fd00::7", "fd00::1:5", "2001:db8::9"}
	family := 4
	if v6 {
		family = []int{4, 4, 46, 6}[r.IntN(4)]
	}
	if family == 4 || family == 46 {
		if ip, ok := free(v4s); ok {
			p.IPs = append(p.IPs, ip)
		}
	}
	if family == 6 || family == 46 || len(p.IPs) == 0 && v6 {
		if ip, ok := free(v6s); ok {
			p.IPs = append(p.IPs, ip)
		}
	}
	for k := 0; k < r.IntN(4); k++ {
		cp := policy.ContainerPort{Port: uint16(80 + r.IntN(4)), Protocol: policy.TCP}
		if r.IntN(10) < 7 {
			cp.Name = pick(w.PortNames)
		}
		if r.IntN(10) < 3 {
			cp.Protocol = []policy.Protocol{policy.UDP, policy.SCTP}[r.IntN(2)]
		}
		p.Ports = append(p.Ports, cp)
	}
	var docs []any
	for _, o := range p.Objects(snap) {
		docs = append(docs, o)
	}
	return newPod{pod: p, docs: docs}
}

func load(t *testing.T, name string, data []byte) *policy.Snapshot {
	t.Helper()
	l := policy.NewLoader(policy.LoadOptions{})
	l.AddBytes(name, data)
	snap, err := l.Snapshot()
	if err != nil {
		t.Fatalf("%s: load: %v\n%s", name, err, data)
	}
	return snap
}

// checkPrediction adds the pod to the cluster (its manifests, loaded and
// applied as kubectl apply would), recomputes the matrix and compares the
// pod's row and column with the prediction.
func checkPrediction(an *exposure.Analysis, np newPod, opts reachability.Options, pr *exposure.Prediction, snap *policy.Snapshot, rep *exposure.Report) string {
	snap2, _, err := an.SnapshotWith(np.pod)
	if err != nil {
		return fmt.Sprintf("add the pod: %v", err)
	}
	m, err := reachability.Compute(context.Background(), snap2, opts)
	if err != nil {
		return "compute: " + err.Error()
	}
	h, ok := m.Lookup(np.pod.Namespace + "/hypothetical")
	if !ok {
		return "the new pod is not in the matrix"
	}
	for i, e := range snap.Endpoints {
		j, ok := m.Lookup(e.ID())
		if !ok {
			return "endpoint " + e.ID() + " lost"
		}
		if msg := sameConn(fmt.Sprintf("pod -> %s", e.ID()), m, h, j, pr.To[i]); msg != "" {
			return msg
		}
		if msg := sameConn(fmt.Sprintf("%s -> pod", e.ID()), m, j, h, pr.From[i]); msg != "" {
			return msg
		}
		if msg := checkAddressEntries(m, j, e.ID(), rep); msg != "" {
			return msg
		}
	}
	for k := m.NumEndpoints(); k < m.Len(); k++ {
		at, _ := m.ExternalAtom(k)
		find := func(list []exposure.AddressConn) (exposure.Conn, bool) {
			for _, a := range list {
				if a.Range.Contains(at.Range.From()) && a.Range.Contains(at.Range.To()) {
					return a.Conn, true
				}
			}
			return exposure.Conn{}, false
		}
		to, ok1 := find(pr.ToAddresses)
		from, ok2 := find(pr.FromAddresses)
		if !ok1 || !ok2 {
			return fmt.Sprintf("no predicted address range holds atom %s", at)
		}
		if msg := sameConn("pod -> "+at.String(), m, h, k, to); msg != "" {
			return msg
		}
		if msg := sameConn(at.String()+" -> pod", m, k, h, from); msg != "" {
			return msg
		}
	}
	return ""
}

// checkAddressEntries compares the report's address entries of endpoint
// entry j with the matrix's row and column over the external atoms.
func checkAddressEntries(m *reachability.Matrix, j int, id string, rep *exposure.Report) string {
	for k := m.NumEndpoints(); k < m.Len(); k++ {
		at, _ := m.ExternalAtom(k)
		for _, dir := range []policy.Direction{policy.Ingress, policy.Egress} {
			want := exposure.Conn{Allowed: reachability.NoConnections(m.ConnectionScope()), Conditional: reachability.NoConnections(m.ConnectionScope())}
			for _, e := range rep.Entries {
				if e.Direction != dir || e.Addresses == nil || !slices.Contains(e.Endpoints, id) {
					continue
				}
				if slices.ContainsFunc(e.Addresses, func(r netipx.IPRange) bool { return r.Contains(at.Range.From()) }) {
					want = exposure.Conn{Allowed: e.Allowed, Conditional: e.Conditional}
				}
			}
			src, dst := k, j
			if dir == policy.Egress {
				src, dst = j, k
			}
			if msg := sameConn(fmt.Sprintf("report %s %s %s", id, dir, at), m, src, dst, want); msg != "" {
				return msg
			}
		}
	}
	return ""
}

// checkReport reads the pod's connections off the report's entries (the
// union of those whose terms cover it) and compares them with the
// prediction.
func checkReport(an *exposure.Analysis, rep *exposure.Report, p exposure.Pod, pr *exposure.Prediction, snap *policy.Snapshot) string {
	for i, ep := range snap.Endpoints {
		for _, dir := range []policy.Direction{policy.Ingress, policy.Egress} {
			want := pr.To[i]
			if dir == policy.Egress {
				want = pr.From[i]
			}
			got := exposure.Conn{Allowed: reachability.NoConnections(want.Allowed.Scope()), Conditional: reachability.NoConnections(want.Allowed.Scope())}
			var hits []string
			for _, e := range rep.Entries {
				if e.Direction != dir || e.Terms == nil || !slices.Contains(e.Endpoints, ep.ID()) {
					continue
				}
				if !slices.ContainsFunc(e.Terms, func(t exposure.Term) bool { return an.Covers(&t, p) }) {
					continue
				}
				hits = append(hits, e.Peer()+" : "+e.ConnectionsText())
				var c exposure.Conn
				if dir == policy.Egress {
					c = e.ConnectionsFor(p.Ports)
				} else {
					c = e.ConnectionsFor(nil)
				}
				got.Allowed = got.Allowed.Union(c.Allowed)
				got.Conditional = got.Conditional.Union(c.Conditional)
			}
			got.Conditional = got.Conditional.Subtract(got.Allowed)
			if !got.Allowed.Equal(want.Allowed) || !got.Conditional.Equal(want.Conditional) {
				return fmt.Sprintf("report: %s %s: the entries %q give allowed %q conditional %q, predicted %q %q",
					ep.ID(), dir, hits, got.Allowed, got.Conditional, want.Allowed, want.Conditional)
			}
		}
	}
	return ""
}

// propQueries are the selections the property tests ask Find about.
var propQueries = []exposure.Query{
	{NewNamespaces: true},
	{NewNamespaces: true, NamespaceSelector: ptr(selector.MustParse("team == 'a' || !has(tier)")), PodSelector: ptr(selector.MustParse("app != 'b'"))},
	{Namespaces: []string{"ns0", "ns1"}, PodSelector: ptr(selector.MustParse("has(tier)"))},
}

func ptr[T any](v T) *T { return &v }

// queryHolds evaluates a query on a pod directly.
func queryHolds(q exposure.Query, p exposure.Pod, snap *policy.Snapshot) bool {
	nsl := p.NamespaceLabels
	existing := snap.Namespace(p.Namespace)
	if existing != nil {
		nsl = existing.Labels
	} else {
		nsl = maps.Clone(nsl)
		if nsl == nil {
			nsl = map[string]string{}
		}
		nsl["kubernetes.io/metadata.name"] = p.Namespace
	}
	switch {
	case len(q.Namespaces) > 0 && !slices.Contains(q.Namespaces, p.Namespace):
		return false
	case existing == nil && (!q.NewNamespaces || len(q.Namespaces) > 0):
		return false
	case q.NamespaceSelector != nil && !q.NamespaceSelector.Matches(nsl):
		return false
	case q.PodSelector != nil && !q.PodSelector.Matches(p.Labels):
		return false
	}
	return true
}

// checkFind holds Find to the pod: when the pod is selected and connects
// with an endpoint, Find must find a pod doing the same.
func checkFind(an *exposure.Analysis, p exposure.Pod, pr *exposure.Prediction, snap *policy.Snapshot) string {
	all := reachability.AllConnections(reachability.ScopeAllProtocols)
	for qi, q := range propQueries {
		if !queryHolds(q, p, snap) {
			continue
		}
		for i, ep := range snap.Endpoints {
			for _, dir := range []policy.Direction{policy.Ingress, policy.Egress} {
				c := pr.To[i]
				if dir == policy.Egress {
					c = pr.From[i]
				}
				if c.Allowed.IsEmpty() && c.Conditional.IsEmpty() {
					continue
				}
				w, ok, err := an.Find(q, i, dir, all, nil)
				if err != nil {
					return fmt.Sprintf("Find(query %d, %s, %s): %v", qi, ep.ID(), dir, err)
				}
				if !ok {
					return fmt.Sprintf("Find(query %d %s, %s, %s) found nothing, but the pod connects: %q", qi, q, ep.ID(), dir, c.Allowed)
				}
				if !queryHolds(q, w.Pod, snap) {
					return fmt.Sprintf("Find(query %d %s, %s, %s) returned %s, which the query does not select", qi, q, ep.ID(), dir, w.Pod)
				}
			}
		}
	}
	return ""
}

func sameConn(what string, m *reachability.Matrix, i, j int, want exposure.Conn) string {
	allowed, cond := m.Connections(i, j)
	if !allowed.Equal(want.Allowed) || !cond.Equal(want.Conditional) {
		return fmt.Sprintf("%s: recomputed allowed %q conditional %q, predicted allowed %q conditional %q",
			what, allowed, cond, want.Allowed, want.Conditional)
	}
	return ""
}

// runProperty draws clusters with gen, adds random pods, and holds the
// prediction to a full recompute.
func runProperty(t *testing.T, salt uint64, gen func(r *rand.Rand, i int) ([]byte, reachability.Options)) {
	for i := 0; i < *propClusters; i++ {
		seed := *propSeed + uint64(i)
		r := rand.New(rand.NewPCG(seed, salt))
		data, opts := gen(r, i)
		snap := load(t, fmt.Sprintf("seed-%d.yaml", seed), data)
		an, err := exposure.Analyze(context.Background(), snap, exposure.Options{Reach: opts, Queries: propQueries})
		if err != nil {
			t.Fatalf("seed %d: Analyze: %v\n%s", seed, err, data)
		}
		v6 := slices.ContainsFunc(mustPredictAny(t, an, snap).ToAddresses, func(a exposure.AddressConn) bool { return a.Range.From().Is6() })
		rep, err := an.Report(context.Background(), exposure.ReportOptions{})
		if err != nil {
			t.Fatalf("seed %d: Report: %v\n%s", seed, err, data)
		}
		for k := 0; k < *propPods; k++ {
			np := randomPod(r, snap, v6)
			if len(np.pod.IPs) == 0 {
				continue
			}
			pr, err := an.Predict(np.pod)
			if err != nil {
				t.Fatalf("seed %d: Predict(%+v): %v", seed, np.pod, err)
			}
			msg := checkPrediction(an, np, opts, pr, snap, rep)
			if msg == "" {
				msg = checkReport(an, rep, np.pod, pr, snap)
			}
			if msg == "" {
				msg = checkFind(an, np.pod, pr, snap)
			}
			if msg != "" {
				y, _ := yaml.Marshal(np.docs)
				t.Fatalf("seed %d (rerun with -exposure.seed=%d -exposure.clusters=1), %s:\n%s\n--- new pod ---\n%s\n--- cluster ---\n%s",
					seed, seed, opts.Describe(an.Mode()), msg, y, data)
			}
		}
	}
}

// mustPredictAny predicts an arbitrary valid pod, to learn the address
// families the analysis covers.
func mustPredictAny(t *testing.T, an *exposure.Analysis, snap *policy.Snapshot) *exposure.Prediction {
	t.Helper()
	for _, ip := range []string{"203.0.113.77", "198.51.100.3"} {
		pr, err := an.Predict(exposure.Pod{Namespace: "probe-ns", IPs: []netip.Addr{netip.MustParseAddr(ip)}})
		if err == nil {
			return pr
		}
	}
	t.Fatalf("no probe pod fits the space")
	return nil
}

// TestPredictKubernetes: NetworkPolicies only.
func TestPredictKubernetes(t *testing.T) {
	runProperty(t, 0xe4905, func(r *rand.Rand, i int) ([]byte, reachability.Options) {
		data := randcluster.Generate(r, randcluster.Config{Namespaces: 1 + r.IntN(3), Pods: 2 + r.IntN(6), Policies: r.IntN(6)})
		return data, reachability.Options{Mode: policy.ModeK8s, IPBlockIgnoresPodIPs: r.IntN(4) == 0, OwnNodeEgressUnpoliced: r.IntN(4) == 0}
	})
}

// TestPredictAdmin: AdminNetworkPolicies, BaselineAdminNetworkPolicy and
// ClusterNetworkPolicies with NetworkPolicies.
func TestPredictAdmin(t *testing.T) {
	runProperty(t, 0xad314, func(r *rand.Rand, i int) ([]byte, reachability.Options) {
		data := randcluster.Generate(r, randcluster.Config{Namespaces: 1 + r.IntN(3), Pods: 2 + r.IntN(6), Policies: r.IntN(5), Admin: true})
		return data, reachability.Options{Mode: policy.ModeK8s, IPBlockIgnoresPodIPs: r.IntN(4) == 0, OwnNodeEgressUnpoliced: r.IntN(4) == 0}
	})
}

// TestPredictCalico: Calico tiers, policies, network sets, service
// accounts, IPv6, with Kubernetes and cluster-wide policies, every version
// profile and staged view.
func TestPredictCalico(t *testing.T) {
	versions := []policy.CalicoVersion{policy.Calico332, policy.CalicoPre329, policy.Calico329, policy.Calico330}
	views := []policy.StagedView{policy.StagedEnforced, policy.StagedPending, policy.StagedPromote}
	runProperty(t, 0xca11c0, func(r *rand.Rand, i int) ([]byte, reachability.Options) {
		data := randcluster.Generate(r, randcluster.Config{Namespaces: 1 + r.IntN(3), Pods: 2 + r.IntN(6), Policies: r.IntN(6), Admin: i%3 == 0, Calico: true})
		return data, reachability.Options{Mode: policy.ModeCalico, CalicoVersion: versions[r.IntN(len(versions))], Staged: views[r.IntN(len(views))]}
	})
}
