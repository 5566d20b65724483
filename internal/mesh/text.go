package mesh

import "github.com/netreach/netreach/internal/enumtext"

// UnmarshalText reads what MarshalText writes.
func (d *Dataplane) UnmarshalText(b []byte) error {
	return enumtext.Unmarshal(d, b, NoDataplane, Sidecar, Ambient)
}

// UnmarshalText reads what MarshalText writes.
func (v *Verdict) UnmarshalText(b []byte) error {
	return enumtext.Unmarshal(v, b, Deny, Allow, Conditional)
}

// UnmarshalText reads what MarshalText writes.
func (s *Stage) UnmarshalText(b []byte) error {
	return enumtext.Unmarshal(s, b, AtSidecar, AtZtunnel, AtWaypoint)
}
