package cli

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"runtime/debug"
	"syscall"
)

// ExitOutOfMemory is the exit code when netreach ran out of memory: the
// input is fine, the question was too big for the memory at hand.
const ExitOutOfMemory = 3

// supervisedEnv marks the child process that Main re-executes.
const supervisedEnv = "NETREACH_SUPERVISED"

// oomHint is what the one-line out-of-memory error suggests.
const oomHint = "narrow the question (--port 80/TCP, -n NAMESPACE, or a grouped view with --by where the command has it) or give netreach more memory"

// Main runs the command line of the process and returns its exit code.
//
// Go's out-of-memory failure is a fatal error that no recover can catch:
// the runtime prints a goroutine dump of hundreds of lines and exits with
// code 2, the code netreach uses for bad input. So Main runs the command in
// a child process (the same executable, re-executed) and watches it: a
// child that dies of running out of memory, or that the kernel kills
// (SIGKILL, what the out-of-memory killer sends), becomes one line on
// stderr and exit code [ExitOutOfMemory]. Everything else the child writes
// passes through unchanged; standard input and output are the child's own.
//
// The child sets Go's soft memory limit (runtime/debug.SetMemoryLimit)
// from the cgroup's memory.max or from ulimit -v, where one is present and
// GOMEMLIMIT is not set, so the garbage collector works harder before the
// hard limit is reached.
func Main() int {
	if os.Getenv(supervisedEnv) != "" {
		setSoftMemoryLimit()
		return Run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	}
	code, err := supervise(os.Args, os.Stderr)
	if err != nil {
		// The child could not be started (no executable path, no
		// processes left): run in this process, unsupervised.
		setSoftMemoryLimit()
		return Run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	}
	return code
}

// supervise runs args in a child process and returns its exit code,
// translated as Main describes. It returns an error only when the child
// could not be started.
func supervise(args []string, stderr io.Writer) (int, error) {
	exe, err := os.Executable()
	if err != nil {
		return 0, err
	}
	cmd := &exec.Cmd{
		Path:   exe,
		Args:   args, // args[0] as given: testscript and multi-call binaries dispatch on it
		Env:    append(os.Environ(), supervisedEnv+"=1"),
		Stdin:  os.Stdin,
		Stdout: os.Stdout,
	}
	pipe, err := cmd.StderrPipe()
	if err != nil {
		return 0, err
	}
	// Signals meant for netreach go to the child, which decides; the
	// parent waits for it.
	sigs := make(chan os.Signal, 8)
	signal.Notify(sigs, forwardedSignals...)
	defer signal.Stop(sigs)
	if err := cmd.Start(); err != nil {
		return 0, err
	}
	done := make(chan struct{})
	defer close(done)
	go func() {
		for {
			select {
			case s := <-sigs:
				_ = cmd.Process.Signal(s)
			case <-done:
				return
			}
		}
	}()
	held := &heldLines{}
	oom := copyStderr(stderr, pipe, held)
	err = cmd.Wait()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		fmt.Fprintln(stderr, "netreach:", err)
		return ExitBadData, nil
	}
	// The runtime's fatal errors exit with code 2 after a stack dump. A
	// line that only looks like one (a file named so, in a diagnostic) is
	// given back.
	if oom && (exit == nil || exit.ExitCode() != 2 || !hasStackDump(held.buf)) {
		oom = false
		_, _ = stderr.Write(held.buf)
	}
	switch {
	case oom:
		fmt.Fprintf(stderr, "netreach: out of memory%s: %s\n", limitNote(), oomHint)
		return ExitOutOfMemory, nil
	case exit == nil:
		return ExitOK, nil
	}
	if ws, ok := exit.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		if ws.Signal() == syscall.SIGKILL {
			fmt.Fprintf(stderr, "netreach: killed (SIGKILL), most likely by the kernel for lack of memory%s: %s\n", limitNote(), oomHint)
			return ExitOutOfMemory, nil
		}
		// As a shell reports it: 128 + the signal number.
		return 128 + int(ws.Signal()), nil
	}
	return exit.ExitCode(), nil
}

