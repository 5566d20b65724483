package kyverno

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
)

// Input is what a simulation reads: the Kyverno policies and every other
// object of the input, as written, in input order.
type Input struct {
	Policies []*Policy
	Objects  []Object
}

// Options configure a simulation. The zero value gives the defaults.
type Options struct {
	// ClusterScoped reports whether objects of a kind live outside
	// namespaces; nil uses a built-in list of the usual kinds.
	ClusterScoped func(group, kind string) bool
	// NoResourceFilters turns off the resource filters of Kyverno's
	// default installation (objects in kube-system, kube-public,
	// kube-node-lease and kyverno, and kinds such as Event, Node and
	// ReplicaSet, are not sent to policies).
	NoResourceFilters bool
	// MaxGenerated bounds the number of generated objects (0 means
	// DefaultMaxGenerated); the simulation stops with an error beyond.
	MaxGenerated int
}

// DefaultMaxGenerated is the default bound on generated objects.
const DefaultMaxGenerated = 200_000

// Simulate admits every input object as if it were created now, with the
// policies installed, and returns what Kyverno would have stored
// [docs/kyverno.md "Order"]:
//
//  1. Admission. Namespaces first, then the other objects in input order,
//     each through every mutate rule that applies (ClusterPolicies, then
//     Policies, by namespace and name; rules in their order). A workload's
//     pod template is then admitted as the Pod its controller will create.
//  2. Generation. In the same order, each admitted object fires the
//     generate rules that apply; each generated object is admitted
//     (mutated) in turn and stored. Generated objects fire generate rules
//     only of rules with skipBackgroundRequests: false.
//
// Simulate never fails: problems are diagnostics, and a rule that Kyverno
// would fail (a variable that does not resolve) is left out for that
// object, as Kyverno leaves it out.
func Simulate(in Input, opts Options) *Result {
	s := newSim(in, opts)
	s.prepare()
	s.admitInput()
	s.generateAll()
	s.checkOrder()
	return s.result()
}

type sim struct {
	in    Input
	opts  Options
	pols  []*prepared
	order []int // policy indices in evaluation order
	res   Result
	diags diagSet

	exprs   *exprCache
	patches map[string][]byte // JSON patch text -> its JSON form

	store  map[ID]*entry
	nsSeen map[string]Object // admitted namespaces by name
	// admitted holds the admitted content of each input object (nil when
	// it was filtered out of admission or is not an object).
	admitted []Object
}

// entry is one object the simulated cluster holds.
type entry struct {
	obj   Object
	input int // input index, or -1
	gen   int // index in res.Generated, or -1
}

func newSim(in Input, opts Options) *sim {
	if opts.MaxGenerated <= 0 {
		opts.MaxGenerated = DefaultMaxGenerated
	}
	if opts.ClusterScoped == nil {
		opts.ClusterScoped = defaultClusterScoped
	}
	return &sim{
		in: in, opts: opts,
		store:    map[ID]*entry{},
		nsSeen:   map[string]Object{},
		exprs:    newExprCache(),
		patches:  map[string][]byte{},
		admitted: make([]Object, len(in.Objects)),
		res: Result{
			Objects:   make([]Object, len(in.Objects)),
			Mutations: make([][]Step, len(in.Objects)),
		},
	}
}

// prepared is a policy with its rules decoded for evaluation.
type prepared struct {
	p     *Policy
	idx   int
	rules []*preparedRule
}

type preparedRule struct {
	r          *Rule
	idx        int
	pre        AnyAll
	patch      any // decoded patchStrategicMerge, nil without
	generate   any // the generate pattern as generic JSON (target, data, clone, cloneList)
	unsupCtx   map[string]string
	disabled   bool // a construct that cannot be simulated: the rule is left out
	background bool // fires for objects Kyverno itself creates
}

func (s *sim) diag(sev Severity, pol int, path string, obj int, format string, args ...any) {
	s.diags.add(Diagnostic{Severity: sev, Policy: pol, Path: path, Object: obj, Msg: fmt.Sprintf(format, args...)})
}

