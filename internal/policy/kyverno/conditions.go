package kyverno

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/api/resource"
)

// decodePreconditions reads a rule's preconditions: {any, all} or the old
// form, a plain list that must all hold.
func decodePreconditions(raw json.RawMessage) (AnyAll, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return AnyAll{}, nil
	}
	if raw[0] == '[' {
		var all []Condition
		if err := json.Unmarshal(raw, &all); err != nil {
			return AnyAll{}, err
		}
		return AnyAll{All: all}, nil
	}
	var aa AnyAll
	if err := json.Unmarshal(raw, &aa); err != nil {
		return AnyAll{}, err
	}
	return aa, nil
}

// condError is a condition that could not be evaluated (a variable error
// or an unknown operator); Kyverno fails the rule.
type condError struct {
	path string // "any[0].key"
	err  error
}

func (e *condError) Error() string { return e.path + ": " + e.err.Error() }
func (e *condError) Unwrap() error { return e.err }

// evalConditions evaluates any/all as Kyverno does: any (when given) needs
// one true condition, all needs every one; both short-circuit.
func (c *evalContext) evalConditions(aa AnyAll) (bool, error) {
	if len(aa.Any) > 0 {
		ok := false
		for i, cond := range aa.Any {
			v, err := c.evalCondition(cond, fmt.Sprintf("any[%d]", i))
			if err != nil {
				return false, err
			}
			if v {
				ok = true
				break
			}
		}
		if !ok {
			return false, nil
		}
	}
	for i, cond := range aa.All {
		v, err := c.evalCondition(cond, fmt.Sprintf("all[%d]", i))
		if err != nil {
			return false, err
		}
		if !v {
			return false, nil
		}
	}
	return true, nil
}

func (c *evalContext) evalCondition(cond Condition, path string) (bool, error) {
	key, err := c.conditionValue(cond.Key, path+".key")
	if err != nil {
		return false, err
	}
	value, err := c.conditionValue(cond.Value, path+".value")
	if err != nil {
		return false, err
	}
	op := strings.ToLower(cond.Operator)
	switch op {
	case "equal", "equals":
		return equals(key, value), nil
	case "notequal", "notequals":
		return !equals(key, value), nil
	case "anyin", "allin", "anynotin", "allnotin", "in", "notin":
		keys, vals := toStrings(key), valueSet(value)
		if keys == nil || vals == nil {
			return false, nil // a type Kyverno does not compare: false
		}
		in := func(k string) bool {
			for _, v := range vals {
				if wildcardMatch(v, k) || wildcardMatch(k, v) {
					return true
				}
			}
			return false
		}
		count := 0
		for _, k := range keys {
			if in(k) {
				count++
			}
		}
		switch op {
		case "anyin":
			return count > 0, nil
		case "allin", "in":
			return count == len(keys), nil
		case "anynotin":
			return count < len(keys), nil
		default: // allnotin, notin
			return count == 0, nil
		}
	case "greaterthan", "greaterthanorequals", "lessthan", "lessthanorequals",
		"durationgreaterthan", "durationgreaterthanorequals", "durationlessthan", "durationlessthanorequals":
		cmp, ok := compareOrdered(key, value)
		if !ok {
			return false, nil
		}
		switch strings.TrimPrefix(op, "duration") {
		case "greaterthan":
			return cmp > 0, nil
		case "greaterthanorequals":
			return cmp >= 0, nil
		case "lessthan":
			return cmp < 0, nil
		default:
			return cmp <= 0, nil
		}
	}
	return false, &condError{path: path + ".operator", err: fmt.Errorf("unknown operator %q", cond.Operator)}
}

// conditionValue decodes a key or value and substitutes its variables.
func (c *evalContext) conditionValue(raw json.RawMessage, path string) (any, error) {
	if len(bytes.TrimSpace(raw)) == 0 {
		return nil, nil
	}
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return nil, &condError{path: path, err: err}
	}
	v, err := c.substitute(v, "")
	if err != nil {
		return nil, &condError{path: path, err: err}
	}
	return v, nil
}

// equals is Kyverno's Equals operator: booleans and numbers by value,
// strings as durations or quantities when both sides parse as such, else
// the value as a wildcard pattern; maps and lists deeply.
func equals(key, value any) bool {
	switch k := key.(type) {
	case bool:
		v, ok := value.(bool)
		return ok && k == v
	case float64:
		switch v := value.(type) {
		case float64:
			return k == v
		case string:
			f, err := strconv.ParseFloat(v, 64)
			return err == nil && f == k
		}
		return false
	case string:
		if kd, vd, ok := durations(k, value); ok {
			return kd == vd
		}
		if v, ok := value.(string); ok {
			if kq, err := resource.ParseQuantity(k); err == nil {
				if vq, err := resource.ParseQuantity(v); err == nil {
					return kq.Cmp(vq) == 0
				}
				return false
			}
			return wildcardMatch(v, k)
		}
		return false
	case map[string]any, []any:
		return deepEqual(key, value)
	}
	return false
}

// durations parses both sides as Go durations (a number on one side counts
// as seconds); ok is false unless one side is a duration string.
func durations(key, value any) (time.Duration, time.Duration, bool) {
	parse := func(x any) (time.Duration, bool, bool) { // value, isDurationString, ok
		switch t := x.(type) {
		case string:
			if t == "0" {
				return 0, false, false
			}
			d, err := time.ParseDuration(t)
			return d, err == nil, err == nil
		case float64:
			return time.Duration(t * float64(time.Second)), false, true
		}
		return 0, false, false
	}
	kd, ks, kok := parse(key)
	vd, vs, vok := parse(value)
	if !(ks || vs) || !kok || !vok {
		return 0, 0, false
	}
	return kd, vd, true
}

// compareOrdered compares numbers, numeric strings, durations or
// quantities; ok is false when the two sides are not comparable.
func compareOrdered(key, value any) (int, bool) {
	num := func(x any) (float64, bool) {
		switch t := x.(type) {
		case float64:
			return t, true
		case string:
			f, err := strconv.ParseFloat(t, 64)
			return f, err == nil && !math.IsNaN(f)
		}
		return 0, false
	}
	if kf, ok := num(key); ok {
		if vf, ok := num(value); ok {
			return cmpFloat(kf, vf), true
		}
	}
	if kd, vd, ok := durations(key, value); ok {
		return cmpFloat(float64(kd), float64(vd)), true
	}
	ks, kok := key.(string)
	vs, vok := value.(string)
	if kok && vok {
		kq, err1 := resource.ParseQuantity(ks)
		vq, err2 := resource.ParseQuantity(vs)
		if err1 == nil && err2 == nil {
			return kq.Cmp(vq), true
		}
	}
	return 0, false
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// toStrings turns a condition key into a list of strings: a scalar is one
// element, a list each of its elements; nil for other types.
func toStrings(x any) []string {
	switch t := x.(type) {
	case string:
		return []string{t}
	case float64, bool:
		return []string{fmt.Sprint(t)}
	case []any:
		out := make([]string, 0, len(t))
		for _, e := range t {
			out = append(out, fmt.Sprint(e))
		}
		return out
	}
	return nil
}

// valueSet turns a set operator's value into its elements: a list, or a
// string holding a JSON list, or one string.
func valueSet(x any) []string {
	if s, ok := x.(string); ok {
		var arr []string
		if json.Unmarshal([]byte(s), &arr) == nil {
			return arr
		}
		return []string{s}
	}
	if _, ok := x.([]any); ok {
		return toStrings(x)
	}
	return nil
}
