package expect

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"path"
	"reflect"
	"regexp"
	"strconv"
	"strings"

	yaml "go.yaml.in/yaml/v3"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	sjson "sigs.k8s.io/json"
	syaml "sigs.k8s.io/yaml"

	"github.com/netreach/netreach/internal/fieldpath"
	"github.com/netreach/netreach/internal/policy"
	"github.com/netreach/netreach/internal/reachability"
	"github.com/netreach/netreach/internal/selector"
)

// The file's JSON shape. Fields that take a string or a list, and port
// entries that take a string, a number or an object, are kept raw and
// decoded by hand, so that every problem is reported with its exact path.
type fileJSON struct {
	APIVersion string     `json:"apiVersion"`
	Kind       string     `json:"kind"`
	Rules      []ruleJSON `json:"rules"`
}

type ruleJSON struct {
	Name        string            `json:"name"`
	Description string            `json:"description,omitempty"`
	From        *selectionJSON    `json:"from,omitempty"`
	To          *selectionJSON    `json:"to,omitempty"`
	Ports       []json.RawMessage `json:"ports,omitempty"`
	Expect      string            `json:"expect,omitempty"`
	Isolate     *isolateJSON      `json:"isolate,omitempty"`
	Layer       string            `json:"layer,omitempty"`
}

type selectionJSON struct {
	Namespace         json.RawMessage       `json:"namespace,omitempty"`
	NamespaceSelector *metav1.LabelSelector `json:"namespaceSelector,omitempty"`
	PodSelector       *metav1.LabelSelector `json:"podSelector,omitempty"`
	Pod               json.RawMessage       `json:"pod,omitempty"`
	Workload          json.RawMessage       `json:"workload,omitempty"`
	Selector          *string               `json:"selector,omitempty"`
	CIDR              json.RawMessage       `json:"cidr,omitempty"`
	NotCIDR           json.RawMessage       `json:"notCIDR,omitempty"`
	Internet          *bool                 `json:"internet,omitempty"`
	IngressController *bool                 `json:"ingressController,omitempty"`
	Service           json.RawMessage       `json:"service,omitempty"`
	NewPods           bool                  `json:"newPods,omitempty"`
}

type isolateJSON struct {
	NamespacesBy string       `json:"namespacesBy"`
	Except       []exceptJSON `json:"except,omitempty"`
	NewPods      bool         `json:"newPods,omitempty"`
}

type exceptJSON struct {
	From  *selectionJSON    `json:"from,omitempty"`
	To    *selectionJSON    `json:"to,omitempty"`
	With  *selectionJSON    `json:"with,omitempty"`
	Ports []json.RawMessage `json:"ports,omitempty"`
}

type portJSON struct {
	Protocol *string             `json:"protocol,omitempty"`
	Port     *intstr.IntOrString `json:"port,omitempty"`
	EndPort  *int32              `json:"endPort,omitempty"`
}

// Load reads and parses the expectations file at path; see [Parse].
func Load(path string) (*Expectations, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, policy.Diagnostics{{Severity: policy.Error, Location: policy.Location{File: path},
			Code: policy.CodeRead, Msg: "cannot read expectations: " + unwrapPathError(err).Error()}}
	}
	return Parse(path, data)
}

