package cli

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// The output fuzz targets feed fuzzed manifests to one command and run it
// in every output format its -o flag lists, with --keep-going so that the
// writers see whatever part of the input is valid. Every run must keep the
// invariants of checkRun.
func FuzzMatrixOutputs(f *testing.F)  { fuzzOutputs(f, "matrix") }
func FuzzExplainOutputs(f *testing.F) { fuzzOutputs(f, "explain") }
func FuzzDiffOutputs(f *testing.F)    { fuzzOutputs(f, "diff") }
func FuzzCheckOutputs(f *testing.F)   { fuzzOutputs(f, "check") }
func FuzzAuditOutputs(f *testing.F)   { fuzzOutputs(f, "audit") }

// fuzzSeeds are manifests every output target starts from.
var fuzzSeeds = []string{
	"../../../testdata/scenarios/tenant-isolation/cluster.yaml",
	"../../../testdata/scenarios/egress-db-except/policy.yaml",
	"../../../testdata/calico/network-sets/cluster.yaml",
}

func fuzzOutputs(f *testing.F, command string) {
	for _, s := range fuzzSeeds {
		data, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte("apiVersion: v1\nkind: Pod\nmetadata: {name: a, namespace: x, labels: {app: a}}\nstatus: {podIPs: [{ip: 10.0.0.1}]}\n---\napiVersion: v1\nkind: \"K\\e[2K\\u202e\"\nmetadata: {name: b}\n"))
	dir := f.TempDir()
	change := filepath.Join(dir, "change.yaml")
	expectations := filepath.Join(dir, "expect.yaml")
	must(f, os.WriteFile(change, []byte("apiVersion: v1\nkind: Pod\nmetadata: {name: c, namespace: x, labels: {app: c}}\nstatus: {podIPs: [{ip: 10.0.0.3}]}\n"), 0o644))
	must(f, os.WriteFile(expectations, []byte("apiVersion: netreach.io/v1alpha1\nkind: Expectations\nrules:\n- name: r\n  from: {namespace: \"*\"}\n  to: {namespace: \"*\"}\n  ports: [80]\n  expect: deny\n"), 0o644))
	root, _ := newRoot(strings.NewReader(""), io.Discard, io.Discard)
	var formats []string
	for _, c := range root.Commands() {
		if c.Name() == command {
			formats = outputFormats(f, c.Flags().Lookup("output"))
		}
	}
	if len(formats) == 0 {
		f.Fatalf("command %s has no output formats", command)
	}
	extra := map[string][]string{
		"explain": {"--from", "x/a", "--to", "10.0.0.1"},
		"diff":    {"--apply", change},
		"check":   {"--expect", expectations},
	}[command]
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 64<<10 {
			return // the writers, not the loader's limits, are under test
		}
		in := filepath.Join(t.TempDir(), "in.yaml")
		must(t, os.WriteFile(in, data, 0o644))
		if tooLarge(in) {
			return // the matrix outputs grow with its square; streaming is not under test
		}
		for _, format := range formats {
			args := append([]string{command, "-f", in, "--keep-going", "-o", format}, extra...)
			var stdout, stderr bytes.Buffer
			code := Run(args, strings.NewReader(""), &stdout, &stderr)
			checkRun(t, args, format, code, stdout.Bytes(), stderr.String())
		}
	})
}

// checkRun holds one CLI run to the invariants every output keeps: a known
// exit code, never 0 with an error on stderr, no unsafe character on
// either stream, and a document of its format when something was written.
func checkRun(t testing.TB, args []string, format string, code int, stdout []byte, stderr string) {
	t.Helper()
	fail := func(format string, a ...any) {
		t.Helper()
		t.Errorf("netreach %s (exit %d): "+format+"\nstderr:\n%s", append([]any{strings.Join(args, " "), code}, append(a, stderr)...)...)
	}
	switch code {
	case ExitOK, ExitFailed, ExitBadData:
	default:
		fail("unexpected exit code")
	}
	if code == ExitOK && (strings.Contains(stderr, ": error: ") || strings.Contains(stderr, "netreach: ")) {
		fail("exit 0 with an error on stderr")
	}
	if unsafeOutput(string(stdout)) || unsafeOutput(stderr) {
		fail("raw control or bidi characters in the output: %q", firstUnsafeLine(string(stdout)+stderr))
	}
	if len(stdout) == 0 {
		return
	}
	switch format {
	case "json", "sarif":
		if !json.Valid(stdout) {
			fail("-o %s wrote invalid JSON", format)
		}
	case "junit":
		dec := xml.NewDecoder(bytes.NewReader(stdout))
		for {
			_, err := dec.Token()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				fail("-o junit wrote invalid XML: %v", err)
				break
			}
		}
	case "html":
		if !bytes.Contains(stdout, []byte("</html>")) {
			fail("-o html wrote no whole page")
		}
	}
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

var summaryRE = regexp.MustCompile(`(?m)^(endpoints|external atoms|port atoms)\s+(\d+)`)

// tooLarge reports whether the matrix of the manifests in file has more
// than 10^5 cells (entries squared times port atoms).
func tooLarge(file string) bool {
	var stdout bytes.Buffer
	Run([]string{"matrix", "-q", "-f", file, "--keep-going", "-o", "summary"}, strings.NewReader(""), &stdout, io.Discard)
	n := map[string]int{}
	for _, m := range summaryRE.FindAllStringSubmatch(stdout.String(), -1) {
		n[m[1]], _ = strconv.Atoi(m[2])
	}
	entries := n["endpoints"] + n["external atoms"]
	return entries*entries*max(1, n["port atoms"]) > 1e5
}
