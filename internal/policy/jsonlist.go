package policy

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// A JSON List (what `kubectl get -o json` prints) is read as a stream:
// the reader cuts the elements of its top-level items array one by one,
// and hands each to the decoders on every core as a document of its own
// (a document with a prefix, "items[3]."), while it goes on reading. What
// is left of the List (its text without the elements: apiVersion, kind,
// metadata) is a document too, read last. Only one item at a time is held
// as text, so each item, not the List, must fit in
// LoadOptions.MaxDocumentBytes.
//
// Whether the object is a List is known only once its kind is read, which
// kubectl prints after the items. Until then the decoded items wait in the
// listStream; when the List's own document is read, they are kept (a
// List), or dropped and the object read whole (another kind that has a
// top-level items array, when it fits in the limit). Items without
// apiVersion or kind (those of a typed List such as PodList) are decoded
// once the List's apiVersion and kind are known, unless they came before
// the items.
//
//	{"apiVersion": "v1", "items": [ {...}, {...} ], "kind": "List", ...}
//	|------------ head ----------|  item   item  |------- tail --------|
//	                              the List's own document: head + tail
//
// Every error is the one reading the List whole would report, at the same
// place, and a List that is not valid JSON is not read at all (as when it
// is read whole); the tests compare both ways. (One exception: an empty
// key at the top of an item is placed at the item, one column early,
// since the item's own field paths cannot name it.)

// listStream is one List being read as a stream.
type listStream struct {
	// known is set when the List's apiVersion and kind were read before
	// its items: def then holds what its items lack (nil for kind List).
	known bool
	def   *typeMeta
	// full is the whole text of the object while it fits in the limit,
	// for an object that turns out not to be a List (in blocks, joined
	// only then).
	full [][]byte

	// What the items decoded, in order, waiting for the List's own
	// document; only the reading goroutine touches them.
	pending       []listItem
	deferredBytes int
	fatal         *Diagnostic // the List is not read (a duplicate key in an item)
	broken        bool        // an item is not valid JSON: the input ends there

	// Set by the decoding of the List's own document.
	isList bool
	tm     typeMeta
}

// listItem is what an item decoded, waiting for its List's own document.
type listItem struct {
	diags  Diagnostics
	stores []pendingStore
	// deferred is set for an item decoded only once the List's
	// apiVersion and kind are known (it keeps the item's text).
	deferred *listPart
}

// listPart is what a shadow loader records of a document of a streamed
// List.
type listPart struct {
	doc      *document
	deferred bool        // an item that waits for the List's apiVersion and kind
	syntax   *Diagnostic // an item that is not valid JSON
	fatal    *Diagnostic // an item with a duplicate key
}

// itemDef returns what the items of a typed List lack (nil for kind
// List).
func itemDef(tm typeMeta) *typeMeta {
	if tm.Kind == "List" {
		return nil
	}
	return &typeMeta{APIVersion: tm.APIVersion, Kind: strings.TrimSuffix(tm.Kind, "List")}
}

// trimListPrefix returns path relative to the item whose path prefix is
// prefix ("items[3]."): "items[3].spec" is "spec", "items[3]" is "".
func trimListPrefix(path, prefix string) string {
	if path == prefix[:len(prefix)-1] {
		return ""
	}
	return strings.TrimPrefix(path, prefix)
}

// listHead records that the List's own document of a streamed List was
// read as a List of tm (called instead of reading its items, which it
// does not hold).
func (l *Loader) listHead(d *document, tm typeMeta) {
	d.list.isList, d.list.tm = true, tm
}

