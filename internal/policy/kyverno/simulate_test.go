package kyverno

import (
	"strconv"
	"strings"
	"testing"
)

// A case is a small input (policies and objects in one YAML stream), the
// objects Kyverno would store changed or created (hand-derived from the
// Kyverno documentation page cited in the name), and substrings the
// diagnostics must contain.
type simCase struct {
	name  string
	in    string
	want  string   // rendered objects, YAML
	diags []string // substrings, each must occur in some diagnostic
}

const nsA = `
apiVersion: v1
kind: Namespace
metadata: {name: a, labels: {team: red}}
---
apiVersion: v1
kind: Namespace
metadata: {name: b}
`

// addLabel is a ClusterPolicy with one mutate rule adding x=y under the
// given match block.
func addLabel(match string) string {
	return `
apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata: {name: p}
spec:
  rules:
  - name: r
    match:
` + indent(match, "      ") + `
    mutate:
      patchStrategicMerge:
        metadata:
          labels:
            x: "y"
`
}

func indent(s, pre string) string {
	lines := strings.Split(strings.Trim(s, "\n"), "\n")
	for i, l := range lines {
		lines[i] = pre + l
	}
	return strings.Join(lines, "\n")
}

func pod(ns, name, labels string) string {
	return `
apiVersion: v1
kind: Pod
metadata: {name: ` + name + `, namespace: ` + ns + `, labels: {` + labels + `}}
spec: {containers: [{name: c, image: nginx}]}
`
}

func podX(ns, name, labels string) string {
	if labels != "" {
		labels += ", "
	}
	return pod(ns, name, labels+"x: \"y\"")
}

func join(docs ...string) string { return strings.Join(docs, "\n---\n") }

