package archtest

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// owners is the one-owner rule of docs/architecture.md: each table is read
// and written by one package only; the others ask it through an interface.
var owners = map[string]string{
	"territory": "roster", "regulation_number": "roster", "specialty": "roster", "practitioner": "roster",
	"enrolment": "roster", "shift": "roster", "override": "roster", "ident_failure": "roster",
	"ident_pair_failure": "roster", "calendar_feed": "roster", "calendar_event": "roster",

	"call": "calllog", "call_event": "calllog", "call_attempt": "calllog", "outcome": "calllog",
	"callback_request": "calllog", "call_stats_day": "calllog", "call_stats_wait": "calllog",
	"call_stats_hour": "calllog",

	"act_tariff": "billing",

	"sms_outbox": "notify", "outcome_link": "notify", "callback_link": "notify",

	"coordinator": "accounts", "coordinator_territory": "accounts", "console_session": "accounts",
	"login_attempt": "accounts", "audit_log": "accounts/journal",

	"controller_lease": "internal/lease",

	"schema_migrations": "migrations",
}

// sqlTable finds the tables a statement names where SQL names a table.
var sqlTable = regexp.MustCompile(`(?i)\b(?:from|join|into|update|table|on\s+conflict\s+on)\s+(?:only\s+)?([a-z_][a-z0-9_]*)`)

// sqlStatement tells SQL from prose: a literal must look like a statement.
var sqlStatement = regexp.MustCompile(`(?is)^\s*(select|insert|update|delete|with|copy|create|alter|drop|truncate|lock)\b`)

// tablesNamed lists, per package folder, the tables named in the SQL of its
// non-test files, each with one file that names it.
func tablesNamed(t *testing.T) map[string]map[string]string {
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
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, 0)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, filepath.Dir(path))
		rel = filepath.ToSlash(rel)
		ast.Inspect(f, func(n ast.Node) bool {
			lit, ok := n.(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				return true
			}
			s, err := strconv.Unquote(lit.Value)
			if err != nil || !sqlStatement.MatchString(s) {
				return true
			}
			for _, m := range sqlTable.FindAllStringSubmatch(s, -1) {
				table := strings.ToLower(m[1])
				if _, known := owners[table]; !known {
					continue
				}
				if out[rel] == nil {
					out[rel] = map[string]string{}
				}
				out[rel][table] = filepath.ToSlash(path)
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestOneOwnerPerTable(t *testing.T) {
	named := tablesNamed(t)
	pkgs := make([]string, 0, len(named))
	for pkg := range named {
		pkgs = append(pkgs, pkg)
	}
	sort.Strings(pkgs)
	for _, pkg := range pkgs {
		tables := make([]string, 0, len(named[pkg]))
		for table := range named[pkg] {
			tables = append(tables, table)
		}
		sort.Strings(tables)
		for _, table := range tables {
			if owner := owners[table]; owner != pkg {
				t.Errorf("%s names table %s in its SQL: only %s may read or write it (docs/architecture.md)", named[pkg][table], table, owner)
			}
		}
	}
}

// Every table of the schema has an owner in the table above.
func TestEveryTableHasAnOwner(t *testing.T) {
	created := regexp.MustCompile(`(?i)create\s+table\s+(?:if\s+not\s+exists\s+)?([a-z_][a-z0-9_]*)`)
	dropped := regexp.MustCompile(`(?i)drop\s+table\s+(?:if\s+exists\s+)?([a-z_][a-z0-9_]*)`)
	files, err := filepath.Glob(filepath.Join("..", "..", "migrations", "*.sql"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no migrations found: %v", err)
	}
	live := map[string]string{}
	for _, f := range files {
		b := readFile(t, f)
		for _, m := range created.FindAllStringSubmatch(b, -1) {
			live[strings.ToLower(m[1])] = f
		}
		for _, m := range dropped.FindAllStringSubmatch(b, -1) {
			delete(live, strings.ToLower(m[1]))
		}
	}
	for table, f := range live {
		if _, ok := owners[table]; !ok {
			t.Errorf("table %s (created in %s) has no owner in owners_test.go nor in docs/architecture.md", table, filepath.Base(f))
		}
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