// addListItem decodes one item of a streamed List, as [Loader.addList]
// and [Loader.addListTree] decode the items of a List read whole.
func (l *Loader) addListItem(d *document, p *listPart, def *typeMeta, known bool) {
	at := d.prefix
	if d.text[0] != '{' {
		if bad := elementSyntaxError(d); bad != nil {
			bad.Code = CodeSyntax
			p.syntax = bad
			return
		}
		l.add(Diagnostic{Severity: Error, Location: d.locate(trimDot(at)), Field: trimDot(at), Code: CodeSyntax,
			Msg: fmt.Sprintf("expected a Kubernetes object (a mapping with apiVersion and kind), got %s", describeJSONKind(d.text[0]))})
		return
	}
	if !l.noFast {
		if t := parseFastJSON(d.textString()); t != nil {
			var tm typeMeta
			if !known && t.decode(0, &tm, true, nil) && (tm.Kind == "" || tm.APIVersion == "") {
				p.deferred = true
				return
			}
			d.tree = t
			sh := &Loader{opts: l.opts, shadow: true}
			sh.addObjectTree(d, at, 0, def)
			d.tree = nil
			if !sh.bailed {
				l.absorb(sh)
				l.fastDocs++
				return
			}
		}
	}
	if bad := jsonSyntaxError(d); bad != nil {
		bad.Code = CodeSyntax
		p.syntax = bad
		return
	}
	if dup, ok := jsonDuplicateKey(d.text); ok {
		p.fatal = &Diagnostic{Severity: Error, Location: d.position(dup.keyOff), Field: at + dup.path, Code: CodeSyntax, Value: dup.key,
			Msg: fmt.Sprintf("invalid JSON: duplicate key %s (first given at %s); the document is not read", quote(dup.key), d.position(dup.prevOff))}
		return
	}
	var tm typeMeta
	if !known && sjsonUnmarshalCaseSensitive(d.text, &tm) == nil && (tm.Kind == "" || tm.APIVersion == "") {
		p.deferred = true
		return
	}
	l.addObjectJSON(d, at, d.text, def)
}

// elementSyntaxError is [jsonSyntaxError] for an item that is not an
// object: the item is checked as an element of a list, since the scanner
// that cut it takes "00" or "nul" for one value, and the byte that ended a
// bad scalar is part of its error ("nul]").
func elementSyntaxError(d *document) *Diagnostic {
	if json.Valid(d.text) {
		return nil
	}
	probe := append([]byte{'['}, d.text...)
	var raw json.RawMessage
	err := json.NewDecoder(bytes.NewReader(probe)).Decode(&raw)
	off, msg := len(d.text), "unexpected end of input"
	var se *json.SyntaxError
	if errors.As(err, &se) {
		off, msg = max(int(se.Offset)-2, 0), err.Error()
	}
	return &Diagnostic{Severity: Error, Location: d.position(off), Msg: "invalid JSON: " + msg}
}

// applyListPart takes in what a shadow loader decoded of a streamed List:
// an item waits in the List's stream; the List's own document, read last,
// decides what becomes of them.
func (l *Loader) applyListPart(sh *Loader) {
	p := sh.listPart
	ls := p.doc.list
	if p.doc.prefix != "" {
		switch {
		case ls.broken:
		case p.syntax != nil: // before a duplicate key, as the whole List is checked
			ls.broken, ls.pending = true, nil
			if !l.limit {
				l.add(*p.syntax)
			}
		case ls.fatal != nil:
		case p.fatal != nil:
			ls.fatal, ls.pending = p.fatal, nil
		default:
			if p.deferred {
				ls.deferredBytes += len(p.doc.text)
				if ls.deferredBytes > l.opts.MaxDocumentBytes {
					ls.fatal = &Diagnostic{Severity: Error, Location: p.doc.location(), Code: CodeLimit,
						Msg: fmt.Sprintf("the items of this List have no apiVersion or kind, and the List's kind follows them: they would be held until it is read, more than the limit of %d bytes; the List is not read (give kind before items, or raise the limit with --max-document-bytes)", l.opts.MaxDocumentBytes)}
					ls.pending = nil
					return
				}
			}
			it := listItem{diags: sh.diags, stores: sh.pending}
			if p.deferred {
				it.deferred = p
			}
			ls.pending = append(ls.pending, it)
		}
		return
	}
	// The List's own document.
	pending, blocks := ls.pending, ls.full
	ls.pending, ls.full = nil, nil // items kept for Kyverno keep ls
	switch {
	case ls.isList && ls.fatal != nil:
		l.add(*ls.fatal)
	case ls.isList:
		// One document: its diagnostics go with its objects as those of
		// a List read whole do (see [Loader.absorb]).
		all := &Loader{shadow: true, diags: sh.diags, pending: sh.pending}
		def := itemDef(ls.tm)
		for _, it := range pending {
			if ip := it.deferred; ip != nil {
				ish := &Loader{opts: l.opts, shadow: true, noFast: l.noFast}
				ish.addListItem(ip.doc, ip, def, true)
				it.diags, it.stores = ish.diags, ish.pending
			}
			all.diags = append(all.diags, it.diags...)
			all.pending = append(all.pending, it.stores...)
		}
		l.absorbList(all)
	case blocks != nil:
		// Not a List: read the object whole.
		full := bytes.Join(blocks, nil)
		h := p.doc
		d := &document{file: h.file, index: h.index, startLine: h.startLine, startCol: h.startCol, text: full, json: full, isJSON: true}
		whole := &Loader{opts: l.opts, shadow: true, noFast: l.noFast}
		whole.addDocument(d)
		l.absorb(whole)
	case len(sh.pending) == 0 && hasErrors(sh.diags):
		l.absorb(sh) // what the object says of itself (a missing kind)
	default:
		l.add(Diagnostic{Severity: Error, Location: p.doc.location(), Code: CodeLimit,
			Msg: fmt.Sprintf("document is more than %d bytes, the limit, and is not a List (whose items would be read one by one); it is not read (raise the limit with --max-document-bytes)", l.opts.MaxDocumentBytes)})
	}
}

