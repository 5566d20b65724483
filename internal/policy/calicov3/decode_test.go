package calicov3_test

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	kjson "sigs.k8s.io/json"

	"github.com/netreach/netreach/internal/policy/calicov3"
)

// gnpYAML is shaped like `calicoctl get globalnetworkpolicy <name> -o yaml`
// output: server-set metadata, defaulted tier and types, no List wrapper.
const gnpYAML = `
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata:
  creationTimestamp: "2025-03-11T08:21:44Z"
  labels:
    projectcalico.org/tier: security
  name: security.restrict-egress
  resourceVersion: "1048213"
  uid: 6a0f3f1e-1c52-4c7e-9d0b-3b2f4a1e8c90
spec:
  tier: security
  order: 150
  selector: projectcalico.org/namespace not in {"kube-system", "calico-system"}
  namespaceSelector: has(projectcalico.org/name)
  types:
  - Egress
  egress:
  - action: Allow
    protocol: UDP
    destination:
      namespaceSelector: projectcalico.org/name == "kube-system"
      selector: k8s-app == "kube-dns"
      ports:
      - 53
  - action: Allow
    protocol: TCP
    destination:
      nets:
      - 10.0.0.0/8
      - 192.0.2.10
      ports:
      - 8080:8090
      - "443"
      - https
    metadata:
      annotations:
        owner: platform
  - action: Allow
    protocol: ICMP
    icmp:
      type: 8
      code: 0
  - action: Log
    ipVersion: 4
    notProtocol: 6
  - action: Deny
    destination:
      notNets:
      - 10.0.0.0/8
  applyOnForward: false
  doNotTrack: false
  preDNAT: false
  performanceHints:
  - AssumeNeededOnEveryNode
`

var gnpWant = &calicov3.GlobalNetworkPolicy{
	TypeMeta: typeMeta(calicov3.KindGlobalNetworkPolicy),
	ObjectMeta: metav1.ObjectMeta{
		Name:            "security.restrict-egress",
		Labels:          map[string]string{"projectcalico.org/tier": "security"},
		ResourceVersion: "1048213",
		UID:             "6a0f3f1e-1c52-4c7e-9d0b-3b2f4a1e8c90",
	},
	Spec: calicov3.GlobalNetworkPolicySpec{
		Tier:              "security",
		Order:             f64(150),
		Selector:          `projectcalico.org/namespace not in {"kube-system", "calico-system"}`,
		NamespaceSelector: "has(projectcalico.org/name)",
		Types:             []calicov3.PolicyType{calicov3.PolicyTypeEgress},
		Egress: []calicov3.Rule{
			{
				Action:   calicov3.Allow,
				Protocol: proto("UDP"),
				Destination: calicov3.EntityRule{
					NamespaceSelector: `projectcalico.org/name == "kube-system"`,
					Selector:          `k8s-app == "kube-dns"`,
					Ports:             ports("53"),
				},
			},
			{
				Action:   calicov3.Allow,
				Protocol: proto("TCP"),
				Destination: calicov3.EntityRule{
					Nets:  []string{"10.0.0.0/8", "192.0.2.10"},
					Ports: ports("8080:8090", "443", "https"),
				},
				Metadata: &calicov3.RuleMetadata{Annotations: map[string]string{"owner": "platform"}},
			},
			{
				Action:   calicov3.Allow,
				Protocol: proto("ICMP"),
				ICMP:     &calicov3.ICMPFields{Type: intp(8), Code: intp(0)},
			},
			{
				Action:      calicov3.Log,
				IPVersion:   intp(4),
				NotProtocol: proto("6"),
			},
			{
				Action:      calicov3.Deny,
				Destination: calicov3.EntityRule{NotNets: []string{"10.0.0.0/8"}},
			},
		},
		PerformanceHints: []calicov3.PerformanceHint{calicov3.HintAssumeNeededOnEveryNode},
	},
}

const npYAML = `
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata:
  name: default.api-ingress
  namespace: shop
spec:
  tier: default
  order: 1000
  selector: app == "api"
  serviceAccountSelector: role == "frontend"
  types: [Ingress, Egress]
  ingress:
  - action: Allow
    protocol: TCP
    source:
      serviceAccounts:
        names: [web]
        selector: team == "shop"
      notSelector: quarantine == "true"
    destination:
      ports: [http]
    http:
      methods: [GET, HEAD]
      paths:
      - exact: /healthz
      - prefix: /api/
  - action: Allow
    source:
      services:
        name: monitoring
        namespace: observability
  - action: Pass
    ipVersion: 6
    protocol: ICMPv6
    notICMP:
      type: 128
    source:
      nets: ["2001:db8::/32"]
  egress:
  - action: Allow
    destination:
      services:
        name: postgres
status:
  conditions:
  - type: Valid
    status: "True"
    reason: Valid
    message: ""
    lastTransitionTime: "2025-03-11T08:21:44Z"
`

