package calicov3_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/netreach/netreach/internal/policy/calicov3"
	"github.com/netreach/netreach/internal/selector"
)

const (
	msgNumericNoProto = "rules with a numeric port or port range must set protocol to TCP, UDP or SCTP"
	msgGlobalOnlyNS   = "global() can only be used in an EntityRule namespaceSelector"
)

// allow returns an Allow rule with the given protocol ("" for none).
func allow(protocol string) calicov3.Rule {
	r := calicov3.Rule{Action: calicov3.Allow}
	if protocol != "" {
		r.Protocol = proto(protocol)
	}
	return r
}

func with(r calicov3.Rule, f func(*calicov3.Rule)) calicov3.Rule {
	f(&r)
	return r
}

func dstPorts(protocol string, ps ...string) calicov3.Rule {
	return with(allow(protocol), func(r *calicov3.Rule) { r.Destination.Ports = ports(ps...) })
}

func TestRuleValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		rule calicov3.Rule
		want []calicov3.FieldError
	}{
		// action
		{"allow", allow(""), nil},
		{"all actions", with(allow(""), func(r *calicov3.Rule) { r.Action = calicov3.Log }), nil},
		{"no action", calicov3.Rule{}, []calicov3.FieldError{fe("action", "required: must be one of Allow, Deny, Log, Pass")}},
		{"unknown action", calicov3.Rule{Action: "allow"}, []calicov3.FieldError{fe("action", `unsupported action "allow": must be one of Allow, Deny, Log, Pass`)}},

		// ipVersion
		{"ipVersion 6", with(allow(""), func(r *calicov3.Rule) { r.IPVersion = intp(6) }), nil},
		{"ipVersion 5", with(allow(""), func(r *calicov3.Rule) { r.IPVersion = intp(5) }), []calicov3.FieldError{fe("ipVersion", "must be 4 or 6, not 5")}},

		// protocol spelling and number
		{"protocol by number", allow("132"), nil},
		{"protocol lower case", allow("tcp"), []calicov3.FieldError{
			calicov3.FieldError{Path: "protocol", Warning: true, Msg: `protocol name "tcp" must be written "TCP": Calico's API rejects other spellings (Felix would match it regardless of case)`}}},
		{"notProtocol mixed case", with(allow(""), func(r *calicov3.Rule) { r.NotProtocol = proto("IcmpV6") }), []calicov3.FieldError{
			calicov3.FieldError{Path: "notProtocol", Warning: true, Msg: `protocol name "IcmpV6" must be written "ICMPv6": Calico's API rejects other spellings (Felix would match it regardless of case)`}}},
		{"zero protocol", with(allow(""), func(r *calicov3.Rule) { r.Protocol = &calicov3.Protocol{} }), []calicov3.FieldError{
			fe("protocol", "protocol number must be between 1 and 255")}},

		// ports and protocol
		{"numeric port with TCP", dstPorts("TCP", "80", "8000:8999"), nil},
		{"numeric port with UDP by number", dstPorts("17", "53"), nil},
		{"numeric port with SCTP", dstPorts("SCTP", "9899"), nil},
		{"named port without protocol", dstPorts("", "http", "metrics"), nil},
		{"numeric port without protocol", dstPorts("", "http", "80"), []calicov3.FieldError{
			fe("destination.ports[1]", msgNumericNoProto)}},
		{"range in source notPorts without protocol", with(allow(""), func(r *calicov3.Rule) { r.Source.NotPorts = ports("1024:65535") }), []calicov3.FieldError{
			fe("source.notPorts[0]", msgNumericNoProto)}},
		{"named port with ICMP", dstPorts("ICMP", "http"), []calicov3.FieldError{
			fe("destination.ports[0]", "protocol ICMP has no ports: rules that specify ports must set protocol to TCP, UDP or SCTP")}},
		{"numeric port with protocol 47", dstPorts("47", "80"), []calicov3.FieldError{
			fe("destination.ports[0]", "protocol 47 has no ports: rules that specify ports must set protocol to TCP, UDP or SCTP")}},
		{"port 0", dstPorts("TCP", "0"), []calicov3.FieldError{
			fe("destination.ports[0]", "port number must be between 1 and 65535")}},
		{"range from 0", dstPorts("TCP", "80", "0:1024"), []calicov3.FieldError{
			fe("destination.ports[1]", "port number must be between 1 and 65535")}},
		{"reversed range built in Go", with(allow("TCP"), func(r *calicov3.Rule) {
			r.Destination.Ports = []calicov3.Port{{MinPort: 90, MaxPort: 80}}
		}), []calicov3.FieldError{fe("destination.ports[0]", "invalid port range 90:80: range start is after end")}},
		{"name that looks like a range", dstPorts("TCP", "8080-8090"), []calicov3.FieldError{
			fe("destination.ports[0]", `invalid port name "8080-8090": must contain at least one letter (a-z)`)}},
		{"upper-case port name", dstPorts("TCP", "HTTP"), []calicov3.FieldError{
			fe("destination.ports[0]", `invalid port name "HTTP": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-); must contain at least one letter (a-z)`)}},
		{"port name longer than 15", dstPorts("TCP", "prometheus-metrics"), []calicov3.FieldError{
			fe("destination.ports[0]", `invalid port name "prometheus-metrics": must be no more than 15 characters`)}},

		// ICMP
		{"icmp with ICMP", with(allow("ICMP"), func(r *calicov3.Rule) { r.ICMP = &calicov3.ICMPFields{Type: intp(8), Code: intp(0)} }), nil},
		{"icmp with protocol 58", with(allow("58"), func(r *calicov3.Rule) { r.ICMP = &calicov3.ICMPFields{Type: intp(128)} }), nil},
		{"icmp without protocol", with(allow(""), func(r *calicov3.Rule) { r.ICMP = &calicov3.ICMPFields{Type: intp(8)} }), []calicov3.FieldError{
			fe("icmp", "ICMP fields require protocol ICMP or ICMPv6")}},
		{"icmp with TCP", with(allow("TCP"), func(r *calicov3.Rule) { r.ICMP = &calicov3.ICMPFields{Type: intp(8)} }), []calicov3.FieldError{
			fe("icmp", "ICMP fields require protocol ICMP or ICMPv6")}},
		{"icmp code without type", with(allow("ICMP"), func(r *calicov3.Rule) { r.ICMP = &calicov3.ICMPFields{Code: intp(0)} }), []calicov3.FieldError{
			fe("icmp.code", "ICMP code specified without an ICMP type")}},
		{"icmp type 255 and code 256", with(allow("ICMP"), func(r *calicov3.Rule) { r.ICMP = &calicov3.ICMPFields{Type: intp(255), Code: intp(256)} }), []calicov3.FieldError{
			fe("icmp.type", "must be between 0 and 254, not 255"),
			fe("icmp.code", "must be between 0 and 255, not 256")}},
		{"notICMP without protocol is allowed, as in Calico", with(allow(""), func(r *calicov3.Rule) { r.NotICMP = &calicov3.ICMPFields{Type: intp(3)} }), nil},
		{"notICMP code without type", with(allow("ICMP"), func(r *calicov3.Rule) { r.NotICMP = &calicov3.ICMPFields{Code: intp(1)} }), []calicov3.FieldError{
			fe("notICMP.code", "ICMP code specified without an ICMP type")}},
		{"ICMP with ipVersion 4", with(allow("ICMP"), func(r *calicov3.Rule) { r.IPVersion = intp(4) }), nil},
		{"ICMP with ipVersion 6", with(allow("ICMP"), func(r *calicov3.Rule) { r.IPVersion = intp(6) }), []calicov3.FieldError{
			fe("ipVersion", "protocol ICMP requires ipVersion 4")}},
		{"notProtocol ICMPv6 with ipVersion 4", with(allow(""), func(r *calicov3.Rule) { r.IPVersion = intp(4); r.NotProtocol = proto("ICMPv6") }), []calicov3.FieldError{
			fe("ipVersion", "notProtocol ICMPv6 requires ipVersion 6")}},

		// nets
		{"nets with CIDRs and a bare IP", with(allow(""), func(r *calicov3.Rule) {
			r.Source.Nets = []string{"10.0.0.0/8", "192.0.2.1"}
			r.Destination.NotNets = []string{"10.1.0.0/16"}
		}), nil},
		{"IPv6 nets with ipVersion 6", with(allow(""), func(r *calicov3.Rule) {
			r.IPVersion = intp(6)
			r.Destination.Nets = []string{"2001:db8::/32", "::1"}
		}), nil},
		{"invalid CIDR", with(allow(""), func(r *calicov3.Rule) { r.Source.Nets = []string{"10.0.0.0/33", "10.0.0"} }), []calicov3.FieldError{
			fe("source.nets[0]", `invalid network "10.0.0.0/33": want a CIDR such as 10.0.0.0/8 or an IP address`),
			fe("source.nets[1]", `invalid network "10.0.0": want a CIDR such as 10.0.0.0/8 or an IP address`)}},
		{"IPv4 source and IPv6 destination", with(allow(""), func(r *calicov3.Rule) {
			r.Source.Nets = []string{"10.0.0.0/8"}
			r.Destination.Nets = []string{"2001:db8::/32", "2001:db8:1::/48"}
		}), []calicov3.FieldError{
			fe("destination.nets[0]", `rule mixes IPv4 and IPv6 networks: "2001:db8::/32" is IPv6 but an earlier network is IPv4`)}},
		{"mixed families in one list", with(allow(""), func(r *calicov3.Rule) { r.Source.NotNets = []string{"::/1", "10.0.0.0/8"} }), []calicov3.FieldError{
			fe("source.notNets[1]", `rule mixes IPv4 and IPv6 networks: "10.0.0.0/8" is IPv4 but an earlier network is IPv6`)}},
		{"ipVersion 4 with IPv6 net", with(allow(""), func(r *calicov3.Rule) {
			r.IPVersion = intp(4)
			r.Destination.Nets = []string{"2001:db8::/32"}
		}), []calicov3.FieldError{fe("destination.nets[0]", `IPv6 network "2001:db8::/32" does not match ipVersion 4`)}},
		{"catch-all nets is fine", with(allow(""), func(r *calicov3.Rule) { r.Destination.Nets = []string{"0.0.0.0/0"} }), nil},
		{"catch-all notNets", with(allow(""), func(r *calicov3.Rule) { r.Destination.NotNets = []string{"0.0.0.0/0"} }), []calicov3.FieldError{
			fe("destination.notNets[0]", `catch-all network "0.0.0.0/0" in notNets matches no traffic`)}},
		{"catch-all IPv6 notNets", with(allow(""), func(r *calicov3.Rule) { r.Source.NotNets = []string{"::/0"} }), []calicov3.FieldError{
			fe("source.notNets[0]", `catch-all network "::/0" in notNets matches no traffic`)}},

		// selectors and global()
		{"namespaceSelector global()", with(allow(""), func(r *calicov3.Rule) {
			r.Destination.NamespaceSelector = "global()"
			r.Destination.Selector = `feed == "blocklist"`
		}), nil},
		{"namespaceSelector global() with spaces", with(allow(""), func(r *calicov3.Rule) { r.Destination.NamespaceSelector = " global( ) " }), nil},
		{"global() combined in namespaceSelector", with(allow(""), func(r *calicov3.Rule) { r.Destination.NamespaceSelector = `global() || name == "x"` }), []calicov3.FieldError{
			fe("destination.namespaceSelector", "global() cannot be combined with other selectors")}},
		{"global() in selector", with(allow(""), func(r *calicov3.Rule) { r.Source.Selector = "global()" }), []calicov3.FieldError{
			fe("source.selector", msgGlobalOnlyNS)}},
		{"global() in notSelector", with(allow(""), func(r *calicov3.Rule) { r.Source.NotSelector = "!global()" }), []calicov3.FieldError{
			fe("source.notSelector", msgGlobalOnlyNS)}},
		{"global() in serviceAccounts selector", with(allow(""), func(r *calicov3.Rule) {
			r.Source.ServiceAccounts = &calicov3.ServiceAccountMatch{Selector: "global()"}
		}), []calicov3.FieldError{fe("source.serviceAccounts.selector", msgGlobalOnlyNS)}},

		// services
		{"services alone", with(allow(""), func(r *calicov3.Rule) {
			r.Destination.Services = &calicov3.ServiceMatch{Name: "db", Namespace: "data"}
		}), nil},
		{"services without a name", with(allow(""), func(r *calicov3.Rule) { r.Source.Services = &calicov3.ServiceMatch{Namespace: "data"} }), []calicov3.FieldError{
			fe("source.services.name", "required")}},
		{"services with every exclusive field", with(allow(""), func(r *calicov3.Rule) {
			r.Source = calicov3.EntityRule{
				Services:          &calicov3.ServiceMatch{Name: "db"},
				Nets:              []string{"10.0.0.0/8"},
				NotSelector:       "has(x)",
				NamespaceSelector: "all()",
				ServiceAccounts:   &calicov3.ServiceAccountMatch{Names: []string{"sa"}},
			}
		}), []calicov3.FieldError{
			fe("source.services", "cannot be combined with nets or notNets"),
			fe("source.services", "cannot be combined with selector or notSelector"),
			fe("source.services", "cannot be combined with namespaceSelector"),
			fe("source.services", "cannot be combined with serviceAccounts")}},
		{"source services with ports", with(allow("TCP"), func(r *calicov3.Rule) {
			r.Source.Services = &calicov3.ServiceMatch{Name: "web"}
			r.Source.Ports = ports("8080")
		}), nil},
		{"destination services with ports", with(allow("TCP"), func(r *calicov3.Rule) {
			r.Destination.Services = &calicov3.ServiceMatch{Name: "web"}
			r.Destination.Ports = ports("8080")
			r.Destination.NotPorts = ports("9090")
		}), []calicov3.FieldError{
			fe("destination.ports", "cannot be combined with services in a destination"),
			fe("destination.notPorts", "cannot be combined with services in a destination")}},

		// http
		{"http on Allow without protocol", with(allow(""), func(r *calicov3.Rule) {
			r.HTTP = &calicov3.HTTPMatch{Methods: []string{"GET"}, Paths: []calicov3.HTTPPath{{Prefix: "/api"}}}
		}), nil},
		{"http with TCP by number", with(allow("6"), func(r *calicov3.Rule) { r.HTTP = &calicov3.HTTPMatch{Methods: []string{"GET"}} }), nil},
		{"http on Deny", with(calicov3.Rule{Action: calicov3.Deny}, func(r *calicov3.Rule) { r.HTTP = &calicov3.HTTPMatch{} }), []calicov3.FieldError{
			fe("http", "HTTP match is only valid on Allow rules")}},
		{"http with UDP", with(allow("UDP"), func(r *calicov3.Rule) { r.HTTP = &calicov3.HTTPMatch{} }), []calicov3.FieldError{
			fe("protocol", "rules with an HTTP match must have protocol TCP or none")}},
		{"http methods and paths", with(allow(""), func(r *calicov3.Rule) {
			r.HTTP = &calicov3.HTTPMatch{
				Methods: []string{"GET", "PUT", "GET"},
				Paths:   []calicov3.HTTPPath{{Exact: "/a", Prefix: "/b"}, {}, {Exact: "api"}, {Prefix: "/a?b"}},
			}
		}), []calicov3.FieldError{
			fe("http.methods[2]", `duplicate method "GET"`),
			fe("http.paths[0]", "exactly one of exact and prefix must be set, not both"),
			fe("http.paths[1]", "exactly one of exact and prefix must be set"),
			fe("http.paths[2]", `invalid path "api": must start with / and not contain ?, # or spaces`),
			fe("http.paths[3]", `invalid path "/a?b": must start with / and not contain ?, # or spaces`)}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := tc.rule.Validate()
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("Validate() (-want +got):\n%s", d)
			}
		})
	}
}

