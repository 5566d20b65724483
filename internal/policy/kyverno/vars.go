package kyverno

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"

	jmespath "github.com/kyverno/go-jmespath"
)

// Variables are written {{ JMESPath }} in strings (and map keys) of
// preconditions, patches and generate templates; Kyverno substitutes them
// before it evaluates the rule [docs/kyverno.md "Variables"].
var (
	// varRE finds {{...}} at the start of a string or after any character
	// but a backslash (\{{ escapes), allowing one level of nested braces.
	varRE = regexp.MustCompile(`(^|[^\\])(\{\{(?:\{[^{}]*\}|[^{}])*\}\})`)
	// unsupportedRootRE finds the variables that exist only in a live
	// admission request or in features netreach does not simulate.
	unsupportedRootRE = regexp.MustCompile(`(^|[^A-Za-z0-9_.])(request\.userInfo|request\.roles|request\.clusterRoles|serviceAccountName|serviceAccountNamespace|images|element[0-9]*|elementIndex[0-9]*|target)([^A-Za-z0-9_]|$)`)
	// literalRE matches JMESPath string literals, raw strings and JSON
	// literals, which are not variable references.
	literalRE = regexp.MustCompile("'(?:[^'\\\\]|\\\\.)*'|`(?:[^`\\\\]|\\\\.)*`|\"(?:[^\"\\\\]|\\\\.)*\"")
)

// VarError is a variable that could not be substituted. Kyverno fails the
// rule in that case (an error result: nothing is mutated or generated);
// Unsupported marks variables netreach cannot know offline, for which the
// outcome in a cluster is unknown.
type VarError struct {
	// Expr is the variable as written, "{{ request.object.metadata.labels.client }}".
	Expr string
	// Path is where it was found, relative to the substituted value.
	Path string
	// Unsupported is true when the value exists in a cluster but not
	// offline (request.userInfo, images, context from API calls, a Kyverno
	// JMESPath function).
	Unsupported bool
	Err         error
}

func (e *VarError) Error() string {
	if e.Unsupported {
		return fmt.Sprintf("variable %s is not supported offline: %v", e.Expr, e.Err)
	}
	return fmt.Sprintf("variable %s: %v", e.Expr, e.Err)
}

// evalContext holds what variables resolve against: the admission request
// ({"request": {...}}) and the rule's context variables.
type evalContext struct {
	data map[string]any
	// unsupported names context entries of a kind netreach cannot load
	// (configMap, apiCall, ...), with the reason.
	unsupported map[string]string
	cache       *exprCache
}

// exprCache holds what does not depend on the object: compiled
// expressions and whether an expression can be evaluated offline. It is
// shared by every evaluation of one simulation.
type exprCache struct {
	compiled map[string]*jmespath.JMESPath
	reasons  map[string]string // expression (with the rule's unsupported context names) -> reason, "" when supported
}

func newExprCache() *exprCache {
	return &exprCache{compiled: map[string]*jmespath.JMESPath{}, reasons: map[string]string{}}
}

func newEvalContext(request map[string]any, cache *exprCache) *evalContext {
	if cache == nil {
		cache = newExprCache()
	}
	return &evalContext{data: map[string]any{"request": request}, cache: cache}
}

// query evaluates a JMESPath expression against the context, as Kyverno's
// context does (a missing key is an error, "Unknown key ... in path").
func (c *evalContext) query(expr string) (any, error) {
	expr = strings.TrimSpace(expr)
	if expr == "" {
		return nil, errors.New("empty expression")
	}
	if reason := c.unsupportedIn(expr); reason != "" {
		return nil, &VarError{Expr: "{{" + expr + "}}", Unsupported: true, Err: errors.New(reason)}
	}
	jp, ok := c.cache.compiled[expr]
	if !ok {
		var err error
		jp, err = jmespath.Compile(expr)
		if err != nil {
			return nil, fmt.Errorf("invalid JMESPath %q: %v", expr, err)
		}
		c.cache.compiled[expr] = jp
	}
	v, err := jp.Search(c.data)
	if err != nil {
		if strings.Contains(err.Error(), "unknown function") {
			return nil, &VarError{Expr: "{{" + expr + "}}", Unsupported: true, Err: fmt.Errorf("%v (Kyverno's own JMESPath functions are not simulated)", err)}
		}
		return nil, err
	}
	return v, nil
}

// searchOn evaluates expr against data alone (a context variable's
// jmesPath applied to its value).
func searchOn(expr string, data any) (any, error) {
	jp, err := jmespath.Compile(expr)
	if err != nil {
		return nil, fmt.Errorf("invalid JMESPath %q: %v", expr, err)
	}
	return jp.Search(data)
}

