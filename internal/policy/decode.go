package policy

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	yaml2 "go.yaml.in/yaml/v2"
	yaml3 "go.yaml.in/yaml/v3"
	sjson "sigs.k8s.io/json"

	"github.com/netreach/netreach/internal/fieldpath"
)

// decodeCtx carries what a kind handler needs to decode one object and
// report problems at the right place.
type decodeCtx struct {
	l         *Loader
	doc       *document
	at        string // path prefix of the object in its document
	loc       Location
	kind      string
	name      string
	namespace string
	src       objectSource
}

// kindHandler decodes one object of a known apiVersion and kind. It reads
// the object only through c.decode(j, &obj), which decodes it from j (the
// full decoder) or from the fast path's tree (then j is nil), and then
// validates and stores what it decoded.
type kindHandler func(l *Loader, c *decodeCtx, j []byte)

// handlers maps "apiVersion|kind" to the handler for it.
var handlers = map[string]kindHandler{}

func register(apiVersion, kind string, h kindHandler) {
	handlers[apiVersion+"|"+kind] = rejectable(apiVersion, h)
}

// ref returns the object's reference.
func (c *decodeCtx) ref() ObjectRef {
	return ObjectRef{Kind: c.kind, Namespace: c.namespace, Name: c.name, Source: c.loc, Origin: c.l.origin}
}

// field returns the location of a field of the object.
func (c *decodeCtx) field(path string) Location {
	if c.doc == nil {
		return c.loc
	}
	return c.doc.locate(c.at + path)
}

func (c *decodeCtx) diag(sev Severity, path, msg string) {
	c.diagCode(sev, "", "", path, msg)
}

// diagCode reports a diagnostic with its code and offending value.
func (c *decodeCtx) diagCode(sev Severity, code Code, value, path, msg string) {
	c.l.add(Diagnostic{Severity: sev, Location: c.field(path), Kind: c.kind, Namespace: c.namespace, Name: c.name, Field: path, Code: code, Value: value, Msg: msg})
}

func (c *decodeCtx) errorf(path, format string, args ...any) {
	c.diag(Error, path, fmt.Sprintf(format, args...))
}

func (c *decodeCtx) warnf(path, format string, args ...any) {
	c.diag(Warning, path, fmt.Sprintf(format, args...))
}

// decode unmarshals j into v strictly: field names are case-sensitive,
// unknown and duplicate fields are reported (as warnings, or errors with
// LoadOptions.Strict) and then ignored, exactly as the API server stores
// the object. A type mismatch is an error and decode returns false.
func (c *decodeCtx) decode(j []byte, v any) bool {
	if c.src.tree != nil {
		if c.src.tree.decode(c.src.node, v, false, c.l.strs) {
			return true
		}
		c.l.bailed = true
		return false
	}
	strict, err := sjson.UnmarshalStrict(j, v, sjson.DisallowDuplicateFields, sjson.DisallowUnknownFields)
	if err != nil {
		if errs := customErrors(j, v); len(errs) > 0 && isCustomError(err) {
			for _, e := range errs {
				c.errorf(e.path, "%s", e.msg)
			}
			return false
		}
		path, msg := describeDecodeError(j, err, v)
		code := CodeTypeInvalid
		if strings.HasPrefix(msg, "invalid JSON") {
			code = CodeSyntax
		}
		c.diagCode(Error, code, "", path, msg)
		return false
	}
	sev := Warning
	if c.l.opts.Strict {
		sev = Error
	}
	for _, e := range strict {
		path, msg, code := "", e.Error(), Code("")
		var fe sjson.FieldError
		if errors.As(e, &fe) {
			path = fe.FieldPath()
			msg = strictMessage(e.Error(), path, v)
		}
		value := path[strings.LastIndexByte(path, '.')+1:]
		switch {
		case strings.HasPrefix(e.Error(), "unknown field"):
			code = CodeUnknownField
		case strings.HasPrefix(e.Error(), "duplicate field"):
			code = CodeDuplicateField
		default:
			value = ""
		}
		c.diagCode(sev, code, value, path, msg)
	}
	return true
}

// isCustomError reports whether a decoding error comes from a type's own
// UnmarshalJSON (a Calico port or protocol, a quantity) rather than from
// the JSON decoder.
func isCustomError(err error) bool {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return false
	}
	ok, _ := sjson.SyntaxErrorOffset(err)
	return !ok
}

// fieldError is one problem found at a field path.
type fieldError struct{ path, msg string }

