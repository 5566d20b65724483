package kyverno

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// genDeny is a ClusterPolicy that generates a default-deny NetworkPolicy
// in every namespace labelled client.
const genDeny = `
apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata: {name: p}
spec:
  rules:
  - name: deny
    match: {any: [{resources: {kinds: [Namespace], selector: {matchLabels: {client: "?*"}}}}]}
    generate:
      apiVersion: networking.k8s.io/v1
      kind: NetworkPolicy
      name: deny
      namespace: "{{request.object.metadata.name}}"
      data:
        spec: {podSelector: {}, policyTypes: [Ingress]}
`

func ns(name, labels string) string {
	return "apiVersion: v1\nkind: Namespace\nmetadata: {name: " + name + ", labels: {" + labels + "}}"
}

func denyIn(namespace string) string {
	return `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny, namespace: ` + namespace + `}
spec: {podSelector: {}, policyTypes: [Ingress]}
`
}

var generateCases = []simCase{
	{name: "data source with variables (generate.md)", in: join(genDeny, ns("t1", "client: t1"), ns("t2", "client: t2"), ns("other", "")),
		want: join(denyIn("t1"), denyIn("t2"))},
	{name: "an existing target without synchronize is left as it is", in: join(genDeny, ns("t1", "client: t1"), `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny, namespace: t1}
spec: {podSelector: {}, policyTypes: [Egress]}
`), diags: []string{"without synchronize Kyverno leaves it as it is"}},
	{name: "an existing target with synchronize is replaced", in: join(strings.Replace(genDeny, "      data:", "      synchronize: true\n      data:", 1), ns("t1", "client: t1"), `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny, namespace: t1}
spec: {podSelector: {}, policyTypes: [Egress]}
`), want: denyIn("t1"), diags: []string{"Kyverno replaces it with the generated one"}},
	{name: "a generate rule sees the trigger after mutation", in: join(genDeny, `
apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata: {name: label}
spec:
  rules:
  - name: client
    match: {any: [{resources: {kinds: [Namespace], names: ["t*"]}}]}
    mutate: {patchStrategicMerge: {metadata: {labels: {client: "{{request.object.metadata.name}}"}}}}
`, ns("t1", "")), want: join(denyIn("t1"), ns("t1", "client: t1"))},
	{name: "generated objects go through mutate rules", in: join(genDeny, `
apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata: {name: stamp}
spec:
  rules:
  - name: owner
    match: {any: [{resources: {kinds: [NetworkPolicy]}}]}
    mutate: {patchStrategicMerge: {metadata: {labels: {owner: platform}}}}
`, ns("t1", "client: t1")), want: `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny, namespace: t1, labels: {owner: platform}}
spec: {podSelector: {}, policyTypes: [Ingress]}
`},
	{name: "clone copies the source (generate.md clone)", in: join(`
apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata: {name: p}
spec:
  rules:
  - name: clone
    match: {any: [{resources: {kinds: [Namespace], selector: {matchLabels: {client: "?*"}}}}]}
    generate:
      apiVersion: networking.k8s.io/v1
      kind: NetworkPolicy
      name: baseline
      namespace: "{{request.object.metadata.name}}"
      clone: {namespace: templates, name: baseline}
`, ns("templates", ""), ns("t1", "client: t1"), `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: baseline, namespace: templates, uid: 1234, resourceVersion: "9"}
spec: {podSelector: {matchLabels: {app: web}}, policyTypes: [Ingress]}
`), want: `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: baseline, namespace: t1, labels: {generate.kyverno.io/clone-source: ""}}
spec: {podSelector: {matchLabels: {app: web}}, policyTypes: [Ingress]}
`},
	{name: "a clone source that is not in the input fails the rule", in: join(`
apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata: {name: p}
spec:
  rules:
  - name: clone
    match: {any: [{resources: {kinds: [Namespace]}}]}
    generate:
      apiVersion: v1
      kind: ConfigMap
      name: c
      namespace: "{{request.object.metadata.name}}"
      clone: {namespace: templates, name: missing}
`, ns("t1", "")), diags: []string{"clone source ConfigMap templates/missing is not in the input"}},
	{name: "cloneList copies the selected objects", in: join(`
apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata: {name: p}
spec:
  rules:
  - name: clone
    match: {any: [{resources: {kinds: [Namespace], names: [t1]}}]}
    generate:
      namespace: "{{request.object.metadata.name}}"
      cloneList:
        namespace: templates
        kinds: [networking.k8s.io/v1/NetworkPolicy]
        selector: {matchLabels: {copy: "yes"}}
`, ns("templates", ""), ns("t1", ""), `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: a, namespace: templates, labels: {copy: "yes"}}
spec: {podSelector: {}}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: b, namespace: templates}
spec: {podSelector: {}}
`), want: `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: a, namespace: t1, labels: {copy: "yes", generate.kyverno.io/clone-source: ""}}
spec: {podSelector: {}}
`},
	{name: "generated objects fire generate rules only with skipBackgroundRequests false", in: join(genDeny, `
apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata: {name: chain}
spec:
  rules:
  - name: cm
    skipBackgroundRequests: false
    match: {any: [{resources: {kinds: [NetworkPolicy]}}]}
    generate:
      apiVersion: v1
      kind: ConfigMap
      name: "seen-{{request.object.metadata.name}}"
      namespace: "{{request.namespace}}"
      data: {data: {policy: "{{request.object.metadata.name}}"}}
  - name: never
    match: {any: [{resources: {kinds: [NetworkPolicy]}}]}
    generate:
      apiVersion: v1
      kind: ConfigMap
      name: never
      namespace: "{{request.namespace}}"
      data: {data: {}}
`, ns("t1", "client: t1")), want: join(denyIn("t1"), "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: seen-deny, namespace: t1}\ndata: {policy: deny}")},
	{name: "a rule without kind is rejected", in: `
apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata: {name: p}
spec:
  rules:
  - name: g
    match: {any: [{resources: {kinds: [Namespace]}}]}
    generate: {name: x, data: {}}
`, diags: []string{"needs kind and name"}},
	{name: "generate foreach is not simulated", in: `
apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata: {name: p}
spec:
  rules:
  - name: g
    match: {any: [{resources: {kinds: [ConfigMap]}}]}
    generate: {foreach: [{list: "request.object.data.namespaces | split(@, ',')"}]}
`, diags: []string{"generate foreach is not simulated"}},
}

