package reachability_test

import (
	"net/netip"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/netreach/netreach/internal/policy"
	"github.com/netreach/netreach/internal/reachability"
)

// explainYAML is a small Calico cluster for the decision kinds the
// Kubernetes fixtures cannot show: an explicit Deny and a Pass.
const explainYAML = `
apiVersion: v1
kind: Namespace
metadata: {name: app}
---
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: app, labels: {role: web}}
spec: {containers: [{name: c, image: x}]}
status: {podIP: 10.0.0.1, podIPs: [{ip: 10.0.0.1}]}
---
apiVersion: v1
kind: Pod
metadata: {name: db, namespace: app, labels: {role: db}}
spec: {containers: [{name: c, image: x}]}
status: {podIP: 10.0.0.2, podIPs: [{ip: 10.0.0.2}]}
---
apiVersion: projectcalico.org/v3
kind: Tier
metadata: {name: security}
spec: {order: 100}
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: guard}
spec:
  tier: security
  order: 10
  selector: role == "db"
  ingress:
  - action: Deny
    protocol: TCP
    destination: {ports: [22]}
  - action: Pass
    source: {selector: role == "web"}
---
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata: {name: db-from-web, namespace: app}
spec:
  order: 100
  selector: role == "db"
  ingress:
  - action: Allow
    protocol: TCP
    source: {selector: role == "web"}
    destination: {ports: [5432]}
`

// TestExplainDecisionKinds asserts the trace of one flow per kind of
// decision: allowed by a rule, denied by isolation, denied by an explicit
// Deny, Pass then allowed, an except block, a named port mismatch, and not
// selected by any policy.
func TestExplainDecisionKinds(t *testing.T) {
	calico := loadString(t, explainYAML)
	tests := []struct {
		name     string
		snap     *policy.Snapshot
		from, to string
		port     uint16
		verdict  reachability.Verdict
		// The side that decides, and how.
		egress     bool
		decision   reachability.Decision
		deciderPol string // policy name of the deciding rule, "" for none
		// A rule in the trace that failed, and on which part.
		failedPol, failedPart string
	}{
		{name: "allowed by a rule", snap: loadDir(t, "tenant-isolation"), from: "test01-web/app", to: "test01-db/app", port: 80,
			verdict: reachability.Allow, decision: reachability.ByRule, deciderPol: "allow-same-client"},
		{name: "denied by isolation", snap: loadDir(t, "tenant-isolation"), from: "test01-web/app", to: "test02-web/app", port: 80,
			verdict: reachability.Deny, decision: reachability.Isolated, failedPol: "allow-same-client", failedPart: "peer"},
		{name: "explicit deny", snap: calico, from: "app/web", to: "app/db", port: 22,
			verdict: reachability.Deny, decision: reachability.ByRule, deciderPol: "guard"},
		{name: "pass then allowed", snap: calico, from: "app/web", to: "app/db", port: 5432,
			verdict: reachability.Allow, decision: reachability.ByRule, deciderPol: "db-from-web"},
		{name: "end of tier after pass", snap: calico, from: "app/web", to: "app/db", port: 80,
			verdict: reachability.Deny, decision: reachability.EndOfTier, failedPol: "db-from-web", failedPart: "port"},
		{name: "except block", snap: loadDir(t, "egress-db-except"), from: "app/api", to: "10.20.5.10", port: 5432, egress: true,
			verdict: reachability.Deny, decision: reachability.Isolated, failedPart: "except"},
		{name: "named port mismatch", snap: loadDir(t, "named-ports"), from: "client/curl", to: "svc/metrics", port: 8080,
			verdict: reachability.Deny, decision: reachability.Isolated, failedPart: "port"},
		{name: "not selected by any policy", snap: loadDir(t, "default-deny-namespace"), from: "dev/client", to: "staging/client", port: 8080,
			verdict: reachability.Allow, decision: reachability.NotSelected},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ev := reachability.NewEvaluator(tc.snap, reachability.Options{})
			f := reachability.Flow{Src: entity(t, tc.snap, tc.from), Dst: entity(t, tc.snap, tc.to), Protocol: policy.TCP, Port: tc.port}
			v, tr := ev.Evaluate(f)
			require.Equal(t, tc.verdict, v, reachability.FormatTrace(tr))
			side := tr.Ingress
			if tc.egress {
				side = tr.Egress
			}
			require.Equal(t, tc.decision, side.Decision, reachability.FormatTrace(tr))
			if tc.deciderPol != "" {
				require.NotNil(t, side.Decider, reachability.FormatTrace(tr))
				require.Equal(t, tc.deciderPol, side.Decider.Policy.Name)
				require.True(t, side.Decider.Source.IsValid(), "the deciding rule has a location")
			}
			if tc.failedPart != "" {
				found := false
				for _, st := range side.Stages {
					for _, p := range st.Policies {
						for _, r := range p.Rules {
							if r.Failed == tc.failedPart && (tc.failedPol == "" || p.Policy.Name == tc.failedPol) {
								found = true
							}
						}
					}
				}
				require.True(t, found, "no rule failed on %q:\n%s", tc.failedPart, reachability.FormatTrace(tr))
			}
		})
	}
}

func loadDir(t *testing.T, scenario string) *policy.Snapshot {
	t.Helper()
	s, err := policy.Load(policy.LoadOptions{}, "../../testdata/scenarios/"+scenario)
	require.NoError(t, err)
	return s
}

func loadString(t *testing.T, y string) *policy.Snapshot {
	t.Helper()
	l := policy.NewLoader(policy.LoadOptions{})
	l.AddBytes("inline.yaml", []byte(y))
	s, err := l.Snapshot()
	require.NoError(t, err)
	return s
}

func entity(t *testing.T, s *policy.Snapshot, name string) reachability.Entity {
	t.Helper()
	if ip, err := netip.ParseAddr(name); err == nil {
		return reachability.IPEntity(ip)
	}
	es, err := reachability.Resolve(s, name)
	require.NoError(t, err)
	return es[0]
}
