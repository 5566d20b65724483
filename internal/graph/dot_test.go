package graph_test

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"

	"github.com/netreach/netreach/internal/graph"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden files with the current output")

// golden compares got with testdata/name.golden, or rewrites the file
// when the test runs with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatalf("update golden file: %v", err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden file (run go test -update to create it): %v", err)
	}
	if d := cmp.Diff(string(want), string(got)); d != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", path, d)
	}
}

func TestWriteDOTGolden(t *testing.T) {
	t.Parallel()
	// Names deliberately out of order, with characters that need escaping.
	names := []string{"prod/web", "prod/db", `odd "quoted" \ name`, "dev/api", "kube-system/dns", "multi\nline"}
	g := m(len(names),
		e(0, 1), e(0, 0), e(3, 0), e(3, 1), e(3, 4), e(0, 4), e(1, 4),
		e(2, 2), e(2, 0), e(5, 3), e(4, 4),
	)
	label := func(i int) string {
		if i == 1 {
			return "" // no label attribute
		}
		return strings.ToUpper(names[i])
	}
	tests := []struct {
		name string
		opts graph.DOTOptions
	}{
		{"dot_default", graph.DOTOptions{}},
		{"dot_options", graph.DOTOptions{
			Name:      "reach \"matrix\"",
			Label:     label,
			Skip:      func(i int) bool { return i == 4 },
			SelfLoops: true,
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var buf bytes.Buffer
			require.NoError(t, graph.WriteDOT(&buf, g, names, tc.opts))
			golden(t, tc.name, buf.Bytes())

			// The output depends on names, not on node indices: permuting
			// the nodes gives the same bytes.
			perm := []int{5, 4, 3, 2, 1, 0}
			pg, pnames := graph.NewMatrix(g.Rows(), g.Rows()), make([]string, len(names))
			for i, j := range g.Pairs() {
				pg.Set(perm[i], perm[j])
			}
			for i, n := range names {
				pnames[perm[i]] = n
			}
			opts := tc.opts
			if opts.Label != nil {
				opts.Label = func(i int) string { return label(perm[i]) }
			}
			if opts.Skip != nil {
				opts.Skip = func(i int) bool { return perm[i] == 4 }
			}
			var pbuf bytes.Buffer
			require.NoError(t, graph.WriteDOT(&pbuf, pg, pnames, opts))
			require.Equal(t, buf.String(), pbuf.String(), "output depends on node order")
		})
	}
}

func TestWriteDOTErrors(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	require.ErrorContains(t, graph.WriteDOT(&buf, graph.NewMatrix(2, 3), []string{"a", "b"}, graph.DOTOptions{}), "not square")
	require.ErrorContains(t, graph.WriteDOT(&buf, m(2), []string{"a"}, graph.DOTOptions{}), "1 names for 2 nodes")
	require.Zero(t, buf.Len(), "nothing is written on a usage error")

	errFull := errors.New("disk full")
	err := graph.WriteDOT(failWriter{errFull}, m(2, e(0, 1)), []string{"a", "b"}, graph.DOTOptions{})
	require.ErrorIs(t, err, errFull)

	buf.Reset()
	require.NoError(t, graph.WriteDOT(&buf, m(0), nil, graph.DOTOptions{}))
	require.Equal(t, "digraph {\n}\n", buf.String())
}

type failWriter struct{ err error }

func (w failWriter) Write([]byte) (int, error) { return 0, w.err }
