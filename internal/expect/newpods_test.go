package expect_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/netreach/netreach/internal/expect"
)

const tenantDir = "../../testdata/scenarios/tenant-isolation"

// TestNewPods checks rules over pods that do not exist yet on the tenant
// scenario (testdata/scenarios/tenant-isolation): each client's namespaces
// admit only that client's namespaces, ingress and monitoring, and let out
// only to that client and to DNS; ingress, monitoring and kube-system have
// no policy at all.
func TestNewPods(t *testing.T) {
	t.Parallel()
	m := matrixOf(t, tenantDir)
	tests := []struct {
		name   string
		rule   string
		status expect.Status
		// newPod must appear in the first violation's source or
		// destination when the rule fails.
		newPod string
	}{
		{"no new pod of another client reaches test01-db",
			"from: {namespaceSelector: {matchExpressions: [{key: client, operator: Exists}, {key: client, operator: NotIn, values: [test01]}]}, newPods: true}\nto: {namespace: test01-db}\nexpect: deny",
			expect.Pass, ""},
		{"a new pod in a new namespace labelled client=test01 reaches test01-db",
			"from: {namespaceSelector: {matchLabels: {client: test01}}, newPods: true}\nto: {namespace: test01-db}\nports: [5432]\nexpect: deny",
			// test01-web's pods are allowed too, so the existing check fails first
			expect.Fail, ""},
		{"new pods in monitoring reach test01-db on every port",
			"from: {namespace: monitoring, newPods: true}\nto: {namespace: test01-db}\nports: [5432]\nexpect: deny",
			// prometheus exists there: the existing check fails first
			expect.Fail, ""},
		{"only new pods in kube-system: none reaches test01-db",
			"from: {namespace: kube-system, newPods: true}\nto: {namespace: test01-db}\nexpect: deny",
			expect.Pass, ""},
		{"test01-web reaches only DNS pods in kube-system on 53, new ones included",
			"from: {namespace: test01-web}\nto: {namespace: kube-system, podSelector: {matchExpressions: [{key: k8s-app, operator: NotIn, values: [kube-dns]}]}, newPods: true}\nexpect: deny",
			expect.Pass, ""},
		{"test01-web reaches a new DNS pod in kube-system on 53",
			"from: {namespace: test01-web}\nto: {namespace: kube-system, newPods: true}\nports: [53/UDP]\nexpect: deny",
			// coredns exists: the existing check fails first
			expect.Fail, ""},
		{"existing test02 pods reach kube-system on 53 only, a new namespace labelled client=test02 on every port",
			"from: {namespaceSelector: {matchLabels: {client: test02}}, newPods: true}\nto: {namespace: kube-system}\nports: [5353/TCP]\nexpect: deny",
			expect.Fail, "new pod {} in new namespace"},
		{"tenant isolation breaks for new namespaces",
			"isolate:\n  namespacesBy: client\n  newPods: true\n  except:\n  - to: {namespace: kube-system, podSelector: {matchLabels: {k8s-app: kube-dns}}}\n    ports: [53/UDP, 53/TCP]\n  - with: {namespace: ingress}\n  - from: {namespace: monitoring}",
			expect.Fail, "new pod {} in new namespace"},
		{"tenant isolation holds when shared namespaces are exempt",
			"isolate:\n  namespacesBy: client\n  newPods: true\n  except:\n  - with: {namespace: [ingress, monitoring, kube-system]}",
			expect.Pass, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := evalOne(t, m, tc.rule)
			require.Equal(t, tc.status, r.Status, "result %+v", r)
			if tc.newPod != "" {
				require.NotNil(t, r.NewPod)
				require.True(t, strings.Contains(r.Violations[0].Src, tc.newPod) || strings.Contains(r.Violations[0].Dst, tc.newPod), "first violation %s", r.Violations[0])
				require.NotNil(t, r.Trace, "the counterexample is explained")
			}
		})
	}
}

func TestNewPodsParseErrors(t *testing.T) {
	t.Parallel()
	tests := []struct{ rule, want string }{
		{"name: r\nfrom: {namespace: a, pod: p, newPods: true}\nto: {namespace: b}\nexpect: deny", "newPods cannot be combined with pod"},
		{"name: r\nfrom: {namespace: a, newPods: true}\nto: {namespace: b}\nexpect: allow", "newPods is supported in deny rules and isolate"},
		{"name: r\nfrom: {namespace: a, newPods: true}\nto: {namespace: b, newPods: true}\nexpect: deny", "newPods on both from and to"},
		{"name: r\nfrom: {namespace: a}\nto: {namespace: b, newPods: true}\nports: [http]\nexpect: deny", "a named port resolves on the new pod"},
	}
	for _, tc := range tests {
		_, err := expect.Parse("x.yaml", []byte(rules(tc.rule)))
		require.ErrorContains(t, err, tc.want, tc.rule)
	}
}
