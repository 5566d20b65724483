package policy_test

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/netreach/netreach/internal/policy"
)

// TestCodesGolden lists every diagnostic code with its meaning; a code
// that changes or disappears is a deliberate diff of testdata/codes.golden
// (rewrite with -update).
func TestCodesGolden(t *testing.T) {
	var b strings.Builder
	for _, c := range policy.Codes() {
		if c.Describe() == "" {
			t.Errorf("code %s has no description", c)
		}
		fmt.Fprintf(&b, "%-20s %s\n", c, c.Describe())
	}
	const path = "testdata/codes.golden"
	if *policy.Update {
		if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := b.String(); got != string(want) {
		t.Errorf("codes changed (rerun with -update if deliberate):\ngot:\n%s\nwant:\n%s", got, want)
	}
}

// TestDiagnosticCodes: each kind of problem gets its code and, where
// there is one, the offending value.
func TestDiagnosticCodes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, input string
		code        policy.Code
		value       string
	}{
		{"unknown field", "apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\nspek: {}\n", policy.CodeUnknownField, "spek"},
		{"wrong type", "apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\nspec: []\n", policy.CodeTypeInvalid, ""},
		{"missing kind", "apiVersion: v1\nmetadata: {name: a}\n", policy.CodeRequired, ""},
		{"invalid CIDR", "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: a, namespace: a}\nspec:\n  podSelector: {}\n  ingress: [{from: [{ipBlock: {cidr: 10.0.0.0/33}}]}]\n", policy.CodeInvalid, ""},
		{"unsupported version", "apiVersion: networking.k8s.io/v2\nkind: NetworkPolicy\nmetadata: {name: a, namespace: a}\n", policy.CodeUnsupportedVersion, "networking.k8s.io/v2"},
		{"skipped kind", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: a}\n", policy.CodeSkippedKind, "ConfigMap"},
		{"duplicate object", "apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n---\napiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n", policy.CodeDuplicateObject, ""},
		{"undeclared namespace", "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: gone}\n", policy.CodeUndeclaredNamespace, "gone"},
		{"named port", "apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: a}\n---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: a, namespace: a}\nspec:\n  podSelector: {}\n  ingress: [{ports: [{port: web}]}]\n", policy.CodeUnresolvedNamedPort, "web"},
		{"syntax", "apiVersion: v1\nkind: [\n", policy.CodeSyntax, ""},
		{"not an object", "- a\n- b\n", policy.CodeSyntax, ""},
	}
	for _, tc := range tests {
		l := policy.NewLoader(policy.LoadOptions{})
		l.AddBytes("in.yaml", []byte(tc.input))
		s, _ := l.Snapshot()
		var got []string
		found := false
		for _, d := range s.Diagnostics {
			if d.Code == "" {
				t.Errorf("%s: diagnostic without a code: %v", tc.name, d)
			}
			got = append(got, fmt.Sprintf("%s(%s)", d.Code, d.Value))
			found = found || d.Code == tc.code && d.Value == tc.value
		}
		if !found {
			t.Errorf("%s: codes = %v, want %s(%s)", tc.name, got, tc.code, tc.value)
		}
	}
}
