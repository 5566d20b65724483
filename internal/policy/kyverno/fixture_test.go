package kyverno

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// TestFixtureRendered checks, for every fixture under testdata/kyverno,
// that the simulation stores exactly the objects rendered.txt lists
// (derived by hand from the fixture's policies). The matrices of the
// same fixtures are checked by the reachability package's fixture test.
func TestFixtureRendered(t *testing.T) {
	t.Parallel()
	dirs, err := filepath.Glob("../../../testdata/kyverno/*/rendered.txt")
	if err != nil {
		t.Fatal(err)
	}
	if len(dirs) == 0 {
		t.Fatal("no fixtures with rendered.txt under testdata/kyverno")
	}
	for _, r := range dirs {
		dir := filepath.Dir(r)
		t.Run(filepath.Base(dir), func(t *testing.T) {
			t.Parallel()
			files, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
			if err != nil {
				t.Fatal(err)
			}
			sort.Strings(files)
			var docs []string
			for _, f := range files {
				b, err := os.ReadFile(f)
				if err != nil {
					t.Fatal(err)
				}
				docs = append(docs, string(b))
			}
			want, err := os.ReadFile(r)
			if err != nil {
				t.Fatal(err)
			}
			res := Simulate(input(t, strings.Join(docs, "\n---\n")), Options{})
			checkRendered(t, res, string(want))
		})
	}
}
