package audit

import (
	"fmt"
	"slices"
	"strings"

	"github.com/netreach/netreach/internal/policy"
	"github.com/netreach/netreach/internal/selector"
)

// EmptyLabelValue: a selector of a policy compares a label with the empty
// string, which only labels set to "" satisfy: usually a template
// variable that rendered empty.
const EmptyLabelValue Kind = "empty-label-value"

func init() {
	registerKinds(KindInfo{"NR029", EmptyLabelValue, High, "Selector on an empty label value",
		"A selector of the policy requires a label to equal the empty string (client: \"\" in matchLabels, an In list holding \"\", client == \"\" in Calico). Only objects whose label is set to the empty value match it, so the selector most likely matches nothing, or something else than intended: the value is usually a template variable (Helm, Kustomize, envsubst) that rendered empty.",
		"Fill in the value: check the template variable that should have produced it (an unset Helm value, a missing environment variable) and render the manifest again."})
}

// emptyValueSelectorFindings reports each policy subject and rule peer
// whose selectors compare a label with the empty string (NR029), one
// finding per policy and place. Objects a Kyverno generate rule created
// are NR023's.
func (a *analysis) emptyValueSelectorFindings() []Finding {
	var out []Finding
	seen := map[string]bool{}
	add := func(l *policy.Lowered, r *policy.Rule, where string, keys []string) {
		if len(keys) == 0 {
			return
		}
		k := l.Ref.Key() + "\x00" + where
		if seen[k] {
			return
		}
		seen[k] = true
		quoted := make([]string, len(keys))
		for i, key := range keys {
			quoted[i] = key + `: ""`
		}
		f := newFinding(EmptyLabelValue, l.Ref.Namespace, fmt.Sprintf("%s: %s selects %s, which only a label set to the empty string matches: a template variable that rendered empty?",
			where, strings.Join(quoted, ", "), what(where)),
			fmt.Sprintf("Give %s its value: check the template variable that should have produced it and render the manifest again.", strings.Join(keys, ", ")))
		f.Objects = []policy.ObjectRef{l.Ref}
		f.Location = l.Ref.Source
		if r != nil {
			f.Location = r.Ref.Source
			f.Rule = ruleRef(r.Ref)
		}
		out = append(out, f)
	}
	for _, t := range a.prog.Tiers {
		for _, l := range t.Policies {
			if o := l.Ref.Origin; o != nil && o.Generated != nil {
				continue
			}
			s := &l.Subject
			add(l, nil, l.Ref.String()+" subject", emptyKeys(&s.Selector, s.NamespaceSelector, s.ServiceAccountSelector))
			for d := policy.Ingress; d <= policy.Egress; d++ {
				for ri := range l.Rules[d] {
					r := &l.Rules[d][ri]
					var keys []string
					for _, side := range []*policy.EntityMatch{&r.Src, &r.Dst} {
						for pi := range side.Peers {
							for _, id := range []*policy.Identity{side.Peers[pi].Identity, side.Peers[pi].NotIdentity} {
								if id != nil {
									keys = appendNew(keys, emptyKeys(id.Selector, id.NamespaceSelector, id.ServiceAccountSelector)...)
								}
							}
						}
					}
					add(l, r, ruleName(r.Ref)+" peer", keys)
				}
			}
		}
	}
	return out
}

func what(where string) string {
	if strings.HasSuffix(where, "subject") {
		return "the pods the policy applies to"
	}
	return "the peers of the rule"
}

// emptyKeys returns the label keys the selectors compare with the empty
// string (== "" or in a set holding "").
func emptyKeys(sels ...*selector.Selector) []string {
	var keys []string
	var walk func(e selector.Expr)
	walk = func(e selector.Expr) {
		switch e.Op {
		case selector.OpEq, selector.OpIn:
			for _, v := range e.Values {
				if v == "" {
					keys = appendNew(keys, e.Key)
				}
			}
		}
		for _, x := range e.Args {
			walk(x)
		}
	}
	for _, s := range sels {
		if s != nil {
			walk(s.Expr())
		}
	}
	return keys
}

// hasEmptyValue reports whether the identity's selectors compare a label
// with the empty string.
func hasEmptyValue(id *policy.Identity) bool {
	return len(emptyKeys(id.Selector, id.NamespaceSelector, id.ServiceAccountSelector)) > 0
}

func appendNew(xs []string, ys ...string) []string {
	for _, y := range ys {
		if !slices.Contains(xs, y) {
			xs = append(xs, y)
		}
	}
	return xs
}
