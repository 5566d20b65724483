package policy

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"unicode/utf16"
	"unicode/utf8"

	sjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"
)

// Default limits on input size; see [LoadOptions].
const (
	DefaultMaxDocumentBytes = 16 << 20
	DefaultMaxDocuments     = 2 << 20
)

// LoadOptions configures a [Loader]. The zero value gives the defaults.
type LoadOptions struct {
	// Strict reports unknown fields as errors instead of warnings.
	Strict bool
	// MaxDocumentBytes limits the size of one YAML document (0 means
	// DefaultMaxDocumentBytes). Larger documents are rejected with an
	// error.
	MaxDocumentBytes int
	// MaxDocuments limits the number of documents over all inputs (0
	// means DefaultMaxDocuments).
	MaxDocuments int
	// Stdin is read for the path "-"; nil means os.Stdin.
	Stdin io.Reader
	// Kyverno says what to do with Kyverno policies; the zero value
	// simulates them (see docs/kyverno.md).
	Kyverno KyvernoMode
}

// Loader reads manifests and builds a [Snapshot]. Add input with
// [Loader.AddPath] or [Loader.AddBytes], then call [Loader.Snapshot]
// once. A Loader is not safe for concurrent use.
type Loader struct {
	opts  LoadOptions
	diags Diagnostics
	ndocs int
	limit bool // the document limit was reported

	// A shadow loader decodes one document on a worker: it records what it
	// would store in pending instead of storing it.
	shadow  bool
	pending []pendingStore

	objects map[string]*loaded // by ObjectRef.Key()
	order   []string           // keys in first-seen order

	// origin is set on the loaders that decode objects a Kyverno
	// simulation created or changed; every object they decode carries it.
	origin *Origin
}

// loaded is one decoded object waiting for Snapshot to assemble it.
type loaded struct {
	ref ObjectRef
	obj any
	doc *document
	at  string // path prefix of the object within its document ("items[3]." in a List)
}

// NewLoader returns a Loader with the given options.
func NewLoader(opts LoadOptions) *Loader {
	if opts.MaxDocumentBytes <= 0 {
		opts.MaxDocumentBytes = DefaultMaxDocumentBytes
	}
	if opts.MaxDocuments <= 0 {
		opts.MaxDocuments = DefaultMaxDocuments
	}
	return &Loader{opts: opts, objects: map[string]*loaded{}}
}

// Load reads every path (files, directories searched recursively for
// .yaml, .yml and .json, or "-" for standard input) and returns the
// snapshot. The error, when not nil, is a [Diagnostics] holding the
// Error-severity diagnostics; the snapshot is returned even then, with the
// offending rules and objects left out, and all diagnostics are in
// Snapshot.Diagnostics.
func Load(opts LoadOptions, paths ...string) (*Snapshot, error) {
	l := NewLoader(opts)
	for _, p := range paths {
		l.AddPath(p)
	}
	return l.Snapshot()
}

// AddPath reads a file, a directory (recursively, files ending in .yaml,
// .yml or .json, in lexical order) or "-" (standard input). Read failures
// become Error diagnostics.
func (l *Loader) AddPath(path string) {
	if path == "-" {
		in := l.opts.Stdin
		if in == nil {
			in = os.Stdin
		}
		data, err := io.ReadAll(in)
		if err != nil {
			l.errorf(Location{File: "-"}, "read standard input: %v", err)
			return
		}
		l.AddBytes("-", data)
		return
	}
	info, err := os.Stat(path)
	if err != nil {
		l.errorf(Location{File: path}, "%v", unwrapPathError(err))
		return
	}
	if !info.IsDir() {
		l.addFile(path)
		return
	}
	var files []string
	err = filepath.WalkDir(path, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			l.errorf(Location{File: p}, "%v", unwrapPathError(err))
			return nil
		}
		if d.IsDir() {
			if p != path && strings.HasPrefix(d.Name(), ".") {
				return filepath.SkipDir
			}
			return nil
		}
		if isManifestName(d.Name()) {
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		l.errorf(Location{File: path}, "%v", err)
	}
	if len(files) == 0 {
		l.add(Diagnostic{Severity: Warning, Location: Location{File: path}, Msg: "no .yaml, .yml or .json files in this directory"})
	}
	sort.Strings(files)
	for _, f := range files {
		l.addFile(f)
	}
}

func isManifestName(name string) bool {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".yaml", ".yml", ".json":
		return true
	}
	return false
}

func unwrapPathError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

