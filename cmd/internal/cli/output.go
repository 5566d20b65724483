package cli

import (
	"bufio"
	"io"
)

// ExitOutput is the exit code when the output could not be written (a full
// disk, a closed pipe, /dev/full): the answer is lost, so the command must
// not report success.
const ExitOutput = 4

// checkedWriter buffers a command's standard output and remembers the first
// write error, so that every command fails when its output is lost even
// where a writer ignores the result of one Fprintf: Run checks it after
// the command has finished. After an error every write fails at once,
// without touching the underlying writer again.
type checkedWriter struct {
	buf *bufio.Writer
	out *errRecorder
}

func newCheckedWriter(w io.Writer) *checkedWriter {
	r := &errRecorder{w: w}
	return &checkedWriter{buf: bufio.NewWriterSize(r, 64<<10), out: r}
}

func (c *checkedWriter) Write(p []byte) (int, error) {
	if c.out.err != nil {
		return 0, c.out.err
	}
	n, err := c.buf.Write(p)
	if err == nil {
		err = c.out.err
	}
	return n, err
}

// Flush writes the buffered output and returns the first error any write
// met.
func (c *checkedWriter) Flush() error {
	if c.out.err == nil {
		_ = c.buf.Flush() // an error is recorded in c.out
	}
	return c.out.err
}

// errRecorder passes writes through and keeps the first error (a short
// write counts as one).
type errRecorder struct {
	w   io.Writer
	err error
}

func (r *errRecorder) Write(p []byte) (int, error) {
	if r.err != nil {
		return 0, r.err
	}
	n, err := r.w.Write(p)
	if err == nil && n < len(p) {
		err = io.ErrShortWrite
	}
	r.err = err
	return n, err
}
