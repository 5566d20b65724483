package kyverno

import (
	"cmp"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// trigger is an admitted object that may fire generate rules.
type trigger struct {
	obj   Object
	input int  // input index, or -1 for a generated object
	bg    bool // created by Kyverno's background controller
}

// generateAll fires the generate rules for every admitted input object
// (and every pod template, as the pods it stands for), in admission
// order, then for generated objects where rules ask for it.
func (s *sim) generateAll() {
	var queue []trigger
	for _, i := range s.inputOrder() {
		o := s.admitted[i]
		queue = append(queue, trigger{obj: o, input: i})
		if tp, _ := podTemplate(o); tp != nil {
			queue = append(queue, trigger{obj: templatePod(o, tp), input: i})
		}
	}
	for len(queue) > 0 {
		t := queue[0]
		queue = queue[1:]
		for _, g := range s.fire(t) {
			if len(s.res.Generated) >= s.opts.MaxGenerated {
				s.diag(Error, -1, "", -1, "more than %d generated objects; the simulation stops here (generate rules may trigger one another)", s.opts.MaxGenerated)
				return
			}
			if gi, ok := s.storeGenerated(g); ok {
				queue = append(queue, trigger{obj: s.res.Generated[gi].Object, input: -1, bg: true})
			}
		}
	}
}

// fire evaluates every generate rule for trigger t and returns the
// objects to create, each before its own admission.
func (s *sim) fire(t trigger) []Generated {
	r := s.newRequest(t.obj)
	if s.filtered(r) {
		return nil
	}
	var out []Generated
	for _, pi := range s.order {
		pp := s.pols[pi]
		admission := pp.p.Spec.Admission == nil || *pp.p.Spec.Admission
		for _, pr := range pp.rules {
			g := pr.r.Generate
			if g == nil || pr.disabled || t.bg && !pr.background {
				continue
			}
			existing := pp.p.Spec.GenerateExisting || g.GenerateExisting != nil && *g.GenerateExisting
			if !admission && !existing {
				continue // applied neither on admission nor to existing objects
			}
			ctx, ok := s.ruleApplies(pp, pr, r, t.input)
			if !ok {
				continue
			}
			gens, err := s.render(pp, pr, ctx, t)
			if err != nil {
				s.ruleFailed(pp.idx, fmt.Sprintf("spec.rules[%d].generate", pr.idx), t.input, r, err)
				continue
			}
			out = append(out, gens...)
			if pp.p.Spec.ApplyRules == "One" {
				break
			}
		}
	}
	return out
}

// render substitutes the rule's variables and builds the target objects.
func (s *sim) render(pp *prepared, pr *preparedRule, ctx *evalContext, t trigger) ([]Generated, error) {
	v, err := ctx.substitute(pr.generate, "generate")
	if err != nil {
		return nil, err
	}
	pat, _ := v.(map[string]any)
	str := func(k string) string { x, _ := pat[k].(string); return x }
	step := Step{Action: "generate", Policy: pp.idx, Rule: pr.idx, RuleName: pr.r.Name, Trigger: s.idOf(t.obj), TriggerObject: t.input}
	_, version := t.obj.GroupVersion()
	target := func(o Object, apiVersion, kind, ns, name string) Object {
		o["apiVersion"] = apiVersion
		if o.Kind() == "" {
			o["kind"] = kind
		}
		meta := o.ensureMeta()
		meta["name"] = name
		if ns != "" {
			meta["namespace"] = ns
		} else {
			delete(meta, "namespace")
		}
		return o
	}
	switch {
	case pat["data"] != nil:
		data, ok := pat["data"].(map[string]any)
		if !ok {
			return nil, fmt.Errorf("data must be a mapping, got %s", jsonType(pat["data"]))
		}
		o := target(Object(deepCopy(data).(map[string]any)), str("apiVersion"), str("kind"), str("namespace"), str("name"))
		var tmpl any
		if m, ok := pr.generate.(map[string]any); ok {
			tmpl = m["data"]
		}
		return []Generated{{Object: o, By: step, CloneOf: -1, Replaces: -1, triggerVersion: version,
			TemplatePath: fmt.Sprintf("spec.rules[%d].generate.data", pr.idx),
			EmptyValues:  emptyValues(map[string]any(o), tmpl, "")}}, nil
	case pat["clone"] != nil && str("kind") != "":
		c, _ := pat["clone"].(map[string]any)
		cns, _ := c["namespace"].(string)
		cname, _ := c["name"].(string)
		if cns == str("namespace") && cname == str("name") {
			return nil, nil // Kyverno skips a clone onto itself
		}
		g, _ := splitAPIVersion(str("apiVersion"))
		src := s.store[ID{Group: g, Kind: str("kind"), Namespace: s.nsFor(g, str("kind"), cns), Name: cname}]
		if src == nil {
			return nil, fmt.Errorf("clone source %s %s is not in the input", str("kind"), objName(cns, cname))
		}
		o := cloneOf(src.obj, str("namespace"))
		o = target(o, str("apiVersion"), str("kind"), str("namespace"), str("name"))
		return []Generated{{Object: o, By: step, CloneOf: src.input, Replaces: -1, triggerVersion: version}}, nil
	case pat["cloneList"] != nil:
		cl, _ := pat["cloneList"].(map[string]any)
		srcNS, _ := cl["namespace"].(string)
		var sel any
		if cl["selector"] != nil {
			sel = cl["selector"]
		}
		var out []Generated
		kinds, _ := cl["kinds"].([]any)
		for _, k := range kinds {
			ks, _ := k.(string)
			apiVersion, kind := "", ks
			if i := strings.LastIndex(ks, "/"); i >= 0 {
				apiVersion, kind = ks[:i], ks[i+1:]
			}
			for _, id := range s.sortedIDs() {
				e := s.store[id]
				if e.obj.Kind() != kind || e.obj.Namespace() != srcNS || apiVersion != "" && e.obj.APIVersion() != apiVersion {
					continue
				}
				if sel != nil && !selectorMatches(toLabelSelector(sel), e.obj.Labels()) {
					continue
				}
				if srcNS == str("namespace") {
					continue // Kyverno skips clones onto themselves
				}
				o := cloneOf(e.obj, str("namespace"))
				o = target(o, e.obj.APIVersion(), kind, str("namespace"), e.obj.Name())
				out = append(out, Generated{Object: o, By: step, CloneOf: e.input, Replaces: -1, triggerVersion: version})
			}
		}
		return out, nil
	}
	return nil, nil
}

func objName(ns, name string) string {
	if ns == "" {
		return name
	}
	return ns + "/" + name
}

// nsFor returns ns for namespaced kinds and "" for cluster-scoped ones.
func (s *sim) nsFor(group, kind, ns string) string {
	if s.opts.ClusterScoped(group, kind) {
		return ""
	}
	return ns
}

// cloneOf copies a source object as Kyverno's clone does: server-set
// metadata dropped, owner references dropped across namespaces, and the
// clone-source label set.
func cloneOf(src Object, targetNS string) Object {
	o := src.Copy()
	meta := o.ensureMeta()
	for _, k := range []string{"uid", "resourceVersion", "creationTimestamp", "managedFields", "selfLink", "generation"} {
		delete(meta, k)
	}
	if src.Namespace() != targetNS {
		delete(meta, "ownerReferences")
	}
	delete(o, "status")
	labels, _ := meta["labels"].(map[string]any)
	if labels == nil {
		labels = map[string]any{}
		meta["labels"] = labels
	}
	labels["generate.kyverno.io/clone-source"] = ""
	return o
}

// storeGenerated admits a generated object (mutate rules), labels it as
// Kyverno does and stores it; a target that already exists is kept or
// replaced as Kyverno's generate controller decides [Kyverno: "Generate
// Rules"]: a data source replaces it only with synchronize, a clone
// always updates it. It returns the index in Generated when stored.
func (s *sim) storeGenerated(g Generated) (int, bool) {
	s.normalizeGenerated(g.Object)
	pol := s.in.Policies[g.By.Policy]
	rule := &pol.Spec.Rules[g.By.Rule]
	labelGenerated(g.Object, pol, rule.Name, g.By.Trigger, g.triggerVersion)
	obj, steps := s.admit(g.Object, -1, s.order)
	g.Object, g.Mutations = obj, steps
	id := s.idOf(obj)
	trig := g.By.Trigger.String()
	path := g.By.Path() + ".generate"
	if prev := s.store[id]; prev != nil {
		replace := g.TemplatePath == "" || rule.Generate.Synchronize // clones always update
		what := "an object of the input"
		if prev.gen >= 0 {
			what = "an object generated earlier"
		}
		if !replace {
			s.diag(Warning, g.By.Policy, path, g.By.TriggerObject, "%s: %s for %s already exists (%s); without synchronize Kyverno leaves it as it is", trig, id, trig, what)
			return 0, false
		}
		s.diag(Warning, g.By.Policy, path, g.By.TriggerObject, "%s: %s already exists (%s); Kyverno replaces it with the generated one", trig, id, what)
		if prev.gen >= 0 {
			s.res.Generated[prev.gen].Object = nil // superseded
		}
		g.Replaces = prev.input
	}
	s.res.Generated = append(s.res.Generated, g)
	gi := len(s.res.Generated) - 1
	s.store[id] = &entry{obj: obj, input: -1, gen: gi}
	if obj.Kind() == "Namespace" {
		s.nsSeen[obj.Name()] = obj
	}
	return gi, true
}

func (s *sim) normalizeGenerated(o Object) {
	g, _ := o.GroupVersion()
	if s.opts.ClusterScoped(g, o.Kind()) {
		delete(o.ensureMeta(), "namespace")
		return
	}
	s.normalize(o)
}

// labelGenerated adds the labels Kyverno puts on every generated object;
// the trigger's UID is unknown offline and left empty, as the Kyverno CLI
// leaves it.
func labelGenerated(o Object, p *Policy, rule string, trig ID, trigVersion string) {
	meta := o.ensureMeta()
	labels, _ := meta["labels"].(map[string]any)
	if labels == nil {
		labels = map[string]any{}
		meta["labels"] = labels
	}
	labels["app.kubernetes.io/managed-by"] = "kyverno"
	labels["generate.kyverno.io/policy-name"] = p.Metadata.Name
	labels["generate.kyverno.io/policy-namespace"] = p.Metadata.Namespace
	labels["generate.kyverno.io/rule-name"] = rule
	labels["generate.kyverno.io/trigger-group"] = trig.Group
	labels["generate.kyverno.io/trigger-kind"] = trig.Kind
	labels["generate.kyverno.io/trigger-namespace"] = trig.Namespace
	labels["generate.kyverno.io/trigger-version"] = trigVersion
	labels["generate.kyverno.io/trigger-uid"] = ""
}

func (s *sim) sortedIDs() []ID {
	ids := make([]ID, 0, len(s.store))
	for id := range s.store {
		ids = append(ids, id)
	}
	sortIDs(ids)
	return ids
}

// emptyValues finds label and selector values that are empty strings in
// a generated object, with the template text at the same place.
func emptyValues(v, tmpl any, path string) []EmptyValue {
	var out []EmptyValue
	switch x := v.(type) {
	case map[string]any:
		tm, _ := tmpl.(map[string]any)
		for _, k := range sortedKeys(x) {
			out = append(out, emptyValues(x[k], tm[k], joinPath(path, k))...)
		}
	case []any:
		tl, _ := tmpl.([]any)
		for i, e := range x {
			var te any
			if i < len(tl) {
				te = tl[i]
			}
			out = append(out, emptyValues(e, te, fmt.Sprintf("%s[%d]", path, i))...)
		}
	case string:
		if x == "" && selectorPath(path) {
			t, _ := tmpl.(string)
			out = append(out, EmptyValue{Path: path, Template: t})
		}
	}
	return out
}

// selectorPath reports whether a field path holds a label or a selector
// value: metadata.labels.*, *.matchLabels.*, matchExpressions values, or
// a Calico selector string.
func selectorPath(p string) bool {
	return strings.HasPrefix(p, "metadata.labels.") || strings.Contains(p, ".matchLabels.") ||
		strings.Contains(p, ".matchExpressions[") && strings.Contains(p, ".values[") ||
		strings.HasSuffix(p, "selector") || strings.HasSuffix(p, "Selector")
}

func sortIDs(ids []ID) {
	slices.SortFunc(ids, func(a, b ID) int {
		return cmp.Or(cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Name, b.Name), cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.Group, b.Group))
	})
}

// toLabelSelector converts generic JSON into a label selector; one that
// does not convert selects nothing.
func toLabelSelector(v any) *metav1.LabelSelector {
	j, _ := json.Marshal(v)
	var ls metav1.LabelSelector
	if json.Unmarshal(j, &ls) != nil {
		return &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{Key: "\x00", Operator: "invalid"}}}
	}
	return &ls
}
