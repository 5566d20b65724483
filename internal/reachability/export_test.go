package reachability

// SetHoleLimits replaces, until restore is called, the number of holes
// classes keep at most and the room appended with new classes (see
// holes.go), so that tests reach compaction and growth on small clusters.
func SetHoleLimits(limit, slack func(slots int) int) (restore func()) {
	l, s := holeLimit, growSlack
	holeLimit, growSlack = limit, slack
	return func() { holeLimit, growSlack = l, s }
}
