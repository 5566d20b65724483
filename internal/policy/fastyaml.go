package policy

import (
	"math"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"
)

// The fast path of the loader reads the YAML that manifests are almost
// always written in (what kubectl, helm and generators print) straight
// into a small node tree, without the general YAML parser and without the
// detour through JSON. It understands a strict subset of YAML:
//
//   - block mappings and block sequences (including sequences indented at
//     the level of their key, and "- key: value" items);
//   - single-line flow mappings and sequences ({a: b}, [a, b], {}, []);
//   - single-line plain, single-quoted and double-quoted scalars (with the
//     common escapes), and empty values (null);
//   - comments and blank lines.
//
// Anything else — tabs, anchors and aliases, tags, block scalars (| and >),
// multi-line scalars and flow collections, complex keys, merge keys,
// directives, floats, timestamps, duplicate keys, control characters, or
// anything malformed — makes parseFastYAML give up, and the document goes
// through the full decoder, which reads all of YAML and reports every
// problem. The fast path never reports anything itself: where it gives an
// answer, the answer is the one the full decoder gives (positions
// included), which a differential test and a fuzz target check.
//
// Scalars are resolved as go.yaml.in/yaml/v2 (YAML 1.1, what
// sigs.k8s.io/yaml and kubectl use) resolves them: a plain "yes" is a
// boolean, "0x1F" and "1_000" are integers, "~" is null.

// ykind is the kind of a fast-path node.
type ykind uint8

const (
	yScalar ykind = iota + 1
	yMapping
	ySequence
)

// yscalar is the resolved type of a scalar.
type yscalar uint8

const (
	yString yscalar = iota + 1
	yInt
	yBool
	yNull
	yFloat // num holds the bits of the float64
)

// ynode is one node of a [ytree], in document order: a collection's
// members follow it up to end. A mapping's members alternate key, value.
type ynode struct {
	kind ykind
	typ  yscalar // for scalars
	line int32   // 1-based, relative to the document text
	col  int32   // 1-based, in characters
	end  int32   // index of the first node after this one's members
	str  string  // a string scalar's value (a substring of the text when it has no escapes)
	num  int64   // an integer scalar's value; 1 for true
	off  int32   // JSON: the byte offset of the node (of the key's quote for a key)
}

// ytree is a document read by the fast path.
type ytree struct {
	nodes []ynode
	json  bool // nodes are located by offset
	// elems holds the elements of long sequences (the items of a List),
	// so that locating an item does not count its way there.
	elems map[int32][]int32
	// parser is the pooled parser whose buffers nodes uses (see release).
	parser *fastParser
}

// index builds elems once the tree is complete.
func (t *ytree) index() *ytree {
	for i := range t.nodes {
		n := &t.nodes[i]
		if n.kind != ySequence || n.end-int32(i) < 64 {
			continue
		}
		var kids []int32
		for k := int32(i) + 1; k < n.end; k = t.nodes[k].end {
			kids = append(kids, k)
		}
		if len(kids) >= 16 {
			if t.elems == nil {
				t.elems = map[int32][]int32{}
			}
			t.elems[int32(i)] = kids
		}
	}
	return t
}

// fastLine is one line of the document text.
type fastLine struct {
	start   int // offset of the line's first byte
	content int // offset of its first non-blank byte
	end     int // offset of its end (before "\r\n" or "\n")
	indent  int // content - start
	blank   bool
	ascii   bool
}

// fastParser reads the subset described above. Every method reports false
// (or sets bail) to give up.
type fastParser struct {
	src   string
	lines []fastLine
	li    int // the current line
	nodes []ynode
	depth int // collections open
}

// maxFastDepth bounds the nesting the fast path reads; deeper documents
// (and the limit of the full decoder) are left to the full decoder.
const maxFastDepth = 100

// fastParsers holds parsers whose line and node buffers can be reused:
// parsing every document into fresh buffers was most of what loading
// allocated.
var fastParsers = sync.Pool{New: func() any { return new(fastParser) }}

// maxPooledNodes bounds the buffers a pooled parser keeps.
const maxPooledNodes = 1 << 16

