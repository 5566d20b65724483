package policy

import (
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"
)

func TestSplitDocuments(t *testing.T) {
	t.Parallel()
	type doc struct {
		Index, Line, Col int
		Text             string
	}
	tests := []struct {
		name string
		in   string
		want []doc
	}{
		{"single", "a: 1\n", []doc{{1, 1, 0, "a: 1\n"}}},
		{"no final newline", "a: 1", []doc{{1, 1, 0, "a: 1"}}},
		{"leading separator", "---\na: 1\n", []doc{{1, 2, 0, "a: 1\n"}}},
		{"separator with comment", "--- # first\na: 1\n---   \nb: 2\n", []doc{{1, 2, 0, "a: 1\n"}, {2, 4, 0, "b: 2\n"}}},
		{"empty and comment-only documents", "---\n---\n\n---\n# only a comment\n  # indented comment\n---\nb: 2\n---\n", []doc{{1, 8, 0, "b: 2\n"}}},
		{"comment kept with its document", "---\n# about a\na: 1\n", []doc{{1, 2, 0, "# about a\na: 1\n"}}},
		{"document end marker", "a: 1\n...\nb: 2\n... # end\n---\nc: 3\n", []doc{{1, 1, 0, "a: 1\n"}, {2, 3, 0, "b: 2\n"}, {3, 6, 0, "c: 3\n"}}},
		{"end marker alone", "...\n", nil},
		{"content on separator line", "--- {a: 1}\n---  [b]\n", []doc{{1, 1, 4, "{a: 1}\n"}, {2, 2, 5, "[b]\n"}}},
		{"directive", "%YAML 1.1\n---\na: 1\n", []doc{{1, 3, 0, "a: 1\n"}}},
		{"CRLF", "a: 1\r\n---\r\nb: 2\r\n", []doc{{1, 1, 0, "a: 1\r\n"}, {2, 3, 0, "b: 2\r\n"}}},
		{"not separators", "a: ---\n----\n---x\nb: |\n  ---\n", []doc{{1, 1, 0, "a: ---\n----\n---x\nb: |\n  ---\n"}}},
		{"empty input", "", nil},
		{"blank lines only", "\n\n  \n", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var got []doc
			for _, d := range splitDocuments(t, []byte(tc.in)) {
				got = append(got, doc{d.index, d.startLine, d.startCol, string(d.text)})
			}
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("splitDocuments(%q) (-want +got):\n%s", tc.in, d)
			}
		})
	}
}

// splitDocuments cuts data into documents as the loader does, and returns
// them without decoding them.
func splitDocuments(t *testing.T, data []byte) []*document {
	t.Helper()
	l := NewLoader(LoadOptions{})
	l.AddBytes("f", data)
	require.Empty(t, l.diags)
	return l.batch
}

// TestDocumentLocations checks document indexes and lines in diagnostics
// of a stream with every kind of separator and empty document.
func TestDocumentLocations(t *testing.T) {
	t.Parallel()
	in := "" +
		"--- # namespace\n" + // 1
		"apiVersion: v1\n" + // 2
		"kind: Namespace\n" + // 3
		"metadata: {name: prod, a: 1}\n" + // 4
		"---\n" + // 5
		"---\n" + // 6
		"# only a comment\n" + // 7
		"---\n" + // 8
		"\n" + // 9
		"# the pod\n" + // 10
		"apiVersion: v1\n" + // 11
		"kind: Pod\n" + // 12
		"metadata:\n" + // 13
		"  name: web\n" + // 14
		"  namespace: prod\n" + // 15
		"  b: 2\n" + // 16
		"...\n" + // 17
		"apiVersion: v1\n" + // 18
		"kind: Service\n" + // 19
		"metadata: {name: svc, namespace: prod}\n" + // 20
		"spec: {c: 3}\n" // 21
	s := loadFiles(t, LoadOptions{}, file{"s.yaml", in})
	want := []string{
		"s.yaml:4:24: warning: document 1: Namespace prod: metadata.a: unknown field; the API server drops it, so it has no effect",
		"s.yaml:16:3: warning: document 2: Pod prod/web: metadata.b: unknown field; the API server drops it, so it has no effect",
		"s.yaml:21:8: warning: document 3: Service prod/svc: spec.c: unknown field; the API server drops it, so it has no effect",
	}
	if d := cmp.Diff(want, diagLines(s.Diagnostics)); d != "" {
		t.Errorf("diagnostics (-want +got):\n%s", d)
	}
	require.Equal(t, Location{File: "s.yaml", Doc: 2, Line: 11, Col: 1}, findEndpoint(s, "prod/web").Source, "a document's location is its first content line")
}

