package policy

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// readBufferBytes is the size of the chunks input is read in.
const readBufferBytes = 64 << 10

// sniffBytes is how much of the start of an input is examined to tell
// compressed or binary data from text.
const sniffBytes = 8 << 10

// compressedMagic are the first bytes of compressed or archived files,
// which are often given by mistake (a .yaml.gz, a support bundle).
var compressedMagic = []struct {
	magic, format, hint string
}{
	{"\x1f\x8b", "gzip", "gunzip it, or pipe it: zcat FILE | netreach ... -f -"},
	{"\x28\xb5\x2f\xfd", "zstd", "unzstd it, or pipe it: zstdcat FILE | netreach ... -f -"},
	{"BZh", "bzip2", "bunzip2 it, or pipe it: bzcat FILE | netreach ... -f -"},
	{"\xfd7zXZ\x00", "xz", "unxz it, or pipe it: xzcat FILE | netreach ... -f -"},
	{"PK\x03\x04", "zip", "unzip it and give the manifests (or their directory) with -f"},
}

// AddReader reads manifests from r, as [Loader.AddBytes] reads data, but
// in bounded chunks: memory does not grow with the size of the input,
// only with the size of its documents. A document larger than
// LoadOptions.MaxDocumentBytes is rejected without being held in memory;
// when no document separator follows within another MaxDocumentBytes, the
// rest of the input is not read (so an endless stream such as /dev/zero
// or /dev/urandom ends with an error instead of filling memory).
// Compressed and binary input is recognised from its first bytes and
// rejected with a message naming it. name is used in diagnostics. Read
// errors become Error diagnostics.
func (l *Loader) AddReader(name string, r io.Reader) {
	if l.limit {
		return // the document limit was reached: nothing more is read
	}
	size := bufferSize(r)
	br := bufio.NewReaderSize(r, size)
	head, err := br.Peek(sniffBytes)
	if err != nil && err != io.EOF && err != bufio.ErrBufferFull {
		l.add(Diagnostic{Severity: Error, Location: Location{File: name}, Code: CodeRead, Msg: "read: " + err.Error()})
		return
	}
	if d := sniffBinary(name, head); d != nil {
		d.Code = CodeRead
		l.add(*d)
		return
	}
	in := &inputReader{l: l, name: name, line: 1}
	in.br = bufio.NewReaderSize(textReader(br, head, size), size)
	if in.isJSON() {
		in.readJSON()
	} else {
		in.readYAML()
	}
}

// bufferSize returns the size of the buffers an input is read with:
// readBufferBytes, or less for a small input of known length (AddBytes of
// one object, as a reader of a live cluster gives them), so that many small
// inputs do not each allocate buffers of 64 KiB. The buffers still hold the
// whole input, twice over for the growth of UTF-16 text turned into UTF-8,
// so no line is cut into chunks that a full buffer would not cut.
func bufferSize(r io.Reader) int {
	if lr, ok := r.(interface{ Len() int }); ok {
		return min(readBufferBytes, max(2*lr.Len()+64, 512))
	}
	return readBufferBytes
}

// sniffBinary returns an error diagnostic when the start of an input shows
// that it is compressed or binary data rather than YAML or JSON text.
func sniffBinary(name string, head []byte) *Diagnostic {
	loc := Location{File: name}
	for _, m := range compressedMagic {
		if bytes.HasPrefix(head, []byte(m.magic)) {
			return &Diagnostic{Severity: Error, Location: loc,
				Msg: fmt.Sprintf("compressed input (%s): decompress it first (%s); the input is not read", m.format, m.hint)}
		}
	}
	if utf16Order(head) != nil {
		return nil // NUL bytes are expected in UTF-16
	}
	if i := bytes.IndexByte(head, 0); i >= 0 {
		line := 1 + bytes.Count(head[:i], []byte("\n"))
		return &Diagnostic{Severity: Error, Location: Location{File: name, Line: line},
			Msg: "binary data (a NUL byte), not YAML or JSON text (UTF-16 text needs a byte order mark); the input is not read"}
	}
	return nil
}

