package fix

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"strings"

	"sigs.k8s.io/yaml"

	"github.com/netreach/netreach/internal/policy"
)

// maxSourceBytes bounds a file read back to edit one of its objects.
const maxSourceBytes = 64 << 20

// sources reads back the documents objects were loaded from, so that an
// edited object keeps every field the typed model does not (labels,
// annotations, field order aside). Files are read once.
type sources struct {
	files map[string]sourceFile
}

type sourceFile struct {
	docs [][]byte // the documents' text, by 1-based index - 1
	json bool
	err  error
}

func newSources() *sources { return &sources{files: map[string]sourceFile{}} }

// object returns the raw object ref was loaded from, as generic JSON
// values, after checking that it is the object the snapshot holds: a
// NetworkPolicy written on its own (not inside a List), read from a file
// that still holds it as it was loaded.
func (s *sources) object(ref policy.ObjectRef, np *policy.NetworkPolicy) (map[string]any, error) {
	loc := ref.Source
	switch {
	case ref.Origin != nil:
		return nil, noFixf("%s was created or changed by an admission policy (Kyverno); fix the policy that generates it", ref)
	case loc.File == "" || loc.File == "-":
		return nil, noFixf("%s was not read from a file (standard input), so it cannot be edited", ref)
	case loc.Doc <= 0:
		return nil, noFixf("the document of %s is unknown", ref)
	}
	f := s.file(loc.File)
	if f.err != nil {
		return nil, noFixf("cannot read %s back: %v", loc.File, f.err)
	}
	if loc.Doc > len(f.docs) {
		return nil, noFixf("%s no longer has document %d, which held %s", loc.File, loc.Doc, ref)
	}
	text := f.docs[loc.Doc-1]
	j := text
	if !f.json {
		var err error
		if j, err = yaml.YAMLToJSON(text); err != nil {
			return nil, noFixf("%s document %d no longer parses: %v", loc.File, loc.Doc, err)
		}
	}
	var obj map[string]any
	dec := json.NewDecoder(bytes.NewReader(j))
	dec.UseNumber()
	if err := dec.Decode(&obj); err != nil || obj == nil {
		return nil, noFixf("%s document %d is not an object", loc.File, loc.Doc)
	}
	if _, isList := obj["items"]; isList || strings.HasSuffix(str(obj["kind"]), "List") {
		return nil, noFixf("%s was read from a List document (%s); objects inside a List are not edited mechanically: edit the item by hand or write it as its own document", ref, loc)
	}
	meta, _ := obj["metadata"].(map[string]any)
	if str(obj["kind"]) != ref.Kind || meta == nil || str(meta["name"]) != ref.Name {
		return nil, noFixf("%s document %d no longer holds %s", loc.File, loc.Doc, ref)
	}
	if np != nil {
		if _, ok := meta["namespace"]; !ok {
			meta["namespace"] = np.Namespace // the namespace it was loaded into
		}
		if err := sameNetworkPolicy(obj, np); err != nil {
			return nil, err
		}
	}
	return obj, nil
}

// sameNetworkPolicy checks that the raw object decodes to the policy the
// snapshot holds (the file did not change since it was loaded).
func sameNetworkPolicy(obj map[string]any, np *policy.NetworkPolicy) error {
	out, err := yaml.Marshal(obj)
	if err != nil {
		return noFixf("cannot re-encode %s: %v", np.ObjectRef, err)
	}
	l := policy.NewLoader(policy.LoadOptions{})
	l.AddBytes(np.Source.File+".yaml", out)
	s, _ := l.Snapshot()
	for _, x := range s.NetworkPolicies {
		if x.Name == np.Name && x.Namespace == np.Namespace && reflect.DeepEqual(x.Spec, np.Spec) {
			return nil
		}
	}
	return noFixf("%s changed since it was loaded (or does not read back the same way); no fix is written from a stale copy", np.ObjectRef)
}

// file reads and splits a file once.
func (s *sources) file(name string) sourceFile {
	if f, ok := s.files[name]; ok {
		return f
	}
	f := readSourceFile(name)
	s.files[name] = f
	return f
}

func readSourceFile(name string) sourceFile {
	fh, err := os.Open(name)
	if err != nil {
		return sourceFile{err: err}
	}
	defer fh.Close()
	data, err := io.ReadAll(io.LimitReader(fh, maxSourceBytes+1))
	if err != nil {
		return sourceFile{err: err}
	}
	if len(data) > maxSourceBytes {
		return sourceFile{err: fmt.Errorf("larger than %d bytes", maxSourceBytes)}
	}
	if isJSONStream(name, data) {
		docs, err := splitJSON(data)
		return sourceFile{docs: docs, json: true, err: err}
	}
	return sourceFile{docs: splitYAML(data)}
}

// isJSONStream decides as the loader does: data starting with '{' or '['
// in a file whose name does not say YAML.
func isJSONStream(name string, data []byte) bool {
	lower := strings.ToLower(name)
	if strings.HasSuffix(lower, ".yaml") || strings.HasSuffix(lower, ".yml") {
		return false
	}
	t := bytes.TrimLeft(data, " \t\r\n")
	return len(t) > 0 && (t[0] == '{' || t[0] == '[')
}

func splitJSON(data []byte) ([][]byte, error) {
	var out [][]byte
	dec := json.NewDecoder(bytes.NewReader(data))
	for {
		var raw json.RawMessage
		err := dec.Decode(&raw)
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		out = append(out, raw)
	}
}

// splitYAML cuts a YAML stream into documents as the loader numbers them:
// at lines starting with "---" (which may carry content after a space)
// and at "..." lines, dropping documents that hold only blank lines,
// comments and directives.
func splitYAML(data []byte) [][]byte {
	var out [][]byte
	var cur []byte
	flush := func() {
		if !isBlankDoc(cur) {
			out = append(out, cur)
		}
		cur = nil
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64<<10), maxSourceBytes)
	for sc.Scan() {
		ln := sc.Bytes()
		switch {
		case bytes.HasPrefix(ln, []byte("---")) && (len(ln) == 3 || ln[3] == ' ' || ln[3] == '\t' || ln[3] == '\r'):
			flush()
			if rest := bytes.TrimSpace(ln[3:]); len(rest) > 0 && rest[0] != '#' {
				cur = append(cur, rest...)
				cur = append(cur, '\n')
			}
		case bytes.Equal(bytes.TrimRight(ln, " \t\r"), []byte("...")) || bytes.HasPrefix(ln, []byte("... #")):
			flush()
		default:
			cur = append(cur, ln...)
			cur = append(cur, '\n')
		}
	}
	flush()
	return out
}

func isBlankDoc(text []byte) bool {
	for ln := range bytes.Lines(text) {
		t := bytes.TrimSpace(ln)
		if len(t) > 0 && t[0] != '#' && t[0] != '%' {
			return false
		}
	}
	return true
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

// forApply removes the fields the server owns (status, uid,
// resourceVersion...), which a `kubectl get -o yaml` dump carries and
// `kubectl apply` must not be given.
func forApply(obj map[string]any) {
	delete(obj, "status")
	meta, _ := obj["metadata"].(map[string]any)
	if meta == nil {
		return
	}
	for _, k := range []string{"uid", "resourceVersion", "generation", "creationTimestamp", "managedFields", "selfLink", "deletionTimestamp", "deletionGracePeriodSeconds"} {
		delete(meta, k)
	}
	if ann, ok := meta["annotations"].(map[string]any); ok {
		delete(ann, "kubectl.kubernetes.io/last-applied-configuration")
		if len(ann) == 0 {
			delete(meta, "annotations")
		}
	}
}
