package selector

import (
	"fmt"
	"slices"
	"strconv"
	"unicode/utf8"
)

// Limits of the Calico selector language.
const (
	// maxLabelLen is the longest label name the Calico tokenizer accepts
	// (its LabelKeyMatcher is `[a-zA-Z0-9_./-]{1,512}`).
	maxLabelLen = 512
	// maxDepth bounds the nesting of parentheses, so that a hostile input
	// cannot exhaust the stack of Parse, String or Matches. Calico has no
	// such limit; real selectors nest a handful of levels.
	maxDepth = 1000
)

// ParseError describes a selector that [Parse] rejected. Column lets a
// caller that knows where the selector text starts (a YAML loader, say)
// point at the exact character.
type ParseError struct {
	Input  string // the selector text, as given to Parse
	Column int    // 1-based position of the problem, counted in characters (runes)
	Msg    string // what went wrong, such as `expected ')'`, without the position
}

// Error returns the message in the form
// `selector: parse "<input>": <msg> at column <n>`.
func (e *ParseError) Error() string {
	return "selector: parse " + strconv.Quote(e.Input) + ": " + e.Msg + " at column " + strconv.Itoa(e.Column)
}

// Parse reads a selector in the Calico selector language, for example
//
//	app == "web" && (tier in {"a", "b"} || !has(canary))
//
// The grammar is Calico's (libcalico-go/lib/selector tokenizer and parser):
//
//   - comparisons `k == "v"`, `k != "v"`, `k contains "s"`,
//     `k starts with "s"` (or `startswith`), `k ends with "s"` (or
//     `endswith`), `k in {"a", "b"}` and `k not in {…}` (or `notin`); a set
//     may be empty and may end with a comma;
//   - `has(k)`, `all()` and `global()`;
//   - `!`, `&&` and `||`, binding in that order from tightest to loosest,
//     and parentheses;
//   - strings in double or single quotes, with no escapes;
//   - label names of 1 to 512 characters from [A-Za-z0-9_./-], so that
//     prefixed keys such as projectcalico.org/name need no quoting;
//   - only space and tab count as white space. A keyword must not run into
//     a following label character: `a inx {}` is an error.
//
// The empty string, or one of only white space, is `all()`.
//
// Parse normalises what the grammar leaves open, so that [Selector.String]
// gives one canonical spelling and Parse(s.String()) is equal to s: nested
// `&&` and `||` chains are flattened, redundant parentheses and pairs of
// `!` are dropped, and the values of a set are sorted with duplicates
// removed. None of this changes which label sets match.
//
// On failure the error is a [*ParseError]; Parse never panics. It runs in
// time linear in len(s), apart from sorting the values of each set.
func Parse(s string) (Selector, error) {
	p := parser{in: s}
	if err := p.advance(); err != nil {
		return Selector{}, err
	}
	if p.tok.kind == tokEOF {
		return Selector{}, nil
	}
	n, err := p.parseOr()
	if err != nil {
		return Selector{}, err
	}
	if p.tok.kind != tokEOF {
		return Selector{}, p.unexpected(`"&&" or "||"`)
	}
	if _, ok := n.(allNode); ok {
		// all() is the zero Selector, so that Parse("") and Parse("all()")
		// are equal.
		return Selector{}, nil
	}
	return Selector{root: n}, nil
}

// MustParse is like [Parse] but panics if s is not a valid selector. It is
// meant for tests and package-level variables.
func MustParse(s string) Selector {
	sel, err := Parse(s)
	if err != nil {
		panic(err)
	}
	return sel
}

// tokKind is the kind of a token.
type tokKind uint8

const (
	tokEOF    tokKind = iota
	tokWord           // a run of label characters: a label or a keyword
	tokString         // a quoted string; text is the contents
	tokLParen         // (
	tokRParen         // )
	tokLBrace         // {
	tokRBrace         // }
	tokComma          // ,
	tokEq             // ==
	tokNe             // !=
	tokNot            // !
	tokAnd            // &&
	tokOr             // ||
)

