package live

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// Writer writes the objects of a read as manifests that netreach reads
// back with -f: into a directory, one file per resource named after it
// (pods.yaml, networkpolicies.networking.k8s.io.yaml), or into one
// multi-document stream. A file appears under its name only once it is
// complete (written under a hidden temporary name, then renamed), so an
// interrupted snapshot leaves no manifest cut in the middle. A Writer is
// not safe for concurrent use.
type Writer struct {
	dir    string    // directory mode
	stream io.Writer // stream mode

	file    *os.File // the file being written (directory mode)
	path    string   // its final name
	buf     *bufio.Writer
	written map[string]bool // resources whose file is done
	objects int
}

// NewDirWriter returns a Writer that writes one file per resource into
// dir, creating dir when needed. An existing dir must be empty: files of
// an earlier snapshot would be read back with this one.
func NewDirWriter(dir string) (*Writer, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	if len(entries) > 0 {
		return nil, fmt.Errorf("snapshot: %s is not empty (%s, ...): give a new or empty directory", dir, entries[0].Name())
	}
	return &Writer{dir: dir, written: map[string]bool{}}, nil
}

// NewStreamWriter returns a Writer that writes every object to w as one
// multi-document YAML stream.
func NewStreamWriter(w io.Writer) *Writer {
	return &Writer{stream: w, buf: bufio.NewWriterSize(w, 1<<20)}
}

// Write writes one object. In directory mode the objects of a resource
// must come together, as [Cluster.Read] gives them.
func (w *Writer) Write(o Object) error {
	if w.dir != "" {
		name := o.Resource.String() + ".yaml"
		if w.path != filepath.Join(w.dir, name) {
			if err := w.finish(); err != nil {
				return err
			}
			if w.written[name] {
				return fmt.Errorf("snapshot: objects of %s given apart", o.Resource)
			}
			w.written[name] = true
			if err := w.open(filepath.Join(w.dir, name)); err != nil {
				return err
			}
		}
	}
	w.objects++
	w.buf.WriteString("---\n")
	_, err := w.buf.Write(o.Manifest)
	return err
}

// Objects returns the number of objects written.
func (w *Writer) Objects() int { return w.objects }

// open starts the file of a resource under a temporary name.
func (w *Writer) open(path string) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	w.file, w.path = f, path
	w.buf = bufio.NewWriterSize(f, 1<<20)
	return nil
}

// finish completes the current file and gives it its name.
func (w *Writer) finish() error {
	if w.file == nil {
		return nil
	}
	f := w.file
	w.file = nil
	err := w.buf.Flush()
	if err == nil {
		err = f.Chmod(0o644)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), w.path)
	}
	if err != nil {
		os.Remove(f.Name())
	}
	return err
}

// Close completes what is written: the last file in directory mode, the
// buffered end of the stream otherwise.
func (w *Writer) Close() error {
	if w.dir != "" {
		return w.finish()
	}
	return w.buf.Flush()
}

// Abort removes the file being written (directory mode), for a read that
// failed: files already complete stay.
func (w *Writer) Abort() {
	if w.file != nil {
		w.file.Close()
		os.Remove(w.file.Name())
		w.file = nil
	}
}
