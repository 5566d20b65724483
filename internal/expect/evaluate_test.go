package expect_test

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"

	"github.com/netreach/netreach/internal/expect"
	"github.com/netreach/netreach/internal/policy"
	"github.com/netreach/netreach/internal/reachability"
)

// matrixOf loads manifests and computes their matrix, once per set of
// paths.
var matrixOf = func() func(t *testing.T, paths ...string) *reachability.Matrix {
	var mu sync.Mutex
	cache := map[string]*reachability.Matrix{}
	return func(t *testing.T, paths ...string) *reachability.Matrix {
		t.Helper()
		mu.Lock()
		defer mu.Unlock()
		key := strings.Join(paths, "\x00")
		if m, ok := cache[key]; ok {
			return m
		}
		snap, err := policy.Load(policy.LoadOptions{}, paths...)
		require.NoError(t, err)
		m, err := reachability.Compute(context.Background(), snap, reachability.Options{})
		require.NoError(t, err)
		cache[key] = m
		return m
	}
}()

const shopDir = "../../testdata/check/shop"

// rules builds an expectations file from rules written as YAML mappings
// (without the leading "- "), indented by two spaces.
func rules(rs ...string) string {
	var b strings.Builder
	b.WriteString("apiVersion: netreach.io/v1alpha1\nkind: Expectations\nrules:\n")
	for _, r := range rs {
		for i, ln := range strings.Split(strings.TrimSpace(r), "\n") {
			if i == 0 {
				b.WriteString("- " + ln + "\n")
			} else {
				b.WriteString("  " + ln + "\n")
			}
		}
	}
	return b.String()
}

// evalOne parses one rule and evaluates it on m, keeping every violation.
func evalOne(t *testing.T, m *reachability.Matrix, rule string) expect.Result {
	t.Helper()
	x, err := expect.Parse("x.yaml", []byte(rules("name: r\n"+rule)))
	require.NoError(t, err)
	res := x.Evaluate(m, expect.Options{MaxExamples: -1})
	require.Len(t, res, 1)
	return res[0]
}

func violations(r expect.Result) []string {
	var out []string
	for _, v := range r.Violations {
		out = append(out, v.String())
	}
	return out
}

