package selector_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/netreach/netreach/internal/selector"
)

func TestParse(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("x", 512)
	tests := []struct {
		in   string
		want string // String() of the result
	}{
		// Empty input and all().
		{``, `all()`},
		{" \t ", `all()`},
		{`all()`, `all()`},
		{`all( )`, `all()`},
		{"\tall(\t)\t", `all()`},
		{`global()`, `global()`},
		{`global(  )`, `global()`},
		{`!all()`, `!all()`},

		// Comparisons.
		{`a == "x"`, `a == "x"`},
		{`a=="x"`, `a == "x"`},
		{`a == 'x'`, `a == "x"`},
		{`a == ""`, `a == ""`},
		{`a == ''`, `a == ""`},
		{`a == 'x"y'`, `a == 'x"y'`},
		{`a == "it's"`, `a == "it's"`},
		{`a == "a && b || (c)"`, `a == "a && b || (c)"`},
		{`a == "tab	and space"`, `a == "tab	and space"`},
		{"a == \"line\nbreak\"", "a == \"line\nbreak\""},
		{`a == "ünï"`, `a == "ünï"`},
		{`a != "x"`, `a != "x"`},
		{`a!="x"`, `a != "x"`},
		{`a contains "x"`, `a contains "x"`},
		{`a contains"x"`, `a contains "x"`},
		{`a starts with "x"`, `a starts with "x"`},
		{"a starts \t with \"x\"", `a starts with "x"`},
		{`a startswith "x"`, `a starts with "x"`},
		{`a ends with "x"`, `a ends with "x"`},
		{`a endswith "x"`, `a ends with "x"`},

		// Sets.
		{`a in {"x"}`, `a in {"x"}`},
		{`a in{"x"}`, `a in {"x"}`},
		{`a in {}`, `a in {}`},
		{`a in { }`, `a in {}`},
		{`a in {"x",}`, `a in {"x"}`},
		{`a in {"y", 'x' , "y"}`, `a in {"x", "y"}`},
		{`a in {"x","y"}`, `a in {"x", "y"}`},
		{`a not in {"x"}`, `a not in {"x"}`},
		{`a not  in {"x"}`, `a not in {"x"}`},
		{`a notin {"x"}`, `a not in {"x"}`},
		{`a notin{}`, `a not in {}`},

		// has().
		{`has(a)`, `has(a)`},
		{`has( a )`, `has(a)`},
		{`!has(a)`, `!has(a)`},
		{`! has(a)`, `!has(a)`},

		// Label names.
		{`projectcalico.org/name == "prod"`, `projectcalico.org/name == "prod"`},
		{`has(projectcalico.org/namespace)`, `has(projectcalico.org/namespace)`},
		{`A-Z_a.z/0-9 == "x"`, `A-Z_a.z/0-9 == "x"`},
		{`-- == "x"`, `-- == "x"`},
		{`123 == "x"`, `123 == "x"`},
		{long + ` == "x"`, long + ` == "x"`},
		{`has(` + long + `)`, `has(` + long + `)`},
		// Words that are keywords elsewhere are labels here.
		{`has == "x"`, `has == "x"`},
		{`all != "x"`, `all != "x"`},
		{`global in {}`, `global in {}`},
		{`in in {"in"}`, `in in {"in"}`},
		{`not not in {}`, `not not in {}`},
		{`contains contains "contains"`, `contains contains "contains"`},
		{`starts starts with "x"`, `starts starts with "x"`},
		{`has(has)`, `has(has)`},
		{`has(all)`, `has(all)`},

		// Operators, precedence and normalisation.
		{`has(a) && has(b)`, `has(a) && has(b)`},
		{`has(a)&&has(b)`, `has(a) && has(b)`},
		{`has(a)||has(b)`, `has(a) || has(b)`},
		{`has(a) || has(b) && has(c)`, `has(a) || has(b) && has(c)`},
		{`(has(a) || has(b)) && has(c)`, `(has(a) || has(b)) && has(c)`},
		{`has(a) && (has(b) && has(c))`, `has(a) && has(b) && has(c)`},
		{`(has(a) && has(b)) && has(c)`, `has(a) && has(b) && has(c)`},
		{`has(a) || (has(b) || has(c))`, `has(a) || has(b) || has(c)`},
		{`has(a) || (has(b) && has(c))`, `has(a) || has(b) && has(c)`},
		{`((has(a)))`, `has(a)`},
		{`( has(a) )`, `has(a)`},
		{`!!has(a)`, `has(a)`},
		{`!!!has(a)`, `!has(a)`},
		{`! ! ! ! has(a)`, `has(a)`},
		{`!(!has(a))`, `has(a)`},
		{`!(!(!has(a)))`, `!has(a)`},
		{`!(has(a))`, `!has(a)`},
		{`!(has(a) && has(b))`, `!(has(a) && has(b))`},
		{`!(has(a) || has(b))`, `!(has(a) || has(b))`},
		{`!a == "x"`, `!a == "x"`},
		{`!a in {"x"}`, `!a in {"x"}`},
		{`all() && has(a)`, `all() && has(a)`},
		{`global() || !global()`, `global() || !global()`},
		{
			`app == "web" && (tier in {"a", "b"} || !has(canary))`,
			`app == "web" && (tier in {"a", "b"} || !has(canary))`,
		},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			t.Parallel()
			sel, err := selector.Parse(tc.in)
			require.NoError(t, err)
			if got := sel.String(); got != tc.want {
				t.Errorf("Parse(%q).String() = %q, want %q", tc.in, got, tc.want)
			}
			// String is canonical: it reads back to an equal selector.
			again, err := selector.Parse(sel.String())
			require.NoError(t, err)
			require.Equal(t, sel, again)
		})
	}
}