// prepare decodes every rule and reports what is not simulated.
func (s *sim) prepare() {
	for i, p := range s.in.Policies {
		pp := &prepared{p: p, idx: i}
		for j := range p.Spec.Rules {
			r := &p.Spec.Rules[j]
			path := fmt.Sprintf("spec.rules[%d]", j)
			pr := &preparedRule{r: r, idx: j, background: r.SkipBackgroundRequests != nil && !*r.SkipBackgroundRequests}
			pp.rules = append(pp.rules, pr)
			if r.Mutate == nil && r.Generate == nil {
				continue // validate and verifyImages rules do not change objects
			}
			var err error
			if pr.pre, err = decodePreconditions(r.Preconditions); err != nil {
				s.diag(Error, i, path+".preconditions", -1, "invalid preconditions: %v; the rule is left out", err)
				pr.disabled = true
			}
			for k, c := range r.Context {
				if c.Variable == nil {
					src := "an external source"
					switch {
					case len(c.ConfigMap) > 0:
						src = "a ConfigMap lookup"
					case len(c.APICall) > 0:
						src = "an API call"
					case len(c.ImageRegistry) > 0:
						src = "an image registry"
					case len(c.GlobalReference) > 0:
						src = "a global context entry"
					}
					if pr.unsupCtx == nil {
						pr.unsupCtx = map[string]string{}
					}
					pr.unsupCtx[c.Name] = src
					s.diag(Warning, i, fmt.Sprintf("%s.context[%d]", path, k), -1, "context %q comes from %s, which is not simulated offline; where the rule uses it, the rule is reported and left out", c.Name, src)
				}
			}
			s.checkFilters(i, path, r)
			if !s.validRule(i, path, p, r) {
				pr.disabled = true
				continue
			}
			if r.Mutate != nil {
				s.prepareMutate(i, path, pr)
			}
			if r.Generate != nil {
				s.prepareGenerate(i, path, pr)
			}
		}
		s.pols = append(s.pols, pp)
	}
	s.order = make([]int, len(s.pols))
	for i := range s.order {
		s.order[i] = i
	}
	sort.SliceStable(s.order, func(a, b int) bool {
		pa, pb := s.in.Policies[s.order[a]], s.in.Policies[s.order[b]]
		if pa.Kind != pb.Kind {
			return pa.Kind == "ClusterPolicy"
		}
		if pa.Metadata.Namespace != pb.Metadata.Namespace {
			return pa.Metadata.Namespace < pb.Metadata.Namespace
		}
		return pa.Metadata.Name < pb.Metadata.Name
	})
}

func (s *sim) checkFilters(pol int, path string, r *Rule) {
	check := func(where string, m *MatchResources) {
		if m == nil {
			return
		}
		fs := append(append([]ResourceFilter(nil), m.Any...), m.All...)
		legacy := ResourceFilter{Resources: m.Resources, Subjects: m.Subjects, Roles: m.Roles, ClusterRoles: m.ClusterRoles}
		fs = append(fs, legacy)
		for _, f := range fs {
			if f.hasUserInfo() {
				how := "ignored: the rule is taken to match whoever creates the object, as Kyverno does without a live request"
				if where == "exclude" {
					how = "taken to match no one: nothing is excluded for who creates it"
				}
				s.diag(Warning, pol, path+"."+where, -1, "subjects, roles and clusterRoles depend on who creates the object, which the input does not say; they are %s", how)
				return
			}
		}
	}
	check("match", &r.Match)
	check("exclude", r.Exclude)
}

// backgroundOnlyRE finds the variables Kyverno forbids in policies that
// run in background mode (the default).
var backgroundOnlyRE = regexp.MustCompile(`request\.(userInfo|roles|clusterRoles)|serviceAccountName|serviceAccountNamespace`)