func unwrapPathError(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// Parse reads an expectations file (one YAML or JSON document) strictly:
// field names are case-sensitive, unknown and duplicate fields, values of
// the wrong type, invalid selectors, CIDRs, ports and globs are errors. name
// is used in locations. On failure the error is a [policy.Diagnostics]
// holding every problem found, each located at file:line:col with the field
// path and what was expected.
func Parse(name string, data []byte) (*Expectations, error) {
	p := &parser{file: name, text: data}
	x := p.parse()
	if len(p.diags) > 0 {
		p.diags.Sort()
		return nil, p.diags
	}
	return x, nil
}

// parser carries the text being parsed and the problems found.
type parser struct {
	file  string
	text  []byte
	root  *yaml.Node // the document's YAML tree, for positions
	diags policy.Diagnostics
	rule  string // name of the rule being checked, for messages
}

// at returns the location of the field at path (its key, or its value when
// value is true).
func (p *parser) at(path string, value bool) policy.Location {
	loc := policy.Location{File: p.file}
	if p.root == nil {
		return loc
	}
	n := fieldpath.Walk(p.root, path, value)
	loc.Line, loc.Col = n.Line, n.Column
	return loc
}

// errorf records an error at the field path.
func (p *parser) errorf(path string, format string, args ...any) {
	p.errorAt(p.at(path, false), path, fmt.Sprintf(format, args...))
}

// valueErrorf records an error at the value of the field path.
func (p *parser) valueErrorf(path string, format string, args ...any) {
	p.errorAt(p.at(path, true), path, fmt.Sprintf(format, args...))
}

func (p *parser) errorAt(loc policy.Location, path, msg string) {
	d := policy.Diagnostic{Severity: policy.Error, Location: loc, Field: path, Msg: msg, Code: policy.CodeInvalid}
	if p.rule != "" {
		d.Kind, d.Name = "rule", strconv.Quote(p.rule)
	}
	p.diags = append(p.diags, d)
}

// recode sets the code of the last diagnostic, for problems finer than
// an invalid value.
func (p *parser) recode(c policy.Code) { p.diags[len(p.diags)-1].Code = c }

var yamlLineRE = regexp.MustCompile(`^line (\d+): `)

// yamlParserProblems are the problems libyaml's parser (as opposed to its
// scanner) reports; go.yaml.in/yaml/v2 gives their line one too early.
var yamlParserProblems = []string{
	"did not find expected <", "did not find expected key", "did not find expected node content",
	"did not find expected '-' indicator", "did not find expected ',' or", "found duplicate %",
	"found incompatible YAML document", "found undefined tag handle",
}

// yamlErrors reports an error of the YAML parser, one diagnostic per
// problem, at its line.
func (p *parser) yamlErrors(err error) {
	s := strings.TrimPrefix(err.Error(), "error converting YAML to JSON: ")
	s = strings.TrimPrefix(s, "yaml: ")
	problems := []string{s}
	if rest, ok := strings.CutPrefix(s, "unmarshal errors:\n"); ok {
		problems = strings.Split(rest, "\n")
	}
	for _, msg := range problems {
		msg = strings.TrimSpace(msg)
		loc := policy.Location{File: p.file}
		if m := yamlLineRE.FindStringSubmatch(msg); m != nil {
			loc.Line, _ = strconv.Atoi(m[1])
			msg = msg[len(m[0]):]
			for _, pp := range yamlParserProblems {
				if strings.HasPrefix(msg, pp) {
					loc.Line++
					break
				}
			}
		}
		p.errorAt(loc, "", "invalid YAML: "+msg)
		p.recode(policy.CodeSyntax)
	}
}

func (p *parser) parse() *Expectations {
	trimmed := bytes.TrimSpace(p.text)
	if len(trimmed) == 0 {
		p.errorf("", "empty file: expected apiVersion: %s, kind: %s and rules", APIVersion, Kind)
		return nil
	}
	// One document: the YAML tree gives positions; a second document is
	// an error rather than silently ignored.
	dec := yaml.NewDecoder(bytes.NewReader(p.text))
	var root yaml.Node
	if err := dec.Decode(&root); err == nil && len(root.Content) == 0 || errors.Is(err, io.EOF) {
		p.errorf("", "empty file: expected apiVersion: %s, kind: %s and rules", APIVersion, Kind)
		return nil
	} else if err == nil {
		p.root = root.Content[0]
		var extra yaml.Node
		if err := dec.Decode(&extra); err == nil {
			p.errorAt(policy.Location{File: p.file, Line: extra.Line, Col: extra.Column}, "",
				"a second YAML document; an expectations file holds one document (put every rule under rules)")
			return nil
		}
	}
	j, err := syaml.YAMLToJSONStrict(p.text)
	if err != nil {
		p.yamlErrors(err)
		return nil
	}
	if !bytes.HasPrefix(bytes.TrimSpace(j), []byte("{")) {
		p.errorf("", "expected a mapping with apiVersion, kind and rules")
		return nil
	}
	var f fileJSON
	if !p.decode("", j, &f) {
		return nil
	}
	if f.APIVersion != APIVersion {
		p.valueErrorf("apiVersion", "expected %s, got %q", APIVersion, f.APIVersion)
	}
	if f.Kind != Kind {
		p.valueErrorf("kind", "expected %s, got %q", Kind, f.Kind)
	}
	if len(f.Rules) == 0 {
		p.errorf("rules", "expected at least one rule")
	}
	x := &Expectations{File: p.file}
	names := map[string]string{}
	var ats []string
	defer func() { p.checkContradictions(x.Rules, ats) }()
	for i, rj := range f.Rules {
		at := fmt.Sprintf("rules[%d]", i)
		r := p.rule1(at, rj)
		if r == nil {
			continue
		}
		ats = append(ats, at)
		if first, dup := names[r.Name]; dup {
			p.valueErrorf(at+".name", "duplicate rule name (first used at %s); names identify rules in reports", first)
		}
		names[r.Name] = r.Source.String()
		x.Rules = append(x.Rules, r)
	}
	return x
}

// decode unmarshals j (found at path prefix at) into v strictly and
// reports every problem.
func (p *parser) decode(at string, j []byte, v any) bool {
	strict, err := sjson.UnmarshalStrict(j, v, sjson.DisallowDuplicateFields, sjson.DisallowUnknownFields)
	if err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			path := fieldpath.AtOffset(j, te.Offset)
			if path == "" {
				path = te.Field
			}
			path = join(at, path)
			p.valueErrorf(path, "expected %s, got %s", describeType(te.Type), te.Value)
			p.recode(policy.CodeTypeInvalid)
			return false
		}
		if ok, off := sjson.SyntaxErrorOffset(err); ok {
			p.errorf(join(at, fieldpath.AtOffset(j, off)), "invalid JSON: %v", err)
			p.recode(policy.CodeSyntax)
			return false
		}
		p.errorf(at, "%s", strings.TrimPrefix(err.Error(), "json: "))
		return false
	}
	for _, e := range strict {
		var fe sjson.FieldError
		path, msg, code := at, e.Error(), policy.CodeInvalid
		if errors.As(e, &fe) {
			path = join(at, fe.FieldPath())
			switch {
			case strings.HasPrefix(msg, "unknown field"):
				msg, code = "unknown field"+didYouMean(lastField(fe.FieldPath())), policy.CodeUnknownField
			case strings.HasPrefix(msg, "duplicate field"):
				msg, code = "duplicate field", policy.CodeDuplicateField
			}
		}
		p.errorf(path, "%s", msg)
		p.recode(code)
	}
	return len(strict) == 0
}