// inputReader cuts one input into documents as it reads it, and hands
// them to the loader.
type inputReader struct {
	l    *Loader
	name string
	br   *bufio.Reader
	line int // 1-based number of the line the reader is on
	col  int // runes of that line read so far (JSON only)
	docs int // documents found so far (not blank)
	stop bool
}

// isJSON reports whether the input is read as JSON: it starts with '{' or
// '[' after blanks (as kubectl decides) and its name does not say it is
// YAML, which may use flow style too.
func (in *inputReader) isJSON() bool {
	if isYAMLName(in.name) {
		return false
	}
	for n := 512; n <= readBufferBytes; n *= 2 {
		head, err := in.br.Peek(n)
		t := bytes.TrimLeft(head, " \t\r\n")
		if len(t) > 0 {
			return t[0] == '{' || t[0] == '['
		}
		if err != nil {
			return false
		}
	}
	return false
}

// emit hands a document to the loader, counting it against the document
// limit. It reports false when no more documents are to be read.
func (in *inputReader) emit(d *document) bool {
	if in.l.cancelled() {
		in.stop = true
		return false
	}
	in.l.ndocs++
	if in.l.ndocs > in.l.opts.MaxDocuments {
		in.l.limit = true
		in.l.add(Diagnostic{Severity: Error, Location: d.location(), Code: CodeLimit,
			Msg: fmt.Sprintf("more than %d documents in the input; the rest are not read (raise the limit with --max-documents)", in.l.opts.MaxDocuments)})
		in.stop = true
		return false
	}
	in.l.queue(d)
	return true
}

// tooLarge reports a document over the size limit: size bytes when its end
// was found, else more than the limit followed by no separator within the
// skip window, which ends the input.
func (in *inputReader) tooLarge(d *document, size int, ended bool) {
	max := in.l.opts.MaxDocumentBytes
	if ended {
		in.l.add(Diagnostic{Severity: Error, Location: d.location(), Code: CodeLimit,
			Msg: fmt.Sprintf("document is %d bytes, more than the limit of %d; it is not read (raise the limit with --max-document-bytes)", size, max)})
		return
	}
	in.l.add(Diagnostic{Severity: Error, Location: d.location(), Code: CodeLimit,
		Msg: fmt.Sprintf("document is more than %d bytes, the limit, and no document separator follows within another %d bytes; it and the rest of the input are not read (raise the limit with --max-document-bytes)", max, max)})
	in.stop = true
}

// docBuffer gathers the text of one document up to the size limit; past
// the limit it only counts.
type docBuffer struct {
	text []byte
	size int // bytes of the document, kept or not
	max  int
	// hint is the capacity the text starts with: documents of a stream
	// tend to have similar sizes, so starting at the last one's size (and
	// a little more) saves growing the text line by line.
	hint int
}

func (b *docBuffer) add(p []byte) {
	b.size += len(p)
	if room := b.max - len(b.text); room > 0 {
		if b.text == nil && b.hint > len(p) {
			b.text = make([]byte, 0, min(b.hint, b.max))
		}
		b.text = append(b.text, p[:min(room, len(p))]...)
	}
}

// next returns an empty buffer for the document after b.
func (b *docBuffer) next() docBuffer {
	return docBuffer{max: b.max, hint: min(b.size+b.size/8+64, maxDocHint)}
}

// maxDocHint bounds the capacity a document buffer starts with.
const maxDocHint = 1 << 20

func (b *docBuffer) over() bool { return b.size > b.max }

// skippedTooFar reports whether an oversized document has gone on for
// another limit's worth of bytes without ending.
func (b *docBuffer) skippedTooFar() bool { return b.size > 2*b.max }

