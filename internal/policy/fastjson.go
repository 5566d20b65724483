package policy

import (
	"encoding/json"
	"strconv"
	"strings"
	"unicode/utf8"
)

// parseFastJSON reads a JSON document (one value, as the input reader cut
// it) into the fast path's tree, whose nodes then hold byte offsets rather
// than lines and columns. It gives up (nil) on what the fast path leaves
// to the full decoder: duplicate keys, numbers that are not integers
// fitting in an int64, anything malformed.
func parseFastJSON(src string) *ytree {
	// Indented manifests hold about one node per 20 to 30 bytes.
	p := jsonParser{src: src, nodes: make([]ynode, 0, len(src)/24+4)}
	p.space()
	if p.pos >= len(src) || src[p.pos] != '{' || !p.value() {
		return nil
	}
	p.space()
	if p.pos != len(src) {
		return nil
	}
	return (&ytree{nodes: p.nodes, json: true}).index()
}

type jsonParser struct {
	src   string
	pos   int
	depth int
	nodes []ynode
}

func (p *jsonParser) space() {
	for p.pos < len(p.src) {
		switch p.src[p.pos] {
		case ' ', '\t', '\r', '\n':
			p.pos++
		default:
			return
		}
	}
}

func (p *jsonParser) add(n ynode) int {
	n.end = int32(len(p.nodes) + 1)
	p.nodes = append(p.nodes, n)
	return len(p.nodes) - 1
}

// value reads the value at p.pos.
func (p *jsonParser) value() bool {
	if p.pos >= len(p.src) {
		return false
	}
	off := int32(p.pos)
	switch c := p.src[p.pos]; c {
	case '{', '[':
		p.depth++
		if p.depth > maxFastDepth {
			return false
		}
		kind, closing := ySequence, byte(']')
		if c == '{' {
			kind, closing = yMapping, '}'
		}
		n := p.add(ynode{kind: kind, off: off})
		p.pos++
		p.space()
		if p.pos < len(p.src) && p.src[p.pos] == closing {
			p.pos++
		} else {
			for {
				if kind == yMapping {
					if p.pos >= len(p.src) || p.src[p.pos] != '"' {
						return false
					}
					k := len(p.nodes)
					if !p.string() || duplicateKey(p.nodes, n, k) {
						return false
					}
					p.space()
					if p.pos >= len(p.src) || p.src[p.pos] != ':' {
						return false
					}
					p.pos++
					p.space()
				}
				if !p.value() {
					return false
				}
				p.space()
				if p.pos >= len(p.src) {
					return false
				}
				if p.src[p.pos] == closing {
					p.pos++
					break
				}
				if p.src[p.pos] != ',' {
					return false
				}
				p.pos++
				p.space()
			}
		}
		p.nodes[n].end = int32(len(p.nodes))
		p.depth--
		return true
	case '"':
		return p.string()
	case 't':
		return p.literal("true", ynode{kind: yScalar, typ: yBool, num: 1, off: off})
	case 'f':
		return p.literal("false", ynode{kind: yScalar, typ: yBool, off: off})
	case 'n':
		return p.literal("null", ynode{kind: yScalar, typ: yNull, off: off})
	}
	return p.number()
}

// digits skips decimal digits and returns how many there were.
func (p *jsonParser) digits() int {
	n := 0
	for p.pos < len(p.src) && p.src[p.pos] >= '0' && p.src[p.pos] <= '9' {
		p.pos++
		n++
	}
	return n
}

func (p *jsonParser) literal(word string, n ynode) bool {
	if !strings.HasPrefix(p.src[p.pos:], word) {
		return false
	}
	p.pos += len(word)
	p.add(n)
	return true
}

// number reads a number: an integer that fits in an int64, or a float
// (kept with its text, for custom unmarshalers); -0 is left to the full
// decoder.
func (p *jsonParser) number() bool {
	start := p.pos
	if p.pos < len(p.src) && p.src[p.pos] == '-' {
		p.pos++
	}
	digits := p.pos
	p.digits()
	if p.pos == digits || (p.src[digits] == '0' && p.pos-digits > 1) {
		return false
	}
	isFloat := false
	if p.pos < len(p.src) && p.src[p.pos] == '.' {
		p.pos++
		isFloat = true
		if p.digits() == 0 {
			return false
		}
	}
	if p.pos < len(p.src) && (p.src[p.pos] == 'e' || p.src[p.pos] == 'E') {
		p.pos++
		isFloat = true
		if p.pos < len(p.src) && (p.src[p.pos] == '+' || p.src[p.pos] == '-') {
			p.pos++
		}
		if p.digits() == 0 {
			return false
		}
	}
	lit := p.src[start:p.pos]
	if isFloat {
		f, err := strconv.ParseFloat(lit, 64)
		if err != nil {
			return false
		}
		typ, bits := floatScalar(f)
		if typ == 0 {
			return false
		}
		p.add(ynode{kind: yScalar, typ: typ, num: bits, str: lit, off: int32(start)})
		return true
	}
	if lit == "-0" {
		return false
	}
	v, err := strconv.ParseInt(lit, 10, 64)
	if err != nil {
		return false
	}
	p.add(ynode{kind: yScalar, typ: yInt, num: v, off: int32(start)})
	return true
}

// string reads a string; one with escapes or with bytes that are not
// UTF-8 is decoded as encoding/json decodes it.
func (p *jsonParser) string() bool {
	start := p.pos
	i := p.pos + 1
	plain := true
	for {
		if i >= len(p.src) {
			return false
		}
		c := p.src[i]
		if c == '"' {
			break
		}
		if c < 0x20 {
			return false
		}
		if c == '\\' {
			plain = false
			i += 2
			continue
		}
		if c >= 0x80 {
			plain = false
		}
		i++
	}
	p.pos = i + 1
	s := p.src[start+1 : i]
	if !plain {
		if !utf8.ValidString(s) || strings.IndexByte(s, '\\') >= 0 {
			var v string
			if json.Unmarshal([]byte(p.src[start:p.pos]), &v) != nil {
				return false
			}
			s = v
		}
	}
	p.add(ynode{kind: yScalar, typ: yString, str: s, off: int32(start)})
	return true
}