func (l *Loader) addFile(path string) {
	data, err := os.ReadFile(path)
	if err != nil {
		l.errorf(Location{File: path}, "%v", unwrapPathError(err))
		return
	}
	l.AddBytes(path, data)
}

// AddBytes reads manifests from data: one or more YAML documents separated
// by "---" lines (a "..." line also ends a document), or a stream of JSON
// values when data starts with '{' or '[' and name does not end in .yaml or
// .yml. name is used in diagnostics.
func (l *Loader) AddBytes(name string, data []byte) {
	data = toUTF8(data)
	if !looksLikeJSON(name, data) {
		l.addDocuments(splitDocuments(name, normalizeBreaks(data)))
		return
	}
	docs, bad := splitJSON(name, normalizeBreaks(data))
	if l.addDocuments(docs) && bad != nil {
		l.add(*bad)
	}
}

// addDocuments reads documents up to the document limit. It reports
// whether all of them were read.
func (l *Loader) addDocuments(docs []*document) bool {
	var accepted []*document
	for _, d := range docs {
		l.ndocs++
		if l.ndocs > l.opts.MaxDocuments {
			if !l.limit {
				l.limit = true
				l.errorf(d.location(), "more than %d documents in the input; the rest are not read (raise the limit with --max-documents)", l.opts.MaxDocuments)
			}
			break
		}
		if len(d.text) > l.opts.MaxDocumentBytes {
			l.errorf(d.location(), "document is %d bytes, more than the limit of %d; it is not read (raise the limit with --max-document-bytes)", len(d.text), l.opts.MaxDocumentBytes)
			continue
		}
		accepted = append(accepted, d)
	}
	l.decodeAll(accepted)
	return !l.limit
}

// pendingStore is an object a document decoded, waiting to be stored.
type pendingStore struct {
	o   *loaded
	key string
}

// decodeAll decodes documents on every core: each document is decoded
// into a shadow loader that only records what it would store and report,
// and the records are then applied in document order, so the result does
// not depend on the scheduling.
func (l *Loader) decodeAll(docs []*document) {
	workers := runtime.GOMAXPROCS(0)
	if len(docs) < 32 || workers < 2 {
		for _, d := range docs {
			l.addDocument(d)
		}
		return
	}
	shadows := make([]*Loader, len(docs))
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= len(docs) {
					return
				}
				sh := &Loader{opts: l.opts, shadow: true}
				sh.addDocument(docs[i])
				shadows[i] = sh
			}
		}()
	}
	wg.Wait()
	for _, sh := range shadows {
		l.diags = append(l.diags, sh.diags...)
		for _, p := range sh.pending {
			l.store(p.o, p.key)
		}
	}
}

// toUTF8 drops a UTF-8 byte order mark and converts UTF-16 text (with its
// byte order mark, as Windows PowerShell writes redirected output) to
// UTF-8, so documents can be split on "---" lines.
func toUTF8(data []byte) []byte {
	var order binary.ByteOrder
	switch {
	case bytes.HasPrefix(data, []byte("\xef\xbb\xbf")):
		return data[3:]
	case bytes.HasPrefix(data, []byte("\xff\xfe")):
		order = binary.LittleEndian
	case bytes.HasPrefix(data, []byte("\xfe\xff")):
		order = binary.BigEndian
	default:
		return data
	}
	units := make([]uint16, 0, len(data)/2)
	for i := 2; i+1 < len(data); i += 2 {
		units = append(units, order.Uint16(data[i:]))
	}
	return []byte(string(utf16.Decode(units)))
}

// normalizeBreaks turns a CR that is not followed by LF (old Mac line
// endings) into LF, so that documents are split and lines counted as the
// YAML parser counts them. It keeps the length of data; data is not
// modified, a copy is made only when needed. (YAML 1.1 also breaks lines at
// NEL, LS and PS, but keeps them in quoted strings, so they are left
// alone; lines after them are then counted one short.)
func normalizeBreaks(data []byte) []byte {
	if bytes.IndexByte(data, '\r') < 0 {
		return data
	}
	var out []byte
	for i, c := range data {
		if c == '\r' && (i+1 == len(data) || data[i+1] != '\n') {
			if out == nil {
				out = bytes.Clone(data)
			}
			out[i] = '\n'
		}
	}
	if out == nil {
		return data
	}
	return out
}

