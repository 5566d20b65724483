package policy

import (
	"bytes"
	"context"
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
	"unicode/utf8"

	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
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
	// error. A JSON List (kubectl get -o json) is read item by item: the
	// limit holds for each item and for the List without its items, not
	// for the whole List.
	MaxDocumentBytes int
	// MaxDocuments limits the number of documents over all inputs (0
	// means DefaultMaxDocuments); each item of a JSON List counts as one.
	MaxDocuments int
	// Stdin is read for the path "-"; nil means os.Stdin.
	Stdin io.Reader
	// Kyverno says what to do with Kyverno policies; the zero value
	// simulates them (see docs/kyverno.md).
	Kyverno KyvernoMode

	// keepDocs keeps each object's document once a Kyverno policy was
	// seen: the simulation reads the objects as written.
	keepDocs bool
}

// Loader reads manifests and builds a [Snapshot]. Add input with
// [Loader.AddPath] or [Loader.AddBytes], then call [Loader.Snapshot]
// once. A Loader is not safe for concurrent use.
type Loader struct {
	opts  LoadOptions
	diags Diagnostics
	ndocs int
	limit bool // the document limit was reported

	// Documents read but not decoded yet, and the batch being decoded;
	// see [Loader.queue].
	batch      []*document
	batchBytes int
	decoding   func()
	// strs shares decoded strings between the documents one worker of
	// decodeAll decodes (nil elsewhere: a loader that starts goroutines
	// gives them none).
	strs *stringCache

	// A shadow loader decodes one document on a worker: it records what it
	// would store in pending instead of storing it.
	shadow  bool
	pending []pendingStore
	// bailed is set on a shadow loader when the fast path met something
	// it does not read; see [Loader.addFast].
	bailed bool
	// noFast turns the fast path off (for the tests that compare it with
	// the full decoder); fastDocs counts the documents it read.
	noFast   bool
	fastDocs int
	// noStream reads a JSON List whole instead of item by item (for the
	// tests that compare both); listPart is what a shadow loader decoded
	// of a streamed List (see jsonlist.go).
	noStream bool
	listPart *listPart

	objects map[string]*loaded // by ObjectRef.Key()
	order   []string           // keys in first-seen order
	// loose are the diagnostics of no single object (a file that cannot
	// be read, a document that is not YAML); they are in diags too.
	loose Diagnostics
	// replacing holds the keys of the objects a [Snapshot.With] started
	// from: an object of the same key replaces them without a warning.
	replacing map[string]bool

	// origin is set on the loaders that decode objects a Kyverno
	// simulation created or changed; every object they decode carries it.
	origin *Origin

	// ctx cancels reading and decoding ([LoadContext]); nil for none.
	ctx context.Context
}

// cancelled reports whether the loader's context is done: reading stops,
// documents already read are not decoded, and [LoadContext] returns the
// context's error.
func (l *Loader) cancelled() bool { return l.ctx != nil && l.ctx.Err() != nil }

// loaded is one decoded object waiting for Snapshot to assemble it.
type loaded struct {
	ref ObjectRef
	obj any
	doc *document
	at  string // path prefix of the object within its document ("items[3]." in a List)
	// portAt locates the named ports of a NetworkPolicy, by field path;
	// doc is not kept once the object is stored.
	portAt map[string]Location
	// diags are the diagnostics decoding the object reported (they are in
	// Loader.diags too); [Snapshot.With] and [Snapshot.Without] drop them
	// with the object.
	diags Diagnostics
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
	return LoadContext(context.Background(), opts, paths...)
}

// LoadContext is [Load] with a context: when ctx is cancelled, reading
// and decoding stop within a document or a file, and LoadContext returns
// a nil snapshot and ctx's error.
func LoadContext(ctx context.Context, opts LoadOptions, paths ...string) (*Snapshot, error) {
	l := NewLoader(opts)
	l.ctx = ctx
	for _, p := range paths {
		if l.cancelled() {
			break
		}
		l.AddPath(p)
	}
	if l.cancelled() {
		l.finish() // the workers stop within a document
		return nil, ctx.Err()
	}
	s, err := l.Snapshot()
	if l.cancelled() {
		return nil, ctx.Err()
	}
	return s, err
}