// validRule applies the checks by which Kyverno rejects a policy when it
// is created (its policy validation), so that a rule the cluster would
// never run is reported and left out rather than simulated.
func (s *sim) validRule(pol int, path string, p *Policy, r *Rule) bool {
	ok := true
	for i, f := range r.Match.Any {
		ok = s.needKinds(pol, fmt.Sprintf("%s.match.any[%d].resources", path, i), f.Resources) && ok
	}
	for i, f := range r.Match.All {
		ok = s.needKinds(pol, fmt.Sprintf("%s.match.all[%d].resources", path, i), f.Resources) && ok
	}
	if r.Match.Resources != nil {
		ok = s.needKinds(pol, path+".match.resources", r.Match.Resources) && ok
	}
	if p.Spec.Background == nil || *p.Spec.Background {
		var uses []string
		for _, m := range []*MatchResources{&r.Match, r.Exclude} {
			if m == nil {
				continue
			}
			for _, f := range append(append([]ResourceFilter{{Subjects: m.Subjects, Roles: m.Roles, ClusterRoles: m.ClusterRoles}}, m.Any...), m.All...) {
				if f.hasUserInfo() {
					uses = append(uses, "subjects, roles or clusterRoles")
					break
				}
			}
		}
		j, _ := json.Marshal(r)
		for _, v := range varRE.FindAllString(string(j), -1) {
			if u := backgroundOnlyRE.FindString(v); u != "" {
				uses = append(uses, u)
				break
			}
		}
		if len(uses) > 0 {
			s.diag(Error, pol, path, -1, "the rule uses %s, which Kyverno allows only with spec.background: false (it rejects the policy); the rule is left out", strings.Join(uses, " and "))
			ok = false
		}
	}
	if r.Mutate != nil && len(r.Mutate.PatchStrategicMerge) > 0 {
		var patch struct {
			Metadata struct {
				Labels      map[string]any `json:"labels"`
				Annotations map[string]any `json:"annotations"`
			} `json:"metadata"`
		}
		_ = json.Unmarshal(r.Mutate.PatchStrategicMerge, &patch)
		for field, m := range map[string]map[string]any{"labels": patch.Metadata.Labels, "annotations": patch.Metadata.Annotations} {
			for _, k := range sortedKeys(m) {
				if _, isString := m[k].(string); !isString {
					s.diag(Error, pol, path+".mutate.patchStrategicMerge.metadata."+field+"."+k, -1, "%s values must be strings (Kyverno rejects the policy: use double quotes around the value); the rule is left out", field)
					ok = false
				}
			}
		}
	}
	return ok
}

// needKinds reports a match filter on resources without kinds, which
// Kyverno rejects ("the kind attribute is mandatory").
func (s *sim) needKinds(pol int, path string, rd *ResourceDescription) bool {
	if rd == nil || len(rd.Kinds) > 0 {
		return true
	}
	s.diag(Error, pol, path+".kinds", -1, "a match filter on resources needs kinds (Kyverno rejects the policy); the rule is left out")
	return false
}

func (s *sim) prepareMutate(pol int, path string, pr *preparedRule) {
	m := pr.r.Mutate
	path += ".mutate"
	switch {
	case len(m.Targets) > 0 && string(m.Targets) != "null":
		s.diag(Warning, pol, path+".targets", -1, "mutate rules with targets change existing objects in the background; this is not simulated, so the verdicts leave out what the rule would change")
		pr.disabled = true
	case len(m.Foreach) > 0 && string(m.Foreach) != "null":
		s.diag(Warning, pol, path+".foreach", -1, "mutate foreach is not simulated, so the verdicts leave out what the rule would change")
		pr.disabled = true
	}
	if len(m.PatchStrategicMerge) > 0 {
		if err := json.Unmarshal(m.PatchStrategicMerge, &pr.patch); err != nil {
			s.diag(Error, pol, path+".patchStrategicMerge", -1, "invalid patch: %v; the rule is left out", err)
			pr.disabled = true
		}
	}
}