var matchCases = []simCase{
	{name: "match any kinds (match-exclude.md)", in: join(addLabel("any:\n- resources: {kinds: [Pod]}"), pod("a", "p1", "app: web")),
		want: podX("a", "p1", "app: web")},
	{name: "match kind in Version/Kind form", in: join(addLabel("any:\n- resources: {kinds: [v1/Pod]}"), pod("a", "p1", "")),
		want: podX("a", "p1", "")},
	{name: "match kind in Group/Version/Kind form does not match another group", in: join(addLabel("any:\n- resources: {kinds: [apps/v1/Pod]}"), pod("a", "p1", ""))},
	{name: "match a subresource never matches creation", in: join(addLabel("any:\n- resources: {kinds: [Pod/status]}"), pod("a", "p1", ""))},
	{name: "match names with wildcards", in: join(addLabel("any:\n- resources: {kinds: [Pod], names: [\"web-*\", \"d?\"]}"),
		pod("a", "web-1", ""), pod("a", "db", ""), pod("a", "api", "")),
		want: join(podX("a", "web-1", ""), podX("a", "db", ""))},
	{name: "match namespaces with wildcards", in: join(addLabel("any:\n- resources: {kinds: [Pod], namespaces: [\"a*\"]}"), pod("a", "p", ""), pod("b", "p", "")),
		want: podX("a", "p", "")},
	{name: "match a Namespace by its own name with namespaces", in: join(nsA, addLabel("any:\n- resources: {kinds: [Namespace], namespaces: [b]}")),
		want: "apiVersion: v1\nkind: Namespace\nmetadata: {name: b, labels: {x: \"y\"}}"},
	{name: "match selector with wildcard value", in: join(addLabel("any:\n- resources: {kinds: [Pod], selector: {matchLabels: {app: \"w*\"}}}"), pod("a", "p1", "app: web"), pod("a", "p2", "app: db")),
		want: podX("a", "p1", "app: web")},
	{name: "match namespaceSelector reads the namespace's labels", in: join(nsA, addLabel("any:\n- resources: {kinds: [Pod], namespaceSelector: {matchLabels: {team: red}}}"), pod("a", "p", ""), pod("b", "p", "")),
		want: podX("a", "p", "")},
	{name: "namespaceSelector never matches a Namespace", in: join(nsA, addLabel("any:\n- resources: {kinds: [Namespace], namespaceSelector: {}}"))},
	{name: "match all needs every filter", in: join(addLabel("all:\n- resources: {kinds: [Pod]}\n- resources: {kinds: [Pod], selector: {matchLabels: {app: web}}}"), pod("a", "p1", "app: web"), pod("a", "p2", "app: db")),
		want: podX("a", "p1", "app: web")},
	{name: "a match filter without kinds is rejected", in: join(addLabel("all:\n- resources: {kinds: [Pod]}\n- resources: {selector: {matchLabels: {app: web}}}"), pod("a", "p1", "app: web")),
		diags: []string{"needs kinds (Kyverno rejects the policy)"}},
	{name: "match any needs one filter", in: join(addLabel("any:\n- resources: {kinds: [Pod], names: [p1]}\n- resources: {kinds: [Pod], names: [p2]}"), pod("a", "p1", ""), pod("a", "p2", ""), pod("a", "p3", "")),
		want: join(podX("a", "p1", ""), podX("a", "p2", ""))},
	{name: "deprecated single filter", in: join(addLabel("resources: {kinds: [Pod], names: [p1]}"), pod("a", "p1", ""), pod("a", "p2", "")),
		want: podX("a", "p1", "")},
	{name: "operations without CREATE do not fire on creation", in: join(addLabel("any:\n- resources: {kinds: [Pod], operations: [UPDATE]}"), pod("a", "p", ""))},
	{name: "operations with CREATE fire", in: join(addLabel("any:\n- resources: {kinds: [Pod], operations: [CREATE, UPDATE]}"), pod("a", "p", "")),
		want: podX("a", "p", "")},
	{name: "annotations with wildcards", in: join(addLabel("any:\n- resources: {kinds: [Pod], annotations: {\"team.io/*\": \"r*\"}}"),
		"apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: a, annotations: {team.io/owner: red}}", pod("a", "q", "")),
		want: "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: a, annotations: {team.io/owner: red}, labels: {x: \"y\"}}"},
	{name: "user info in match is ignored with a warning", in: join(strings.Replace(addLabel("any:\n- resources: {kinds: [Pod]}\n  subjects: [{kind: User, name: dave}]"), "spec:", "spec:\n  background: false", 1), pod("a", "p", "")),
		want: podX("a", "p", ""), diags: []string{"depend on who creates the object"}},
	{name: "user info needs background false", in: join(addLabel("any:\n- resources: {kinds: [Pod]}\n  subjects: [{kind: User, name: dave}]"), pod("a", "p", "")),
		diags: []string{"depend on who creates the object", "allows only with spec.background: false"}},
}

var excludeCases = []simCase{
	{name: "exclude any: one filter excludes", in: join(`
apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata: {name: p}
spec:
  rules:
  - name: r
    match: {any: [{resources: {kinds: [Pod]}}]}
    exclude: {any: [{resources: {namespaces: [b]}}, {resources: {names: [keep]}}]}
    mutate: {patchStrategicMerge: {metadata: {labels: {x: "y"}}}}
`, pod("a", "p", ""), pod("b", "p", ""), pod("a", "keep", "")), want: podX("a", "p", "")},
	{name: "exclude all: every filter must match to exclude", in: join(`
apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata: {name: p}
spec:
  rules:
  - name: r
    match: {any: [{resources: {kinds: [Pod]}}]}
    exclude: {all: [{resources: {namespaces: [b]}}, {resources: {selector: {matchLabels: {keep: "true"}}}}]}
    mutate: {patchStrategicMerge: {metadata: {labels: {x: "y"}}}}
`, pod("b", "p1", "keep: \"true\""), pod("b", "p2", "")), want: podX("b", "p2", "")},
	{name: "Policy applies only in its own namespace", in: join(`
apiVersion: kyverno.io/v1
kind: Policy
metadata: {name: p, namespace: a}
spec:
  rules:
  - name: r
    match: {any: [{resources: {kinds: [Pod]}}]}
    mutate: {patchStrategicMerge: {metadata: {labels: {x: "y"}}}}
`, pod("a", "p", ""), pod("b", "p", "")), want: podX("a", "p", "")},
	{name: "Kyverno's default resource filters skip kube-system", in: join(addLabel("any:\n- resources: {kinds: [Pod]}"), pod("kube-system", "p", ""), pod("a", "p", "")),
		want: podX("a", "p", "")},
}

