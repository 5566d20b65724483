package policy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"
	"sigs.k8s.io/yaml"

	"github.com/netreach/netreach/internal/randcluster"
)

// loadStreamed loads data as one input, with Lists read item by item or
// whole, with or without the fast path.
func loadStreamed(opts LoadOptions, name string, data []byte, noStream, noFast bool) *Snapshot {
	l := NewLoader(opts)
	l.noStream, l.noFast = noStream, noFast
	l.AddBytes(name, data)
	s, _ := l.Snapshot()
	// The order of the diagnostics of no object depends on when the
	// batches of documents are decoded; they are reported sorted.
	if s.src == nil {
		return s
	}
	slices.SortStableFunc(s.src.loose, func(a, b Diagnostic) int { return strings.Compare(a.String(), b.String()) })
	return s
}

// checkStreamedSameAsWhole fails when reading the Lists of data item by
// item changes anything (objects, diagnostics, positions) against reading
// them whole, with the fast path and without it.
func checkStreamedSameAsWhole(t *testing.T, name string, opts LoadOptions, data []byte) {
	t.Helper()
	for _, noFast := range []bool{false, true} {
		whole := loadStreamed(opts, "list.json", data, true, noFast)
		streamed := loadStreamed(opts, "list.json", data, false, noFast)
		if d := snapshotDiff(whole, streamed); d != "" {
			t.Errorf("%s (noFast %v): streamed List differs from the List read whole (-whole +streamed):\n%s", name, noFast, d)
		}
	}
}

const (
	pod1 = `{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "a", "namespace": "n", "labels": {"app": "web"}}, "spec": {"containers": [{"name": "c", "ports": [{"name": "http", "containerPort": 80}]}]}, "status": {"podIP": "10.0.0.1"}}`
	pod2 = `{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "b", "namespace": "n"}, "spec": {"containers": [{"name": "c", "bogus": 1}]}, "status": {"podIP": "10.0.0.2"}}`
	np1  = `{"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"name": "p", "namespace": "n"}, "spec": {"podSelector": {}, "ingress": [{"ports": [{"port": "http"}, {"port": "nope"}]}]}}`
	bare = `{"metadata": {"name": "c", "namespace": "n"}, "spec": {"containers": [{"name": "c"}]}, "status": {"podIP": "10.0.0.3"}}`
)

