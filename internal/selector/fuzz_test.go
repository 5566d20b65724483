package selector

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// parseSeeds is the seed corpus of FuzzParse: every operator, both quote
// styles, keyword spellings, nesting, and a few malformed inputs.
var parseSeeds = []string{
	``,
	` `,
	`all()`,
	`!all()`,
	`global()`,
	`!global() && has(a)`,
	`a == "x"`,
	`a != 'x'`,
	`a == 'x"y'`,
	`a contains "x"`,
	`a starts with "x"`,
	`a startswith "x"`,
	`a ends with "x"`,
	`a endswith "x"`,
	`a in {"x", "y",}`,
	`a in {}`,
	`a not in {"x"}`,
	`a notin {'x', "y"}`,
	`has(a)`,
	`!has(projectcalico.org/name)`,
	`has(a) || has(b) && has(c)`,
	`!a == "x" && b != "y"`,
	`(has(a) || has(b)) && !(has(c) && has(d))`,
	`!!(!has(a))`,
	`((a == "x"))`,
	`a == "x" && (b == "y" && (c == "z" || d == "w"))`,
	`all() && (global() || !all())`,
	"a == \"x\"\t&&\tb in{}",
	`has(has) && in in {"in"} && not not in {}`,
	`a == "x`,
	`a = "x"`,
	`has(a) & has(b)`,
	`(has(a)`,
	`a in {"x" "y"}`,
	`a starts "x"`,
	"a == \xff",
}

// fuzzLabelSets are label sets every fuzzed selector is evaluated on, in
// addition to ones built from the selector's own keys and values.
var fuzzLabelSets = []map[string]string{
	nil,
	{"a": ""},
	{"a": "x"},
	{"a": "y", "b": "x"},
	{"a": "x", "b": "y", "c": "z", "d": "w"},
	{"projectcalico.org/name": "x", "has": "in", "in": "in"},
}

func FuzzParse(f *testing.F) {
	for _, s := range parseSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		sel, err := Parse(in)
		if err != nil {
			checkParseError(t, in, err)
			return
		}
		str := sel.String()
		again, err := Parse(str)
		if err != nil {
			t.Fatalf("Parse(%q) = %q, but Parse(%q) failed: %v", in, str, str, err)
		}
		if !reflect.DeepEqual(sel.root, again.root) {
			t.Fatalf("Parse(%q) = %#v, but Parse(%q) = %#v", in, sel.root, str, again.root)
		}
		if got := again.String(); got != str {
			t.Fatalf("Parse(%q).String() = %q, want %q", str, got, str)
		}
		for _, l := range append(derivedLabelSets(sel.root), fuzzLabelSets...) {
			if got, want := again.Matches(l), sel.Matches(l); got != want {
				t.Fatalf("Parse(%q).Matches(%v) = %v, but Parse(%q).Matches = %v", str, l, got, in, want)
			}
		}
	})
}

// checkParseError checks the shape of an error from Parse(in).
func checkParseError(t *testing.T, in string, err error) {
	t.Helper()
	perr, ok := errors.AsType[*ParseError](err)
	if !ok {
		t.Fatalf("Parse(%q) error %T is not a *ParseError: %v", in, err, err)
	}
	if perr.Input != in {
		t.Fatalf("Parse(%q) error Input = %q", in, perr.Input)
	}
	if n := utf8.RuneCountInString(in) + 1; perr.Column < 1 || perr.Column > n {
		t.Fatalf("Parse(%q) error Column = %d, want 1..%d", in, perr.Column, n)
	}
	if perr.Msg == "" || strings.ContainsAny(perr.Msg[len(perr.Msg)-1:], ".!?:") {
		t.Fatalf("Parse(%q) error Msg = %q, want non-empty without final punctuation", in, perr.Msg)
	}
}

