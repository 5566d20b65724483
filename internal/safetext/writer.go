package safetext

import (
	"io"
	"strconv"
	"unicode/utf8"
)

// Style says how a [Writer] writes an unsafe character.
type Style uint8

// Styles.
const (
	// Visible writes Go escapes (\x1b, \u202e) that show as text: for
	// terminals, tables, CSV, Markdown, HTML and XML. The data changes, the
	// display cannot be taken over. Unlike [Line], backslashes already in
	// the text are not doubled: a stream has no per-string context.
	Visible Style = iota
	// JSON writes \u escapes (\u001b, \u202e), which JSON decoders read back
	// as the original character: valid JSON, the same data, and a document
	// that cannot take over a terminal it is printed on. Only use it on
	// JSON text, where unsafe characters can only occur inside strings
	// (encoding/json already escapes C0 controls, U+2028 and U+2029, but
	// neither DEL, C1 controls nor the bidirectional formatting characters).
	// Bytes that are not valid UTF-8 are written as U+FFFD.
	JSON
)

// Writer escapes unsafe characters (see the package documentation) in
// everything written through it, except line feeds and tabs, which every
// text format uses for its own layout. A character split across two writes
// is held back until it is complete; call Flush after the last write.
type Writer struct {
	w       io.Writer
	style   Style
	pending []byte // the start of an incomplete UTF-8 sequence
	buf     []byte
}

// NewWriter returns a Writer that escapes what it passes to w in style.
func NewWriter(w io.Writer, style Style) *Writer {
	return &Writer{w: w, style: style}
}

// Write escapes p and writes it. It reports len(p) on success.
func (sw *Writer) Write(p []byte) (int, error) {
	n := len(p)
	if len(sw.pending) > 0 {
		p = append(sw.pending, p...)
		sw.pending = nil
	}
	if !needs(p, true) {
		if _, err := sw.w.Write(p); err != nil {
			return 0, err
		}
		return n, nil
	}
	out := sw.buf[:0]
	for i := 0; i < len(p); {
		c := p[i]
		if c < utf8.RuneSelf {
			if c < 0x20 && c != '\n' && c != '\t' || c == 0x7f {
				out = sw.escape(out, rune(c))
			} else {
				out = append(out, c)
			}
			i++
			continue
		}
		if !utf8.FullRune(p[i:]) {
			sw.pending = append([]byte(nil), p[i:]...)
			break
		}
		r, size := utf8.DecodeRune(p[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			if sw.style == JSON {
				out = append(out, "\ufffd"...)
			} else {
				out = append(out, `\x`...)
				out = append(out, hex2(c)...)
			}
		case unsafe(r):
			out = sw.escape(out, r)
		default:
			out = append(out, p[i:i+size]...)
		}
		i += size
	}
	sw.buf = out
	if _, err := sw.w.Write(out); err != nil {
		return 0, err
	}
	return n, nil
}

// Flush writes a character left incomplete by the last write, escaped as
// the invalid bytes it is.
func (sw *Writer) Flush() error {
	if len(sw.pending) == 0 {
		return nil
	}
	p := sw.pending
	sw.pending = nil
	var out []byte
	for _, c := range p {
		if sw.style == JSON {
			out = append(out, "\ufffd"...)
		} else {
			out = append(out, `\x`...)
			out = append(out, hex2(c)...)
		}
	}
	_, err := sw.w.Write(out)
	return err
}

func (sw *Writer) escape(out []byte, r rune) []byte {
	if sw.style == JSON {
		out = append(out, `\u`...)
		s := strconv.FormatInt(int64(r), 16)
		for i := len(s); i < 4; i++ {
			out = append(out, '0')
		}
		return append(out, s...)
	}
	return append(out, escapeRune(r)...)
}
