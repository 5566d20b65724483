package embed

import (
	"context"
	"encoding/json"
	"os"
	"testing"
	"time"

	"github.com/netreach/netreach/audit"
)

// TestAudit: an audit with the public API: findings with risk levels,
// waivers, and a baseline kept as JSON between runs.
func TestAudit(t *testing.T) {
	ctx := context.Background()
	m := matrixOf(t, "../../testdata/audit/open")
	r, err := audit.Run(ctx, m, audit.Options{Shared: []string{"kube-system"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Findings) == 0 || !r.HasRisk(audit.High) {
		t.Fatalf("a cluster without policies: %d findings, high %v", len(r.Findings), r.HasRisk(audit.High))
	}
	ids := map[string]bool{}
	for _, k := range audit.Kinds() {
		ids[k.ID] = true
	}
	for _, f := range r.Findings {
		if !ids[f.ID] || f.Fingerprint == "" || f.Remedy == "" {
			t.Errorf("finding %v: unknown ID, or no fingerprint or remedy", f)
		}
	}

	data, err := os.ReadFile("../../testdata/audit/waivers/waivers.yaml")
	if err != nil {
		t.Fatal(err)
	}
	ws, _, err := audit.ParseWaivers("waivers.yaml", data)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	waived, err := audit.Run(ctx, m, audit.Options{Waivers: ws, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	if len(waived.Waived) == 0 || waived.Waived[0].Waiver == nil {
		t.Errorf("Waived = %v; want the findings the waivers cover", waived.Waived)
	}

	// The findings saved as JSON are the baseline of the next run.
	saved, err := json.Marshal(r.Findings)
	if err != nil {
		t.Fatal(err)
	}
	var baseline []audit.Finding
	if err := json.Unmarshal(saved, &baseline); err != nil {
		t.Fatal(err)
	}
	again, err := audit.Run(ctx, m, audit.Options{Shared: []string{"kube-system"}, Baseline: baseline})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range again.Findings {
		if f.Status != audit.StatusUnchanged {
			t.Errorf("%v: status %q against its own baseline", f, f.Status)
		}
	}
	if len(again.Fixed) != 0 {
		t.Errorf("Fixed = %v; want none", again.Fixed)
	}
}