// derivedLabelSets builds label sets from the keys and values that occur
// in n, so that the comparisons in a fuzzed selector can come out true.
func derivedLabelSets(n node) []map[string]string {
	var keys, values []string
	var walk func(node)
	walk = func(n node) {
		switch n := n.(type) {
		case hasNode:
			keys = append(keys, n.key)
		case cmpNode:
			keys = append(keys, n.key)
			values = append(values, n.value, n.value+"~", "~"+n.value)
		case setNode:
			keys = append(keys, n.key)
			values = append(values, n.values...)
		case notNode:
			walk(n.x)
		case andNode:
			for _, x := range n.xs {
				walk(x)
			}
		case orNode:
			for _, x := range n.xs {
				walk(x)
			}
		}
	}
	if n != nil {
		walk(n)
	}
	values = append(values, "")
	// Each set gives every key a value: all the same one, or staggered so
	// that different keys get different values.
	const maxSets = 16
	var sets []map[string]string
	for i := range min(len(values), maxSets) {
		same := make(map[string]string, len(keys))
		staggered := make(map[string]string, len(keys))
		for j, k := range keys {
			same[k] = values[i]
			staggered[k] = values[(i+j)%len(values)]
		}
		sets = append(sets, same, staggered)
	}
	// And each key on its own.
	for i := range min(len(keys), maxSets) {
		sets = append(sets, map[string]string{keys[i]: values[i%len(values)]})
	}
	return sets
}

func FuzzFromLabelSelector(f *testing.F) {
	// flags: bit 0 nil selector, bit 1 use matchLabels, bit 2 use the
	// expression, bit 3 add a second expression on the matchLabels key.
	f.Add("app", "web", "tier", "In", "fe,be", uint8(0b0110))
	f.Add("app", "web", "tier", "NotIn", "fe", uint8(0b1110))
	f.Add("example.com/app", "web", "env", "Exists", "", uint8(0b0100))
	f.Add("app", "", "env", "DoesNotExist", "", uint8(0b0110))
	f.Add("app", "web", "env", "In", "", uint8(0b0100))
	f.Add("app", "web", "env", "Equals", "x", uint8(0b0100))
	f.Add("app", "web", "env", "In", "a,a,b", uint8(0b1111))
	f.Add("bad key", "web", "-env", "In", "x", uint8(0b0110))
	f.Add("a", "b", "a", "NotIn", "b,c", uint8(0b1110))
	f.Add("", "", "", "", "", uint8(0))
	f.Fuzz(func(t *testing.T, mlKey, mlValue, key, op, values string, flags uint8) {
		var ls *metav1.LabelSelector
		if flags&1 == 0 {
			ls = &metav1.LabelSelector{}
			if flags&2 != 0 {
				ls.MatchLabels = map[string]string{mlKey: mlValue}
			}
			var vals []string
			if values != "" {
				vals = strings.Split(values, ",")
			}
			if flags&4 != 0 {
				ls.MatchExpressions = append(ls.MatchExpressions, metav1.LabelSelectorRequirement{
					Key: key, Operator: metav1.LabelSelectorOperator(op), Values: vals,
				})
			}
			if flags&8 != 0 {
				ls.MatchExpressions = append(ls.MatchExpressions, metav1.LabelSelectorRequirement{
					Key: mlKey, Operator: metav1.LabelSelectorOpNotIn, Values: vals,
				})
			}
		}
		sel, err := FromLabelSelector(ls)
		want, wantErr := metav1.LabelSelectorAsSelector(ls)
		if (err != nil) != (wantErr != nil) {
			t.Fatalf("FromLabelSelector(%v) error = %v, want %v", ls, err, wantErr)
		}
		if err != nil {
			return
		}

		str := sel.String()
		again, err := Parse(str)
		if err != nil {
			t.Fatalf("FromLabelSelector(%v) = %q, but Parse failed: %v", ls, str, err)
		}
		if !reflect.DeepEqual(sel.root, again.root) {
			t.Fatalf("FromLabelSelector(%v) = %#v, but Parse(%q) = %#v", ls, sel.root, str, again.root)
		}

		first, _, _ := strings.Cut(values, ",")
		sets := append([]map[string]string{
			{mlKey: mlValue},
			{key: first},
			{key: values},
			{key: first + "x"},
			{mlKey: mlValue, key: first},
			{mlKey: first, key: mlValue},
			{mlKey: mlValue + "x", key: first},
		}, fuzzLabelSets...)
		for _, l := range sets {
			if got, want := sel.Matches(l), want.Matches(labels.Set(l)); got != want {
				t.Fatalf("FromLabelSelector(%v).Matches(%v) = %v, want %v", ls, l, got, want)
			}
		}
	})
}
