package policy

import (
	"encoding"
	"encoding/json"
	"math"
	"reflect"
	"strconv"
	"strings"
	"sync"
)

// Decoding a fast-path tree into Go values follows what the full decoder
// (sigs.k8s.io/json, strict and case-sensitive, over the JSON that
// sigs.k8s.io/yaml makes of the document) does, for the values both can
// read; everything it would report — unknown or repeated fields, values of
// the wrong type, values a custom unmarshaler rejects — makes the fast
// decode give up instead, so that the full decoder reports it.

// decodePlan says how to decode into one Go type.
type decodePlan struct {
	kind   reflect.Kind
	typ    reflect.Type
	custom bool // the type (via a pointer) implements json.Unmarshaler
	// unsupported types (interfaces, arrays, text unmarshalers, ...) are
	// left to the full decoder.
	unsupported bool
	fields      map[string]fieldPlan // structs
	elem        *decodePlan          // pointers, slices, maps
}

// fieldPlan is one JSON field of a struct.
type fieldPlan struct {
	index []int
	plan  *decodePlan
}

var (
	plans           sync.Map // reflect.Type -> *decodePlan
	plansMu         sync.Mutex
	unmarshalerType = reflect.TypeFor[json.Unmarshaler]()
	textType        = reflect.TypeFor[encoding.TextUnmarshaler]()
)

// planFor returns the decoding plan of t, building it (and those of the
// types it contains) on first use.
func planFor(t reflect.Type) *decodePlan {
	if p, ok := plans.Load(t); ok {
		return p.(*decodePlan)
	}
	plansMu.Lock()
	defer plansMu.Unlock()
	building := map[reflect.Type]*decodePlan{}
	p := buildPlan(t, building)
	for t, p := range building {
		plans.Store(t, p)
	}
	return p
}

func buildPlan(t reflect.Type, building map[reflect.Type]*decodePlan) *decodePlan {
	if p, ok := plans.Load(t); ok {
		return p.(*decodePlan)
	}
	if p, ok := building[t]; ok {
		return p // a recursive type: filled in by the caller up the stack
	}
	p := &decodePlan{kind: t.Kind(), typ: t}
	building[t] = p
	if t.Kind() != reflect.Pointer && reflect.PointerTo(t).Implements(unmarshalerType) {
		p.custom = true
		return p
	}
	if t.Kind() != reflect.Pointer && reflect.PointerTo(t).Implements(textType) {
		p.unsupported = true
		return p
	}
	switch t.Kind() {
	case reflect.Bool, reflect.String,
		reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64:
	case reflect.Pointer, reflect.Slice:
		if t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Uint8 {
			p.unsupported = true // base64 in JSON
			break
		}
		p.elem = buildPlan(t.Elem(), building)
	case reflect.Map:
		if t.Key().Kind() != reflect.String || reflect.PointerTo(t.Key()).Implements(textType) {
			p.unsupported = true
			break
		}
		p.elem = buildPlan(t.Elem(), building)
	case reflect.Struct:
		p.fields = map[string]fieldPlan{}
		if !addFields(p, t, nil, building) {
			p.unsupported = true
		}
	default:
		p.unsupported = true
	}
	return p
}

// addFields adds the JSON fields of struct type t (at index prefix) to p,
// following embedded structs as encoding/json does for the simple cases:
// it reports false for anything else (embedded pointers, name clashes,
// the ",string" option).
func addFields(p *decodePlan, t reflect.Type, prefix []int, building map[reflect.Type]*decodePlan) bool {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if strings.Contains(","+opts+",", ",string,") {
			return false
		}
		index := append(append([]int(nil), prefix...), i)
		if f.Anonymous && name == "" {
			ft := f.Type
			if ft.Kind() == reflect.Pointer {
				return false
			}
			if ft.Kind() == reflect.Struct {
				if !addFields(p, ft, index, building) {
					return false
				}
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		if _, clash := p.fields[name]; clash {
			return false
		}
		p.fields[name] = fieldPlan{index: index, plan: buildPlan(f.Type, building)}
	}
	return true
}

// fastDecoder decodes a tree into Go values.
type fastDecoder struct {
	t *ytree
	// lenient ignores unknown fields (the first look at apiVersion and
	// kind), as the full decoder's first look does.
	lenient bool
	// strs shares the strings of string maps, when not nil.
	strs *stringCache
}

// decode decodes node i into v, a pointer. It reports false to give up.
// strs, when not nil, shares the strings of string maps; it belongs to the
// calling goroutine (a tree may be decoded by several at once).
func (t *ytree) decode(i int32, v any, lenient bool, strs *stringCache) bool {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		return false
	}
	d := fastDecoder{t: t, lenient: lenient, strs: strs}
	return d.value(i, rv.Elem(), planFor(rv.Elem().Type()))
}