// TestForms checks each way of selecting endpoints and ports on the shop
// fixture (testdata/check/shop): web takes 8080 from anywhere, db takes
// 5432 from web only, api (a workload without pods) takes 9000 from web,
// db has no egress, web reaches db, api and the internet on 443.
func TestForms(t *testing.T) {
	t.Parallel()
	const (
		webA = "shop/web-5d8f7c9b4-abcde"
		webF = "shop/web-5d8f7c9b4-fghij"
		db   = "shop/db-7c6b5a498-klmno"
	)
	tests := []struct {
		name       string
		rule       string
		status     expect.Status
		pairs      int
		violations []string
	}{
		{"namespace name", "from: {namespace: shop, podSelector: {matchLabels: {app: db}}}\nto: {namespace: ops}\nexpect: deny",
			expect.Pass, 1, nil},
		{"namespace glob", "from: {namespace: \"o*\"}\nto: {namespace: \"sh?p\", pod: \"db-*\"}\nexpect: deny",
			expect.Pass, 1, nil},
		{"namespace list", "from: {namespace: [ops, shop]}\nto: {namespace: shop, podSelector: {matchLabels: {app: db}}}\nports: [5432]\nexpect: deny",
			expect.Fail, 4, []string{webA + " -> " + db + " 5432/TCP: allow", webF + " -> " + db + " 5432/TCP: allow"}},
		{"namespaceSelector and named port", "from: {namespaceSelector: {matchLabels: {team: ops}}}\nto: {namespace: shop, workload: Deployment/web}\nports: [http]\nexpect: allow",
			expect.Pass, 2, nil},
		{"podSelector with expressions", "from:\n  namespace: shop\n  podSelector:\n    matchExpressions: [{key: app, operator: In, values: [web]}]\nto: {namespace: shop, podSelector: {matchLabels: {app: api}}}\nports: [9000/TCP]\nexpect: allow",
			expect.Pass, 2, nil},
		{"pod glob", "from: {namespace: shop, pod: \"web-*-abcde\"}\nto: {namespace: shop, pod: \"db-*\"}\nports: [postgres]\nexpect: allow",
			expect.Pass, 1, nil},
		{"workload name glob", "from: {workload: \"we?\"}\nto: {workload: Deployment/db}\nports: [\"5432\"]\nexpect: allow",
			expect.Pass, 2, nil},
		{"workload without pods", "from: {workload: Deployment/api}\nto: {namespace: shop, workload: db}\nexpect: deny",
			expect.Pass, 1, nil},
		{"workload kind glob", "from: {workload: \"Deploy*/web\"}\nto: {workload: \"*/api\"}\nports: [grpc/TCP]\nexpect: allow",
			expect.Pass, 2, nil},
		{"cidr minus notCIDR", "from: {workload: web}\nto: {cidr: 0.0.0.0/0, notCIDR: 10.0.0.0/8}\nports: [443/TCP]\nexpect: allow",
			expect.Pass, 4, nil},
		{"ip address outside", "from: {workload: web}\nto: {cidr: 8.8.8.8}\nports: [443/TCP, 80]\nexpect: allow",
			expect.Fail, 2, []string{webA + " -> 8.8.8.8/32 80/TCP: deny", webF + " -> 8.8.8.8/32 80/TCP: deny"}},
		{"ip address of a pod", "from: {cidr: 10.1.0.10}\nto: {namespace: shop, pod: \"db-*\"}\nports: [5432]\nexpect: allow",
			expect.Pass, 1, nil},
		{"external sources", "from: {cidr: [0.0.0.0/0]}\nto: {namespace: shop}\nports: [8080]\nexpect: deny",
			// cidr picks the endpoints with an address inside too
			// (debug, web, db; not api, a template without address).
			expect.Fail, 25, []string{"ops/debug -> " + webA + " 8080/TCP: allow", "ops/debug -> " + webF + " 8080/TCP: allow",
				"0.0.0.0-9.255.255.255 -> " + webA + " 8080/TCP: allow", "0.0.0.0-9.255.255.255 -> " + webF + " 8080/TCP: allow",
				"10.0.0.0/8 -> " + webA + " 8080/TCP: allow", "10.0.0.0/8 -> " + webF + " 8080/TCP: allow",
				"11.0.0.0-255.255.255.255 -> " + webA + " 8080/TCP: allow", "11.0.0.0-255.255.255.255 -> " + webF + " 8080/TCP: allow"}},
		{"calico selector", "from: {selector: \"app == 'web'\"}\nto: {selector: \"projectcalico.org/namespace == 'shop' && app == 'db'\"}\nports: [5432]\nexpect: allow",
			expect.Pass, 2, nil},
		{"port range merged around an allowed port", "from: {workload: web}\nto: {workload: db}\nports: [{protocol: TCP, port: 5430, endPort: 5435}]\nexpect: allow",
			expect.Fail, 2, []string{webA + " -> " + db + " 5430-5431/TCP: deny", webA + " -> " + db + " 5433-5435/TCP: deny",
				webF + " -> " + db + " 5430-5431/TCP: deny", webF + " -> " + db + " 5433-5435/TCP: deny"}},
		{"range in short form", "from: {workload: web}\nto: {workload: db}\nports: [5432-5433/TCP]\nexpect: deny",
			expect.Fail, 2, []string{webA + " -> " + db + " 5432/TCP: allow", webF + " -> " + db + " 5432/TCP: allow"}},
		{"whole protocols", "from: {namespace: ops}\nto: {namespace: shop}\nports: [UDP, {protocol: SCTP}]\nexpect: deny",
			expect.Pass, 4, nil},
		{"port object", "from: {namespace: ops}\nto: {workload: web}\nports: [{port: 8080}, {protocol: TCP, port: http}]\nexpect: allow",
			expect.Pass, 2, nil},
		{"every port", "from: {workload: db}\nto: {namespace: ops}\nexpect: deny",
			expect.Pass, 1, nil},
		{"every port, allow", "from: {namespace: ops}\nto: {workload: web}\nexpect: allow",
			expect.Fail, 2, []string{"ops/debug -> " + webA + " 1-8079/TCP: deny", "ops/debug -> " + webA + " 8081-65535/TCP: deny",
				"ops/debug -> " + webA + " 1-65535/UDP: deny", "ops/debug -> " + webA + " 1-65535/SCTP: deny",
				"ops/debug -> " + webF + " 1-8079/TCP: deny", "ops/debug -> " + webF + " 8081-65535/TCP: deny",
				"ops/debug -> " + webF + " 1-65535/UDP: deny", "ops/debug -> " + webF + " 1-65535/SCTP: deny"}},
	}
	m := matrixOf(t, shopDir)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := evalOne(t, m, tc.rule)
			require.NoError(t, got.Err)
			if got.Status != tc.status || got.Pairs != tc.pairs {
				t.Errorf("status, pairs = %s, %d, want %s, %d", got.Status, got.Pairs, tc.status, tc.pairs)
			}
			if d := cmp.Diff(tc.violations, violations(got)); d != "" {
				t.Errorf("violations (-want +got):\n%s", d)
			}
			if got.NumViolations != len(tc.violations) {
				t.Errorf("NumViolations = %d, want %d", got.NumViolations, len(tc.violations))
			}
			if (got.Trace != nil) != (tc.status == expect.Fail) {
				t.Errorf("Trace = %v, want one only for a failure", got.Trace)
			}
		})
	}
}

