package expect_test

import (
	"errors"
	"net/netip"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"

	"github.com/netreach/netreach/internal/expect"
	"github.com/netreach/netreach/internal/policy"
)

// TestParse checks the structure Parse builds from the example file.
func TestParse(t *testing.T) {
	t.Parallel()
	x, err := expect.Load("../../testdata/check/tenant-isolation.yaml")
	require.NoError(t, err)
	require.Len(t, x.Rules, 8)
	iso := x.Rules[0]
	require.Equal(t, expect.Isolate, iso.Kind)
	require.Equal(t, "client", iso.Isolate.NamespacesBy)
	require.Len(t, iso.Isolate.Except, 3)
	dns := iso.Isolate.Except[0]
	require.Nil(t, dns.From)
	require.Equal(t, "{namespace: kube-system, podSelector: k8s-app=kube-dns}", dns.To.String())
	require.Equal(t, []expect.Port{{Protocol: policy.UDP, Lo: 53, Hi: 53}, {Protocol: policy.TCP, Lo: 53, Hi: 53}}, dns.Ports)
	require.True(t, iso.Isolate.Except[1].Either)
	require.Equal(t, "../../testdata/check/tenant-isolation.yaml:15:7", iso.Isolate.Except[1].Source.String())

	dnsRule := x.Rules[2]
	require.Equal(t, expect.Allow, dnsRule.Kind)
	require.Equal(t, "{selector: k8s-app == \"kube-dns\"}", dnsRule.To.String())
	require.Equal(t, []expect.Port{{Protocol: policy.UDP, Name: "dns"}, {Protocol: policy.AnyProtocol, Name: "dns-tcp"}}, dnsRule.Ports)

	dnsOnly := x.Rules[3]
	require.Equal(t, []string{"test01-web", "test01-db", "test02-web", "test02-db"}, dnsOnly.From.Namespaces)
	require.Equal(t, []expect.Port{{Protocol: policy.TCP, Lo: 1, Hi: 52}, {Protocol: policy.TCP, Lo: 54, Hi: 65535}, {Protocol: policy.UDP, Lo: 1, Hi: 52}}, dnsOnly.Ports)

	internet := x.Rules[4]
	require.Equal(t, []netip.Prefix{netip.MustParsePrefix("0.0.0.0/0")}, internet.To.CIDRs)
	require.Equal(t, []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}, internet.To.NotCIDRs)
	require.Equal(t, expect.Deny, internet.Kind)
}