// tokText spells the punctuation tokens for error messages.
var tokText = [...]string{
	tokLParen: "'('",
	tokRParen: "')'",
	tokLBrace: "'{'",
	tokRBrace: "'}'",
	tokComma:  "','",
	tokEq:     `"=="`,
	tokNe:     `"!="`,
	tokNot:    "'!'",
	tokAnd:    `"&&"`,
	tokOr:     `"||"`,
}

// token is one lexical token; pos and end are byte offsets into the input.
type token struct {
	kind tokKind
	pos  int
	end  int
	text string
}

// parser is a recursive-descent parser over a lexer that produces one
// token of lookahead at a time, so errors come out in input order.
type parser struct {
	in    string
	off   int   // byte offset of the next unread character
	tok   token // the current token
	depth int   // open parentheses
}

// isLabelChar reports whether c may appear in a label name.
func isLabelChar(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		c == '_' || c == '.' || c == '/' || c == '-'
}

// advance reads the next token into p.tok.
func (p *parser) advance() error {
	in := p.in
	i := p.off
	for i < len(in) && (in[i] == ' ' || in[i] == '\t') {
		i++
	}
	start := i
	kind := tokEOF
	text := ""
	switch {
	case i == len(in):
	case isLabelChar(in[i]):
		for i < len(in) && isLabelChar(in[i]) {
			i++
		}
		kind, text = tokWord, in[start:i]
	case in[i] == '"' || in[i] == '\'':
		q := in[i]
		i++
		for i < len(in) && in[i] != q {
			i++
		}
		if i == len(in) {
			return p.errorAt(start, "unterminated string")
		}
		kind, text = tokString, in[start+1:i]
		i++
	default:
		kind, i = p.punct(i)
		if kind == tokEOF {
			return p.errorAt(start, unexpectedChar(in[start:]))
		}
	}
	p.tok = token{kind: kind, pos: start, end: i, text: text}
	p.off = i
	return nil
}

// punct lexes the punctuation token at in[i], returning its kind and end,
// or tokEOF if there is none.
func (p *parser) punct(i int) (tokKind, int) {
	in := p.in
	two := func(second byte) bool { return i+1 < len(in) && in[i+1] == second }
	switch in[i] {
	case '(':
		return tokLParen, i + 1
	case ')':
		return tokRParen, i + 1
	case '{':
		return tokLBrace, i + 1
	case '}':
		return tokRBrace, i + 1
	case ',':
		return tokComma, i + 1
	case '!':
		if two('=') {
			return tokNe, i + 2
		}
		return tokNot, i + 1
	case '=':
		if two('=') {
			return tokEq, i + 2
		}
	case '&':
		if two('&') {
			return tokAnd, i + 2
		}
	case '|':
		if two('|') {
			return tokOr, i + 2
		}
	}
	return tokEOF, i
}

// unexpectedChar describes the first character of s, which is not valid
// at the start of a token.
func unexpectedChar(s string) string {
	r, size := utf8.DecodeRuneInString(s)
	if r == utf8.RuneError && size <= 1 {
		return fmt.Sprintf("unexpected byte 0x%02x", s[0])
	}
	return fmt.Sprintf("unexpected character %q", r)
}

// errorAt returns a ParseError for the byte offset off.
func (p *parser) errorAt(off int, msg string) *ParseError {
	return &ParseError{Input: p.in, Column: utf8.RuneCountInString(p.in[:off]) + 1, Msg: msg}
}

// unexpected reports that the current token is not what the grammar needs
// here.
func (p *parser) unexpected(what string) *ParseError {
	return p.errorAt(p.tok.pos, "expected "+what+", found "+describe(p.tok))
}