// stringMapType is the type of labels, annotations and selectors, which
// stringMap decodes without reflection.
var stringMapType = reflect.TypeFor[map[string]string]()

// stringMap decodes mapping n (node i) into v, a map[string]string, as
// value does any map: a null value is the empty string, anything but a
// string or null gives up. Keys and short values are interned, as labels
// repeat from object to object.
func (d *fastDecoder) stringMap(n *ynode, i int32, v reflect.Value) bool {
	count := 0
	for k := i + 1; k < n.end; k = d.t.nodes[k+1].end {
		count++
	}
	m := v.Interface().(map[string]string)
	if m == nil {
		m = make(map[string]string, count)
		v.Set(reflect.ValueOf(m))
	}
	for k := i + 1; k < n.end; k = d.t.nodes[k+1].end {
		e := &d.t.nodes[k+1]
		if e.kind != yScalar {
			return false
		}
		var val string
		switch e.typ {
		case yString:
			val = d.strs.intern(e.str)
		case yNull:
		default:
			return false
		}
		m[d.strs.intern(d.t.nodes[k].str)] = val
	}
	return true
}

// stringCache shares the strings one worker decodes: labels repeat from
// object to object. It is not safe for concurrent use.
type stringCache struct {
	m map[string]string
}

// maxInterned is the longest string a stringCache shares, and
// maxCachedStrings how many it holds before starting afresh.
const (
	maxInterned      = 64
	maxCachedStrings = 1 << 16
)

// intern returns s, shared with an equal string decoded before when short
// and c is not nil, else copied (s is a substring of the document text,
// which is not kept).
func (c *stringCache) intern(s string) string {
	if c == nil || len(s) > maxInterned {
		return strings.Clone(s)
	}
	if v, ok := c.m[s]; ok {
		return v
	}
	if c.m == nil || len(c.m) >= maxCachedStrings {
		c.m = make(map[string]string, 1024)
	}
	v := strings.Clone(s)
	c.m[v] = v
	return v
}

func (d *fastDecoder) value(i int32, v reflect.Value, p *decodePlan) bool {
	n := &d.t.nodes[i]
	if p.unsupported {
		return false
	}
	if n.kind == yScalar && n.typ == yNull {
		switch {
		case p.custom:
			return d.custom(n, v)
		case p.kind == reflect.Pointer || p.kind == reflect.Slice || p.kind == reflect.Map:
			v.SetZero()
		}
		return true // null leaves other values as they are
	}
	if p.custom {
		return d.custom(n, v)
	}
	switch p.kind {
	case reflect.Pointer:
		e := reflect.New(p.typ.Elem())
		if !d.value(i, e.Elem(), p.elem) {
			return false
		}
		v.Set(e)
		return true
	case reflect.Struct:
		if n.kind != yMapping {
			return false
		}
		for k := i + 1; k < n.end; k = d.t.nodes[k+1].end {
			f, ok := p.fields[d.t.nodes[k].str]
			if !ok {
				if d.lenient {
					continue
				}
				return false
			}
			if !d.value(k+1, v.FieldByIndex(f.index), f.plan) {
				return false
			}
		}
		return true
	case reflect.Map:
		if n.kind != yMapping {
			return false
		}
		if p.typ == stringMapType {
			return d.stringMap(n, i, v)
		}
		if v.IsNil() {
			v.Set(reflect.MakeMap(p.typ))
		}
		for k := i + 1; k < n.end; k = d.t.nodes[k+1].end {
			e := reflect.New(p.typ.Elem()).Elem()
			if !d.value(k+1, e, p.elem) {
				return false
			}
			v.SetMapIndex(reflect.ValueOf(strings.Clone(d.t.nodes[k].str)).Convert(p.typ.Key()), e)
		}
		return true
	case reflect.Slice:
		if n.kind != ySequence {
			return false
		}
		count := 0
		for k := i + 1; k < n.end; k = d.t.nodes[k].end {
			count++
		}
		s := reflect.MakeSlice(p.typ, count, count)
		j := 0
		for k := i + 1; k < n.end; k = d.t.nodes[k].end {
			if !d.value(k, s.Index(j), p.elem) {
				return false
			}
			j++
		}
		v.Set(s)
		return true
	}
	if n.kind != yScalar {
		return false
	}
	switch p.kind {
	case reflect.String:
		if n.typ != yString {
			return false
		}
		v.SetString(strings.Clone(n.str))
	case reflect.Bool:
		if n.typ != yBool {
			return false
		}
		v.SetBool(n.num != 0)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		if n.typ != yInt || v.OverflowInt(n.num) {
			return false
		}
		v.SetInt(n.num)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		if n.typ != yInt || n.num < 0 || v.OverflowUint(uint64(n.num)) {
			return false
		}
		v.SetUint(uint64(n.num))
	case reflect.Float64:
		switch n.typ {
		case yInt:
			if int64(float64(n.num)) != n.num {
				return false
			}
			v.SetFloat(float64(n.num))
		case yFloat:
			v.SetFloat(math.Float64frombits(uint64(n.num)))
		default:
			return false
		}
	default:
		return false
	}
	return true
}