// parseFastYAML reads a document of the subset, or returns nil. The tree's
// nodes may come from a pool: call release when done with the tree.
func parseFastYAML(src string) *ytree {
	p := fastParsers.Get().(*fastParser)
	p.src, p.li, p.depth = src, 0, 0
	if t := p.parse(); t != nil {
		return t
	}
	p.recycle()
	return nil
}

// recycle puts p back in the pool.
func (p *fastParser) recycle() {
	if cap(p.nodes) > maxPooledNodes || cap(p.lines) > maxPooledNodes {
		return
	}
	p.src = ""
	p.lines, p.nodes = p.lines[:0], p.nodes[:0]
	fastParsers.Put(p)
}

// release gives the tree's buffers back to the pool they came from, if
// any; the tree must not be used afterwards.
func (t *ytree) release() {
	if t.parser != nil {
		t.parser.nodes = t.nodes
		t.parser.recycle()
		t.parser, t.nodes, t.elems = nil, nil, nil
	}
}

func (p *fastParser) parse() *ytree {
	src := p.src
	if !p.splitLines() {
		return nil
	}
	p.skipBlank()
	if p.li >= len(p.lines) {
		return nil
	}
	ln := p.lines[p.li]
	if ln.indent != 0 || src[ln.content] == '-' || src[ln.content] == '%' {
		return nil
	}
	if !p.blockMapping(ln.content, 0) {
		return nil
	}
	p.skipBlank()
	if p.li != len(p.lines) {
		return nil
	}
	return (&ytree{nodes: p.nodes, parser: p}).index()
}

// splitLines cuts the text into lines and checks that it holds only
// characters the subset allows.
func (p *fastParser) splitLines() bool {
	src := p.src
	n := strings.Count(src, "\n") + 1
	if cap(p.lines) < n {
		p.lines = make([]fastLine, 0, n)
	}
	if cap(p.nodes) < n*2 {
		p.nodes = make([]ynode, 0, n*2)
	}
	p.lines, p.nodes = p.lines[:0], p.nodes[:0]
	for start := 0; start <= len(src); {
		end := strings.IndexByte(src[start:], '\n')
		next := 0
		if end < 0 {
			end = len(src)
			next = len(src) + 1
		} else {
			end += start
			next = end + 1
		}
		ln := fastLine{start: start, end: end, ascii: true}
		if end > start && src[end-1] == '\r' {
			ln.end--
		}
		for i := start; i < ln.end; i++ {
			c := src[i]
			switch {
			case c >= 0x20 && c < 0x7f:
			case c >= 0x80:
				r, size := utf8.DecodeRuneInString(src[i:])
				if !fastPrintable(r) || size == 1 {
					return false
				}
				ln.ascii = false
				i += size - 1
			default:
				return false // tabs, CR inside a line, control characters
			}
		}
		c := start
		for c < ln.end && src[c] == ' ' {
			c++
		}
		ln.content, ln.indent = c, c-start
		ln.blank = c == ln.end || src[c] == '#'
		if !ln.blank && (strings.HasPrefix(src[start:ln.end], "---") || strings.HasPrefix(src[start:ln.end], "...")) {
			return false
		}
		p.lines = append(p.lines, ln)
		start = next
	}
	return true
}

// fastPrintable reports whether r may appear in the subset: printable in
// YAML 1.1 and not a line break.
func fastPrintable(r rune) bool {
	switch {
	case r == utf8.RuneError, r == 0xfeff, r == 0x85, r == 0x2028, r == 0x2029:
		return false
	case r >= 0xa0 && r <= 0xd7ff, r >= 0xe000 && r <= 0xfffd, r >= 0x10000 && r <= 0x10ffff:
		return true
	}
	return false
}

func (p *fastParser) skipBlank() {
	for p.li < len(p.lines) && p.lines[p.li].blank {
		p.li++
	}
}

// col returns the 1-based column of offset off on line ln.
func (p *fastParser) col(ln *fastLine, off int) int32 {
	if ln.ascii {
		return int32(off - ln.start + 1)
	}
	return int32(utf8.RuneCountInString(p.src[ln.start:off]) + 1)
}

func (p *fastParser) open(kind ykind, ln *fastLine, off int) int {
	p.depth++
	p.nodes = append(p.nodes, ynode{kind: kind, line: int32(p.li + 1), col: p.col(ln, off)})
	return len(p.nodes) - 1
}

