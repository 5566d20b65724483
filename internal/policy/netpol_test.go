package policy

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"
	networkingv1 "k8s.io/api/networking/v1"
)

// loadNP loads one NetworkPolicy "prod/np" with the given spec lines (after
// podSelector, from line 6; see npDoc) and the namespace prod after it.
func loadNP(t *testing.T, spec string) (*Snapshot, *NetworkPolicy) {
	t.Helper()
	s := loadFiles(t, LoadOptions{}, file{"in.yaml", npDoc(spec) + "---\napiVersion: v1\nkind: Namespace\nmetadata: {name: prod}\n"})
	return s, findPolicy(s, "prod", "np")
}

func TestNetworkPolicyDefaulting(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		spec  string
		types string // defaulted policyTypes, joined by ","
	}{
		{"absent, no rules", "", "Ingress"},
		{"empty list", "  policyTypes: []\n", "Ingress"},
		{"absent, ingress rules", "  ingress: [{}]\n", "Ingress"},
		{"absent, egress rules", "  egress: [{}]\n", "Ingress,Egress"},
		{"absent, egress: []", "  egress: []\n", "Ingress"},
		{"empty list, egress rules", "  policyTypes: []\n  egress: [{}]\n", "Ingress,Egress"},
		{"explicit Egress only", "  policyTypes: [Egress]\n", "Egress"},
		{"explicit both", "  policyTypes: [Egress, Ingress]\n", "Egress,Ingress"},
		{"only invalid types: defaulted", "  policyTypes: [Ingres]\n  egress: [{}]\n", "Ingress,Egress"},
		{"invalid type dropped", "  policyTypes: [Egress, Both]\n", "Egress"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, np := loadNP(t, tc.spec)
			require.NotNil(t, np)
			var got []string
			for _, pt := range np.Spec.PolicyTypes {
				got = append(got, string(pt))
			}
			require.Equal(t, tc.types, strings.Join(got, ","))
		})
	}
}

func TestNetworkPolicyPortDefaulting(t *testing.T) {
	t.Parallel()
	_, np := loadNP(t, `
		  ingress:
		  - ports:
		    - {}
		    - port: 80
		    - {port: 53, protocol: UDP}
		    - {port: 5000, endPort: 5010, protocol: SCTP}
	`)
	var got []string
	for _, p := range np.Spec.Ingress[0].Ports {
		got = append(got, string(*p.Protocol))
	}
	require.Equal(t, []string{"TCP", "TCP", "UDP", "SCTP"}, got, "protocol defaults to TCP, also for an empty port entry")
	require.Empty(t, np.Invalid)
}