// parseErr returns selector.Parse's message for s, which must not parse.
func parseErr(s string) string {
	_, err := selector.Parse(s)
	if err == nil {
		panic("parseErr: " + s + " parses")
	}
	return err.Error()
}

func np(spec calicov3.NetworkPolicySpec) *calicov3.NetworkPolicy {
	return &calicov3.NetworkPolicy{TypeMeta: typeMeta(calicov3.KindNetworkPolicy), ObjectMeta: meta("ns", "p"), Spec: spec}
}

func gnp(spec calicov3.GlobalNetworkPolicySpec) *calicov3.GlobalNetworkPolicy {
	return &calicov3.GlobalNetworkPolicy{TypeMeta: typeMeta(calicov3.KindGlobalNetworkPolicy), ObjectMeta: meta("", "p"), Spec: spec}
}

func rules(rs ...calicov3.Rule) []calicov3.Rule { return rs }

func TestPolicyValidate(t *testing.T) {
	t.Parallel()
	svc := func(name, ns string) *calicov3.ServiceMatch { return &calicov3.ServiceMatch{Name: name, Namespace: ns} }
	tests := []struct {
		name string
		obj  interface{ Validate() []calicov3.FieldError }
		want []calicov3.FieldError
	}{
		{"decoded NetworkPolicy", npWant, nil},
		{"decoded GlobalNetworkPolicy", gnpWant, nil},
		{"empty NetworkPolicy", np(calicov3.NetworkPolicySpec{}), nil},
		{"nested path", np(calicov3.NetworkPolicySpec{
			Ingress: rules(allow(""), dstPorts("", "http", "8080")),
		}), []calicov3.FieldError{fe("spec.ingress[1].destination.ports[1]", msgNumericNoProto)}},
		{"selector with global()", np(calicov3.NetworkPolicySpec{
			Selector: "global()", ServiceAccountSelector: "has(a) && !global()",
		}), []calicov3.FieldError{
			fe("spec.selector", msgGlobalOnlyNS),
			fe("spec.serviceAccountSelector", msgGlobalOnlyNS)}},
		{"selector that does not parse", np(calicov3.NetworkPolicySpec{
			Ingress: rules(with(allow(""), func(r *calicov3.Rule) { r.Source.NotSelector = `app == "web` })),
		}), []calicov3.FieldError{fe("spec.ingress[0].source.notSelector", parseErr(`app == "web`))}},
		{"global( inside a string is flagged, as Calico does", np(calicov3.NetworkPolicySpec{
			Egress: rules(with(allow(""), func(r *calicov3.Rule) { r.Destination.NamespaceSelector = `name == "global()"` })),
		}), []calicov3.FieldError{fe("spec.egress[0].destination.namespaceSelector", "global() cannot be combined with other selectors")}},
		{"tier name", np(calicov3.NetworkPolicySpec{Tier: "Security"}), []calicov3.FieldError{
			fe("spec.tier", `invalid tier name "Security": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`)}},
		{"types", np(calicov3.NetworkPolicySpec{Types: []calicov3.PolicyType{"Ingress", "ingress", "Ingress"}}), []calicov3.FieldError{
			fe("spec.types[1]", `unsupported policy type "ingress": must be Ingress or Egress`),
			fe("spec.types[2]", `duplicate policy type "Ingress"`)}},
		{"performance hints", np(calicov3.NetworkPolicySpec{PerformanceHints: []calicov3.PerformanceHint{
			calicov3.HintAssumeNeededOnEveryNode, "Fast", calicov3.HintAssumeNeededOnEveryNode,
		}}), []calicov3.FieldError{
			fe("spec.performanceHints[1]", `unsupported performance hint "Fast": must be AssumeNeededOnEveryNode`),
			fe("spec.performanceHints[2]", `duplicate performance hint "AssumeNeededOnEveryNode"`)}},
		{"services by direction", np(calicov3.NetworkPolicySpec{
			Ingress: rules(with(allow(""), func(r *calicov3.Rule) { r.Destination.Services = svc("web", "") })),
			Egress: rules(with(allow(""), func(r *calicov3.Rule) {
				r.Source.Services = svc("web", "")
				r.HTTP = &calicov3.HTTPMatch{Methods: []string{"GET"}}
			})),
		}), []calicov3.FieldError{
			fe("spec.ingress[0].destination.services", "not allowed in the destination of an ingress rule"),
			fe("spec.egress[0].source.services", "not allowed in the source of an egress rule"),
			fe("spec.egress[0].http", "not allowed in egress rules")}},
		{"rule errors carry the rule path", np(calicov3.NetworkPolicySpec{
			Egress: rules(allow(""), with(allow("ICMP"), func(r *calicov3.Rule) { r.IPVersion = intp(6) })),
		}), []calicov3.FieldError{fe("spec.egress[1].ipVersion", "protocol ICMP requires ipVersion 4")}},

		// GlobalNetworkPolicy
		{"GNP namespaceSelector with global()", gnp(calicov3.GlobalNetworkPolicySpec{NamespaceSelector: "global()"}), []calicov3.FieldError{
			fe("spec.namespaceSelector", msgGlobalOnlyNS)}},
		{"GNP services need a namespace", gnp(calicov3.GlobalNetworkPolicySpec{
			Ingress: rules(with(allow(""), func(r *calicov3.Rule) { r.Source.Services = svc("web", "") })),
			Egress: rules(
				with(allow(""), func(r *calicov3.Rule) { r.Destination.Services = svc("db", "") }),
				with(allow(""), func(r *calicov3.Rule) { r.Destination.Services = svc("db", "data") }),
			),
		}), []calicov3.FieldError{
			fe("spec.ingress[0].source.services.namespace", "required in a GlobalNetworkPolicy"),
			fe("spec.egress[0].destination.services.namespace", "required in a GlobalNetworkPolicy")}},
		{"GNP doNotTrack with applyOnForward", gnp(calicov3.GlobalNetworkPolicySpec{DoNotTrack: true, ApplyOnForward: true, Ingress: rules(allow(""))}), nil},
		{"GNP preDNAT with applyOnForward", gnp(calicov3.GlobalNetworkPolicySpec{PreDNAT: true, ApplyOnForward: true, Ingress: rules(allow(""))}), nil},
		{"GNP doNotTrack and preDNAT", gnp(calicov3.GlobalNetworkPolicySpec{DoNotTrack: true, PreDNAT: true, ApplyOnForward: true}), []calicov3.FieldError{
			fe("spec.preDNAT", "preDNAT and doNotTrack cannot both be true")}},
		{"GNP doNotTrack without applyOnForward", gnp(calicov3.GlobalNetworkPolicySpec{DoNotTrack: true}), []calicov3.FieldError{
			fe("spec.applyOnForward", "applyOnForward must be true if either preDNAT or doNotTrack is true")}},
		{"GNP preDNAT with egress", gnp(calicov3.GlobalNetworkPolicySpec{
			PreDNAT: true, ApplyOnForward: true,
			Types:  []calicov3.PolicyType{calicov3.PolicyTypeIngress, calicov3.PolicyTypeEgress},
			Egress: rules(allow("")),
		}), []calicov3.FieldError{
			fe("spec.egress", "preDNAT policy cannot have any egress rules"),
			fe("spec.types", "preDNAT policy cannot have 'Egress' type")}},

		// Staged policies
		{"staged Set", &calicov3.StagedNetworkPolicy{Spec: calicov3.StagedNetworkPolicySpec{
			StagedAction: calicov3.StagedActionSet, NetworkPolicySpec: calicov3.NetworkPolicySpec{Ingress: rules(allow(""))},
		}}, nil},
		{"staged default action validates the spec", &calicov3.StagedNetworkPolicy{Spec: calicov3.StagedNetworkPolicySpec{
			NetworkPolicySpec: calicov3.NetworkPolicySpec{Ingress: rules(calicov3.Rule{})},
		}}, []calicov3.FieldError{fe("spec.ingress[0].action", "required: must be one of Allow, Deny, Log, Pass")}},
		{"staged unknown action", &calicov3.StagedNetworkPolicy{Spec: calicov3.StagedNetworkPolicySpec{StagedAction: "Remove"}}, []calicov3.FieldError{
			fe("spec.stagedAction", `unsupported staged action "Remove": must be one of Set, Delete, Learn, Ignore`)}},
		{"staged Delete with only a tier", &calicov3.StagedNetworkPolicy{Spec: calicov3.StagedNetworkPolicySpec{
			StagedAction: calicov3.StagedActionDelete, NetworkPolicySpec: calicov3.NetworkPolicySpec{Tier: "security"},
		}}, nil},
		{"staged Delete with rules", &calicov3.StagedNetworkPolicy{Spec: calicov3.StagedNetworkPolicySpec{
			StagedAction: calicov3.StagedActionDelete,
			NetworkPolicySpec: calicov3.NetworkPolicySpec{
				Order: f64(10), Selector: "all()", Ingress: rules(calicov3.Rule{}),
			},
		}}, []calicov3.FieldError{
			fe("spec.order", "must be empty when stagedAction is Delete"),
			fe("spec.ingress", "must be empty when stagedAction is Delete"),
			fe("spec.selector", "must be empty when stagedAction is Delete")}},
		{"staged global Delete with doNotTrack", &calicov3.StagedGlobalNetworkPolicy{Spec: calicov3.StagedGlobalNetworkPolicySpec{
			StagedAction:            calicov3.StagedActionDelete,
			GlobalNetworkPolicySpec: calicov3.GlobalNetworkPolicySpec{DoNotTrack: true},
		}}, []calicov3.FieldError{fe("spec.doNotTrack", "must be empty when stagedAction is Delete")}},
		{"staged global Learn validates GNP rules", &calicov3.StagedGlobalNetworkPolicy{Spec: calicov3.StagedGlobalNetworkPolicySpec{
			StagedAction:            calicov3.StagedActionLearn,
			GlobalNetworkPolicySpec: calicov3.GlobalNetworkPolicySpec{PreDNAT: true},
		}}, []calicov3.FieldError{fe("spec.applyOnForward", "applyOnForward must be true if either preDNAT or doNotTrack is true")}},
		{"staged kubernetes policy", &calicov3.StagedKubernetesNetworkPolicy{Spec: calicov3.StagedKubernetesNetworkPolicySpec{
			PodSelector: metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}},
			PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeEgress},
		}}, nil},
		{"staged kubernetes policy with bad selector and types", &calicov3.StagedKubernetesNetworkPolicy{Spec: calicov3.StagedKubernetesNetworkPolicySpec{
			StagedAction: calicov3.StagedActionIgnore,
			PodSelector: metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{
				{Key: "app", Operator: "Equals", Values: []string{"web"}},
			}},
			PolicyTypes: []networkingv1.PolicyType{"Egress", "Egress", "Both"},
		}}, []calicov3.FieldError{
			fe("spec.podSelector", `"Equals" is not a valid label selector operator`),
			fe("spec.policyTypes[1]", `duplicate policy type "Egress"`),
			fe("spec.policyTypes[2]", `unsupported policy type "Both": must be Ingress or Egress`)}},
		{"staged kubernetes policy Delete", &calicov3.StagedKubernetesNetworkPolicy{Spec: calicov3.StagedKubernetesNetworkPolicySpec{
			StagedAction: calicov3.StagedActionDelete,
			PodSelector:  metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}},
		}}, []calicov3.FieldError{fe("spec.podSelector", "must be empty when stagedAction is Delete")}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if d := cmp.Diff(tc.want, tc.obj.Validate()); d != "" {
				t.Errorf("Validate() (-want +got):\n%s", d)
			}
		})
	}
}