// looksLikeJSON reports whether data is read as JSON: it starts with '{'
// or '[' (as kubectl decides) and its name does not say it is YAML, which
// may use flow style too.
func looksLikeJSON(name string, data []byte) bool {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".yaml", ".yml":
		return false
	}
	t := bytes.TrimLeft(data, " \t\r\n")
	return len(t) > 0 && (t[0] == '{' || t[0] == '[')
}

// splitJSON cuts a stream of JSON values (one object, or several one after
// the other as "jq -c" prints them) into documents. A syntax error ends the
// stream; it is returned as a diagnostic.
func splitJSON(name string, data []byte) ([]*document, *Diagnostic) {
	var docs []*document
	dec := json.NewDecoder(bytes.NewReader(data))
	line, lineStart, scanned := 1, 0, 0
	advance := func(to int) { // move the line count to offset to
		for i := scanned; i < to && i < len(data); i++ {
			if data[i] == '\n' {
				line++
				lineStart = i + 1
			}
		}
		scanned = to
	}
	for {
		prevEnd := int(dec.InputOffset())
		var raw json.RawMessage
		err := dec.Decode(&raw)
		if err == io.EOF {
			return docs, nil
		}
		if err != nil {
			off := len(data)
			msg := err.Error()
			var se *json.SyntaxError
			if errors.As(err, &se) {
				off = max(int(se.Offset)-1, 0)
			} else if err == io.ErrUnexpectedEOF {
				msg = "unexpected end of input"
			}
			if strings.HasSuffix(msg, "exceeded max depth") {
				msg = "exceeded max depth of 10000" // encoding/json's limit
			}
			advance(off)
			d := &Diagnostic{Severity: Error, Location: Location{File: name, Doc: len(docs) + 1, Line: line,
				Col: utf8.RuneCount(data[lineStart:off]) + 1}, Msg: "invalid JSON: " + msg}
			return docs, d
		}
		start := prevEnd + len(data[prevEnd:]) - len(bytes.TrimLeft(data[prevEnd:], " \t\r\n"))
		end := int(dec.InputOffset())
		advance(start)
		d := &document{file: name, index: len(docs) + 1, startLine: line, startCol: utf8.RuneCount(data[lineStart:start]),
			text: data[start:end:end], isJSON: true}
		d.json = d.text
		docs = append(docs, d)
	}
}

// splitDocuments cuts a YAML stream at lines that start a new document
// ("---", optionally followed by a comment or by content) or end one
// ("..."), and drops documents that hold only comments, blank lines and
// directives. Documents are numbered from 1 in the order they appear,
// counting only the non-blank ones; each keeps its first line.
func splitDocuments(name string, data []byte) []*document {
	var docs []*document
	start, startLine, startCol := 0, 1, 0
	flush := func(end int) {
		text := data[start:end:end]
		if !isBlankYAML(text) {
			docs = append(docs, &document{file: name, index: len(docs) + 1, startLine: startLine, startCol: startCol, text: text})
		}
	}
	line := 1
	for pos := 0; pos < len(data); line++ {
		next := len(data)
		if nl := bytes.IndexByte(data[pos:], '\n'); nl >= 0 {
			next = pos + nl + 1
		}
		if sep, keep := isDocSeparator(data[pos:next]); sep {
			flush(pos)
			start, startLine, startCol = next, line+1, 0
			if keep < next-pos {
				start, startLine, startCol = pos+keep, line, keep
			}
		} else if isDocEnd(data[pos:next]) {
			flush(pos)
			start, startLine, startCol = next, line+1, 0
		}
		pos = next
	}
	flush(len(data))
	return docs
}

// isDocSeparator reports whether a line starts a new YAML document: "---"
// alone or followed by blanks, a comment or content ("--- {a: 1}"). For the
// last form, keep is the offset where the new document's content starts;
// otherwise keep is len(ln).
func isDocSeparator(ln []byte) (sep bool, keep int) {
	if !bytes.HasPrefix(ln, []byte("---")) {
		return false, 0
	}
	rest := bytes.TrimRight(ln[3:], "\r\n")
	if len(rest) == 0 {
		return true, len(ln)
	}
	if rest[0] != ' ' && rest[0] != '\t' {
		return false, 0
	}
	trimmed := bytes.TrimSpace(rest)
	if len(trimmed) == 0 || trimmed[0] == '#' {
		return true, len(ln)
	}
	return true, len(ln) - len(bytes.TrimLeft(ln[3:], " \t"))
}

// isDocEnd reports whether a line is the document end marker "...",
// alone or followed by a comment.
func isDocEnd(ln []byte) bool {
	if !bytes.HasPrefix(ln, []byte("...")) {
		return false
	}
	rest := bytes.TrimSpace(ln[3:])
	return len(rest) == 0 || (rest[0] == '#' && (ln[3] == ' ' || ln[3] == '\t'))
}

