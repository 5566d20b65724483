package policy

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
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
}

// Loader reads manifests and builds a [Snapshot]. Add input with
// [Loader.AddPath], [Loader.AddBytes] or [Loader.AddObject], then call
// [Loader.Snapshot] once. A Loader is not safe for concurrent use.
type Loader struct {
	opts  LoadOptions
	diags Diagnostics
	ndocs int
	limit bool // the document limit was reported

	objects map[string]*loaded // by ObjectRef.Key()
	order   []string           // keys in first-seen order
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
// by "---" lines, or JSON. name is used in diagnostics.
func (l *Loader) AddBytes(name string, data []byte) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")) // UTF-8 byte order mark
	for _, d := range splitDocuments(name, data) {
		l.ndocs++
		if l.ndocs > l.opts.MaxDocuments {
			if !l.limit {
				l.limit = true
				l.errorf(d.location(), "more than %d documents in the input; raise the limit with --max-documents", l.opts.MaxDocuments)
			}
			return
		}
		if len(d.text) > l.opts.MaxDocumentBytes {
			l.errorf(d.location(), "document is %d bytes, more than the limit of %d; raise it with --max-document-bytes", len(d.text), l.opts.MaxDocumentBytes)
			continue
		}
		l.addDocument(d)
	}
}

// splitDocuments cuts a YAML stream at lines that start a new document
// ("---", optionally followed by a comment) and drops documents that hold
// only comments and blank lines. Documents are numbered from 1 in the order
// they appear, counting only the non-blank ones; each keeps its first line.
func splitDocuments(name string, data []byte) []*document {
	var docs []*document
	start, startLine := 0, 1
	flush := func(end int) {
		text := data[start:end]
		if !isBlankYAML(text) {
			docs = append(docs, &document{file: name, index: len(docs) + 1, startLine: startLine, text: text})
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
			start, startLine = pos+keep, line+1
			if keep < next-pos {
				startLine = line
			}
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
	return true, 3
}

func isBlankYAML(text []byte) bool {
	for _, ln := range bytes.Split(text, []byte("\n")) {
		ln = bytes.TrimSpace(ln)
		if len(ln) == 0 || ln[0] == '#' || bytes.Equal(ln, []byte("...")) {
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
	j, err := yaml.YAMLToJSONStrict(d.text)
	if err != nil {
		l.add(Diagnostic{Severity: Error, Location: yamlErrorLocation(d, err), Msg: yamlErrorMessage(err)})
		return
	}
	d.json = j
	if bytes.Equal(bytes.TrimSpace(j), []byte("null")) {
		return
	}
	if len(j) == 0 || j[0] != '{' {
		l.add(Diagnostic{Severity: Error, Location: d.location(), Msg: "expected a Kubernetes object (a mapping with apiVersion and kind)"})
		return
	}
	l.addObjectJSON(d, "", j)
}

// addObjectJSON handles one object (a whole document, or an item of a
// List at path prefix at).
func (l *Loader) addObjectJSON(d *document, at string, j []byte) {
	var tm typeMeta
	if err := sjsonUnmarshalCaseSensitive(j, &tm); err != nil {
		l.add(Diagnostic{Severity: Error, Location: d.locate(trimDot(at)), Msg: "expected a Kubernetes object (a mapping with apiVersion and kind)"})
		return
	}
	loc := d.location()
	if at != "" {
		loc = d.locate(trimDot(at))
	}
	switch {
	case tm.Kind == "" && tm.APIVersion == "":
		l.add(Diagnostic{Severity: Error, Location: loc, Field: trimDot(at), Msg: "missing apiVersion and kind: not a Kubernetes object"})
		return
	case tm.Kind == "":
		l.add(Diagnostic{Severity: Error, Location: loc, Field: at + "kind", Msg: "missing kind"})
		return
	case tm.APIVersion == "":
		l.add(Diagnostic{Severity: Error, Location: loc, Kind: tm.Kind, Name: tm.Metadata.Name, Field: at + "apiVersion", Msg: "missing apiVersion"})
		return
	}
	if isListKind(tm.Kind) {
		l.addList(d, at, j, tm)
		return
	}
	h, known := handlers[tm.APIVersion+"|"+tm.Kind]
	if !known {
		l.unknownKind(d, at, loc, tm)
		return
	}
	h(l, &decodeCtx{l: l, doc: d, at: at, loc: loc, kind: tm.Kind, name: tm.Metadata.Name, namespace: tm.Metadata.Namespace}, j)
}

func trimDot(at string) string { return strings.TrimSuffix(at, ".") }

func isListKind(kind string) bool {
	return kind == "List" || strings.HasSuffix(kind, "List")
}

func (l *Loader) addList(d *document, at string, j []byte, tm typeMeta) {
	var list struct {
		Items []sjsonRaw `json:"items"`
	}
	if err := sjsonUnmarshalCaseSensitive(j, &list); err != nil {
		l.add(Diagnostic{Severity: Error, Location: d.locate(at + "items"), Kind: tm.Kind, Field: at + "items", Msg: "expected a list of objects"})
		return
	}
	for i, item := range list.Items {
		p := fmt.Sprintf("%sitems[%d].", at, i)
		if len(item) == 0 || item[0] != '{' {
			l.add(Diagnostic{Severity: Error, Location: d.locate(trimDot(p)), Field: trimDot(p), Msg: "expected a Kubernetes object (a mapping with apiVersion and kind)"})
			continue
		}
		l.addObjectJSON(d, p, item)
	}
}

// unknownKind records an object netreach does not evaluate. Policy kinds
// in an API version we do not know are errors, because leaving a policy out
// changes the answer; anything else is listed as skipped.
func (l *Loader) unknownKind(d *document, at string, loc Location, tm typeMeta) {
	ref := ObjectRef{Kind: tm.Kind, Namespace: tm.Metadata.Namespace, Name: tm.Metadata.Name, Source: loc}
	if want, isPolicy := policyKinds[tm.Kind]; isPolicy {
		l.add(Diagnostic{Severity: Error, Location: loc, Kind: tm.Kind, Namespace: ref.Namespace, Name: ref.Name, Field: at + "apiVersion",
			Msg: fmt.Sprintf("unsupported apiVersion %q for %s: expected %s", tm.APIVersion, tm.Kind, want)})
		return
	}
	reason := "kind not evaluated by netreach"
	if want, ok := inventoryKinds[tm.Kind]; ok {
		reason = fmt.Sprintf("unsupported apiVersion %q for %s: expected %s", tm.APIVersion, tm.Kind, want)
	}
	l.skip(ref, tm.APIVersion, reason)
	l.add(Diagnostic{Severity: Info, Location: loc, Kind: tm.Kind, Namespace: ref.Namespace, Name: ref.Name, Msg: "skipped: " + reason})
}

func (l *Loader) skip(ref ObjectRef, apiVersion, reason string) {
	key := "skipped/" + ref.Key() + "/" + ref.Source.String()
	l.store(&loaded{ref: ref, obj: &Skipped{ObjectRef: ref, APIVersion: apiVersion, Reason: reason}}, key)
}

// store records a decoded object under key; a second object with the same
// key replaces the first, with a warning.
func (l *Loader) store(o *loaded, key string) {
	if prev, dup := l.objects[key]; dup {
		l.add(Diagnostic{Severity: Warning, Location: o.ref.Source, Kind: o.ref.Kind, Namespace: o.ref.Namespace, Name: o.ref.Name,
			Msg: fmt.Sprintf("duplicate object (also defined at %s); the later definition is used", prev.ref.Source)})
	} else {
		l.order = append(l.order, key)
	}
	l.objects[key] = o
}

func (l *Loader) add(d Diagnostic) { l.diags = append(l.diags, d) }

func (l *Loader) errorf(loc Location, format string, args ...any) {
	l.add(Diagnostic{Severity: Error, Location: loc, Msg: fmt.Sprintf(format, args...)})
}

// sjsonRaw is a raw JSON value.
type sjsonRaw []byte

// UnmarshalJSON keeps the raw bytes.
func (r *sjsonRaw) UnmarshalJSON(b []byte) error {
	*r = append((*r)[:0], b...)
	return nil
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

// ensure metav1 stays imported for ObjectMeta decoding helpers.
var _ metav1.ObjectMeta
