package policy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"

	"sigs.k8s.io/yaml"

	"github.com/netreach/netreach/internal/policy/kyverno"
)

// KyvernoMode says what the loader does with Kyverno policies.
type KyvernoMode uint8

// Kyverno modes.
const (
	// KyvernoSimulate applies the mutate and generate rules of Kyverno
	// ClusterPolicies and Policies to the input as if every object were
	// created with the policies installed (docs/kyverno.md).
	KyvernoSimulate KyvernoMode = iota
	// KyvernoOff skips Kyverno policies with a warning: the verdicts leave
	// out what they would change.
	KyvernoOff
)

// String returns "simulate" or "off".
func (m KyvernoMode) String() string {
	if m == KyvernoOff {
		return "off"
	}
	return "simulate"
}

// ParseKyvernoMode parses "simulate" (or "") and "off".
func ParseKyvernoMode(s string) (KyvernoMode, error) {
	switch s {
	case "simulate", "":
		return KyvernoSimulate, nil
	case "off":
		return KyvernoOff, nil
	}
	return 0, fmt.Errorf("invalid Kyverno mode %q: expected simulate or off", s)
}

// KyvernoGroup is the API group of Kyverno policies.
const KyvernoGroup = "kyverno.io"

// KyvernoPolicy is a kyverno.io ClusterPolicy or Policy of the input.
type KyvernoPolicy struct {
	ObjectRef
	APIVersion string
	Policy     *kyverno.Policy
}

// KyvernoSummary says how Kyverno policies took part in a snapshot.
type KyvernoSummary struct {
	// Mode is the mode the snapshot was loaded with.
	Mode KyvernoMode
	// Policies are the Kyverno policies of the input (also when Mode is
	// off), sorted by namespace and name.
	Policies []*KyvernoPolicy
	// Objects are the objects the simulation created or changed, each
	// with its Origin, in the order of the input (generated objects after
	// the input ones, in creation order). Objects of kinds netreach does
	// not evaluate are listed too.
	Objects []ObjectRef
}

// Describe returns "kyverno=simulate" or "kyverno=off" when the input holds
// Kyverno policies, else "", for the options line every result echoes.
func (k *KyvernoSummary) Describe() string {
	if len(k.Policies) == 0 {
		return ""
	}
	return "kyverno=" + k.Mode.String()
}

func init() {
	clusterScoped["ClusterPolicy"] = true
	for _, v := range []string{"kyverno.io/v1", "kyverno.io/v2beta1"} {
		register(v, "ClusterPolicy", (*Loader).addKyvernoPolicy)
		register(v, "Policy", (*Loader).addKyvernoPolicy)
	}
}

// addKyvernoPolicy decodes a Kyverno ClusterPolicy or Policy.
func (l *Loader) addKyvernoPolicy(c *decodeCtx, j []byte) {
	var p kyverno.Policy
	if !c.decode(j, &p) || !c.meta(&p.Metadata, c.kind == "Policy") {
		return
	}
	ref := c.ref()
	ref.Group = KyvernoGroup
	apiVersion := p.APIVersion
	if apiVersion == "kyverno.io/v2beta1" {
		c.checkV2beta1(&p)
	}
	seen := map[string]int{}
	for i, r := range p.Spec.Rules {
		path := fmt.Sprintf("spec.rules[%d]", i)
		if r.Name == "" {
			c.errorf(path+".name", "missing rule name (Kyverno rejects the policy)")
		} else if prev, dup := seen[r.Name]; dup {
			c.errorf(path+".name", "duplicate rule name %s (also rule %d; Kyverno rejects the policy)", quote(r.Name), prev)
		}
		seen[r.Name] = i
	}
	l.store(&loaded{ref: ref, obj: &KyvernoPolicy{ObjectRef: ref, APIVersion: apiVersion, Policy: &p}, doc: c.doc, at: c.at}, ref.Key())
}