func (s *sim) prepareGenerate(pol int, path string, pr *preparedRule) {
	g := pr.r.Generate
	path += ".generate"
	if len(g.Foreach) > 0 && string(g.Foreach) != "null" {
		s.diag(Warning, pol, path+".foreach", -1, "generate foreach is not simulated, so the verdicts leave out the objects it would create")
		pr.disabled = true
		return
	}
	sources := 0
	if len(g.Data) > 0 && string(g.Data) != "null" {
		sources++
	}
	if g.Clone != nil && (g.Clone.Name != "" || g.Clone.Namespace != "") {
		sources++
	}
	if g.CloneList != nil && len(g.CloneList.Kinds) > 0 {
		sources++
	}
	switch {
	case sources != 1:
		s.diag(Error, pol, path, -1, "a generate rule needs exactly one of data, clone and cloneList (Kyverno rejects the policy); the rule is left out")
		pr.disabled = true
		return
	case (g.CloneList == nil || len(g.CloneList.Kinds) == 0) && (g.Kind == "" || g.Name == ""):
		s.diag(Error, pol, path, -1, "a generate rule needs kind and name (Kyverno rejects the policy); the rule is left out")
		pr.disabled = true
		return
	}
	j, _ := json.Marshal(g)
	_ = json.Unmarshal(j, &pr.generate)
}

// ruleApplies decides whether rule pr of policy pp fires for request r
// and returns the variables context to evaluate its body in. A rule that
// Kyverno would fail (a precondition that cannot be evaluated) is
// reported against obj and does not apply.
func (s *sim) ruleApplies(pp *prepared, pr *preparedRule, r *request, obj int) (*evalContext, bool) {
	p := pp.p
	if p.Kind == "Policy" && r.ns != p.Metadata.Namespace {
		return nil, false // a namespaced Policy sees only its namespace's objects
	}
	if !matches(&pr.r.Match, r, false) {
		return nil, false
	}
	if pr.r.Exclude != nil && matches(pr.r.Exclude, r, true) {
		return nil, false
	}
	ctx := s.context(r, pr)
	path := fmt.Sprintf("spec.rules[%d]", pr.idx)
	for k, c := range pr.r.Context {
		if c.Variable == nil {
			continue
		}
		if err := ctx.loadVariable(c); err != nil {
			s.ruleFailed(pp.idx, fmt.Sprintf("%s.context[%d]", path, k), obj, r, err)
			return nil, false
		}
	}
	ok, err := ctx.evalConditions(pr.pre)
	if err != nil {
		s.ruleFailed(pp.idx, path+".preconditions", obj, r, err)
		return nil, false
	}
	return ctx, ok
}

// ruleFailed reports a rule that Kyverno fails (or netreach cannot
// evaluate) for the object of request r.
func (s *sim) ruleFailed(pol int, path string, obj int, r *request, err error) {
	var ve *VarError
	if errors.As(err, &ve) && ve.Unsupported {
		s.diag(Warning, pol, path, obj, "%s: %v; the rule is left out for this object, so the verdicts may miss what it would change", r.describe(), err)
		return
	}
	s.diag(Warning, pol, path, obj, "%s: %v; Kyverno fails the rule for this object and changes nothing", r.describe(), err)
}

// matches applies a match or exclude block [Kyverno: "Selecting
// Resources"]: any (one filter suffices) or all (every filter), else the
// deprecated single filter. Subjects and roles are unknown offline: a
// match ignores them (as Kyverno does without a request), an exclude
// never matches them.
func matches(m *MatchResources, r *request, exclude bool) bool {
	one := func(f ResourceFilter) bool {
		if f.Resources.isEmpty() {
			if exclude || !f.hasUserInfo() {
				return false
			}
			return false // a filter of user info only: nothing to match on
		}
		if exclude && f.hasUserInfo() {
			return false
		}
		return f.Resources.describe(r)
	}
	switch {
	case len(m.Any) > 0:
		for _, f := range m.Any {
			if one(f) {
				return true
			}
		}
		return false
	case len(m.All) > 0:
		for _, f := range m.All {
			if !one(f) {
				return false
			}
		}
		return true
	}
	return one(ResourceFilter{Resources: m.Resources, Subjects: m.Subjects, Roles: m.Roles, ClusterRoles: m.ClusterRoles})
}

