package auditreport_test

import (
	"math"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// cssVars reads the colour variables of the stylesheet's :root block.
func cssVars(t *testing.T) (string, map[string]string) {
	t.Helper()
	css, err := os.ReadFile("assets/style.css")
	if err != nil {
		t.Fatal(err)
	}
	root := regexp.MustCompile(`(?s):root\s*\{(.*?)\n\}`).FindSubmatch(css)
	if root == nil {
		t.Fatal("no :root block in style.css")
	}
	vars := map[string]string{}
	for _, m := range regexp.MustCompile(`--([a-z0-9-]+):\s*(#[0-9a-fA-F]{6})\b`).FindAllSubmatch(root[1], -1) {
		vars[string(m[1])] = string(m[2])
	}
	return string(css), vars
}

// luminance is the relative luminance of an sRGB colour "#rrggbb"
// (WCAG 2.x).
func luminance(hex string) float64 {
	v, _ := strconv.ParseUint(hex[1:], 16, 32)
	lin := func(c uint64) float64 {
		s := float64(c) / 255
		if s <= 0.04045 {
			return s / 12.92
		}
		return math.Pow((s+0.055)/1.055, 2.4)
	}
	return 0.2126*lin(v>>16&0xff) + 0.7152*lin(v>>8&0xff) + 0.0722*lin(v&0xff)
}

func contrast(a, b string) float64 {
	la, lb := luminance(a), luminance(b)
	return (max(la, lb) + 0.05) / (min(la, lb) + 0.05)
}

// TestContrast computes, from the stylesheet's colour variables, the
// contrast of every pair of text and background colours the page uses and
// holds it to WCAG AA for normal text (4.5:1): each "--x-ink" on "--x"
// (tags, matrix scale steps), and the pairs listed here.
func TestContrast(t *testing.T) {
	_, vars := cssVars(t)
	pairs := [][2]string{
		{"ink", "bg"}, {"ink", "card"}, {"ink", "th"}, {"muted", "bg"}, {"muted", "card"}, {"muted", "th"},
		{"accent", "card"}, {"accent", "bg"}, {"accent", "th"},
		{"on-color", "critical"}, {"on-color", "high"}, {"on-color", "medium"}, {"on-color", "low"}, {"on-color", "info"},
		{"good", "card"}, {"fair", "card"}, {"bad", "card"},
		{"header-ink", "header"}, {"header-muted", "header"}, {"on-color", "header"},
		{"tag-no-ink", "card"}, {"tag-ink", "card"},
	}
	for name := range vars {
		if bg, ok := strings.CutSuffix(name, "-ink"); ok {
			if _, ok := vars[bg]; ok {
				pairs = append(pairs, [2]string{name, bg})
			}
		}
	}
	if len(pairs) < 30 {
		t.Fatalf("only %d colour pairs found: has style.css's :root changed form?", len(pairs))
	}
	for _, p := range pairs {
		fg, bg := vars[p[0]], vars[p[1]]
		if fg == "" || bg == "" {
			t.Errorf("--%s or --%s is not a #rrggbb colour in :root", p[0], p[1])
			continue
		}
		if c := contrast(fg, bg); c < 4.5 {
			t.Errorf("--%s (%s) on --%s (%s): contrast %.2f:1, want at least 4.5:1", p[0], fg, p[1], bg, c)
		}
	}
	// The stylesheet's rules use the variables, not other colours, for
	// text: a colour literal in a color property would escape the check.
	css, _ := cssVars(t)
	screen, _, _ := strings.Cut(css, "@media print")
	for _, m := range regexp.MustCompile(`[^-]color:\s*(#[0-9a-fA-F]{3,6})`).FindAllStringSubmatch(screen, -1) {
		t.Errorf("a text colour literal %s in style.css: use a variable of :root", m[1])
	}
}

// TestFontSizes holds every font size of the page to at least 12 px: the
// stylesheet's and those the script and template write.
func TestFontSizes(t *testing.T) {
	css, _ := cssVars(t)
	var all strings.Builder
	all.WriteString(css)
	for _, f := range []string{"assets/script.js", "assets/report.html.tmpl"} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		all.Write(b)
	}
	sizes := regexp.MustCompile(`font(?:-size)?:[^;"]*?(\d+(?:\.\d+)?)px`).FindAllStringSubmatch(all.String(), -1)
	if len(sizes) < 10 {
		t.Fatalf("only %d font sizes found", len(sizes))
	}
	for _, m := range sizes {
		if px, _ := strconv.ParseFloat(m[1], 64); px < 12 {
			t.Errorf("font size %s: want at least 12px (%q)", m[1], m[0])
		}
	}
	if regexp.MustCompile(`font-size="\d`).MatchString(all.String()) {
		t.Error("an SVG font-size attribute: size text in the stylesheet")
	}
}