func TestJSONInput(t *testing.T) {
	t.Parallel()
	pretty := "{\n\t\"apiVersion\": \"v1\",\n\t\"kind\": \"Pod\",\n\t\"metadata\": {\n\t\t\"name\": \"web\",\n\t\t\"namespace\": \"prod\",\n" +
		"\t\t\"annotations\": {\"url\": \"http:\\/\\/example.com\\/\"},\n\t\t\"labels\": {\"app\": \"web\"},\n\t\t\"bogus\": 1\n\t}\n}\n"
	stream := `{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "prod"}}` + "\n" +
		`{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "api", "namespace": "prod"}} {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "db", "namespace": "prod", "x": 1}}` + "\n"
	s := loadFiles(t, LoadOptions{}, file{"pretty.json", pretty}, file{"stream.json", stream})
	require.Equal(t, []string{"prod/api", "prod/db", "prod/web"}, endpointIDs(s))
	require.Equal(t, map[string]string{"app": "web"}, findEndpoint(s, "prod/web").Labels)
	want := []string{
		"pretty.json:9:3: warning: document 1: Pod prod/web: metadata.bogus: unknown field; the API server drops it, so it has no effect",
		"stream.json:2:171: warning: document 3: Pod prod/db: metadata.x: unknown field; the API server drops it, so it has no effect",
	}
	if d := cmp.Diff(want, diagLines(s.Diagnostics)); d != "" {
		t.Errorf("diagnostics (-want +got):\n%s", d)
	}
	require.Equal(t, Location{File: "stream.json", Doc: 3, Line: 2, Col: 87}, findEndpoint(s, "prod/db").Source)

	// A file named .yaml that starts with '{' is YAML in flow style.
	s = loadFiles(t, LoadOptions{}, file{"flow.yaml", "{apiVersion: v1, kind: Namespace, metadata: {name: prod}}\n"})
	require.Empty(t, s.Diagnostics)
	require.Len(t, s.Namespaces, 1)
}

// kubectlList is what "kubectl get ns,pods,netpol -o yaml" prints.
const kubectlList = `
	apiVersion: v1
	items:
	- apiVersion: v1
	  kind: Namespace
	  metadata:
	    labels:
	      kubernetes.io/metadata.name: prod
	    name: prod
	- apiVersion: v1
	  kind: Pod
	  metadata:
	    name: web-7d4b9c-abcde
	    namespace: prod
	    labels: {app: web, pod-template-hash: 7d4b9c}
	  status:
	    phase: Running
	    podIP: 10.0.0.5
	- apiVersion: networking.k8s.io/v1
	  kind: NetworkPolicy
	  metadata:
	    name: deny
	    namespace: prod
	  spec:
	    podSelector: {}
	    ingress:
	    - from:
	      - podSelector: {}
	        bogus: 1
	kind: List
	metadata:
	  resourceVersion: ""
`