func TestParseErrors(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("x", 513)
	tests := []struct {
		in   string
		want string
	}{
		// Lexical errors.
		{`a == "x`, `selector: parse "a == \"x": unterminated string at column 6`},
		{`a == 'x`, `selector: parse "a == 'x": unterminated string at column 6`},
		{`a == "x'`, `selector: parse "a == \"x'": unterminated string at column 6`},
		{`has(a) & has(b)`, `selector: parse "has(a) & has(b)": unexpected character '&' at column 8`},
		{`has(a) | has(b)`, `selector: parse "has(a) | has(b)": unexpected character '|' at column 8`},
		{`a = "x"`, `selector: parse "a = \"x\"": unexpected character '=' at column 3`},
		{`a > "x"`, `selector: parse "a > \"x\"": unexpected character '>' at column 3`},
		{"has(a)\n", `selector: parse "has(a)\n": unexpected character '\n' at column 7`},
		{"has(a)\r", `selector: parse "has(a)\r": unexpected character '\r' at column 7`},
		{`é == "x"`, `selector: parse "é == \"x\"": unexpected character 'é' at column 1`},
		{`a == "é" é`, `selector: parse "a == \"é\" é": unexpected character 'é' at column 10`},
		{"a == \xff", `selector: parse "a == \xff": unexpected byte 0xff at column 6`},
		{`a:b == "x"`, `selector: parse "a:b == \"x\"": unexpected character ':' at column 2`},

		// Label names.
		{long + ` == "x"`, `selector: parse "` + long + ` == \"x\"": label longer than 512 characters at column 1`},
		{`has(` + long + `)`, `selector: parse "has(` + long + `)": label longer than 512 characters at column 5`},

		// Expressions.
		{`(`, `selector: parse "(": expected expression, found end of input at column 2`},
		{`)`, `selector: parse ")": expected expression, found ')' at column 1`},
		{`()`, `selector: parse "()": expected expression, found ')' at column 2`},
		{`!`, `selector: parse "!": expected expression, found end of input at column 2`},
		{`!=`, `selector: parse "!=": expected expression, found "!=" at column 1`},
		{`"x"`, `selector: parse "\"x\"": expected expression, found string "x" at column 1`},
		{`has(a) &&`, `selector: parse "has(a) &&": expected expression, found end of input at column 10`},
		{`has(a) && || has(b)`, `selector: parse "has(a) && || has(b)": expected expression, found "||" at column 11`},
		{`|| has(a)`, `selector: parse "|| has(a)": expected expression, found "||" at column 1`},
		{`(has(a)`, `selector: parse "(has(a)": expected ')', found end of input at column 8`},
		{`(has(a) has(b))`, `selector: parse "(has(a) has(b))": expected ')', found label "has" at column 9`},
		{`has(a))`, `selector: parse "has(a))": expected "&&" or "||", found ')' at column 7`},
		{`has(a) has(b)`, `selector: parse "has(a) has(b)": expected "&&" or "||", found label "has" at column 8`},
		{`a == "x" "y"`, `selector: parse "a == \"x\" \"y\"": expected "&&" or "||", found string "y" at column 10`},
		{`all() global()`, `selector: parse "all() global()": expected "&&" or "||", found label "global" at column 7`},

		// Functions.
		{`has()`, `selector: parse "has()": expected label after "has(", found ')' at column 5`},
		{`has("a")`, `selector: parse "has(\"a\")": expected label after "has(", found string "a" at column 5`},
		{`has(a`, `selector: parse "has(a": expected ')' to close "has(", found end of input at column 6`},
		{`has(a b)`, `selector: parse "has(a b)": expected ')' to close "has(", found label "b" at column 7`},
		{`all(x)`, `selector: parse "all(x)": expected ')' to close "all(", found label "x" at column 5`},
		{`global(`, `selector: parse "global(": expected ')' to close "global(", found end of input at column 8`},
		{`has (a)`, `selector: parse "has (a)": expected operator after label "has", found '(' at column 5`},
		{`all ()`, `selector: parse "all ()": expected operator after label "all", found '(' at column 5`},
		{`hasx(a)`, `selector: parse "hasx(a)": expected operator after label "hasx", found '(' at column 5`},

		// Comparisons.
		{`a`, `selector: parse "a": expected operator after label "a", found end of input at column 2`},
		{`a && b`, `selector: parse "a && b": expected operator after label "a", found "&&" at column 3`},
		{`a b`, `selector: parse "a b": expected operator after label "a", found label "b" at column 3`},
		{`a "x"`, `selector: parse "a \"x\"": expected operator after label "a", found string "x" at column 3`},
		{`a inx {}`, `selector: parse "a inx {}": expected operator after label "a", found label "inx" at column 3`},
		{`a containsx "y"`, `selector: parse "a containsx \"y\"": expected operator after label "a", found label "containsx" at column 3`},
		{`a in-{}`, `selector: parse "a in-{}": expected operator after label "a", found label "in-" at column 3`},
		{`a ==`, `selector: parse "a ==": expected string after "==", found end of input at column 5`},
		{`a == x`, `selector: parse "a == x": expected string after "==", found label "x" at column 6`},
		{`a != x`, `selector: parse "a != x": expected string after "!=", found label "x" at column 6`},
		{`a == == "x"`, `selector: parse "a == == \"x\"": expected string after "==", found "==" at column 6`},
		{`a contains x`, `selector: parse "a contains x": expected string after "contains", found label "x" at column 12`},
		{`a starts "x"`, `selector: parse "a starts \"x\"": expected "with" after "starts", found string "x" at column 10`},
		{`a starts within "x"`, `selector: parse "a starts within \"x\"": expected "with" after "starts", found label "within" at column 10`},
		{`a starts with`, `selector: parse "a starts with": expected string after "starts with", found end of input at column 14`},
		{`a startswith x`, `selector: parse "a startswith x": expected string after "starts with", found label "x" at column 14`},
		{`a ends "x"`, `selector: parse "a ends \"x\"": expected "with" after "ends", found string "x" at column 8`},
		{`a endswith`, `selector: parse "a endswith": expected string after "ends with", found end of input at column 11`},
		{`a == "x" && a startswith "y" ||`, `selector: parse "a == \"x\" && a startswith \"y\" ||": expected expression, found end of input at column 32`},

		// Sets.
		{`a in`, `selector: parse "a in": expected '{' after "in", found end of input at column 5`},
		{`a in "x"`, `selector: parse "a in \"x\"": expected '{' after "in", found string "x" at column 6`},
		{`a in ("x")`, `selector: parse "a in (\"x\")": expected '{' after "in", found '(' at column 6`},
		{`a not {}`, `selector: parse "a not {}": expected "in" after "not", found '{' at column 7`},
		{`a not inn {}`, `selector: parse "a not inn {}": expected "in" after "not", found label "inn" at column 7`},
		{`a not in "x"`, `selector: parse "a not in \"x\"": expected '{' after "not in", found string "x" at column 10`},
		{`a notin "x"`, `selector: parse "a notin \"x\"": expected '{' after "notin", found string "x" at column 9`},
		{`a in {`, `selector: parse "a in {": expected string or '}', found end of input at column 7`},
		{`a in {"x"`, `selector: parse "a in {\"x\"": expected ',' or '}', found end of input at column 10`},
		{`a in {"x" "y"}`, `selector: parse "a in {\"x\" \"y\"}": expected ',' or '}', found string "y" at column 11`},
		{`a in {"x",`, `selector: parse "a in {\"x\",": expected string or '}', found end of input at column 11`},
		{`a in {,}`, `selector: parse "a in {,}": expected string or '}', found ',' at column 7`},
		{`a in {"x",,}`, `selector: parse "a in {\"x\",,}": expected string or '}', found ',' at column 11`},
		{`a in {x}`, `selector: parse "a in {x}": expected string or '}', found label "x" at column 7`},
		{`a in {"x"]`, `selector: parse "a in {\"x\"]": unexpected character ']' at column 10`},
		{`a in {"x"} }`, `selector: parse "a in {\"x\"} }": expected "&&" or "||", found '}' at column 12`},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			t.Parallel()
			sel, err := selector.Parse(tc.in)
			require.EqualError(t, err, tc.want)
			require.Equal(t, selector.Selector{}, sel, "Parse returns the zero Selector on error")
			require.PanicsWithError(t, tc.want, func() { selector.MustParse(tc.in) })
		})
	}
}

