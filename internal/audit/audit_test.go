package audit_test

import (
	"context"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"

	"github.com/netreach/netreach/internal/access"
	"github.com/netreach/netreach/internal/audit"
	"github.com/netreach/netreach/internal/policy"
	"github.com/netreach/netreach/internal/reachability"
)

// fixture loads testdata/audit/<name> (or any path under testdata) and
// audits it with kube-system shared, caching the report.
var reports sync.Map

func report(t *testing.T, name string) *audit.Report {
	t.Helper()
	if r, ok := reports.Load(name); ok {
		return r.(*audit.Report)
	}
	dir := filepath.Join("..", "..", "testdata", "audit", name)
	if strings.Contains(name, "/") {
		dir = filepath.Join("..", "..", "testdata", name)
	}
	snap, err := policy.Load(policy.LoadOptions{}, dir)
	require.NoError(t, err)
	// With the access model, as the CLI computes: its entries exist only
	// when a Service, an Ingress or a route leads in.
	m, err := access.Compute(context.Background(), snap, reachability.Options{}, access.Options{})
	require.NoError(t, err)
	r, err := audit.New(context.Background(), snap, m, audit.Options{Shared: []string{"kube-system"}})
	require.NoError(t, err)
	reports.Store(name, r)
	return r
}

func ofKind(r *audit.Report, k audit.Kind) []audit.Finding {
	var out []audit.Finding
	for _, f := range r.Findings {
		if f.Kind == k {
			out = append(out, f)
		}
	}
	return out
}