// knownFields are the field names of the format, to suggest the right
// spelling of an unknown one.
var knownFields = []string{"apiVersion", "kind", "rules", "name", "description", "from", "to", "ports",
	"expect", "isolate", "layer", "namespacesBy", "except", "with", "namespace", "namespaceSelector", "podSelector",
	"pod", "workload", "selector", "cidr", "notCIDR", "internet", "ingressController", "service", "protocol", "port", "endPort", "matchLabels",
	"matchExpressions", "key", "operator", "values"}

func didYouMean(name string) string {
	for _, k := range knownFields {
		if k != name && strings.EqualFold(k, name) {
			return fmt.Sprintf(" (field names are case-sensitive: did you mean %s?)", k)
		}
	}
	switch name {
	case "namespaces":
		return " (did you mean namespace? it takes a name or a list)"
	case "pods":
		return " (did you mean pod? it takes a name or a list)"
	case "workloads":
		return " (did you mean workload? it takes a name or a list)"
	case "services":
		return " (did you mean service? it takes namespace/name or a list)"
	case "ip", "ipBlock":
		return " (did you mean cidr? it takes CIDRs or addresses)"
	}
	return ""
}

func lastField(path string) string {
	if i := strings.LastIndexAny(path, ".]"); i >= 0 {
		return path[i+1:]
	}
	return path
}

func join(at, path string) string {
	switch {
	case at == "":
		return path
	case path == "":
		return at
	case strings.HasPrefix(path, "["):
		return at + path
	}
	return at + "." + path
}

