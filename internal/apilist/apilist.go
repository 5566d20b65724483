// Package apilist lists the exported API of the module's public packages,
// one declaration a line, for the API stability check: the listing is
// checked in (api/netreach.api) and a test fails with the lines added and
// removed when the exported API changes, so that every change to the
// public API is a deliberate diff in review.
//
// The listing reads the source with go/parser (no type checking): every
// exported function, method of an exported type, type, struct field,
// interface method, constant and variable of every package outside
// internal/, cmd/ and testdata/, with its signature or type as written.
package apilist

import (
	"bytes"
	"go/ast"
	"go/parser"
	"go/printer"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Listing is the exported API of a module.
type Listing struct {
	// Lines are "package-path: declaration", sorted.
	Lines []string
	// Identifiers counts exported functions, methods, types, constants
	// and variables; Fields counts exported struct fields and interface
	// methods.
	Identifiers, Fields int
}

// List reads the module rooted at root (module path module) and returns
// its exported API.
func List(root, module string) (*Listing, error) {
	var dirs []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			return nil
		}
		rel, _ := filepath.Rel(root, path)
		name := d.Name()
		if rel != "." && (name == "internal" || name == "cmd" || name == "testdata" || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_")) {
			return filepath.SkipDir
		}
		if rel != "." {
			if _, err := os.Stat(filepath.Join(path, "go.mod")); err == nil {
				return filepath.SkipDir // another module (examples/embed)
			}
		}
		dirs = append(dirs, path)
		return nil
	})
	if err != nil {
		return nil, err
	}
	out := &Listing{}
	seen := map[string]bool{}
	for _, dir := range dirs {
		rel, _ := filepath.Rel(root, dir)
		pkgPath := module
		if rel != "." {
			pkgPath += "/" + filepath.ToSlash(rel)
		}
		if err := listDir(dir, pkgPath, out, seen); err != nil {
			return nil, err
		}
	}
	slices.Sort(out.Lines)
	return out, nil
}

func listDir(dir, pkgPath string, out *Listing, seen map[string]bool) error {
	fset := token.NewFileSet()
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	add := func(field bool, format string, parts ...string) {
		line := pkgPath + ": " + format
		for _, p := range parts {
			line = strings.Replace(line, "%s", p, 1)
		}
		if seen[line] {
			return // the same declaration in files for other platforms
		}
		seen[line] = true
		out.Lines = append(out.Lines, line)
		if field {
			out.Fields++
		} else {
			out.Identifiers++
		}
	}
	str := func(n ast.Node) string {
		var b bytes.Buffer
		_ = printer.Fprint(&b, fset, n)
		return strings.Join(strings.Fields(b.String()), " ")
	}
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, filepath.Join(dir, name), nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		if f.Name.Name == "main" {
			return nil
		}
		for _, decl := range f.Decls {
			switch d := decl.(type) {
			case *ast.FuncDecl:
				if !d.Name.IsExported() {
					continue
				}
				sig := strings.TrimPrefix(str(d.Type), "func")
				if d.Recv == nil {
					add(false, "func %s%s", d.Name.Name, sig)
					continue
				}
				recv := str(d.Recv.List[0].Type)
				if base := strings.TrimLeft(recv, "*"); !ast.IsExported(strings.SplitN(base, "[", 2)[0]) {
					continue
				}
				add(false, "method (%s) %s%s", recv, d.Name.Name, sig)
			case *ast.GenDecl:
				for _, spec := range d.Specs {
					switch s := spec.(type) {
					case *ast.TypeSpec:
						if !s.Name.IsExported() {
							continue
						}
						listType(s, str, add)
					case *ast.ValueSpec:
						for _, n := range s.Names {
							if !n.IsExported() {
								continue
							}
							typ := ""
							if s.Type != nil {
								typ = " " + str(s.Type)
							}
							add(false, "%s %s%s", d.Tok.String(), n.Name, typ)
						}
					}
				}
			}
		}
	}
	return nil
}

// listType adds a type and its exported fields or interface methods.
func listType(s *ast.TypeSpec, str func(ast.Node) string, add func(bool, string, ...string)) {
	name := s.Name.Name
	if s.TypeParams != nil {
		name += str(s.TypeParams)
	}
	switch t := s.Type.(type) {
	case *ast.StructType:
		add(false, "type %s struct", name)
		for _, f := range t.Fields.List {
			if len(f.Names) == 0 { // embedded
				if n := strings.TrimLeft(str(f.Type), "*"); ast.IsExported(n[strings.LastIndexByte(n, '.')+1:]) {
					add(true, "field %s.%s (embedded)", s.Name.Name, str(f.Type))
				}
				continue
			}
			for _, n := range f.Names {
				if n.IsExported() {
					add(true, "field %s.%s %s", s.Name.Name, n.Name, str(f.Type))
				}
			}
		}
	case *ast.InterfaceType:
		add(false, "type %s interface", name)
		for _, m := range t.Methods.List {
			for _, n := range m.Names {
				if n.IsExported() {
					add(true, "method %s.%s%s", s.Name.Name, n.Name, strings.TrimPrefix(str(m.Type), "func"))
				}
			}
			if len(m.Names) == 0 {
				add(true, "embedded %s.%s", s.Name.Name, str(m.Type))
			}
		}
	default:
		eq := " "
		if s.Assign.IsValid() {
			eq = " = "
		}
		add(false, "type %s%s%s", name, eq, str(s.Type))
	}
}
