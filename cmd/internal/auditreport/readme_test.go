package auditreport_test

import (
	"bytes"
	"encoding/base64"
	"flag"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/netreach/netreach/internal/chromium"
)

// The README's "Audit report" section shows the first screen of the HTML
// report of the bundled tenant example, docs/audit-report.png. To take it
// again (headless Chromium, see package internal/chromium):
//
//	go test ./cmd/internal/auditreport -run TestREADMEScreenshot -readme-screenshot docs/audit-report.png
var readmeScreenshot = flag.String("readme-screenshot", "", "take the README's screenshot of the tenant example's HTML report and write it to this path (relative to the repository's root)")

const (
	readmeShot               = "docs/audit-report.png"
	readmeShotW, readmeShotH = 1280, 800
	readmeShotMaxBytes       = 200 << 10
)

// TestREADMEScreenshot checks the README's screenshot: a PNG of the first
// screen (1280 × 800) under 200 KB; with -readme-screenshot it takes it
// first, from `netreach audit -f testdata/scenarios/tenant-isolation -o
// html`.
func TestREADMEScreenshot(t *testing.T) {
	if *readmeScreenshot != "" {
		takeREADMEScreenshot(t, *readmeScreenshot)
	}
	img, err := os.ReadFile(filepath.Join(repoRoot, readmeShot))
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := png.DecodeConfig(bytes.NewReader(img))
	if err != nil {
		t.Fatalf("%s: %v", readmeShot, err)
	}
	if cfg.Width != readmeShotW || cfg.Height != readmeShotH {
		t.Errorf("%s is %d×%d, want the first screen, %d×%d", readmeShot, cfg.Width, cfg.Height, readmeShotW, readmeShotH)
	}
	if len(img) > readmeShotMaxBytes {
		t.Errorf("%s has %d bytes, want at most %d", readmeShot, len(img), readmeShotMaxBytes)
	}
}

func takeREADMEScreenshot(t *testing.T, path string) {
	chrome := chromium.Path(t)
	dir := t.TempDir()
	page, _ := renderAudit(t, dir, "-f", "testdata/scenarios/tenant-isolation")
	b := chromium.Start(t, chrome, dir)
	session := openReportAt(t, b, page, readmeShotW, readmeShotH)
	var shot struct {
		Data string `json:"data"`
	}
	b.Call(t, session, "Page.captureScreenshot", map[string]any{"format": "png"}, &shot)
	img, err := base64.StdEncoding.DecodeString(shot.Data)
	if err != nil {
		t.Fatal(err)
	}
	if p := b.Problems(); len(p) > 0 {
		t.Fatalf("the page had problems: %v", p)
	}
	if err := os.WriteFile(path, img, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %s (%d bytes)", path, len(img))
}

// TestREADMEMarkdown checks that the README shows the tenant example's
// Markdown summary as `netreach audit -o md` writes it today: its top
// risks and severity counts.
func TestREADMEMarkdown(t *testing.T) {
	code, out, errs := audit(t, "-f", "testdata/scenarios/tenant-isolation", "-o", "md")
	if code != 0 {
		t.Fatalf("netreach audit: exit %d\n%s", code, errs)
	}
	md := string(out)
	start := strings.Index(md, "## Top risks\n")
	end := strings.Index(md, "| ---: | ---: | ---: | ---: | ---: |\n")
	if start < 0 || end < start {
		t.Fatalf("the summary has no top risks or severity table:\n%s", md)
	}
	end = strings.IndexByte(md[end+len("| ---: | ---: | ---: | ---: | ---: |\n"):], '\n') + end + len("| ---: | ---: | ---: | ---: | ---: |\n")
	block := md[start:end]
	readme, err := os.ReadFile(filepath.Join(repoRoot, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(readme), "```\n"+block+"\n```") {
		t.Errorf("README.md's \"Audit report\" section does not show the tenant example's summary as it is now; it should read:\n%s", block)
	}
}