// precond is a ClusterPolicy whose one rule adds x=y to Pods under the
// given preconditions.
func precond(pre string) string {
	return `
apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata: {name: p}
spec:
  rules:
  - name: r
    match: {any: [{resources: {kinds: [Pod]}}]}
    preconditions:
` + indent(pre, "      ") + `
    mutate: {patchStrategicMerge: {metadata: {labels: {x: "y"}}}}
`
}

var preconditionCases = []simCase{
	{name: "Equals with a wildcard value (preconditions.md)", in: join(precond("all:\n- {key: \"{{request.object.metadata.name}}\", operator: Equals, value: \"web-*\"}"), pod("a", "web-1", ""), pod("a", "db", "")),
		want: podX("a", "web-1", "")},
	{name: "NotEquals", in: join(precond("all:\n- {key: \"{{request.namespace}}\", operator: NotEquals, value: b}"), pod("a", "p", ""), pod("b", "p", "")),
		want: podX("a", "p", "")},
	{name: "any needs one, all needs every", in: join(precond("any:\n- {key: \"{{request.namespace}}\", operator: Equals, value: a}\n- {key: \"{{request.namespace}}\", operator: Equals, value: b}\nall:\n- {key: \"{{request.object.metadata.name}}\", operator: NotEquals, value: skip}"),
		pod("a", "p", ""), pod("b", "skip", ""), pod("c", "p", "")), want: podX("a", "p", "")},
	{name: "AnyIn with a list value", in: join(precond("all:\n- {key: \"{{request.object.metadata.labels.tier || ''}}\", operator: AnyIn, value: [front, back]}"), pod("a", "p1", "tier: front"), pod("a", "p2", "tier: data"), pod("a", "p3", "")),
		want: podX("a", "p1", "tier: front")},
	{name: "AllNotIn with a list key", in: join(precond("all:\n- {key: \"{{request.object.spec.containers[].name}}\", operator: AllNotIn, value: [sidecar]}"), pod("a", "p", "")),
		want: podX("a", "p", "")},
	{name: "old list form of preconditions", in: join(precond("- {key: \"{{request.namespace}}\", operator: Equals, value: a}"), pod("a", "p", ""), pod("b", "p", "")),
		want: podX("a", "p", "")},
	{name: "a missing key fails the rule (jmespath.md non-existence checks)", in: join(precond("all:\n- {key: \"{{request.object.metadata.labels.tier}}\", operator: Equals, value: front}"), pod("a", "p", "")),
		diags: []string{`Unknown key "tier" in path; Kyverno fails the rule`}},
	{name: "GreaterThan on numbers", in: join(precond("all:\n- {key: \"{{length(request.object.spec.containers)}}\", operator: GreaterThan, value: 0}"), pod("a", "p", "")),
		want: podX("a", "p", "")},
	{name: "an unknown operator fails the rule", in: join(precond("all:\n- {key: a, operator: Matches, value: a}"), pod("a", "p", "")),
		diags: []string{`unknown operator "Matches"`}},
}

// withLabel is a ClusterPolicy adding label x with the given value (a
// variable) to Pods.
func withLabel(value string) string {
	return `
apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata: {name: p}
spec:
  rules:
  - name: r
    match: {any: [{resources: {kinds: [Pod]}}]}
    mutate: {patchStrategicMerge: {metadata: {labels: {x: ` + strconv.Quote(value) + `}}}}
`
}

func podWithX(ns, name, labels, x string) string {
	if labels != "" {
		labels += ", "
	}
	return pod(ns, name, labels+"x: \""+x+"\"")
}