var npWant = &calicov3.NetworkPolicy{
	TypeMeta:   typeMeta(calicov3.KindNetworkPolicy),
	ObjectMeta: meta("shop", "default.api-ingress"),
	Spec: calicov3.NetworkPolicySpec{
		Tier:                   "default",
		Order:                  f64(1000),
		Selector:               `app == "api"`,
		ServiceAccountSelector: `role == "frontend"`,
		Types:                  []calicov3.PolicyType{calicov3.PolicyTypeIngress, calicov3.PolicyTypeEgress},
		Ingress: []calicov3.Rule{
			{
				Action:   calicov3.Allow,
				Protocol: proto("TCP"),
				Source: calicov3.EntityRule{
					ServiceAccounts: &calicov3.ServiceAccountMatch{Names: []string{"web"}, Selector: `team == "shop"`},
					NotSelector:     `quarantine == "true"`,
				},
				Destination: calicov3.EntityRule{Ports: ports("http")},
				HTTP: &calicov3.HTTPMatch{
					Methods: []string{"GET", "HEAD"},
					Paths:   []calicov3.HTTPPath{{Exact: "/healthz"}, {Prefix: "/api/"}},
				},
			},
			{
				Action: calicov3.Allow,
				Source: calicov3.EntityRule{Services: &calicov3.ServiceMatch{Name: "monitoring", Namespace: "observability"}},
			},
			{
				Action:    calicov3.Pass,
				IPVersion: intp(6),
				Protocol:  proto("ICMPv6"),
				NotICMP:   &calicov3.ICMPFields{Type: intp(128)},
				Source:    calicov3.EntityRule{Nets: []string{"2001:db8::/32"}},
			},
		},
		Egress: []calicov3.Rule{
			{Action: calicov3.Allow, Destination: calicov3.EntityRule{Services: &calicov3.ServiceMatch{Name: "postgres"}}},
		},
	},
	Status: &calicov3.PolicyStatus{Conditions: []metav1.Condition{
		{Type: "Valid", Status: metav1.ConditionTrue, Reason: "Valid"},
	}},
}