// context builds the variables of an admission request for rule pr.
func (s *sim) context(r *request, pr *preparedRule) *evalContext {
	name := any(r.name)
	req := map[string]any{
		"operation": "CREATE",
		"object":    map[string]any(r.obj),
		"oldObject": nil,
		"namespace": r.ns,
		"name":      name,
		"kind":      map[string]any{"group": r.group, "version": r.version, "kind": r.kind},
		"dryRun":    false,
	}
	if r.kind == "Namespace" {
		req["namespace"] = ""
	}
	ctx := newEvalContext(req, s.exprs)
	ctx.unsupported = pr.unsupCtx
	return ctx
}

// loadVariable evaluates a variable context entry into the context.
func (c *evalContext) loadVariable(e ContextEntry) error {
	var val any
	if len(e.Variable.Value) > 0 {
		if err := json.Unmarshal(e.Variable.Value, &val); err != nil {
			return err
		}
		v, err := c.substitute(val, "value")
		if err != nil {
			return err
		}
		val = v
	}
	if e.Variable.JMESPath != "" {
		expr, err := c.substitute(e.Variable.JMESPath, "jmesPath")
		if err != nil {
			return err
		}
		var res any
		if val != nil {
			res, err = searchOn(fmt.Sprint(expr), val)
		} else {
			res, err = c.query(fmt.Sprint(expr))
		}
		if err != nil {
			var ve *VarError
			if errors.As(err, &ve) || len(e.Variable.Default) == 0 {
				return err
			}
			res = nil // a missing field falls back to the default
		}
		val = res
	}
	if val == nil && len(e.Variable.Default) > 0 {
		var def any
		if err := json.Unmarshal(e.Variable.Default, &def); err != nil {
			return err
		}
		v, err := c.substitute(def, "default")
		if err != nil {
			return err
		}
		val = v
	}
	c.data[e.Name] = val
	return nil
}

// describe names the request's object for messages: "Namespace test01".
func (r *request) describe() string {
	id := ID{Kind: r.kind, Namespace: r.ns, Name: r.name}
	if r.name == "" {
		if g, _ := r.obj.meta()["generateName"].(string); g != "" {
			id.Name = g + "*"
		}
	}
	if r.kind == "Namespace" {
		id.Namespace = ""
	}
	return id.String()
}

// newRequest builds the request for admitting obj.
func (s *sim) newRequest(obj Object) *request {
	g, v := obj.GroupVersion()
	r := &request{obj: obj, group: g, version: v, kind: obj.Kind(), name: obj.Name(), ns: obj.Namespace()}
	if r.kind != "Namespace" && r.ns != "" {
		r.nsLabels = s.namespaceLabels(r.ns)
	}
	return r
}

// namespaceLabels returns the labels of namespace ns as stored (after its
// own admission), with kubernetes.io/metadata.name as the API server sets
// it; a namespace the input does not declare has only that label.
func (s *sim) namespaceLabels(ns string) map[string]string {
	labels := map[string]string{}
	if o, ok := s.nsSeen[ns]; ok {
		labels = o.Labels()
	}
	labels["kubernetes.io/metadata.name"] = ns
	return labels
}

// filtered reports whether Kyverno's default configuration keeps the
// request away from policies (resourceFilters and the webhooks'
// namespaceSelector of the Helm chart's defaults).
func (s *sim) filtered(r *request) bool {
	if s.opts.NoResourceFilters {
		return false
	}
	switch r.kind {
	case "Event", "Node", "APIService", "TokenReview", "SubjectAccessReview", "SelfSubjectAccessReview",
		"Binding", "ReplicaSet", "EphemeralReport", "ClusterEphemeralReport":
		return true
	case "Namespace":
		return r.name == "kube-system" || r.name == "kyverno"
	}
	switch r.ns {
	case "kube-system", "kube-public", "kube-node-lease", "kyverno":
		return true
	}
	return false
}

