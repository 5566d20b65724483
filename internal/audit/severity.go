package audit

import "fmt"

// Severity ranks a [Finding]. The zero value is [Info].
type Severity uint8

// Severities, least serious first.
const (
	// Info is context a reviewer should know but need not act on.
	Info Severity = iota
	// Low is a weakness worth fixing when convenient.
	Low
	// Medium is exposure or a policy mistake that should be fixed.
	Medium
	// High is a likely misconfiguration or broad exposure.
	High
	// Critical breaks an isolation boundary (between tenants).
	Critical
)

// Severities returns every severity, most serious first.
func Severities() []Severity { return []Severity{Critical, High, Medium, Low, Info} }

var severityNames = [...]string{"info", "low", "medium", "high", "critical"}

// String returns "info", "low", "medium", "high" or "critical".
func (s Severity) String() string {
	if int(s) < len(severityNames) {
		return severityNames[s]
	}
	return fmt.Sprintf("Severity(%d)", uint8(s))
}

// MarshalText returns the severity's name.
func (s Severity) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText parses a severity name; see [ParseSeverity].
func (s *Severity) UnmarshalText(b []byte) error {
	v, err := ParseSeverity(string(b))
	if err != nil {
		return err
	}
	*s = v
	return nil
}

// ParseSeverity parses "info", "low", "medium", "high" or "critical".
func ParseSeverity(s string) (Severity, error) {
	for i, n := range severityNames {
		if n == s {
			return Severity(i), nil
		}
	}
	return 0, fmt.Errorf("ParseSeverity(%q): expected info, low, medium, high or critical", s)
}
