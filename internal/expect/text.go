package expect

import "github.com/netreach/netreach/internal/enumtext"

// UnmarshalText reads what MarshalText writes.
func (s *Status) UnmarshalText(b []byte) error {
	return enumtext.Unmarshal(s, b, Pass, Fail, Error)
}

// UnmarshalText reads what MarshalText writes.
func (k *RuleKind) UnmarshalText(b []byte) error {
	return enumtext.Unmarshal(k, b, Allow, Deny, Isolate)
}

// UnmarshalText reads what MarshalText writes.
func (l *Level) UnmarshalText(b []byte) error {
	return enumtext.Unmarshal(l, b, LevelAuto, LevelEndpoint, LevelWorkload)
}
