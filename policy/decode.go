package policy

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"strconv"
	"strings"

	sjson "sigs.k8s.io/json"
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
}

// kindHandler decodes one object of a known apiVersion and kind.
type kindHandler func(l *Loader, c *decodeCtx, j []byte)

// handlers maps "apiVersion|kind" to the handler for it.
var handlers = map[string]kindHandler{}

func register(apiVersion, kind string, h kindHandler) { handlers[apiVersion+"|"+kind] = h }

// ref returns the object's reference.
func (c *decodeCtx) ref() ObjectRef {
	return ObjectRef{Kind: c.kind, Namespace: c.namespace, Name: c.name, Source: c.loc}
}

// field returns the location of a field of the object.
func (c *decodeCtx) field(path string) Location {
	if c.doc == nil {
		return c.loc
	}
	return c.doc.locate(c.at + path)
}

func (c *decodeCtx) diag(sev Severity, path, msg string) {
	c.l.add(Diagnostic{Severity: sev, Location: c.field(path), Kind: c.kind, Namespace: c.namespace, Name: c.name, Field: path, Msg: msg})
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
	strict, err := sjson.UnmarshalStrict(j, v, sjson.DisallowDuplicateFields, sjson.DisallowUnknownFields)
	if err != nil {
		path, msg := describeDecodeError(j, err)
		c.errorf(path, "%s", msg)
		return false
	}
	sev := Warning
	if c.l.opts.Strict {
		sev = Error
	}
	for _, e := range strict {
		path, msg := "", e.Error()
		var fe sjson.FieldError
		if errors.As(e, &fe) {
			path = fe.FieldPath()
			msg = strictMessage(e.Error())
		}
		c.diag(sev, path, msg)
	}
	return true
}

// strictMessage shortens `unknown field "spec.x"` to "unknown field: the
// API server drops it, so it has no effect" and keeps other texts.
func strictMessage(s string) string {
	switch {
	case strings.HasPrefix(s, "unknown field"):
		return "unknown field; the API server drops it, so it has no effect"
	case strings.HasPrefix(s, "duplicate field"):
		return "duplicate field; the last value is used"
	}
	return s
}

// describeDecodeError turns an encoding/json error into a field path and a
// message saying what was expected.
func describeDecodeError(j []byte, err error) (path, msg string) {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		path = jsonPathAt(j, te.Offset)
		return path, fmt.Sprintf("expected %s, got %s", describeType(te.Type), describeJSONValue(te.Value))
	}
	if ok, off := sjson.SyntaxErrorOffset(err); ok {
		return jsonPathAt(j, off), "invalid JSON: " + err.Error()
	}
	msg = err.Error()
	// Custom unmarshalers (intstr, quantities) report plain errors.
	msg = strings.TrimPrefix(msg, "json: ")
	return "", msg
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

var yamlLineRE = regexp.MustCompile(`line (\d+)(?:, column (\d+))?: `)

// yamlErrorLocation finds "line N" in a YAML parser error and turns it into
// a location in the file.
func yamlErrorLocation(d *document, err error) Location {
	loc := d.location()
	if m := yamlLineRE.FindStringSubmatch(err.Error()); m != nil {
		n, _ := strconv.Atoi(m[1])
		loc.Line = d.startLine + n - 1
		if m[2] != "" {
			loc.Col, _ = strconv.Atoi(m[2])
		}
	}
	return loc
}

// yamlErrorMessage strips the parser's prefixes and line numbers, which the
// location already carries.
func yamlErrorMessage(err error) string {
	s := err.Error()
	s = strings.TrimPrefix(s, "error converting YAML to JSON: ")
	s = strings.TrimPrefix(s, "yaml: ")
	s = strings.TrimPrefix(s, "unmarshal errors:\n")
	s = strings.TrimSpace(s)
	s = yamlLineRE.ReplaceAllString(s, "")
	s = strings.ReplaceAll(s, "\n", "; ")
	return "invalid YAML: " + s
}
