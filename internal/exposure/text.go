package exposure

import "github.com/netreach/netreach/internal/enumtext"

// UnmarshalText reads what MarshalText writes.
func (o *Operator) UnmarshalText(b []byte) error {
	return enumtext.Unmarshal(o, b, Exists, DoesNotExist, In, NotIn, Contains, NotContains, StartsWith, NotStartsWith, EndsWith, NotEndsWith)
}
