package sarifloc_test

import (
	"testing"

	"github.com/netreach/netreach/cmd/internal/sarifloc"
)

func TestRuleName(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want string }{
		{"cross-tenant-flow", "CrossTenantFlow"},
		{"tenants-are-isolated", "TenantsAreIsolated"},
		{"dns", "Dns"},
		{"", ""},
		{"a--b-", "AB"},
	} {
		if got := sarifloc.RuleName(tc.in); got != tc.want {
			t.Errorf("RuleName(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
