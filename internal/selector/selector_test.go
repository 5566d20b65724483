package selector_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/netreach/netreach/internal/selector"
)

// ls builds a label set from "key=value" pairs; "key=" is an empty value.
func ls(kvs ...string) map[string]string {
	m := make(map[string]string, len(kvs))
	for _, kv := range kvs {
		k, v, _ := strings.Cut(kv, "=")
		m[k] = v
	}
	return m
}

// labelSets is a small universe of label sets that the precedence tests
// compare selectors on.
var labelSets = []map[string]string{
	nil,
	ls("a="),
	ls("a=x"),
	ls("b=x"),
	ls("c=x"),
	ls("a=x", "b=x"),
	ls("a=x", "c=x"),
	ls("b=x", "c=x"),
	ls("a=x", "b=x", "c=x"),
	ls("a=y", "b=y", "c=y"),
}

func TestMatches(t *testing.T) {
	t.Parallel()
	type check struct {
		labels map[string]string
		want   bool
	}
	tests := []struct {
		name   string
		sel    string
		checks []check
	}{
		{"eq", `app == "web"`, []check{
			{ls("app=web"), true},
			{ls("app=web", "tier=db"), true},
			{ls("app=db"), false},
			{ls("app="), false},
			{ls("tier=web"), false},
			{nil, false},
		}},
		{"eq empty value", `app == ""`, []check{
			{ls("app="), true},
			{ls("app=x"), false},
			{nil, false},
		}},
		{"ne", `app != "web"`, []check{
			{ls("app=web"), false},
			{ls("app=db"), true},
			{ls("app="), true},
			{ls("tier=web"), true}, // absent key
			{nil, true},
		}},
		{"in", `app in {"web", "db"}`, []check{
			{ls("app=web"), true},
			{ls("app=db"), true},
			{ls("app=cache"), false},
			{ls("tier=web"), false},
			{nil, false},
		}},
		{"in empty set", `app in {}`, []check{
			{ls("app="), false},
			{ls("app=web"), false},
			{nil, false},
		}},
		{"not in", `app not in {"web", "db"}`, []check{
			{ls("app=web"), false},
			{ls("app=db"), false},
			{ls("app=cache"), true},
			{ls("tier=web"), true}, // absent key
			{nil, true},
		}},
		{"not in empty set", `app not in {}`, []check{
			{ls("app=web"), true},
			{nil, true},
		}},
		{"notin", `app notin {"web"}`, []check{
			{ls("app=web"), false},
			{ls("app=db"), true},
			{nil, true},
		}},
		{"has", `has(app)`, []check{
			{ls("app="), true},
			{ls("app=web"), true},
			{ls("tier=web"), false},
			{nil, false},
		}},
		{"not has", `!has(app)`, []check{
			{ls("app="), false},
			{ls("tier=web"), true},
			{nil, true},
		}},
		{"has prefixed key", `has(projectcalico.org/name)`, []check{
			{ls("projectcalico.org/name=prod"), true},
			{ls("name=prod"), false},
		}},
		{"contains", `app contains "eb"`, []check{
			{ls("app=web"), true},
			{ls("app=eb"), true},
			{ls("app=db"), false},
			{ls("tier=web"), false},
			{nil, false},
		}},
		{"contains empty", `app contains ""`, []check{
			{ls("app="), true},
			{nil, false},
		}},
		{"starts with", `app starts with "we"`, []check{
			{ls("app=web"), true},
			{ls("app=aweb"), false},
			{nil, false},
		}},
		{"startswith", `app startswith "we"`, []check{
			{ls("app=web"), true},
			{ls("app=eb"), false},
		}},
		{"ends with", `app ends with "eb"`, []check{
			{ls("app=web"), true},
			{ls("app=webs"), false},
			{nil, false},
		}},
		{"endswith", `app endswith "eb"`, []check{
			{ls("app=web"), true},
			{ls("app=we"), false},
		}},
		{"all", `all()`, []check{
			{nil, true},
			{ls("app=web"), true},
		}},
		{"empty is all", ``, []check{
			{nil, true},
			{ls("app=web"), true},
		}},
		{"not all", `!all()`, []check{
			{nil, false},
			{ls("app=web"), false},
		}},
		{"global is false as a label expression", `global()`, []check{
			{nil, false},
			{ls("global="), false},
		}},
		{"not global", `!global()`, []check{
			{nil, true},
		}},
		{"and", `app == "web" && tier == "fe"`, []check{
			{ls("app=web", "tier=fe"), true},
			{ls("app=web"), false},
			{ls("tier=fe"), false},
		}},
		{"or", `app == "web" || tier == "fe"`, []check{
			{ls("app=web"), true},
			{ls("tier=fe"), true},
			{ls("app=db", "tier=be"), false},
		}},
		{"single quotes", `app == 'w"b'`, []check{
			{ls(`app=w"b`), true},
		}},
		{"key named like a keyword", `in == "x" && has == "y" && all != "z"`, []check{
			{ls("in=x", "has=y"), true},
			{ls("in=x", "has=y", "all=z"), false},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			sel, err := selector.Parse(tc.sel)
			require.NoError(t, err)
			for _, c := range tc.checks {
				if got := sel.Matches(c.labels); got != c.want {
					t.Errorf("Parse(%q).Matches(%v) = %v, want %v", tc.sel, c.labels, got, c.want)
				}
			}
		})
	}
}