// TestCause checks what a failing rule is blamed on: the rule that
// allowed, an endpoint no policy selects, or the policy that isolates.
func TestCause(t *testing.T) {
	t.Parallel()
	m := matrixOf(t, shopDir)
	tests := []struct {
		name, rule string
		location   string // of the result
		cause      string
	}{
		{"unwanted allow by an ingress rule", "from: {namespace: ops}\nto: {workload: web}\nports: [8080]\nexpect: deny",
			"../../testdata/check/shop/policy.yaml:17:5",
			"../../testdata/check/shop/policy.yaml:17:5: ingress rule 0 (Allow) of NetworkPolicy shop/web-from-anywhere allows it"},
		{"unwanted allow to an unprotected pod", "from: {workload: api}\nto: {namespace: ops}\nports: [80]\nexpect: deny",
			"../../testdata/check/shop/cluster.yaml:91:1",
			"../../testdata/check/shop/cluster.yaml:91:1: Pod ops/debug: no policy selects it for this direction: allowed"},
		{"missing allow: egress isolation", "from: {workload: db}\nto: {namespace: ops}\nports: [80]\nexpect: allow",
			"x.yaml:4:3",
			"../../testdata/check/shop/policy.yaml:39:1: NetworkPolicy shop/db-no-egress selects shop/db-7c6b5a498-klmno for egress and no rule allows it (isolated by NetworkPolicy and no rule matched: denied)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := evalOne(t, m, tc.rule)
			require.Equal(t, expect.Fail, got.Status)
			require.NotNil(t, got.Cause)
			if s := got.Location.String(); s != tc.location {
				t.Errorf("Location = %s, want %s", s, tc.location)
			}
			if s := got.Cause.Location.String() + ": " + got.Cause.Text; s != tc.cause {
				t.Errorf("Cause = %s, want %s", s, tc.cause)
			}
		})
	}
}

// TestSelectsNothing checks that rules that select nothing are errors,
// located at the selection.
func TestSelectsNothing(t *testing.T) {
	t.Parallel()
	m := matrixOf(t, shopDir)
	tests := []struct {
		name, rule, err, location string
	}{
		{"from", "from: {namespace: nosuch}\nto: {namespace: shop}\nexpect: deny",
			"from {namespace: nosuch} selects no endpoint or address", "x.yaml:5:9"},
		{"to", "from: {namespace: shop}\nto:\n  namespace: shop\n  podSelector: {matchLabels: {app: nosuch}}\nexpect: deny",
			"to {namespace: shop, podSelector: app=nosuch} selects no endpoint or address", "x.yaml:7:5"},
		{"only a pod and itself", "from: {namespace: ops}\nto: {namespace: ops}\nexpect: deny",
			"selects no flow: every selected pair is an endpoint and itself, or two addresses", "x.yaml:4:3"},
		{"named port nobody declares", "from: {workload: web}\nto: {workload: db}\nports: [postgres/UDP]\nexpect: allow",
			"selects no flow: no selected destination declares a container port named as in ports (postgres/UDP)", "x.yaml:4:3"},
		{"isolate by a label no namespace has", "isolate: {namespacesBy: tenant}",
			"isolate: no namespace has the label tenant, so there is nothing to isolate", "x.yaml:4:3"},
		{"isolate exception", "isolate:\n  namespacesBy: team\n  except:\n  - with: {namespace: ingress}",
			"isolate exception {namespace: ingress} selects no endpoint", "x.yaml:8:13"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := evalOne(t, m, tc.rule)
			require.Equal(t, expect.Error, got.Status)
			require.EqualError(t, got.Err, tc.err)
			if s := got.Location.String(); s != tc.location {
				t.Errorf("Location = %s, want %s", s, tc.location)
			}
		})
	}
}