// TestGeneratedLabels checks the labels Kyverno adds to every generated
// object (Kyverno's background controller, ManageLabels).
func TestGeneratedLabels(t *testing.T) {
	t.Parallel()
	res := Simulate(input(t, join(genDeny, ns("t1", "client: t1"))), Options{})
	if len(res.Generated) != 1 {
		t.Fatalf("generated %d objects, want 1", len(res.Generated))
	}
	got := res.Generated[0].Object.Labels()
	want := map[string]string{
		"app.kubernetes.io/managed-by":          "kyverno",
		"generate.kyverno.io/policy-name":       "p",
		"generate.kyverno.io/policy-namespace":  "",
		"generate.kyverno.io/rule-name":         "deny",
		"generate.kyverno.io/trigger-group":     "",
		"generate.kyverno.io/trigger-kind":      "Namespace",
		"generate.kyverno.io/trigger-namespace": "",
		"generate.kyverno.io/trigger-uid":       "",
		"generate.kyverno.io/trigger-version":   "v1",
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("labels (-want +got):\n%s", d)
	}
	g := res.Generated[0]
	if g.By.Trigger != (ID{Kind: "Namespace", Name: "t1"}) || g.By.TriggerObject != 0 || g.TemplatePath != "spec.rules[0].generate.data" {
		t.Errorf("origin = %+v, template %q", g.By, g.TemplatePath)
	}
}

// TestEmptyValues checks that label and selector values that render empty
// are found, with the template text: a variable that resolved to "" and a
// literal "" (what Helm leaves of an unescaped {{ }}).
func TestEmptyValues(t *testing.T) {
	t.Parallel()
	in := input(t, join(`
apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata: {name: p}
spec:
  rules:
  - name: allow
    match: {any: [{resources: {kinds: [Namespace]}}]}
    generate:
      apiVersion: networking.k8s.io/v1
      kind: NetworkPolicy
      name: allow
      namespace: "{{request.object.metadata.name}}"
      data:
        metadata: {labels: {tenant: "{{request.object.metadata.labels.client || ''}}"}}
        spec:
          podSelector: {}
          ingress:
          - from:
            - namespaceSelector: {matchLabels: {client: ""}}
`, ns("t1", "")))
	res := Simulate(in, Options{})
	if len(res.Generated) != 1 {
		t.Fatalf("generated %d objects, want 1", len(res.Generated))
	}
	want := []EmptyValue{
		{Path: "metadata.labels.tenant", Template: "{{request.object.metadata.labels.client || ''}}"},
		{Path: "spec.ingress[0].from[0].namespaceSelector.matchLabels.client", Template: ""},
	}
	if d := cmp.Diff(want, res.Generated[0].EmptyValues); d != "" {
		t.Errorf("empty values (-want +got):\n%s", d)
	}
}