// TestPrecedence checks each selector against an explicitly parenthesised
// equivalent on every label set of labelSets, and checks how it prints.
func TestPrecedence(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		sel      string
		same     string // explicitly parenthesised equivalent
		notSame  string // the other reading, which must differ somewhere
		wantText string
	}{
		{
			name:     "and binds tighter than or",
			sel:      `has(a) || has(b) && has(c)`,
			same:     `has(a) || (has(b) && has(c))`,
			notSame:  `(has(a) || has(b)) && has(c)`,
			wantText: `has(a) || has(b) && has(c)`,
		},
		{
			name:     "and binds tighter than or on the left",
			sel:      `has(a) && has(b) || has(c)`,
			same:     `(has(a) && has(b)) || has(c)`,
			notSame:  `has(a) && (has(b) || has(c))`,
			wantText: `has(a) && has(b) || has(c)`,
		},
		{
			name:     "not binds to one comparison",
			sel:      `!a == "x" && has(b)`,
			same:     `(!(a == "x")) && has(b)`,
			notSame:  `!(a == "x" && has(b))`,
			wantText: `!a == "x" && has(b)`,
		},
		{
			name:     "not before or",
			sel:      `!has(a) || has(b)`,
			same:     `(!has(a)) || has(b)`,
			notSame:  `!(has(a) || has(b))`,
			wantText: `!has(a) || has(b)`,
		},
		{
			name:     "parentheses override",
			sel:      `(has(a) || has(b)) && has(c)`,
			same:     `has(c) && (has(b) || has(a))`,
			notSame:  `has(a) || has(b) && has(c)`,
			wantText: `(has(a) || has(b)) && has(c)`,
		},
		{
			name:     "negated group",
			sel:      `!(has(a) && b == "x")`,
			same:     `!has(a) || b != "x"`,
			notSame:  `!has(a) && b == "x"`,
			wantText: `!(has(a) && b == "x")`,
		},
		{
			name:     "even number of nots cancels",
			sel:      `!!has(a) && !!!has(b)`,
			same:     `has(a) && !has(b)`,
			notSame:  `!has(a) && has(b)`,
			wantText: `has(a) && !has(b)`,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			sel := selector.MustParse(tc.sel)
			same := selector.MustParse(tc.same)
			notSame := selector.MustParse(tc.notSame)
			differs := false
			for _, l := range labelSets {
				if got, want := sel.Matches(l), same.Matches(l); got != want {
					t.Errorf("Parse(%q).Matches(%v) = %v, want %v (as %q)", tc.sel, l, got, want, tc.same)
				}
				differs = differs || sel.Matches(l) != notSame.Matches(l)
			}
			if !differs {
				t.Errorf("Parse(%q) and Parse(%q) agree on every label set; the test does not tell the readings apart", tc.sel, tc.notSame)
			}
			if got := sel.String(); got != tc.wantText {
				t.Errorf("Parse(%q).String() = %q, want %q", tc.sel, got, tc.wantText)
			}
		})
	}
}