// describeType names a Go type for people.
func describeType(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Bool:
		return "true or false"
	case reflect.Slice, reflect.Array:
		return "a list"
	case reflect.Map, reflect.Struct:
		return "a mapping"
	}
	return t.String()
}

func (p *parser) rule1(at string, rj ruleJSON) *Rule {
	r := &Rule{Name: rj.Name, Description: rj.Description, Source: p.at(at, true)}
	p.rule = rj.Name
	defer func() { p.rule = "" }()
	n := len(p.diags)
	if strings.TrimSpace(rj.Name) == "" {
		p.errorAt(r.Source, at+".name", "every rule needs a name: reports identify rules by it")
	}
	if rj.Isolate != nil {
		r.Kind = Isolate
		for _, f := range []struct {
			name string
			set  bool
		}{{"from", rj.From != nil}, {"to", rj.To != nil}, {"ports", rj.Ports != nil}, {"expect", rj.Expect != ""}} {
			if f.set {
				p.errorf(at+"."+f.name, "isolate cannot be combined with %s: isolate always expects deny between groups; put exempt flows under isolate.except", f.name)
			}
		}
		r.Isolate = p.isolation(at+".isolate", rj.Isolate)
	} else {
		switch rj.Expect {
		case "allow":
			r.Kind = Allow
		case "deny":
			r.Kind = Deny
		case "":
			p.errorAt(r.Source, at, "missing expect: give expect: allow or expect: deny (or use isolate)")
		default:
			p.valueErrorf(at+".expect", "expected allow or deny, got %q", rj.Expect)
		}
		if rj.From == nil {
			p.errorAt(r.Source, at, "missing from: say which sources the rule is about")
		}
		if rj.To == nil {
			p.errorAt(r.Source, at, "missing to: say which destinations the rule is about")
		}
		r.From = p.selection(at+".from", rj.From)
		r.To = p.selection(at+".to", rj.To)
		r.Ports = p.ports(at+".ports", rj.Ports)
		p.checkNewPods(at, r)
	}
	if layer, err := reachability.ParseLayer(rj.Layer); err != nil {
		p.valueErrorf(at+".layer", "expected combined, network or mesh, got %q", rj.Layer)
	} else {
		r.Layer = layer
	}
	if len(p.diags) > n {
		return nil
	}
	return r
}

func (p *parser) isolation(at string, ij *isolateJSON) *Isolation {
	iso := &Isolation{NamespacesBy: ij.NamespacesBy, NewPods: ij.NewPods}
	if ij.NamespacesBy == "" {
		p.errorf(at, "missing namespacesBy: the namespace label whose values are the tenants")
	} else if _, err := selector.FromLabelSelector(&metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{Key: ij.NamespacesBy, Operator: metav1.LabelSelectorOpExists}}}); err != nil {
		p.valueErrorf(at+".namespacesBy", "invalid label key %q: %v", ij.NamespacesBy, err)
	}
	for i, ej := range ij.Except {
		eat := fmt.Sprintf("%s.except[%d]", at, i)
		ex := Exception{Source: p.at(eat, true)}
		switch {
		case ej.With != nil && (ej.From != nil || ej.To != nil):
			p.errorf(eat+".with", "with cannot be combined with from or to: with already exempts flows in both directions")
		case ej.With != nil:
			ex.From = p.selection(eat+".with", ej.With)
			ex.To, ex.Either = ex.From, true
		case ej.From == nil && ej.To == nil:
			p.errorAt(ex.Source, eat, "an exception needs from, to or with: otherwise it would exempt every flow")
		default:
			if ej.From != nil {
				ex.From = p.selection(eat+".from", ej.From)
			}
			if ej.To != nil {
				ex.To = p.selection(eat+".to", ej.To)
			}
		}
		ex.Ports = p.ports(eat+".ports", ej.Ports)
		iso.Except = append(iso.Except, ex)
	}
	return iso
}

