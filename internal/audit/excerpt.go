package audit

import (
	"bytes"
	"os"
	"strings"
)

// Excerpt is a few lines of an input file around a finding's location,
// so that a reader sees the rule or field to change without opening the
// file.
type Excerpt struct {
	File string `json:"file"`
	// Start is the 1-based number of the first of Lines.
	Start int `json:"start"`
	// Line is the 1-based number of the located line, within Lines.
	Line  int      `json:"line"`
	Lines []string `json:"lines"`
}

// Bounds of excerpts: the lines around the location, the longest line
// kept (longer ones are cut), and the largest file read.
const (
	excerptContext = 3
	excerptWidth   = 200
	excerptMaxFile = 16 << 20
)

// excerpts reads the input files the findings' locations name, once
// each, and sets each finding's excerpt. Standard input ("-") and files
// that cannot be read (moved since loading, too large) get none.
func excerpts(fs []Finding) {
	files := map[string][][]byte{}
	for i := range fs {
		l := fs[i].PrimaryLocation()
		if !l.IsValid() || l.Line < 1 || l.File == "-" {
			continue
		}
		lines, ok := files[l.File]
		if !ok {
			if st, err := os.Stat(l.File); err == nil && st.Mode().IsRegular() && st.Size() <= excerptMaxFile {
				if data, err := os.ReadFile(l.File); err == nil {
					lines = bytes.Split(data, []byte("\n"))
				}
			}
			files[l.File] = lines
		}
		if l.Line > len(lines) {
			continue
		}
		start, end := max(1, l.Line-excerptContext), min(len(lines), l.Line+excerptContext)
		for end > l.Line && len(bytes.TrimSpace(lines[end-1])) == 0 {
			end--
		}
		x := &Excerpt{File: l.File, Start: start, Line: l.Line}
		for _, b := range lines[start-1 : end] {
			s := strings.TrimRight(string(b), "\r")
			if len(s) > excerptWidth {
				s = strings.ToValidUTF8(s[:excerptWidth], "") + "…"
			}
			x.Lines = append(x.Lines, s)
		}
		fs[i].Excerpt = x
	}
}