var variableCases = []simCase{
	{name: "request.namespace (variables.md)", in: join(withLabel("{{request.namespace}}"), pod("a", "p", "")), want: podWithX("a", "p", "", "a")},
	{name: "request.object.metadata.name inside text", in: join(withLabel("n-{{ request.object.metadata.name }}"), pod("a", "p", "")), want: podWithX("a", "p", "", "n-p")},
	{name: "request.object.metadata.labels with a quoted key", in: join(withLabel(`{{request.object.metadata.labels."app.kubernetes.io/name"}}`), pod("a", "p", `app.kubernetes.io/name: shop`)),
		want: podWithX("a", "p", `app.kubernetes.io/name: shop`, "shop")},
	{name: "a JMESPath filter", in: join(withLabel(`{{request.object.spec.containers[?name=='c'].image | [0]}}`), pod("a", "p", "")), want: podWithX("a", "p", "", "nginx")},
	{name: "default with ||", in: join(withLabel(`{{request.object.metadata.labels.tier || 'none'}}`), pod("a", "p", "")), want: podWithX("a", "p", "", "none")},
	{name: "escaped variable stays literal", in: join(withLabel(`\{{not}}`), pod("a", "p", "")), want: podWithX("a", "p", "", "{{not}}")},
	{name: "request.userInfo is not known offline", in: join(strings.Replace(withLabel("{{request.userInfo.username}}"), "spec:", "spec:\n  background: false", 1), pod("a", "p", "")),
		diags: []string{"request.userInfo", "not supported offline"}},
	{name: "Kyverno's own JMESPath functions are not simulated", in: join(withLabel("{{to_upper(request.namespace)}}"), pod("a", "p", "")),
		diags: []string{"to_upper", "not supported offline"}},
	{name: "a context variable", in: join(`
apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata: {name: p}
spec:
  rules:
  - name: r
    match: {any: [{resources: {kinds: [Pod]}}]}
    context:
    - name: team
      variable: {jmesPath: "request.object.metadata.labels.team", default: unknown}
    mutate: {patchStrategicMerge: {metadata: {labels: {x: "{{team}}"}}}}
`, pod("a", "p", "team: red"), pod("a", "q", "")), want: join(podWithX("a", "p", "team: red", "red"), podWithX("a", "q", "", "unknown"))},
	{name: "a context entry from an API call is not simulated", in: join(`
apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata: {name: p}
spec:
  rules:
  - name: r
    match: {any: [{resources: {kinds: [Pod]}}]}
    context:
    - name: ns
      apiCall: {urlPath: "/api/v1/namespaces/{{request.namespace}}"}
    mutate: {patchStrategicMerge: {metadata: {labels: {x: "{{ns.metadata.labels.team}}"}}}}
`, pod("a", "p", "")), diags: []string{"comes from an API call", "not supported offline"}},
}

// mutate is a ClusterPolicy with one mutate rule on Pods.
func mutate(body string) string {
	return `
apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata: {name: p}
spec:
  rules:
  - name: r
    match: {any: [{resources: {kinds: [Pod]}}]}
    mutate:
` + indent(body, "      ")
}

