package realline

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/regul-sante/regul/internal/sounds"
	"github.com/regul-sante/regul/testkit/asterisktest"
	"github.com/regul-sante/regul/testkit/pgtest"
)

var (
	install *asterisktest.Install
	// gpCalls and legs count the calls made on the real Asterisk: GPs'
	// calls into the line, and the line's calls to specialists.
	gpCalls, legs atomic.Int64

	promptsOnce sync.Once
	promptsDir  string
	promptsErr  error
)

func TestMain(m *testing.M) {
	in, err := asterisktest.Find()
	if err != nil {
		if !errors.Is(err, asterisktest.ErrNotFound) {
			fmt.Fprintf(os.Stderr, "real-Asterisk tests: %v\n", err)
			os.Exit(1)
		}
		if os.Getenv("CI") == "true" {
			fmt.Fprintf(os.Stderr, "real-Asterisk tests: %v; under CI=true they must run: %s\n", err, asterisktest.HowToRun)
			os.Exit(1)
		}
		report("real-Asterisk tests skipped: %v; to run them, %s", err, asterisktest.HowToRun)
		os.Exit(0)
	}
	install = in
	// The calls wait on real time, not on the CPU: run more tests at once
	// than -parallel's default (GOMAXPROCS), unless told otherwise.
	flag.Parse()
	if !flagSet("test.parallel") {
		_ = flag.Set("test.parallel", "6")
	}
	code := pgtest.Run(m)
	if promptsDir != "" {
		os.RemoveAll(promptsDir)
	}
	report("real %s: %d calls made (%d GP calls into the line, %d calls to specialists)",
		in.Version, gpCalls.Load()+legs.Load(), gpCalls.Load(), legs.Load())
	os.Exit(code)
}

// EnvSummary names a file the summary line is appended to: `go test ./...`
// shows a passing package's output only with -v, so `make test` prints the
// file once the tests are over.
const EnvSummary = "REGUL_TEST_SUMMARY"

// report prints one summary line, and appends it to $REGUL_TEST_SUMMARY.
func report(format string, args ...any) {
	line := fmt.Sprintf(format, args...) + "\n"
	fmt.Print(line)
	if path := os.Getenv(EnvSummary); path != "" {
		f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			fmt.Fprintf(os.Stderr, "%s: %v\n", EnvSummary, err)
			return
		}
		defer f.Close()
		_, _ = f.WriteString(line)
	}
}

func flagSet(name string) bool {
	set := false
	flag.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

// prompts builds the line's sounds once per run (`regul prompts build`,
// with the sample roster's names read from q).
func prompts(t testing.TB, names sounds.Roster) string {
	t.Helper()
	promptsOnce.Do(func() {
		repo, err := asterisktest.RepoRoot()
		if err != nil {
			promptsErr = err
			return
		}
		if promptsDir, promptsErr = os.MkdirTemp("", "regul-prompts-"); promptsErr != nil {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		promptsErr = asterisktest.BuildPrompts(ctx, repo, promptsDir, names)
	})
	if promptsErr != nil {
		t.Fatalf("prompts: %v", promptsErr)
	}
	return promptsDir
}