func TestLists(t *testing.T) {
	t.Parallel()
	t.Run("kubectl List", func(t *testing.T) {
		t.Parallel()
		s := loadYAML(t, kubectlList)
		require.Equal(t, []string{"prod/web-7d4b9c-abcde"}, endpointIDs(s))
		require.NotNil(t, findPolicy(s, "prod", "deny"))
		require.Equal(t, Location{File: "in.yaml", Doc: 1, Line: 18, Col: 3}, findPolicy(s, "prod", "deny").Source, "an item's location is the item")
		require.Equal(t, []string{
			"in.yaml:28:9: warning: document 1: NetworkPolicy prod/deny: spec.ingress[0].from[0].bogus: unknown field; the API server drops it, so it has no effect",
		}, diagLines(s.Diagnostics))
	})
	t.Run("typed lists without item kinds", func(t *testing.T) {
		t.Parallel()
		s := loadYAML(t, `
			apiVersion: v1
			kind: PodList
			items:
			- metadata: {name: a, namespace: prod}
			- metadata: {name: b, namespace: prod}
			---
			apiVersion: networking.k8s.io/v1
			kind: NetworkPolicyList
			items:
			- metadata: {name: np, namespace: prod}
			  spec: {podSelector: {}}
			- apiVersion: networking.k8s.io/v1
			  kind: NetworkPolicy
			  metadata: {name: np2, namespace: prod}
			  spec: {podselector: {}}
			---
			apiVersion: v1
			kind: NamespaceList
			items: [{metadata: {name: prod}}]
		`)
		require.Equal(t, []string{"prod/a", "prod/b"}, endpointIDs(s))
		require.Len(t, s.NetworkPolicies, 2)
		require.Equal(t, []string{
			"in.yaml:15:10: warning: document 2: NetworkPolicy prod/np2: spec.podselector: unknown field; the API server drops it, so it has no effect (field names are case-sensitive: did you mean podSelector?)",
		}, diagLines(s.Diagnostics))
		require.Equal(t, 4, findEndpoint(s, "prod/a").Source.Line)
		require.Equal(t, 5, findEndpoint(s, "prod/b").Source.Line)
	})
	t.Run("empty and null items", func(t *testing.T) {
		t.Parallel()
		s := loadYAML(t, "apiVersion: v1\nkind: List\nitems: []\n---\napiVersion: v1\nkind: List\n---\napiVersion: v1\nkind: PodList\nitems: null\n")
		require.Empty(t, s.Diagnostics)
		require.Empty(t, s.Endpoints)
	})
	t.Run("nested List", func(t *testing.T) {
		t.Parallel()
		s := loadYAML(t, `
			apiVersion: v1
			kind: List
			items:
			- apiVersion: v1
			  kind: List
			  items:
			  - apiVersion: v1
			    kind: Pod
			    metadata: {name: a, namespace: prod, x: 1}
		`)
		require.Equal(t, []string{"prod/a"}, endpointIDs(s))
		require.Contains(t, diagLines(s.Diagnostics), "in.yaml:9:42: warning: document 1: Pod prod/a: metadata.x: unknown field; the API server drops it, so it has no effect")
	})
}

func TestAddPath(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ns := func(name string) string { return "apiVersion: v1\nkind: Namespace\nmetadata: {name: " + name + "}\n" }
	write := func(rel, text string) {
		t.Helper()
		p := filepath.Join(dir, filepath.FromSlash(rel))
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(text), 0o644))
	}
	write("b.yaml", ns("b"))
	write("a.yml", ns("a"))
	write("sub/c.json", `{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "c"}}`)
	write("sub/deeper/d.YAML", ns("d"))
	write("sub/.e.yaml", ns("e")) // hidden files are read
	write(".hidden/f.yaml", ns("f"))
	write("sub/.git/g.yaml", ns("g"))
	write("notes.txt", ns("h"))
	write("README.md", "# not a manifest\n")
	write("empty/.keep", "")

	s, err := Load(LoadOptions{}, dir)
	require.NoError(t, err)
	var got []string
	for _, n := range s.Namespaces {
		rel, err := filepath.Rel(dir, n.Source.File)
		require.NoError(t, err)
		got = append(got, n.Name+"@"+filepath.ToSlash(rel))
	}
	require.Equal(t, []string{"a@a.yml", "b@b.yaml", "c@sub/c.json", "d@sub/deeper/d.YAML", "e@sub/.e.yaml"}, got)

	// An explicit file is read whatever its name; an explicit hidden
	// directory is searched.
	s, err = Load(LoadOptions{}, filepath.Join(dir, "notes.txt"), filepath.Join(dir, ".hidden"))
	require.NoError(t, err)
	require.Len(t, s.Namespaces, 2)

	missing := filepath.Join(dir, "missing.yaml")
	s, err = Load(LoadOptions{}, missing, filepath.Join(dir, "empty"))
	require.Error(t, err)
	require.Equal(t, []string{
		filepath.Join(dir, "empty") + ": warning: no .yaml, .yml or .json files in this directory",
		missing + ": error: no such file or directory",
	}, diagLines(s.Diagnostics))
}

func TestStdin(t *testing.T) {
	t.Parallel()
	in := strings.NewReader("apiVersion: v1\nkind: Pod\nmetadata: {name: web, namespace: prod}\nspec: {x: 1}\n")
	s, err := Load(LoadOptions{Stdin: in}, "-")
	require.NoError(t, err)
	require.Equal(t, []string{"prod/web"}, endpointIDs(s))
	require.Equal(t, []string{
		"-:1:1: warning: document 1: Pod prod/web: namespace \"prod\" is not declared in the input; assuming it exists with only the label kubernetes.io/metadata.name=prod",
		"-:4:8: warning: document 1: Pod prod/web: spec.x: unknown field; the API server drops it, so it has no effect",
	}, diagLines(s.Diagnostics))
}

// npDoc wraps a NetworkPolicy spec (indented by two spaces) into a document
// that starts at line 1, so the spec's first line is line 6.
func npDoc(spec string) string {
	return "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: np, namespace: prod}\n" +
		"spec:\n  podSelector: {}\n" + dedent(spec)
}