var mutateCases = []simCase{
	{name: "add-if-not-present anchor (mutate.md)", in: join(mutate("patchStrategicMerge: {metadata: {labels: {\"+(x)\": \"y\"}}}"), pod("a", "p1", ""), pod("a", "p2", "x: keep")),
		want: podX("a", "p1", "")},
	{name: "conditional anchor on a map", in: join(mutate("patchStrategicMerge: {metadata: {labels: {\"(app)\": \"web\", x: \"y\"}}}"), pod("a", "p1", "app: web"), pod("a", "p2", "app: db"), pod("a", "p3", "")),
		want: podX("a", "p1", "app: web")},
	{name: "conditional anchor in a list of containers", in: join(mutate("patchStrategicMerge: {spec: {containers: [{\"(image)\": \"nginx*\", imagePullPolicy: Always}]}}"), pod("a", "p", "")),
		want: "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: a, labels: {}}\nspec: {containers: [{name: c, image: nginx, imagePullPolicy: Always}]}"},
	{name: "global anchor gates the whole patch", in: join(mutate("patchStrategicMerge: {metadata: {labels: {x: \"y\"}}, spec: {containers: [{\"<(image)\": \"redis*\"}]}}"), pod("a", "p", ""))},
	{name: "strategic merge merges containers by name and ports by containerPort", in: join(mutate("patchStrategicMerge: {spec: {containers: [{name: c, ports: [{containerPort: 80, name: http}]}, {name: side, image: envoy}]}}"), pod("a", "p", "")),
		want: "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: a, labels: {}}\nspec: {containers: [{name: c, image: nginx, ports: [{containerPort: 80, name: http}]}, {name: side, image: envoy}]}"},
	{name: "null deletes a field", in: join(mutate("patchStrategicMerge: {spec: {nodeName: null}}"),
		"apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: a}\nspec: {nodeName: n1, containers: [{name: c, image: nginx}]}"),
		want: "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: a}\nspec: {containers: [{name: c, image: nginx}]}"},
	{name: "a field named like a request-only variable is not a variable", in: join(mutate("patchStrategicMerge: {spec: {serviceAccountName: robot}}"), pod("a", "p", "")),
		want: "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: a, labels: {}}\nspec: {serviceAccountName: robot, containers: [{name: c, image: nginx}]}"},
	{name: "label values must be strings", in: join(mutate("patchStrategicMerge: {metadata: {labels: {app: null, n: 1}}}"), pod("a", "p", "app: web")),
		diags: []string{"labels values must be strings"}},
	{name: "patchesJson6902 add with an escaped key (mutate.md RFC 6902)", in: join(mutate("patchesJson6902: |-\n  - op: add\n    path: /metadata/labels/app.kubernetes.io~1part-of\n    value: shop"), pod("a", "p", "")),
		want: pod("a", "p", `app.kubernetes.io/part-of: shop`)},
	{name: "patchesJson6902 creates missing parents", in: join(mutate("patchesJson6902: |-\n  - op: add\n    path: /metadata/annotations/a\n    value: b"),
		"apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: a}"),
		want: "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: a, annotations: {a: b}}"},
	{name: "patchesJson6902 remove and replace", in: join(mutate("patchesJson6902: |-\n  - {op: remove, path: /metadata/labels/app}\n  - {op: replace, path: /metadata/labels/tier, value: back}\n  - {op: remove, path: /metadata/labels/missing}"), pod("a", "p", "app: web, tier: front")),
		want: pod("a", "p", "tier: back")},
	{name: "rules cascade in order (mutate.md cascading)", in: join(`
apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata: {name: p}
spec:
  rules:
  - name: type
    match: {any: [{resources: {kinds: [Pod]}}]}
    mutate: {patchStrategicMerge: {metadata: {labels: {type: database}}}}
  - name: backup
    match: {any: [{resources: {kinds: [Pod], selector: {matchLabels: {type: database}}}}]}
    mutate: {patchStrategicMerge: {metadata: {labels: {"+(backup-needed)": "yes"}}}}
`, pod("a", "p", "")), want: pod("a", "p", "type: database, backup-needed: \"yes\"")},
	{name: "applyRules One stops after the first rule that applies", in: join(`
apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata: {name: p}
spec:
  applyRules: One
  rules:
  - name: first
    match: {any: [{resources: {kinds: [Pod]}}]}
    mutate: {patchStrategicMerge: {metadata: {labels: {first: "1"}}}}
  - name: second
    match: {any: [{resources: {kinds: [Pod]}}]}
    mutate: {patchStrategicMerge: {metadata: {labels: {second: "1"}}}}
`, pod("a", "p", "")), want: pod("a", "p", "first: \"1\"")},
	{name: "a workload's pod template is admitted as its pods", in: join(mutate("patchStrategicMerge: {metadata: {labels: {x: \"y\"}}}"), `
apiVersion: apps/v1
kind: Deployment
metadata: {name: d, namespace: a}
spec:
  selector: {matchLabels: {app: d}}
  template:
    metadata: {labels: {app: d}}
    spec: {containers: [{name: c, image: nginx}]}
`), want: `
apiVersion: apps/v1
kind: Deployment
metadata: {name: d, namespace: a}
spec:
  selector: {matchLabels: {app: d}}
  template:
    metadata: {labels: {app: d, x: "y"}}
    spec: {containers: [{name: c, image: nginx}]}
`},
	{name: "policies that disagree are reported as order-dependent", in: join(`
apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata: {name: one}
spec:
  rules:
  - name: r
    match: {any: [{resources: {kinds: [Pod]}}]}
    mutate: {patchStrategicMerge: {metadata: {labels: {x: "1"}}}}
---
apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata: {name: two}
spec:
  rules:
  - name: r
    match: {any: [{resources: {kinds: [Pod]}}]}
    mutate: {patchStrategicMerge: {metadata: {labels: {x: "2"}}}}
`, pod("a", "p", "")), want: podWithX("a", "p", "", "2"), diags: []string{"depends on the order of ClusterPolicy one and ClusterPolicy two"}},
	{name: "mutate targets are not simulated", in: join(mutate("targets: [{apiVersion: v1, kind: ConfigMap, name: c}]\npatchStrategicMerge: {metadata: {labels: {x: \"y\"}}}"), pod("a", "p", "")),
		diags: []string{"targets change existing objects"}},
}