// readYAML cuts a YAML stream at lines that start a new document ("---",
// optionally followed by a comment or by content) or end one ("..."), and
// drops documents that hold only comments, blank lines and directives.
// Documents are numbered from 1 in the order they appear, counting only
// the non-blank ones; each keeps its first line.
func (in *inputReader) readYAML() {
	buf := docBuffer{max: in.l.opts.MaxDocumentBytes}
	startLine, startCol := 1, 0
	flush := func(ended bool) {
		text := buf.text
		if !buf.over() && isBlankYAML(text) {
			buf = buf.next()
			return
		}
		in.docs++
		d := &document{file: in.name, index: in.docs, startLine: startLine, startCol: startCol, text: text[:len(text):len(text)]}
		if buf.over() {
			in.tooLarge(d, buf.size, ended)
		} else {
			in.emit(d)
		}
		buf = buf.next()
	}
	atLineStart := true
	for !in.stop {
		chunk, err := in.br.ReadSlice('\n')
		if err != nil && err != io.EOF && err != bufio.ErrBufferFull {
			flush(true)
			in.l.add(Diagnostic{Severity: Error, Location: Location{File: in.name, Line: in.line}, Code: CodeRead, Msg: "read: " + err.Error()})
			return
		}
		complete := len(chunk) > 0 && chunk[len(chunk)-1] == '\n'
		switch {
		case len(chunk) == 0:
		case !atLineStart:
			buf.add(chunk)
		default:
			if sep, keep := isDocSeparator(chunk); sep {
				flush(true)
				startLine, startCol = in.line+1, 0
				if keep < len(chunk) {
					startLine, startCol = in.line, keep
					buf.add(chunk[keep:])
				}
			} else if isDocEnd(chunk) {
				flush(true)
				startLine, startCol = in.line+1, 0
			} else {
				buf.add(chunk)
			}
		}
		if complete {
			in.line++
		}
		atLineStart = complete
		if buf.skippedTooFar() {
			flush(false)
			return
		}
		if err == io.EOF {
			flush(true)
			return
		}
	}
}

// readJSON cuts a stream of JSON values (one object, or several one after
// the other as "jq -c" prints them) into documents. A syntax error ends
// the stream.
func (in *inputReader) readJSON() {
	for !in.stop {
		if !in.skipBlanks() {
			return
		}
		d := &document{file: in.name, index: in.docs + 1, startLine: in.line, startCol: in.col, isJSON: true}
		buf := docBuffer{max: in.l.opts.MaxDocumentBytes}
		ended := in.jsonObjectOrList(d, &buf)
		in.docs++
		if in.stop {
			return // a List that ended the input
		}
		if buf.over() {
			d.text = buf.text
			in.tooLarge(d, buf.size, ended)
			continue
		}
		d.text = buf.text[:len(buf.text):len(buf.text)]
		// The fast path's parser accepts only valid JSON: when it reads the
		// document, the document needs no other check.
		if d.tree = parseFastJSON(d.textString()); d.tree != nil {
			d.json = d.text
			in.emit(d)
			continue
		}
		if bad := jsonSyntaxError(d); bad != nil {
			// Report the error only when the documents before it were
			// all read.
			if in.l.ndocs < in.l.opts.MaxDocuments {
				bad.Code = CodeSyntax
				in.l.add(*bad)
			}
			return
		}
		d.json = d.text
		in.emit(d)
	}
}

// jsonSyntaxError checks that the document is one valid JSON value and
// returns the error, located, when it is not.
func jsonSyntaxError(d *document) *Diagnostic {
	if json.Valid(d.text) {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(d.text))
	var raw json.RawMessage
	err := dec.Decode(&raw)
	if err == nil {
		return nil
	}
	off := len(d.text)
	msg := err.Error()
	var se *json.SyntaxError
	if errors.As(err, &se) {
		off = max(int(se.Offset)-1, 0)
	} else if err == io.ErrUnexpectedEOF || err == io.EOF {
		msg = "unexpected end of input"
	}
	if strings.HasSuffix(msg, "exceeded max depth") {
		msg = "exceeded max depth of 10000" // encoding/json's limit
	}
	return &Diagnostic{Severity: Error, Location: d.position(off), Msg: "invalid JSON: " + msg}
}

// skipBlanks skips white space between JSON values, counting lines. It
// reports false at the end of the input.
func (in *inputReader) skipBlanks() bool {
	for {
		b, err := in.br.ReadByte()
		if err != nil {
			if err != io.EOF {
				in.l.add(Diagnostic{Severity: Error, Location: Location{File: in.name, Line: in.line}, Code: CodeRead, Msg: "read: " + err.Error()})
			}
			return false
		}
		switch b {
		case '\n':
			in.line++
			in.col = 0
		case ' ', '\t', '\r':
			in.col++
		default:
			_ = in.br.UnreadByte()
			return true
		}
	}
}

