package audit

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
)

// Status says how a finding compares with a baseline report.
type Status string

// The statuses of findings against a baseline.
const (
	// StatusNew: the baseline has no finding with this fingerprint.
	StatusNew Status = "new"
	// StatusUnchanged: the baseline has a finding with this fingerprint.
	StatusUnchanged Status = "unchanged"
	// StatusFixed: a finding of the baseline that the report no longer
	// has (see [Report.Fixed]).
	StatusFixed Status = "fixed"
)

// Baseline holds the findings of an earlier report, to mark each finding
// of a new one new or unchanged and list the fixed ones.
type Baseline struct {
	// Findings are the earlier report's findings, waived ones included.
	Findings []Finding
}

// ReadBaseline reads the JSON form of an earlier audit report (netreach
// audit -o json) named name. Its findings must carry fingerprints (any
// report of this version does); errors name the file and, for syntax
// errors, the line and column.
func ReadBaseline(name string, data []byte) (*Baseline, error) {
	var doc struct {
		Kind     string    `json:"kind"`
		Findings []Finding `json:"findings"`
		Waived   []Finding `json:"waived"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		if se, ok := errors.AsType[*json.SyntaxError](err); ok {
			line, col := lineCol(data, se.Offset-1) // Offset is just past the bad byte
			return nil, fmt.Errorf("%s:%d:%d: %v", name, line, col, err)
		}
		if te, ok := errors.AsType[*json.UnmarshalTypeError](err); ok {
			line, col := lineCol(data, te.Offset-1)
			return nil, fmt.Errorf("%s:%d:%d: %s: expected %s, got a JSON %s", name, line, col, te.Field, te.Type, te.Value)
		}
		return nil, fmt.Errorf("%s: %v", name, err)
	}
	if doc.Kind != "AuditReport" {
		return nil, fmt.Errorf("%s: kind %q: expected an AuditReport (netreach audit -o json)", name, doc.Kind)
	}
	b := &Baseline{Findings: append(doc.Findings, doc.Waived...)}
	for i, f := range b.Findings {
		if f.Fingerprint == "" {
			return nil, fmt.Errorf("%s: findings[%d] (%s): no fingerprint: the report was written by an older netreach; write the baseline again with this version", name, i, f.ID)
		}
	}
	return b, nil
}

// lineCol turns a byte offset into a 1-based line and column.
func lineCol(data []byte, off int64) (int, int) {
	off = min(max(off, 0), int64(len(data)))
	before := data[:off]
	line := bytes.Count(before, []byte("\n")) + 1
	col := int(off) - (bytes.LastIndexByte(before, '\n') + 1) + 1
	return line, col
}

// compare marks each finding new or unchanged and returns the baseline's
// findings that are gone, marked fixed.
func (b *Baseline) compare(active, waived []Finding) (fixed []Finding) {
	now := map[string]bool{}
	for _, fs := range [][]Finding{active, waived} {
		for i := range fs {
			now[fs[i].Fingerprint] = true
		}
	}
	before := map[string]bool{}
	for _, f := range b.Findings {
		before[f.Fingerprint] = true
		if !now[f.Fingerprint] {
			f.Status = StatusFixed
			fixed = append(fixed, f)
			now[f.Fingerprint] = true // once
		}
	}
	for _, fs := range [][]Finding{active, waived} {
		for i := range fs {
			fs[i].Status = StatusNew
			if before[fs[i].Fingerprint] {
				fs[i].Status = StatusUnchanged
			}
		}
	}
	return fixed
}

// fingerprints gives every finding a fingerprint that stays the same
// while the problem does: the kind's ID and what the finding is about —
// the merge group for the per-namespace kinds (one per kind, or per
// tenant pair), else the namespace, the policy (not the pods, which come
// and go) and the rule — never counts, names of pods or line numbers.
// Findings that share these get an ordinal, in order.
func (a *analysis) fingerprints(fs []Finding) {
	seen := map[string]int{}
	for i := range fs {
		f := &fs[i]
		key := f.ID
		if f.Kind == WaiverExpired {
			key += "\x00" + f.Message
		} else if g, ok := a.groupKey(f); ok {
			key += "\x00group\x00" + g
		} else {
			key += "\x00" + f.Namespace
			if len(f.Objects) > 0 && !isEndpointKind(f.Objects[0].Kind) {
				key += "\x00" + f.Objects[0].Key()
			}
			if f.Rule != nil {
				key += "\x00" + f.Rule.Direction.String() + "\x00" + strconv.Itoa(f.Rule.Index)
			}
			if n := seen[key]; n > 0 {
				seen[key]++
				key += "\x00#" + strconv.Itoa(n)
			} else {
				seen[key] = 1
			}
		}
		sum := sha256.Sum256([]byte(key))
		f.Fingerprint = f.ID + ":" + hex.EncodeToString(sum[:6])
	}
}
