package policy

import (
	"bytes"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
	"unsafe"

	yaml "go.yaml.in/yaml/v3"

	"github.com/netreach/netreach/internal/fieldpath"
)

// document is one YAML document (or one JSON value) of an input file, with
// what is needed to turn a JSON field path back into a line and column.
type document struct {
	file      string
	index     int    // 1-based document index in the file
	startLine int    // 1-based line of the document's first line in the file
	startCol  int    // 0-based column where text starts on its first line ("--- {a: 1}", JSON streams)
	text      []byte // the document's YAML (or JSON) text
	json      []byte // the document converted to JSON
	isJSON    bool   // text is JSON, read without the YAML parser
	// object is set for a typed object given to [Loader.AddObject]: its
	// positions mean nothing to the user, so every location is empty and
	// diagnostics name the object instead.
	object bool

	parsed bool
	root   *yaml.Node // YAML documents only, parsed on demand
	tree   *ytree     // the fast path's tree, while the fast path reads the document

	// JSON documents: the values found so far, by field path, and the
	// containers whose members are all in the map (see [document.jsonLocate]).
	jsonValues map[string]jsonValue
	jsonKids   map[string][]string
	// lineStarts holds the offset of every line of text after the first,
	// built on first use; last is the previous position computed, from
	// which the next one on the same line counts its column.
	lineStarts []int
	linesDone  bool
	last       struct{ off, line, col int }

	// A document of a streamed List (see jsonlist.go): an item's text is
	// one element of the items, prefix its field path in the document as
	// written ("items[3]."), and list the List it belongs to. The List's
	// own text leaves the items out: from tailOff on (the closing bracket
	// of the items), tail places its positions.
	prefix  string
	list    *listStream
	tail    *document
	tailOff int
}

// textString returns the document's text as a string without copying it:
// the text is never modified once the document is cut. Whatever keeps a
// part of it past the document's decoding must copy it (the fast path's
// decoder clones every string it stores).
func (d *document) textString() string {
	return unsafe.String(unsafe.SliceData(d.text), len(d.text))
}

// location returns the document's own location: its first line that holds
// content (not a comment), and the column where that content starts.
func (d *document) location() Location {
	if d == nil || d.object {
		return Location{}
	}
	loc := Location{File: d.file, Doc: d.index, Line: d.startLine}
	for off := 0; off < len(d.text); {
		end := len(d.text)
		if nl := bytes.IndexByte(d.text[off:], '\n'); nl >= 0 {
			end = off + nl
		}
		ln := d.text[off:end]
		if t := bytes.TrimLeft(ln, " \t\r"); len(t) > 0 && t[0] != '#' {
			return d.positionNear(off + len(ln) - len(t))
		}
		off = end + 1
	}
	return loc
}

// positionNear is position for an offset near the start of the text (the
// location of the object, most often the only position asked for): unless
// the table of line starts is built already, it counts the lines before
// off instead of building it.
func (d *document) positionNear(off int) Location {
	const nearStart = 512
	if d.object || d.linesDone || off > nearStart {
		return d.position(off)
	}
	off = min(max(off, 0), len(d.text))
	line := bytes.Count(d.text[:off], []byte{'\n'})
	lineStart := bytes.LastIndexByte(d.text[:off], '\n') + 1
	col := utf8.RuneCount(d.text[lineStart:off]) + 1
	if line == 0 {
		col += d.startCol
	}
	return Location{File: d.file, Doc: d.index, Line: d.startLine + line, Col: col}
}

// position turns a byte offset into d.text into a location. Columns count
// characters, as the YAML parser does.
// The line comes from a table of line starts and the column from the
// previous position when it is earlier on the same line, so that the many
// positions of a large JSON document (often a single line) cost little.
func (d *document) position(off int) Location {
	if d.object {
		return Location{}
	}
	if d.tail != nil && off >= d.tailOff {
		return d.tail.position(off - d.tailOff)
	}
	off = min(max(off, 0), len(d.text))
	if !d.linesDone {
		d.linesDone = true
		for i := 0; ; {
			nl := bytes.IndexByte(d.text[i:], '\n')
			if nl < 0 {
				break
			}
			i += nl + 1
			d.lineStarts = append(d.lineStarts, i)
		}
	}
	line, _ := slices.BinarySearch(d.lineStarts, off+1) // lines starting at or before off
	lineStart := 0
	if line > 0 {
		lineStart = d.lineStarts[line-1]
	}
	var col int
	if d.last.line == line && d.last.off >= lineStart && d.last.off <= off && d.last.col > 0 {
		col = d.last.col + utf8.RuneCount(d.text[d.last.off:off])
	} else {
		col = utf8.RuneCount(d.text[lineStart:off]) + 1
	}
	d.last.off, d.last.line, d.last.col = off, line, col
	if line == 0 {
		col += d.startCol
	}
	return Location{File: d.file, Doc: d.index, Line: d.startLine + line, Col: col}
}

// at returns the location of a line and column of d.text (1-based, as the
// YAML parser reports them).
func (d *document) at(line, col int) Location {
	if d.object {
		return Location{}
	}
	loc := Location{File: d.file, Doc: d.index, Line: d.startLine + line - 1, Col: col}
	if line == 1 && col > 0 {
		loc.Col += d.startCol
	}
	return loc
}