// isBlankYAML reports whether a document holds only blank lines, comments
// and directives ("%YAML 1.1").
func isBlankYAML(text []byte) bool {
	for _, ln := range bytes.Split(text, []byte("\n")) {
		ln = bytes.TrimSpace(ln)
		if len(ln) == 0 || ln[0] == '#' || ln[0] == '%' {
			continue
		}
		return false
	}
	return true
}

// typeMeta is what every manifest starts with.
type typeMeta struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Metadata   struct {
		Name      string `json:"name"`
		Namespace string `json:"namespace"`
	} `json:"metadata"`
}

func (l *Loader) addDocument(d *document) {
	if d.isJSON {
		if dup, ok := jsonDuplicateKey(d.text); ok {
			l.add(Diagnostic{Severity: Error, Location: d.position(dup.keyOff), Field: dup.path,
				Msg: fmt.Sprintf("invalid JSON: duplicate key %s (first given at %s); the document is not read", quote(dup.key), d.position(dup.prevOff))})
			return
		}
	} else {
		if bad := checkAliases(d); bad != nil {
			l.add(*bad)
			return
		}
		j, err := yaml.YAMLToJSONStrict(d.text)
		if err != nil && isMergeOverride(d, err) {
			// A key given next to a merge key ("<<: *base") overrides the
			// merged value; the strict conversion calls that a duplicate.
			j, err = yaml.YAMLToJSON(d.text)
		}
		if err != nil {
			for _, bad := range yamlErrors(d, err) {
				l.add(bad)
			}
			return
		}
		if bad := checkTrailingContent(d); bad != nil {
			l.add(*bad)
			return
		}
		d.json = j
	}
	j := bytes.TrimSpace(d.json)
	if len(j) == 0 || bytes.Equal(j, []byte("null")) {
		return // an empty document, such as "--- ~"
	}
	if j[0] != '{' {
		l.add(Diagnostic{Severity: Error, Location: d.location(),
			Msg: fmt.Sprintf("expected a Kubernetes object (a mapping with apiVersion and kind), got %s", describeJSONKind(j[0]))})
		return
	}
	l.addObjectJSON(d, "", j, nil)
}

// describeJSONKind names the kind of JSON value that starts with c.
func describeJSONKind(c byte) string {
	switch c {
	case '{':
		return "a mapping"
	case '[':
		return "a list"
	case '"':
		return "a string"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	}
	return "a number"
}

// addObjectJSON handles one object (a whole document, or an item of a
// List at path prefix at). def holds the apiVersion and kind of the items
// of a typed list (PodList), which the API server leaves out of each item.
func (l *Loader) addObjectJSON(d *document, at string, j []byte, def *typeMeta) {
	loc := d.location()
	if at != "" {
		loc = d.locate(trimDot(at))
	}
	var tm typeMeta
	if err := sjsonUnmarshalCaseSensitive(j, &tm); err != nil {
		path, msg := describeDecodeError(j, err, &tm)
		var kind struct {
			Kind string `json:"kind"`
		}
		_ = sjsonUnmarshalCaseSensitive(j, &kind)
		l.add(Diagnostic{Severity: Error, Location: d.locate(at + path), Kind: kind.Kind, Field: at + path, Msg: msg + "; the object is not read"})
		return
	}
	if def != nil {
		if tm.Kind == "" {
			tm.Kind = def.Kind
		}
		if tm.APIVersion == "" {
			tm.APIVersion = def.APIVersion
		}
	}
	switch {
	case tm.Kind == "" && tm.APIVersion == "":
		l.add(Diagnostic{Severity: Error, Location: loc, Field: trimDot(at), Msg: "missing apiVersion and kind: not a Kubernetes object"})
		return
	case tm.Kind == "":
		l.add(Diagnostic{Severity: Error, Location: loc, Name: tm.Metadata.Name, Field: at + "kind", Msg: "missing kind"})
		return
	case tm.APIVersion == "":
		l.add(Diagnostic{Severity: Error, Location: loc, Kind: tm.Kind, Namespace: tm.Metadata.Namespace, Name: tm.Metadata.Name, Field: at + "apiVersion", Msg: "missing apiVersion"})
		return
	}
	if items, ok := listItems(tm.Kind, j); ok {
		l.addList(d, at, items, tm)
		return
	}
	h, known := handlers[tm.APIVersion+"|"+tm.Kind]
	if !known {
		l.unknownKind(d, at, loc, tm)
		return
	}
	ns := tm.Metadata.Namespace
	if ns == "" && !clusterScoped[tm.Kind] {
		ns = "default" // as meta() will fill it in; diagnostics of the decoding already name it
	}
	if clusterScoped[tm.Kind] {
		ns = ""
	}
	h(l, &decodeCtx{l: l, doc: d, at: at, loc: loc, kind: tm.Kind, name: tm.Metadata.Name, namespace: ns}, j)
}