// normalize fills in what the API server fills in before admission: the
// namespace of namespaced objects given without one.
func (s *sim) normalize(o Object) {
	g, _ := o.GroupVersion()
	if s.opts.ClusterScoped(g, o.Kind()) {
		return
	}
	if o.Namespace() == "" {
		o.ensureMeta()["namespace"] = "default"
	}
}

// admitInput runs admission (mutate rules) over the input objects:
// namespaces first, then the rest in input order.
func (s *sim) admitInput() {
	for _, i := range s.inputOrder() {
		o := s.in.Objects[i].Copy()
		s.normalize(o)
		out, steps := s.admit(o, i, s.order)
		s.admitted[i] = out
		if len(steps) > 0 {
			s.res.Objects[i] = out
			s.res.Mutations[i] = steps
		}
		id := s.idOf(out)
		s.store[id] = &entry{obj: out, input: i, gen: -1}
		if out.Kind() == "Namespace" {
			s.nsSeen[out.Name()] = out
		}
	}
}

func (s *sim) inputOrder() []int {
	var nss, rest []int
	for i, o := range s.in.Objects {
		if o.Kind() == "Namespace" && o.APIVersion() == "v1" {
			nss = append(nss, i)
		} else {
			rest = append(rest, i)
		}
	}
	return append(nss, rest...)
}

func (s *sim) idOf(o Object) ID {
	id := IDOf(o)
	if s.opts.ClusterScoped(id.Group, id.Kind) {
		id.Namespace = ""
	}
	return id
}

// admit applies the mutate rules to obj (and to the pod template of a
// workload, as the pods its controller creates) in the given policy
// order, and returns the result and the rules that changed it.
func (s *sim) admit(obj Object, input int, order []int) (Object, []Step) {
	r := s.newRequest(obj)
	var steps []Step
	if !s.filtered(r) {
		obj, steps = s.mutate(obj, input, order, "")
	}
	if tp, path := podTemplate(obj); tp != nil {
		pod := templatePod(obj, tp)
		pod2, psteps := s.mutate(pod, input, order, "template: ")
		if len(psteps) > 0 {
			obj = obj.Copy()
			writeTemplate(obj, path, pod2)
			steps = append(steps, psteps...)
		}
	}
	return obj, steps
}

// mutate runs every applicable mutate rule over obj, in order.
func (s *sim) mutate(obj Object, input int, order []int, prefix string) (Object, []Step) {
	var steps []Step
	r := s.newRequest(obj)
	if s.filtered(r) {
		return obj, nil
	}
	for _, pi := range order {
		pp := s.pols[pi]
		if pp.p.Spec.Admission != nil && !*pp.p.Spec.Admission {
			continue
		}
		for _, pr := range pp.rules {
			if pr.r.Mutate == nil || pr.disabled {
				continue
			}
			ctx, ok := s.ruleApplies(pp, pr, r, input)
			if !ok {
				continue
			}
			out, changed, err := s.applyMutation(pp, pr, ctx, obj)
			if err != nil {
				s.ruleFailed(pp.idx, fmt.Sprintf("spec.rules[%d].mutate", pr.idx), input, r, err)
				continue
			}
			if changed {
				steps = append(steps, Step{Action: "mutate", Policy: pp.idx, Rule: pr.idx, RuleName: pr.r.Name,
					Trigger: s.idOf(obj), TriggerObject: input, Changes: describeChanges(obj, out, prefix)})
				obj = out
				r = s.newRequest(obj)
				if s.filtered(r) {
					return obj, steps // a mutation moved it out of Kyverno's reach
				}
			}
			if pp.p.Spec.ApplyRules == "One" {
				break
			}
		}
	}
	return obj, steps
}