// custom hands a scalar to a type's own UnmarshalJSON, as the JSON it
// would get from the full decoder.
func (d *fastDecoder) custom(n *ynode, v reflect.Value) bool {
	if n.kind != yScalar {
		return false
	}
	var j []byte
	switch n.typ {
	case yNull:
		j = []byte("null")
	case yBool:
		j = strconv.AppendBool(nil, n.num != 0)
	case yInt:
		j = strconv.AppendInt(nil, n.num, 10)
	case yFloat:
		if d.t.json {
			j = []byte(n.str) // the number as written
		} else {
			var err error
			if j, err = json.Marshal(math.Float64frombits(uint64(n.num))); err != nil {
				return false
			}
		}
	case yString:
		var err error
		if j, err = json.Marshal(n.str); err != nil {
			return false
		}
	}
	u, ok := v.Addr().Interface().(json.Unmarshaler)
	return ok && u.UnmarshalJSON(j) == nil
}

// lookup returns the node the field path leads to from node i ("" for
// i itself), following [fieldpath.Walk]: for a mapping entry its key
// node, keys holding dots matched by the longest prefix. It returns the
// deepest node reached, and when that node is the value of a mapping
// entry (the path goes on past it: a missing field, a field of a scalar),
// the entry's key node; key is nil otherwise. The full decoder places
// such a path at the value in YAML ([fieldpath.Walk]) but at the key in
// JSON ([document.jsonLocate]).
func (t *ytree) lookup(path string) (n, key *ynode) {
	cur, rest, curKey := int32(0), path, int32(-1)
	at := func() (*ynode, *ynode) {
		if curKey < 0 {
			return &t.nodes[cur], nil
		}
		return &t.nodes[cur], &t.nodes[curKey]
	}
	for rest != "" {
		n := &t.nodes[cur]
		if rest[0] == '[' {
			end := strings.IndexByte(rest, ']')
			if end < 0 || n.kind != ySequence {
				return at()
			}
			idx, err := strconv.Atoi(rest[1:end])
			if err != nil || idx < 0 {
				return at()
			}
			if kids, ok := t.elems[cur]; ok {
				if idx >= len(kids) {
					return at()
				}
				cur = kids[idx]
			} else {
				k := cur + 1
				for ; k < n.end && idx > 0; k = t.nodes[k].end {
					idx--
				}
				if k >= n.end {
					return at()
				}
				cur = k
			}
			curKey = -1
			rest = strings.TrimPrefix(rest[end+1:], ".")
			continue
		}
		if n.kind != yMapping {
			return at()
		}
		best, bestLen := int32(-1), 0
		for k := cur + 1; k < n.end; k = t.nodes[k+1].end {
			key := t.nodes[k].str
			if len(key) > bestLen && strings.HasPrefix(rest, key) &&
				(len(rest) == len(key) || rest[len(key)] == '.' || rest[len(key)] == '[') {
				best, bestLen = k, len(key)
			}
		}
		if best < 0 {
			return at()
		}
		rest = rest[bestLen:]
		if rest == "" {
			return &t.nodes[best], nil
		}
		cur, curKey = best+1, best
		rest = strings.TrimPrefix(rest, ".")
	}
	return at()
}