// TestDecodeProblems checks unknown fields (warnings) and type errors
// (errors) with their exact positions and field paths.
func TestDecodeProblems(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		spec string // lines of spec after podSelector, from line 6
		want string
	}{
		{"ports under a peer", `
			  ingress:
			  - from:
			    - podSelector: {}
			      ports:
			      - port: 80
			`, "in.yaml:9:7: warning: document 1: NetworkPolicy prod/np: spec.ingress[0].from[0].ports: unknown field: ports belongs to the rule, not to a peer (indent it like from/to); the API server drops it, so it does not restrict the rule's ports"},
		{"ports under an egress peer", `
			  egress:
			  - to:
			    - ipBlock: {cidr: 10.0.0.0/8}
			      ports: [{port: 53}]
			`, "in.yaml:9:7: warning: document 1: NetworkPolicy prod/np: spec.egress[0].to[0].ports: unknown field: ports belongs to the rule, not to a peer (indent it like from/to); the API server drops it, so it does not restrict the rule's ports"},
		{"ports under spec", `
			  ports:
			  - port: 80
			`, "in.yaml:6:3: warning: document 1: NetworkPolicy prod/np: spec.ports: unknown field: ports belongs in an ingress or egress rule; the API server drops it, so it has no effect"},
		{"case mismatch", `
			  policytypes: [Ingress]
			`, "in.yaml:6:3: warning: document 1: NetworkPolicy prod/np: spec.policytypes: unknown field; the API server drops it, so it has no effect (field names are case-sensitive: did you mean policyTypes?)"},
		{"case mismatch in a peer", `
			  ingress:
			  - from:
			    - podSelector: {}
			      namespaceselector: {}
			`, "in.yaml:9:7: warning: document 1: NetworkPolicy prod/np: spec.ingress[0].from[0].namespaceselector: unknown field; the API server drops it, so it has no effect (field names are case-sensitive: did you mean namespaceSelector?)"},
		{"unknown field in a selector", `
			  ingress:
			  - from:
			    - podSelector:
			        matchLabel: {app: web}
			`, "in.yaml:9:9: warning: document 1: NetworkPolicy prod/np: spec.ingress[0].from[0].podSelector.matchLabel: unknown field; the API server drops it, so it has no effect"},
		{"port: true", `
			  ingress:
			  - ports:
			    - port: true
			`, "in.yaml:8:7: error: document 1: NetworkPolicy prod/np: spec.ingress[0].ports[0].port: expected an integer or a string, got a boolean"},
		{"port: 1.5", `
			  ingress:
			  - ports:
			    - port: 80
			    - port: 1.5
			`, "in.yaml:9:7: error: document 1: NetworkPolicy prod/np: spec.ingress[0].ports[1].port: expected an integer or a string, got the number 1.5"},
		{"port: {}", `
			  egress:
			  - {}
			  - ports:
			    - port: {}
			`, "in.yaml:9:7: error: document 1: NetworkPolicy prod/np: spec.egress[1].ports[0].port: expected an integer or a string, got a mapping"},
		{"podSelector: string", `
			  ingress:
			  - from:
			    - podSelector: "app=web"
			`, "in.yaml:8:7: error: document 1: NetworkPolicy prod/np: spec.ingress[0].from[0].podSelector: expected a mapping, got a string"},
		{"ingress: {}", `
			  ingress: {}
			`, "in.yaml:6:3: error: document 1: NetworkPolicy prod/np: spec.ingress: expected a list, got a mapping"},
		{"from: mapping", `
			  ingress:
			  - from: {podSelector: {}}
			`, "in.yaml:7:5: error: document 1: NetworkPolicy prod/np: spec.ingress[0].from: expected a list, got a mapping"},
		{"matchLabels value", `
			  ingress:
			  - from:
			    - podSelector:
			        matchLabels: {app: [web]}
			`, "in.yaml:9:23: error: document 1: NetworkPolicy prod/np: spec.ingress[0].from[0].podSelector.matchLabels.app: expected a string, got a list"},
		{"protocol number", `
			  ingress:
			  - ports:
			    - protocol: 6
			`, "in.yaml:8:7: error: document 1: NetworkPolicy prod/np: spec.ingress[0].ports[0].protocol: expected a string, got a number"},
		{"rule is a string", `
			  ingress:
			  - "from anywhere"
			`, "in.yaml:7:5: error: document 1: NetworkPolicy prod/np: spec.ingress[0]: expected a mapping, got a string"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := loadFiles(t, LoadOptions{}, file{"in.yaml", npDoc(tc.spec) + "---\napiVersion: v1\nkind: Namespace\nmetadata: {name: prod}\n"})
			if d := cmp.Diff([]string{tc.want}, diagLines(s.Diagnostics)); d != "" {
				t.Errorf("diagnostics (-want +got):\n%s", d)
			}
			if strings.Contains(tc.want, "error:") {
				require.Empty(t, s.NetworkPolicies, "a policy that does not decode is left out")
			}
		})
	}
}