func (p *fastParser) close(i int) {
	p.depth--
	p.nodes[i].end = int32(len(p.nodes))
}

func (p *fastParser) tooDeep() bool { return p.depth > maxFastDepth }

// blockMapping reads a block mapping whose first key starts at offset off
// of the current line; its other keys are on lines indented by indent.
func (p *fastParser) blockMapping(off, indent int) bool {
	ln := &p.lines[p.li]
	m := p.open(yMapping, ln, off)
	if p.tooDeep() {
		return false
	}
	first := true
	for {
		if !first {
			p.skipBlank()
			if p.li >= len(p.lines) || p.lines[p.li].indent < indent {
				break
			}
			ln = &p.lines[p.li]
			if ln.indent > indent {
				return false
			}
			off = ln.content
		}
		first = false
		keyStart := len(p.nodes)
		rest, ok := p.key(ln, off)
		if !ok || duplicateKey(p.nodes, m, keyStart) {
			return false
		}
		if !p.value(ln, rest, indent, true) {
			return false
		}
	}
	p.close(m)
	return true
}

// duplicateKey reports whether the key just read (at index k) repeats a key
// of mapping m.
func duplicateKey(nodes []ynode, m, k int) bool {
	key := nodes[k].str
	for i := m + 1; i < k; {
		if nodes[i].str == key {
			return true
		}
		i = int(nodes[i+1].end) // skip the key's value
	}
	return false
}

// key reads a mapping key and its ':' at offset off of line ln, and
// returns the offset after the ':'.
func (p *fastParser) key(ln *fastLine, off int) (int, bool) {
	src := p.src[:ln.end]
	var s string
	end := 0
	switch src[off] {
	case '"', '\'':
		var ok bool
		s, end, ok = p.quoted(src, off)
		if !ok || end >= len(src) || src[end] != ':' {
			return 0, false
		}
	default:
		c := strings.Index(src[off:], ":")
		for c >= 0 && off+c+1 < len(src) && src[off+c+1] != ' ' {
			n := strings.Index(src[off+c+1:], ":")
			if n < 0 {
				c = -1
				break
			}
			c += n + 1
		}
		if c <= 0 {
			return 0, false
		}
		end = off + c
		s = strings.TrimRight(src[off:end], " ")
		if !plainStart(s) || strings.Contains(s, " #") || strings.ContainsAny(s, "[]{},") {
			return 0, false
		}
		if typ, _ := resolvePlain(s); typ != yString {
			return 0, false // keys that are not strings, and "<<"
		}
	}
	p.nodes = append(p.nodes, ynode{kind: yScalar, typ: yString, line: int32(p.li + 1), col: p.col(ln, off), str: s})
	p.nodes[len(p.nodes)-1].end = int32(len(p.nodes))
	return end + 1, true
}

// value reads the value of a mapping entry (or of a sequence item) that
// follows at offset off of line ln; indent is the indentation of the
// mapping or sequence. A value may be on the same line, or below it (a
// block collection indented more, or a sequence at the same indentation
// when indentless is true), or missing (null).
func (p *fastParser) value(ln *fastLine, off, indent int, indentless bool) bool {
	src := p.src[:ln.end]
	for off < len(src) && src[off] == ' ' {
		off++
	}
	if off < len(src) && src[off] != '#' {
		if off == 0 || src[off-1] != ' ' && src[off-1] != '-' {
			return false
		}
		end, ok := p.inline(ln, off)
		if !ok || !restBlank(src, end) {
			return false
		}
		p.li++
		// A more indented line after an inline value would continue a
		// multi-line scalar or be an error: leave both to the full decoder.
		p.skipBlank()
		return p.li >= len(p.lines) || p.lines[p.li].indent <= indent
	}
	if off < len(src) && src[off-1] != ' ' {
		return false // "key:#..." is not a comment
	}
	p.li++
	p.skipBlank()
	if p.li < len(p.lines) {
		next := &p.lines[p.li]
		isSeq := isSeqEntry(p.src[:next.end], next.content)
		if next.indent > indent {
			if isSeq {
				return p.blockSequence(next.indent)
			}
			return p.blockMapping(next.content, next.indent)
		}
		if next.indent == indent && isSeq && indentless {
			return p.blockSequence(indent)
		}
	}
	return false // an empty value (null): left to the full decoder
}

