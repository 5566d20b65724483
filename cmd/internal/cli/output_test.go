package cli

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

// fullWriter fails every write, as a full disk does.
type fullWriter struct{ writes int }

func (w *fullWriter) Write(p []byte) (int, error) {
	w.writes++
	return 0, errors.New("no space left on device")
}

// TestLostOutputFails runs every command in every output format (read
// from the CLI's own -o flags) with standard output on a device that
// refuses every write: each must exit with ExitOutput and say so, never
// report success.
func TestLostOutputFails(t *testing.T) {
	t.Chdir("../../..")
	const tenant = "testdata/scenarios/tenant-isolation"
	args := map[string][]string{
		"explain": {"--from", "test01-web/app", "--to", "test02-db/app"},
		"diff":    {"--staged"},
		"check":   {"--expect", "testdata/check/tenant-isolation.yaml"},
	}
	root, _ := newRoot(strings.NewReader(""), &bytes.Buffer{}, &bytes.Buffer{})
	ran := 0
	for _, c := range root.Commands() {
		if c.Flags().Lookup("filename") == nil {
			continue
		}
		for _, format := range outputFormats(t, c.Flags().Lookup("output")) {
			a := append([]string{c.Name(), "-q", "-f", tenant, "-o", format}, args[c.Name()]...)
			var w fullWriter
			var stderr bytes.Buffer
			code := Run(a, strings.NewReader(""), &w, &stderr)
			ran++
			if code != ExitOutput || !strings.Contains(stderr.String(), "netreach: writing the output: no space left on device") {
				t.Errorf("netreach %s: exit %d, want %d with the write error\n%s", strings.Join(a, " "), code, ExitOutput, stderr.String())
			}
			if w.writes != 1 {
				t.Errorf("netreach %s: %d writes after the first failed, want none", strings.Join(a, " "), w.writes-1)
			}
		}
	}
	if ran < 15 {
		t.Fatalf("ran only %d command and format pairs", ran)
	}
}