// absorbList is [Loader.absorb] for the many objects of a List: a
// diagnostic goes with the List's only object, or with the first one of
// its kind, namespace and name, found through an index rather than by
// search.
func (l *Loader) absorbList(sh *Loader) {
	if l.shadow || len(sh.pending) <= 1 {
		l.absorb(sh)
		return
	}
	type key struct{ kind, namespace, name string }
	index := make(map[key]*loaded, len(sh.pending))
	for _, p := range sh.pending {
		k := key{p.o.ref.Kind, p.o.ref.Namespace, p.o.ref.Name}
		if index[k] == nil {
			index[k] = p.o
		}
	}
	l.diags = append(l.diags, sh.diags...)
	for _, d := range sh.diags {
		if o := index[key{d.Kind, d.Namespace, d.Name}]; o != nil && d.Name != "" {
			o.diags = append(o.diags, d)
		} else {
			l.loose = append(l.loose, d)
		}
	}
	for _, p := range sh.pending {
		l.store(p.o, p.key)
	}
}

func hasErrors(ds Diagnostics) bool {
	for _, d := range ds {
		if d.Severity == Error {
			return true
		}
	}
	return false
}

// listCutter reads one top-level JSON object of the input, and streams its
// items when it is a List.
type listCutter struct {
	in   *inputReader
	full *docBuffer // the whole object, up to the limit
	// blocks replaces full once a List's items start, when its kind is
	// not known yet.
	blocks *blockBuffer
	part   *docBuffer // the List's own text or the current item; nil between items
}

// jsonObjectOrList reads the JSON value at the reader's position into buf,
// as [inputReader.jsonValue] does, except for an object with a top-level
// items array: its items are cut and handed to the loader one by one, and
// buf and d then hold the List's own document (its text without the
// items). It reports whether the value ended (false when it was cut short
// by the skip window of an oversized value).
func (in *inputReader) jsonObjectOrList(d *document, buf *docBuffer) bool {
	if in.l.noStream {
		return in.jsonValue(buf)
	}
	if b, err := in.br.Peek(1); err != nil || b[0] != '{' {
		return in.jsonValue(buf)
	}
	c := listCutter{in: in, full: buf}
	head := &docBuffer{max: buf.max}
	c.part = head
	c.take(1)
	for {
		c.blanks()
		b, ok := c.peek()
		switch {
		case !ok:
			return true // the decoder reports the value as unfinished
		case b == '}':
			c.take(1)
			return true
		case b != '"':
			return c.rest(buf)
		}
		keyStart := len(head.text)
		s := jsonScan{}
		if !c.scan(&s, buf) {
			return false
		}
		key := string(head.text[keyStart:])
		c.blanks()
		if b, ok := c.peek(); !ok || b != ':' {
			return c.rest(buf)
		}
		c.take(1)
		c.blanks()
		if b, ok := c.peek(); ok && b == '[' && key == `"items"` && !head.over() {
			if ls := startList(head.text); ls != nil {
				return c.items(d, buf, head, ls)
			}
		}
		s = jsonScan{}
		if !c.scan(&s, buf) {
			return false
		}
		c.blanks()
		b, ok = c.peek()
		switch {
		case ok && b == ',':
			c.take(1)
		case ok && b == '}':
			c.take(1)
			return true
		default:
			return c.rest(buf)
		}
	}
}