// TestNetworkPolicyValidation checks every validation of netpol.go: its
// message, its location and that only the offending rule is marked
// invalid. Rule ingress[0] is always the one under test; ingress[1] is a
// valid rule that must stay.
func TestNetworkPolicyValidation(t *testing.T) {
	t.Parallel()
	const (
		ruleOut = "; the rule is left out of the evaluation"
		head    = "in.yaml:%s: error: document 1: NetworkPolicy prod/np: "
	)
	tests := []struct {
		name string
		rule string // ingress[0], indented as "  - ..." lines starting at line 7
		want []string
	}{
		{"bad CIDR", `
			  - from:
			    - ipBlock: {cidr: 10.0.0/8}
			`, []string{"8:17|spec.ingress[0].from[0].ipBlock.cidr: invalid CIDR \"10.0.0/8\": expected an address and a prefix length such as 10.0.0.0/16 or fd00::/64" + ruleOut}},
		{"CIDR without length", `
			  - from:
			    - ipBlock: {cidr: 10.0.0.1}
			`, []string{"8:17|spec.ingress[0].from[0].ipBlock.cidr: invalid CIDR \"10.0.0.1\": expected an address and a prefix length such as 10.0.0.0/16 or fd00::/64" + ruleOut}},
		{"except equal", `
			  - from:
			    - ipBlock: {cidr: 10.0.0.0/8, except: [10.0.0.0/8]}
			`, []string{"8:44|spec.ingress[0].from[0].ipBlock.except[0]: except 10.0.0.0/8 must be strictly inside cidr 10.0.0.0/8, but it is equal to it" + ruleOut}},
		{"except wider", `
			  - from:
			    - ipBlock: {cidr: 10.1.0.0/16, except: [10.0.0.0/8]}
			`, []string{"8:45|spec.ingress[0].from[0].ipBlock.except[0]: except 10.0.0.0/8 must be strictly inside cidr 10.1.0.0/16, but it is not inside it" + ruleOut}},
		{"except outside", `
			  - from:
			    - ipBlock: {cidr: 10.1.0.0/16, except: [10.2.0.0/24]}
			`, []string{"8:45|spec.ingress[0].from[0].ipBlock.except[0]: except 10.2.0.0/24 must be strictly inside cidr 10.1.0.0/16, but it is not inside it" + ruleOut}},
		{"except other family", `
			  - from:
			    - ipBlock: {cidr: "fd00::/8", except: [10.0.0.0/8]}
			`, []string{"8:44|spec.ingress[0].from[0].ipBlock.except[0]: except 10.0.0.0/8 must be strictly inside cidr fd00::/8, but it is of the other IP family" + ruleOut}},
		{"except invalid", `
			  - from:
			    - ipBlock: {cidr: 10.0.0.0/8, except: [nope]}
			`, []string{"8:44|spec.ingress[0].from[0].ipBlock.except[0]: invalid CIDR \"nope\": expected an address and a prefix length such as 10.0.0.0/16 or fd00::/64" + ruleOut}},
		{"endPort without port", `
			  - ports:
			    - endPort: 90
			`, []string{"8:7|spec.ingress[0].ports[0].endPort: endPort requires port to be set" + ruleOut}},
		{"endPort with named port", `
			  - ports:
			    - {port: http, endPort: 90}
			`, []string{"8:20|spec.ingress[0].ports[0].endPort: endPort cannot be used with the named port \"http\"" + ruleOut}},
		{"endPort < port", `
			  - ports:
			    - {port: 90, endPort: 80}
			`, []string{"8:18|spec.ingress[0].ports[0].endPort: endPort 80 must be greater than or equal to port 90" + ruleOut}},
		{"endPort > 65535", `
			  - ports:
			    - {port: 90, endPort: 65536}
			`, []string{"8:18|spec.ingress[0].ports[0].endPort: invalid endPort 65536: expected at most 65535" + ruleOut}},
		{"port 0", `
			  - ports:
			    - port: 0
			`, []string{"8:7|spec.ingress[0].ports[0].port: invalid port 0: expected 1-65535" + ruleOut}},
		{"port 70000", `
			  - ports:
			    - port: 70000
			`, []string{"8:7|spec.ingress[0].ports[0].port: invalid port 70000: expected 1-65535" + ruleOut}},
		{"invalid named port", `
			  - ports:
			    - port: "-http"
			`, []string{"8:7|spec.ingress[0].ports[0].port: invalid named port \"-http\": must not begin or end with a hyphen" + ruleOut}},
		{"named port too long", `
			  - ports:
			    - port: abcdefghijklmnopq
			`, []string{"8:7|spec.ingress[0].ports[0].port: invalid named port \"abcdefghijklmnopq\": must be no more than 15 characters" + ruleOut}},
		{"protocol tcp", `
			  - ports:
			    - {protocol: tcp, port: 80}
			`, []string{"8:8|spec.ingress[0].ports[0].protocol: unsupported protocol \"tcp\": expected TCP, UDP or SCTP" + ruleOut}},
		{"protocol ICMP", `
			  - ports:
			    - protocol: ICMP
			`, []string{"8:7|spec.ingress[0].ports[0].protocol: unsupported protocol \"ICMP\": expected TCP, UDP or SCTP" + ruleOut}},
		{"peer with no fields", `
			  - from:
			    - {}
			`, []string{"8:7|spec.ingress[0].from[0]: peer must specify podSelector, namespaceSelector or ipBlock" + ruleOut}},
		{"peer with null selector", `
			  - from:
			    - podSelector: null
			`, []string{"8:7|spec.ingress[0].from[0]: peer must specify podSelector, namespaceSelector or ipBlock" + ruleOut}},
		{"ipBlock with podSelector", `
			  - from:
			    - {podSelector: {}, ipBlock: {cidr: 10.0.0.0/8}}
			`, []string{"8:7|spec.ingress[0].from[0]: ipBlock cannot be combined with podSelector or namespaceSelector in one peer" + ruleOut}},
		{"ipBlock with namespaceSelector", `
			  - from:
			    - ipBlock: {cidr: 10.0.0.0/8}
			      namespaceSelector: {matchLabels: {a: b}}
			`, []string{"8:7|spec.ingress[0].from[0]: ipBlock cannot be combined with podSelector or namespaceSelector in one peer" + ruleOut}},
		{"invalid operator", `
			  - from:
			    - podSelector:
			        matchExpressions: [{key: a, operator: Equals, values: [b]}]
			`, []string{"8:7|spec.ingress[0].from[0].podSelector: invalid label selector: \"Equals\" is not a valid label selector operator" + ruleOut}},
		{"In without values", `
			  - from:
			    - namespaceSelector:
			        matchExpressions: [{key: a, operator: In}]
			`, []string{"8:7|spec.ingress[0].from[0].namespaceSelector: invalid label selector: values: Invalid value: null: for 'in', 'notin' operators, values set can't be empty" + ruleOut}},
		{"NotIn with empty values", `
			  - from:
			    - namespaceSelector:
			        matchExpressions: [{key: a, operator: NotIn, values: []}]
			`, []string{"8:7|spec.ingress[0].from[0].namespaceSelector: invalid label selector: values: Invalid value: null: for 'in', 'notin' operators, values set can't be empty" + ruleOut}},
		{"DoesNotExist with values", `
			  - from:
			    - podSelector:
			        matchExpressions: [{key: a, operator: DoesNotExist, values: [x]}]
			`, []string{"8:7|spec.ingress[0].from[0].podSelector: invalid label selector: values: Invalid value: [\"x\"]: values set must be empty for exists and does not exist" + ruleOut}},
		{"invalid matchLabels value", `
			  - from:
			    - podSelector:
			        matchLabels: {app: "a b"}
			`, []string{"8:7|spec.ingress[0].from[0].podSelector: invalid label selector: values[0][app]: Invalid value: \"a b\": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')" + ruleOut}},
		{"two problems in one rule", `
			  - from:
			    - {}
			    ports:
			    - port: 0
			`, []string{
			"8:7|spec.ingress[0].from[0]: peer must specify podSelector, namespaceSelector or ipBlock" + ruleOut,
			"10:7|spec.ingress[0].ports[0].port: invalid port 0: expected 1-65535" + ruleOut,
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			spec := "  ingress:\n" + dedent(tc.rule) + "  - from: [{podSelector: {}}]\n    ports: [{port: 443}]\n"
			s, np := loadNP(t, spec)
			var want []string
			for _, w := range tc.want {
				pos, rest, _ := strings.Cut(w, "|")
				want = append(want, strings.Replace(head, "%s", pos, 1)+rest)
			}
			if d := cmp.Diff(want, diagLines(s.Diagnostics)); d != "" {
				t.Errorf("diagnostics (-want +got):\n%s", d)
			}
			require.NotNil(t, np, "the policy is kept")
			require.Equal(t, map[RuleKey]bool{{Ingress, 0}: true}, np.Invalid, "only the offending rule is invalid")
			require.Len(t, np.Spec.Ingress, 2)
			require.Equal(t, Location{File: "in.yaml", Doc: 1, Line: 7, Col: 5}, np.RuleSource[RuleKey{Ingress, 0}])
		})
	}
}