func TestString(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		sel  selector.Selector
		want string
	}{
		{"zero value", selector.Selector{}, `all()`},
		{"All", selector.All(), `all()`},
		{"Nothing", selector.Nothing(), `!all()`},
		{"set sorted and deduplicated", selector.MustParse(`k in {'b', "a", 'b',}`), `k in {"a", "b"}`},
		{"value with double quote", selector.MustParse(`k == 'say "hi"'`), `k == 'say "hi"'`},
		{"or inside and", selector.MustParse(`has(a) && (has(b) || has(c))`), `has(a) && (has(b) || has(c))`},
		{"nested and flattened", selector.MustParse(`has(a) && (has(b) && has(c))`), `has(a) && has(b) && has(c)`},
		{"nested or flattened", selector.MustParse(`(has(a) || has(b)) || has(c)`), `has(a) || has(b) || has(c)`},
		{"redundant parentheses", selector.MustParse(`((has(a)))`), `has(a)`},
		{"negated or", selector.MustParse(`!(has(a) || has(b))`), `!(has(a) || has(b))`},
		{"K8s selector", selector.MustFromLabelSelector(&metav1.LabelSelector{
			MatchLabels: map[string]string{"tier": "fe", "app": "web"},
			MatchExpressions: []metav1.LabelSelectorRequirement{
				{Key: "env", Operator: metav1.LabelSelectorOpNotIn, Values: []string{"prod", "dev"}},
				{Key: "canary", Operator: metav1.LabelSelectorOpDoesNotExist},
			},
		}), `app == "web" && !has(canary) && env not in {"dev", "prod"} && tier == "fe"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := tc.sel.String(); got != tc.want {
				t.Errorf("%#v.String() = %q, want %q", tc.sel, got, tc.want)
			}
		})
	}
}

func TestGoString(t *testing.T) {
	t.Parallel()
	sel := selector.MustParse(`app == "web"`)
	require.Equal(t, `selector.MustParse("app == \"web\"")`, sel.GoString())
}

func TestFromLabelSelector(t *testing.T) {
	t.Parallel()
	req := func(key string, op metav1.LabelSelectorOperator, values ...string) metav1.LabelSelectorRequirement {
		return metav1.LabelSelectorRequirement{Key: key, Operator: op, Values: values}
	}
	exprs := func(rs ...metav1.LabelSelectorRequirement) *metav1.LabelSelector {
		return &metav1.LabelSelector{MatchExpressions: rs}
	}
	type check struct {
		labels map[string]string
		want   bool
	}
	tests := []struct {
		name     string
		in       *metav1.LabelSelector
		wantText string
		checks   []check
	}{
		{
			name:     "nil matches nothing",
			in:       nil,
			wantText: `!all()`,
			checks:   []check{{nil, false}, {ls("app=web"), false}},
		},
		{
			name:     "empty matches everything",
			in:       &metav1.LabelSelector{},
			wantText: `all()`,
			checks:   []check{{nil, true}, {ls("app=web"), true}},
		},
		{
			name:     "empty maps and lists match everything",
			in:       &metav1.LabelSelector{MatchLabels: map[string]string{}, MatchExpressions: []metav1.LabelSelectorRequirement{}},
			wantText: `all()`,
			checks:   []check{{nil, true}},
		},
		{
			name:     "matchLabels",
			in:       &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}},
			wantText: `app == "web"`,
			checks:   []check{{ls("app=web"), true}, {ls("app=db"), false}, {nil, false}},
		},
		{
			name: "matchLabels and expressions are ANDed",
			in: &metav1.LabelSelector{
				MatchLabels:      map[string]string{"app": "web"},
				MatchExpressions: []metav1.LabelSelectorRequirement{req("tier", metav1.LabelSelectorOpIn, "fe")},
			},
			wantText: `app == "web" && tier in {"fe"}`,
			checks: []check{
				{ls("app=web", "tier=fe"), true},
				{ls("app=web", "tier=be"), false},
				{ls("app=web"), false},
				{ls("tier=fe"), false},
			},
		},
		{
			name:     "In",
			in:       exprs(req("env", metav1.LabelSelectorOpIn, "prod", "dev")),
			wantText: `env in {"dev", "prod"}`,
			checks:   []check{{ls("env=dev"), true}, {ls("env=prod"), true}, {ls("env=qa"), false}, {nil, false}},
		},
		{
			name:     "NotIn matches an absent key",
			in:       exprs(req("env", metav1.LabelSelectorOpNotIn, "prod")),
			wantText: `env not in {"prod"}`,
			checks:   []check{{ls("env=prod"), false}, {ls("env=dev"), true}, {ls("app=web"), true}, {nil, true}},
		},
		{
			name:     "Exists",
			in:       exprs(req("env", metav1.LabelSelectorOpExists)),
			wantText: `has(env)`,
			checks:   []check{{ls("env="), true}, {ls("app=web"), false}},
		},
		{
			name:     "DoesNotExist",
			in:       exprs(req("env", metav1.LabelSelectorOpDoesNotExist)),
			wantText: `!has(env)`,
			checks:   []check{{ls("env="), false}, {ls("app=web"), true}, {nil, true}},
		},
		{
			name: "requirements sorted by key",
			in: exprs(
				req("z", metav1.LabelSelectorOpExists),
				req("example.com/a", metav1.LabelSelectorOpExists),
			),
			wantText: `has(example.com/a) && has(z)`,
			checks:   []check{{ls("z=", "example.com/a="), true}, {ls("z="), false}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			sel, err := selector.FromLabelSelector(tc.in)
			require.NoError(t, err)
			require.Equal(t, tc.wantText, sel.String())
			for _, c := range tc.checks {
				if got := sel.Matches(c.labels); got != c.want {
					t.Errorf("FromLabelSelector(%v).Matches(%v) = %v, want %v", tc.in, c.labels, got, c.want)
				}
			}
		})
	}
}

func TestFromLabelSelectorErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		in      *metav1.LabelSelector
		wantErr string // a substring of the error
	}{
		{
			name:    "invalid operator",
			in:      &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{Key: "a", Operator: "Equals", Values: []string{"x"}}}},
			wantErr: `"Equals" is not a valid label selector operator`,
		},
		{
			name:    "In without values",
			in:      &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{Key: "a", Operator: metav1.LabelSelectorOpIn}}},
			wantErr: "values set can't be empty",
		},
		{
			name:    "NotIn without values",
			in:      &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{Key: "a", Operator: metav1.LabelSelectorOpNotIn, Values: []string{}}}},
			wantErr: "values set can't be empty",
		},
		{
			name:    "Exists with values",
			in:      &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{Key: "a", Operator: metav1.LabelSelectorOpExists, Values: []string{"x"}}}},
			wantErr: "values set must be empty",
		},
		{
			name:    "invalid key",
			in:      &metav1.LabelSelector{MatchLabels: map[string]string{"bad key": "x"}},
			wantErr: "bad key",
		},
		{
			name:    "invalid value",
			in:      &metav1.LabelSelector{MatchLabels: map[string]string{"app": `"web"`}},
			wantErr: "a valid label must be",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := selector.FromLabelSelector(tc.in)
			require.ErrorContains(t, err, tc.wantErr)
			require.Panics(t, func() { selector.MustFromLabelSelector(tc.in) })
		})
	}
}

// TestFromLabelSelectorOrder checks that String does not depend on the
// order of matchExpressions, as FromLabelSelector documents.
func TestFromLabelSelectorOrder(t *testing.T) {
	t.Parallel()
	a := metav1.LabelSelectorRequirement{Key: "k", Operator: metav1.LabelSelectorOpExists}
	b := metav1.LabelSelectorRequirement{Key: "k", Operator: metav1.LabelSelectorOpIn, Values: []string{"v"}}
	c := metav1.LabelSelectorRequirement{Key: "j", Operator: metav1.LabelSelectorOpNotIn, Values: []string{"w"}}
	s1 := selector.MustFromLabelSelector(&metav1.LabelSelector{
		MatchLabels:      map[string]string{"k": "v"},
		MatchExpressions: []metav1.LabelSelectorRequirement{a, b, c},
	})
	s2 := selector.MustFromLabelSelector(&metav1.LabelSelector{
		MatchLabels:      map[string]string{"k": "v"},
		MatchExpressions: []metav1.LabelSelectorRequirement{c, b, a},
	})
	require.Equal(t, s1.String(), s2.String())
}

func TestAnd(t *testing.T) {
	t.Parallel()
	p := selector.MustParse
	tests := []struct {
		name string
		in   []selector.Selector
		want string
	}{
		{"none", nil, `all()`},
		{"all only", []selector.Selector{selector.All(), {}}, `all()`},
		{"all dropped", []selector.Selector{selector.All(), p(`has(a)`)}, `has(a)`},
		{"two", []selector.Selector{p(`has(a)`), p(`has(b)`)}, `has(a) && has(b)`},
		{"chains flattened", []selector.Selector{p(`has(a) && has(b)`), p(`has(c) && has(d)`)}, `has(a) && has(b) && has(c) && has(d)`},
		{"or kept whole", []selector.Selector{p(`has(a) || has(b)`), p(`has(c)`)}, `(has(a) || has(b)) && has(c)`},
		{"nothing kept", []selector.Selector{selector.Nothing(), p(`has(c)`)}, `!all() && has(c)`},
		{"with namespace", []selector.Selector{p(`app == "web"`), p(`projectcalico.org/namespace == "prod"`)}, `app == "web" && projectcalico.org/namespace == "prod"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := selector.And(tc.in...)
			require.Equal(t, tc.want, got.String())
			// The result reads back to the same selector.
			require.Equal(t, got, selector.MustParse(got.String()))
			// And means "every operand matches".
			for _, l := range labelSets {
				want := true
				for _, s := range tc.in {
					want = want && s.Matches(l)
				}
				if m := got.Matches(l); m != want {
					t.Errorf("And(%v).Matches(%v) = %v, want %v", tc.in, l, m, want)
				}
			}
		})
	}
}