// heldLines keeps the first 256 KiB of what copyStderr held back.
type heldLines struct{ buf []byte }

func (h *heldLines) Write(p []byte) (int, error) {
	if room := 256<<10 - len(h.buf); room > 0 {
		h.buf = append(h.buf, p[:min(len(p), room)]...)
	}
	return len(p), nil
}

// copyStderr copies the child's stderr to w line by line until it ends,
// and reports whether the runtime said it ran out of memory: from its
// first out-of-memory line on, what follows (the goroutine dump) goes to
// held instead of w.
func copyStderr(w io.Writer, r io.Reader, held io.Writer) (oom bool) {
	br := bufio.NewReaderSize(r, 64<<10)
	for {
		line, err := br.ReadSlice('\n')
		if len(line) > 0 {
			if !oom && isOutOfMemory(line) {
				oom = true
			}
			if oom {
				_, _ = held.Write(line)
			} else {
				_, _ = w.Write(line)
			}
		}
		switch {
		case err == nil, errors.Is(err, bufio.ErrBufferFull):
			continue
		default:
			return oom
		}
	}
}

// hasStackDump reports whether text holds the start of a Go runtime dump.
func hasStackDump(text []byte) bool {
	return bytes.Contains(text, []byte("\ngoroutine ")) || bytes.Contains(text, []byte("\nruntime stack:"))
}

// isOutOfMemory reports whether a line of stderr is the Go runtime saying
// that memory ran out: "runtime: out of memory: cannot allocate …",
// "fatal error: out of memory", "fatal error: runtime: out of memory", or a
// thread that could not be created for lack of memory (errno=12, ENOMEM).
func isOutOfMemory(line []byte) bool {
	switch {
	case bytes.HasPrefix(line, []byte("runtime: out of memory")),
		bytes.HasPrefix(line, []byte("fatal error:")) && bytes.Contains(line, []byte("out of memory")),
		bytes.HasPrefix(line, []byte("runtime: failed to create new OS thread")) && bytes.Contains(line, []byte("errno=12")),
		bytes.HasPrefix(line, []byte("runtime: cannot allocate memory")):
		return true
	}
	return false
}

// setSoftMemoryLimit sets Go's soft memory limit below the hard limit
// found in the cgroup or ulimit -v, unless GOMEMLIMIT says otherwise.
func setSoftMemoryLimit() {
	if os.Getenv("GOMEMLIMIT") != "" {
		return
	}
	if soft := softLimit(memoryLimits()); soft > 0 {
		debug.SetMemoryLimit(soft)
	}
}

// memoryLimit is a hard limit on the process's memory and where it comes
// from.
type memoryLimit struct {
	bytes  int64
	source string // "cgroup memory.max", "ulimit -v"
	// virtual limits count address space, not memory in use.
	virtual bool
}

// softLimit is the Go memory limit to set for the tightest of limits: 90%
// of a cgroup limit, 75% of an address-space limit (the runtime reserves
// more address space than it uses); 0 when there is no limit.
func softLimit(ls []memoryLimit) int64 {
	var soft int64
	for _, l := range ls {
		s := l.bytes / 10 * 9
		if l.virtual {
			s = l.bytes / 4 * 3
		}
		if soft == 0 || s < soft {
			soft = s
		}
	}
	return soft
}

// limitNote names the tightest memory limit, for the error message.
func limitNote() string {
	ls := memoryLimits()
	if len(ls) == 0 {
		return ""
	}
	t := ls[0]
	for _, l := range ls[1:] {
		if l.bytes < t.bytes {
			t = l
		}
	}
	return fmt.Sprintf(" (limit %s, %s)", formatBytes(t.bytes), t.source)
}

func formatBytes(n int64) string {
	const unit = 1 << 10
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	v, suffix := float64(n), ""
	for _, s := range []string{"KiB", "MiB", "GiB", "TiB"} {
		v /= unit
		suffix = s
		if v < unit {
			break
		}
	}
	return fmt.Sprintf("%.1f %s", v, suffix)
}