// jsonValue reads one JSON value (an object, a list, a string or another
// scalar) into buf, up to its end as far as brackets and strings go; the
// JSON decoder checks the rest. A value that starts with a character no
// value starts with is that one character, for the decoder to report. It
// reports whether the value ended (false when it was cut short by the skip
// window of an oversized value).
func (in *inputReader) jsonValue(buf *docBuffer) bool {
	s := jsonScan{}
	for {
		chunk, err := in.br.Peek(max(1, in.br.Buffered()))
		if len(chunk) == 0 {
			if err != nil && err != io.EOF {
				in.l.add(Diagnostic{Severity: Error, Location: Location{File: in.name, Line: in.line}, Code: CodeRead, Msg: "read: " + err.Error()})
			}
			return true // the decoder reports the value as unfinished
		}
		n, done := s.scan(chunk)
		buf.add(chunk[:n])
		in.advance(chunk[:n])
		_, _ = in.br.Discard(n)
		if done {
			return true
		}
		if buf.skippedTooFar() {
			return false
		}
	}
}

// jsonStructural marks the bytes that open or close strings, objects and
// lists.
var jsonStructural = [256]bool{'"': true, '{': true, '[': true, '}': true, ']': true}

// jsonScan finds where a JSON value ends, chunk by chunk.
type jsonScan struct {
	started, scalar, inString, escaped bool
	depth                              int
}

// scan reads chunk and returns how much of it belongs to the value, and
// whether the value ended there.
func (s *jsonScan) scan(chunk []byte) (int, bool) {
	n := 0
	if !s.started {
		s.started = true
		switch chunk[0] {
		case '{', '[':
			s.depth = 1
		case '"':
			s.inString = true
		case '}', ']', ',', ':':
			return 1, true
		default:
			s.scalar = true
		}
		n = 1
	}
	for n < len(chunk) {
		switch {
		case s.escaped:
			s.escaped = false
			n++
		case s.inString:
			j := bytes.IndexAny(chunk[n:], "\"\\")
			if j < 0 {
				return len(chunk), false
			}
			n += j
			if chunk[n] == '\\' {
				s.escaped = true
				n++
				continue
			}
			n++
			s.inString = false
			if s.depth == 0 {
				return n, true
			}
		case s.scalar:
			if bytes.IndexByte([]byte(" \t\r\n{}[],:\""), chunk[n]) >= 0 {
				return n, true
			}
			n++
		default:
			for n < len(chunk) && !jsonStructural[chunk[n]] {
				n++
			}
			if n == len(chunk) {
				return n, false
			}
			c := chunk[n]
			n++
			switch c {
			case '"':
				s.inString = true
			case '{', '[':
				s.depth++
			case '}', ']':
				s.depth--
				if s.depth == 0 {
					return n, true
				}
			}
		}
	}
	return n, false
}

// advance moves the line and column past p.
func (in *inputReader) advance(p []byte) {
	if nl := bytes.LastIndexByte(p, '\n'); nl >= 0 {
		in.line += bytes.Count(p, []byte("\n"))
		in.col = utf8.RuneCount(p[nl+1:])
		return
	}
	in.col += utf8.RuneCount(p)
}

// textReader returns r (whose first bytes are head) as UTF-8 text with
// line breaks the YAML parser counts: a UTF-8 byte order mark is dropped,
// UTF-16 (with its byte order mark, as Windows PowerShell writes
// redirected output) is converted to UTF-8, and a CR not followed by LF
// (old Mac line endings) becomes LF. (YAML 1.1 also breaks lines at NEL,
// LS and PS, but keeps them in quoted strings, so they are left alone;
// lines after them are then counted one short.)
func textReader(r *bufio.Reader, head []byte, size int) io.Reader {
	var src io.Reader = r
	if bytes.HasPrefix(head, []byte("\xef\xbb\xbf")) {
		_, _ = r.Discard(3)
	} else if order := utf16Order(head); order != nil {
		_, _ = r.Discard(2)
		src = &utf16Reader{r: r, bigEndian: *order}
	}
	return &crReader{r: src, size: size}
}