// startList returns the stream of a List whose text so far (up to its
// items key) is head, or nil when the items are not to be streamed: the
// head is not valid JSON (its error is reported first when the object is
// read whole), or names a kind that is not a List.
func startList(head []byte) *listStream {
	probe := append(head[:len(head):len(head)], "[]}"...)
	if !json.Valid(probe) {
		return nil
	}
	var tm typeMeta
	if sjsonUnmarshalCaseSensitive(probe, &tm) != nil {
		return nil
	}
	ls := &listStream{}
	if tm.Kind != "" {
		if !strings.HasSuffix(tm.Kind, "List") {
			return nil
		}
		if tm.APIVersion != "" {
			ls.known, ls.def = true, itemDef(tm)
		}
	}
	return ls
}

// items reads the items array (the reader is at its '['), hands each item
// to the loader, then reads the rest of the object into the List's own
// document.
func (c *listCutter) items(d *document, buf, head *docBuffer, ls *listStream) bool {
	in := c.in
	c.take(1)
	if ls.known {
		// A List for sure: the whole text will not be needed.
		c.full = &docBuffer{}
	} else {
		c.blocks = &blockBuffer{blocks: [][]byte{buf.text}, size: buf.size, max: buf.max}
		c.full = nil
	}
	cutErr := func(msg string) {
		// Items before this point may hold an earlier error: decode them
		// first.
		in.l.flush()
		in.l.finish()
		if !ls.broken && !in.l.limit {
			in.l.add(Diagnostic{Severity: Error, Location: Location{File: in.name, Doc: d.index, Line: in.line, Col: in.col + 1}, Code: CodeSyntax, Msg: "invalid JSON: " + msg})
		}
		in.stop = true
	}
	last := 0 // size of the previous item, to size the next one's buffer
	for i := 0; ; i++ {
		c.part = nil
		c.blanks()
		b, ok := c.peek()
		if !ok {
			cutErr("unexpected end of input")
			return true
		}
		if b == ']' {
			if i > 0 {
				cutErr("invalid character ']' looking for beginning of value")
				return true
			}
			break
		}
		if b == '}' || b == ',' || b == ':' {
			cutErr(fmt.Sprintf("invalid character %s looking for beginning of value", quoteChar(b)))
			return true
		}
		item := &docBuffer{max: buf.max, text: make([]byte, 0, min(last+last/8+64, buf.max))}
		c.part = item
		line, col := in.line, in.col
		s := jsonScan{}
		ended := c.scan(&s, item)
		last = item.size
		prefix := "items[" + strconv.Itoa(i) + "]."
		itemDoc := &document{file: in.name, index: d.index, startLine: line, startCol: col, isJSON: true, prefix: prefix, list: ls}
		if item.over() {
			itemDoc.text = item.text
			loc := itemDoc.location()
			if !ended {
				in.l.add(Diagnostic{Severity: Error, Location: loc, Code: CodeLimit, Field: trimDot(prefix),
					Msg: fmt.Sprintf("List item is more than %d bytes, the limit, and does not end within another %d bytes; it and the rest of the input are not read (raise the limit with --max-document-bytes)", buf.max, buf.max)})
				in.stop = true
				return false
			}
			in.l.add(Diagnostic{Severity: Error, Location: loc, Code: CodeLimit, Field: trimDot(prefix),
				Msg: fmt.Sprintf("List item is %d bytes, more than the limit of %d; it is not read (raise the limit with --max-document-bytes)", item.size, buf.max)})
		} else {
			itemDoc.text = item.text[:len(item.text):len(item.text)]
			if t := item.text; t[0] != '{' && t[0] != '[' && t[0] != '"' && !json.Valid(t) {
				// A bad scalar: the byte that ends it is part of the error,
				// as when the List is read whole ("nul]").
				if b, ok := c.peek(); ok {
					itemDoc.text = append(t, b)
				}
			}
			if !in.emit(itemDoc) {
				return true
			}
		}
		if ls.broken || in.stop {
			in.stop = true
			return true
		}
		c.part = nil
		c.blanks()
		b, ok = c.peek()
		switch {
		case !ok:
			cutErr("unexpected end of input")
			return true
		case b == ',':
			c.take(1)
			continue
		case b == ']':
		default:
			cutErr(fmt.Sprintf("invalid character %s after array element", quoteChar(b)))
			return true
		}
		break
	}
	// The reader is at the closing ']': the tail starts here.
	tail := &document{file: in.name, index: d.index, startLine: in.line, startCol: in.col, isJSON: true}
	tailOff := len(head.text)
	c.part = head
	c.take(1)
	ended := c.rest(head)
	// The List's items were read: decode them before its own document,
	// so that an item that is not valid JSON ends the input here.
	in.l.flush()
	in.l.finish()
	if ls.broken {
		in.stop = true
		return true
	}
	if c.blocks != nil && c.blocks.size <= c.blocks.max {
		ls.full = c.blocks.blocks
	}
	*buf = *head
	if !head.over() {
		tail.text = head.text[tailOff:len(head.text):len(head.text)]
		d.tail, d.tailOff, d.list = tail, tailOff, ls
	}
	return ended
}

