package main

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The README's run command: the demo must place its three calls and find
// each recorded as a person would expect.
func TestDemo(t *testing.T) {
	t.Chdir("../..")
	t.Setenv("REGUL_LOG_LEVEL", "info")
	// A Thursday afternoon, not the sample's Monday: the roster is moved
	// to that day, and the same people answer.
	out, err := runCLI(t, "demo", "--calls-only", "--speed", "50", "--at", "2026-12-03 15:22")
	if err != nil {
		t.Fatalf("demo: %v\n%s", err, out)
	}
	for _, want := range []string{
		"recorded: result bridged; attempt 1 (rank 1, 10002000015) accepted; outcome keyed teleexpertise within 24 h",
		"recorded: result bridged; attempt 1 (rank 1, 10002000015) no_answer; attempt 2 (rank 2, 10002000023) accepted; outcome keyed avis_seul",
		"recorded: result callback; attempt 1 (rank 1, 10002000049) busy; callback request open",
		"«Tapez 1 pour prendre l'appel, 2 pour refuser.»",
		"the line's clock reads Thursday 3 December 2026 15:22",
		"«Pour un avis en» (cut short by a key)",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("demo output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "coordinators' console:") {
		t.Errorf("--calls-only still offered the console:\n%s", out)
	}
	// The controller's log lines come after the timelines, never inside.
	finished := strings.Index(out, "demo finished")
	for _, level := range []string{"WARN", "ERROR", "INFO"} {
		if i := strings.Index(out, "\t"+level+"\t"); i >= 0 && i < finished {
			t.Errorf("a %s log line cuts the timelines:\n%s", level, out)
		}
	}
}

// Without --calls-only the demo keeps serving the console after the calls;
// Ctrl-C (the command's context ending) stops it with nothing left behind and
// no error, which the binary turns into exit 0. --console, deprecated, is
// still accepted.
func TestDemoServesConsoleUntilCancelled(t *testing.T) {
	t.Chdir("../..")
	tmp := privateTempDir(t)
	t.Setenv("REGUL_LOG_LEVEL", "error")
	t.Setenv("REGUL_CONSOLE_LISTEN", "127.0.0.1:0")

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	root := newRootCmd()
	pr, pw := io.Pipe()
	root.SetOut(pw)
	root.SetErr(pw)
	root.SetArgs([]string{"demo", "--console", "--speed", "50", "--at", "2026-11-23 10:00"})
	var runErr error
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		runErr = root.ExecuteContext(ctx)
		pw.Close()
	}()
	// On a failed check, stop the demo before its temporary directory goes.
	t.Cleanup(func() {
		cancel()
		pr.Close()
		<-finished
	})
	lines := make(chan string)
	var out strings.Builder
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()

	url := ""
	for url == "" {
		line, ok := <-lines
		if !ok {
			<-finished
			t.Fatalf("demo ended before offering the console: %v\n%s", runErr, out.String())
		}
		out.WriteString(line + "\n")
		if u, found := strings.CutPrefix(line, "coordinators' console: "); found {
			url = u
		}
	}
	// Keep the demo's writes flowing until it ends.
	drained := make(chan struct{})
	go func() {
		defer close(drained)
		for line := range lines {
			out.WriteString(line + "\n")
		}
	}()

	pid := postmasterPID(t, tmp)
	// As a browser asks for it: HTML, so the console sends it to its login page.
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	req.Header.Set("Accept", "text/html")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("console at %s: %v", url, err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Request.URL.Path != "/connexion" || !strings.Contains(string(body), "Se connecter") {
		t.Fatalf("console at %s answered %d at %s, want the login page:\n%s", url, resp.StatusCode, resp.Request.URL, body)
	}

	cancel()
	<-finished
	if runErr != nil {
		t.Fatalf("demo stopped with %v, want no error (exit 0)", runErr)
	}
	<-drained
	if !strings.Contains(out.String(), "Flag --console has been deprecated") {
		t.Errorf("--console not reported as deprecated:\n%s", out.String())
	}
	addr := strings.TrimSuffix(strings.TrimPrefix(url, "http://"), "/")
	if conn, err := net.Dial("tcp", addr); err == nil {
		conn.Close()
		t.Errorf("console still listening on %s after the demo ended", addr)
	}
	if left, _ := os.ReadDir(tmp); len(left) != 0 {
		t.Errorf("demo left %d entries in the temporary directory (first %s)", len(left), left[0].Name())
	}
	if processRunning(pid) {
		t.Errorf("PostgreSQL (pid %d) still running after the demo ended", pid)
	}
}

// privateTempDir makes the demo's temporary files land in a directory of the
// test's own, so that what it leaves behind can be counted. The cluster's
// parent must be traversable by the postgres user when tests run as root.
func privateTempDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "regul-demo-test-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("TMPDIR", dir)
	return dir
}

func postmasterPID(t *testing.T, tmp string) int {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(tmp, "regul-pg-*", "data", "postmaster.pid"))
	if len(files) != 1 {
		t.Fatalf("want one throwaway cluster under %s, found %d postmaster.pid", tmp, len(files))
	}
	b, err := os.ReadFile(files[0])
	if err != nil {
		t.Fatal(err)
	}
	first, _, _ := strings.Cut(string(b), "\n")
	pid, err := strconv.Atoi(strings.TrimSpace(first))
	if err != nil {
		t.Fatalf("postmaster.pid: %v", err)
	}
	return pid
}

// processRunning reads /proc: a zombie has exited and only waits for its
// parent (not this process) to reap it.
func processRunning(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if errors.Is(err, os.ErrNotExist) {
		return false
	}
	if err != nil {
		return true
	}
	// The state follows the command name, which is in parentheses.
	_, rest, _ := strings.Cut(string(b), ") ")
	return !strings.HasPrefix(rest, "Z")
}