// AddPath reads a file, a directory (recursively, files ending in .yaml,
// .yml or .json, in lexical order) or "-" (standard input), in bounded
// chunks (see [Loader.AddReader]). In a directory, symbolic links are
// followed, a directory reached a second time (a link loop) is read once,
// and files that are not regular files (named pipes, devices, sockets) are
// skipped with a warning, since reading them could block or never end; a
// special file named directly (/dev/stdin, a named pipe) is read. Read
// failures become Error diagnostics.
func (l *Loader) AddPath(path string) {
	if path == "-" {
		in := l.opts.Stdin
		if in == nil {
			in = os.Stdin
		}
		l.AddReader("-", in)
		return
	}
	info, err := os.Stat(path)
	if err != nil {
		l.add(Diagnostic{Severity: Error, Location: Location{File: path}, Code: CodeRead, Msg: unwrapPathError(err).Error()})
		return
	}
	if !info.IsDir() {
		l.addFile(path)
		return
	}
	w := dirWalker{l: l, seen: map[fileID]string{}}
	w.walk(path, info)
	if len(w.files) == 0 {
		l.add(Diagnostic{Severity: Warning, Location: Location{File: path}, Msg: "no .yaml, .yml or .json files in this directory"})
	}
	sort.Strings(w.files)
	for _, f := range w.files {
		if l.cancelled() {
			return
		}
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
	f, err := os.Open(path)
	if err != nil {
		l.add(Diagnostic{Severity: Error, Location: Location{File: path}, Code: CodeRead, Msg: unwrapPathError(err).Error()})
		return
	}
	defer f.Close()
	l.AddReader(path, f)
}

// AddBytes reads manifests from data: one or more YAML documents separated
// by "---" lines (a "..." line also ends a document), or a stream of JSON
// values when data starts with '{' or '[' and name does not end in .yaml or
// .yml. name is used in diagnostics.
func (l *Loader) AddBytes(name string, data []byte) {
	l.AddReader(name, bytes.NewReader(data))
}

// queue adds a document to the batch waiting to be decoded, and decodes
// the batch once it is large enough: memory holds at most one batch of
// document text besides what the decoded objects keep.
func (l *Loader) queue(d *document) {
	l.noticeKyverno(d)
	l.batch = append(l.batch, d)
	l.batchBytes += len(d.text)
	if l.batchBytes >= batchBytes || len(l.batch) >= batchDocuments {
		l.flush()
	}
}

// Documents are decoded in batches of at least this many bytes or this
// many documents, whichever comes first; one batch is decoded while the
// next is read.
const (
	batchBytes     = 4 << 20
	batchDocuments = 8192
)

// flush starts decoding the documents queued so far, after applying what
// the previous batch decoded; reading goes on while a batch is decoded.
func (l *Loader) flush() {
	l.finish()
	batch := l.batch
	l.batch, l.batchBytes = nil, 0
	l.decoding = l.decodeAll(batch)
}

// finish waits for the batch being decoded and applies its results.
func (l *Loader) finish() {
	if l.decoding != nil {
		l.decoding()
		l.decoding = nil
	}
}

// pendingStore is an object a document decoded, waiting to be stored.
type pendingStore struct {
	o   *loaded
	key string
}

// decodeAll decodes documents on every core: each document is decoded
// into a shadow loader that only records what it would store and report.
// The returned function waits for the decoding and applies the records in
// document order, so the result does not depend on the scheduling; until
// it is called, the input can go on being read.
func (l *Loader) decodeAll(docs []*document) (apply func()) {
	if len(docs) == 0 || l.cancelled() {
		return func() {}
	}
	// The options are taken now: reading goes on while the batch is
	// decoded, and may change them (a Kyverno policy turns on keepDocs
	// for the documents after it, not before).
	opts := l.opts
	shadows := make([]*Loader, len(docs))
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), (len(docs)+7)/8) {
		wg.Go(func() {
			strs := &stringCache{}
			for {
				i := int(next.Add(1) - 1)
				if i >= len(docs) || l.cancelled() {
					return
				}
				sh := &Loader{opts: opts, shadow: true, noFast: l.noFast, noStream: l.noStream, strs: strs}
				sh.addDocument(docs[i])
				docs[i] = nil // its text and trees can go
				shadows[i] = sh
			}
		})
	}
	return func() {
		wg.Wait()
		for _, sh := range shadows {
			if sh == nil {
				continue // cancelled before its document was decoded
			}
			l.fastDocs += sh.fastDocs
			if sh.listPart != nil {
				l.applyListPart(sh)
				continue
			}
			l.absorb(sh)
		}
	}
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
	for len(text) > 0 {
		ln := text
		if i := bytes.IndexByte(text, '\n'); i >= 0 {
			ln, text = text[:i], text[i+1:]
		} else {
			text = nil
		}
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
	if d.list != nil { // a part of a List read as a stream
		l.listPart = &listPart{doc: d}
		if d.prefix != "" {
			l.addListItem(d, l.listPart, d.list.def, d.list.known)
			return
		}
	}
	if l.noFast {
		d.tree = nil
	} else if l.addFast(d) {
		return
	}
	if d.isJSON {
		if dup, ok := jsonDuplicateKey(d.text); ok {
			l.add(Diagnostic{Severity: Error, Location: d.position(dup.keyOff), Field: dup.path, Code: CodeSyntax, Value: dup.key,
				Msg: fmt.Sprintf("invalid JSON: duplicate key %s (first given at %s); the document is not read", quote(dup.key), d.position(dup.prevOff))})
			return
		}
	} else {
		if bad := checkAliases(d); bad != nil {
			bad.Code = CodeLimit // an alias bomb
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
				bad.Code = CodeSyntax
				l.add(bad)
			}
			return
		}
		if bad := checkTrailingContent(d); bad != nil {
			bad.Code = CodeSyntax
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
		l.add(Diagnostic{Severity: Error, Location: d.location(), Code: CodeSyntax,
			Msg: fmt.Sprintf("expected a Kubernetes object (a mapping with apiVersion and kind), got %s", describeJSONKind(j[0]))})
		return
	}
	l.addObjectJSON(d, "", j, nil)
}

