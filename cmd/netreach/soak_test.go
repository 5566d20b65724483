package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

var (
	soakN    = flag.Int("soak.n", 24, "mutated inputs the soak test runs the CLI on (1000 for the full run)")
	soakAll  = flag.Bool("soak.all", false, "also run the soak test's commands on every testdata file, not a sample")
	soakSeed = flag.Uint64("soak.seed", 1, "seed of the soak test's mutations")
)

// Memory bound of one CLI run (peak RSS of the supervisor and its child):
// a fixed allowance for the runtime, the binary and the engine's working
// set on small inputs, plus a multiple of the input's size.
const (
	soakBaseBytes = 256 << 20
	soakPerByte   = 200
)

// TestSoak runs the CLI, as a separate process (so its peak memory can be
// measured), over testdata files and over mutations of them: truncations,
// byte flips, duplicated and reordered documents, and their combinations.
// A run must never panic or die of a fatal error, never use more memory
// than soakBaseBytes + soakPerByte × the input's size, and never exit 0
// with an error on stderr. The default run is a fixed sample;
// -soak.n=1000 -soak.all is the full run.
func TestSoak(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the CLI as separate processes")
	}
	exe, err := os.Executable()
	if err != nil {
		t.Skip("no executable path to run the CLI from:", err)
	}
	files := testdataFiles(t)
	r := rand.New(rand.NewPCG(*soakSeed, 17))
	sample := files
	if !*soakAll {
		sample = nil
		for range 8 {
			sample = append(sample, files[r.IntN(len(files))])
		}
	}
	dir := t.TempDir()
	runs, answered := 0, 0
	for i, f := range sample {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if soakRun(t, exe, r, f, int64(len(data)), i) {
			answered++
		}
		runs++
	}
	for i := range *soakN {
		src := files[r.IntN(len(files))]
		data, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		m, how := mutate(r, data)
		in := filepath.Join(dir, fmt.Sprintf("m%04d%s", i, filepath.Ext(src)))
		if err := os.WriteFile(in, m, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: %s of %s", in, how, src)
		if soakRun(t, exe, r, in, int64(len(m)), i) {
			answered++
		}
		runs++
	}
	t.Logf("%d runs, %d answered (exit 0 or 1 with output); largest peak memory %d MiB", runs, answered, soakPeak>>20)
	if answered == 0 {
		t.Error("no run answered: the CLI did not run")
	}
}

// soakCommands are the commands a soak run picks from, -f FILE added.
var soakCommands = [][]string{
	{"matrix", "-o", "csv"},
	{"matrix", "-o", "json", "--keep-going"},
	{"matrix", "--mode", "calico", "-o", "table"},
	{"audit", "-o", "json", "--keep-going"},
	{"explain", "--from", "10.0.0.1", "--to", "10.0.0.2", "--port", "80/TCP", "--keep-going"},
	{"diff", "--staged", "-o", "md", "--keep-going"},
}

// soakPeak is the largest peak memory of a soak run.
var soakPeak int64

// soakRun runs one command on file, checks the run, and reports whether it
// answered (exit 0 or 1 with something on stdout).
func soakRun(t *testing.T, exe string, r *rand.Rand, file string, size int64, i int) bool {
	t.Helper()
	args := append(append([]string(nil), soakCommands[(i+r.IntN(len(soakCommands)))%len(soakCommands)]...), "-f", file)
	cmd := &exec.Cmd{Path: exe, Args: append([]string{"netreach"}, args...), Stdin: strings.NewReader("")}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		code = ee.ExitCode()
	case err != nil:
		t.Fatalf("netreach %s: %v", strings.Join(args, " "), err)
	}
	name := "netreach " + strings.Join(args, " ")
	se := stderr.String()
	for _, bad := range []string{"panic:", "fatal error:", "goroutine ", "out of memory"} {
		if strings.Contains(se, bad) {
			t.Errorf("%s: exit %d, stderr holds %q:\n%s", name, code, bad, se)
		}
	}
	if code != 0 && code != 1 && code != 2 {
		t.Errorf("%s: exit %d, want 0, 1 or 2:\n%s", name, code, se)
	}
	if code == 0 && (strings.Contains(se, ": error: ") || strings.Contains(se, "netreach: ")) {
		t.Errorf("%s: exit 0 with an error on stderr:\n%s", name, se)
	}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		peak := int64(ru.Maxrss) << 10 // KiB on Linux
		soakPeak = max(soakPeak, peak)
		if bound := soakBaseBytes + soakPerByte*size; peak > bound {
			t.Errorf("%s: peak memory %d MiB for %d bytes of input, above the bound of %d MiB", name, peak>>20, size, bound>>20)
		}
	}
	return code <= 1 && stdout.Len() > 0
}

// mutate returns data changed in one to three ways, and says how.
func mutate(r *rand.Rand, data []byte) ([]byte, string) {
	var how []string
	for range 1 + r.IntN(3) {
		switch r.IntN(4) {
		case 0: // truncate
			if len(data) > 0 {
				data = data[:r.IntN(len(data))]
				how = append(how, "truncated")
			}
		case 1: // flip bytes
			if len(data) > 0 {
				data = append([]byte(nil), data...)
				for range 1 + r.IntN(4) {
					data[r.IntN(len(data))] ^= byte(1 + r.IntN(255))
				}
				how = append(how, "bytes flipped")
			}
		case 2: // duplicate a document
			docs := splitDocs(data)
			d := docs[r.IntN(len(docs))]
			docs = append(docs, d)
			data = []byte(strings.Join(docs, "\n---\n"))
			how = append(how, "document duplicated")
		case 3: // reorder documents
			docs := splitDocs(data)
			r.Shuffle(len(docs), func(a, b int) { docs[a], docs[b] = docs[b], docs[a] })
			data = []byte(strings.Join(docs, "\n---\n"))
			how = append(how, "documents reordered")
		}
	}
	return data, strings.Join(how, ", ")
}

func splitDocs(data []byte) []string {
	return strings.Split(string(data), "\n---")
}