// checkV2beta1 reports the fields kyverno.io/v2beta1 no longer has: the
// deprecated single filter of match/exclude and the list form of
// preconditions.
func (c *decodeCtx) checkV2beta1(p *kyverno.Policy) {
	for i := range p.Spec.Rules {
		r := &p.Spec.Rules[i]
		path := fmt.Sprintf("spec.rules[%d]", i)
		drop := func(m *kyverno.MatchResources, where string) {
			if m == nil {
				return
			}
			if m.Resources != nil || len(m.Subjects) > 0 || len(m.Roles) > 0 || len(m.ClusterRoles) > 0 {
				c.warnf(path+"."+where, "kyverno.io/v2beta1 has no resources, subjects or roles directly under %s (use any or all); the API server drops them", where)
				m.Resources, m.Subjects, m.Roles, m.ClusterRoles = nil, nil, nil, nil
			}
		}
		drop(&r.Match, "match")
		drop(r.Exclude, "exclude")
		if t := bytes.TrimSpace(r.Preconditions); len(t) > 0 && t[0] == '[' {
			c.errorf(path+".preconditions", "kyverno.io/v2beta1 preconditions are {any, all}, not a list")
			r.Preconditions = nil
		}
	}
}

// kyvernoMarker is what every Kyverno policy's apiVersion holds.
var kyvernoMarker = []byte("kyverno.io/")

// noticeKyverno makes the loader keep documents from the first document
// that may hold a Kyverno policy on: simulating it reads the objects as
// written. Objects stored before are read again from their files.
func (l *Loader) noticeKyverno(d *document) {
	if !l.opts.keepDocs && l.opts.Kyverno == KyvernoSimulate && bytes.Contains(d.text, kyvernoMarker) {
		l.opts.keepDocs = true
	}
}

// rereadDocuments finds again the documents of objects stored before the
// first Kyverno policy was seen, by reading their files again; objects of
// inputs that cannot be read again (standard input, readers) are
// reported and left out of the simulation.
func (l *Loader) rereadDocuments(objs []*loaded, keys []string) {
	files := map[string]bool{}
	var order []string
	for _, o := range objs {
		if o.doc == nil && o.ref.Source.File != "" && !files[o.ref.Source.File] {
			files[o.ref.Source.File] = true
			order = append(order, o.ref.Source.File)
		}
	}
	if len(order) == 0 {
		return
	}
	opts := l.opts
	opts.Kyverno, opts.keepDocs, opts.Stdin = KyvernoOff, true, strings.NewReader("")
	again := NewLoader(opts)
	for _, f := range order {
		if f == "-" {
			continue
		}
		if info, err := os.Stat(f); err != nil || info.IsDir() {
			continue
		}
		again.AddPath(f)
	}
	again.flush()
	again.finish()
	missing := map[string]bool{}
	for i, o := range objs {
		if o.doc != nil {
			continue
		}
		if a := again.objects[keys[i]]; a != nil && a.doc != nil && a.ref.Source == o.ref.Source {
			o.doc, o.at = a.doc, a.at
			continue
		}
		if !missing[o.ref.Source.File] {
			missing[o.ref.Source.File] = true
			l.add(Diagnostic{Severity: Warning, Location: Location{File: o.ref.Source.File},
				Msg: "these objects were read before the first Kyverno policy and cannot be read again, so Kyverno rules are not applied to them; give the policies first"})
		}
	}
}