func tier(name string, order *float64, act *calicov3.Action) *calicov3.Tier {
	return &calicov3.Tier{
		TypeMeta:   typeMeta(calicov3.KindTier),
		ObjectMeta: meta("", name),
		Spec:       calicov3.TierSpec{Order: order, DefaultAction: act},
	}
}

func TestObjectValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		obj  interface{ Validate() []calicov3.FieldError }
		want []calicov3.FieldError
	}{
		// Tier
		{"tier without order or action", tier("security", nil, nil), nil},
		{"tier Pass", tier("security", f64(100), action(calicov3.Pass)), nil},
		{"tier Allow", tier("security", f64(100), action(calicov3.Allow)), []calicov3.FieldError{
			fe("spec.defaultAction", `unsupported default action "Allow": must be Deny or Pass`)}},
		{"tier name with a dot", tier("a.b", nil, nil), []calicov3.FieldError{
			fe("metadata.name", `invalid tier name "a.b": must not contain dots`)}},
		{"default tier", tier("default", f64(1_000_000), nil), nil},
		{"default tier with other order and Pass", tier("default", f64(1000), action(calicov3.Pass)), []calicov3.FieldError{
			fe("spec.order", "the default tier's order must be 1000000"),
			fe("spec.defaultAction", "the default tier's default action must be Deny, not Pass")}},
		{"kube-admin tier", tier("kube-admin", f64(1000), action(calicov3.Pass)), nil},
		{"kube-admin tier without action", tier("kube-admin", f64(1000), nil), []calicov3.FieldError{
			fe("spec.defaultAction", "the kube-admin tier's default action must be Pass, not Deny")}},
		{"kube-baseline tier without order", tier("kube-baseline", nil, action(calicov3.Pass)), []calicov3.FieldError{
			fe("spec.order", "the kube-baseline tier's order must be 10000000")}},

		// Network sets
		{"network set", &calicov3.NetworkSet{Spec: calicov3.NetworkSetSpec{Nets: []string{"10.0.0.0/8", "2001:db8::1"}}}, nil},
		{"network set with bad net and reserved label", &calicov3.NetworkSet{
			ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"projectcalico.org/namespace": "x"}},
			Spec:       calicov3.NetworkSetSpec{Nets: []string{"10.0.0.0/8", "garbage"}},
		}, []calicov3.FieldError{
			fe("metadata.labels", "projectcalico.org/namespace is a reserved label"),
			fe("spec.nets[1]", `invalid network "garbage": want a CIDR such as 10.0.0.0/8 or an IP address`)}},
		{"global network set", &calicov3.GlobalNetworkSet{Spec: calicov3.GlobalNetworkSetSpec{Nets: []string{"fe80::1%eth0"}}}, []calicov3.FieldError{
			fe("spec.nets[0]", `invalid network "fe80::1%eth0": want a CIDR such as 10.0.0.0/8 or an IP address`)}},

		// Host endpoints
		{"host endpoint", &calicov3.HostEndpoint{Spec: calicov3.HostEndpointSpec{Node: "n1", InterfaceName: "*"}}, nil},
		{"host endpoint without node or interface", &calicov3.HostEndpoint{}, []calicov3.FieldError{
			fe("spec.node", "required"),
			fe("spec", "at least one of interfaceName or expectedIPs must be specified")}},
		{"host endpoint ports and IPs", &calicov3.HostEndpoint{Spec: calicov3.HostEndpointSpec{
			Node: "n1", ExpectedIPs: []string{"192.0.2.1", "192.0.2.0/24"},
			Ports: []calicov3.EndpointPort{
				{Name: "ssh", Protocol: *proto("TCP"), Port: 22},
				{Name: "Ping", Protocol: *proto("ICMP"), Port: 0},
				{Name: "dns", Protocol: *proto("udp"), Port: 53},
				{Name: "x"},
			},
		}}, []calicov3.FieldError{
			fe("spec.expectedIPs[1]", `invalid IP address "192.0.2.0/24"`),
			fe("spec.ports[1].name", `invalid port name "Ping": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)`),
			fe("spec.ports[1].protocol", "protocol ICMP has no ports: must be TCP, UDP or SCTP"),
			fe("spec.ports[1].port", "must be between 1 and 65535"),
			calicov3.FieldError{Path: "spec.ports[2].protocol", Warning: true, Msg: `protocol name "udp" must be written "UDP": Calico's API rejects other spellings (Felix would match it regardless of case)`},
			fe("spec.ports[3].protocol", "required: must be TCP, UDP or SCTP"),
			fe("spec.ports[3].port", "must be between 1 and 65535")}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if d := cmp.Diff(tc.want, tc.obj.Validate()); d != "" {
				t.Errorf("Validate() (-want +got):\n%s", d)
			}
		})
	}
}