func (p *parser) selection(at string, sj *selectionJSON) *Selection {
	if sj == nil {
		return nil
	}
	s := &Selection{Source: p.at(at, true)}
	var text []string
	add := func(field, v string) { text = append(text, field+": "+v) }
	if sj.Namespace != nil {
		s.Namespaces = p.globs(at+".namespace", sj.Namespace, checkName)
		add("namespace", strings.Join(s.Namespaces, " | "))
	}
	if sj.NamespaceSelector != nil {
		s.NamespaceSelector = p.labelSelector(at+".namespaceSelector", sj.NamespaceSelector)
		if s.NamespaceSelector != nil {
			add("namespaceSelector", kubeSelectorText(sj.NamespaceSelector))
		}
	}
	if sj.PodSelector != nil {
		s.PodSelector = p.labelSelector(at+".podSelector", sj.PodSelector)
		if s.PodSelector != nil {
			add("podSelector", kubeSelectorText(sj.PodSelector))
		}
	}
	if sj.Pod != nil {
		s.Pods = p.globs(at+".pod", sj.Pod, checkName)
		add("pod", strings.Join(s.Pods, " | "))
	}
	if sj.Workload != nil {
		s.Workloads = p.globs(at+".workload", sj.Workload, checkWorkload)
		add("workload", strings.Join(s.Workloads, " | "))
	}
	if sj.Selector != nil {
		sel, err := selector.Parse(*sj.Selector)
		if err != nil {
			loc := p.at(at+".selector", true)
			var pe *selector.ParseError
			if errors.As(err, &pe) && loc.Col > 0 {
				n := fieldpath.Walk(p.root, at+".selector", true)
				if n.Style == 0 || n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) != 0 {
					if n.Style != 0 {
						loc.Col++
					}
					loc.Col += pe.Column - 1
				}
			}
			p.errorAt(loc, at+".selector", "invalid Calico selector: "+strings.TrimPrefix(err.Error(), "selector: "))
		} else {
			s.Selector = &sel
			add("selector", sel.String())
		}
	}
	if sj.CIDR != nil {
		s.CIDRs = p.cidrs(at+".cidr", sj.CIDR)
		add("cidr", prefixesText(s.CIDRs))
	}
	if sj.NotCIDR != nil {
		s.NotCIDRs = p.cidrs(at+".notCIDR", sj.NotCIDR)
		add("notCIDR", prefixesText(s.NotCIDRs))
		if sj.CIDR == nil {
			p.errorf(at+".notCIDR", "notCIDR needs cidr: it carves addresses out of cidr")
		}
	}
	derived := 0
	pseudo := func(field string, v *bool, dst *bool) {
		if v == nil {
			return
		}
		derived++
		*dst = *v
		add(field, fmt.Sprint(*v))
		if !*v {
			p.valueErrorf(at+"."+field, "%s: false selects nothing: leave the field out", field)
		}
	}
	pseudo("internet", sj.Internet, &s.Internet)
	pseudo("ingressController", sj.IngressController, &s.IngressController)
	if sj.Service != nil {
		derived++
		s.Services = p.globs(at+".service", sj.Service, checkService)
		add("service", strings.Join(s.Services, " | "))
	}
	others := sj.Namespace != nil || sj.NamespaceSelector != nil || sj.PodSelector != nil ||
		sj.Pod != nil || sj.Workload != nil || sj.Selector != nil || sj.CIDR != nil || sj.NotCIDR != nil || sj.NewPods
	switch {
	case derived > 1 || derived == 1 && others:
		p.errorAt(s.Source, at, "internet, ingressController and service each make a whole selection: give one of them and no other field")
	case derived == 0 && !others:
		p.errorAt(s.Source, at, `empty selection: give namespace, namespaceSelector, podSelector, pod, workload, selector, cidr, internet, ingressController or service (namespace: "*" selects every endpoint)`)
	}
	if sj.NewPods {
		s.NewPods = true
		add("newPods", "true")
		for _, f := range []struct {
			name string
			set  bool
		}{{"pod", sj.Pod != nil}, {"workload", sj.Workload != nil}, {"cidr", sj.CIDR != nil},
			{"internet", sj.Internet != nil}, {"ingressController", sj.IngressController != nil}, {"service", sj.Service != nil}} {
			if f.set {
				p.errorf(at+"."+f.name, "newPods cannot be combined with %s: a pod that does not exist yet has no name, workload, known address or Service", f.name)
			}
		}
	}
	s.text = strings.Join(text, ", ")
	return s
}