func TestCompile(t *testing.T) {
	t.Parallel()
	sets := make([]map[string]string, 130)
	for i := range sets {
		switch {
		case i%3 == 0:
			sets[i] = ls("app=web")
		case i%3 == 1:
			sets[i] = ls("app=db")
		}
	}
	tests := []struct {
		name string
		sel  string
		want func(i int) bool
	}{
		{"eq", `app == "web"`, func(i int) bool { return i%3 == 0 }},
		{"has", `has(app)`, func(i int) bool { return i%3 != 2 }},
		{"ne", `app != "web"`, func(i int) bool { return i%3 != 0 }},
		{"all", `all()`, func(int) bool { return true }},
		{"nothing", `!all()`, func(int) bool { return false }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dst := make([]uint64, (len(sets)+63)/64)
			selector.MustParse(tc.sel).Compile(sets, dst)
			want := make([]uint64, len(dst))
			for i := range sets {
				if tc.want(i) {
					want[i/64] |= 1 << (i % 64)
				}
			}
			if d := cmp.Diff(want, dst); d != "" {
				t.Errorf("Parse(%q).Compile() mismatch (-want +got):\n%s", tc.sel, d)
			}
		})
	}

	// Bits already set are kept: Compile ORs into dst.
	dst := []uint64{1 << 2, 1 << 1}
	selector.MustParse(`!all()`).Compile(sets[:66], dst)
	require.Equal(t, []uint64{1 << 2, 1 << 1}, dst)
	selector.MustParse(`app == "db"`).Compile(sets[:66], dst)
	require.Equal(t, []uint64{1<<2 | 0x2492492492492492, 1<<1 | 1<<0}, dst)
}