func TestParseErrorFields(t *testing.T) {
	t.Parallel()
	in := `app == "ünï" && tier = "x"`
	_, err := selector.Parse(in)
	perr, ok := errors.AsType[*selector.ParseError](err)
	require.True(t, ok, "Parse(%q) error %T is not a *ParseError", in, err)
	// Column counts characters, not bytes: "ü" and "ï" are two bytes each.
	require.Equal(t, &selector.ParseError{Input: in, Column: 22, Msg: "unexpected character '='"}, perr)
}

func TestParseDepthLimit(t *testing.T) {
	t.Parallel()
	const limit = 1000
	nested := func(n int) string {
		return strings.Repeat("(", n) + "has(a)" + strings.Repeat(")", n)
	}
	sel, err := selector.Parse(nested(limit))
	require.NoError(t, err)
	require.Equal(t, "has(a)", sel.String())

	_, err = selector.Parse(nested(limit + 1))
	perr, ok := errors.AsType[*selector.ParseError](err)
	require.True(t, ok, "Parse error %T is not a *ParseError", err)
	require.Equal(t, limit+1, perr.Column)
	require.Equal(t, "parentheses nested deeper than 1000 levels", perr.Msg)

	// Sequential groups do not add up, and ! needs no parentheses.
	_, err = selector.Parse(strings.Repeat(nested(limit)+" && ", 3) + strings.Repeat("!", 100000) + "has(a)")
	require.NoError(t, err)
}

func TestMustParse(t *testing.T) {
	t.Parallel()
	require.Equal(t, `app == "web"`, selector.MustParse(`app=="web"`).String())
	require.Panics(t, func() { selector.MustParse(`app ==`) })
}

func BenchmarkParse(b *testing.B) {
	const in = `app == "web" && projectcalico.org/namespace in {"prod", "staging"} && (tier starts with "fe" || !has(canary))`
	b.ReportAllocs()
	for b.Loop() {
		if _, err := selector.Parse(in); err != nil {
			b.Fatal(err)
		}
	}
}
