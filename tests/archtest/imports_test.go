// Package archtest holds the import rules of docs/architecture.md: a
// dependency that breaks one fails here, naming the file.
package archtest

import (
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/regul-sante/regul/"

// imports maps each package folder (relative to the repository) to the
// imports of its non-test files, each with the file that makes it.
func imports(t *testing.T) map[string]map[string]string {
	t.Helper()
	root := filepath.Join("..", "..")
	out := map[string]map[string]string{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata") && path != root {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, filepath.Dir(path))
		rel = filepath.ToSlash(rel)
		if out[rel] == nil {
			out[rel] = map[string]string{}
		}
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			out[rel][p] = filepath.ToSlash(path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// Only bridge speaks ARI through ari/v5; the baselines that measure regul
// against a bare ari/v5 program are the one exception, and say so in
// their names.
func TestOnlyBridgeImportsARI(t *testing.T) {
	for pkg, imps := range imports(t) {
		if pkg == "bridge" || strings.Contains(pkg, "bare") {
			continue
		}
		for imp, file := range imps {
			if strings.HasPrefix(imp, "github.com/CyCoreSystems/ari") {
				t.Errorf("%s imports %s: only bridge may speak ARI", file, imp)
			}
		}
	}
}

// The call script knows no ARI, SQL, HTTP, nor the binary's wiring.
func TestCallScriptStaysPure(t *testing.T) {
	forbidden := []string{"github.com/CyCoreSystems/", "github.com/jackc/pgx", "net/http",
		module + "bridge", module + "web", module + "arisim", module + "wiring", module + "cmd/"}
	for imp, file := range imports(t)["ivr"] {
		for _, f := range forbidden {
			if strings.HasPrefix(imp, f) {
				t.Errorf("%s imports %s: the call script must not", file, imp)
			}
		}
	}
}

// Dependencies point one way: nothing imports the binary or the wiring,
// and no domain package imports the console or the ARI adapter.
func TestOneDirection(t *testing.T) {
	domain := map[string]bool{"ivr": true, "roster": true, "calllog": true, "billing": true, "notify": true,
		"coordinator": true, "config": true, "sounds": true}
	for pkg, imps := range imports(t) {
		for imp, file := range imps {
			switch {
			case strings.HasPrefix(imp, module+"cmd/"):
				t.Errorf("%s imports %s: nothing imports the binary", file, imp)
			case imp == module+"wiring" && !strings.HasPrefix(pkg, "cmd/") && pkg != "tests/realline":
				t.Errorf("%s imports %s: only the binary (and the suites that run the line) import the wiring", file, imp)
			case domain[pkg] && (imp == module+"web" || imp == module+"bridge" || imp == module+"arisim"):
				t.Errorf("%s imports %s: a domain package knows no console, ARI adapter or emulator", file, imp)
			}
		}
	}
}
