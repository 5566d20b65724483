// Package enumtext reads back the names that the String methods of the
// module's enumerations write, for their UnmarshalText methods, so that
// a JSON document netreach wrote (a trace, a report) decodes into the
// same values.
package enumtext

import (
	"fmt"
	"strings"
)

// Unmarshal sets *dst to the one of values whose String is text, or
// returns an error naming the values expected.
func Unmarshal[T fmt.Stringer](dst *T, text []byte, values ...T) error {
	names := make([]string, len(values))
	for i, v := range values {
		names[i] = v.String()
		if names[i] == string(text) {
			*dst = v
			return nil
		}
	}
	return fmt.Errorf("invalid %T %q: expected one of %s", *dst, text, strings.Join(names, ", "))
}