// TestKinds checks every finding kind on a fixture that has it and its
// absence on one that does not, with what the finding must say.
func TestKinds(t *testing.T) {
	t.Parallel()
	tests := []struct {
		kind       audit.Kind
		has, lacks string
		want       []string // substrings of some finding's message
		remedy     string   // substring of that finding's remedy
		line       int      // the finding's primary location line, when not 0
		wantCount  int      // number of findings of the kind, when not 0
	}{
		{kind: audit.IngressNotIsolated, has: "open", lacks: "clean", want: []string{"3 pods in 3 namespaces are not isolated for ingress: alpha (web), alpha-jobs (worker), beta (web)"}, wantCount: 1},
		{kind: audit.EgressNotIsolated, has: "open", lacks: "clean", want: []string{"3 pods in 3 namespaces are not isolated for egress", "beta (web)"}, wantCount: 1},
		// Namespaces whose pods are not isolated are NR001's and NR002's:
		// NR003 names those whose pods are isolated, but not by default.
		{kind: audit.NoDefaultDeny, has: "calico", lacks: "open", want: []string{"2 namespaces have no default-deny policy: lab (egress), shop (egress)"}, remedy: "podSelector: {}", wantCount: 1},
		{kind: audit.CrossNamespace, has: "open", lacks: "clean", want: []string{"pods of 2 namespaces can connect to other namespaces", "alpha → alpha-jobs (1 pod pair), alpha-jobs → alpha (1 pod pair)"}, wantCount: 1},
		{kind: audit.CrossTenant, has: "open", lacks: "clean", want: []string{"pods of namespace beta (tenant b) can connect to 2 namespaces of tenant a: alpha (1 pod pair), alpha-jobs (1 pod pair)"}, remedy: "client=b", wantCount: 2},
		{kind: audit.EgressInternet, has: "open", lacks: "clean", want: []string{"alpha (web)", "internet"}},
		{kind: audit.WideCIDR, has: "mistakes", lacks: "clean", want: []string{"NetworkPolicy app/web-egress egress rule 1 allows egress to 0.0.0.0/0"}, line: 50},
		{kind: audit.IngressExternal, has: "open", lacks: "clean", want: []string{"beta (web)", "from the internet"}},
		{kind: audit.PolicySelectsNothing, has: "mistakes", lacks: "clean", want: []string{"NetworkPolicy app/typo selects no pod", `app == "wbe"`}, line: 69},
		{kind: audit.PeerMatchesNothing, has: "mistakes", lacks: "clean", want: []string{"web-from-kube-system", "matches no namespace"},
			remedy: "kubernetes.io/metadata.name: kube-system", line: 64},
		{kind: audit.RuleShadowed, has: "calico", lacks: "mistakes", want: []string{"security.egress-guard egress rule 1 (Allow) never takes effect", "egress rule 0 (Deny)"}, line: 20},
		{kind: audit.RuleRedundant, has: "mistakes", lacks: "clean", want: []string{"db-from-web-again ingress rule 0 (Allow) is redundant", "app/db-from-web ingress rule 0"}, wantCount: 1, line: 34},
		{kind: audit.UnknownField, has: "mistakes", lacks: "clean", want: []string{"spec.ingress[0].from[0].ports"}, remedy: "Indent ports:", line: 22},
		{kind: audit.DNSBlocked, has: "mistakes", lacks: "clean", want: []string{"app/db, app/web", "cannot resolve names"}},
		{kind: audit.PassFallsThrough, has: "calico", lacks: "clean", want: []string{"security.ingress-pass ingress rule 0", "lab/probe", "profile"}},
		{kind: audit.StagedChange, has: "calico", lacks: "clean", want: []string{"shop/api-lockdown would close 1 flow"}},
		{kind: audit.BlastRadius, has: "open", lacks: "clean", want: []string{"3 endpoint groups can each reach at least 25% of the other endpoints", "alpha/web (100%)"}},
		{kind: audit.EntireCluster, has: "exposed", lacks: "clean", want: []string{"shop/web", "every pod of every namespace", "on TCP 8080,9090"}, line: 19, wantCount: 1},
		{kind: audit.InternetExposed, has: "access/service-types", lacks: "access/gateway-routes", want: []string{"Pod web/api is reachable from every internet client on 8080/TCP"}, wantCount: 1},
		{kind: audit.MeshOnlyProtection, has: "mesh", lacks: "clean", want: []string{"1 pod in web", "only the service mesh"}, wantCount: 1},
		{kind: audit.MeshRuleNeverMatches, has: "mesh", lacks: "clean", want: []string{"pay/ghost rule 0", "cluster.local/ns/pay/sa/ghost"}, line: 54, wantCount: 2},
		{kind: audit.MeshStrictUnreachable, has: "mesh", lacks: "clean", want: []string{"1 pod outside the mesh", "STRICT pod in web"}, remedy: "Add the clients to the mesh", wantCount: 1},
		{kind: audit.MeshPermissiveUnneeded, has: "mesh", lacks: "clean", want: []string{"2 pods in pay", "PERMISSIVE"}, remedy: "STRICT", wantCount: 1},
		{kind: audit.GeneratedEmptyValue, has: "kyverno/lost-variable", lacks: "kyverno/multi-tenant", want: []string{"spec.ingress[0].from[0].namespaceSelector.matchLabels.client is empty in NetworkPolicy test01/allow-same-tenant, NetworkPolicy test02/allow-same-tenant", "rule allow-same-tenant"},
			remedy: "Escape the Kyverno variable", line: 43, wantCount: 1},
		{kind: audit.MutatedLabelUnselected, has: "kyverno/contract-typo", lacks: "kyverno/multi-tenant", want: []string{"sets label contract=test01 on Namespace test01, contract=test02 on Namespace test02", "policies select client with the same values"},
			remedy: "make it set client instead of contract", line: 10, wantCount: 1},
		{kind: audit.ImplicitIngress, has: "defaulted-types", lacks: "clean", want: []string{"NetworkPolicy shop/web-egress has egress rules and no policyTypes", "isolates 1 pod for ingress: shop/web", "all their ingress is denied"},
			remedy: "Add policyTypes: [Egress] to NetworkPolicy shop/web-egress", line: 10, wantCount: 1},
		{kind: audit.IsolationVoided, has: "voided", lacks: "clean", want: []string{"NetworkPolicy pay/debug-allow-all ingress rule 0 allows every source on every port to 2 pods", "isolation NetworkPolicy pay/default-deny give them is void"},
			remedy: "Narrow NetworkPolicy pay/debug-allow-all ingress rule 0", line: 17, wantCount: 1},
		{kind: audit.DNSUpstreamBlocked, has: "dns-upstream", lacks: "mistakes", want: []string{"the cluster DNS pods (kube-system/coredns) cannot reach any address outside the cluster on 53/UDP", "the cluster-wide policy AdminNetworkPolicy egress-lockdown egress rule 1"},
			remedy: "before AdminNetworkPolicy egress-lockdown egress rule 1", line: 20, wantCount: 1},
		{kind: audit.EmptyLabelValue, has: "empty-value", lacks: "mistakes", want: []string{`NetworkPolicy test01/allow-same-tenant ingress rule 0 peer: client: ""`, "template variable"},
			remedy: "template variable", line: 10, wantCount: 1},
		{kind: audit.SharedEgressAddress, has: "egress/nat-outgoing", lacks: "egress/egress-gateway", want: []string{"namespace shop", "node addresses", "1 namespace of other tenants use too: ops"}, remedy: "own IP pool", wantCount: 2},
	}
	covered := map[audit.Kind]bool{audit.WaiverExpired: true} // see TestWaivers
	for _, tc := range tests {
		covered[tc.kind] = true
		t.Run(string(tc.kind), func(t *testing.T) {
			t.Parallel()
			fs := ofKind(report(t, tc.has), tc.kind)
			require.NotEmpty(t, fs, "no %s finding in %s", tc.kind, tc.has)
			require.Empty(t, ofKind(report(t, tc.lacks), tc.kind), "unexpected %s finding in %s", tc.kind, tc.lacks)
			if tc.wantCount > 0 {
				require.Len(t, fs, tc.wantCount)
			}
			var match *audit.Finding
			for i := range fs {
				ok := true
				for _, w := range tc.want {
					ok = ok && strings.Contains(fs[i].Message, w)
				}
				if ok {
					match = &fs[i]
					break
				}
			}
			require.NotNil(t, match, "no %s finding says %q; got %+v", tc.kind, tc.want, fs)
			info := tc.kind.Info()
			if match.ID != info.ID || match.Severity != info.Severity {
				t.Errorf("finding ID, severity = %s, %s, want %s, %s", match.ID, match.Severity, info.ID, info.Severity)
			}
			require.NotEmpty(t, match.Remedy)
			require.NotEmpty(t, match.Objects)
			if tc.remedy != "" {
				require.Contains(t, match.Remedy, tc.remedy)
			}
			if tc.line != 0 {
				require.Equal(t, tc.line, match.PrimaryLocation().Line, "location of %q", match.Message)
			}
		})
	}
	for _, k := range audit.Kinds() {
		if !covered[k.Kind] {
			t.Errorf("kind %s (%s) is not tested", k.ID, k.Kind)
		}
	}
}