// addFast reads a document with the fast path, and reports whether it
// could: the document is in the YAML subset the fast path reads, of a kind
// and with values it decodes. Otherwise nothing is recorded, and the full
// decoder reads the document.
func (l *Loader) addFast(d *document) bool {
	t := d.tree // a JSON document is parsed as it is read
	if t == nil && !d.isJSON {
		t = parseFastYAML(d.textString())
	}
	if t == nil {
		return false
	}
	d.tree = t
	sh := &Loader{opts: l.opts, shadow: true, strs: l.strs}
	sh.addObjectTree(d, "", 0, nil)
	d.tree = nil
	t.release() // nothing read from the document keeps its tree
	if sh.bailed {
		return false
	}
	l.absorb(sh)
	l.fastDocs++
	return true
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
	var tm typeMeta
	if err := sjsonUnmarshalCaseSensitive(j, &tm); err != nil {
		path, msg := describeDecodeError(j, err, &tm)
		var kind struct {
			Kind string `json:"kind"`
		}
		_ = sjsonUnmarshalCaseSensitive(j, &kind)
		l.add(Diagnostic{Severity: Error, Location: d.locate(at + path), Kind: kind.Kind, Field: at + path, Code: CodeTypeInvalid, Msg: msg + "; the object is not read"})
		return
	}
	l.dispatch(d, at, tm, def, objectSource{j: j})
}

// addObjectTree handles an object read by the fast path: a whole
// document (node 0), or an item of a List at path prefix at. Anything the
// fast path does not read sets l.bailed, and the document is then read
// again by the full decoder.
func (l *Loader) addObjectTree(d *document, at string, node int32, def *typeMeta) {
	var tm typeMeta
	if !d.tree.decode(node, &tm, true, nil) {
		l.bailed = true
		return
	}
	l.dispatch(d, at, tm, def, objectSource{tree: d.tree, node: node})
}

// addListTree handles the items of a List read by the fast path, as
// [Loader.addList] does those of the full decoder. Long lists are decoded
// on every core.
func (l *Loader) addListTree(d *document, at string, items int32, tm typeMeta) {
	if d.list != nil && at == "" {
		l.listHead(d, tm)
		return
	}
	var def *typeMeta
	if tm.Kind != "List" {
		def = &typeMeta{APIVersion: tm.APIVersion, Kind: strings.TrimSuffix(tm.Kind, "List")}
	}
	t := d.tree
	n := &t.nodes[items]
	if n.kind == yScalar && n.typ == yNull {
		return
	}
	if n.kind != ySequence {
		l.bailed = true
		return
	}
	var nodes []int32
	for k := items + 1; k < n.end; k = t.nodes[k].end {
		if t.nodes[k].kind != yMapping {
			l.bailed = true // reported by the full decoder
			return
		}
		nodes = append(nodes, k)
	}
	add := func(l *Loader, d *document, i int) {
		l.addObjectTree(d, fmt.Sprintf("%sitems[%d].", at, i), nodes[i], def)
	}
	workers := runtime.GOMAXPROCS(0)
	if len(nodes) < 64 || workers < 2 {
		for i := range nodes {
			add(l, d, i)
		}
		return
	}
	d.position(0) // build the table of lines before the workers share it
	shadows := make([]*Loader, workers)
	var wg sync.WaitGroup
	for w := range workers {
		sh := &Loader{opts: l.opts, shadow: true}
		shadows[w] = sh
		lo, hi := w*len(nodes)/workers, (w+1)*len(nodes)/workers
		own := *d // positions remember the last one: one copy per worker
		wg.Go(func() {
			for i := lo; i < hi && !sh.bailed; i++ {
				add(sh, &own, i)
			}
		})
	}
	wg.Wait()
	for _, sh := range shadows {
		l.bailed = l.bailed || sh.bailed
		l.absorb(sh)
	}
}

