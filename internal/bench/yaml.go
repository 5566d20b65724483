package bench

import (
	"encoding/json"
	"fmt"
	"unicode/utf8"
)

// marshalYAML returns obj as a block-style YAML document. It is
// sigs.k8s.io/yaml.Marshal made fast: obj goes through encoding/json (so
// json tags, omitempty and custom marshallers apply exactly as there), and
// the JSON is rewritten as YAML by appendYAML instead of being parsed and
// re-encoded by a YAML library, which costs 50 times as much (336 µs
// against 7 µs per pod). Unlike sigs.k8s.io/yaml, struct fields keep their
// declaration order (apiVersion, kind, metadata, spec, status), as kubectl
// prints them; map keys are sorted.
func marshalYAML(dst []byte, obj any) ([]byte, error) {
	j, err := json.Marshal(obj)
	if err != nil {
		return dst, err
	}
	return appendYAML(dst, j)
}

// appendYAML appends the YAML form of the JSON document j to dst. j must
// be what encoding/json writes: valid and compact (no white space outside
// strings). Sequences inside mappings are not indented, as in
// sigs.k8s.io/yaml output:
//
//	spec:
//	  containers:
//	  - name: web
//	    ports:
//	    - containerPort: 8080
func appendYAML(dst, j []byte) ([]byte, error) {
	e := emitter{j: j, out: dst}
	if err := e.document(); err != nil {
		return dst, err
	}
	return e.out, nil
}

// emitter converts one compact JSON document to YAML.
type emitter struct {
	j   []byte
	pos int
	out []byte
}

func (e *emitter) errorf(format string, args ...any) error {
	return fmt.Errorf("bench: JSON to YAML at offset %d: %s", e.pos, fmt.Sprintf(format, args...))
}

func (e *emitter) document() error {
	if e.pos >= len(e.j) {
		return e.errorf("empty input")
	}
	var err error
	switch e.j[e.pos] {
	case '{', '[':
		if e.isEmpty() {
			err = e.scalar()
		} else {
			err = e.collection(0, true)
		}
	default:
		err = e.scalar()
	}
	if err != nil {
		return err
	}
	if e.pos != len(e.j) {
		return e.errorf("trailing data")
	}
	if n := len(e.out); n == 0 || e.out[n-1] != '\n' {
		e.out = append(e.out, '\n')
	}
	return nil
}

// isEmpty reports whether the collection at pos is {} or [].
func (e *emitter) isEmpty() bool {
	return e.pos+1 < len(e.j) && (e.j[e.pos+1] == '}' || e.j[e.pos+1] == ']')
}

func (e *emitter) indent(n int) {
	for range n {
		e.out = append(e.out, ' ')
	}
}

// collection writes the non-empty mapping or sequence at pos, its entries
// at indent ind. inline means the cursor is just after "- " (or at the
// start of the document), so the first entry continues the current line;
// otherwise the cursor is just after "key:" and entries start on new
// lines.
func (e *emitter) collection(ind int, inline bool) error {
	open := e.j[e.pos]
	e.pos++
	first := true
	for {
		if !first || !inline {
			if first {
				e.out = append(e.out, '\n')
			}
			e.indent(ind)
		}
		first = false
		if open == '{' {
			if err := e.key(); err != nil {
				return err
			}
			if err := e.memberValue(ind); err != nil {
				return err
			}
		} else {
			e.out = append(e.out, '-', ' ')
			if err := e.itemValue(ind); err != nil {
				return err
			}
		}
		if e.pos >= len(e.j) {
			return e.errorf("unterminated collection")
		}
		switch c := e.j[e.pos]; {
		case c == ',':
			e.pos++
		case c == '}' && open == '{', c == ']' && open == '[':
			e.pos++
			return nil
		default:
			return e.errorf("unexpected %q", c)
		}
	}
}

// maxKeyLen bounds the length of a mapping key: YAML implicit keys are
// limited to 1024 characters.
const maxKeyLen = 1000

// key writes a mapping key and the colon.
func (e *emitter) key() error {
	if e.pos >= len(e.j) || e.j[e.pos] != '"' {
		return e.errorf("expected a key")
	}
	start := len(e.out)
	if err := e.str(); err != nil {
		return err
	}
	if len(e.out)-start > maxKeyLen {
		return e.errorf("key longer than %d bytes", maxKeyLen)
	}
	if e.pos >= len(e.j) || e.j[e.pos] != ':' {
		return e.errorf("expected ':'")
	}
	e.pos++
	e.out = append(e.out, ':')
	return nil
}