func trimDot(at string) string { return strings.TrimSuffix(at, ".") }

// listItems returns the raw items of a List ("kind: List", as kubectl get
// -o yaml prints several objects) or of a typed list ("PodList", as the API
// returns it): a kind ending in List that has an items field. Other kinds
// ending in List are ordinary objects.
func listItems(kind string, j []byte) (json.RawMessage, bool) {
	if !strings.HasSuffix(kind, "List") {
		return nil, false
	}
	var list struct {
		Items json.RawMessage `json:"items"`
	}
	_ = sjsonUnmarshalCaseSensitive(j, &list)
	if list.Items == nil && kind != "List" {
		return nil, false
	}
	return list.Items, true
}

func (l *Loader) addList(d *document, at string, raw json.RawMessage, tm typeMeta) {
	var def *typeMeta
	if tm.Kind != "List" {
		def = &typeMeta{APIVersion: tm.APIVersion, Kind: strings.TrimSuffix(tm.Kind, "List")}
	}
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return
	}
	if raw[0] != '[' {
		l.add(Diagnostic{Severity: Error, Location: d.locate(at + "items"), Kind: tm.Kind, Field: at + "items",
			Msg: fmt.Sprintf("expected a list of objects, got %s", describeJSONKind(raw[0]))})
		return
	}
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		l.add(Diagnostic{Severity: Error, Location: d.locate(at + "items"), Kind: tm.Kind, Field: at + "items", Msg: "expected a list of objects"})
		return
	}
	for i, item := range items {
		p := fmt.Sprintf("%sitems[%d].", at, i)
		item = bytes.TrimSpace(item)
		if len(item) == 0 || item[0] != '{' {
			kind := byte('n')
			if len(item) > 0 {
				kind = item[0]
			}
			l.add(Diagnostic{Severity: Error, Location: d.locate(trimDot(p)), Field: trimDot(p),
				Msg: fmt.Sprintf("expected a Kubernetes object (a mapping with apiVersion and kind), got %s", describeJSONKind(kind))})
			continue
		}
		l.addObjectJSON(d, p, item, def)
	}
}

// unknownKind records an object netreach does not evaluate. Policy kinds
// in an API version we do not know are errors, because leaving a policy out
// changes the answer; a kind of the inventory (Pod, Namespace, ...) in an
// API version we do not know is skipped with a warning, because leaving it
// out may change the answer; anything else is skipped with a note.
func (l *Loader) unknownKind(d *document, at string, loc Location, tm typeMeta) {
	ref := ObjectRef{Kind: tm.Kind, Namespace: tm.Metadata.Namespace, Name: tm.Metadata.Name, Source: loc, Origin: l.origin}
	if want, isPolicy := policyKinds[tm.Kind]; isPolicy {
		reason := fmt.Sprintf("unsupported apiVersion %s for %s: expected %s", quote(tm.APIVersion), tm.Kind, want)
		l.skip(ref, tm.APIVersion, reason, d, at)
		l.add(Diagnostic{Severity: Error, Location: d.locate(at + "apiVersion"), Kind: tm.Kind, Namespace: ref.Namespace, Name: ref.Name, Field: at + "apiVersion",
			Msg: reason + "; the policy is not read"})
		return
	}
	reason, sev, field := "kind not evaluated by netreach", Info, ""
	if want, ok := inventoryKinds[tm.Kind]; ok {
		reason = fmt.Sprintf("unsupported apiVersion %s for %s: expected %s", quote(tm.APIVersion), tm.Kind, want)
		sev, field, loc = Warning, at+"apiVersion", d.locate(at+"apiVersion")
	} else if why := reachabilityKind(tm.APIVersion, tm.Kind); why != "" {
		reason, sev = why, Warning
	}
	l.skip(ref, tm.APIVersion, reason, d, at)
	l.add(Diagnostic{Severity: sev, Location: loc, Kind: tm.Kind, Namespace: ref.Namespace, Name: ref.Name, Field: field, Msg: "skipped: " + reason})
}