func isSeqEntry(src string, off int) bool {
	return src[off] == '-' && (off+1 == len(src) || src[off+1] == ' ')
}

func restBlank(src string, off int) bool {
	for off < len(src) && src[off] == ' ' {
		off++
	}
	return off == len(src) || src[off] == '#' && src[off-1] == ' '
}

// blockSequence reads a block sequence whose entries are on lines
// indented by indent.
func (p *fastParser) blockSequence(indent int) bool {
	ln := &p.lines[p.li]
	s := p.open(ySequence, ln, ln.content)
	if p.tooDeep() {
		return false
	}
	for {
		p.skipBlank()
		if p.li >= len(p.lines) || p.lines[p.li].indent < indent {
			break
		}
		ln = &p.lines[p.li]
		src := p.src[:ln.end]
		if ln.indent > indent || !isSeqEntry(src, ln.content) {
			if ln.indent == indent {
				break // the parent mapping's next key (indentless sequence)
			}
			return false
		}
		off := ln.content + 1
		for off < len(src) && src[off] == ' ' {
			off++
		}
		if off == len(src) || src[off] == '#' {
			if !p.value(ln, off, indent, false) {
				return false
			}
			continue
		}
		if isSeqEntry(src, off) {
			return false // "- - a"
		}
		if p.isKey(ln, off) {
			if !p.blockMapping(off, p.indentAt(ln, off)) {
				return false
			}
			continue
		}
		end, ok := p.inline(ln, off)
		if !ok || !restBlank(src, end) {
			return false
		}
		p.li++
		p.skipBlank()
		if p.li < len(p.lines) && p.lines[p.li].indent > indent {
			return false
		}
	}
	p.close(s)
	return true
}

// indentAt returns the indentation a block mapping starting at offset off
// of ln has: its column, counted in bytes like every indentation (only
// spaces and '-' precede it).
func (p *fastParser) indentAt(ln *fastLine, off int) int { return off - ln.start }

// isKey reports whether a mapping key starts at offset off of ln.
func (p *fastParser) isKey(ln *fastLine, off int) bool {
	src := p.src[:ln.end]
	switch src[off] {
	case '"', '\'':
		_, end, ok := p.quoted(src, off)
		return ok && end < len(src) && src[end] == ':'
	case '{', '[':
		return false
	}
	for i := off; i < len(src); i++ {
		switch src[i] {
		case ':':
			if i+1 == len(src) || src[i+1] == ' ' {
				return true
			}
		case '#':
			if src[i-1] == ' ' {
				return false
			}
		}
	}
	return false
}

// inline reads a value that starts at offset off of line ln and ends on
// it: a flow collection or a scalar. It returns the offset after it.
func (p *fastParser) inline(ln *fastLine, off int) (int, bool) {
	src := p.src[:ln.end]
	switch src[off] {
	case '{', '[':
		return p.flow(ln, off)
	case '"', '\'':
		s, end, ok := p.quoted(src, off)
		if !ok {
			return 0, false
		}
		p.scalar(ln, off, yString, s, 0)
		return end, true
	}
	end := len(src)
	if i := strings.Index(src[off:], " #"); i >= 0 {
		end = off + i
	}
	s := strings.TrimRight(src[off:end], " ")
	if !plainStart(s) || strings.Contains(s, ": ") || strings.HasSuffix(s, ":") {
		return 0, false
	}
	typ, num := resolvePlain(s)
	if typ == 0 {
		return 0, false
	}
	p.scalar(ln, off, typ, s, num)
	return end, true
}

func (p *fastParser) scalar(ln *fastLine, off int, typ yscalar, s string, num int64) {
	p.nodes = append(p.nodes, ynode{kind: yScalar, typ: typ, line: int32(p.li + 1), col: p.col(ln, off), str: s, num: num, end: int32(len(p.nodes) + 1)})
}