// describe names a token for error messages.
func describe(t token) string {
	switch t.kind {
	case tokEOF:
		return "end of input"
	case tokWord:
		return "label " + strconv.Quote(t.text)
	case tokString:
		return "string " + strconv.Quote(t.text)
	}
	return tokText[t.kind]
}

// parseOr parses `and_expr ( "||" and_expr )*`.
func (p *parser) parseOr() (node, error) {
	x, err := p.parseAnd()
	if err != nil || p.tok.kind != tokOr {
		return x, err
	}
	xs := appendOr(nil, x)
	for p.tok.kind == tokOr {
		if err := p.advance(); err != nil {
			return nil, err
		}
		if x, err = p.parseAnd(); err != nil {
			return nil, err
		}
		xs = appendOr(xs, x)
	}
	return orNode{xs}, nil
}

// parseAnd parses `unary ( "&&" unary )*`.
func (p *parser) parseAnd() (node, error) {
	x, err := p.parseUnary()
	if err != nil || p.tok.kind != tokAnd {
		return x, err
	}
	xs := appendAnd(nil, x)
	for p.tok.kind == tokAnd {
		if err := p.advance(); err != nil {
			return nil, err
		}
		if x, err = p.parseUnary(); err != nil {
			return nil, err
		}
		xs = appendAnd(xs, x)
	}
	return andNode{xs}, nil
}

// appendAnd appends x to the operands of an `&&` chain, splicing in x's
// own operands when x is itself a chain, as in `a && (b && c)`.
func appendAnd(xs []node, x node) []node {
	if c, ok := x.(andNode); ok {
		return append(xs, c.xs...)
	}
	return append(xs, x)
}

// appendOr is appendAnd for `||` chains.
func appendOr(xs []node, x node) []node {
	if c, ok := x.(orNode); ok {
		return append(xs, c.xs...)
	}
	return append(xs, x)
}

// parseUnary parses `"!"* primary`. Calico collapses a run of `!` to its
// parity; so does Parse, and it also cancels a `!` against a negated
// parenthesised operand, as in `!(!a)`.
func (p *parser) parseUnary() (node, error) {
	neg := false
	for p.tok.kind == tokNot {
		neg = !neg
		if err := p.advance(); err != nil {
			return nil, err
		}
	}
	x, err := p.parsePrimary()
	if err != nil || !neg {
		return x, err
	}
	if n, ok := x.(notNode); ok {
		return n.x, nil
	}
	return notNode{x}, nil
}

// parsePrimary parses a parenthesised expression, a function call or a
// comparison.
func (p *parser) parsePrimary() (node, error) {
	switch p.tok.kind {
	case tokLParen:
		return p.parseParen()
	case tokWord:
		// has(, all( and global( are keywords only when the parenthesis
		// follows at once; otherwise the word is a label.
		if p.tok.end < len(p.in) && p.in[p.tok.end] == '(' {
			switch p.tok.text {
			case "has", "all", "global":
				return p.parseCall()
			}
		}
		return p.parseComparison()
	}
	return nil, p.unexpected("expression")
}

// parseParen parses `"(" or_expr ")"`.
func (p *parser) parseParen() (node, error) {
	if p.depth >= maxDepth {
		return nil, p.errorAt(p.tok.pos, "parentheses nested deeper than "+strconv.Itoa(maxDepth)+" levels")
	}
	p.depth++
	if err := p.advance(); err != nil {
		return nil, err
	}
	x, err := p.parseOr()
	if err != nil {
		return nil, err
	}
	if p.tok.kind != tokRParen {
		return nil, p.unexpected("')'")
	}
	p.depth--
	return x, p.advance()
}