// simulateKyverno applies the Kyverno policies of the input to the other
// objects (docs/kyverno.md) and replaces the objects they change and adds
// the objects they generate, decoded like every other input object, so
// they get the same checks. Each carries its Origin.
func (l *Loader) simulateKyverno(s *Snapshot) {
	s.Kyverno.Mode = l.opts.Kyverno
	var pols []*loaded
	var objs []*loaded
	var keys []string
	for _, key := range l.order {
		o := l.objects[key]
		switch v := o.obj.(type) {
		case *rejected:
			continue
		case *KyvernoPolicy:
			pols = append(pols, o)
			s.Kyverno.Policies = append(s.Kyverno.Policies, v)
			continue
		case *Skipped:
			if v.Group == KyvernoGroup || strings.HasPrefix(v.APIVersion, KyvernoGroup+"/") {
				continue // a Kyverno object of another kind or version
			}
		}
		objs = append(objs, o)
		keys = append(keys, key)
	}
	sortRefs(s.Kyverno.Policies)
	if l.opts.Kyverno == KyvernoOff {
		for _, p := range s.Kyverno.Policies {
			reason := "Kyverno simulation is off (--kyverno=off): " + reachabilityKinds[KyvernoGroup+"|"+p.Kind] + ", so the verdicts leave that out"
			s.Skipped = append(s.Skipped, Skipped{ObjectRef: p.ObjectRef, APIVersion: p.APIVersion, Reason: reason})
			l.add(Diagnostic{Severity: Warning, Location: p.Source, Kind: p.Kind, Namespace: p.Namespace, Name: p.Name, Msg: "skipped: " + reason})
		}
		return
	}
	if len(pols) == 0 {
		return
	}
	l.rereadDocuments(objs, keys)
	raws := newRawCache()
	in := kyverno.Input{}
	for _, p := range pols {
		in.Policies = append(in.Policies, p.obj.(*KyvernoPolicy).Policy)
	}
	var inObjs []*loaded
	var inKeys []string
	for i, o := range objs {
		if o.doc == nil {
			continue // reported by rereadDocuments
		}
		obj, err := raws.object(o)
		if err != nil {
			continue // the loader reported it
		}
		in.Objects = append(in.Objects, obj)
		inObjs = append(inObjs, o)
		inKeys = append(inKeys, keys[i])
	}
	res := kyverno.Simulate(in, kyverno.Options{ClusterScoped: func(_, kind string) bool { return clusterScoped[kind] || kind == "ClusterPolicy" }})
	k := &kyvernoRun{l: l, pols: pols, objs: inObjs, res: res, oldDiags: map[string]bool{}}
	for _, d := range l.diags {
		k.oldDiags[d.String()] = true
	}
	for _, d := range res.Diagnostics {
		k.report(d)
	}
	replaced := map[int]bool{}
	for _, g := range res.Generated {
		if g.Object != nil && g.Replaces >= 0 {
			replaced[g.Replaces] = true
		}
	}
	// Input objects that mutate rules changed.
	for i, obj := range res.Objects {
		if obj == nil || replaced[i] {
			continue
		}
		origin := &Origin{Mutated: k.steps(res.Mutations[i])}
		k.redecode(inObjs[i], inKeys[i], obj, origin)
	}
	// Generated objects, located at their template (or clone source).
	for _, g := range res.Generated {
		if g.Object == nil {
			continue // superseded by a later generation
		}
		origin := &Origin{Generated: k.step(g.By), Mutated: k.steps(g.Mutations)}
		doc, at := k.templateDoc(g)
		for _, e := range g.EmptyValues {
			ev := EmptyValue{Field: e.Path, Template: e.Template}
			if g.TemplatePath != "" {
				ev.Source = doc.locate(at + e.Path)
			}
			origin.EmptyValues = append(origin.EmptyValues, ev)
		}
		if g.Replaces >= 0 {
			l.remove(inKeys[g.Replaces])
		}
		k.decodeGenerated(doc, at, g, origin)
	}
	l.compactOrder()
	for _, key := range l.order {
		if o := l.objects[key]; o.ref.Origin != nil {
			s.Kyverno.Objects = append(s.Kyverno.Objects, o.ref)
		}
	}
}

// kyvernoRun turns one simulation's result back into loader records.
type kyvernoRun struct {
	l    *Loader
	pols []*loaded
	objs []*loaded
	res  *kyverno.Result
	// oldDiags holds what the loader reported before the simulation, so
	// that decoding a mutated object again does not repeat it.
	oldDiags map[string]bool
}

func (k *kyvernoRun) policyRef(i int) ObjectRef { return k.pols[i].ref }

