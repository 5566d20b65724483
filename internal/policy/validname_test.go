package policy

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/util/validation"
)

// TestValidationShortcuts compares the shortcuts of the name and label
// checks with the upstream checks on random strings made of the
// characters that matter, and on the edges of their lengths.
func TestValidationShortcuts(t *testing.T) {
	t.Parallel()
	checks := []struct {
		name     string
		shortcut func(string) []string
		upstream func(string) []string
	}{
		{"IsDNS1123Label", isDNS1123Label, validation.IsDNS1123Label},
		{"IsDNS1123Subdomain", isDNS1123Subdomain, validation.IsDNS1123Subdomain},
		{"IsQualifiedName", isQualifiedName, validation.IsQualifiedName},
		{"IsValidLabelValue", isValidLabelValue, validation.IsValidLabelValue},
	}
	const alphabet = "ab0Z-._/ é"
	r := rand.New(rand.NewPCG(1, 2))
	inputs := []string{"", "a", strings.Repeat("a", 63), strings.Repeat("a", 64), strings.Repeat("a.", 126) + "a", strings.Repeat("a.", 127) + "a",
		strings.Repeat("a", 253) + "/b", "a/" + strings.Repeat("b", 63), "a/" + strings.Repeat("b", 64), "/a", "a/", "a//b", "-a", "a-", ".a", "a..b"}
	for range 5000 {
		n := r.IntN(12)
		var b strings.Builder
		for range n {
			b.WriteRune([]rune(alphabet)[r.IntN(len([]rune(alphabet)))])
		}
		inputs = append(inputs, b.String())
	}
	for _, c := range checks {
		for _, s := range inputs {
			if d := cmp.Diff(c.upstream(s), c.shortcut(s)); d != "" {
				t.Fatalf("%s(%q): shortcut differs from upstream (-upstream +shortcut):\n%s", c.name, s, d)
			}
		}
	}
}