// TestParseErrors checks that every problem is reported, located at
// file:line:col, with its field path and what was expected.
func TestParseErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in string
		want     []string
	}{
		{"empty", "\n# nothing\n", []string{"x.yaml: error: empty file: expected apiVersion: netreach.io/v1alpha1, kind: Expectations and rules"}},
		{"not a mapping", "- a\n- b\n", []string{"x.yaml:1:1: error: expected a mapping with apiVersion, kind and rules"}},
		{"wrong apiVersion and kind", "apiVersion: v1\nkind: List\nrules: []\n", []string{
			"x.yaml:1:13: error: apiVersion: expected netreach.io/v1alpha1, got \"v1\"",
			"x.yaml:2:7: error: kind: expected Expectations, got \"List\"",
			"x.yaml:3:1: error: rules: expected at least one rule",
		}},
		{"unknown field, case", rules("name: r\nfrom: {namespace: a, podselector: {}}\nto: {namespace: b}\nexpect: deny"), []string{
			"x.yaml:5:24: error: rules[0].from.podselector: unknown field (field names are case-sensitive: did you mean podSelector?)",
		}},
		{"unknown field, plural", rules("name: r\nfrom: {namespaces: [a]}\nto: {namespace: b}\nexpect: deny"), []string{
			"x.yaml:5:10: error: rules[0].from.namespaces: unknown field (did you mean namespace? it takes a name or a list)",
		}},
		{"wrong type", rules("name: [r]\nfrom: {namespace: a}\nto: {namespace: b}\nexpect: deny"), []string{
			"x.yaml:4:9: error: rules[0].name: expected a string, got array",
		}},
		{"bad expect", rules("name: r\nfrom: {namespace: a}\nto: {namespace: b}\nexpect: maybe"), []string{
			"x.yaml:7:11: error: rule \"r\": rules[0].expect: expected allow or deny, got \"maybe\"",
		}},
		{"bad layer", rules("name: r\nfrom: {namespace: a}\nto: {namespace: b}\nexpect: deny\nlayer: both"), []string{
			"x.yaml:8:10: error: rule \"r\": rules[0].layer: expected combined, network or mesh, got \"both\"",
		}},
		{"missing parts", rules("name: r\nports: [80]"), []string{
			"x.yaml:4:3: error: rule \"r\": rules[0]: missing expect: give expect: allow or expect: deny (or use isolate)",
			"x.yaml:4:3: error: rule \"r\": rules[0]: missing from: say which sources the rule is about",
			"x.yaml:4:3: error: rule \"r\": rules[0]: missing to: say which destinations the rule is about",
		}},
		{"no name", rules("from: {namespace: a}\nto: {namespace: b}\nexpect: deny"), []string{
			"x.yaml:4:3: error: rules[0].name: every rule needs a name: reports identify rules by it",
		}},
		{"duplicate names", rules("name: r\nfrom: {namespace: a}\nto: {namespace: b}\nexpect: deny", "name: r\nfrom: {namespace: a}\nto: {namespace: c}\nexpect: allow"), []string{
			"x.yaml:8:9: error: rules[1].name: duplicate rule name (first used at x.yaml:4:3); names identify rules in reports",
		}},
		{"bad values", rules("name: r\nfrom: {namespace: 5, pod: \"a/b\", workload: \"[\"}\nto: {cidr: [10.0.0.0/33], notCIDR: 10.1.0.0/16, selector: \"a ==\"}\nports: [\"80/XTP\", 0, {protocol: TCP, port: 90, endPort: 80}, {endPort: 5}, \"http\", {protocol: ICMP, port: 1}]\nexpect: deny"), []string{
			"x.yaml:5:21: error: rule \"r\": rules[0].from.namespace: expected a string or a non-empty list of strings, got the number 5",
			"x.yaml:5:29: error: rule \"r\": rules[0].from.pod: \"a/b\" contains '/': give the namespace and the pod name in separate fields (namespace: ns, pod: name)",
			"x.yaml:5:46: error: rule \"r\": rules[0].from.workload: invalid glob \"[\": syntax error in pattern",
			"x.yaml:6:15: error: rule \"r\": rules[0].to.cidr[0]: expected a CIDR (10.0.0.0/8) or an address: invalid CIDR \"10.0.0.0/33\": expected an address and a prefix length such as 10.0.0.0/16 or fd00::/64",
			"x.yaml:6:66: error: rule \"r\": rules[0].to.selector: invalid Calico selector: parse \"a ==\": expected string after \"==\", found end of input at column 5",
			"x.yaml:7:11: error: rule \"r\": rules[0].ports[0]: invalid port \"80/XTP\": unknown protocol \"XTP\"; expected 80, 80/TCP, 8000-8080/TCP, UDP, http or dns/UDP",
			"x.yaml:7:21: error: rule \"r\": rules[0].ports[1]: port \"0\" is not a number from 1 to 65535",
			"x.yaml:7:59: error: rule \"r\": rules[0].ports[2].endPort: endPort 80 is below port 90",
			"x.yaml:7:65: error: rule \"r\": rules[0].ports[3].endPort: endPort needs port",
			"x.yaml:7:103: error: rule \"r\": rules[0].ports[5].port: ICMP has no ports",
		}},
		{"bad label selector", rules("name: r\nfrom:\n  namespaceSelector:\n    matchExpressions: [{key: a, operator: Maybe}]\nto: {namespace: b}\nexpect: deny"), []string{
			"x.yaml:7:7: error: rule \"r\": rules[0].from.namespaceSelector: invalid label selector: \"Maybe\" is not a valid label selector operator",
		}},
		{"empty selection and ports", rules("name: r\nfrom: {}\nto: {namespace: b}\nports: []\nexpect: deny"), []string{
			"x.yaml:5:9: error: rule \"r\": rules[0].from: empty selection: give namespace, namespaceSelector, podSelector, pod, workload, selector, cidr, internet, ingressController or service (namespace: \"*\" selects every endpoint)",
			"x.yaml:7:3: error: rule \"r\": rules[0].ports: empty ports: leave ports out to check every port",
		}},
		{"isolate mixed with expect", rules("name: r\nexpect: deny\nisolate:\n  except:\n  - ports: [53/UDP]\n  - with: {namespace: a}\n    from: {namespace: b}"), []string{
			"x.yaml:5:3: error: rule \"r\": rules[0].expect: isolate cannot be combined with expect: isolate always expects deny between groups; put exempt flows under isolate.except",
			"x.yaml:6:3: error: rule \"r\": rules[0].isolate: missing namespacesBy: the namespace label whose values are the tenants",
			"x.yaml:8:7: error: rule \"r\": rules[0].isolate.except[0]: an exception needs from, to or with: otherwise it would exempt every flow",
			"x.yaml:9:7: error: rule \"r\": rules[0].isolate.except[1].with: with cannot be combined with from or to: with already exempts flows in both directions",
		}},
		{"duplicate key", "apiVersion: netreach.io/v1alpha1\nkind: Expectations\nkind: Expectations\nrules: []\n", []string{
			"x.yaml:3: error: invalid YAML: key \"kind\" already set in map",
		}},
		{"bad YAML", "apiVersion: netreach.io/v1alpha1\nrules:\n- name: [\n", []string{
			"x.yaml:4: error: invalid YAML: did not find expected node content",
		}},
		{"two documents", rules("name: r\nfrom: {namespace: a}\nto: {namespace: b}\nexpect: deny") + "---\nkind: Expectations\n", []string{
			"x.yaml:8:1: error: a second YAML document; an expectations file holds one document (put every rule under rules)",
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			x, err := expect.Parse("x.yaml", []byte(tc.in))
			require.Nil(t, x)
			var ds policy.Diagnostics
			require.True(t, errors.As(err, &ds), "error %v is not a policy.Diagnostics", err)
			var got []string
			for _, d := range ds {
				got = append(got, d.String())
			}
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("Parse diagnostics (-want +got):\n%s", d)
			}
		})
	}
}

