// Package safetext makes untrusted text (names, labels, kinds and values
// read from manifests) safe to print: a terminal, a CI log, a Markdown
// table or an XML attribute must show the text, never obey it.
//
// [Line] escapes every character that could move the cursor, erase or
// recolour output, reorder what is displayed, or break a line: C0 and C1
// controls, DEL, the Unicode bidirectional formatting characters, the
// line and paragraph separators, and bytes that are not valid UTF-8. They
// are written in Go's escape syntax (\x1b, \u202e), so the text stays
// readable. Text that needs no escaping is returned as it is.
package safetext

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// Line returns s with every unsafe character escaped (see the package
// documentation). When s needs escaping, its backslashes are doubled too,
// so the escapes it gains cannot be confused with backslashes it had.
// Text that needs no escaping is returned unchanged, without allocation.
func Line(s string) string {
	if !Needs(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b.WriteString(`\x`)
			b.WriteString(hex2(s[i]))
		case r == '\\':
			b.WriteString(`\\`)
		case unsafe(r):
			b.WriteString(escapeRune(r))
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

// Needs reports whether [Line] would change s. It is O(len(s)) and does
// not allocate.
func Needs(s string) bool { return needs(s, false) }

// needs reports whether s holds an unsafe character or invalid UTF-8;
// with layout, line feeds and tabs are safe.
func needs[T string | []byte](s T, layout bool) bool {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c < 0x20 && !(layout && (c == '\n' || c == '\t')) || c == 0x7f {
				return true
			}
			i++
			continue
		}
		var r rune
		var size int
		switch v := any(s[i:]).(type) {
		case string:
			r, size = utf8.DecodeRuneInString(v)
		case []byte:
			r, size = utf8.DecodeRune(v)
		}
		if r == utf8.RuneError && size == 1 || unsafe(r) {
			return true
		}
		i += size
	}
	return false
}

// unsafe reports whether r can change how surrounding text is displayed.
func unsafe(r rune) bool {
	switch {
	case r < 0x20, r == 0x7f, r >= 0x80 && r < 0xa0: // C0, DEL, C1
		return true
	case r == 0x061c, r == 0x200e, r == 0x200f: // ALM, LRM, RLM
		return true
	case r >= 0x202a && r <= 0x202e: // LRE, RLE, PDF, LRO, RLO
		return true
	case r >= 0x2066 && r <= 0x2069: // LRI, RLI, FSI, PDI
		return true
	case r == 0x2028, r == 0x2029: // line and paragraph separators
		return true
	}
	return false
}

func escapeRune(r rune) string {
	if r < 0x80 {
		return `\x` + hex2(byte(r))
	}
	q := strconv.QuoteRuneToASCII(r) // '\u202e'
	return q[1 : len(q)-1]
}

func hex2(c byte) string {
	const digits = "0123456789abcdef"
	return string([]byte{digits[c>>4], digits[c&0xf]})
}