// streamCases are Lists in every shape the cutter meets: kubectl's order
// (kind after the items), the API's (kind first), typed Lists whose items
// lack apiVersion and kind, nested Lists, and broken ones.
var streamCases = []struct{ name, data string }{
	{"kubectl", `{"apiVersion": "v1", "items": [` + pod1 + `, ` + pod2 + `, ` + np1 + `], "kind": "List", "metadata": {"resourceVersion": ""}}`},
	{"api order", `{"kind": "PodList", "apiVersion": "v1", "metadata": {}, "items": [` + bare + `, ` + pod1 + `]}`},
	{"typed after items", `{"apiVersion": "v1", "items": [` + bare + `, ` + pod2 + `], "kind": "PodList"}`},
	{"typed no apiVersion", `{"items": [` + bare + `], "kind": "PodList"}`},
	{"policy list", `{"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicyList", "items": [` + strings.Replace(np1, `"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", `, "", 1) + `]}`},
	{"nested", `{"apiVersion": "v1", "items": [{"apiVersion": "v1", "kind": "List", "items": [` + pod1 + `, ` + np1 + `]}, ` + pod2 + `], "kind": "List"}`},
	{"empty", `{"apiVersion": "v1", "items": [], "kind": "List"}`},
	{"empty blanks", "{\"apiVersion\": \"v1\", \"items\": [ \n ], \"kind\": \"List\"}"},
	{"null items", `{"apiVersion": "v1", "items": null, "kind": "List"}`},
	{"object items", `{"apiVersion": "v1", "items": {}, "kind": "List"}`},
	{"scalar items", `{"apiVersion": "v1", "items": [1, "x", null, true, [], ` + pod1 + `], "kind": "List"}`},
	{"item missing kind", `{"apiVersion": "v1", "items": [{"apiVersion": "v1", "metadata": {"name": "x"}}, {}], "kind": "List"}`},
	{"missing apiVersion", `{"items": [` + pod1 + `], "kind": "List"}`},
	{"missing kind", `{"apiVersion": "v1", "items": [` + pod1 + `]}`},
	{"kind number", `{"apiVersion": "v1", "items": [` + pod1 + `], "kind": 5}`},
	{"not a list after", `{"apiVersion": "v1", "items": [` + pod1 + `], "kind": "ConfigMap", "metadata": {"name": "x"}}`},
	{"not a list before", `{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "x"}, "items": [` + pod1 + `]}`},
	{"duplicate in item", `{"apiVersion": "v1", "items": [` + pod1 + `, {"apiVersion": "v1", "kind": "Pod", "kind": "Pod"}], "kind": "List"}`},
	{"duplicate in head", `{"apiVersion": "v1", "apiVersion": "v1", "items": [` + pod1 + `], "kind": "List"}`},
	{"duplicate in tail", `{"apiVersion": "v1", "items": [` + pod1 + `], "kind": "List", "kind": "List"}`},
	{"duplicate items", `{"apiVersion": "v1", "items": [` + pod1 + `], "kind": "List", "items": []}`},
	{"head syntax", `{"apiVersion": v1, "items": [` + pod1 + `], "kind": "List"}`},
	{"tail syntax", `{"apiVersion": "v1", "items": [` + pod1 + `], "kind": List}`},
	{"tail syntax 2", `{"apiVersion": "v1", "items": [` + pod1 + `] "kind": "List"}`},
	{"truncated tail", `{"apiVersion": "v1", "items": [` + pod1 + `], "kind": "Li`},
	{"positions", "{\n  \"apiVersion\": \"v1\",\n  \"items\": [\n    " + strings.ReplaceAll(pod2, ", ", ",\n      ") + ",\n  \"é\", " + np1 + "\n  ],\n  \"kind\": \"List\",\n  \"metadata\": {\"x\": 1}\n}\n"},
	{"crlf", strings.ReplaceAll("{\n\"apiVersion\": \"v1\",\n\"items\": [\n"+pod2+",\n"+np1+"\n],\n\"kind\": \"List\"}\n", "\n", "\r\n")},
	{"stream", `{"apiVersion": "v1", "items": [` + pod1 + `], "kind": "List"} {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "n"}} {"apiVersion": "v1", "items": [` + pod2 + `], "kind": "List"}`},
	{"not first", `{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "n"}}` + "\n" + `{"apiVersion": "v1", "items": [` + pod1 + `], "kind": "List"}`},
	{"escaped key", `{"apiVersion": "v1", "\u0069tems": [` + pod1 + `], "kind": "List"}`},
	{"keys not strings", `{"apiVersion": "v1", items: [` + pod1 + `], "kind": "List"}`},
	{"no colon", `{"apiVersion": "v1", "items" [` + pod1 + `], "kind": "List"}`},
}

// TestStreamedList checks that reading a List item by item gives what
// reading it whole gives: the same objects, diagnostics and positions.
func TestStreamedList(t *testing.T) {
	t.Parallel()
	for _, tc := range streamCases {
		checkStreamedSameAsWhole(t, tc.name, LoadOptions{}, []byte(tc.data))
	}
}

// TestStreamedListKyverno checks a List that holds a Kyverno policy
// before the objects it changes: the items keep their text for the
// simulation, as the List read whole does. (A policy after the objects
// in a List read from standard input is the case of separate documents:
// a warning asks to give the policies first.)
func TestStreamedListKyverno(t *testing.T) {
	t.Parallel()
	docs := strings.Split(dedent(tenantsYAML), "---\n")
	docs = append(docs[2:], docs[:2]...) // the policy first
	var items []string
	for _, d := range docs {
		j, err := yaml.YAMLToJSON([]byte(d))
		require.NoError(t, err)
		items = append(items, string(j))
	}
	for _, kind := range []string{`"kind": "List", "apiVersion": "v1", `, ""} {
		data := []byte(`{` + kind + `"items": [` + strings.Join(items, ",\n") + `], "kind": "List", "apiVersion": "v1"}`)
		if kind != "" {
			data = []byte(`{` + kind + `"items": [` + strings.Join(items, ",\n") + `]}`)
		}
		checkStreamedSameAsWhole(t, "kyverno", LoadOptions{}, data)
		s := loadStreamed(LoadOptions{}, "list.json", data, false, false)
		require.Len(t, s.NetworkPolicies, 1)
		require.Equal(t, "t1", findEndpoint(s, "t1/web").Labels["tenant"])
	}
}