// treeItems returns the node of the items of a List read by the fast
// path, as [listItems] does for the full decoder: ok is false when the
// object is not a list; items is -1 for a List without items.
func treeItems(t *ytree, node int32, kind string) (items int32, ok bool) {
	if !strings.HasSuffix(kind, "List") {
		return 0, false
	}
	n := &t.nodes[node]
	for k := node + 1; k < n.end; k = t.nodes[k+1].end {
		if t.nodes[k].str == "items" {
			return k + 1, true
		}
	}
	return -1, kind == "List"
}

// objectSource is what an object is decoded from: its JSON text (the full
// decoder) or the node of a tree of the fast path.
type objectSource struct {
	j    []byte
	tree *ytree
	node int32
}

// dispatch checks the apiVersion and kind of an object and hands it to the
// handler of its kind.
func (l *Loader) dispatch(d *document, at string, tm typeMeta, def *typeMeta, src objectSource) {
	loc := d.location()
	if at != "" {
		loc = d.locate(trimDot(at))
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
		l.add(Diagnostic{Severity: Error, Location: loc, Field: trimDot(at), Code: CodeRequired, Msg: "missing apiVersion and kind: not a Kubernetes object"})
		return
	case tm.Kind == "":
		l.add(Diagnostic{Severity: Error, Location: loc, Name: tm.Metadata.Name, Field: at + "kind", Code: CodeRequired, Msg: "missing kind"})
		return
	case tm.APIVersion == "":
		l.add(Diagnostic{Severity: Error, Location: loc, Kind: tm.Kind, Namespace: tm.Metadata.Namespace, Name: tm.Metadata.Name, Field: at + "apiVersion", Code: CodeRequired, Msg: "missing apiVersion"})
		return
	}
	if src.tree == nil {
		if items, ok := listItems(tm.Kind, src.j); ok {
			l.addList(d, at, items, tm)
			return
		}
	} else if items, ok := treeItems(src.tree, src.node, tm.Kind); ok {
		if items >= 0 {
			l.addListTree(d, at, items, tm)
		}
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
	h(l, &decodeCtx{l: l, doc: d, at: at, loc: loc, kind: tm.Kind, name: tm.Metadata.Name, namespace: ns, src: src}, src.j)
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
	if d.list != nil && at == "" {
		l.listHead(d, tm)
		return
	}
	var def *typeMeta
	if tm.Kind != "List" {
		def = &typeMeta{APIVersion: tm.APIVersion, Kind: strings.TrimSuffix(tm.Kind, "List")}
	}
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return
	}
	if raw[0] != '[' {
		l.add(Diagnostic{Severity: Error, Location: d.locate(at + "items"), Kind: tm.Kind, Field: at + "items", Code: CodeTypeInvalid,
			Msg: fmt.Sprintf("expected a list of objects, got %s", describeJSONKind(raw[0]))})
		return
	}
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		l.add(Diagnostic{Severity: Error, Location: d.locate(at + "items"), Kind: tm.Kind, Field: at + "items", Code: CodeTypeInvalid, Msg: "expected a list of objects"})
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
			l.add(Diagnostic{Severity: Error, Location: d.locate(trimDot(p)), Field: trimDot(p), Code: CodeSyntax,
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
			Code: CodeUnsupportedVersion, Value: tm.APIVersion, Msg: reason + "; the policy is not read"})
		return
	}
	reason, sev, field, code, value := "kind not evaluated by netreach", Info, "", CodeSkippedKind, tm.Kind
	if want, ok := inventoryKinds[tm.Kind]; ok {
		reason = fmt.Sprintf("unsupported apiVersion %s for %s: expected %s", quote(tm.APIVersion), tm.Kind, want)
		sev, field, loc = Warning, at+"apiVersion", d.locate(at+"apiVersion")
		code, value = CodeUnsupportedVersion, tm.APIVersion
	} else if why := reachabilityKind(tm.APIVersion, tm.Kind); why != "" {
		reason, sev = why, Warning
	}
	l.skip(ref, tm.APIVersion, reason, d, at)
	l.add(Diagnostic{Severity: sev, Location: loc, Kind: tm.Kind, Namespace: ref.Namespace, Name: ref.Name, Field: field, Code: code, Value: value, Msg: "skipped: " + reason})
}