func TestDecode(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		yaml string
		into any // pointer to a zero object
		want any
	}{
		{"GlobalNetworkPolicy from calicoctl", gnpYAML, &calicov3.GlobalNetworkPolicy{}, gnpWant},
		{"NetworkPolicy with services, http and status", npYAML, &calicov3.NetworkPolicy{}, npWant},
		{
			"Tier",
			`
apiVersion: projectcalico.org/v3
kind: Tier
metadata:
  name: security
spec:
  order: 300
  defaultAction: Pass
status:
  conditions:
  - type: Ready
    status: "True"
    reason: Ready
    message: tier is ready
    lastTransitionTime: "2025-03-11T08:20:00Z"
`,
			&calicov3.Tier{},
			&calicov3.Tier{
				TypeMeta:   typeMeta(calicov3.KindTier),
				ObjectMeta: meta("", "security"),
				Spec:       calicov3.TierSpec{Order: f64(300), DefaultAction: action(calicov3.Pass)},
				Status: calicov3.TierStatus{Conditions: []metav1.Condition{
					{Type: "Ready", Status: metav1.ConditionTrue, Reason: "Ready", Message: "tier is ready"},
				}},
			},
		},
		{
			"NetworkSet",
			`
apiVersion: projectcalico.org/v3
kind: NetworkSet
metadata:
  name: payment-gateways
  namespace: payments
  labels:
    role: gateway
spec:
  nets:
  - 198.51.100.0/28
  - 203.0.113.7
  - 2001:db8:100::/48
`,
			&calicov3.NetworkSet{},
			&calicov3.NetworkSet{
				TypeMeta: typeMeta(calicov3.KindNetworkSet),
				ObjectMeta: metav1.ObjectMeta{
					Name: "payment-gateways", Namespace: "payments",
					Labels: map[string]string{"role": "gateway"},
				},
				Spec: calicov3.NetworkSetSpec{Nets: []string{"198.51.100.0/28", "203.0.113.7", "2001:db8:100::/48"}},
			},
		},
		{
			"GlobalNetworkSet",
			`
apiVersion: projectcalico.org/v3
kind: GlobalNetworkSet
metadata:
  name: threat-feed
  labels: {feed: blocklist}
spec:
  nets: [192.0.2.0/24]
`,
			&calicov3.GlobalNetworkSet{},
			&calicov3.GlobalNetworkSet{
				TypeMeta:   typeMeta(calicov3.KindGlobalNetworkSet),
				ObjectMeta: metav1.ObjectMeta{Name: "threat-feed", Labels: map[string]string{"feed": "blocklist"}},
				Spec:       calicov3.GlobalNetworkSetSpec{Nets: []string{"192.0.2.0/24"}},
			},
		},
		{
			"StagedNetworkPolicy with stagedAction Delete",
			`
apiVersion: projectcalico.org/v3
kind: StagedNetworkPolicy
metadata:
  name: default.allow-legacy
  namespace: shop
spec:
  stagedAction: Delete
  tier: default
`,
			&calicov3.StagedNetworkPolicy{},
			&calicov3.StagedNetworkPolicy{
				TypeMeta:   typeMeta(calicov3.KindStagedNetworkPolicy),
				ObjectMeta: meta("shop", "default.allow-legacy"),
				Spec: calicov3.StagedNetworkPolicySpec{
					StagedAction:      calicov3.StagedActionDelete,
					NetworkPolicySpec: calicov3.NetworkPolicySpec{Tier: "default"},
				},
			},
		},
		{
			"StagedGlobalNetworkPolicy with host-endpoint fields",
			`
apiVersion: projectcalico.org/v3
kind: StagedGlobalNetworkPolicy
metadata:
  name: host.block-ssh
spec:
  stagedAction: Set
  tier: host
  selector: has(node-role.kubernetes.io/worker)
  preDNAT: true
  applyOnForward: true
  ingress:
  - action: Deny
    protocol: TCP
    destination:
      ports: [22]
`,
			&calicov3.StagedGlobalNetworkPolicy{},
			&calicov3.StagedGlobalNetworkPolicy{
				TypeMeta:   typeMeta(calicov3.KindStagedGlobalNetworkPolicy),
				ObjectMeta: meta("", "host.block-ssh"),
				Spec: calicov3.StagedGlobalNetworkPolicySpec{
					StagedAction: calicov3.StagedActionSet,
					GlobalNetworkPolicySpec: calicov3.GlobalNetworkPolicySpec{
						Tier:           "host",
						Selector:       "has(node-role.kubernetes.io/worker)",
						PreDNAT:        true,
						ApplyOnForward: true,
						Ingress: []calicov3.Rule{{
							Action: calicov3.Deny, Protocol: proto("TCP"),
							Destination: calicov3.EntityRule{Ports: ports("22")},
						}},
					},
				},
			},
		},
		{
			"StagedKubernetesNetworkPolicy",
			`
apiVersion: projectcalico.org/v3
kind: StagedKubernetesNetworkPolicy
metadata:
  name: allow-web
  namespace: shop
spec:
  stagedAction: Set
  podSelector:
    matchLabels: {app: web}
  ingress:
  - from:
    - namespaceSelector: {}
    ports:
    - port: 8080
  policyTypes: [Ingress]
`,
			&calicov3.StagedKubernetesNetworkPolicy{},
			&calicov3.StagedKubernetesNetworkPolicy{
				TypeMeta:   typeMeta(calicov3.KindStagedKubernetesNetworkPolicy),
				ObjectMeta: meta("shop", "allow-web"),
				Spec: calicov3.StagedKubernetesNetworkPolicySpec{
					StagedAction: calicov3.StagedActionSet,
					PodSelector:  metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}},
					Ingress: []networkingv1.NetworkPolicyIngressRule{{
						From:  []networkingv1.NetworkPolicyPeer{{NamespaceSelector: &metav1.LabelSelector{}}},
						Ports: []networkingv1.NetworkPolicyPort{{Port: new(intstr.FromInt32(8080))}},
					}},
					PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeIngress},
				},
			},
		},
		{
			"HostEndpoint",
			`
apiVersion: projectcalico.org/v3
kind: HostEndpoint
metadata:
  name: node1-eth0
  labels: {role: worker}
spec:
  node: node1
  interfaceName: eth0
  expectedIPs: [192.0.2.21]
  profiles: [projectcalico-default-allow]
  ports:
  - name: kubelet
    port: 10250
    protocol: TCP
`,
			&calicov3.HostEndpoint{},
			&calicov3.HostEndpoint{
				TypeMeta:   typeMeta(calicov3.KindHostEndpoint),
				ObjectMeta: metav1.ObjectMeta{Name: "node1-eth0", Labels: map[string]string{"role": "worker"}},
				Spec: calicov3.HostEndpointSpec{
					Node: "node1", InterfaceName: "eth0",
					ExpectedIPs: []string{"192.0.2.21"},
					Profiles:    []string{"projectcalico-default-allow"},
					Ports:       []calicov3.EndpointPort{{Name: "kubelet", Port: 10250, Protocol: *proto("TCP")}},
				},
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if strict := decode(t, tc.yaml, tc.into); strict != nil {
				t.Fatalf("strict errors: %q", strict)
			}
			if d := cmp.Diff(tc.want, tc.into, cmpOpts...); d != "" {
				t.Errorf("decoded object (-want +got):\n%s", d)
			}
		})
	}
}

func TestDecodeStrictErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		yaml string
		want []string
	}{
		{
			"unknown field in a rule",
			`
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata: {name: p, namespace: ns}
spec:
  ingress:
  - action: Allow
    bogus: 1
`,
			[]string{`unknown field "spec.ingress[0].bogus"`},
		},
		{
			"field names are case-sensitive",
			`
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata: {name: p, namespace: ns}
spec:
  egress:
  - action: Allow
    destination:
      Ports: [80]
`,
			[]string{`unknown field "spec.egress[0].destination.Ports"`},
		},
		{
			"ports directly under the rule",
			`
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata: {name: p, namespace: ns}
spec:
  ingress:
  - action: Allow
    protocol: TCP
    ports: [80]
`,
			[]string{`unknown field "spec.ingress[0].ports"`},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var np calicov3.NetworkPolicy
			got := decode(t, tc.yaml, &np)
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("strict errors (-want +got):\n%s", d)
			}
		})
	}
}

// TestDecodeDuplicateField feeds JSON straight to UnmarshalStrict:
// YAMLToJSONStrict already rejects duplicate keys in YAML.
func TestDecodeDuplicateField(t *testing.T) {
	t.Parallel()
	data := []byte(`{"apiVersion": "projectcalico.org/v3", "kind": "NetworkPolicy",
		"metadata": {"name": "p", "namespace": "ns"},
		"spec": {"selector": "a == 'b'", "selector": "all()"}}`)
	var np calicov3.NetworkPolicy
	strict, err := kjson.UnmarshalStrict(data, &np, kjson.DisallowDuplicateFields, kjson.DisallowUnknownFields)
	if err != nil {
		t.Fatalf("UnmarshalStrict: %v", err)
	}
	if len(strict) != 1 || strict[0].Error() != `duplicate field "spec.selector"` {
		t.Errorf("strict errors = %v, want [duplicate field \"spec.selector\"]", strict)
	}
}

func TestDecodeBadPortFailsObject(t *testing.T) {
	t.Parallel()
	var np calicov3.NetworkPolicy
	err := decodeErr(t, `
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata: {name: p, namespace: ns}
spec:
  ingress:
  - action: Allow
    protocol: TCP
    destination:
      ports: ["80:70"]
`, &np)
	const want = `invalid port "80:70": range start is after end`
	if err == nil || err.Error() != want {
		t.Errorf("UnmarshalStrict error = %v, want %s", err, want)
	}
}

// TestMarshalRoundTrip checks that marshalling a decoded object and
// decoding the result strictly gives the same object back.
func TestMarshalRoundTrip(t *testing.T) {
	t.Parallel()
	for _, obj := range []any{gnpWant, npWant} {
		data, err := json.Marshal(obj)
		if err != nil {
			t.Fatalf("Marshal: %v", err)
		}
		var got any
		switch obj.(type) {
		case *calicov3.GlobalNetworkPolicy:
			got = &calicov3.GlobalNetworkPolicy{}
		case *calicov3.NetworkPolicy:
			got = &calicov3.NetworkPolicy{}
		}
		if strict := decode(t, string(data), got); strict != nil {
			t.Fatalf("strict errors after Marshal: %q\n%s", strict, data)
		}
		if d := cmp.Diff(obj, got, cmpOpts...); d != "" {
			t.Errorf("round trip (-want +got):\n%s", d)
		}
	}
}