// customErrors finds every value of j that the type declared for it in v
// decodes with its own UnmarshalJSON and rejects, with its field path: the
// JSON decoder stops at the first such error and does not say where it
// is.
func customErrors(j []byte, v any) []fieldError {
	root := reflect.TypeOf(v)
	var out []fieldError
	isCustom := func(t reflect.Type) bool {
		return t != nil && t.Kind() != reflect.Pointer && reflect.PointerTo(t).Implements(unmarshalerType)
	}
	walkJSON(j, func(p string) bool { return !isCustom(declaredType(root, p)) }, func(jv jsonValue) bool {
		t := declaredType(root, jv.path)
		if !isCustom(t) || jv.kind == 'n' {
			return true
		}
		var raw json.RawMessage
		if json.NewDecoder(bytes.NewReader(j[jv.valOff:])).Decode(&raw) != nil {
			return true
		}
		if err := reflect.New(t).Interface().(json.Unmarshaler).UnmarshalJSON(raw); err != nil {
			out = append(out, fieldError{jv.path, strings.TrimPrefix(err.Error(), "json: ")})
		}
		return true
	})
	return out
}

// declaredType returns the Go type that decoding into a value of type t
// gives the value at path (list indices included), pointers removed; nil
// when the path leaves the declared structs (map values, unknown fields).
func declaredType(t reflect.Type, path string) reflect.Type {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	for path != "" {
		if path[0] == '[' {
			end := strings.IndexByte(path, ']')
			if end < 0 || t.Kind() != reflect.Slice && t.Kind() != reflect.Array {
				return nil
			}
			t, path = t.Elem(), strings.TrimPrefix(path[end+1:], ".")
		} else {
			if t.Kind() != reflect.Struct {
				return nil
			}
			name := path
			if i := strings.IndexAny(path, ".["); i >= 0 {
				name = path[:i]
			}
			f, ok := jsonField(t, name)
			if !ok {
				return nil
			}
			t, path = f, strings.TrimPrefix(path[len(name):], ".")
		}
		for t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
	}
	return t
}

var misplacedPortsRE = regexp.MustCompile(`^spec\.(ingress|egress)\[\d+\]\.(from|to)\[\d+\]\.ports$`)

// strictMessage explains a strict-decoding problem of the field at path
// of v: unknown fields are dropped by the API server, duplicate fields
// keep their last value.
func strictMessage(s, path string, v any) string {
	switch {
	case strings.HasPrefix(s, "unknown field"):
		const dropped = "unknown field; the API server drops it, so it has no effect"
		if misplacedPortsRE.MatchString(path) {
			return "unknown field: ports belongs to the rule, not to a peer (indent it like from/to); the API server drops it, so it does not restrict the rule's ports"
		}
		if path == "spec.ports" {
			return "unknown field: ports belongs in an ingress or egress rule; the API server drops it, so it has no effect"
		}
		if want := caseMismatch(v, path); want != "" {
			return fmt.Sprintf("%s (field names are case-sensitive: did you mean %s?)", dropped, want)
		}
		return dropped
	case strings.HasPrefix(s, "duplicate field"):
		return "duplicate field; the last value is used"
	}
	return s
}

// caseMismatch returns the field of v's type at path that differs from the
// unknown field at path only in case ("podSelector" for "podselector"), or
// "".
func caseMismatch(v any, path string) string {
	if v == nil {
		return ""
	}
	parent, name := "", path
	if i := strings.LastIndexByte(path, '.'); i >= 0 {
		parent, name = path[:i], path[i+1:]
	}
	t := reflect.TypeOf(v)
	if parent != "" {
		t = fieldType(t, stripIndices(parent))
	}
	for t != nil && (t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice) {
		t = t.Elem()
	}
	if t == nil || t.Kind() != reflect.Struct {
		return ""
	}
	var found string
	eachJSONField(t, func(f string) {
		if found == "" && f != name && strings.EqualFold(f, name) {
			found = f
		}
	})
	return found
}

// eachJSONField calls fn with the JSON name of every field of struct type
// t, including those of embedded and inlined structs.
func eachJSONField(t reflect.Type, fn func(string)) {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
		if tag == "-" || !f.IsExported() && !f.Anonymous {
			continue
		}
		ft := f.Type
		for ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		if tag == "" && (f.Anonymous || strings.Contains(opts, "inline")) && ft.Kind() == reflect.Struct {
			eachJSONField(ft, fn)
			continue
		}
		if tag == "" {
			tag = f.Name
		}
		fn(tag)
	}
}