// applyMutation substitutes the rule's variables and applies its patches.
func (s *sim) applyMutation(pp *prepared, pr *preparedRule, ctx *evalContext, obj Object) (Object, bool, error) {
	out := obj
	m := pr.r.Mutate
	if pr.patch != nil {
		patch, err := ctx.substitute(pr.patch, "patchStrategicMerge")
		if err != nil {
			return nil, false, err
		}
		res, _, err := strategicMerge(out, patch)
		if err != nil {
			return nil, false, err
		}
		out = res
	}
	if m.PatchesJSON6902 != "" {
		text, err := ctx.substitute(m.PatchesJSON6902, "patchesJson6902")
		if err != nil {
			return nil, false, err
		}
		res, err := s.jsonPatch(out, fmt.Sprint(text))
		if err != nil {
			return nil, false, err
		}
		out = res
	}
	return out, !deepEqual(map[string]any(obj), map[string]any(out)), nil
}

// describeChanges sums up what a mutation changed: labels one by one,
// anything else as "other fields".
func describeChanges(before, after Object, prefix string) []string {
	var out []string
	for _, c := range labelChanges(before.Labels(), after.Labels()) {
		out = append(out, prefix+c)
	}
	b, a := before.Copy(), after.Copy()
	delete(b.ensureMeta(), "labels")
	delete(a.ensureMeta(), "labels")
	if !deepEqual(map[string]any(b), map[string]any(a)) {
		out = append(out, prefix+"other fields")
	}
	return out
}

// podTemplate returns the pod template of a workload and its path.
func podTemplate(o Object) (map[string]any, []string) {
	var path []string
	switch {
	case o.APIVersion() == "batch/v1" && o.Kind() == "CronJob":
		path = []string{"spec", "jobTemplate", "spec", "template"}
	case o.APIVersion() == "apps/v1" && (o.Kind() == "Deployment" || o.Kind() == "StatefulSet" || o.Kind() == "DaemonSet" || o.Kind() == "ReplicaSet"),
		o.APIVersion() == "batch/v1" && o.Kind() == "Job",
		o.APIVersion() == "v1" && o.Kind() == "ReplicationController":
		path = []string{"spec", "template"}
	default:
		return nil, nil
	}
	var cur any = map[string]any(o)
	for _, p := range path {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, nil
		}
		cur = m[p]
	}
	m, ok := cur.(map[string]any)
	if !ok {
		return nil, nil
	}
	return m, path
}

// templatePod is the Pod a controller creates from a template: its
// metadata, spec, and namespace, and a generated name (empty at
// admission, with generateName set).
func templatePod(w Object, tmpl map[string]any) Object {
	meta := map[string]any{}
	if m, ok := tmpl["metadata"].(map[string]any); ok {
		for k, v := range m {
			meta[k] = deepCopy(v)
		}
	}
	delete(meta, "name")
	meta["namespace"] = w.Namespace()
	meta["generateName"] = w.Name() + "-"
	pod := Object{"apiVersion": "v1", "kind": "Pod", "metadata": meta}
	if spec, ok := tmpl["spec"]; ok {
		pod["spec"] = deepCopy(spec)
	}
	return pod
}

// writeTemplate puts the admitted pod's labels, annotations and spec back
// into the workload's template at path.
func writeTemplate(w Object, path []string, pod Object) {
	var cur = map[string]any(w)
	for _, p := range path {
		next, _ := cur[p].(map[string]any)
		cur = next
	}
	meta, _ := cur["metadata"].(map[string]any)
	if meta == nil {
		meta = map[string]any{}
		cur["metadata"] = meta
	}
	pm := pod.meta()
	for _, k := range []string{"labels", "annotations"} {
		if v, ok := pm[k]; ok {
			meta[k] = v
		} else {
			delete(meta, k)
		}
	}
	if spec, ok := pod["spec"]; ok {
		cur["spec"] = spec
	}
}

