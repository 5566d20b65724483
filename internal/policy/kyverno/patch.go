package kyverno

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	jsonpatch "github.com/evanphx/json-patch/v5"
	"sigs.k8s.io/yaml"
)

// Anchors in a patchStrategicMerge overlay [Kyverno: "Mutate Rules",
// "Conditional logic using anchors"]:
//
//	(key): value    conditional: the patch applies only where key exists and matches value
//	+(key): value   add if not present: set key only where it is missing
//	<(key): value   global: the whole patch applies only if the condition holds somewhere
type anchorKind uint8

const (
	noAnchor anchorKind = iota
	condAnchor
	addAnchor
	globalAnchor
	otherAnchor // =(), ^(), X(): validate-only anchors, not simulated in mutate rules
)

func parseAnchor(key string) (anchorKind, string) {
	if len(key) < 3 || key[len(key)-1] != ')' {
		return noAnchor, key
	}
	switch {
	case key[0] == '(':
		return condAnchor, key[1 : len(key)-1]
	case strings.HasPrefix(key, "+("):
		return addAnchor, key[2 : len(key)-1]
	case strings.HasPrefix(key, "<("):
		return globalAnchor, key[2 : len(key)-1]
	case strings.HasPrefix(key, "=("), strings.HasPrefix(key, "^("), strings.HasPrefix(key, "X("):
		return otherAnchor, key[2 : len(key)-1]
	}
	return noAnchor, key
}

// errCondition means a conditional anchor failed: the patch does not
// apply there. errGlobal means a global anchor failed: the whole rule
// does not apply.
var (
	errCondition = errors.New("condition not met")
	errGlobal    = errors.New("global condition not met")
)

// unsupportedAnchorError is an anchor netreach does not simulate in
// mutate rules.
type unsupportedAnchorError struct{ key string }

func (e *unsupportedAnchorError) Error() string {
	return fmt.Sprintf("anchor %q is not supported in mutate rules", e.key)
}

// strategicMerge applies a patchStrategicMerge overlay to obj the way
// Kyverno does: anchors are resolved against the object first, then the
// rest is merged (maps recursively, null deletes a field, lists of maps
// merged by their key field, other lists replaced). applied is false when
// a conditional or global anchor at the top prevented the patch.
func strategicMerge(obj Object, overlay any) (Object, bool, error) {
	pattern := deepCopy(overlay)
	pm, ok := pattern.(map[string]any)
	if !ok {
		return nil, false, fmt.Errorf("patchStrategicMerge must be a mapping, got %s", jsonType(pattern))
	}
	if err := preprocess(pm, map[string]any(obj)); err != nil {
		if errors.Is(err, errCondition) || errors.Is(err, errGlobal) {
			return obj, false, nil
		}
		return nil, false, err
	}
	deleteConditionFields(pm)
	out := merge(deepCopy(map[string]any(obj)), pm)
	m, _ := out.(map[string]any)
	return Object(m), true, nil
}

func preprocess(pattern, resource any) error {
	switch p := pattern.(type) {
	case map[string]any:
		return preprocessMap(p, resource)
	case []any:
		if len(p) > 0 {
			if _, ok := p[0].(map[string]any); ok {
				return preprocessListOfMaps(&p, resource)
			}
		}
	}
	return nil
}

func preprocessMap(p map[string]any, resource any) error {
	rm, _ := resource.(map[string]any)
	for _, k := range sortedKeys(p) {
		kind, key := parseAnchor(k)
		switch kind {
		case otherAnchor:
			return &unsupportedAnchorError{k}
		case addAnchor:
			if _, exists := rm[key]; exists {
				delete(p, k)
			} else {
				p[key] = p[k]
				delete(p, k)
			}
		}
	}
	for _, kind := range []anchorKind{globalAnchor, condAnchor} {
		for _, k := range sortedKeys(p) {
			if ak, key := parseAnchor(k); ak == kind {
				rv, exists := rm[key]
				if !exists || !patternMatches(p[k], rv) {
					if kind == globalAnchor {
						return errGlobal
					}
					return errCondition
				}
			}
		}
	}
	for _, k := range sortedKeys(p) {
		if ak, _ := parseAnchor(k); ak != noAnchor {
			continue
		}
		if l, ok := p[k].([]any); ok && len(l) > 0 {
			if _, isMap := l[0].(map[string]any); isMap {
				if err := preprocessListOfMaps(&l, rm[k]); err != nil {
					return err
				}
				p[k] = l
				continue
			}
		}
		if err := preprocess(p[k], rm[k]); err != nil {
			return err
		}
	}
	return nil
}

