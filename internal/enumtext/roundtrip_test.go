package enumtext_test

import (
	"encoding"
	"fmt"
	"strings"
	"testing"

	"github.com/netreach/netreach/internal/expect"
	"github.com/netreach/netreach/internal/exposure"
	"github.com/netreach/netreach/internal/mesh"
	"github.com/netreach/netreach/internal/policy"
	"github.com/netreach/netreach/internal/reachability"
)

// enum is a pointer to an enumeration value that marshals and
// unmarshals as text.
type enum interface {
	encoding.TextUnmarshaler
}

// roundTrip checks every uint8 value of an enumeration whose MarshalText
// gives a name (not the "Type(n)" fallback): UnmarshalText reads the
// first value of that name back.
func roundTrip[T interface {
	~uint8
	encoding.TextMarshaler
}, P interface {
	*T
	enum
}](t *testing.T) int {
	t.Helper()
	seen := map[string]bool{}
	named := 0
	for i := 0; i < 256; i++ {
		v := T(i)
		text, err := v.MarshalText()
		if err != nil {
			t.Fatal(err)
		}
		s := string(text)
		if s == "" || strings.Contains(s, "(") || strings.HasPrefix(s, "unknown ") || seen[s] {
			continue
		}
		seen[s] = true
		named++
		var back T
		if err := P(&back).UnmarshalText(text); err != nil || back != v {
			t.Errorf("%T: UnmarshalText(%q) = %v, %v; want %d", v, s, back, err, i)
		}
	}
	var back T
	if err := P(&back).UnmarshalText([]byte("no-such-value")); err == nil {
		t.Errorf("%T: UnmarshalText(no-such-value) = no error", back)
	}
	return named
}

// TestEnumRoundTrips covers every enumeration of the public packages
// that marshals as text.
func TestEnumRoundTrips(t *testing.T) {
	counts := []int{
		roundTrip[reachability.Verdict](t),
		roundTrip[reachability.Layer](t),
		roundTrip[reachability.Decision](t),
		roundTrip[policy.Direction](t),
		roundTrip[policy.Mode](t),
		roundTrip[policy.MeshAction](t),
		roundTrip[policy.MTLSMode](t),
		roundTrip[mesh.Dataplane](t),
		roundTrip[mesh.Verdict](t),
		roundTrip[mesh.Stage](t),
		roundTrip[expect.Status](t),
		roundTrip[expect.RuleKind](t),
		roundTrip[expect.Level](t),
		roundTrip[exposure.Operator](t),
	}
	if got := fmt.Sprint(counts); got != "[3 3 11 2 3 4 4 3 3 3 3 3 3 10]" {
		t.Errorf("named values per enumeration = %s", got)
	}
}
