package main

import (
	"bytes"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/netreach/netreach/cmd/internal/cli"
)

// TestNoPanicOverTestdata runs the CLI over every file of testdata, good
// and bad: the exit code must be 0 or 2 (a panic would crash the test).
func TestNoPanicOverTestdata(t *testing.T) {
	files := testdataFiles(t)
	for _, f := range files {
		for _, args := range [][]string{
			{"matrix", "-q", "-f", f, "-o", "csv", "--port", "80/TCP"},
			{"matrix", "-q", "-f", f, "--mode", "calico", "-o", "json"},
		} {
			code := cli.Run(args, strings.NewReader(""), io.Discard, io.Discard)
			if code != cli.ExitOK && code != cli.ExitBadData {
				t.Errorf("netreach %s: exit code %d, want 0 or 2", strings.Join(args, " "), code)
			}
		}
	}
}

// TestOutputDeterministic checks that the same input gives byte-identical
// output, run after run and whatever the order of the documents.
func TestOutputDeterministic(t *testing.T) {
	dirs := []string{"e2e/ipblock-except", "scenarios/tenant-isolation", "calico/network-sets", "anp/cnp-tiers", "calico/staged-views-promote"}
	for _, dir := range dirs {
		dir := filepath.Join("../../testdata", dir)
		want := run(t, "matrix", "-q", "-f", dir, "-o", "csv")
		if got := run(t, "matrix", "-q", "-f", dir, "-o", "csv"); got != want {
			t.Fatalf("%s: a second run gave different CSV", dir)
		}
		wantJSON := run(t, "matrix", "-q", "-f", dir, "-o", "json")
		docs := documents(t, dir)
		r := rand.New(rand.NewPCG(1, 2))
		for i := 0; i < 5; i++ {
			r.Shuffle(len(docs), func(a, b int) { docs[a], docs[b] = docs[b], docs[a] })
			f := filepath.Join(t.TempDir(), "shuffled.yaml")
			if err := os.WriteFile(f, []byte(strings.Join(docs, "\n---\n")), 0o644); err != nil {
				t.Fatal(err)
			}
			if got := run(t, "matrix", "-q", "-f", f, "-o", "csv"); got != want {
				t.Fatalf("%s: shuffling the documents changed the CSV", dir)
			}
			if got := run(t, "matrix", "-q", "-f", f, "-o", "json"); got != wantJSON {
				t.Fatalf("%s: shuffling the documents changed the JSON", dir)
			}
		}
	}
}

func run(t *testing.T, args ...string) string {
	t.Helper()
	var out, errb bytes.Buffer
	if code := cli.Run(args, strings.NewReader(""), &out, &errb); code != 0 {
		t.Fatalf("netreach %s: exit %d\n%s", strings.Join(args, " "), code, errb.String())
	}
	return out.String()
}

// documents returns the YAML documents of the manifests of a fixture.
func documents(t *testing.T, dir string) []string {
	t.Helper()
	var docs []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !strings.HasSuffix(p, ".yaml") {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		for _, doc := range strings.Split(string(data), "\n---") {
			if strings.TrimSpace(strings.TrimPrefix(doc, "---")) != "" {
				docs = append(docs, strings.TrimPrefix(doc, "---"))
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return docs
}

// testdataFiles returns the manifest-like files (.yaml, .yml, .json) under
// the repository's testdata, good and bad.
func testdataFiles(t *testing.T) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir("../../testdata", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		switch strings.ToLower(filepath.Ext(p)) {
		case ".yaml", ".yml", ".json":
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 200 {
		t.Fatalf("found only %d files under testdata", len(files))
	}
	return files
}
