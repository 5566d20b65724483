package policy

import (
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite the expect.txt files of testdata/bad from the loader's output")

// badDir holds the bad-input cases; see its README.md.
const badDir = "../../testdata/bad"

// badCase is one directory of testdata/bad.
type badCase struct {
	name    string
	dir     string
	header  []string // comment and options lines of expect.txt, kept by -update
	opts    LoadOptions
	want    []string
	inputs  []string // input files, relative to dir, in the order they are loaded
	comment bool     // expect.txt has a comment saying what the case is about
}

// readBadCase reads the case in dir.
func readBadCase(t *testing.T, dir string) badCase {
	t.Helper()
	c := badCase{name: filepath.Base(dir), dir: dir}
	data, err := os.ReadFile(filepath.Join(dir, "expect.txt"))
	require.NoError(t, err)
	for i, ln := range strings.Split(strings.TrimSuffix(string(data), "\n"), "\n") {
		switch {
		case strings.HasPrefix(ln, "#"):
			c.header = append(c.header, ln)
			c.comment = true
		case strings.HasPrefix(ln, "options:"):
			c.header = append(c.header, ln)
			opts, err := parseBadOptions(strings.TrimPrefix(ln, "options:"))
			require.NoError(t, err, "%s/expect.txt:%d", dir, i+1)
			c.opts = opts
		case strings.TrimSpace(ln) == "":
		default:
			c.want = append(c.want, ln)
		}
	}
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || d.Name() == "expect.txt" {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		c.inputs = append(c.inputs, filepath.ToSlash(rel))
		return err
	})
	require.NoError(t, err)
	return c
}

// parseBadOptions reads "max-document-bytes=N max-documents=N strict".
func parseBadOptions(s string) (LoadOptions, error) {
	var o LoadOptions
	for _, f := range strings.Fields(s) {
		k, v, _ := strings.Cut(f, "=")
		var err error
		switch k {
		case "strict":
			o.Strict = true
		case "max-document-bytes":
			o.MaxDocumentBytes, err = strconv.Atoi(v)
		case "max-documents":
			o.MaxDocuments, err = strconv.Atoi(v)
		default:
			err = fmt.Errorf("unknown option %q", k)
		}
		if err != nil {
			return o, err
		}
	}
	return o, nil
}

// run loads the case's inputs, named by their paths relative to the case
// directory, and returns the sorted diagnostics as strings.
func (c badCase) run(t *testing.T) []string {
	t.Helper()
	l := NewLoader(c.opts)
	for _, in := range c.inputs {
		data, err := os.ReadFile(filepath.Join(c.dir, filepath.FromSlash(in)))
		require.NoError(t, err)
		l.AddBytes(in, data)
	}
	s, err := l.Snapshot()
	require.Equal(t, s.Diagnostics.HasErrors(), err != nil, "Snapshot error must be non-nil exactly when there are errors")
	var got []string
	for _, d := range s.Diagnostics {
		got = append(got, d.String())
	}
	return got
}

// TestBadInputs loads every case of testdata/bad and compares the full
// list of diagnostics with the case's expect.txt.
func TestBadInputs(t *testing.T) {
	dirs, err := os.ReadDir(badDir)
	require.NoError(t, err)
	n := 0
	for _, e := range dirs {
		if !e.IsDir() {
			continue
		}
		n++
		t.Run(e.Name(), func(t *testing.T) {
			c := readBadCase(t, filepath.Join(badDir, e.Name()))
			require.True(t, c.comment, "expect.txt must start with a # comment saying what the case checks")
			require.NotEmpty(t, c.inputs, "a case needs at least one input file")
			got := c.run(t)
			if *update {
				out := strings.Join(c.header, "\n") + "\n"
				for _, g := range got {
					out += g + "\n"
				}
				require.NoError(t, os.WriteFile(filepath.Join(c.dir, "expect.txt"), []byte(out), 0o644))
				return
			}
			if d := cmp.Diff(c.want, got); d != "" {
				t.Errorf("diagnostics of %s (-want +got):\n%s", c.dir, d)
			}
		})
	}
	require.GreaterOrEqual(t, n, 45, "testdata/bad should hold at least 45 cases")
}
