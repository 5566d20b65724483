package viewreport

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
)

// Limits above which an output is refused unless forced.
const (
	MaxRows  = 10_000_000
	MaxBytes = 1 << 30
)

// TooLargeError reports an output above the limits: its size (exact when
// Exact, else an estimate) and what the user can do.
type TooLargeError struct {
	Rows, Bytes int64
	// Exact is false when Rows and Bytes are estimates, or counts that
	// stopped at the limit.
	Exact bool
	// AtLeast is true when the count stopped once past the limit.
	AtLeast bool
	// Hint names the ways out for this output.
	Hint string
}

func (e *TooLargeError) Error() string {
	size := fmt.Sprintf("%s rows (%s)", count(e.Rows), byteSize(e.Bytes))
	switch {
	case e.AtLeast:
		size = "more than " + size
	case !e.Exact:
		size = "about " + size
	}
	return fmt.Sprintf("the output would be %s, above the limit of %s rows or %s; %s", size, count(MaxRows), byteSize(MaxBytes), e.Hint)
}

// count writes n with thousands separators.
func count(n int64) string {
	s := fmt.Sprint(n)
	if n < 0 {
		return s
	}
	var b []byte
	for i := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b = append(b, ',')
		}
		b = append(b, s[i])
	}
	return string(b)
}

// byteSize writes a size in bytes for people.
func byteSize(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for x := n / unit; x >= unit; x /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %cB", float64(n)/float64(div), "KMGTPE"[exp])
}

// CheckEstimate returns a TooLargeError when an estimated output is above
// the limits.
func CheckEstimate(rows, bytes int64, exact bool, hint string) error {
	if rows > MaxRows || bytes > MaxBytes {
		return &TooLargeError{Rows: rows, Bytes: bytes, Exact: exact, Hint: hint}
	}
	return nil
}

// errSpoolFull stops a writer once the spool is past its limits.
var errSpoolFull = errors.New("viewreport: output above the limits")

// Spool holds an output until it is complete, so that its exact size is
// known before any of it reaches the user: in memory up to a threshold,
// then in a temporary file, so memory stays bounded. It counts rows as
// newlines. Writes fail once the output is past MaxRows or MaxBytes; then
// [Spool.Err] returns the TooLargeError to report. The zero Spool is not
// valid: use [NewSpool].
type Spool struct {
	hint        string
	rows, bytes int64
	mem         bytes.Buffer
	file        *os.File
	full        bool
	memLimit    int
}

// NewSpool returns an empty spool; hint names the ways out of a refusal.
func NewSpool(hint string) *Spool { return &Spool{hint: hint, memLimit: 32 << 20} }

// Write implements io.Writer.
func (s *Spool) Write(p []byte) (int, error) {
	if s.full {
		return 0, errSpoolFull
	}
	s.rows += int64(bytes.Count(p, []byte{'\n'}))
	s.bytes += int64(len(p))
	if s.rows > MaxRows || s.bytes > MaxBytes {
		s.full = true
		return 0, errSpoolFull
	}
	if s.file == nil && s.mem.Len()+len(p) > s.memLimit {
		f, err := os.CreateTemp("", "netreach-output-*")
		if err != nil {
			return 0, fmt.Errorf("spooling the output: %w", err)
		}
		os.Remove(f.Name()) // unlinked: it goes away with the process
		s.file = f
		if _, err := f.Write(s.mem.Bytes()); err != nil {
			return 0, fmt.Errorf("spooling the output: %w", err)
		}
		s.mem = bytes.Buffer{}
	}
	if s.file != nil {
		if _, err := s.file.Write(p); err != nil {
			return 0, fmt.Errorf("spooling the output: %w", err)
		}
		return len(p), nil
	}
	return s.mem.Write(p)
}

// Err returns the TooLargeError when the output went past the limits, or
// err itself otherwise (the error a writer returned). A writer that
// failed on the spool's refusal returns an error wrapping errSpoolFull.
func (s *Spool) Err(err error) error {
	if s.full || errors.Is(err, errSpoolFull) {
		return &TooLargeError{Rows: s.rows, Bytes: s.bytes, AtLeast: true, Hint: s.hint}
	}
	return err
}

// Rows returns the rows written so far.
func (s *Spool) Rows() int64 { return s.rows }

// CopyTo writes the spooled output to w and releases it.
func (s *Spool) CopyTo(w io.Writer) error {
	if s.file == nil {
		_, err := w.Write(s.mem.Bytes())
		s.mem = bytes.Buffer{}
		return err
	}
	defer s.Close()
	if _, err := s.file.Seek(0, io.SeekStart); err != nil {
		return err
	}
	_, err := io.Copy(w, s.file)
	return err
}

// Close releases the spool.
func (s *Spool) Close() error {
	s.mem = bytes.Buffer{}
	if s.file != nil {
		err := s.file.Close()
		s.file = nil
		return err
	}
	return nil
}