// checkOrder reports input objects whose admission result depends on the
// order of the policies that mutate them, which Kyverno does not define.
func (s *sim) checkOrder() {
	for i, steps := range s.res.Mutations {
		pols := map[int]bool{}
		for _, st := range steps {
			pols[st.Policy] = true
		}
		if len(pols) < 2 {
			continue
		}
		rev := append([]int(nil), s.order...)
		for a, b := 0, len(rev)-1; a < b; a, b = a+1, b-1 {
			rev[a], rev[b] = rev[b], rev[a]
		}
		o := s.in.Objects[i].Copy()
		s.normalize(o)
		sd := &sim{in: s.in, opts: s.opts, pols: s.pols, order: rev, store: s.store, nsSeen: s.nsSeen, exprs: s.exprs, patches: s.patches}
		other, _ := sd.admit(o, i, rev)
		if deepEqual(map[string]any(other), map[string]any(s.admitted[i])) {
			continue
		}
		var names []string
		for _, pi := range s.order {
			if pols[pi] {
				names = append(names, policyName(s.in.Policies[pi]))
			}
		}
		s.diag(Warning, -1, "", i, "the result of admission depends on the order of %s, which Kyverno does not define; netreach applied them in this order (ClusterPolicies, then Policies, by namespace and name)", strings.Join(names, " and "))
	}
}

func policyName(p *Policy) string {
	if p.Metadata.Namespace != "" {
		return p.Kind + " " + p.Metadata.Namespace + "/" + p.Metadata.Name
	}
	return p.Kind + " " + p.Metadata.Name
}

func (s *sim) result() *Result {
	s.res.Diagnostics = s.diags.sorted()
	return &s.res
}

// diagSet gathers diagnostics, folding repeats of one message for many
// objects into one with a count.
type diagSet struct {
	list  []Diagnostic
	seen  map[string]int // key -> index in list
	count map[int]int
}

func (d *diagSet) add(x Diagnostic) {
	if d.seen == nil {
		d.seen, d.count = map[string]int{}, map[int]int{}
	}
	key := fmt.Sprintf("%d|%d|%s|%s", x.Severity, x.Policy, x.Path, stripObject(x.Msg))
	if i, ok := d.seen[key]; ok {
		d.count[i]++
		return
	}
	d.seen[key] = len(d.list)
	d.list = append(d.list, x)
}

// stripObject removes the object name that starts a message, so that one
// rule failing for many objects is reported once.
func stripObject(msg string) string {
	if _, rest, ok := strings.Cut(msg, ": "); ok {
		return rest
	}
	return msg
}

func (d *diagSet) sorted() []Diagnostic {
	out := make([]Diagnostic, len(d.list))
	for i, x := range d.list {
		if n := d.count[i]; n > 0 {
			x.Msg += fmt.Sprintf(" (and %d more object%s)", n, plural(n))
		}
		out[i] = x
	}
	slices.SortStableFunc(out, func(a, b Diagnostic) int {
		return cmp.Or(cmp.Compare(a.Policy, b.Policy), cmp.Compare(a.Path, b.Path), cmp.Compare(a.Object, b.Object), cmp.Compare(a.Msg, b.Msg))
	})
	return out
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// defaultClusterScoped lists the common cluster-scoped kinds.
func defaultClusterScoped(group, kind string) bool {
	switch kind {
	case "Namespace", "Node", "PersistentVolume", "ClusterRole", "ClusterRoleBinding", "StorageClass",
		"CustomResourceDefinition", "ValidatingWebhookConfiguration", "MutatingWebhookConfiguration",
		"PriorityClass", "IngressClass", "RuntimeClass", "APIService", "CSIDriver", "CSINode",
		"ClusterPolicy", "AdminNetworkPolicy", "BaselineAdminNetworkPolicy", "ClusterNetworkPolicy",
		"GlobalNetworkPolicy", "StagedGlobalNetworkPolicy", "GlobalNetworkSet", "Tier", "HostEndpoint",
		"IPPool", "CiliumClusterwideNetworkPolicy":
		return true
	}
	return false
}