func TestNetworkPolicyValidationEgress(t *testing.T) {
	t.Parallel()
	s, np := loadNP(t, `
		  egress:
		  - to: [{ipBlock: {cidr: 10.0.0.0/8}}]
		  - to: [{ipBlock: {cidr: 10.0.0.0/8, except: [11.0.0.0/16]}}]
		  - ports: [{port: 53, protocol: udp}]
		  - to: [{namespaceSelector: {}}]
	`)
	require.Equal(t, map[RuleKey]bool{{Egress, 1}: true, {Egress, 2}: true}, np.Invalid)
	require.Equal(t, []string{
		"in.yaml:8:48: error: document 1: NetworkPolicy prod/np: spec.egress[1].to[0].ipBlock.except[0]: except 11.0.0.0/16 must be strictly inside cidr 10.0.0.0/8, but it is not inside it; the rule is left out of the evaluation",
		"in.yaml:9:5: warning: document 1: NetworkPolicy prod/np: spec.egress[2]: rule has ports but no peers, next to egress[3] which has peers but no ports: two rules (any port from those peers, OR those ports from anyone); if one rule was meant, remove the '-' before 'ports'",
		"in.yaml:9:24: error: document 1: NetworkPolicy prod/np: spec.egress[2].ports[0].protocol: unsupported protocol \"udp\": expected TCP, UDP or SCTP; the rule is left out of the evaluation",
	}, diagLines(s.Diagnostics))
}