// TestStreamedListBroken checks the errors of Lists that are not valid
// JSON: the error ends the input, and no item of the List is read, as
// when the List is read whole.
func TestStreamedListBroken(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, data, err string }{
		{"item syntax", `{"apiVersion": "v1", "items": [` + pod1 + `, {"apiVersion": "v1", "kind": x}], "kind": "List"}` + "\n" + `{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "n"}}`,
			"list.json:1:293: error: document 1: invalid JSON: invalid character 'x' looking for beginning of value"},
		{"missing comma", `{"apiVersion": "v1", "items": [` + pod1 + ` ` + pod2 + `], "kind": "List"}`,
			"list.json:1:263: error: document 1: invalid JSON: invalid character '{' after array element"},
		{"trailing comma", `{"apiVersion": "v1", "items": [` + pod1 + `, ], "kind": "List"}`,
			"list.json:1:264: error: document 1: invalid JSON: invalid character ']' looking for beginning of value"},
		{"truncated", `{"apiVersion": "v1", "items": [` + pod1 + `, `,
			"list.json:1:264: error: document 1: invalid JSON: unexpected end of input"},
		{"truncated item", `{"apiVersion": "v1", "items": [` + pod1 + `, {"a": `,
			"list.json:1:270: error: document 1: invalid JSON: unexpected end of input"},
	} {
		s := loadStreamed(LoadOptions{}, "list.json", []byte(tc.data), false, false)
		require.Equal(t, []string{tc.err}, diagLines(s.Diagnostics), tc.name)
		require.Empty(t, s.Endpoints, tc.name)
		checkStreamedSameAsWhole(t, tc.name, LoadOptions{}, []byte(tc.data))
	}
}

// TestStreamedListLimit checks that a List larger than MaxDocumentBytes is
// read, that each item is held to the limit, and that an item that does
// not end stops the input with an error naming the limit and its flag.
func TestStreamedListLimit(t *testing.T) {
	t.Parallel()
	big := `{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "big", "namespace": "n", "annotations": {"x": "` + strings.Repeat("y", 400) + `"}}}`
	var items []string
	for i := range 20 {
		items = append(items, strings.Replace(pod1, `"name": "a"`, fmt.Sprintf(`"name": "p%d"`, i), 1))
	}
	items = append(items[:3], append([]string{big}, items[3:]...)...)
	data := `{"apiVersion": "v1", "items": [` + strings.Join(items, ", ") + `], "kind": "List"}`
	opts := LoadOptions{MaxDocumentBytes: 300}
	require.Greater(t, len(data), 10*opts.MaxDocumentBytes)
	s := loadStreamed(opts, "list.json", []byte(data), false, false)
	require.Equal(t, []string{
		"list.json:1:731: error: document 1: items[3]: List item is 508 bytes, more than the limit of 300; it is not read (raise the limit with --max-document-bytes)",
	}, diagLinesAtLeast(s.Diagnostics, Error))
	require.Len(t, s.Endpoints, 20)

	// Read whole, the List is over the limit.
	s = loadStreamed(opts, "list.json", []byte(data), true, false)
	require.Len(t, s.Endpoints, 0)
}