// locatePolicy returns the location of a field of policy i.
func (k *kyvernoRun) locatePolicy(i int, path string) Location {
	p := k.pols[i]
	if path == "" {
		return p.ref.Source
	}
	return p.doc.locate(p.at + path)
}

func (k *kyvernoRun) step(s kyverno.Step) *AdmissionStep {
	st := &AdmissionStep{Policy: k.policyRef(s.Policy), Rule: s.RuleName, RuleSource: k.locatePolicy(s.Policy, s.Path()), Changes: s.Changes}
	if s.Action == "generate" {
		st.Trigger = s.Trigger.String()
		if s.Trigger.Group == "" {
			st.Trigger = objectRefString(s.Trigger)
		}
		if s.TriggerObject >= 0 {
			st.TriggerSource = k.objs[s.TriggerObject].ref.Source
		}
	}
	return st
}

func objectRefString(id kyverno.ID) string {
	return ObjectRef{Kind: id.Kind, Namespace: id.Namespace, Name: id.Name}.String()
}

func (k *kyvernoRun) steps(ss []kyverno.Step) []AdmissionStep {
	var out []AdmissionStep
	for _, s := range ss {
		out = append(out, *k.step(s))
	}
	return out
}

// report turns a simulation diagnostic into a loader diagnostic located
// in the policy (or at the object when it is about an object only).
func (k *kyvernoRun) report(d kyverno.Diagnostic) {
	sev := Info
	switch d.Severity {
	case kyverno.Warning:
		sev = Warning
	case kyverno.Error:
		sev = Error
	}
	diag := Diagnostic{Severity: sev, Msg: d.Msg}
	switch {
	case d.Policy >= 0:
		p := k.pols[d.Policy]
		diag.Location = k.locatePolicy(d.Policy, d.Path)
		diag.Kind, diag.Namespace, diag.Name, diag.Field = p.ref.Kind, p.ref.Namespace, p.ref.Name, d.Path
	case d.Object >= 0:
		o := k.objs[d.Object]
		diag.Location = o.ref.Source
		diag.Kind, diag.Namespace, diag.Name = o.ref.Kind, o.ref.Namespace, o.ref.Name
	}
	k.l.add(diag)
}

// templateDoc returns where a generated object's fields are located: the
// data template in the policy, or the clone source.
func (k *kyvernoRun) templateDoc(g kyverno.Generated) (*document, string) {
	if g.TemplatePath != "" {
		p := k.pols[g.By.Policy]
		return p.doc, p.at + g.TemplatePath + "."
	}
	if g.CloneOf >= 0 {
		o := k.objs[g.CloneOf]
		return o.doc, o.at
	}
	p := k.pols[g.By.Policy]
	return p.doc, p.at + g.By.Path() + ".generate."
}

// redecode decodes the admitted form of an input object in place of the
// original. Diagnostics already reported for the original are not
// repeated; new ones name the mutation.
func (k *kyvernoRun) redecode(o *loaded, key string, obj kyverno.Object, origin *Origin) {
	sh := k.decode(o.doc, o.at, obj, origin)
	for _, d := range sh.diags {
		if k.oldDiags[d.String()] {
			continue
		}
		d.Msg += " (after " + origin.Describe() + ")"
		k.l.add(d)
	}
	k.l.remove(key)
	for _, p := range sh.pending {
		if p.key == key {
			k.l.objects[key] = p.o // in place: the input's order is kept
			continue
		}
		k.l.store(p.o, p.key)
	}
}

// decodeGenerated decodes a generated object located at doc/at.
func (k *kyvernoRun) decodeGenerated(doc *document, at string, g kyverno.Generated, origin *Origin) {
	sh := k.decode(doc, at, g.Object, origin)
	for _, d := range sh.diags {
		d.Msg += fmt.Sprintf(" (in %s %s, %s)", g.Object.Kind(), objectName(g.Object.Namespace(), g.Object.Name()), origin.Describe())
		k.l.add(d)
	}
	for _, p := range sh.pending {
		k.l.store(p.o, p.key)
	}
}

