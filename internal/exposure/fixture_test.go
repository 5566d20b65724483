package exposure_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/netreach/netreach/internal/exposure"
	"github.com/netreach/netreach/internal/policy"
)

// TestFixtures runs the exposure report on every directory of
// testdata/exposure and compares it, line by line, with the hand-derived
// exposure.txt beside the manifests (comments, starting with #, give the
// rules each line rests on). A line reads
// "endpoints <= peers : connections" (ingress) or "=>" (egress).
func TestFixtures(t *testing.T) {
	t.Parallel()
	dirs, err := filepath.Glob("../../testdata/exposure/*/exposure.txt")
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no fixtures: %v", err)
	}
	for _, f := range dirs {
		dir := filepath.Dir(f)
		t.Run(filepath.Base(dir), func(t *testing.T) {
			t.Parallel()
			want := readLines(t, f)
			snap, err := policy.Load(policy.LoadOptions{}, dir)
			if err != nil {
				t.Fatalf("load: %v", err)
			}
			an, err := exposure.Analyze(context.Background(), snap, exposure.Options{})
			if err != nil {
				t.Fatalf("Analyze: %v", err)
			}
			rep, err := an.Report(context.Background(), exposure.ReportOptions{})
			if err != nil {
				t.Fatalf("Report: %v", err)
			}
			var got []string
			for _, e := range rep.Entries {
				arrow := "<="
				if e.Direction == policy.Egress {
					arrow = "=>"
				}
				got = append(got, strings.Join(e.Endpoints, ",")+" "+arrow+" "+e.Peer()+" : "+e.ConnectionsText())
			}
			if d := cmp.Diff(want, got); d != "" {
				t.Errorf("exposure of %s (-want +got):\n%s", dir, d)
			}
		})
	}
}

func readLines(t *testing.T, path string) []string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, ln := range strings.Split(string(data), "\n") {
		if ln = strings.TrimSpace(ln); ln != "" && !strings.HasPrefix(ln, "#") {
			out = append(out, ln)
		}
	}
	return out
}