func TestPredicates(t *testing.T) {
	t.Parallel()
	tests := []struct {
		sel                                   string
		isAll, isGlobal, isNothing, hasGlobal bool
	}{
		{``, true, false, false, false},
		{`all()`, true, false, false, false},
		{`( all( ) )`, true, false, false, false},
		{`!!all()`, true, false, false, false},
		{`!all()`, false, false, true, false},
		{`!(!(!all()))`, false, false, true, false},
		{`global()`, false, true, false, true},
		{`!global()`, false, false, false, true},
		{`has(a) || global()`, false, false, false, true},
		{`all() && has(a)`, false, false, false, false},
		{`has(a) && !has(a)`, false, false, false, false}, // unsatisfiable, but not literally !all()
		{`!all() || !all()`, false, false, false, false},
		{`has(a)`, false, false, false, false},
	}
	for _, tc := range tests {
		t.Run(tc.sel, func(t *testing.T) {
			t.Parallel()
			sel := selector.MustParse(tc.sel)
			require.Equal(t, tc.isAll, sel.IsAll(), "IsAll")
			require.Equal(t, tc.isGlobal, sel.IsGlobal(), "IsGlobal")
			require.Equal(t, tc.isNothing, sel.IsNothing(), "IsNothing")
			require.Equal(t, tc.hasGlobal, sel.HasGlobal(), "HasGlobal")
		})
	}

	require.True(t, selector.Selector{}.IsAll(), "zero Selector IsAll")
	require.True(t, selector.All().IsAll(), "All().IsAll")
	require.True(t, selector.Nothing().IsNothing(), "Nothing().IsNothing")
	require.False(t, selector.Selector{}.HasGlobal(), "zero Selector HasGlobal")
	require.Equal(t, selector.All(), selector.MustParse("all()"))
	require.Equal(t, selector.Nothing(), selector.MustParse("!all()"))
}

func TestKeys(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want []string
	}{
		{"", nil},
		{"all()", nil},
		{`a == "x" && (has(b) || !(c in {"1"})) && a != "y"`, []string{"a", "b", "c"}},
		{`projectcalico.org/name not in {"kube-system"}`, []string{"projectcalico.org/name"}},
		{`x starts with "a" || y ends with "b" || z contains "c"`, []string{"x", "y", "z"}},
	}
	for _, tc := range tests {
		got := selector.MustParse(tc.in).Keys()
		if !slices.Equal(got, tc.want) {
			t.Errorf("Parse(%q).Keys() = %v, want %v", tc.in, got, tc.want)
		}
	}
}