// TestEndlessListItem feeds Lists that never end (an io.Reader that never
// returns EOF) and checks that reading stops with an error naming the
// file, the document, the limit and the flag that raises it, after
// reading a bounded amount.
func TestEndlessListItem(t *testing.T) {
	t.Parallel()
	const max = 1 << 20
	for _, tc := range []struct{ name, head, pattern, want string }{
		{"item", `{"apiVersion": "v1", "kind": "List", "items": [{"a": "`, "x",
			"in:1:48: error: document 1: items[0]: List item is more than 1048576 bytes, the limit, and does not end within another 1048576 bytes; it and the rest of the input are not read (raise the limit with --max-document-bytes)"},
		{"second item", `{"apiVersion": "v1", "items": [{}, {"a": [`, "[1,",
			"in:1:36: error: document 1: items[1]: List item is more than 1048576 bytes, the limit, and does not end within another 1048576 bytes; it and the rest of the input are not read (raise the limit with --max-document-bytes)"},
		{"head", `{"apiVersion": "v1", "kind": "List", "metadata": {"a": "`, "x",
			"in:1:1: error: document 1: document is more than 1048576 bytes, the limit, and no document separator follows within another 1048576 bytes; it and the rest of the input are not read (raise the limit with --max-document-bytes)"},
		{"tail", `{"apiVersion": "v1", "items": [], "metadata": {"a": "`, "x",
			"in:1:1: error: document 1: document is more than 1048576 bytes, the limit, and no document separator follows within another 1048576 bytes; it and the rest of the input are not read (raise the limit with --max-document-bytes)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			in := &endless{t: t, pattern: []byte(tc.pattern), limit: 2*max + 2*readBufferBytes}
			l := NewLoader(LoadOptions{MaxDocumentBytes: max})
			l.AddReader("in", io.MultiReader(strings.NewReader(tc.head), in))
			s, err := l.Snapshot()
			require.Error(t, err)
			require.Equal(t, []string{tc.want}, diagLines(s.Diagnostics))
		})
	}
}

// TestEndlessList feeds a List whose items never end: every item is
// read, and the document limit ends the input.
func TestEndlessList(t *testing.T) {
	t.Parallel()
	items := strings.Repeat(`{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "n"}}, `, 1000)
	in := io.MultiReader(strings.NewReader(`{"apiVersion": "v1", "kind": "List", "items": [`), &repeatReader{s: items})
	l := NewLoader(LoadOptions{MaxDocuments: 5000})
	l.AddReader("in", in)
	s, err := l.Snapshot()
	require.Error(t, err)
	require.Equal(t, []string{
		"in:1:350048: error: document 1: more than 5000 documents in the input; the rest are not read (raise the limit with --max-documents)",
	}, diagLines(s.Diagnostics))
}

// repeatReader repeats s forever.
type repeatReader struct {
	s   string
	off int
}

func (r *repeatReader) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		c := copy(p[n:], r.s[r.off:])
		n += c
		r.off = (r.off + c) % len(r.s)
	}
	return n, nil
}

// emptyKeyRE matches an empty object key.
var emptyKeyRE = regexp.MustCompile(`""\s*:`)

// fieldItemRE matches the path prefix of a List item.
var fieldItemRE = regexp.MustCompile(`^items\[\d+\]\.?`)

// withoutPositions returns the diagnostics without their locations and
// List item prefixes, as lines.
func withoutPositions(ds Diagnostics) []string {
	out := make([]string, 0, len(ds))
	for _, d := range ds {
		d.Location = Location{}
		d.Field = fieldItemRE.ReplaceAllString(d.Field, "")
		out = append(out, d.String())
	}
	return out
}

