package policy

import (
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"
)

// endless is an endless input repeating pattern. It fails the test when
// more than limit bytes are read from it, so that a loader that reads
// without bound ends the test instead of the machine.
type endless struct {
	t       *testing.T
	pattern []byte
	off     int
	read    int
	limit   int
}

func (e *endless) Read(p []byte) (int, error) {
	if e.read > e.limit {
		e.t.Errorf("read more than %d bytes of an endless input", e.limit)
		return 0, errors.New("test: read limit")
	}
	for i := range p {
		p[i] = e.pattern[e.off]
		e.off = (e.off + 1) % len(e.pattern)
	}
	e.read += len(p)
	return len(p), nil
}

// TestEndlessInput checks that an endless input ends with one clear error
// after reading a bounded amount: binary data at once, text once a
// document has gone past the size limit and no separator followed.
func TestEndlessInput(t *testing.T) {
	t.Parallel()
	const max = 1 << 20
	tests := []struct {
		name    string
		pattern string
		want    string
		bound   int // most bytes the loader may read
	}{
		{"zeros (/dev/zero)", "\x00", "zero:1: error: binary data (a NUL byte), not YAML or JSON text (UTF-16 text needs a byte order mark); the input is not read", 2 * readBufferBytes},
		{"one line repeated (yes)", "y\n", "zero:1:1: error: document 1: document is more than 1048576 bytes, the limit, and no document separator follows within another 1048576 bytes; it and the rest of the input are not read (raise the limit with --max-document-bytes)", 2*max + 2*readBufferBytes},
		{"no line break", "a", "zero:1:1: error: document 1: document is more than 1048576 bytes, the limit, and no document separator follows within another 1048576 bytes; it and the rest of the input are not read (raise the limit with --max-document-bytes)", 2*max + 2*readBufferBytes},
		{"an endless JSON list", "[", "zero:1:1: error: document 1: document is more than 1048576 bytes, the limit, and no document separator follows within another 1048576 bytes; it and the rest of the input are not read (raise the limit with --max-document-bytes)", 2*max + 2*readBufferBytes},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			in := &endless{t: t, pattern: []byte(tc.pattern), limit: tc.bound}
			l := NewLoader(LoadOptions{MaxDocumentBytes: max})
			l.AddReader("zero", in)
			s, err := l.Snapshot()
			require.Error(t, err)
			require.Equal(t, []string{tc.want}, diagLines(s.Diagnostics))
		})
	}
}

// TestCompressedInput checks that compressed input is named as such
// rather than reported as bad YAML.
func TestCompressedInput(t *testing.T) {
	t.Parallel()
	var gz bytes.Buffer
	w := gzip.NewWriter(&gz)
	_, _ = w.Write([]byte("apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n"))
	require.NoError(t, w.Close())
	tests := []struct {
		name, data, want string
	}{
		{"gzip", gz.String(), "in.yaml: error: compressed input (gzip): decompress it first (gunzip it, or pipe it: zcat FILE | netreach ... -f -); the input is not read"},
		{"zstd", "\x28\xb5\x2f\xfd\x00\x00", "in.yaml: error: compressed input (zstd): decompress it first (unzstd it, or pipe it: zstdcat FILE | netreach ... -f -); the input is not read"},
		{"zip", "PK\x03\x04\x14\x00", "in.yaml: error: compressed input (zip): decompress it first (unzip it and give the manifests (or their directory) with -f); the input is not read"},
	}
	for _, tc := range tests {
		s := loadFiles(t, LoadOptions{}, file{"in.yaml", tc.data})
		require.Equal(t, []string{tc.want}, diagLines(s.Diagnostics), tc.name)
	}
}

// TestChunkedReads checks that how the input arrives (one byte at a time,
// in halves of reads) changes nothing: every bad-input case gives the
// same diagnostics as when read whole. Line breaks (CR, CRLF) and UTF-16
// pairs cut between reads are the cases at risk.
func TestChunkedReads(t *testing.T) {
	t.Parallel()
	dirs, err := os.ReadDir(badDir)
	require.NoError(t, err)
	readers := map[string]func(io.Reader) io.Reader{
		"one byte": iotest.OneByteReader,
		"half":     iotest.HalfReader,
	}
	for _, e := range dirs {
		if !e.IsDir() {
			continue
		}
		c := readBadCase(t, filepath.Join(badDir, e.Name()))
		want := c.run(t)
		for rname, wrap := range readers {
			l := NewLoader(c.opts)
			for _, in := range c.inputs {
				data, err := os.ReadFile(filepath.Join(c.dir, filepath.FromSlash(in)))
				require.NoError(t, err)
				l.AddReader(in, wrap(bytes.NewReader(data)))
			}
			s, _ := l.Snapshot()
			if d := cmp.Diff(want, diagLines(s.Diagnostics)); d != "" {
				t.Errorf("%s read %s (-whole +chunked):\n%s", e.Name(), rname, d)
			}
		}
	}
}

// TestLineBreaksAcrossReads checks CR handling when a CR ends one read.
func TestLineBreaksAcrossReads(t *testing.T) {
	t.Parallel()
	for _, in := range []string{"a\rb\r\nc\r", "\r\r\n\r", "x\r\n", "\r"} {
		want := strings.ReplaceAll(strings.ReplaceAll(in, "\r\n", "\x00"), "\r", "\n")
		want = strings.ReplaceAll(want, "\x00", "\r\n")
		got, err := io.ReadAll(&crReader{r: iotest.OneByteReader(strings.NewReader(in))})
		require.NoError(t, err)
		require.Equal(t, want, string(got), "crReader(%q)", in)
	}
}

// TestDirectoryWalk checks what a directory given to AddPath yields:
// symbolic links to directories are followed, a link loop is read once
// with a warning, and a named pipe is skipped with a warning instead of
// blocking the walk.
func TestDirectoryWalk(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	ns := func(name string) []byte {
		return []byte("apiVersion: v1\nkind: Namespace\nmetadata: {name: " + name + "}\n")
	}
	other := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(other, "b.yaml"), ns("b"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(root, "a.yaml"), ns("a"), 0o644))
	require.NoError(t, os.Symlink(other, filepath.Join(root, "linked")))
	require.NoError(t, os.Mkdir(filepath.Join(root, "sub"), 0o755))
	require.NoError(t, os.Symlink(root, filepath.Join(root, "sub", "loop")))
	fifo := filepath.Join(root, "z.yaml")
	if err := mkfifo(fifo); err != nil {
		t.Logf("no named pipe (%v): that part is not checked", err)
		fifo = ""
	}
	l := NewLoader(LoadOptions{})
	l.AddPath(root)
	s, err := l.Snapshot()
	require.NoError(t, err)
	var names []string
	for _, n := range s.Namespaces {
		names = append(names, n.Name)
	}
	require.Equal(t, []string{"a", "b"}, names)
	want := []string{
		filepath.Join(root, "sub", "loop") + ": warning: skipped: this directory was already read as " + root + " (a symbolic link leads back to it)",
	}
	if fifo != "" {
		want = append(want, fifo+": warning: skipped: not a regular file (a named pipe); reading it could block or never end, give it with -f on its own to read it")
	}
	require.Equal(t, want, diagLines(s.Diagnostics))
}