func TestLoadMissing(t *testing.T) {
	t.Parallel()
	_, err := expect.Load("testdata/does-not-exist.yaml")
	require.EqualError(t, err, "testdata/does-not-exist.yaml: error: cannot read expectations: no such file or directory")
}

func TestParsePort(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want expect.Port
		err  string
	}{
		{in: "80", want: expect.Port{Protocol: policy.TCP, Lo: 80, Hi: 80}},
		{in: "80/udp", want: expect.Port{Protocol: policy.UDP, Lo: 80, Hi: 80}},
		{in: "8000-8080/SCTP", want: expect.Port{Protocol: policy.SCTP, Lo: 8000, Hi: 8080}},
		{in: "UDP", want: expect.Port{Protocol: policy.UDP, Lo: 1, Hi: 65535}},
		{in: "icmp", want: expect.Port{Protocol: policy.ICMP}},
		{in: "http", want: expect.Port{Protocol: policy.AnyProtocol, Name: "http"}},
		{in: "dns/UDP", want: expect.Port{Protocol: policy.UDP, Name: "dns"}},
		{in: "", err: `invalid port "": empty`},
		{in: "0", err: `invalid port "0": port "0" is not a number from 1 to 65535`},
		{in: "65536/TCP", err: `invalid port "65536/TCP": port "65536" is not a number from 1 to 65535`},
		{in: "90-80", err: `invalid port "90-80": range end 80 is below its start 90`},
		{in: "80/ICMP", err: `invalid port "80/ICMP": ICMP has no ports`},
		{in: "80/FOO", err: `invalid port "80/FOO": unknown protocol "FOO"`},
		{in: "Http", err: `invalid port "Http": "Http" is not a port name (lowercase letters, digits and inner single '-'); expected a number, a range N-M, a protocol or a container port name`},
		{in: "very-long-port-name", err: `invalid port "very-long-port-name": port name "very-long-port-name" is longer than 15 characters; expected a number, a range N-M, a protocol or a container port name`},
	}
	for _, tc := range tests {
		got, err := expect.ParsePort(tc.in)
		if tc.err != "" {
			if err == nil || err.Error() != tc.err {
				t.Errorf("ParsePort(%q) error = %v, want %s", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("ParsePort(%q) = %+v, %v, want %+v", tc.in, got, err, tc.want)
		}
	}
}

// FuzzParsePort checks that ParsePort never panics and that String reads
// back to the same port.
func FuzzParsePort(f *testing.F) {
	for _, s := range []string{"80", "80/TCP", "1-65535/UDP", "ICMP", "http", "dns/UDP", "6", "a-b", "99999", "-1", "1-"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := expect.ParsePort(s)
		if err != nil {
			return
		}
		q, err := expect.ParsePort(p.String())
		if err != nil || q != p {
			t.Errorf("ParsePort(%q) = %+v; ParsePort(%q) = %+v, %v", s, p, p.String(), q, err)
		}
	})
}

// FuzzParse checks that Parse never panics and either returns
// expectations or located errors.
func FuzzParse(f *testing.F) {
	f.Add(rules("name: r\nfrom: {namespace: a}\nto: {cidr: 10.0.0.0/8}\nports: [80, http, {port: 1, endPort: 2}]\nexpect: deny"))
	f.Add(rules("name: r\nisolate: {namespacesBy: t, except: [{with: {pod: x}, ports: [UDP]}]}"))
	f.Add("apiVersion: netreach.io/v1alpha1\nkind: Expectations\nrules: [{name: a, expect: allow}]\n")
	f.Add("{]")
	f.Fuzz(func(t *testing.T, s string) {
		x, err := expect.Parse("f.yaml", []byte(s))
		if (x == nil) == (err == nil) {
			t.Fatalf("Parse(%q) = %v, %v: want exactly one", s, x, err)
		}
		var ds policy.Diagnostics
		if err != nil && (!errors.As(err, &ds) || len(ds) == 0) {
			t.Fatalf("Parse(%q) error %v is not a non-empty Diagnostics", s, err)
		}
	})
}

// TestREADMEExample parses the expectations example of README.md, so the
// documentation cannot drift from the format.
func TestREADMEExample(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile("../../README.md")
	require.NoError(t, err)
	_, rest, ok := strings.Cut(string(data), "### Expectations file\n")
	require.True(t, ok, "README.md has no Expectations file section")
	_, rest, ok = strings.Cut(rest, "```yaml\n")
	require.True(t, ok)
	example, _, ok := strings.Cut(rest, "```")
	require.True(t, ok)
	x, err := expect.Parse("README.md", []byte(example))
	require.NoError(t, err)
	require.Len(t, x.Rules, 4)
}