// strings1 decodes a string or a list of strings.
func (p *parser) strings1(at string, raw json.RawMessage) ([]string, bool) {
	var one string
	if err := json.Unmarshal(raw, &one); err == nil {
		return []string{one}, true
	}
	var list []string
	if err := json.Unmarshal(raw, &list); err == nil && len(list) > 0 {
		return list, true
	}
	p.valueErrorf(at, "expected a string or a non-empty list of strings, got %s", describeJSON(raw))
	return nil, false
}

// describeJSON names the kind of a JSON value for messages.
func describeJSON(raw json.RawMessage) string {
	t := bytes.TrimSpace(raw)
	if len(t) == 0 {
		return "nothing"
	}
	switch t[0] {
	case '{':
		return "a mapping"
	case '[':
		if bytes.Equal(bytes.ReplaceAll(t, []byte(" "), nil), []byte("[]")) {
			return "an empty list"
		}
		return "a list with a value that is not a string"
	case '"':
		return "a string"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null (an empty value)"
	}
	return "the number " + string(t)
}

// globs decodes names or globs and checks each.
func (p *parser) globs(at string, raw json.RawMessage, check func(string) error) []string {
	list, ok := p.strings1(at, raw)
	if !ok {
		return nil
	}
	single := raw[0] == '"'
	for i, g := range list {
		path := at
		if !single {
			path = fmt.Sprintf("%s[%d]", at, i)
		}
		if _, err := pathMatch(g, ""); err != nil {
			p.valueErrorf(path, "invalid glob %q: %v", g, err)
			continue
		}
		if err := check(g); err != nil {
			p.valueErrorf(path, "%v", err)
		}
	}
	return list
}

// pathMatch is path.Match; a variable so the glob dialect is named once.
var pathMatch = path.Match

// checkName rejects names that no namespace or pod can have, ignoring
// glob characters.
func checkName(g string) error {
	if g == "" {
		return errors.New("empty name")
	}
	if strings.Contains(g, "/") {
		return fmt.Errorf("%q contains '/': give the namespace and the pod name in separate fields (namespace: ns, pod: name)", g)
	}
	return nil
}

// checkService accepts "namespace/name" (globs allowed).
func checkService(g string) error {
	ns, name, ok := strings.Cut(g, "/")
	if !ok || ns == "" || name == "" || strings.Contains(name, "/") {
		return fmt.Errorf("%q: expected namespace/name of a Service (shop/web, shop/*)", g)
	}
	return nil
}

// checkWorkload accepts "Kind/name" or "name" (globs allowed).
func checkWorkload(g string) error {
	if g == "" {
		return errors.New("empty workload")
	}
	if strings.Count(g, "/") > 1 {
		return fmt.Errorf("%q: expected Kind/name (Deployment/web) or a name", g)
	}
	return nil
}

func (p *parser) labelSelector(at string, ls *metav1.LabelSelector) *selector.Selector {
	sel, err := selector.FromLabelSelector(ls)
	if err != nil {
		p.valueErrorf(at, "invalid label selector: %v", err)
		return nil
	}
	return &sel
}

// kubeSelectorText writes a label selector compactly: "app=web,tier in (a,b)".
func kubeSelectorText(ls *metav1.LabelSelector) string {
	s, err := metav1.LabelSelectorAsSelector(ls)
	if err != nil || s.String() == "" {
		return "{}"
	}
	return s.String()
}

func (p *parser) cidrs(at string, raw json.RawMessage) []netip.Prefix {
	list, ok := p.strings1(at, raw)
	if !ok {
		return nil
	}
	single := raw[0] == '"'
	var out []netip.Prefix
	for i, c := range list {
		path := at
		if !single {
			path = fmt.Sprintf("%s[%d]", at, i)
		}
		pf, _, err := policy.ParseIPOrCIDR(c)
		if err != nil {
			p.valueErrorf(path, "expected a CIDR (10.0.0.0/8) or an address: %v", err)
			continue
		}
		out = append(out, pf.Masked())
	}
	return out
}