// TestTypeMetaProblems covers objects that are not (or not quite)
// Kubernetes objects.
func TestTypeMetaProblems(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in string
		want     []string
	}{
		{"missing apiVersion", "kind: Pod\nmetadata: {name: a}\n", []string{"in.yaml:1:1: error: document 1: Pod a: apiVersion: missing apiVersion"}},
		{"missing kind", "apiVersion: v1\nmetadata: {name: a}\n", []string{"in.yaml:1:1: error: document 1: kind: missing kind"}},
		{"missing both", "metadata: {name: a}\n", []string{"in.yaml:1:1: error: document 1: missing apiVersion and kind: not a Kubernetes object"}},
		{"kind number", "apiVersion: v1\nkind: 5\n", []string{"in.yaml:2:1: error: document 1: kind: expected a string, got a number; the object is not read"}},
		{"metadata string", "apiVersion: v1\nkind: Pod\nmetadata: web\n", []string{"in.yaml:3:1: error: document 1: Pod: metadata: expected a mapping, got a string; the object is not read"}},
		{"scalar", "hello\n", []string{"in.yaml:1:1: error: document 1: expected a Kubernetes object (a mapping with apiVersion and kind), got a string"}},
		{"sequence", "- a\n- b\n", []string{"in.yaml:1:1: error: document 1: expected a Kubernetes object (a mapping with apiVersion and kind), got a list"}},
		{"null document", "~\n", nil},
		{"unknown policy apiVersion", "apiVersion: networking.k8s.io/v2\nkind: NetworkPolicy\nmetadata: {name: a}\n",
			[]string{"in.yaml:1:1: error: document 1: NetworkPolicy a: apiVersion: unsupported apiVersion \"networking.k8s.io/v2\" for NetworkPolicy: expected networking.k8s.io/v1 (or projectcalico.org/v3 for Calico); the policy is not read"}},
		{"unknown ANP apiVersion", "apiVersion: policy.networking.k8s.io/v1\nkind: AdminNetworkPolicy\nmetadata: {name: a}\n",
			[]string{"in.yaml:1:1: error: document 1: AdminNetworkPolicy a: apiVersion: unsupported apiVersion \"policy.networking.k8s.io/v1\" for AdminNetworkPolicy: expected policy.networking.k8s.io/v1alpha1; the policy is not read"}},
		{"old Deployment", "apiVersion: extensions/v1beta1\nkind: Deployment\nmetadata: {name: a}\n",
			[]string{"in.yaml:1:1: warning: document 1: Deployment a: apiVersion: skipped: unsupported apiVersion \"extensions/v1beta1\" for Deployment: expected apps/v1"}},
		{"unknown kind", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: x}\n",
			[]string{"in.yaml:1:1: info: document 1: ConfigMap x/a: skipped: kind not evaluated by netreach"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := loadYAML(t, tc.in)
			if d := cmp.Diff(tc.want, diagLines(s.Diagnostics)); d != "" {
				t.Errorf("diagnostics (-want +got):\n%s", d)
			}
		})
	}
}