// TestListSameAsDocuments is the differential test of Lists: a random
// cluster (with broken objects besides) written as one List gives the
// same snapshot and diagnostics, positions aside, as the same objects
// written as separate JSON documents.
func TestListSameAsDocuments(t *testing.T) {
	t.Parallel()
	broken := []string{pod2, np1, `{"apiVersion": "v1", "metadata": {"name": "x"}}`, `{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "y", "namespace": "n"}, "spec": {"containers": [{"name": "c", "ports": [{"containerPort": "80"}]}]}}`}
	ignorePositions := cmp.Options{
		cmp.Exporter(func(reflect.Type) bool { return true }),
		cmp.Comparer(func(a, b Location) bool { return true }),
		cmp.FilterPath(func(p cmp.Path) bool {
			sf, ok := p.Last().(cmp.StructField)
			return ok && (sf.Name() == "at" || sf.Name() == "Diagnostics" || sf.Name() == "diags" || sf.Name() == "loose" || sf.Name() == "portAt")
		}, cmp.Ignore()),
	}
	for seed := range 20 {
		r := rand.New(rand.NewPCG(uint64(seed), 16))
		data := randcluster.Generate(r, randcluster.Config{Admin: seed%2 == 1, Calico: seed%3 == 2})
		var items []json.RawMessage
		for doc := range bytes.SplitSeq(data, []byte("\n---\n")) {
			j, err := yaml.YAMLToJSON(doc)
			require.NoError(t, err)
			if len(bytes.TrimSpace(j)) > 0 && string(j) != "null" {
				items = append(items, j)
			}
		}
		for i, b := range broken {
			at := r.IntN(len(items) + 1)
			items = append(items[:at], append([]json.RawMessage{json.RawMessage(b)}, items[at:]...)...)
			_ = i
		}
		list, err := json.MarshalIndent(map[string]any{"apiVersion": "v1", "kind": "List", "items": items}, "", "  ")
		require.NoError(t, err)
		docs := bytes.Join(func() [][]byte {
			out := make([][]byte, len(items))
			for i, it := range items {
				out[i] = it
			}
			return out
		}(), []byte("\n"))
		fromList := loadStreamed(LoadOptions{}, "c.json", list, false, false)
		fromDocs := loadStreamed(LoadOptions{}, "c.json", docs, false, false)
		require.NotEmpty(t, fromList.Endpoints)
		if d := cmp.Diff(fromDocs, fromList, ignorePositions); d != "" {
			t.Errorf("seed %d: the List differs from the documents (-documents +list):\n%s", seed, d)
		}
		require.Equal(t, withoutPositions(fromDocs.Diagnostics), withoutPositions(fromList.Diagnostics), "seed %d", seed)
		require.NotEmpty(t, diagLinesAtLeast(fromList.Diagnostics, Error))
		checkStreamedSameAsWhole(t, fmt.Sprintf("seed %d", seed), LoadOptions{MaxDocumentBytes: len(list) + 1}, list)
	}
}

// FuzzListCutter loads JSON with Lists read item by item and read whole,
// and requires the same result: objects, diagnostics, positions. Run it
// with go test ./internal/policy -run '^$' -fuzz FuzzListCutter.
func FuzzListCutter(f *testing.F) {
	for _, tc := range streamCases {
		f.Add([]byte(tc.data))
	}
	for _, s := range []string{
		`{"items": [`, `{"items": [{`, `{"items": [{}`, `{"items": [{},`, `{"items": [{}]`, `{"items": []`,
		`{"items": [1 2]}`, `{"items": [,]}`, `{"items": [}`, `{"items": ["]"]}`, `{"items": [{"a": "}"}]}`,
		`{"items": [{"a": "\"}"}], "kind": "List", "apiVersion": "v1"}`, `{"kind": "List", "items": [[]], "apiVersion": "v1"}`,
		`{"kind": "XList", "apiVersion": "v1", "items": [{"metadata": {"name": "a"}}]}`,
		"{\"items\"\n:\n[\n{\"kind\": \"Pod\", \"apiVersion\": \"v1\"}\n,\n{}\n]\n,\"kind\"\n:\"List\",\"apiVersion\":\"v1\"}",
		`{"items": [{"kind": "Pod", "apiVersion": "v1", "metadata": {"name": "é\u00e9"}}], "kind": "List", "apiVersion": "v1"}{"items": [`,
		// Found by fuzzing: a bad scalar item, syntax errors after a
		// duplicate key.
		`{"0000000000":"","items":[n `, `{"0000000000":"00", "items": [00`, `{"items":[{"00000000":{"name":"0","name":""}},A`,
		`{"apiVersion": "00", "items": [0, "0", null, true, [], {"apiVersion": "v1", "kind": "Pod", "metadata": {}}], "kind": "List"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if emptyKeyRE.Match(data) {
			// An empty key at the top of an item ("items[0].") is placed at
			// the item, one column before its key: an item's own paths
			// cannot name it.
			return
		}
		// Both with the full decoder: whole, a List with one unusual item
		// is read by the full decoder, streamed only that item, and the
		// fast path is compared with the full decoder by FuzzFastPath.
		opts := LoadOptions{MaxDocumentBytes: 1 << 20}
		whole := loadStreamed(opts, "f.json", data, true, true)
		streamed := loadStreamed(opts, "f.json", data, false, true)
		if d := snapshotDiff(whole, streamed); d != "" {
			t.Fatalf("streamed List differs from the List read whole (-whole +streamed):\n%s", d)
		}
	})
}