func TestFieldErrorError(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   calicov3.FieldError
		want string
	}{
		{fe("spec.ingress[0].action", "required"), "spec.ingress[0].action: required"},
		{fe("", "bad"), "bad"},
	} {
		if got := tc.in.Error(); got != tc.want {
			t.Errorf("%#v.Error() = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestDefaultTypes(t *testing.T) {
	t.Parallel()
	in, eg := calicov3.PolicyTypeIngress, calicov3.PolicyTypeEgress
	some := rules(allow(""))
	tests := []struct {
		name            string
		ingress, egress []calicov3.Rule
		types           []calicov3.PolicyType
		want            []calicov3.PolicyType
	}{
		{"no rules", nil, nil, nil, []calicov3.PolicyType{in}},
		{"empty rule lists", []calicov3.Rule{}, []calicov3.Rule{}, []calicov3.PolicyType{}, []calicov3.PolicyType{in}},
		{"ingress only", some, nil, nil, []calicov3.PolicyType{in}},
		{"egress only", nil, some, nil, []calicov3.PolicyType{eg}},
		{"both", some, some, nil, []calicov3.PolicyType{in, eg}},
		{"explicit types win", nil, some, []calicov3.PolicyType{in}, []calicov3.PolicyType{in}},
		{"explicit types kept as given", some, some, []calicov3.PolicyType{eg, in}, []calicov3.PolicyType{eg, in}},
	}
	for _, tc := range tests {
		got := calicov3.DefaultTypes(tc.ingress, tc.egress, tc.types)
		if d := cmp.Diff(tc.want, got); d != "" {
			t.Errorf("DefaultTypes(%s) (-want +got):\n%s", tc.name, d)
		}
	}

	// The result is a copy: changing it does not change the input.
	types := []calicov3.PolicyType{in}
	calicov3.DefaultTypes(nil, nil, types)[0] = eg
	if types[0] != in {
		t.Errorf("DefaultTypes returned its input slice, want a copy")
	}
}