// preprocessListOfMaps resolves anchors in list elements: an element with
// anchors becomes one copy per object element that meets its conditions,
// tied to that element by name (elements without a name cannot be
// targeted and are skipped, as in Kyverno).
func preprocessListOfMaps(list *[]any, resource any) error {
	rl, _ := resource.([]any)
	n := len(*list)
	for i := 0; i < n; i++ {
		elem := (*list)[i]
		if !hasAnchors(elem, false) {
			continue
		}
		global := hasAnchors(elem, true)
		globalPassed, globalFailed := false, false
		for _, re := range rl {
			c := deepCopy(elem)
			if err := preprocess(c, re); err != nil {
				switch {
				case errors.Is(err, errCondition):
					continue
				case errors.Is(err, errGlobal):
					globalFailed = true
					continue
				}
				return err
			}
			if global {
				globalPassed = true
				continue
			}
			rem, _ := re.(map[string]any)
			name, ok := rem["name"]
			if !ok || name == nil || name == "" {
				continue
			}
			c, gone := pruneAnchors(c, true)
			if gone {
				continue // only anchors: nothing to add
			}
			if cm, ok := c.(map[string]any); ok {
				cm["name"] = name
				*list = append(*list, cm)
			}
		}
		if global && !globalPassed && globalFailed {
			return errGlobal
		}
	}
	return nil
}

// hasAnchors reports whether v holds conditional or add anchors (global
// anchors only, with globalOnly) anywhere.
func hasAnchors(v any, globalOnly bool) bool {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			ak, _ := parseAnchor(k)
			if globalOnly && ak == globalAnchor || !globalOnly && (ak == condAnchor || ak == addAnchor || ak == globalAnchor) {
				return true
			}
			if hasAnchors(e, globalOnly) {
				return true
			}
		}
	case []any:
		for _, e := range x {
			if hasAnchors(e, globalOnly) {
				return true
			}
		}
	}
	return false
}

// deleteConditionFields removes condition-only parts from the top-level
// overlay once the conditions were checked.
func deleteConditionFields(p map[string]any) {
	for _, k := range sortedKeys(p) {
		ak, _ := parseAnchor(k)
		v, gone := pruneAnchors(p[k], ak == condAnchor || ak == globalAnchor)
		if gone {
			delete(p, k)
		} else {
			p[k] = v
		}
	}
}

// pruneAnchors strips anchors from v and reports whether v is left with
// nothing to patch and must be removed (Kyverno's deleteAnchors: a scalar
// under a condition is removed; a map or list left empty is removed).
func pruneAnchors(v any, deleteScalar bool) (any, bool) {
	switch x := v.(type) {
	case map[string]any:
		for _, k := range sortedKeys(x) {
			ak, key := parseAnchor(k)
			if ak != condAnchor && ak != globalAnchor {
				continue
			}
			nv, gone := pruneAnchors(x[k], true)
			delete(x, k)
			if !gone {
				x[key] = nv
			}
		}
		empty := true
		for _, k := range sortedKeys(x) {
			nv, gone := pruneAnchors(x[k], false)
			if gone {
				delete(x, k)
			} else {
				x[k] = nv
				empty = false
			}
		}
		return x, empty
	case []any:
		if len(x) == 0 {
			return x, false
		}
		var kept []any
		for _, e := range x {
			if hasAnchors(e, false) {
				continue
			}
			if ne, gone := pruneAnchors(e, false); !gone {
				kept = append(kept, ne)
			}
		}
		return kept, len(kept) == 0
	}
	return v, deleteScalar
}