// blockBuffer keeps text up to a limit in blocks of 1 MiB, so that it is
// copied once (a docBuffer grows by copying); past the limit it counts.
type blockBuffer struct {
	blocks [][]byte
	size   int // bytes added, kept or not
	max    int
}

func (b *blockBuffer) add(p []byte) {
	keep := max(min(len(p), b.max-b.size), 0)
	b.size += len(p)
	p = p[:keep]
	for len(p) > 0 {
		last := len(b.blocks) - 1
		if last < 0 || len(b.blocks[last]) == cap(b.blocks[last]) {
			b.blocks = append(b.blocks, make([]byte, 0, 1<<20))
			last++
		}
		n := min(len(p), cap(b.blocks[last])-len(b.blocks[last]))
		b.blocks[last] = append(b.blocks[last], p[:n]...)
		p = p[n:]
	}
}

// quoteChar quotes a character as encoding/json's messages do.
func quoteChar(c byte) string {
	if c == '\'' {
		return `'\''`
	}
	if c == '"' {
		return `'"'`
	}
	s := strconv.Quote(string(rune(c)))
	return "'" + s[1:len(s)-1] + "'"
}

// peek returns the next byte of the input.
func (c *listCutter) peek() (byte, bool) {
	b, err := c.in.br.Peek(1)
	if err != nil {
		if err != io.EOF {
			c.in.l.add(Diagnostic{Severity: Error, Location: Location{File: c.in.name, Line: c.in.line}, Code: CodeRead, Msg: "read: " + err.Error()})
			c.in.stop = true
		}
		return 0, false
	}
	return b[0], true
}

// take moves n bytes (already peeked) into the buffers.
func (c *listCutter) take(n int) {
	p, _ := c.in.br.Peek(n)
	c.keep(p)
	_, _ = c.in.br.Discard(n)
}

func (c *listCutter) keep(p []byte) {
	if c.full != nil {
		c.full.add(p)
	} else {
		c.blocks.add(p)
	}
	if c.part != nil {
		c.part.add(p)
	}
	c.in.advance(p)
}

// blanks skips white space.
func (c *listCutter) blanks() {
	for {
		p, err := c.in.br.Peek(max(1, c.in.br.Buffered()))
		n := 0
		for n < len(p) && (p[n] == ' ' || p[n] == '\n' || p[n] == '\t' || p[n] == '\r') {
			n++
		}
		if n > 0 {
			c.keep(p[:n])
			_, _ = c.in.br.Discard(n)
		}
		if n < len(p) || err != nil {
			return
		}
	}
}

// scan reads one value (or what is left of it, for a scanner already
// started) into the buffers; limit is the buffer whose size limit bounds
// it. It reports whether the value ended.
func (c *listCutter) scan(s *jsonScan, limit *docBuffer) bool {
	for {
		chunk, err := c.in.br.Peek(max(1, c.in.br.Buffered()))
		if len(chunk) == 0 {
			if err != nil && err != io.EOF && err != bufio.ErrBufferFull {
				c.in.l.add(Diagnostic{Severity: Error, Location: Location{File: c.in.name, Line: c.in.line}, Code: CodeRead, Msg: "read: " + err.Error()})
				c.in.stop = true
			}
			return true // the decoder reports the value as unfinished
		}
		n, done := s.scan(chunk)
		c.keep(chunk[:n])
		_, _ = c.in.br.Discard(n)
		if done {
			return true
		}
		if limit.skippedTooFar() {
			return false
		}
	}
}

// rest reads the rest of the object, inside its braces and not in a
// string, as [inputReader.jsonValue] would.
func (c *listCutter) rest(limit *docBuffer) bool {
	s := jsonScan{started: true, depth: 1}
	return c.scan(&s, limit)
}