// memberValue writes the value of a mapping member whose key is at indent
// ind.
func (e *emitter) memberValue(ind int) error {
	if e.pos < len(e.j) && !e.isEmpty() {
		switch e.j[e.pos] {
		case '{':
			return e.collection(ind+2, false)
		case '[':
			return e.collection(ind, false)
		}
	}
	e.out = append(e.out, ' ')
	if err := e.scalar(); err != nil {
		return err
	}
	e.out = append(e.out, '\n')
	return nil
}

// itemValue writes the value of a sequence item whose dash is at indent
// ind.
func (e *emitter) itemValue(ind int) error {
	if e.pos < len(e.j) && !e.isEmpty() && (e.j[e.pos] == '{' || e.j[e.pos] == '[') {
		return e.collection(ind+2, true)
	}
	if err := e.scalar(); err != nil {
		return err
	}
	e.out = append(e.out, '\n')
	return nil
}

// scalar writes a string, number, true, false, null, {} or [].
func (e *emitter) scalar() error {
	if e.pos >= len(e.j) {
		return e.errorf("expected a value")
	}
	switch c := e.j[e.pos]; {
	case c == '"':
		return e.str()
	case c == '{' || c == '[':
		if !e.isEmpty() {
			return e.errorf("unexpected collection")
		}
		e.out = append(e.out, e.j[e.pos:e.pos+2]...)
		e.pos += 2
		return nil
	default:
		start := e.pos
		for e.pos < len(e.j) {
			switch e.j[e.pos] {
			case ',', '}', ']':
				goto done
			}
			e.pos++
		}
	done:
		if start == e.pos {
			return e.errorf("expected a value")
		}
		e.out = append(e.out, e.j[start:e.pos]...)
		return nil
	}
}

// str writes the JSON string at pos: plain when YAML reads the plain form
// back as the same string, else double-quoted (a JSON string literal is a
// valid YAML double-quoted scalar).
func (e *emitter) str() error {
	start := e.pos
	e.pos++
	escaped := false
	for {
		if e.pos >= len(e.j) {
			return e.errorf("unterminated string")
		}
		c := e.j[e.pos]
		e.pos++
		if c == '\\' {
			escaped = true
			e.pos++
			continue
		}
		if c == '"' {
			break
		}
	}
	body := e.j[start+1 : e.pos-1]
	switch {
	case !escaped && isPlainSafe(body):
		e.out = append(e.out, body...)
	default:
		e.out = appendQuoted(e.out, e.j[start:e.pos])
	}
	return nil
}

// appendQuoted appends a JSON string literal as a YAML double-quoted
// scalar. The escapes are the same; what differs is the characters YAML
// does not allow unescaped and JSON does (DEL, the C1 controls but NEL,
// U+FFFE and U+FFFF), which are written as \u escapes.
func appendQuoted(dst, lit []byte) []byte {
	for i := 0; i < len(lit); {
		c := lit[i]
		if c < 0x7f {
			dst = append(dst, c)
			i++
			continue
		}
		r, n := utf8.DecodeRune(lit[i:])
		if r == 0x7f || r >= 0x80 && r <= 0x9f && r != 0x85 || r == 0xfffe || r == 0xffff || r == utf8.RuneError && n == 1 {
			dst = fmt.Appendf(dst, "\\u%04x", r)
		} else {
			dst = append(dst, lit[i:i+n]...)
		}
		i += n
	}
	return dst
}

// isPlainSafe reports whether s can be written as a plain YAML scalar and
// read back (by YAML 1.1 parsers such as the one in sigs.k8s.io/yaml) as
// the same string. It is deliberately conservative: a letter, then
// letters, digits and "._/-", and not a word YAML 1.1 gives a meaning
// (true, no, on, null, ...).
func isPlainSafe(s []byte) bool {
	if len(s) == 0 || !isLetter(s[0]) {
		return false
	}
	for _, c := range s[1:] {
		if !isLetter(c) && !(c >= '0' && c <= '9') && c != '.' && c != '_' && c != '/' && c != '-' {
			return false
		}
	}
	if len(s) > 5 {
		return true
	}
	var low [5]byte
	for i, c := range s {
		low[i] = c | 0x20
	}
	switch string(low[:len(s)]) {
	case "y", "n", "yes", "no", "on", "off", "true", "false", "null":
		return false
	}
	return true
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