// describeDecodeError turns an error of decoding j into v into a field
// path and a message saying what was expected.
func describeDecodeError(j []byte, err error, v any) (path, msg string) {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		path, t := typeErrorPath(j, te, v)
		return path, fmt.Sprintf("expected %s, got %s", describeType(t), describeJSONValue(te.Value))
	}
	if ok, off := sjson.SyntaxErrorOffset(err); ok {
		return fieldpath.AtOffset(j, off), "invalid JSON: " + err.Error()
	}
	msg = err.Error()
	// Custom unmarshalers (intstr, quantities) report plain errors.
	msg = strings.TrimPrefix(msg, "json: ")
	return "", msg
}

// typeErrorPath finds the field path of a type error and the Go type that
// was expected there. encoding/json reports the offset where decoding
// failed, but a custom unmarshaler (IntOrString, Time) decodes its value on
// its own, so the offset and type are relative to that value; then the
// error's Field (the path without list indices) finds the first value of
// that field of the wrong JSON kind, and the declared type of the field
// is what was expected.
func typeErrorPath(j []byte, te *json.UnmarshalTypeError, v any) (string, reflect.Type) {
	path := fieldpath.AtOffset(j, te.Offset)
	if te.Field == "" || isPathPrefix(te.Field, stripIndices(path)) {
		return path, te.Type
	}
	t := te.Type
	if v != nil {
		if ft := fieldType(reflect.TypeOf(v), te.Field); ft != nil {
			t = ft
		}
	}
	// The first value of the field that is of the reported JSON kind and
	// does not decode into the field's type is the culprit.
	kind := jsonKindOf(te.Value)
	found := ""
	walkJSON(j, func(p string) bool { return isPathPrefix(stripIndices(p), te.Field) }, func(jv jsonValue) bool {
		if stripIndices(jv.path) != te.Field || (kind != 0 && kindClass(jv.kind) != kind) {
			return true
		}
		if found == "" {
			found = jv.path // the fallback: the first of the right kind
		}
		var raw json.RawMessage
		if json.NewDecoder(bytes.NewReader(j[jv.valOff:])).Decode(&raw) == nil &&
			sjson.UnmarshalCaseSensitivePreserveInts(raw, reflect.New(t).Interface()) != nil {
			found = jv.path
			return false
		}
		return true
	})
	if found == "" {
		found = te.Field
	}
	return found, t
}

// jsonKindOf maps UnmarshalTypeError.Value ("bool", "number 1.5", "object")
// to the class [kindClass] gives the first byte of such a value; 0 when
// unknown.
func jsonKindOf(value string) byte {
	switch {
	case value == "object":
		return '{'
	case value == "array":
		return '['
	case value == "string":
		return '"'
	case value == "bool":
		return 't'
	case strings.HasPrefix(value, "number"):
		return '0'
	}
	return 0
}

// kindClass maps the first byte of a JSON value to its class: '{', '[',
// '"', 't' for booleans, 'n' for null and '0' for numbers.
func kindClass(c byte) byte {
	switch c {
	case '{', '[', '"', 'n':
		return c
	case 't', 'f':
		return 't'
	}
	return '0'
}

// fieldType returns the declared Go type of the field at the dotted path
// (without list indices) of type t, following json tags; nil when the
// path cannot be followed.
func fieldType(t reflect.Type, path string) reflect.Type {
	for _, name := range strings.Split(path, ".") {
		for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice || t.Kind() == reflect.Array {
			t = t.Elem()
		}
		if t.Kind() != reflect.Struct {
			return nil
		}
		f, ok := jsonField(t, name)
		if !ok {
			return nil
		}
		t = f
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t
}

// jsonField finds the field of struct type t that encoding/json decodes the
// key name into, looking into embedded and inlined structs.
func jsonField(t reflect.Type, name string) (reflect.Type, bool) {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
		if tag == "-" {
			continue
		}
		ft := f.Type
		for ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		if tag == "" && (f.Anonymous || strings.Contains(opts, "inline")) && ft.Kind() == reflect.Struct {
			if inner, ok := jsonField(ft, name); ok {
				return inner, true
			}
			continue
		}
		if tag == "" {
			tag = f.Name
		}
		if tag == name {
			return f.Type, true
		}
	}
	return nil, false
}

