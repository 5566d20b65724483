package policy

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// billionLaughs returns the classic alias bomb: levels lists of width
// aliases each, expanding to width^levels scalars.
func billionLaughs(levels, width int) string {
	var b strings.Builder
	b.WriteString("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: lol}\ndata:\n  l0: &l0 [")
	b.WriteString(strings.TrimSuffix(strings.Repeat(`"lol",`, width), ","))
	b.WriteString("]\n")
	for i := 1; i < levels; i++ {
		fmt.Fprintf(&b, "  l%d: &l%d [%s]\n", i, i, strings.TrimSuffix(strings.Repeat(fmt.Sprintf("*l%d,", i-1), width), ","))
	}
	return b.String()
}

// TestAliasBombs checks that documents whose aliases expand far beyond
// their size are rejected, at the alias that crosses the limit (the count
// stops there, so the cost is bounded by the document's own size),
// including those go.yaml.in/yaml/v2 lets through (it allows about a
// hundredfold expansion of small documents).
func TestAliasBombs(t *testing.T) {
	t.Parallel()
	wide := "x: &a [" + strings.TrimSuffix(strings.Repeat("x,", 4000), ",") + "]\n" +
		"y: [" + strings.TrimSuffix(strings.Repeat("*a,", 95), ",") + "]\n"
	peers := "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: np}\nspec:\n  ingress:\n  - from: &p\n" +
		strings.Repeat("    - {}\n", 2000) + strings.Repeat("  - from: *p\n", 50)
	merge := "base: &b {" + strings.TrimSuffix(strings.Repeat("k: v, ", 1), ", ") + "}\n"
	for i := 0; i < 30; i++ {
		merge += fmt.Sprintf("m%d: &m%d {<<: [*%s, *%s], x%d: 1}\n", i, i, prevAnchor(i), prevAnchor(i), i)
	}
	tests := []struct {
		name, in string
		want     string // the diagnostic's location and the start of its message
	}{
		{"billion laughs", billionLaughs(9, 9), "in.yaml:9:12: error: document 1: YAML aliases expand the document to more than"},
		{"a million laughs", billionLaughs(30, 2), "in.yaml:16:14: error: document 1: YAML aliases expand the document to more than"},
		{"wide anchor, many aliases (passes the YAML library's own check)", wide, "in.yaml:2:"},
		{"policy with aliased peer lists", peers, "in.yaml:2012:11: error: document 1: YAML aliases expand the document to more than"},
		{"merge keys", merge, "in.yaml:"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := loadFiles(t, LoadOptions{}, file{"in.yaml", tc.in})
			errs := diagLinesAtLeast(s.Diagnostics, Error)
			require.Len(t, errs, 1, "%v", errs)
			require.True(t, strings.HasPrefix(errs[0], tc.want), "got %q, want prefix %q", errs[0], tc.want)
			require.Contains(t, errs[0], "looks like an alias bomb")
		})
	}
}

func prevAnchor(i int) string {
	if i == 0 {
		return "b"
	}
	return fmt.Sprintf("m%d", i-1)
}

// TestAliasesAllowed checks that ordinary use of anchors is accepted.
func TestAliasesAllowed(t *testing.T) {
	t.Parallel()
	s := loadYAML(t, `
		apiVersion: v1
		kind: List
		items:
		- &pod
		  apiVersion: v1
		  kind: Pod
		  metadata: {name: a, namespace: prod, labels: &labels {app: web, tier: front}}
		  spec:
		    containers: &containers
		    - name: c
		      ports: [{name: http, containerPort: 80}]
		- apiVersion: v1
		  kind: Pod
		  metadata: {name: b, namespace: prod, labels: *labels}
		  spec: {containers: *containers}
		- <<: *pod
		  metadata: {name: c, namespace: prod, labels: *labels}
	`)
	require.Empty(t, diagLinesAtLeast(s.Diagnostics, Error))
	require.Equal(t, []string{"prod/a", "prod/b", "prod/c"}, endpointIDs(s))
	require.Equal(t, map[string]string{"app": "web", "tier": "front"}, findEndpoint(s, "prod/c").Labels)
	require.Len(t, findEndpoint(s, "prod/c").Ports, 1)
}