func TestSkipped(t *testing.T) {
	t.Parallel()
	s := loadYAML(t, `
		apiVersion: v1
		kind: ConfigMap
		metadata: {name: cm, namespace: prod}
		---
		apiVersion: v1
		kind: Endpoints
		metadata: {name: es, namespace: prod}
		---
		apiVersion: apps/v1beta1
		kind: StatefulSet
		metadata: {name: db, namespace: prod}
		---
		apiVersion: networking.k8s.io/v1beta1
		kind: NetworkPolicy
		metadata: {name: beta, namespace: prod}
		---
		apiVersion: v1
		kind: Pod
		metadata: {name: done, namespace: prod}
		status: {phase: Failed}
		---
		apiVersion: v1
		kind: Pod
		metadata: {name: ok, namespace: prod}
		status: {phase: Pending}
	`)
	var got []string
	for _, k := range s.Skipped {
		got = append(got, k.Kind+" "+k.Namespace+"/"+k.Name+" ("+k.APIVersion+"): "+k.Reason)
	}
	require.Equal(t, []string{
		"NetworkPolicy prod/beta (networking.k8s.io/v1beta1): unsupported apiVersion \"networking.k8s.io/v1beta1\" for NetworkPolicy: expected networking.k8s.io/v1 (or projectcalico.org/v3 for Calico)",
		"ConfigMap prod/cm (v1): kind not evaluated by netreach",
		"StatefulSet prod/db (apps/v1beta1): unsupported apiVersion \"apps/v1beta1\" for StatefulSet: expected apps/v1",
		"Pod prod/done (v1): pod phase is Failed: it has no network presence",
		"Endpoints prod/es (v1): kind not evaluated by netreach",
	}, got)
	require.Equal(t, []string{"prod/ok"}, endpointIDs(s))
}

func TestWorkloads(t *testing.T) {
	t.Parallel()
	const (
		deploy = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: prod}\nspec: {template: {metadata: {labels: {app: web}}}}\n"
		rs     = "apiVersion: apps/v1\nkind: ReplicaSet\nmetadata:\n  name: web-abc12\n  namespace: prod\n  ownerReferences: [{apiVersion: apps/v1, kind: Deployment, name: web, uid: u1, controller: true}]\nspec: {template: {metadata: {labels: {app: web, pod-template-hash: abc12}}}}\n"
		pod    = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web-abc12-xyz\n  namespace: prod\n  labels: {app: web, pod-template-hash: abc12}\n  ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: web-abc12, uid: u2, controller: true}]\n"
		cron   = "apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: backup, namespace: prod}\nspec: {schedule: '@daily', jobTemplate: {spec: {template: {metadata: {labels: {app: backup}}}}}}\n"
		job    = "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: backup-2900\n  namespace: prod\n  ownerReferences: [{apiVersion: batch/v1, kind: CronJob, name: backup, uid: u3, controller: true}]\nspec: {template: {metadata: {labels: {app: backup}}}}\n"
		jobPod = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: backup-2900-q\n  namespace: prod\n  ownerReferences: [{apiVersion: batch/v1, kind: Job, name: backup-2900, uid: u4, controller: true}]\n"
		sts    = "apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: db, namespace: prod}\nspec: {template: {metadata: {labels: {app: db}}}}\n"
		ds     = "apiVersion: apps/v1\nkind: DaemonSet\nmetadata: {name: agent, namespace: prod}\nspec: {template: {metadata: {labels: {app: agent}}}}\n"
		rc     = "apiVersion: v1\nkind: ReplicationController\nmetadata: {name: legacy, namespace: prod}\nspec: {template: {metadata: {labels: {app: legacy}}}}\n"
		other  = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: dev}\nspec: {template: {metadata: {labels: {app: web}}}}\n"
	)
	type want struct {
		IDs       []string
		Workloads []string
	}
	tests := []struct {
		name string
		docs []string
		want want
	}{
		{"every workload kind is a template endpoint", []string{deploy, sts, ds, rc, cron, job},
			want{[]string{"prod/agent (DaemonSet)", "prod/backup (CronJob)", "prod/db (StatefulSet)", "prod/legacy (ReplicationController)", "prod/web (Deployment)"},
				[]string{"DaemonSet/agent", "CronJob/backup", "StatefulSet/db", "ReplicationController/legacy", "Deployment/web"}}},
		{"ReplicaSet of a given Deployment", []string{deploy, rs}, want{[]string{"prod/web (Deployment)"}, []string{"Deployment/web"}}},
		{"ReplicaSet alone", []string{rs}, want{[]string{"prod/web-abc12 (ReplicaSet)"}, []string{"ReplicaSet/web-abc12"}}},
		{"live pod wins, with its ReplicaSet", []string{deploy, rs, pod}, want{[]string{"prod/web-abc12-xyz"}, []string{"Deployment/web"}}},
		{"live pod wins, ReplicaSet inferred from pod-template-hash", []string{deploy, pod}, want{[]string{"prod/web-abc12-xyz"}, []string{"Deployment/web"}}},
		{"live pod wins over its given ReplicaSet whose Deployment is missing", []string{rs, pod}, want{[]string{"prod/web-abc12-xyz"}, []string{"Deployment/web"}}},
		{"pod of a ReplicaSet that is not given", []string{pod}, want{[]string{"prod/web-abc12-xyz"}, []string{"ReplicaSet/web-abc12"}}},
		{"Job of a given CronJob", []string{cron, job}, want{[]string{"prod/backup (CronJob)"}, []string{"CronJob/backup"}}},
		{"pod of a Job of a CronJob", []string{cron, job, jobPod}, want{[]string{"prod/backup-2900-q"}, []string{"CronJob/backup"}}},
		{"pod of a Job inferred by name", []string{cron, jobPod}, want{[]string{"prod/backup-2900-q"}, []string{"CronJob/backup"}}},
		{"a pod covers only its own namespace", []string{deploy, other, pod},
			want{[]string{"dev/web (Deployment)", "prod/web-abc12-xyz"}, []string{"Deployment/web", "Deployment/web"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := loadYAML(t, strings.Join(tc.docs, "---\n"))
			require.Empty(t, diagLinesAtLeast(s.Diagnostics, Error))
			var got want
			got.IDs = endpointIDs(s)
			for _, e := range s.Endpoints {
				got.Workloads = append(got.Workloads, e.Workload)
			}
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("endpoints (-want +got):\n%s", d)
			}
		})
	}
}