// treeLocate is [document.locate] on the fast path's tree t of d: the
// position the full decoder gives, read from t.
func (d *document) treeLocate(t *ytree, path string) Location {
	n, key := t.lookup(path)
	if t.json {
		if key != nil {
			n = key // as jsonLocate: the deepest member reached, at its key
		}
		return d.position(int(n.off))
	}
	return d.at(int(n.line), int(n.col))
}

// node returns the document parsed into a YAML node tree, or nil when the
// YAML parser rejects it. The tree keeps aliases unexpanded.
func (d *document) node() *yaml.Node {
	if !d.parsed {
		d.parsed = true
		var n yaml.Node
		if err := yaml.Unmarshal(d.text, &n); err == nil && len(n.Content) > 0 {
			d.root = n.Content[0]
		}
	}
	return d.root
}

// locate returns the position of the field at path ("spec.ingress[0].from",
// relative to the document root) or the closest enclosing field that
// exists: for a mapping key, the position of the key, so that an unknown
// field points at its name. Parsing for positions happens only when a
// position is needed.
func (d *document) locate(path string) Location {
	if d == nil || d.object {
		return Location{}
	}
	if d.prefix != "" {
		path = trimListPrefix(path, d.prefix)
	}
	if d.tree != nil {
		return d.treeLocate(d.tree, path)
	}
	if d.isJSON {
		return d.position(d.jsonLocate(path))
	}
	root := d.node()
	if root == nil {
		return d.location()
	}
	n := fieldpath.Walk(root, path, false)
	return d.at(n.Line, n.Column)
}

// jsonValue is one value met by [walkJSON].
type jsonValue struct {
	path      string // field path, "" for the root
	key       string // the member's key, for an object member
	keyOff    int    // offset of the key of an object member, -1 otherwise
	parentOff int    // offset of the enclosing object or list, -1 for the root
	valOff    int    // offset of the value
	kind      byte   // first byte of the value: '{', '[', '"', 't', 'f', 'n' or a number's first byte
}

// walkJSON calls visit for every value of the valid JSON text data, in
// document order. A container's members are visited only when descend
// reports true for its path (nil descends everywhere). Walking stops when
// visit returns false.
func walkJSON(data []byte, descend func(path string) bool, visit func(v jsonValue) bool) {
	w := jsonWalker{data: data, descend: descend, visit: visit}
	w.value("", "", -1, -1)
}

type jsonWalker struct {
	data    []byte
	pos     int
	descend func(string) bool
	visit   func(jsonValue) bool
	stopped bool
}

func (w *jsonWalker) skipSpace() {
	for w.pos < len(w.data) {
		switch w.data[w.pos] {
		case ' ', '\t', '\r', '\n':
			w.pos++
		default:
			return
		}
	}
}

// value reads the value at w.pos (after blanks) and everything inside it.
func (w *jsonWalker) value(path, key string, keyOff, parentOff int) {
	w.skipSpace()
	if w.stopped || w.pos >= len(w.data) {
		return
	}
	c, off := w.data[w.pos], w.pos
	if !w.visit(jsonValue{path: path, key: key, keyOff: keyOff, parentOff: parentOff, valOff: off, kind: c}) {
		w.stopped = true
		return
	}
	into := w.descend == nil || w.descend(path)
	switch c {
	case '{':
		w.pos++
		for !w.stopped {
			w.skipSpace()
			if w.pos >= len(w.data) {
				return
			}
			switch w.data[w.pos] {
			case '}':
				w.pos++
				return
			case ',':
				w.pos++
				continue
			}
			koff := w.pos
			key := w.str()
			w.skipSpace()
			if w.pos < len(w.data) && w.data[w.pos] == ':' {
				w.pos++
			}
			if into {
				child := key
				if path != "" {
					child = path + "." + key
				}
				w.value(child, key, koff, off)
			} else {
				w.skipValue()
			}
		}
	case '[':
		w.pos++
		for i := 0; !w.stopped; {
			w.skipSpace()
			if w.pos >= len(w.data) {
				return
			}
			switch w.data[w.pos] {
			case ']':
				w.pos++
				return
			case ',':
				w.pos++
				continue
			}
			if into {
				w.value(path+"["+strconv.Itoa(i)+"]", "", -1, off)
			} else {
				w.skipValue()
			}
			i++
		}
	case '"':
		w.str()
	default:
		w.scalar()
	}
}

// str reads a string and returns its value.
func (w *jsonWalker) str() string {
	start := w.pos
	w.pos++ // opening quote
	escaped := false
	for w.pos < len(w.data) {
		switch w.data[w.pos] {
		case '\\':
			escaped = true
			w.pos += 2
			continue
		case '"':
			w.pos++
			raw := w.data[start:w.pos]
			if !escaped {
				return string(raw[1 : len(raw)-1])
			}
			var s string
			_ = json.Unmarshal(raw, &s)
			return s
		}
		w.pos++
	}
	return string(w.data[start:])
}