// unsupportedIn returns why expr cannot be evaluated offline, or "".
func (c *evalContext) unsupportedIn(expr string) string {
	key := expr
	for _, name := range sortedKeys(c.unsupported) {
		key += "\x00" + name
	}
	if r, ok := c.cache.reasons[key]; ok {
		return r
	}
	r := c.findUnsupported(expr)
	c.cache.reasons[key] = r
	return r
}

func (c *evalContext) findUnsupported(expr string) string {
	if expr == "@" {
		return "{{@}} (the current field's value) is not simulated"
	}
	bare := literalRE.ReplaceAllString(expr, "''")
	if m := unsupportedRootRE.FindStringSubmatch(bare); m != nil {
		return fmt.Sprintf("%s is known only in a live admission request or a feature netreach does not simulate", m[2])
	}
	for name, why := range c.unsupported {
		if regexp.MustCompile(`(^|[^A-Za-z0-9_.])` + regexp.QuoteMeta(name) + `([^A-Za-z0-9_]|$)`).MatchString(bare) {
			return fmt.Sprintf("context variable %s comes from %s", name, why)
		}
	}
	return ""
}

// substitute replaces every variable in v (generic JSON) and returns the
// result; v itself is not modified. A string that is exactly one variable
// takes the variable's value with its type; otherwise values are written
// into the string (non-strings as JSON). Variables that produce variables
// are substituted again, up to a fixed depth. path names v for errors.
func (c *evalContext) substitute(v any, path string) (any, error) {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for _, k := range sortedKeys(x) {
			nk := k
			if varRE.MatchString(k) {
				r, err := c.substituteString(k, joinPath(path, k))
				if err != nil {
					return nil, err
				}
				nk = fmt.Sprint(r)
			}
			nv, err := c.substitute(x[k], joinPath(path, k))
			if err != nil {
				return nil, err
			}
			out[nk] = nv
		}
		return out, nil
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			nv, err := c.substitute(e, fmt.Sprintf("%s[%d]", path, i))
			if err != nil {
				return nil, err
			}
			out[i] = nv
		}
		return out, nil
	case string:
		return c.substituteString(x, path)
	}
	return v, nil
}

// maxNesting bounds how often a string is substituted again because a
// variable's value held another variable.
const maxNesting = 10

// maxSubstituted bounds the length of a string after substitution, so
// that values that hold variables cannot grow it without bound.
const maxSubstituted = 1 << 20

func (c *evalContext) substituteString(s, path string) (any, error) {
	for round := 0; varRE.MatchString(s); round++ {
		if round == maxNesting {
			return nil, &VarError{Expr: shorten(s), Path: path, Err: fmt.Errorf("variables nest more than %d levels", maxNesting)}
		}
		var b strings.Builder
		last, shallow := 0, false
		for _, m := range varRE.FindAllStringSubmatchIndex(s, -1) {
			full := s[m[4]:m[5]] // {{ ... }}
			inner := strings.TrimSpace(full[2 : len(full)-2])
			if strings.HasPrefix(inner, "-") { // {{- x }}: substitute once, no nesting
				shallow, inner = true, strings.TrimSpace(inner[1:])
			}
			val, err := c.query(inner)
			if err != nil {
				var ve *VarError
				if errors.As(err, &ve) {
					ve.Path = path
					return nil, ve
				}
				return nil, &VarError{Expr: full, Path: path, Err: err}
			}
			if m[4] == 0 && m[5] == len(s) {
				return val, nil // the whole string is the variable: keep its type
			}
			text, ok := val.(string)
			if !ok {
				j, _ := json.Marshal(val)
				text = string(j)
			}
			if shallow {
				text = strings.ReplaceAll(text, "{{", `\{{`)
			}
			b.WriteString(s[last:m[4]])
			b.WriteString(text)
			last = m[5]
			if b.Len() > maxSubstituted {
				return nil, &VarError{Expr: full, Path: path, Err: fmt.Errorf("the substituted text grows beyond %d bytes (variables whose values hold variables)", maxSubstituted)}
			}
		}
		b.WriteString(s[last:])
		s = b.String()
		if len(s) > maxSubstituted {
			return nil, &VarError{Expr: shorten(s), Path: path, Err: fmt.Errorf("the substituted text grows beyond %d bytes (variables whose values hold variables)", maxSubstituted)}
		}
		if shallow {
			break
		}
	}
	return strings.ReplaceAll(s, `\{{`, "{{"), nil
}

// shorten cuts long text for messages.
func shorten(s string) string {
	if len(s) <= 80 {
		return s
	}
	return s[:77] + "..."
}

func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}