func TestPodFields(t *testing.T) {
	t.Parallel()
	s := loadYAML(t, `
		apiVersion: v1
		kind: Pod
		metadata: {name: a, namespace: prod, labels: {app: a}}
		spec:
		  nodeName: n1
		  initContainers:
		  - name: init
		    ports: [{name: warmup, containerPort: 9000}]
		  containers:
		  - name: c1
		    ports:
		    - {name: http, containerPort: 8080}
		    - {name: dns, containerPort: 53, protocol: UDP}
		    - {containerPort: 7000, protocol: SCTP}
		  - name: c2
		    ports: [{name: http, containerPort: 9090}]
		status:
		  podIP: "::ffff:10.0.0.1"
		  podIPs: [{ip: "::ffff:10.0.0.1"}, {ip: "fd00::1"}]
		---
		apiVersion: v1
		kind: Pod
		metadata: {name: b, namespace: prod}
		spec:
		  serviceAccountName: api
		  hostNetwork: true
		status: {podIP: "::ffff:192.168.1.2"}
		---
		apiVersion: v1
		kind: Pod
		metadata: {name: c, namespace: prod}
		spec: {serviceAccount: legacy}
	`)
	a, b, c := findEndpoint(s, "prod/a"), findEndpoint(s, "prod/b"), findEndpoint(s, "prod/c")
	require.Equal(t, []ContainerPort{
		{Name: "http", Protocol: TCP, Port: 8080},
		{Name: "dns", Protocol: UDP, Port: 53},
		{Protocol: SCTP, Port: 7000},
		{Name: "http", Protocol: TCP, Port: 9090},
		{Name: "warmup", Protocol: TCP, Port: 9000, Init: true},
	}, a.Ports)
	require.Equal(t, []netip.Addr{netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("fd00::1")}, a.IPs, "podIPs are read, mapped IPv4 is unmapped")
	require.Equal(t, "default", a.ServiceAccount)
	require.Equal(t, "n1", a.Node)
	require.Equal(t, map[string]string{"app": "a"}, a.Labels)
	require.Equal(t, []netip.Addr{netip.MustParseAddr("192.168.1.2")}, b.IPs)
	require.True(t, b.HostNetwork)
	require.Equal(t, "api", b.ServiceAccount)
	require.Equal(t, "legacy", c.ServiceAccount, "the deprecated serviceAccount field is the fallback")
	require.NotNil(t, c.Labels, "labels are never nil")
	require.Empty(t, c.IPs)
}