func (w *jsonWalker) scalar() {
	for w.pos < len(w.data) {
		switch w.data[w.pos] {
		case ',', '}', ']', ' ', '\t', '\r', '\n':
			return
		}
		w.pos++
	}
}

// skipValue skips a value without visiting it.
func (w *jsonWalker) skipValue() {
	w.skipSpace()
	if w.pos >= len(w.data) {
		return
	}
	switch w.data[w.pos] {
	case '"':
		w.str()
	case '{', '[':
		depth := 0
		for w.pos < len(w.data) {
			switch w.data[w.pos] {
			case '"':
				w.str()
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					w.pos++
					return
				}
			}
			w.pos++
		}
	default:
		w.scalar()
	}
}

// isPathPrefix reports whether prefix names path or a field or element
// inside it.
func isPathPrefix(prefix, path string) bool {
	if prefix == "" {
		return true
	}
	return strings.HasPrefix(path, prefix) &&
		(len(path) == len(prefix) || path[len(prefix)] == '.' || path[len(prefix)] == '[')
}

// jsonLocate returns the offset in the valid JSON text of the document of
// the field at path, or of the closest enclosing field that exists: the
// offset of the key for an object member, of the value for a list element.
// It goes down from the root one container at a time and keeps the members
// of every container it reads, so that locating every item of a large List
// (and fields inside them) reads each byte a bounded number of times rather
// than once per lookup.
func (d *document) jsonLocate(path string) int {
	if d.jsonValues == nil {
		d.jsonValues, d.jsonKids = map[string]jsonValue{}, map[string][]string{}
		walkJSON(d.text, func(string) bool { return false }, func(v jsonValue) bool {
			d.jsonValues[""] = v
			return false
		})
	}
	cur, ok := d.jsonValues[""]
	if !ok {
		return 0
	}
	for cur.path != path && (cur.kind == '{' || cur.kind == '[') {
		kids, read := d.jsonKids[cur.path]
		if !read {
			kids = d.readMembers(cur)
		}
		next := ""
		if cur.kind == '[' {
			// The element's index is in the path: no search.
			rest := path[len(cur.path):]
			if end := strings.IndexByte(rest, ']'); len(rest) > 0 && rest[0] == '[' && end > 0 {
				if i, err := strconv.Atoi(rest[1:end]); err == nil && i >= 0 && i < len(kids) {
					next = kids[i]
				}
			}
		} else {
			// Keys may hold dots: the longest member naming a prefix.
			for _, k := range kids {
				if isPathPrefix(k, path) && len(k) > len(next) {
					next = k
				}
			}
		}
		if next == "" {
			break
		}
		cur = d.jsonValues[next]
	}
	if cur.keyOff >= 0 {
		return cur.keyOff
	}
	return cur.valOff
}

// readMembers records the members of the container c (its direct
// children only) and returns their paths in document order.
func (d *document) readMembers(c jsonValue) []string {
	var kids []string
	w := jsonWalker{data: d.text, pos: c.valOff, descend: func(p string) bool { return p == c.path }, visit: func(v jsonValue) bool {
		if v.valOff != c.valOff {
			d.jsonValues[v.path] = v
			kids = append(kids, v.path)
		}
		return true
	}}
	w.value(c.path, c.key, c.keyOff, c.parentOff)
	d.jsonKids[c.path] = kids
	return kids
}

// stripIndices removes list indices from a field path:
// "spec.ingress[0].ports[1]" becomes "spec.ingress.ports", the form
// encoding/json uses in UnmarshalTypeError.Field.
func stripIndices(path string) string {
	if strings.IndexByte(path, '[') < 0 {
		return path
	}
	var b strings.Builder
	for i := 0; i < len(path); i++ {
		if path[i] == '[' {
			if j := strings.IndexByte(path[i:], ']'); j >= 0 {
				i += j
				continue
			}
		}
		b.WriteByte(path[i])
	}
	return b.String()
}

// jsonDuplicate is a repeated key found by [jsonDuplicateKey].
type jsonDuplicate struct {
	path, key       string
	keyOff, prevOff int
}

// jsonDuplicateKey returns the first object member of the valid JSON text
// data whose key repeats an earlier key of the same object.
func jsonDuplicateKey(data []byte) (dup jsonDuplicate, found bool) {
	// stack holds the objects that are open, innermost last, with the
	// offsets of their keys so far.
	type object struct {
		off  int
		keys map[string]int
	}
	var stack []object
	walkJSON(data, nil, func(v jsonValue) bool {
		if v.keyOff >= 0 {
			for len(stack) > 0 && stack[len(stack)-1].off != v.parentOff {
				stack = stack[:len(stack)-1]
			}
			if len(stack) > 0 {
				top := stack[len(stack)-1]
				if prev, ok := top.keys[v.key]; ok {
					dup, found = jsonDuplicate{path: v.path, key: v.key, keyOff: v.keyOff, prevOff: prev}, true
					return false
				}
				top.keys[v.key] = v.keyOff
			}
		}
		if v.kind == '{' {
			stack = append(stack, object{off: v.valOff, keys: map[string]int{}})
		}
		return true
	})
	return dup, found
}