// flow reads a flow mapping or sequence that starts at offset off of ln
// and ends on the same line.
func (p *fastParser) flow(ln *fastLine, off int) (int, bool) {
	src := p.src[:ln.end]
	closing := byte(']')
	kind := ySequence
	if src[off] == '{' {
		closing, kind = '}', yMapping
	}
	n := p.open(kind, ln, off)
	if p.tooDeep() {
		return 0, false
	}
	skip := func(i int) int {
		for i < len(src) && src[i] == ' ' {
			i++
		}
		return i
	}
	i := skip(off + 1)
	if i < len(src) && src[i] == closing {
		p.close(n)
		return i + 1, true
	}
	for {
		if i >= len(src) {
			return 0, false // continued on the next line
		}
		var ok bool
		if kind == yMapping {
			keyStart := len(p.nodes)
			if i, ok = p.flowScalar(ln, i, true); !ok || p.nodes[keyStart].typ != yString || duplicateKey(p.nodes, n, keyStart) {
				return 0, false
			}
			if i >= len(src) || src[i] != ':' {
				return 0, false // a key without a value
			}
			i++
			if i < len(src) && src[i] != ' ' && src[i-2] != '"' && src[i-2] != '\'' {
				return 0, false
			}
			i = skip(i)
			if i >= len(src) || src[i] == ',' || src[i] == '}' {
				return 0, false // an empty value
			}
		}
		if src[i] == '{' || src[i] == '[' {
			i, ok = p.flow(ln, i)
		} else {
			i, ok = p.flowScalar(ln, i, false)
		}
		if !ok {
			return 0, false
		}
		i = skip(i)
		switch {
		case i >= len(src):
			return 0, false
		case src[i] == closing:
			p.close(n)
			return i + 1, true
		case src[i] != ',':
			return 0, false
		}
		i = skip(i + 1)
		if i < len(src) && (src[i] == closing || src[i] == ',') {
			return 0, false // a trailing comma or an empty entry
		}
	}
}

// flowScalar reads a scalar inside a flow collection: quoted, or plain up
// to the next indicator.
func (p *fastParser) flowScalar(ln *fastLine, off int, key bool) (int, bool) {
	src := p.src[:ln.end]
	if off >= len(src) {
		return 0, false
	}
	if src[off] == '"' || src[off] == '\'' {
		s, end, ok := p.quoted(src, off)
		if !ok {
			return 0, false
		}
		p.scalar(ln, off, yString, s, 0)
		return end, true
	}
	end := off
	for end < len(src) {
		c := src[end]
		if c == ',' || c == '[' || c == ']' || c == '{' || c == '}' || c == '#' && src[end-1] == ' ' {
			break
		}
		if c == ':' {
			break
		}
		end++
	}
	s := strings.TrimRight(src[off:end], " ")
	if s == "" || !plainStart(s) || strings.Contains(s, " #") {
		return 0, false
	}
	if end < len(src) && src[end] == ':' && (!key || end+1 < len(src) && src[end+1] != ' ') {
		return 0, false // a single-pair mapping in a sequence, or "a:b"
	}
	typ, num := resolvePlain(s)
	if typ == 0 {
		return 0, false
	}
	p.scalar(ln, off, typ, s, num)
	return end, true
}

// plainStart reports whether s may be a plain scalar of the subset: it
// does not start with an indicator.
func plainStart(s string) bool {
	if s == "" {
		return false
	}
	switch s[0] {
	case '-':
		return len(s) > 1 && s[1] != ' '
	case '?', ':', ',', '[', ']', '{', '}', '#', '&', '*', '!', '|', '>', '\'', '"', '%', '@', '`':
		return false
	}
	return true
}