// TestDeepNesting checks that 100,000 levels of nesting give an error and
// not a stack overflow, in every syntax the loader reads.
func TestDeepNesting(t *testing.T) {
	t.Parallel()
	const n = 100000
	tests := []struct {
		name, file, in, want string
	}{
		{"flow sequences", "in.yaml", strings.Repeat("[", n) + strings.Repeat("]", n) + "\n",
			"in.yaml:1: error: document 1: invalid YAML: exceeded max depth of 10000"},
		{"flow mappings", "in.yaml", "a: " + strings.Repeat("{a: ", n) + "1" + strings.Repeat("}", n) + "\n",
			"in.yaml:1: error: document 1: invalid YAML: exceeded max depth of 10000"},
		{"unclosed", "in.yaml", "a: " + strings.Repeat("[", n) + "\n",
			"in.yaml:1: error: document 1: invalid YAML: exceeded max depth of 10000"},
		{"block sequences", "in.yaml", strings.Repeat("- ", n) + "x\n",
			"in.yaml:1: error: document 1: invalid YAML: exceeded max depth of 10000"},
		{"JSON arrays", "in.json", strings.Repeat("[", n) + strings.Repeat("]", n),
			"in.json:1:10001: error: document 1: invalid JSON: exceeded max depth of 10000"},
		{"JSON objects", "in.json", strings.Repeat(`{"a":`, n) + "1" + strings.Repeat("}", n),
			"in.json:1:50001: error: document 1: invalid JSON: exceeded max depth of 10000"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := loadFiles(t, LoadOptions{}, file{tc.file, tc.in})
			require.Equal(t, []string{tc.want}, diagLines(s.Diagnostics))
		})
	}
	// Just under the parsers' limit, everything else copes too: the
	// document is not an object.
	in := "a: " + strings.Repeat("[", 9990) + strings.Repeat("]", 9990) + "\n"
	s := loadFiles(t, LoadOptions{}, file{"in.yaml", in})
	require.Equal(t, []string{"in.yaml:1:1: error: document 1: missing apiVersion and kind: not a Kubernetes object"}, diagLines(s.Diagnostics))
	s = loadFiles(t, LoadOptions{}, file{"in.yaml", "apiVersion: v1\nkind: Pod\nmetadata: {name: a, namespace: b}\nspec: " + strings.Repeat("[", 9990) + strings.Repeat("]", 9990) + "\n"})
	require.Equal(t, []string{`in.yaml:4:1: error: document 1: Pod b/a: spec: expected a mapping, got a list`}, diagLines(s.Diagnostics))
}

func TestDocumentLimits(t *testing.T) {
	t.Parallel()
	ns := func(name string) string { return "apiVersion: v1\nkind: Namespace\nmetadata: {name: " + name + "}\n" }
	t.Run("size", func(t *testing.T) {
		t.Parallel()
		big := ns("big") + "# " + strings.Repeat("x", 100) + "\n"
		s := loadFiles(t, LoadOptions{MaxDocumentBytes: 100},
			file{"a.yaml", ns("a") + "---\n" + big + "---\n" + ns("c")},
			file{"b.json", `{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "d"}} {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "e", "labels": {"x": "` + strings.Repeat("y", 60) + `"}}}`})
		require.Equal(t, []string{
			"a.yaml:5:1: error: document 2: document is 156 bytes, more than the limit of 100; it is not read (raise the limit with --max-document-bytes)",
			"b.json:1:70: error: document 2: document is 149 bytes, more than the limit of 100; it is not read (raise the limit with --max-document-bytes)",
		}, diagLines(s.Diagnostics))
		require.Len(t, s.Namespaces, 3)
	})
	t.Run("count", func(t *testing.T) {
		t.Parallel()
		l := NewLoader(LoadOptions{MaxDocuments: 3})
		l.AddBytes("a.yaml", []byte(ns("a")+"---\n"+ns("b")))
		l.AddBytes("b.yaml", []byte(ns("c")+"---\n"+ns("d")))
		l.AddBytes("c.yaml", []byte(ns("e")))
		s, err := l.Snapshot()
		require.Error(t, err)
		require.Equal(t, []string{
			"b.yaml:5:1: error: document 2: more than 3 documents in the input; the rest are not read (raise the limit with --max-documents)",
		}, diagLines(s.Diagnostics))
		require.Len(t, s.Namespaces, 3)
	})
	t.Run("defaults", func(t *testing.T) {
		t.Parallel()
		l := NewLoader(LoadOptions{})
		require.Equal(t, DefaultMaxDocumentBytes, l.opts.MaxDocumentBytes)
		require.Equal(t, DefaultMaxDocuments, l.opts.MaxDocuments)
	})
}

// TestLongLine checks that 1 MB values on one line are read, and that
// they are not copied whole into messages. (How fast they are read is a
// benchmark's business, not a test's.)
func TestLongLine(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("a", 1<<20)
	s := loadYAML(t, "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n  namespace: prod\n  labels: {app: "+long+"}\n  bogus: "+long+"\n---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: np, namespace: prod}\nspec:\n  podSelector: {}\n  egress: [{to: [{ipBlock: {cidr: "+long+"}}]}]\n---\napiVersion: v1\nkind: Namespace\nmetadata: {name: prod}\n")
	for _, d := range s.Diagnostics {
		require.Less(t, len(d.String()), 2000, "a diagnostic must not quote a huge value: %.200s", d.String())
	}
	require.Len(t, s.Diagnostics, 3)
}