// utf16Order returns whether text with a UTF-16 byte order mark is big
// endian, or nil when head has no such mark.
func utf16Order(head []byte) *bool {
	big := true
	switch {
	case bytes.HasPrefix(head, []byte("\xff\xfe")):
		big = false
		return &big
	case bytes.HasPrefix(head, []byte("\xfe\xff")):
		return &big
	}
	return nil
}

// utf16Reader converts UTF-16 to UTF-8 as it reads. Unpaired surrogates
// become U+FFFD, as utf16.Decode makes them.
type utf16Reader struct {
	r         *bufio.Reader
	bigEndian bool
	out       []byte // converted bytes not yet returned
	high      rune   // a high surrogate waiting for its pair, or 0
}

func (u *utf16Reader) Read(p []byte) (int, error) {
	for len(u.out) == 0 {
		var pair [2]byte
		if _, err := io.ReadFull(u.r, pair[:]); err != nil {
			if u.high != 0 {
				u.out = utf8.AppendRune(u.out, utf8.RuneError)
				u.high = 0
				break
			}
			if err == io.ErrUnexpectedEOF {
				err = io.EOF // a final odd byte is dropped, as before
			}
			return 0, err
		}
		unit := rune(pair[0]) | rune(pair[1])<<8
		if u.bigEndian {
			unit = rune(pair[1]) | rune(pair[0])<<8
		}
		switch {
		case unit >= 0xd800 && unit < 0xdc00:
			if u.high != 0 {
				u.out = utf8.AppendRune(u.out, utf8.RuneError)
			}
			u.high = unit
		case unit >= 0xdc00 && unit < 0xe000:
			if u.high == 0 {
				u.out = utf8.AppendRune(u.out, utf8.RuneError)
				continue
			}
			u.out = utf8.AppendRune(u.out, (u.high-0xd800)<<10|(unit-0xdc00)+0x10000)
			u.high = 0
		default:
			if u.high != 0 {
				u.out = utf8.AppendRune(u.out, utf8.RuneError)
				u.high = 0
			}
			u.out = utf8.AppendRune(u.out, unit)
		}
	}
	n := copy(p, u.out)
	u.out = u.out[n:]
	return n, nil
}

// crReader turns a CR that is not followed by LF into LF, keeping the
// length of the text. A CR that ends one read is held back until the next
// byte is known.
type crReader struct {
	r        io.Reader
	size     int // of buf; 0 means readBufferBytes
	buf      []byte
	start, n int  // buf[start:n] is ready to be returned
	cr       bool // a CR was held back
	err      error
}

func (c *crReader) Read(p []byte) (int, error) {
	for c.start == c.n {
		if c.err != nil {
			return 0, c.err
		}
		c.fill()
	}
	n := copy(p, c.buf[c.start:c.n])
	c.start += n
	return n, nil
}

// fill reads the next bytes and converts their line breaks.
func (c *crReader) fill() {
	if c.buf == nil {
		if c.size <= 0 {
			c.size = readBufferBytes
		}
		c.buf = make([]byte, c.size)
	}
	c.start, c.n = 0, 0
	if c.cr {
		c.buf[0], c.n, c.cr = '\r', 1, false
	}
	m, err := c.r.Read(c.buf[c.n:])
	c.n += m
	c.err = err
	for i := 0; i < c.n; i++ {
		if c.buf[i] != '\r' {
			continue
		}
		switch {
		case i+1 < c.n:
			if c.buf[i+1] != '\n' {
				c.buf[i] = '\n'
			}
		case c.err != nil:
			c.buf[i] = '\n' // the input ends with it
		default:
			c.cr = true // decided by the next byte
			c.n--
		}
	}
}

func isYAMLName(name string) bool {
	n := strings.ToLower(name)
	return strings.HasSuffix(n, ".yaml") || strings.HasSuffix(n, ".yml")
}