func TestCleanHasNoFinding(t *testing.T) {
	t.Parallel()
	r := report(t, "clean")
	if len(r.Findings) != 0 {
		t.Errorf("clean fixture: %d findings, want none:\n%v", len(r.Findings), r.Findings)
	}
	require.Equal(t, 10, r.Summary.PodNetwork)
	require.Equal(t, 10, r.Summary.IsolatedIngress)
	require.Equal(t, 10, r.Summary.IsolatedEgress)
}

// TestTenantIsolation audits the seed scenario: the tenants are isolated
// from each other, so there is no cross-tenant finding, and every
// tenant pod resolves names.
func TestTenantIsolation(t *testing.T) {
	t.Parallel()
	r := report(t, "scenarios/tenant-isolation")
	require.Empty(t, ofKind(r, audit.CrossTenant))
	require.Empty(t, ofKind(r, audit.DNSBlocked))
	names := make([]string, len(r.Namespaces))
	for i, ns := range r.Namespaces {
		names[i] = ns.Name
	}
	want := []string{"ingress", "kube-system", "monitoring", "test01-db", "test01-web", "test02-db", "test02-web"}
	if d := cmp.Diff(want, names); d != "" {
		t.Errorf("namespaces (-want +got):\n%s", d)
	}
	// test01-web's pod reaches test01-db's pod and coredns; nothing else.
	flows := map[string]int{}
	for i, src := range r.Namespaces {
		for j, dst := range r.Namespaces {
			if n := r.Flows[i][j]; n > 0 {
				flows[src.Name+">"+dst.Name] = n
			}
		}
	}
	require.Equal(t, 1, flows["test01-web>test01-db"])
	require.Equal(t, 1, flows["test01-web>kube-system"])
	require.Zero(t, flows["test01-web>test02-db"])
	require.Zero(t, flows["test01-web>ingress"])
	require.Equal(t, 1, flows["ingress>test02-web"])
}

func TestBlastRadius(t *testing.T) {
	t.Parallel()
	r := report(t, "calico")
	got := map[string][2]int{}
	for _, b := range r.BlastRadius {
		got[b.Endpoint] = [2]int{b.Direct, b.Reach}
	}
	// web -> api -> probe; api -> probe; probe (ingress open, egress
	// open) -> nothing it can enter: shop only admits web.
	want := map[string][2]int{"shop/web": {2, 2}, "shop/api": {1, 1}, "lab/probe": {0, 0}}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("blast radius (-want +got):\n%s", d)
	}
	require.Equal(t, "shop/web", r.BlastRadius[0].Endpoint)
}