func prefixesText(ps []netip.Prefix) string {
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = p.String()
	}
	return strings.Join(s, " | ")
}

// ports decodes a ports list: each entry a short-form string ("53/UDP"), a
// number (TCP), or an object {protocol, port, endPort} as in a
// NetworkPolicy.
func (p *parser) ports(at string, raws []json.RawMessage) []Port {
	if raws == nil {
		return nil
	}
	if len(raws) == 0 {
		p.errorf(at, "empty ports: leave ports out to check every port")
		return nil
	}
	var out []Port
	var index []int // position in raws of each entry of out
	defer func() { p.checkPortOverlaps(at, out, index) }()
	for i, raw := range raws {
		pat := fmt.Sprintf("%s[%d]", at, i)
		t := bytes.TrimSpace(raw)
		switch {
		case len(t) > 0 && t[0] == '"':
			var s string
			_ = json.Unmarshal(t, &s)
			pt, err := ParsePort(s)
			if err != nil {
				p.valueErrorf(pat, "%v; expected 80, 80/TCP, 8000-8080/TCP, UDP, http or dns/UDP", err)
				continue
			}
			out, index = append(out, pt), append(index, i)
		case len(t) > 0 && (t[0] >= '0' && t[0] <= '9' || t[0] == '-'):
			n, err := portNumber(string(t))
			if err != nil {
				p.valueErrorf(pat, "%v", err)
				continue
			}
			out, index = append(out, Port{Protocol: policy.TCP, Lo: n, Hi: n}), append(index, i)
		case len(t) > 0 && t[0] == '{':
			var pj portJSON
			if !p.decode(pat, t, &pj) {
				continue
			}
			if pt, ok := p.portObject(pat, pj); ok {
				out, index = append(out, pt), append(index, i)
			}
		default:
			p.valueErrorf(pat, "expected a port (80/TCP), a number or a mapping {protocol, port, endPort}, got %s", describeJSON(raw))
		}
	}
	return out
}

func (p *parser) portObject(at string, pj portJSON) (Port, bool) {
	proto := policy.TCP
	if pj.Protocol != nil {
		pr, err := policy.ParseProtocol(*pj.Protocol)
		if err != nil || pr == policy.AnyProtocol {
			p.valueErrorf(at+".protocol", "unknown protocol %q: expected TCP, UDP, SCTP, ICMP, ICMPv6 or a number", *pj.Protocol)
			return Port{}, false
		}
		proto = pr
	}
	if pj.Port == nil {
		if pj.EndPort != nil {
			p.errorf(at+".endPort", "endPort needs port")
			return Port{}, false
		}
		if pj.Protocol == nil {
			p.errorf(at, "empty port: give protocol, port or both")
			return Port{}, false
		}
		return wholeProtocol(proto), true
	}
	if !proto.HasPorts() {
		p.errorf(at+".port", "%s has no ports", proto)
		return Port{}, false
	}
	if pj.Port.Type == intstr.String {
		if pj.EndPort != nil {
			p.errorf(at+".endPort", "endPort needs a numeric port, not the named port %q", pj.Port.StrVal)
			return Port{}, false
		}
		if err := checkPortName(pj.Port.StrVal); err != nil {
			p.valueErrorf(at+".port", "%v", err)
			return Port{}, false
		}
		if pj.Protocol == nil {
			proto = policy.AnyProtocol
		}
		return Port{Protocol: proto, Name: pj.Port.StrVal}, true
	}
	lo, err := portNumber(strconv.Itoa(int(pj.Port.IntVal)))
	if err != nil {
		p.valueErrorf(at+".port", "%v", err)
		return Port{}, false
	}
	hi := lo
	if pj.EndPort != nil {
		e, err := portNumber(strconv.Itoa(int(*pj.EndPort)))
		if err != nil {
			p.valueErrorf(at+".endPort", "%v", err)
			return Port{}, false
		}
		if e < lo {
			p.valueErrorf(at+".endPort", "endPort %d is below port %d", e, lo)
			return Port{}, false
		}
		hi = e
	}
	return Port{Protocol: proto, Lo: lo, Hi: hi}, true
}