func TestSimulate(t *testing.T) {
	t.Parallel()
	for _, group := range [][]simCase{matchCases, excludeCases, preconditionCases, variableCases, mutateCases, generateCases} {
		for _, tc := range group {
			t.Run(tc.name, func(t *testing.T) {
				t.Parallel()
				res := Simulate(input(t, tc.in), Options{})
				checkRendered(t, res, tc.want)
				lines := diagLines(res)
				for _, want := range tc.diags {
					found := false
					for _, l := range lines {
						if strings.Contains(l, want) {
							found = true
						}
					}
					if !found {
						t.Errorf("no diagnostic contains %q; got:\n%s", want, strings.Join(lines, "\n"))
					}
				}
				if len(tc.diags) == 0 {
					for _, l := range lines {
						t.Errorf("unexpected diagnostic: %s", l)
					}
				}
			})
		}
	}
}

// TestJSONPatchHugeIndex checks that a JSON patch index that would make
// the list grow without bound is refused, not applied.
func TestJSONPatchHugeIndex(t *testing.T) {
	t.Parallel()
	for _, path := range []string{"/b/900000000/c", "/a/900000000", "/a/99999999999999999999"} {
		_, err := jsonPatch(Object{"a": []any{}}, `[{"op":"add","path":"`+path+`","value":1}]`)
		if err == nil || !strings.Contains(err.Error(), "is larger than") {
			t.Errorf("jsonPatch(add %s) = %v, want an index error", path, err)
		}
	}
	if _, err := jsonPatch(Object{"a": []any{}}, `[{"op":"add","path":"/a/0","value":1}]`); err != nil {
		t.Errorf("jsonPatch(add /a/0) = %v", err)
	}
}

// TestNestedSubstitutionIsBounded checks that values holding variables
// cannot make a substituted string grow without bound.
func TestNestedSubstitutionIsBounded(t *testing.T) {
	t.Parallel()
	in := input(t, join(withLabel("{{request.object.metadata.annotations.a}}{{request.object.metadata.annotations.a}}"),
		"apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: a, annotations: {a: \""+strings.Repeat("x", 1000)+"{{request.object.metadata.annotations.a}}{{request.object.metadata.annotations.a}}{{request.object.metadata.annotations.a}}\"}}"))
	res := Simulate(in, Options{})
	if res.Objects[0] != nil {
		t.Errorf("the rule applied; want it refused")
	}
	found := false
	for _, l := range diagLines(res) {
		found = found || strings.Contains(l, "grows beyond")
	}
	if !found {
		t.Errorf("no diagnostic about the growth: %v", diagLines(res))
	}
}