func TestDeterministic(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"open", "mistakes", "calico"} {
		snap, err := policy.Load(policy.LoadOptions{}, filepath.Join("..", "..", "testdata", "audit", name))
		require.NoError(t, err)
		m, err := reachability.Compute(context.Background(), snap, reachability.Options{})
		require.NoError(t, err)
		a := audit.Findings(snap, m, audit.Options{})
		b := audit.Findings(snap, m, audit.Options{})
		if d := cmp.Diff(a, b); d != "" {
			t.Errorf("%s: findings differ between runs (-first +second):\n%s", name, d)
		}
		for i := 1; i < len(a); i++ {
			if a[i-1].Severity < a[i].Severity {
				t.Errorf("%s: finding %d (%s) sorted before a more severe one (%s)", name, i-1, a[i-1].Severity, a[i].Severity)
			}
		}
	}
}

func TestOptions(t *testing.T) {
	t.Parallel()
	r := report(t, "open")
	require.Len(t, ofKind(r, audit.CrossTenant), 2)
	snap, err := policy.Load(policy.LoadOptions{}, filepath.Join("..", "..", "testdata", "audit", "open"))
	require.NoError(t, err)
	m, err := reachability.Compute(context.Background(), snap, reachability.Options{})
	require.NoError(t, err)
	// beta shared: no cross-tenant flow is left; a tenant label no
	// namespace has: every flow is cross-namespace.
	fs := audit.Findings(snap, m, audit.Options{Shared: []string{"beta"}})
	for _, f := range fs {
		require.NotEqual(t, audit.CrossTenant, f.Kind, f.Message)
	}
	fs = audit.Findings(snap, m, audit.Options{TenantLabel: "team"})
	n := 0
	for _, f := range fs {
		require.NotEqual(t, audit.CrossTenant, f.Kind, f.Message)
		if f.Kind == audit.CrossNamespace {
			n++
			require.Contains(t, f.Message, "pods of 3 namespaces can connect")
		}
	}
	require.Equal(t, 1, n)
	// A negative BlastRadiusTop turns the blast-radius findings off.
	fs = audit.Findings(snap, m, audit.Options{BlastRadiusTop: -1})
	for _, f := range fs {
		require.NotEqual(t, audit.BlastRadius, f.Kind)
	}
}

func TestWidePrefix(t *testing.T) {
	t.Parallel()
	snap, err := policy.Load(policy.LoadOptions{}, filepath.Join("..", "..", "testdata", "audit", "clean"))
	require.NoError(t, err)
	m, err := reachability.Compute(context.Background(), snap, reachability.Options{})
	require.NoError(t, err)
	// clean allows 10.0.0.2/32: only a threshold above 32 flags it.
	for _, tc := range []struct {
		prefix int
		want   int
	}{{8, 0}, {32, 0}, {33, 1}} {
		n := 0
		for _, f := range audit.Findings(snap, m, audit.Options{WidePrefix: tc.prefix}) {
			if f.Kind == audit.WideCIDR {
				n++
			}
		}
		if n != tc.want {
			t.Errorf("WidePrefix %d: %d wide-cidr findings, want %d", tc.prefix, n, tc.want)
		}
	}
}

func TestKindCatalog(t *testing.T) {
	t.Parallel()
	for i, k := range audit.Kinds() {
		want := "NR0" + string(rune('0'+(i+1)/10)) + string(rune('0'+(i+1)%10))
		if k.ID != want || k.Kind.ID() != want {
			t.Errorf("kind %d: ID %s, want %s", i, k.ID, want)
		}
		if k.Title == "" || k.Description == "" || k.Remedy == "" {
			t.Errorf("kind %s: missing text", k.ID)
		}
	}
}

func TestSeverity(t *testing.T) {
	t.Parallel()
	for _, s := range audit.Severities() {
		got, err := audit.ParseSeverity(s.String())
		require.NoError(t, err)
		require.Equal(t, s, got)
	}
	_, err := audit.ParseSeverity("severe")
	require.ErrorContains(t, err, `ParseSeverity("severe")`)
	fs := []audit.Finding{{Severity: audit.Low}, {Severity: audit.High}}
	require.True(t, audit.AtLeast(fs, audit.High))
	require.False(t, audit.AtLeast(fs, audit.Critical))
	require.Equal(t, 1, audit.CountBySeverity(fs)[audit.Low])
}