// TestTenantIsolation evaluates testdata/check/tenant-isolation.yaml on the
// seed scenario: the first five rules hold, the last three fail, each
// blamed on the right line.
func TestTenantIsolation(t *testing.T) {
	t.Parallel()
	m := matrixOf(t, "../../testdata/scenarios/tenant-isolation")
	x, err := expect.Load("../../testdata/check/tenant-isolation.yaml")
	require.NoError(t, err)
	const pol = "../../testdata/scenarios/tenant-isolation/policy.yaml"
	type outcome struct {
		Name, Status, Location, Cause, First string
		Violations                           int
	}
	var got []outcome
	for _, r := range x.Evaluate(m, expect.Options{}) {
		o := outcome{Name: r.Rule.Name, Status: r.Status.String(), Location: r.Location.String(), Violations: r.NumViolations}
		if r.Cause != nil {
			o.Cause = r.Cause.Location.String()
		}
		if len(r.Violations) > 0 {
			o.First = r.Violations[0].String()
		}
		got = append(got, o)
	}
	const file = "../../testdata/check/tenant-isolation.yaml"
	want := []outcome{
		{Name: "tenants are isolated", Status: "pass", Location: file + ":8:3"},
		{Name: "the ingress controller reaches every tenant on 80", Status: "pass", Location: file + ":17:3"},
		{Name: "tenants resolve names", Status: "pass", Location: file + ":24:3"},
		{Name: "tenants reach DNS on port 53 only", Status: "pass", Location: file + ":29:3"},
		{Name: "tenants cannot reach the internet", Status: "pass", Location: file + ":34:3"},
		{Name: "monitoring cannot reach test01-web (deliberately failing)", Status: "fail", Location: pol + ":36:5",
			Cause: pol + ":36:5", First: "monitoring/prometheus -> test01-web/app 80/TCP: allow", Violations: 1},
		{Name: "test01-web reaches test02 (deliberately failing)", Status: "fail", Location: file + ":43:3",
			Cause: pol + ":40:1", First: "test01-web/app -> test02-db/app 80/TCP: deny", Violations: 2},
		{Name: "tenants are isolated from monitoring too (deliberately failing)", Status: "fail", Location: pol + ":98:5",
			Cause: pol + ":98:5", First: "monitoring/prometheus -> test01-db/app 1-65535/TCP: allow", Violations: 12},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("results (-want +got):\n%s", d)
	}
}

// TestIsolationExceptions checks that exceptions exempt exactly their
// flows: without the DNS exception, the tenants' DNS traffic breaks the
// isolation on 53 only.
func TestIsolationExceptions(t *testing.T) {
	t.Parallel()
	m := matrixOf(t, "../../testdata/scenarios/tenant-isolation")
	got := evalOne(t, m, "isolate:\n  namespacesBy: client\n  except:\n  - with: {namespace: ingress}\n  - from: {namespace: monitoring}")
	require.Equal(t, expect.Fail, got.Status)
	want := []string{
		"test01-db/app -> kube-system/coredns 53/TCP: allow", "test01-db/app -> kube-system/coredns 53/UDP: allow",
		"test01-web/app -> kube-system/coredns 53/TCP: allow", "test01-web/app -> kube-system/coredns 53/UDP: allow",
		"test02-db/app -> kube-system/coredns 53/TCP: allow", "test02-db/app -> kube-system/coredns 53/UDP: allow",
		"test02-web/app -> kube-system/coredns 53/TCP: allow", "test02-web/app -> kube-system/coredns 53/UDP: allow",
	}
	if d := cmp.Diff(want, violations(got)); d != "" {
		t.Errorf("violations (-want +got):\n%s", d)
	}
	// A partial exception leaves the rest of the port range checked.
	got = evalOne(t, m, "isolate:\n  namespacesBy: client\n  except:\n  - with: {namespace: ingress}\n  - from: {namespace: monitoring}\n  - to: {namespace: kube-system}\n    ports: [53/UDP, 1-52/TCP, 54-65535/TCP]")
	require.Equal(t, expect.Fail, got.Status)
	require.Equal(t, 4, got.NumViolations)
	require.Equal(t, "test01-db/app -> kube-system/coredns 53/TCP: allow", got.Violations[0].String())
}

// TestMaxExamples checks that examples are capped and counted.
func TestMaxExamples(t *testing.T) {
	t.Parallel()
	m := matrixOf(t, "../../testdata/scenarios/tenant-isolation")
	x, err := expect.Parse("x.yaml", []byte(rules("name: r\nisolate: {namespacesBy: client}")))
	require.NoError(t, err)
	for _, max := range []int{1, 3} {
		r := x.Evaluate(m, expect.Options{MaxExamples: max})[0]
		if len(r.Violations) != max || r.NumViolations <= max {
			t.Errorf("MaxExamples %d: %d violations kept of %d", max, len(r.Violations), r.NumViolations)
		}
	}
}
