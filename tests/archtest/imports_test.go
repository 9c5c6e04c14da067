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
		module + "bridge", module + "console", module + "testkit/", module + "wiring", module + "cmd/"}
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
		"accounts": true, "internal/config": true, "internal/sounds": true, "internal/lease": true}
	for pkg, imps := range imports(t) {
		for imp, file := range imps {
			switch {
			case strings.HasPrefix(imp, module+"cmd/"):
				t.Errorf("%s imports %s: nothing imports the binary", file, imp)
			case imp == module+"wiring" && !strings.HasPrefix(pkg, "cmd/") && !strings.HasPrefix(pkg, "tests/"):
				t.Errorf("%s imports %s: only the binary (and the suites that run the line) import the wiring", file, imp)
			case domain[pkg] && (imp == module+"console" || imp == module+"bridge" || imp == module+"wiring" ||
				strings.HasPrefix(imp, module+"testkit/") || strings.HasPrefix(imp, module+"tests/")):
				t.Errorf("%s imports %s: a domain package knows no console, ARI adapter, wiring or test kit", file, imp)
			case domain[pkg] && pkg != "notify" && (imp == "net/http" || strings.HasPrefix(imp, "net/http/")):
				// notify is a client of Twilio's HTTP API; serving HTTP is the console's
				t.Errorf("%s imports %s: no domain package knows HTTP", file, imp)
			}
		}
	}
}

// The product never runs on a test kit: only the binary (whose demo runs on
// the emulator), the suites and the kits themselves import testkit/.
func TestProductUsesNoTestKit(t *testing.T) {
	for pkg, imps := range imports(t) {
		if strings.HasPrefix(pkg, "cmd/") || strings.HasPrefix(pkg, "tests/") || strings.HasPrefix(pkg, "testkit/") {
			continue
		}
		for imp, file := range imps {
			if strings.HasPrefix(imp, module+"testkit/") || strings.HasPrefix(imp, module+"tests/") {
				t.Errorf("%s imports %s: the product must not depend on a test kit or the emulator", file, imp)
			}
		}
	}
}

// The console reaches data through its owners' methods, never through SQL
// of its own.
func TestConsoleHoldsNoSQL(t *testing.T) {
	for imp, file := range imports(t)["console"] {
		if strings.HasPrefix(imp, "github.com/jackc/pgx") || imp == "database/sql" {
			t.Errorf("%s imports %s: the console asks the tables' owners, it holds no SQL", file, imp)
		}
	}
}

// The call script's whole dependency closure stays free of the database
// driver, password hashing, calendars and SMS: reading the script never
// leads into them, and it builds and tests without them.
func TestCallScriptClosureIsPure(t *testing.T) {
	all := imports(t)
	forbidden := []string{"github.com/jackc/pgx", "golang.org/x/crypto", "github.com/arran4/golang-ical",
		"github.com/twilio/", "github.com/CyCoreSystems/", "net/http"}
	seen := map[string]bool{}
	var walk func(pkg, via string)
	walk = func(pkg, via string) {
		if seen[pkg] {
			return
		}
		seen[pkg] = true
		for imp, file := range all[pkg] {
			for _, f := range forbidden {
				if strings.HasPrefix(imp, f) {
					t.Errorf("ivr depends on %s through %s (%s)", imp, via+pkg, file)
				}
			}
			if strings.HasPrefix(imp, module) {
				walk(strings.TrimPrefix(imp, module), via+pkg+" → ")
			}
		}
	}
	walk("ivr", "")
}