func (l *Loader) skip(ref ObjectRef, apiVersion, reason string, doc *document, at string) {
	key := "skipped/" + ref.Key() + "/" + ref.Source.String()
	l.store(&loaded{ref: ref, obj: &Skipped{ObjectRef: ref, APIVersion: apiVersion, Reason: reason}, doc: doc, at: at}, key)
}

// store records a decoded object under key; a second object with the same
// key replaces the first, with a warning.
func (l *Loader) store(o *loaded, key string) {
	if l.shadow {
		l.pending = append(l.pending, pendingStore{o, key})
		return
	}
	if prev, dup := l.objects[key]; dup {
		l.add(Diagnostic{Severity: Warning, Location: o.ref.Source, Kind: o.ref.Kind, Namespace: o.ref.Namespace, Name: o.ref.Name,
			Msg: fmt.Sprintf("duplicate object (also defined at %s); the later definition is used", prev.ref.Source)})
	} else {
		l.order = append(l.order, key)
	}
	l.objects[key] = o
}

func (l *Loader) add(d Diagnostic) {
	d.Msg = truncateMessage(d.Msg)
	l.diags = append(l.diags, d)
}

// maxMessageBytes bounds a diagnostic's message, which may quote input.
const maxMessageBytes = 1024

// truncateMessage shortens a message that quotes a huge input value.
func truncateMessage(s string) string {
	if len(s) <= maxMessageBytes {
		return s
	}
	cut := maxMessageBytes
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return fmt.Sprintf("%s... (%d bytes)", s[:cut], len(s))
}

// quote quotes an input value for a message, shortening long values.
func quote(s string) string {
	const maxRunes = 64
	if utf8.RuneCountInString(s) <= maxRunes {
		return strconv.Quote(s)
	}
	r := []rune(s)
	return fmt.Sprintf("%s... (%d bytes)", strconv.Quote(string(r[:maxRunes])), len(s))
}

func (l *Loader) errorf(loc Location, format string, args ...any) {
	l.add(Diagnostic{Severity: Error, Location: loc, Msg: fmt.Sprintf(format, args...)})
}

// sjsonUnmarshalCaseSensitive decodes without reporting unknown fields but
// with case-sensitive field names.
func sjsonUnmarshalCaseSensitive(data []byte, v any) error {
	return sjson.UnmarshalCaseSensitivePreserveInts(data, v)
}

// policyKinds are the kinds that carry policy, with the apiVersions we
// read. An unknown apiVersion of one of them is an error.
var policyKinds = map[string]string{
	"NetworkPolicy":                 "networking.k8s.io/v1 (or projectcalico.org/v3 for Calico)",
	"AdminNetworkPolicy":            "policy.networking.k8s.io/v1alpha1",
	"BaselineAdminNetworkPolicy":    "policy.networking.k8s.io/v1alpha1",
	"ClusterNetworkPolicy":          "policy.networking.k8s.io/v1alpha2",
	"GlobalNetworkPolicy":           "projectcalico.org/v3",
	"StagedNetworkPolicy":           "projectcalico.org/v3",
	"StagedGlobalNetworkPolicy":     "projectcalico.org/v3",
	"StagedKubernetesNetworkPolicy": "projectcalico.org/v3",
	"Tier":                          "projectcalico.org/v3",
	"NetworkSet":                    "projectcalico.org/v3",
	"GlobalNetworkSet":              "projectcalico.org/v3",
}

// inventoryKinds are kinds we read in one apiVersion only.
var inventoryKinds = map[string]string{
	"Namespace":             "v1",
	"Pod":                   "v1",
	"Service":               "v1",
	"ServiceAccount":        "v1",
	"Node":                  "v1",
	"ReplicationController": "v1",
	"Deployment":            "apps/v1",
	"StatefulSet":           "apps/v1",
	"DaemonSet":             "apps/v1",
	"ReplicaSet":            "apps/v1",
	"Job":                   "batch/v1",
	"CronJob":               "batch/v1",
}

// clusterScoped are the kinds that live in no namespace.
var clusterScoped = map[string]bool{
	"Namespace": true, "Node": true,
	"AdminNetworkPolicy": true, "BaselineAdminNetworkPolicy": true, "ClusterNetworkPolicy": true,
	"GlobalNetworkPolicy": true, "StagedGlobalNetworkPolicy": true, "Tier": true,
	"GlobalNetworkSet": true, "HostEndpoint": true,
}
