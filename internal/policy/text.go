package policy

import "github.com/netreach/netreach/internal/enumtext"

// UnmarshalText reads what MarshalText writes: "ingress" or "egress".
func (d *Direction) UnmarshalText(b []byte) error {
	return enumtext.Unmarshal(d, b, Ingress, Egress)
}

// UnmarshalText reads what MarshalText writes: "auto", "k8s" or "calico".
func (m *Mode) UnmarshalText(b []byte) error {
	return enumtext.Unmarshal(m, b, ModeAuto, ModeK8s, ModeCalico)
}

// UnmarshalText reads what MarshalText writes.
func (a *MeshAction) UnmarshalText(b []byte) error {
	return enumtext.Unmarshal(a, b, MeshAllow, MeshDeny, MeshAudit, MeshCustom)
}

// UnmarshalText reads what MarshalText writes.
func (m *MTLSMode) UnmarshalText(b []byte) error {
	return enumtext.Unmarshal(m, b, MTLSUnset, MTLSDisable, MTLSPermissive, MTLSStrict)
}