func TestNetworkPolicyInvalidPodSelector(t *testing.T) {
	t.Parallel()
	s := loadYAML(t, npDoc("")+"---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: bad, namespace: prod}\nspec:\n  podSelector: {matchExpressions: [{key: a, operator: In}]}\n---\napiVersion: v1\nkind: Namespace\nmetadata: {name: prod}\n")
	require.Nil(t, findPolicy(s, "prod", "bad"), "a policy whose own podSelector is invalid is left out")
	require.NotNil(t, findPolicy(s, "prod", "np"))
	require.Equal(t, []string{
		"in.yaml:11:3: error: document 2: NetworkPolicy prod/bad: spec.podSelector: invalid label selector: values: Invalid value: null: for 'in', 'notin' operators, values set can't be empty; the policy is left out",
	}, diagLines(s.Diagnostics))
}

func TestNetworkPolicyNormalisesCIDRs(t *testing.T) {
	t.Parallel()
	s, np := loadNP(t, `
		  egress:
		  - to:
		    - ipBlock: {cidr: 10.1.2.3/16, except: [010.001.002.000/24, "::ffff:10.1.3.0/120"]}
	`)
	require.Empty(t, np.Invalid)
	b := np.Spec.Egress[0].To[0].IPBlock
	require.Equal(t, networkingv1.IPBlock{CIDR: "10.1.0.0/16", Except: []string{"10.1.2.0/24", "10.1.3.0/24"}}, *b)
	require.Equal(t, []string{
		`in.yaml:8:17: warning: document 1: NetworkPolicy prod/np: spec.egress[0].to[0].ipBlock.cidr: CIDR "10.1.2.3/16" is read as 10.1.0.0/16`,
		`in.yaml:8:45: warning: document 1: NetworkPolicy prod/np: spec.egress[0].to[0].ipBlock.except[0]: CIDR "010.001.002.000/24" is read as 10.1.2.0/24`,
		`in.yaml:8:65: warning: document 1: NetworkPolicy prod/np: spec.egress[0].to[0].ipBlock.except[1]: CIDR "::ffff:10.1.3.0/120" is read as 10.1.3.0/24`,
	}, diagLines(s.Diagnostics))
}

func TestNamedPortWarnings(t *testing.T) {
	t.Parallel()
	pod := "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: prod}\nspec:\n  containers:\n  - name: c\n    ports: [{name: dns, containerPort: 53, protocol: UDP}, {name: web, containerPort: 80}]\n  initContainers:\n  - name: i\n    ports: [{name: warm, containerPort: 81}]\n---\n"
	s := loadFiles(t, LoadOptions{}, file{"pod.yaml", pod + "apiVersion: v1\nkind: Namespace\nmetadata: {name: prod}\n"}, file{"in.yaml", npDoc(`
		  ingress:
		  - ports: [{port: web}, {port: warm}, {port: dns, protocol: UDP}]
		  egress:
		  - ports: [{port: dns}, {port: metrics, protocol: SCTP}, {port: 53}]
	`)})
	require.Equal(t, []string{
		`in.yaml:9:14: warning: document 1: NetworkPolicy prod/np: spec.egress[0].ports[0].port: container ports named "dns" use UDP, not TCP, so this port matches nothing`,
		`in.yaml:9:27: warning: document 1: NetworkPolicy prod/np: spec.egress[0].ports[1].port: no container port in the input is named "metrics", so this port matches nothing`,
	}, diagLines(s.Diagnostics))

	// Without any endpoint in the input there is nothing to check against.
	s = loadFiles(t, LoadOptions{}, file{"in.yaml", npDoc("  ingress: [{ports: [{port: web}]}]\n") + "---\napiVersion: v1\nkind: Namespace\nmetadata: {name: prod}\n"})
	require.Empty(t, s.Diagnostics)
}

func TestPortsOnlyLint(t *testing.T) {
	t.Parallel()
	s, _ := loadNP(t, `
		  egress:
		  - to: [{podSelector: {}}]
		  - ports: [{port: 53, protocol: UDP}]
	`)
	require.Equal(t, []string{
		"in.yaml:8:5: warning: document 1: NetworkPolicy prod/np: spec.egress[1]: rule has ports but no peers, next to egress[0] which has peers but no ports: two rules (any port from those peers, OR those ports from anyone); if one rule was meant, remove the '-' before 'ports'",
	}, diagLines(s.Diagnostics))
}