// TestTopRisks checks the ranking and grouping of the top risks on the
// fixture without policies: cross-tenant flows first, one entry per
// ordered tenant pair, then the per-namespace kinds grouped by kind.
func TestTopRisks(t *testing.T) {
	t.Parallel()
	r := report(t, "open")
	require.NotEmpty(t, r.TopRisks)
	type entry struct {
		Kind, Scope string
		Affected    int64
	}
	var got []entry
	for i, k := range r.TopRisks {
		require.Equal(t, i+1, k.Rank)
		require.Equal(t, audit.RiskScore(k.Severity, k.Affected), k.Score)
		if i > 0 {
			require.LessOrEqual(t, k.Score, r.TopRisks[i-1].Score)
		}
		for _, fi := range k.Findings {
			require.Equal(t, k.Kind, r.Findings[fi].ID, "risk %d lists finding %d", k.Rank, fi)
		}
		got = append(got, entry{k.Kind, k.Scope, k.Affected})
	}
	// beta reaches alpha and alpha-jobs (1 pod pair each); alpha and
	// alpha-jobs each reach beta.
	require.Equal(t, entry{"NR005", "tenant a → tenant b", 2}, got[0])
	require.Equal(t, entry{"NR005", "tenant b → tenant a", 2}, got[1])
	require.Contains(t, got, entry{"NR001", "alpha, alpha-jobs, beta", 3})
	for _, k := range r.TopRisks {
		require.NotEqual(t, audit.Info, k.Severity, "info findings are context, not risks")
	}
}

// TestExamplesFewerFindings checks that the bundled 3-pod example and the
// tenant example give a short list a reviewer acts on: the per-namespace
// kinds merged into one finding each (per tenant pair for cross-tenant
// flows), no namespace reported both as not isolated and as lacking a
// default deny, each finding with a remedy and a place to change.
func TestExamplesFewerFindings(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		shared []string
		max    int // the findings were 23 and 24 before merging
	}{
		{"audit/open", nil, 8},
		{"scenarios/tenant-isolation", []string{"ingress", "monitoring", "kube-system"}, 6},
	} {
		snap, err := policy.Load(policy.LoadOptions{}, filepath.Join("..", "..", "testdata", tc.name))
		require.NoError(t, err)
		m, err := reachability.Compute(context.Background(), snap, reachability.Options{})
		require.NoError(t, err)
		fs := audit.Findings(snap, m, audit.Options{Shared: tc.shared})
		require.LessOrEqual(t, len(fs), tc.max, "%s: %d findings", tc.name, len(fs))
		seen := map[string]bool{}
		for _, f := range fs {
			key := string(f.Kind)
			if f.Kind == audit.CrossTenant {
				key += " " + f.Namespaces[0] + ">" + f.Namespaces[len(f.Namespaces)-1]
			}
			require.False(t, seen[key], "%s: two %s findings", tc.name, key)
			seen[key] = true
			require.NotEmpty(t, f.Remedy)
			require.True(t, f.PrimaryLocation().IsValid(), "%s: %s has no location", tc.name, f.Message)
			if f.Kind == audit.NoDefaultDeny {
				for _, g := range fs {
					if g.Kind == audit.IngressNotIsolated || g.Kind == audit.EgressNotIsolated {
						for _, ns := range f.Namespaces {
							require.NotContains(t, g.Namespaces, ns, "%s: %s reported twice", tc.name, ns)
						}
					}
				}
			}
		}
	}
}

