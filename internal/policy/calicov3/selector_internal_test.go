package calicov3

import (
	"errors"
	"strconv"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/netreach/netreach/internal/selector"
)

// TestSelectorParseErrors checks that a selector the parser rejects is
// reported at its path with the parser's message, and that the global()
// checks do not add a second error for it. It swaps parseSelector for a
// stub, so it must not run in parallel with other tests.
func TestSelectorParseErrors(t *testing.T) {
	saved := parseSelector
	t.Cleanup(func() { parseSelector = saved })
	parseSelector = func(s string) (selector.Selector, error) {
		if s == `app == "web` || s == `global(` {
			return selector.Selector{}, errors.New("selector: parse " + strconv.Quote(s) + ": unterminated")
		}
		return selector.All(), nil
	}

	np := &NetworkPolicy{Spec: NetworkPolicySpec{
		Selector: `app == "web`,
		Ingress: []Rule{{
			Action: Allow,
			Source: EntityRule{
				Selector:          "has(app)",
				NamespaceSelector: `global(`,
				ServiceAccounts:   &ServiceAccountMatch{Selector: `app == "web`},
			},
		}},
	}}
	want := []FieldError{
		{Path: "spec.selector", Msg: `selector: parse "app == \"web": unterminated`},
		{Path: "spec.ingress[0].source.namespaceSelector", Msg: `selector: parse "global(": unterminated`},
		{Path: "spec.ingress[0].source.serviceAccounts.selector", Msg: `selector: parse "app == \"web": unterminated`},
	}
	if d := cmp.Diff(want, np.Validate()); d != "" {
		t.Errorf("Validate() (-want +got):\n%s", d)
	}
}
