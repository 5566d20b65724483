package reachability

// SetHoleLimits replaces, until restore is called, the number of holes
// classes keep at most and the room appended with new classes (see
// holes.go), so that tests reach compaction and growth on small clusters.
func SetHoleLimits(limit, slack func(slots int) int) (restore func()) {
	l, s := holeLimit, growSlack
	holeLimit, growSlack = limit, slack
	return func() { holeLimit, growSlack = l, s }
}

// FactsAgree reports whether the endpoint facts m's engine keeps for
// updates are those of its snapshot.
func FactsAgree(m *Matrix) bool { return m.engine == nil || m.engine.facts == factsOf(m.snap) }