// patternMatches checks an anchor's value against the object's value, in
// the spirit of Kyverno's validate patterns: maps need every key to match,
// a list pattern of one element must match every element, strings are
// wildcard patterns with "|" (or), "&" (and), "!" (not) and numeric
// comparisons (">3", "<=8").
func patternMatches(pattern, value any) bool {
	switch p := pattern.(type) {
	case map[string]any:
		vm, ok := value.(map[string]any)
		if !ok {
			return false
		}
		for k, pe := range p {
			_, key := parseAnchor(k)
			ve, exists := vm[key]
			if !exists || !patternMatches(pe, ve) {
				return false
			}
		}
		return true
	case []any:
		vl, ok := value.([]any)
		if !ok {
			return false
		}
		if len(p) == 1 {
			for _, ve := range vl {
				if !patternMatches(p[0], ve) {
					return false
				}
			}
			return true
		}
		return deepEqual(p, vl)
	case string:
		return stringPatternMatches(p, value)
	case nil:
		return value == nil
	}
	return deepEqual(pattern, value)
}

func stringPatternMatches(p string, value any) bool {
	var s string
	switch v := value.(type) {
	case string:
		s = v
	case float64:
		s = strconv.FormatFloat(v, 'f', -1, 64)
	case bool:
		s = strconv.FormatBool(v)
	default:
		return false
	}
	for _, alt := range strings.Split(p, "|") {
		ok := true
		for _, part := range strings.Split(alt, "&") {
			if !atomMatches(strings.TrimSpace(part), s) {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}

func atomMatches(p, s string) bool {
	if strings.HasPrefix(p, "!") {
		return !atomMatches(p[1:], s)
	}
	for _, op := range []string{">=", "<=", ">", "<"} {
		if strings.HasPrefix(p, op) {
			want, err1 := strconv.ParseFloat(strings.TrimSpace(p[len(op):]), 64)
			got, err2 := strconv.ParseFloat(s, 64)
			if err1 != nil || err2 != nil {
				return false
			}
			switch op {
			case ">=":
				return got >= want
			case "<=":
				return got <= want
			case ">":
				return got > want
			}
			return got < want
		}
	}
	return wildcardMatch(p, s)
}

// associativeKeys are the fields by which list elements are merged when
// a patch lists maps (the keys kustomize's kyaml, which Kyverno uses,
// recognises), in order of preference.
var associativeKeys = []string{"mountPath", "devicePath", "ip", "type", "topologyKey", "name", "containerPort"}

// merge applies src onto dst and returns the result.
func merge(dst, src any) any {
	switch s := src.(type) {
	case map[string]any:
		switch s["$patch"] {
		case "replace":
			out := deepCopy(s).(map[string]any)
			delete(out, "$patch")
			return out
		case "delete":
			return nil
		}
		d, ok := dst.(map[string]any)
		if !ok {
			d = map[string]any{}
		}
		for _, k := range sortedKeys(s) {
			if k == "$patch" {
				continue
			}
			if s[k] == nil {
				delete(d, k)
				continue
			}
			if m := merge(d[k], s[k]); m != nil {
				d[k] = m
			} else {
				delete(d, k)
			}
		}
		return d
	case []any:
		key := listKey(s)
		d, ok := dst.([]any)
		if key == "" || !ok {
			return stripDirectives(s)
		}
		out := append([]any(nil), d...)
		for _, se := range s {
			sm := se.(map[string]any)
			idx := -1
			for i, de := range out {
				if dm, ok := de.(map[string]any); ok && deepEqual(dm[key], sm[key]) {
					idx = i
					break
				}
			}
			if sm["$patch"] == "delete" {
				if idx >= 0 {
					out = append(out[:idx], out[idx+1:]...)
				}
				continue
			}
			if idx >= 0 {
				out[idx] = merge(out[idx], sm)
			} else {
				out = append(out, stripDirectives(sm))
			}
		}
		return out
	}
	return src
}

// listKey returns the merge key of a list of maps: the first associative
// key every element has; "" when the list is not associative.
func listKey(l []any) string {
	if len(l) == 0 {
		return ""
	}
	for _, k := range associativeKeys {
		all := true
		for _, e := range l {
			m, ok := e.(map[string]any)
			if !ok {
				return ""
			}
			if _, has := m[k]; !has {
				all = false
				break
			}
		}
		if all {
			return k
		}
	}
	return ""
}

func stripDirectives(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			if k == "$patch" {
				continue
			}
			out[k] = stripDirectives(e)
		}
		return out
	case []any:
		out := make([]any, 0, len(x))
		for _, e := range x {
			if m, ok := e.(map[string]any); ok && m["$patch"] == "delete" {
				continue
			}
			out = append(out, stripDirectives(e))
		}
		return out
	}
	return v
}

// jsonPatch applies an RFC 6902 patch (JSON, or YAML as Kyverno accepts
// it) with Kyverno's options: negative indices, removal of missing paths
// allowed, missing parents created on add.
func jsonPatch(obj Object, patch string) (Object, error) {
	j, err := patchJSON(patch)
	if err != nil {
		return nil, err
	}
	return applyJSONPatch(obj, j)
}

// patchJSON converts a patchesJson6902 text (YAML or JSON) to JSON.
func patchJSON(patch string) ([]byte, error) {
	j := []byte(strings.TrimSpace(patch))
	if len(j) > 0 && j[0] != '[' {
		var err error
		if j, err = yaml.YAMLToJSON(j); err != nil {
			return nil, fmt.Errorf("patchesJson6902: %v", err)
		}
	}
	return j, nil
}

// maxCachedPatches bounds the cache of converted patch texts.
const maxCachedPatches = 4096

// jsonPatch is jsonPatch with the conversion of the patch text cached:
// rules whose variables resolve alike share it.
func (s *sim) jsonPatch(obj Object, patch string) (Object, error) {
	j, ok := s.patches[patch]
	if !ok {
		var err error
		if j, err = patchJSON(patch); err != nil {
			return nil, err
		}
		if len(s.patches) < maxCachedPatches {
			s.patches[patch] = j
		}
	}
	return applyJSONPatch(obj, j)
}

func applyJSONPatch(obj Object, j []byte) (Object, error) {
	p, err := jsonpatch.DecodePatch(j)
	if err != nil {
		return nil, fmt.Errorf("patchesJson6902: %v", err)
	}
	if err := checkIndices(j); err != nil {
		return nil, err
	}
	opts := jsonpatch.NewApplyOptions()
	opts.SupportNegativeIndices = true
	opts.AllowMissingPathOnRemove = true
	opts.EnsurePathExistsOnAdd = true
	out, err := p.ApplyWithOptions(obj.JSON(), opts)
	if err != nil {
		return nil, fmt.Errorf("patchesJson6902: %v", err)
	}
	return DecodeObject(out)
}

// maxPatchIndex bounds list indices in JSON patch paths: adding at a
// missing index creates the list up to it, so a huge index would make the
// simulation allocate without bound.
const maxPatchIndex = 1 << 14

// checkIndices refuses JSON patch paths with list indices above
// maxPatchIndex.
func checkIndices(j []byte) error {
	var ops []struct {
		Path string `json:"path"`
		From string `json:"from"`
	}
	if err := json.Unmarshal(j, &ops); err != nil {
		return fmt.Errorf("patchesJson6902: %v", err)
	}
	for _, op := range ops {
		for _, p := range []string{op.Path, op.From} {
			for _, seg := range strings.Split(p, "/") {
				if n, err := strconv.Atoi(seg); err == nil && (n > maxPatchIndex || n < -maxPatchIndex) || err != nil && len(seg) > 6 && strings.Trim(seg, "0123456789-") == "" {
					return fmt.Errorf("patchesJson6902: index %s in path %q is larger than %d; not applied", seg, p, maxPatchIndex)
				}
			}
		}
	}
	return nil
}

func jsonType(v any) string {
	switch v.(type) {
	case map[string]any:
		return "a mapping"
	case []any:
		return "a list"
	case string:
		return "a string"
	case float64:
		return "a number"
	case bool:
		return "a boolean"
	case nil:
		return "null"
	}
	return fmt.Sprintf("%T", v)
}
