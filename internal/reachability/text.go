package reachability

import "github.com/netreach/netreach/internal/enumtext"

// UnmarshalText reads what MarshalText writes: "allow", "deny" or
// "conditional".
func (v *Verdict) UnmarshalText(b []byte) error {
	return enumtext.Unmarshal(v, b, Deny, Allow, Conditional)
}

// UnmarshalText reads what MarshalText writes.
func (l *Layer) UnmarshalText(b []byte) error {
	return enumtext.Unmarshal(l, b, LayerCombined, LayerNetwork, LayerMesh)
}

// UnmarshalText reads what MarshalText writes.
func (d *Decision) UnmarshalText(b []byte) error {
	return enumtext.Unmarshal(d, b, NotPoliced, ByRule, NotSelected, Isolated, EndOfTier, Profile, OwnNode, DefaultAllow, Failsafe, EndpointToHost, NoProfile)
}