func (l *Loader) skip(ref ObjectRef, apiVersion, reason string, doc *document, at string) {
	key := "skipped/" + ref.Key() + "/" + ref.Source.String()
	l.store(&loaded{ref: ref, obj: &Skipped{ObjectRef: ref, APIVersion: apiVersion, Reason: reason}, doc: doc, at: at}, key)
}

// store records a decoded object under key; a second object with the same
// key replaces the first, with a warning.
func (l *Loader) store(o *loaded, key string) {
	if o.doc != nil {
		if np, ok := o.obj.(*NetworkPolicy); ok {
			o.portAt = namedPortLocations(o.doc, o.at, np)
		}
		if !l.opts.keepDocs {
			o.doc = nil // let the document's text go
		}
	}
	if l.shadow {
		l.pending = append(l.pending, pendingStore{o, key})
		return
	}
	if l.storeRejectedDuplicate(o, key) {
		return
	}
	if prev, dup := l.objects[key]; dup && l.replacing[key] {
		delete(l.replacing, key) // a second object of the key in the same With is a duplicate
	} else if dup {
		l.loose = append(l.loose, prev.diags...) // still reported, as the input still holds it
		where := "earlier"
		if prev.ref.Source.IsValid() {
			where = "at " + prev.ref.Source.String()
		}
		l.add(Diagnostic{Severity: Warning, Location: o.ref.Source, Kind: o.ref.Kind, Namespace: o.ref.Namespace, Name: o.ref.Name, Code: CodeDuplicateObject,
			Msg: fmt.Sprintf("duplicate object (also defined %s); the later definition is used", where)})
	} else {
		l.order = append(l.order, key)
	}
	l.objects[key] = o
}

// namedPortLocations returns where the named ports of a NetworkPolicy's
// rules are, by field path: [Loader.checkNamedPorts] may report them once
// everything is read, when the document's text is gone.
func namedPortLocations(d *document, at string, np *NetworkPolicy) map[string]Location {
	var out map[string]Location
	each := func(dir string, i int, ports []networkingv1.NetworkPolicyPort) {
		for k, p := range ports {
			if p.Port != nil && p.Port.Type == intstr.String {
				if out == nil {
					out = map[string]Location{}
				}
				field := fmt.Sprintf("spec.%s[%d].ports[%d].port", dir, i, k)
				out[field] = d.locate(at + field)
			}
		}
	}
	for i, r := range np.Spec.Ingress {
		each("ingress", i, r.Ports)
	}
	for i, r := range np.Spec.Egress {
		each("egress", i, r.Ports)
	}
	return out
}

func (l *Loader) add(d Diagnostic) {
	d.Msg = truncateMessage(d.Msg)
	if d.Code == "" {
		d.Code = defaultCode(d.Severity)
	}
	l.diags = append(l.diags, d)
	if !l.shadow {
		l.loose = append(l.loose, d)
	}
}

// absorb takes in what a shadow loader decoded: its objects are stored
// and its diagnostics reported. At the top, each diagnostic is also
// recorded with the object of the document it names (the document's only
// object, or the one of the same kind, namespace and name) or, when none,
// as a loose one; a shadow leaves that to the loader that absorbs it.
func (l *Loader) absorb(sh *Loader) {
	l.diags = append(l.diags, sh.diags...)
	if !l.shadow {
		for _, d := range sh.diags {
			if o := ownerOf(d, sh.pending); o != nil {
				o.diags = append(o.diags, d)
			} else {
				l.loose = append(l.loose, d)
			}
		}
	}
	for _, p := range sh.pending {
		l.store(p.o, p.key)
	}
}

// ownerOf returns the object a diagnostic of a document belongs to.
func ownerOf(d Diagnostic, pending []pendingStore) *loaded {
	if len(pending) == 1 {
		return pending[0].o
	}
	if d.Name == "" {
		return nil
	}
	for _, p := range pending {
		if r := p.o.ref; r.Kind == d.Kind && r.Namespace == d.Namespace && r.Name == d.Name {
			return p.o
		}
	}
	return nil
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
	"GlobalNetworkSet": true, "HostEndpoint": true, "IPPool": true, "EgressGatewayPolicy": true,
}