// quoted reads a single- or double-quoted scalar that starts at offset off
// of src (one line) and returns its value and the offset after it.
func (p *fastParser) quoted(src string, off int) (string, int, bool) {
	q := src[off]
	i := off + 1
	if q == '\'' {
		var b []byte
		start := i
		for {
			j := strings.IndexByte(src[i:], '\'')
			if j < 0 {
				return "", 0, false
			}
			i += j
			if i+1 < len(src) && src[i+1] == '\'' {
				b = append(b, src[start:i+1]...)
				i += 2
				start = i
				continue
			}
			if b == nil {
				return src[start:i], i + 1, true
			}
			b = append(b, src[start:i]...)
			return string(b), i + 1, true
		}
	}
	j := strings.IndexAny(src[i:], "\"\\")
	if j < 0 {
		return "", 0, false
	}
	if src[i+j] == '"' {
		return src[i : i+j], i + j + 1, true
	}
	var b []byte
	for i < len(src) {
		c := src[i]
		switch c {
		case '"':
			return string(b), i + 1, true
		case '\\':
			if i+1 >= len(src) {
				return "", 0, false
			}
			e := src[i+1]
			i += 2
			switch e {
			case '"', '\\', '/':
				b = append(b, e)
			case 'n':
				b = append(b, '\n')
			case 't':
				b = append(b, '\t')
			case 'r':
				b = append(b, '\r')
			case 'u':
				if i+4 > len(src) {
					return "", 0, false
				}
				v, err := strconv.ParseUint(src[i:i+4], 16, 32)
				if err != nil || v >= 0xd800 && v < 0xe000 {
					return "", 0, false
				}
				b = utf8.AppendRune(b, rune(v))
				i += 4
			default:
				return "", 0, false
			}
		default:
			b = append(b, c)
			i++
		}
	}
	return "", 0, false
}

// resolvePlain resolves a plain scalar as go.yaml.in/yaml/v2 does, for
// the types the subset keeps: strings, integers that fit in an int64,
// finite floats, booleans and null. It returns 0 for anything else
// (infinities, NaN, timestamps, merge keys, unsigned integers past
// int64), which the full decoder then reads.
func resolvePlain(s string) (yscalar, int64) {
	switch s {
	case "y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON":
		return yBool, 1
	case "n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF":
		return yBool, 0
	case "~", "null", "Null", "NULL":
		return yNull, 0
	case ".nan", ".NaN", ".NAN", ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf", "-.INF", "<<":
		return 0, 0
	}
	switch s[0] {
	case '.':
		if f, err := strconv.ParseFloat(s, 64); err == nil {
			return floatScalar(f)
		}
	case '+', '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		if looksLikeTimestamp(s) {
			return 0, 0
		}
		plain := strings.ReplaceAll(s, "_", "")
		if v, err := strconv.ParseInt(plain, 0, 64); err == nil {
			return yInt, v
		}
		if _, err := strconv.ParseUint(plain, 0, 64); err == nil {
			return 0, 0
		}
		if yamlFloatLike(plain) {
			if f, err := strconv.ParseFloat(plain, 64); err == nil {
				return floatScalar(f)
			}
		}
		if b, ok := strings.CutPrefix(plain, "0b"); ok {
			if v, err := strconv.ParseInt(b, 2, 64); err == nil {
				return yInt, v
			}
			if _, err := strconv.ParseUint(b, 2, 64); err == nil {
				return 0, 0
			}
		} else if b, ok := strings.CutPrefix(plain, "-0b"); ok {
			if v, err := strconv.ParseInt("-"+b, 2, 64); err == nil {
				return yInt, v
			}
		}
	case '=':
		if s == "=" {
			return 0, 0 // the YAML 1.1 value key
		}
	}
	return yString, 0
}

// floatScalar keeps a finite float; others are left to the full decoder.
func floatScalar(f float64) (yscalar, int64) {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return 0, 0
	}
	return yFloat, int64(math.Float64bits(f))
}

// looksLikeTimestamp reports whether s starts like a YAML timestamp
// (four digits and a dash); the subset leaves those to the full decoder.
func looksLikeTimestamp(s string) bool {
	return len(s) > 4 && s[4] == '-' && strings.Trim(s[:4], "0123456789") == ""
}

// yamlFloatLike reports whether s has the form go.yaml.in/yaml/v2 reads
// as a float: [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?
func yamlFloatLike(s string) bool {
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	digits := func() int {
		n := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
			n++
		}
		return n
	}
	if i < len(s) && s[i] == '.' {
		i++
		if digits() == 0 {
			return false
		}
	} else {
		if digits() == 0 {
			return false
		}
		if i < len(s) && s[i] == '.' {
			i++
			digits()
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if digits() == 0 {
			return false
		}
	}
	return i == len(s)
}