func TestNamespaces(t *testing.T) {
	t.Parallel()
	s := loadFiles(t, LoadOptions{}, yamlFile("a.yaml", `
		apiVersion: v1
		kind: Namespace
		metadata: {name: prod, labels: {team: a}}
		---
		apiVersion: v1
		kind: Pod
		metadata: {name: p, namespace: dev}
		---
		apiVersion: networking.k8s.io/v1
		kind: NetworkPolicy
		metadata: {name: np, namespace: dev}
		spec: {podSelector: {}}
		---
		apiVersion: v1
		kind: Service
		metadata: {name: s}
	`), yamlFile("b.yaml", `
		apiVersion: networking.k8s.io/v1
		kind: NetworkPolicy
		metadata: {name: np, namespace: qa}
		spec: {podSelector: {}}
	`))
	var got []string
	for _, ns := range s.Namespaces {
		got = append(got, ns.Name+" "+cmpLabels(ns.Labels)+" synthesized="+boolString(ns.Synthesized))
	}
	require.Equal(t, []string{
		"default kubernetes.io/metadata.name=default synthesized=true",
		"dev kubernetes.io/metadata.name=dev synthesized=true",
		"prod kubernetes.io/metadata.name=prod,team=a synthesized=false",
		"qa kubernetes.io/metadata.name=qa synthesized=true",
	}, got)
	require.Equal(t, []string{
		`a.yaml:9:1: warning: document 3: NetworkPolicy dev/np: namespace "dev" is not declared in the input; assuming it exists with only the label kubernetes.io/metadata.name=dev`,
		`a.yaml:14:1: warning: document 4: Service default/s: namespace "default" is not declared in the input; assuming it exists with only the label kubernetes.io/metadata.name=default`,
		`b.yaml:1:1: warning: document 1: NetworkPolicy qa/np: namespace "qa" is not declared in the input; assuming it exists with only the label kubernetes.io/metadata.name=qa`,
	}, diagLines(s.Diagnostics))
	require.Same(t, s.Namespace("dev"), s.Namespaces[1])
}

func cmpLabels(m map[string]string) string {
	var parts []string
	for _, k := range sortedKeys(m) {
		parts = append(parts, k+"="+m[k])
	}
	return strings.Join(parts, ",")
}

func boolString(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

func TestDuplicates(t *testing.T) {
	t.Parallel()
	pod := func(v string) string {
		return "apiVersion: v1\nkind: Pod\nmetadata: {name: web, namespace: prod, labels: {v: \"" + v + "\"}}\n"
	}
	ns := "apiVersion: v1\nkind: Namespace\nmetadata: {name: prod}\n"
	s := loadFiles(t, LoadOptions{}, file{"a.yaml", ns + "---\n" + pod("1") + "---\n" + pod("2")}, file{"b.yaml", pod("3")})
	require.Equal(t, []string{"prod/web"}, endpointIDs(s))
	require.Equal(t, "3", findEndpoint(s, "prod/web").Labels["v"], "the later definition wins")
	require.Equal(t, []string{
		"a.yaml:9:1: warning: document 3: Pod prod/web: duplicate object (also defined at a.yaml:5:1); the later definition is used",
		"b.yaml:1:1: warning: document 1: Pod prod/web: duplicate object (also defined at a.yaml:9:1); the later definition is used",
	}, diagLines(s.Diagnostics))
	// A Pod and a Deployment of the same name are different objects.
	s = loadFiles(t, LoadOptions{}, file{"a.yaml", ns + "---\n" + pod("1") + "---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: prod}\nspec: {template: {}}\n"})
	require.Equal(t, []string{"prod/web (Deployment)", "prod/web"}, endpointIDs(s), "sorted by namespace, name, kind")
	require.Equal(t, []string{
		"a.yaml:5:1: warning: document 2: Pod prod/web: endpoint prod/web is also the name of Deployment prod/web (a.yaml:9:1); reports cannot tell them apart",
	}, diagLines(s.Diagnostics))
}

// TestOwnerCycle checks that workloads whose ownerReferences form a cycle
// are not both left out.
func TestOwnerCycle(t *testing.T) {
	t.Parallel()
	s := loadYAML(t, `
		apiVersion: apps/v1
		kind: ReplicaSet
		metadata: {name: a, namespace: prod, ownerReferences: [{apiVersion: apps/v1, kind: Deployment, name: b, uid: "1"}]}
		spec: {template: {}}
		---
		apiVersion: apps/v1
		kind: Deployment
		metadata: {name: b, namespace: prod, ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: a, uid: "2"}]}
		spec: {template: {}}
	`)
	require.Equal(t, []string{"prod/a (ReplicaSet)", "prod/b (Deployment)"}, endpointIDs(s))
}

// TestPodAddressRules checks that pods whose addresses the API server
// would reject (podIP differing from podIPs[0], two addresses of one
// family) are left out, while single- and dual-stack pods are read.
func TestPodAddressRules(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile("../../testdata/bad/pod-ip-family/pods.yaml")
	require.NoError(t, err)
	s := loadFiles(t, LoadOptions{}, file{"pods.yaml", string(data)})
	require.Equal(t, []string{"prod/dual-stack"}, endpointIDs(s))
	require.Equal(t, []netip.Addr{netip.MustParseAddr("10.0.0.6"), netip.MustParseAddr("fd00::6")}, findEndpoint(s, "prod/dual-stack").IPs)
	require.Len(t, s.Diagnostics.Errors(), 3)
}
