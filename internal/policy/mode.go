package policy

import "fmt"

// Mode decides how the policy APIs combine, because a real cluster runs
// one enforcement engine [docs/semantics.md §5.1].
type Mode uint8

// Modes.
const (
	// ModeAuto picks ModeCalico when any projectcalico.org/v3 object is
	// present and ModeK8s otherwise.
	ModeAuto Mode = iota
	// ModeK8s is the CNI-agnostic reference: Admin (ANP, CNP Admin) →
	// NetworkPolicy → Baseline (BANP, CNP Baseline) → allow. Calico
	// objects are ignored with a warning.
	ModeK8s
	// ModeCalico flattens every API into Calico tiers.
	ModeCalico
)

// String returns "auto", "k8s" or "calico".
func (m Mode) String() string {
	switch m {
	case ModeAuto:
		return "auto"
	case ModeK8s:
		return "k8s"
	case ModeCalico:
		return "calico"
	}
	return fmt.Sprintf("Mode(%d)", uint8(m))
}

// MarshalText returns the mode's name.
func (m Mode) MarshalText() ([]byte, error) { return []byte(m.String()), nil }

// ParseMode parses "auto", "k8s" or "calico".
func ParseMode(s string) (Mode, error) {
	switch s {
	case "auto", "":
		return ModeAuto, nil
	case "k8s", "kubernetes":
		return ModeK8s, nil
	case "calico":
		return ModeCalico, nil
	}
	return 0, fmt.Errorf("invalid mode %q: expected auto, k8s or calico", s)
}

// Resolve turns ModeAuto into the concrete mode for the snapshot.
func (m Mode) Resolve(s *Snapshot) Mode {
	if m != ModeAuto {
		return m
	}
	if s.Calico.Present() {
		return ModeCalico
	}
	return ModeK8s
}