// describeType names a Go type the way a manifest author thinks of it.
func describeType(t reflect.Type) string {
	if t == nil {
		return "a value"
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Name() {
	case "IntOrString":
		return "an integer or a string"
	case "Time":
		return "a timestamp string"
	case "Quantity":
		return "a quantity"
	}
	switch t.Kind() {
	case reflect.Struct, reflect.Map:
		return "a mapping"
	case reflect.Slice, reflect.Array:
		return "a list"
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	}
	return t.String()
}

// describeJSONValue names the kind of a JSON value from UnmarshalTypeError.Value.
func describeJSONValue(v string) string {
	switch {
	case v == "object":
		return "a mapping"
	case v == "array":
		return "a list"
	case v == "string":
		return "a string"
	case v == "bool":
		return "a boolean"
	case strings.HasPrefix(v, "number"):
		if n := strings.TrimSpace(strings.TrimPrefix(v, "number")); n != "" {
			return "the number " + n
		}
		return "a number"
	}
	return v
}

var (
	yamlLineRE      = regexp.MustCompile(`^line (\d+): `)
	yamlDuplicateRE = regexp.MustCompile(`^line (\d+): key (".*") already set in map$`)
	yamlAnchorRE    = regexp.MustCompile(`^(?:unknown anchor|anchor) '(.*)' (?:referenced|value contains itself)$`)
)

// yamlParserProblems are the problems libyaml's parser (as opposed to its
// scanner) reports. go.yaml.in/yaml/v2 reports the 0-based line of a parser
// problem as if it were 1-based, so these are one line early.
var yamlParserProblems = []string{
	"did not find expected <",
	"did not find expected key",
	"did not find expected node content",
	"did not find expected '-' indicator",
	"did not find expected ',' or",
	"found duplicate %",
	"found incompatible YAML document",
	"found undefined tag handle",
}

// yamlProblems are all other problems the scanner reports, with their
// line right; when the problem is on the document's first line no line is
// reported at all.
var yamlScannerProblems = []string{
	"found character that cannot start any token",
	"found a tab character",
	"found unexpected end of stream",
	"found unexpected document indicator",
	"found unknown escape character",
	"found invalid Unicode character escape code",
	"found unknown directive name",
	"found unexpected non-alphabetical character",
	"found extremely long version number",
	"found an indentation indicator equal to 0",
	"could not find expected",
	"did not find expected",
	"did not find the expected",
	"mapping values are not allowed",
	"mapping keys are not allowed",
	"block sequence entries are not allowed",
	"exceeded max depth",
	"control characters are not allowed",
	"invalid leading UTF-8 octet",
	"invalid trailing UTF-8 octet",
	"incomplete UTF-8 octet sequence",
}

func hasAnyPrefix(s string, prefixes []string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

// yamlErrors turns an error of sigs.k8s.io/yaml (go.yaml.in/yaml/v2
// underneath) into located diagnostics. The parser's line numbers are
// corrected (see [yamlParserProblems]) and, where the problem can be
// found on its line, a column is added.
func yamlErrors(d *document, err error) []Diagnostic {
	if strings.Contains(err.Error(), "unsupported value: ") {
		if bad := nonFiniteValues(d); len(bad) > 0 {
			return bad
		}
	}
	s := err.Error()
	s = strings.TrimPrefix(s, "error converting YAML to JSON: ")
	s = strings.TrimPrefix(s, "yaml: ")
	var out []Diagnostic
	if rest, ok := strings.CutPrefix(s, "unmarshal errors:\n"); ok {
		for _, ln := range strings.Split(rest, "\n") {
			out = append(out, yamlProblem(d, strings.TrimSpace(ln)))
		}
		return out
	}
	return append(out, yamlProblem(d, s))
}

// yamlProblem locates one problem reported by the YAML parser.
func yamlProblem(d *document, s string) Diagnostic {
	diag := Diagnostic{Severity: Error, Location: d.location()}
	line := 0 // 1-based line in d.text; 0 when unknown
	if m := yamlDuplicateRE.FindStringSubmatch(s); m != nil {
		// go.yaml.in/yaml/v2 gives the line of the repeated key's value;
		// the node tree has the keys.
		line, _ = strconv.Atoi(m[1])
		key, _ := strconv.Unquote(m[2])
		diag.Location = d.at(line, 0)
		diag.Msg = fmt.Sprintf("invalid YAML: duplicate key %s; the document is not read", quote(key))
		if dup, first := findDuplicateKey(d.node(), key, line); dup != nil {
			diag.Location = d.at(dup.Line, dup.Column)
			diag.Msg = fmt.Sprintf("invalid YAML: duplicate key %s (first given at %s); the document is not read",
				quote(key), d.at(first.Line, first.Column))
		}
		return diag
	}
	if m := yamlLineRE.FindStringSubmatch(s); m != nil {
		line, _ = strconv.Atoi(m[1])
		s = s[len(m[0]):]
	}
	switch {
	case strings.HasPrefix(s, "could not find expected ':'"), strings.HasPrefix(s, "found unexpected end of stream"):
		// The scanner reports where it gave up, lines after the key that
		// lacks its colon or the quote that is not closed;
		// go.yaml.in/yaml/v3 reports where that key or quote starts.
		var n yaml3.Node
		if err := yaml3.Unmarshal(d.text, &n); err != nil {
			if m := yamlLineRE.FindStringSubmatch(strings.TrimPrefix(err.Error(), "yaml: ")); m != nil {
				line, _ = strconv.Atoi(m[1])
			}
		}
		if line == 0 {
			line = 1
		}
	case hasAnyPrefix(s, yamlParserProblems):
		if line > 0 {
			line++
		} else {
			line = 1
		}
	case hasAnyPrefix(s, yamlScannerProblems):
		if line == 0 {
			line = 1
		}
	}
	if m := yamlAnchorRE.FindStringSubmatch(s); m != nil {
		sigil := "*"
		if strings.HasPrefix(s, "anchor") {
			sigil = "&"
		}
		if off := findToken(d.text, sigil+m[1]); off >= 0 {
			diag.Location = d.position(off)
		}
	} else if line > 0 {
		line = min(line, lastLine(d.text))
		diag.Location = d.at(line, 0)
		if ln := lineOf(d.text, line); strings.HasPrefix(s, "found unexpected end of stream") {
			if i := bytes.IndexAny(ln, `"'`); i >= 0 {
				diag.Location = d.at(line, utf8.RuneCount(ln[:i])+1)
				s += ": the quoted string that starts here is not closed"
			}
		}
		if ln := lineOf(d.text, line); ln != nil && (strings.Contains(s, "tab character") || strings.Contains(s, "cannot start any token")) {
			if i := bytes.IndexByte(ln, '\t'); i >= 0 {
				diag.Location = d.at(line, utf8.RuneCount(ln[:i])+1)
				if len(bytes.TrimLeft(ln[:i], " ")) == 0 {
					s = "tab character used for indentation; YAML indents with spaces only"
				}
			} else if i := reservedIndicator(ln); i >= 0 {
				diag.Location = d.at(line, utf8.RuneCount(ln[:i])+1)
				s = fmt.Sprintf("found character %q that cannot start any token (quote the value)", ln[i])
			}
		}
		if col, hint := structureHint(d.text, line, s); col > 0 {
			diag.Location = d.at(line, col)
			s += hint
		}
	}
	diag.Msg = "invalid YAML: " + s
	return diag
}

// nonFiniteValues reports the plain scalars of a document that YAML reads
// as infinity or NaN (.inf, -.Inf, .nan): JSON, and so the API server,
// has no such numbers, and sigs.k8s.io/yaml only says "unsupported value".
func nonFiniteValues(d *document) []Diagnostic {
	root := d.node()
	if root == nil {
		return nil
	}
	kind, ns, name := objectIdentity(root)
	var out []Diagnostic
	var walk func(n *yaml3.Node, path string)
	walk = func(n *yaml3.Node, path string) {
		switch n.Kind {
		case yaml3.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				p := n.Content[i].Value
				if path != "" {
					p = path + "." + p
				}
				walk(n.Content[i+1], p)
			}
		case yaml3.SequenceNode:
			for i, c := range n.Content {
				walk(c, fmt.Sprintf("%s[%d]", path, i))
			}
		case yaml3.ScalarNode:
			if n.Style != 0 || n.Tag != "!!float" {
				return
			}
			switch strings.ToLower(n.Value) {
			case ".inf", "+.inf", "-.inf", ".nan":
				out = append(out, Diagnostic{Severity: Error, Location: d.locate(path), Kind: kind, Namespace: ns, Name: name, Field: path,
					Msg: fmt.Sprintf("invalid value %s: YAML reads it as an infinite or not-a-number float, which JSON and the API server cannot hold (quote it if a string is meant); the document is not read", quote(n.Value))})
			}
		}
	}
	walk(root, "")
	return out
}

// objectIdentity reads kind, metadata.namespace and metadata.name from a
// document's node tree, for diagnostics about a document that could not
// be decoded.
func objectIdentity(root *yaml3.Node) (kind, ns, name string) {
	get := func(n *yaml3.Node, key string) *yaml3.Node {
		if n == nil || n.Kind != yaml3.MappingNode {
			return nil
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == key {
				return n.Content[i+1]
			}
		}
		return nil
	}
	str := func(n *yaml3.Node) string {
		if n == nil || n.Kind != yaml3.ScalarNode {
			return ""
		}
		return n.Value
	}
	meta := get(root, "metadata")
	return str(get(root, "kind")), str(get(meta, "namespace")), str(get(meta, "name"))
}

// structureHint places the YAML problems that come from the layout of
// lines — a key indented unlike its siblings, "key: value" pairs run
// together on one line, a key without its colon — at a column of line and
// explains them. It returns 0 for other problems.
func structureHint(text []byte, line int, problem string) (col int, hint string) {
	ln := lineOf(text, line)
	if ln == nil {
		return 0, ""
	}
	content := bytes.TrimLeft(ln, " ")
	if len(content) == 0 {
		return 0, ""
	}
	indent := len(ln) - len(content)
	start := utf8.RuneCount(ln[:indent]) + 1
	switch {
	case strings.HasPrefix(problem, "mapping values are not allowed"):
		seps := mappingSeparators(ln)
		if len(seps) >= 3 {
			key := bytes.LastIndexByte(ln[:seps[1]], ' ') + 1 // the second key
			return utf8.RuneCount(ln[:key]) + 1,
				"; several \"key: value\" pairs are on one line, as if the manifest was flattened onto one line (its line breaks lost): put each key on its own line, indented under its parent"
		}
		if prev, ok := previousContent(text, line); ok && prev.indent < indent && len(seps) == 1 && prev.scalarValue {
			return start, fmt.Sprintf("; this line is indented by %d spaces, more than the key %s above it (%d): it reads as the continuation of that key's value; indent the keys of one mapping alike", indent, quote(prev.key), prev.indent)
		}
		if len(seps) >= 2 {
			return utf8.RuneCount(ln[:seps[1]]) + 1, "; a plain value cannot contain \": \" (quote the value)"
		}
	case strings.HasPrefix(problem, "did not find expected key"), strings.HasPrefix(problem, "did not find expected '-' indicator"),
		strings.HasPrefix(problem, "block sequence entries are not allowed"):
		levels := enclosingIndents(text, line)
		if len(levels) > 0 && !slices.Contains(levels, indent) {
			return start, fmt.Sprintf("; this line is indented by %d spaces, which lines up with no enclosing key or list item (those above it are at %s): keys of one mapping, and the '-' of one list, must line up", indent, joinInts(levels))
		}
		return start, ""
	case strings.HasPrefix(problem, "could not find expected ':'"):
		return start, "; a line holds a word where a \"key: value\" was expected (a missing ':', or a value continued on a line of its own)"
	}
	return 0, ""
}

// mappingSeparators returns the offsets of the ": " (or final ':') that
// separate keys from values on a line, outside quotes and comments.
func mappingSeparators(ln []byte) []int {
	var out []int
	var quote byte
	for i := 0; i < len(ln); i++ {
		c := ln[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'':
			if i == 0 || ln[i-1] == ' ' || ln[i-1] == '-' {
				quote = c
			}
		case c == '#' && i > 0 && ln[i-1] == ' ':
			return out
		case c == ':' && (i+1 == len(ln) || ln[i+1] == ' '):
			out = append(out, i)
		}
	}
	return out
}

// contentLine describes the nearest line above with content.
type contentLine struct {
	indent      int
	key         string
	scalarValue bool // "key: value" with the value on the line
}

// previousContent returns the nearest line above line that holds
// content (not blank, not a comment).
func previousContent(text []byte, line int) (contentLine, bool) {
	for n := line - 1; n >= 1; n-- {
		ln := lineOf(text, n)
		content := bytes.TrimLeft(ln, " ")
		if len(content) == 0 || content[0] == '#' {
			continue
		}
		c := contentLine{indent: len(ln) - len(content)}
		if seps := mappingSeparators(content); len(seps) > 0 {
			c.key = string(bytes.TrimPrefix(content[:seps[0]], []byte("- ")))
			c.scalarValue = len(bytes.TrimSpace(content[seps[0]+1:])) > 0
		}
		return c, true
	}
	return contentLine{}, false
}

// enclosingIndents returns the indentations a line below the given one
// could line up with: those of the keys and list items that enclose it,
// going up from line, each shallower than the last ("- key" counting for
// both the '-' and the key).
func enclosingIndents(text []byte, line int) []int {
	var out []int
	limit := -1
	for n := line - 1; n >= 1; n-- {
		ln := lineOf(text, n)
		content := bytes.TrimLeft(ln, " ")
		if len(content) == 0 || content[0] == '#' {
			continue
		}
		indent := len(ln) - len(content)
		if limit >= 0 && indent >= limit {
			continue
		}
		levels := []int{indent}
		for rest := content; bytes.HasPrefix(rest, []byte("- ")); {
			trimmed := bytes.TrimLeft(rest[2:], " ")
			indent += len(rest) - len(trimmed)
			levels = append(levels, indent)
			rest = trimmed
		}
		for _, l := range levels {
			if !slices.Contains(out, l) {
				out = append(out, l)
			}
		}
		limit = levels[0]
		if limit == 0 {
			break
		}
	}
	slices.Sort(out)
	return out
}

func joinInts(xs []int) string {
	parts := make([]string, len(xs))
	for i, x := range xs {
		parts[i] = strconv.Itoa(x)
	}
	if len(parts) == 1 {
		return parts[0] + " spaces"
	}
	return strings.Join(parts[:len(parts)-1], ", ") + " and " + parts[len(parts)-1] + " spaces"
}

// reservedIndicator returns the offset of the first '@' or '`' on a line
// that starts a token (YAML reserves them), or -1.
func reservedIndicator(ln []byte) int {
	for i, c := range ln {
		if c != '@' && c != '`' {
			continue
		}
		if i == 0 || bytes.IndexByte([]byte(" \t:[{,-"), ln[i-1]) >= 0 {
			return i
		}
	}
	return -1
}

// lastLine returns the number of the last line of text that has any
// character: problems found at the end of the input are reported there.
func lastLine(text []byte) int {
	n := bytes.Count(text, []byte("\n"))
	if len(text) > 0 && text[len(text)-1] != '\n' {
		n++
	}
	return max(n, 1)
}

// lineOf returns the 1-based line n of text, without its line break.
func lineOf(text []byte, n int) []byte {
	for i := 1; i < n; i++ {
		nl := bytes.IndexByte(text, '\n')
		if nl < 0 {
			return nil
		}
		text = text[nl+1:]
	}
	if nl := bytes.IndexByte(text, '\n'); nl >= 0 {
		text = text[:nl]
	}
	return bytes.TrimRight(text, "\r")
}

// findToken returns the offset of tok in text where it is followed by a
// blank, a flow indicator or the end, or -1.
func findToken(text []byte, tok string) int {
	for off := 0; ; {
		i := bytes.Index(text[off:], []byte(tok))
		if i < 0 {
			return -1
		}
		end := off + i + len(tok)
		if end == len(text) || bytes.IndexByte([]byte(" \t\r\n,]}"), text[end]) >= 0 {
			return off + i
		}
		off = end
	}
}

// isMergeOverride reports whether every problem of err is a duplicate key
// that is not written twice in one mapping of the document: a key that
// overrides a value merged in with "<<".
func isMergeOverride(d *document, err error) bool {
	if !bytes.Contains(d.text, []byte("<<")) {
		return false
	}
	s := strings.TrimPrefix(err.Error(), "error converting YAML to JSON: ")
	rest, ok := strings.CutPrefix(strings.TrimPrefix(s, "yaml: "), "unmarshal errors:\n")
	if !ok || d.node() == nil {
		return false
	}
	for _, ln := range strings.Split(rest, "\n") {
		m := yamlDuplicateRE.FindStringSubmatch(strings.TrimSpace(ln))
		if m == nil {
			return false
		}
		line, _ := strconv.Atoi(m[1])
		key, _ := strconv.Unquote(m[2])
		if dup, _ := findDuplicateKey(d.node(), key, line); dup != nil {
			return false
		}
	}
	return true
}

// findDuplicateKey finds, in the node tree, a mapping key with the given
// value that repeats an earlier key of its mapping and whose value starts
// on valueLine; it returns that key and the first one.
func findDuplicateKey(root *yaml3.Node, key string, valueLine int) (dup, first *yaml3.Node) {
	if root == nil {
		return nil, nil
	}
	if root.Kind == yaml3.MappingNode {
		var seen *yaml3.Node
		for i := 0; i+1 < len(root.Content); i += 2 {
			k, v := root.Content[i], root.Content[i+1]
			if k.Value != key {
				continue
			}
			if seen == nil {
				seen = k
			} else if v.Line == valueLine || k.Line == valueLine {
				return k, seen
			}
		}
	}
	for _, c := range root.Content {
		if dup, first := findDuplicateKey(c, key, valueLine); dup != nil {
			return dup, first
		}
	}
	return nil, nil
}

// maxAliasNodes is how many nodes YAML aliases may add to a document
// beyond its own size: expanding an alias copies its anchor's value, so a
// few lines can stand for billions of nodes ("billion laughs").
const maxAliasNodes = 10000

// checkAliases rejects a document whose aliases expand to more than
// maxAliasNodes nodes, or more than the document has without them,
// whichever is larger. The count stops at the limit, so a bomb costs no
// more than the document's own size. go.yaml.in/yaml/v2 has a guard of its
// own, but it lets a small document expand about a hundredfold.
func checkAliases(d *document) *Diagnostic {
	if bytes.IndexByte(d.text, '&') < 0 || bytes.IndexByte(d.text, '*') < 0 {
		return nil
	}
	root := d.node()
	if root == nil {
		return nil // the YAML parser reports the problem
	}
	own := countNodes(root)
	limit := own + max(own, maxAliasNodes)
	total, at := 0, (*yaml3.Node)(nil)
	size := map[*yaml3.Node]int{}
	var walk func(n *yaml3.Node) bool
	walk = func(n *yaml3.Node) bool {
		if n.Kind == yaml3.AliasNode {
			total += expandedSize(n.Alias, size, limit)
			if total > limit {
				at = n
				return false
			}
			return true
		}
		total++
		for _, c := range n.Content {
			if !walk(c) {
				return false
			}
		}
		return true
	}
	if walk(root) {
		return nil
	}
	return &Diagnostic{Severity: Error, Location: d.at(at.Line, at.Column),
		Msg: fmt.Sprintf("YAML aliases expand the document to more than %d nodes (it has %d without them); the document is not read, as it looks like an alias bomb", limit, own)}
}

// countNodes counts the nodes of a tree, an alias counting as one.
func countNodes(n *yaml3.Node) int {
	c := 1
	for _, k := range n.Content {
		c += countNodes(k)
	}
	return c
}

// expandedSize returns the number of nodes of n once its aliases are
// expanded, at most limit+1. Sizes of nodes are memoized in size; a node
// that is still being sized (an alias to an enclosing anchor, which the
// YAML parser rejects) counts as one.
func expandedSize(n *yaml3.Node, size map[*yaml3.Node]int, limit int) int {
	if n == nil {
		return 1
	}
	if n.Kind == yaml3.AliasNode {
		return expandedSize(n.Alias, size, limit)
	}
	if s, ok := size[n]; ok {
		return max(s, 1)
	}
	size[n] = 0 // in progress
	s := 1
	for _, c := range n.Content {
		s += expandedSize(c, size, limit)
		if s > limit {
			s = limit + 1
			break
		}
	}
	size[n] = s
	return s
}

// checkTrailingContent rejects a document whose top-level value is a flow
// collection or a quoted string followed by more content ("{...}\n{...}"):
// sigs.k8s.io/yaml reads only the first value and drops the rest silently.
// Block collections do not need the check: the parser reports content after
// them.
func checkTrailingContent(d *document) *Diagnostic {
	t := bytes.TrimLeft(d.text, " \t\r\n")
	for len(t) > 0 && t[0] == '#' { // skip leading comment lines
		nl := bytes.IndexByte(t, '\n')
		if nl < 0 {
			return nil
		}
		t = bytes.TrimLeft(t[nl+1:], " \t\r\n")
	}
	if len(t) == 0 || bytes.IndexByte([]byte("{[\"'!&*|>"), t[0]) < 0 {
		return nil
	}
	dec := yaml2.NewDecoder(bytes.NewReader(d.text))
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil // reported by the conversion
	}
	err := dec.Decode(&v)
	if err == nil || errors.Is(err, io.EOF) {
		if err == nil { // a second document inside one: cannot happen after splitting
			return &Diagnostic{Severity: Error, Location: d.location(), Msg: "invalid YAML: more than one document; separate documents with a line holding ---"}
		}
		return nil
	}
	line := 1
	if m := yamlLineRE.FindStringSubmatch(strings.TrimPrefix(err.Error(), "yaml: ")); m != nil {
		line, _ = strconv.Atoi(m[1])
		line++ // a parser problem, see yamlParserProblems
	}
	line = min(line, lastLine(d.text))
	loc := d.at(line, 0)
	if ln := lineOf(d.text, line); ln != nil {
		loc = d.at(line, utf8.RuneCount(ln)-utf8.RuneCount(bytes.TrimLeft(ln, " \t"))+1)
	}
	return &Diagnostic{Severity: Error, Location: loc,
		Msg: "invalid YAML: content after the end of the document's top-level value; separate documents with a line holding ---"}
}
