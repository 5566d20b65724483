package apilist

import (
	"go/parser"
	"go/token"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TestNoInternalTypesInAPI fails when an exported declaration of a public
// package names a type of an internal package (which users cannot name)
// or of go4.org/netipx (pre-1.0): the public API must stand on its own.
func TestNoInternalTypesInAPI(t *testing.T) {
	l, err := List("../..", "github.com/netreach/netreach")
	if err != nil {
		t.Fatal(err)
	}
	// The import names, per public package, of the packages its exported
	// declarations must not mention.
	banned := map[string][]string{}
	for _, line := range l.Lines {
		pkg, _, _ := strings.Cut(line, ": ")
		if _, done := banned[pkg]; done {
			continue
		}
		banned[pkg] = []string{}
		dir := filepath.Join("../..", strings.TrimPrefix(strings.TrimPrefix(pkg, "github.com/netreach/netreach"), "/"))
		entries, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			if !strings.HasSuffix(e.Name(), ".go") || strings.HasSuffix(e.Name(), "_test.go") {
				continue
			}
			f, err := parser.ParseFile(token.NewFileSet(), filepath.Join(dir, e.Name()), nil, parser.ImportsOnly)
			if err != nil {
				t.Fatal(err)
			}
			for _, imp := range f.Imports {
				p, _ := strconv.Unquote(imp.Path.Value)
				if !strings.Contains(p, "/internal/") && !strings.HasPrefix(p, "go4.org/netipx") {
					continue
				}
				name := path.Base(p)
				if imp.Name != nil {
					name = imp.Name.Name
				}
				banned[pkg] = append(banned[pkg], name)
			}
		}
	}
	for _, line := range l.Lines {
		pkg, decl, _ := strings.Cut(line, ": ")
		for _, name := range banned[pkg] {
			if regexp.MustCompile(`\b` + regexp.QuoteMeta(name) + `\.`).MatchString(decl) {
				t.Errorf("%s: an exported declaration names package %s (internal or pre-1.0): %s", pkg, name, decl)
			}
		}
	}
}