// parseCall parses `has(label)`, `all()` or `global()`; the current token
// is the function name, which the '(' follows directly.
func (p *parser) parseCall() (node, error) {
	name := p.tok.text
	if err := p.advance(); err != nil { // the name
		return nil, err
	}
	if err := p.advance(); err != nil { // the '('
		return nil, err
	}
	var x node
	switch name {
	case "has":
		key, err := p.label(`label after "has("`)
		if err != nil {
			return nil, err
		}
		x = hasNode{key: key}
	case "all":
		x = allNode{}
	case "global":
		x = globalNode{}
	}
	if p.tok.kind != tokRParen {
		return nil, p.unexpected(`')' to close "` + name + `("`)
	}
	return x, p.advance()
}

// label consumes a label name; what names it in the error if there is none.
func (p *parser) label(what string) (string, error) {
	if p.tok.kind != tokWord {
		return "", p.unexpected(what)
	}
	key := p.tok.text
	if len(key) > maxLabelLen {
		return "", p.errorAt(p.tok.pos, "label longer than "+strconv.Itoa(maxLabelLen)+" characters")
	}
	return key, p.advance()
}

// parseComparison parses `label comparison`.
func (p *parser) parseComparison() (node, error) {
	key, err := p.label("label")
	if err != nil {
		return nil, err
	}
	var op cmpOp
	var opName string
	switch p.tok.kind {
	case tokEq:
		op, opName = opEq, "=="
	case tokNe:
		op, opName = opNe, "!="
	case tokWord:
		switch p.tok.text {
		case "contains":
			op, opName = opContains, "contains"
		case "startswith":
			op, opName = opStartsWith, "starts with"
		case "endswith":
			op, opName = opEndsWith, "ends with"
		case "starts":
			op, opName = opStartsWith, "starts with"
			if err := p.keyword("with", `"with" after "starts"`); err != nil {
				return nil, err
			}
		case "ends":
			op, opName = opEndsWith, "ends with"
			if err := p.keyword("with", `"with" after "ends"`); err != nil {
				return nil, err
			}
		case "in":
			return p.parseSet(key, false, "in")
		case "notin":
			return p.parseSet(key, true, "notin")
		case "not":
			if err := p.keyword("in", `"in" after "not"`); err != nil {
				return nil, err
			}
			return p.parseSet(key, true, "not in")
		default:
			return nil, p.unexpected("operator after label " + strconv.Quote(key))
		}
	default:
		return nil, p.unexpected("operator after label " + strconv.Quote(key))
	}
	if err := p.advance(); err != nil { // the operator
		return nil, err
	}
	if p.tok.kind != tokString {
		return nil, p.unexpected("string after " + strconv.Quote(opName))
	}
	value := p.tok.text
	return cmpNode{key: key, op: op, value: value}, p.advance()
}

// keyword consumes the current token, the first word of a two-word
// operator, and then requires the word w; what is the error's expectation.
func (p *parser) keyword(w, what string) error {
	if err := p.advance(); err != nil {
		return err
	}
	if p.tok.kind != tokWord || p.tok.text != w {
		return p.unexpected(what)
	}
	return nil
}

// parseSet parses the set after `in` or `not in`; the current token is the
// operator's last word, spelled opName.
func (p *parser) parseSet(key string, neg bool, opName string) (node, error) {
	if err := p.advance(); err != nil {
		return nil, err
	}
	if p.tok.kind != tokLBrace {
		return nil, p.unexpected("'{' after " + strconv.Quote(opName))
	}
	if err := p.advance(); err != nil {
		return nil, err
	}
	var values []string
	for p.tok.kind != tokRBrace {
		if p.tok.kind != tokString {
			return nil, p.unexpected("string or '}'")
		}
		values = append(values, p.tok.text)
		if err := p.advance(); err != nil {
			return nil, err
		}
		switch p.tok.kind {
		case tokComma:
			if err := p.advance(); err != nil {
				return nil, err
			}
		case tokRBrace:
		default:
			return nil, p.unexpected("',' or '}'")
		}
	}
	slices.Sort(values)
	values = slices.Clip(slices.Compact(values))
	return setNode{key: key, neg: neg, values: values}, p.advance()
}
