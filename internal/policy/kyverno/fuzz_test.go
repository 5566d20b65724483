package kyverno

import (
	"regexp"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

// FuzzWildcard checks wildcardMatch against a regular expression built
// from the same pattern.
func FuzzWildcard(f *testing.F) {
	for _, s := range [][2]string{{"web-*", "web-1"}, {"?*", ""}, {"a?c", "abc"}, {"*a*b*", "xaxb"}, {"", ""}, {"**", "x"}, {"ä?", "äö"}} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, pattern, s string) {
		var b strings.Builder
		b.WriteString("^")
		for _, r := range pattern {
			switch r {
			case '*':
				b.WriteString("(?s:.*)")
			case '?':
				b.WriteString("(?s:.)")
			default:
				b.WriteString(regexp.QuoteMeta(string(r)))
			}
		}
		b.WriteString("$")
		re, err := regexp.Compile(b.String())
		if err != nil {
			t.Skip()
		}
		if got, want := wildcardMatch(pattern, s), re.MatchString(s); got != want {
			t.Errorf("wildcardMatch(%q, %q) = %v, want %v", pattern, s, got, want)
		}
	})
}

// FuzzSimulate runs the simulation on arbitrary YAML streams: it must not
// panic, and two runs must agree.
func FuzzSimulate(f *testing.F) {
	for _, group := range [][]simCase{matchCases, mutateCases, generateCases, variableCases} {
		for _, tc := range group {
			f.Add(tc.in)
		}
	}
	f.Fuzz(func(t *testing.T, text string) {
		var in Input
		for _, doc := range strings.Split(text, "\n---") {
			j, err := yaml.YAMLToJSON([]byte(doc))
			if err != nil {
				continue
			}
			o, err := DecodeObject(j)
			if err != nil || o == nil {
				continue
			}
			if g, _ := o.GroupVersion(); g == "kyverno.io" {
				var p Policy
				if yaml.Unmarshal(j, &p) == nil {
					in.Policies = append(in.Policies, &p)
				}
				continue
			}
			in.Objects = append(in.Objects, o)
		}
		a := Simulate(in, Options{MaxGenerated: 100})
		b := Simulate(in, Options{MaxGenerated: 100})
		if !deepEqual(diagLines(a), diagLines(b)) || len(a.Generated) != len(b.Generated) {
			t.Errorf("two runs differ")
		}
	})
}