func (k *kyvernoRun) decode(doc *document, at string, obj kyverno.Object, origin *Origin) *Loader {
	sh := &Loader{opts: k.l.opts, shadow: true, origin: origin}
	sh.addObjectJSON(doc, at, obj.JSON(), nil)
	return sh
}

// remove forgets the object stored under key; its key stays in l.order
// until compactOrder drops it (O(1) per removal).
func (l *Loader) remove(key string) {
	delete(l.objects, key)
}

// compactOrder drops from l.order the keys of removed objects and repeats.
func (l *Loader) compactOrder() {
	seen := make(map[string]bool, len(l.order))
	kept := l.order[:0]
	for _, k := range l.order {
		if _, ok := l.objects[k]; ok && !seen[k] {
			seen[k] = true
			kept = append(kept, k)
		}
	}
	l.order = kept
}

// rawCache extracts the JSON of stored objects from their documents,
// parsing each List once.
type rawCache struct {
	lists map[*document]map[string][]json.RawMessage // by path prefix of the list
}

func newRawCache() *rawCache { return &rawCache{lists: map[*document]map[string][]json.RawMessage{}} }

var itemRE = regexp.MustCompile(`^items\[(\d+)\]\.`)

// object returns the object o was decoded from, as written, with the
// apiVersion and kind of its typed List filled in when the item lacks
// them.
func (c *rawCache) object(o *loaded) (kyverno.Object, error) {
	j, err := documentJSON(o.doc)
	if err != nil {
		return nil, err
	}
	var listAV, listKind string
	rest := o.at
	prefix := ""
	if d := o.doc; d.prefix != "" && strings.HasPrefix(rest, d.prefix) {
		// An item of a List read as a stream: its document is the item.
		rest, prefix = rest[len(d.prefix):], d.prefix
		listAV, listKind = d.list.tm.APIVersion, d.list.tm.Kind
	}
	for rest != "" {
		m := itemRE.FindStringSubmatch(rest)
		if m == nil {
			return nil, fmt.Errorf("unexpected object path %q", o.at)
		}
		var head struct {
			APIVersion string `json:"apiVersion"`
			Kind       string `json:"kind"`
		}
		_ = json.Unmarshal(j, &head)
		listAV, listKind = head.APIVersion, head.Kind
		items, err := c.items(o.doc, prefix, j)
		if err != nil {
			return nil, err
		}
		n, _ := strconv.Atoi(m[1])
		if n >= len(items) {
			return nil, fmt.Errorf("no item %d", n)
		}
		j = items[n]
		prefix += m[0]
		rest = rest[len(m[0]):]
	}
	obj, err := kyverno.DecodeObject(j)
	if err != nil {
		return nil, err
	}
	if obj.Kind() == "" && listKind != "List" && strings.HasSuffix(listKind, "List") {
		obj["kind"] = strings.TrimSuffix(listKind, "List")
	}
	if obj.APIVersion() == "" && listKind != "List" {
		obj["apiVersion"] = listAV
	}
	return obj, nil
}

// documentJSON returns a document as JSON: the fast path reads documents
// without converting them, so the text is converted here when needed.
func documentJSON(d *document) ([]byte, error) {
	if d.json != nil {
		return d.json, nil
	}
	if d.isJSON {
		return d.text, nil
	}
	j, err := yaml.YAMLToJSON(d.text)
	if err != nil {
		return nil, err
	}
	d.json = j
	return j, nil
}

func (c *rawCache) items(d *document, prefix string, j []byte) ([]json.RawMessage, error) {
	if c.lists[d] == nil {
		c.lists[d] = map[string][]json.RawMessage{}
	}
	if items, ok := c.lists[d][prefix]; ok {
		return items, nil
	}
	var list struct {
		Items []json.RawMessage `json:"items"`
	}
	if err := json.Unmarshal(j, &list); err != nil {
		return nil, err
	}
	c.lists[d][prefix] = list.Items
	return list.Items, nil
}