// TestNewKindsAreActionable checks what the new kinds leave out: the pods
// whose isolation an allow-all voids are not also "not isolated", an
// empty-value peer is not a peer that "matches nothing" with the
// kubernetes.io/metadata.name remedy, and among the ordered Deny rules
// only the one a later Deny covers is redundant.
func TestNewKindsAreActionable(t *testing.T) {
	t.Parallel()
	for _, f := range ofKind(report(t, "voided"), audit.IngressNotIsolated) {
		require.NotContains(t, f.Namespaces, "pay", f.Message)
	}
	require.Empty(t, ofKind(report(t, "empty-value"), audit.PeerMatchesNothing))
	fs := ofKind(report(t, "ordered-deny"), audit.RuleRedundant)
	require.Len(t, fs, 1)
	require.Equal(t, audit.RuleRef{Direction: policy.Egress, Index: 0}, *fs[0].Rule)
	require.Contains(t, fs[0].Message, "decided the same way by the later Calico GlobalNetworkPolicy security.egress-guard egress rule 2 (Deny)")
	require.Equal(t, 20, fs[0].PrimaryLocation().Line)
	require.Empty(t, ofKind(report(t, "ordered-deny"), audit.RuleShadowed))
	// The excerpt shows the rule to delete, three lines either side.
	x := fs[0].Excerpt
	require.NotNil(t, x)
	require.Equal(t, 17, x.Start)
	require.Equal(t, 20, x.Line)
	require.Equal(t, "  - action: Deny", x.Lines[x.Line-x.Start])
	// The defaulted policyTypes are explained by the reference evaluator
	// (netreach explain) too.
	snap, err := policy.Load(policy.LoadOptions{}, filepath.Join("..", "..", "testdata", "audit", "defaulted-types"))
	require.NoError(t, err)
	ev := reachability.NewEvaluator(snap, reachability.Options{})
	var web, api *policy.Endpoint
	for _, e := range snap.Endpoints {
		switch e.ID() {
		case "shop/web":
			web = e
		case "shop/api":
			api = e
		}
	}
	v, tr := ev.Evaluate(reachability.Flow{Src: reachability.EndpointEntity(api), Dst: reachability.EndpointEntity(web), Protocol: policy.TCP, Port: 8080})
	require.Equal(t, reachability.Deny, v)
	notes := ""
	for _, st := range tr.Ingress.Stages {
		for _, p := range st.Policies {
			notes += p.Note
		}
	}
	require.Equal(t, reachability.ImplicitIngressNote, notes)
}

// TestNotIsolatedByAllowAll checks NR001's remedy for pods whose only
// policy allows every peer: a default deny would not isolate them, so the
// remedy, as NR027's, is to narrow the allow-all rule.
func TestNotIsolatedByAllowAll(t *testing.T) {
	t.Parallel()
	r := report(t, "allow-all-only")
	require.Empty(t, ofKind(r, audit.IsolationVoided))
	fs := ofKind(r, audit.IngressNotIsolated)
	require.Len(t, fs, 1)
	// web has no policy (a default deny helps), cart only the allow-all.
	require.Equal(t, "For the pods no policy selects: add a NetworkPolicy to shop with podSelector: {} and policyTypes: [Ingress], then allow the ingress the pods need. "+
		"For the others: narrow NetworkPolicy shop/cart-from-anywhere ingress rule 0 to the peers and ports the pods need, or delete it: a default deny would not help, since NetworkPolicies add up and an allow-all rule allows everything whatever else denies.",
		fs[0].Remedy)
	require.Equal(t, "NetworkPolicy shop/cart-from-anywhere", fs[0].Objects[0].String())
	// Egress: no policy at all, the default deny is the remedy.
	eg := ofKind(r, audit.EgressNotIsolated)
	require.Len(t, eg, 1)
	require.Contains(t, eg[0].Remedy, "Add a NetworkPolicy to shop with podSelector: {} and policyTypes: [Egress]")

	// Merged over lab (no policy) and shop (only an allow-all, for
	// every pod): the remedy says which namespace needs which.
	r = report(t, "fixes/merged/input")
	for _, k := range []audit.Kind{audit.IngressNotIsolated, audit.EgressNotIsolated} {
		fs := ofKind(r, k)
		require.Len(t, fs, 1)
		require.Equal(t, []string{"lab", "shop"}, fs[0].Namespaces)
		require.True(t, strings.HasPrefix(fs[0].Remedy, "In shop, pods are open because NetworkPolicy shop/allow-everything "), fs[0].Remedy)
		require.Contains(t, fs[0].Remedy, "In the other namespaces: add a NetworkPolicy with podSelector: {}")
	}
}

// TestStructuredFields checks the fields a fix reads instead of the
// message: the unknown field's path (NR013) and the side that blocks DNS
// (NR014).
func TestStructuredFields(t *testing.T) {
	t.Parallel()
	r := report(t, "mistakes")
	uf := ofKind(r, audit.UnknownField)
	require.NotEmpty(t, uf)
	misplaced := 0
	for _, f := range uf {
		require.NotEmpty(t, f.Field, f.Message)
		require.Contains(t, f.Message, f.Field)
		if audit.MisplacedPorts(f.Field) {
			misplaced++
		}
	}
	require.Equal(t, 1, misplaced)
	require.False(t, audit.MisplacedPorts("spec.ingress[0].ports"))
	require.False(t, audit.MisplacedPorts("spec.ingress[0].from[0].port"))
	dns := ofKind(r, audit.DNSBlocked)
	require.NotEmpty(t, dns)
	for _, f := range dns {
		require.NotNil(t, f.BlockedAt, f.Message)
		require.Equal(t, policy.Egress, *f.BlockedAt, f.Message)
	}
}
