package asterisktest

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// Config is one instance to start.
type Config struct {
	Name string // "line", "operator": names its folder and log lines
	// Files are written into its etc folder (pjsip.conf, extensions.conf…)
	// besides the asterisk.conf, modules.conf, logger.conf and
	// indications.conf the harness writes.
	Files map[string][]byte
	// Sounds are extra sound folders, linked under data/sounds/<key>
	// (e.g. "fr/regul" → the built prompts).
	Sounds map[string]string
	// MOH files are written into data/moh (empty: an empty moh folder).
	MOH map[string][]byte
	// HTTPPort serves ARI (http.conf must say the same); ARIUser/ARIPass
	// are an account of its ari.conf the harness uses to see it is up.
	HTTPPort         int
	ARIUser, ARIPass string
}

// Instance is a running private Asterisk.
type Instance struct {
	t       testing.TB
	in      *Install
	cfg     Config
	Dir     string
	etc     string
	logPath string

	mu   sync.Mutex
	cmd  *exec.Cmd
	exit chan struct{}
}

// Start writes the instance's folder and starts it in the foreground; it
// returns once ARI answers. Cleanup stops it and, when the test failed,
// prints the end of its log.
func Start(t testing.TB, in *Install, cfg Config) *Instance {
	t.Helper()
	dir := t.TempDir()
	i := &Instance{t: t, in: in, cfg: cfg, Dir: dir, etc: filepath.Join(dir, "etc"), logPath: filepath.Join(dir, "asterisk.log")}
	if err := i.layout(); err != nil {
		t.Fatalf("asterisk %s: lay out %s: %v", cfg.Name, dir, err)
	}
	t.Cleanup(func() {
		i.Stop()
		if t.Failed() {
			t.Logf("asterisk %s: end of its log (%s):\n%s", cfg.Name, i.logPath, i.LogTail(80))
		}
	})
	if err := i.start(); err != nil {
		t.Fatalf("asterisk %s: %v\n%s", cfg.Name, err, i.LogTail(40))
	}
	return i
}

// ARI returns a client on the instance's ARI with the given account.
func (i *Instance) ARI(user, pass string) *ARI {
	return &ARI{Base: fmt.Sprintf("http://127.0.0.1:%d/ari", i.cfg.HTTPPort), User: user, Pass: pass}
}

// URL is the instance's ARI base URL.
func (i *Instance) URL() string { return fmt.Sprintf("http://127.0.0.1:%d/ari", i.cfg.HTTPPort) }

func (i *Instance) layout() error {
	data := filepath.Join(i.Dir, "data")
	for _, d := range []string{"etc", "run", "log", "spool/recording", "db", "cache", "data/keys", "data/moh", "data/sounds/fr"} {
		if err := os.MkdirAll(filepath.Join(i.Dir, d), 0o755); err != nil {
			return err
		}
	}
	for _, d := range []string{"documentation", "rest-api"} {
		if err := os.Symlink(filepath.Join(i.in.DataDir, d), filepath.Join(data, d)); err != nil {
			return err
		}
	}
	if i.in.FrenchSounds != "" {
		entries, err := os.ReadDir(i.in.FrenchSounds)
		if err != nil {
			return err
		}
		for _, e := range entries {
			if err := os.Symlink(filepath.Join(i.in.FrenchSounds, e.Name()), filepath.Join(data, "sounds/fr", e.Name())); err != nil {
				return err
			}
		}
	}
	for key, src := range i.cfg.Sounds {
		dst := filepath.Join(data, "sounds", key)
		_ = os.Remove(dst)
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		if err := os.Symlink(src, dst); err != nil {
			return err
		}
	}
	for name, b := range i.cfg.MOH {
		if err := os.WriteFile(filepath.Join(data, "moh", name), b, 0o644); err != nil {
			return err
		}
	}
	files := map[string][]byte{
		"asterisk.conf":    []byte(asteriskConf(i.Dir)),
		"modules.conf":     []byte(modulesConf),
		"logger.conf":      []byte(loggerConf),
		"indications.conf": []byte(indicationsConf),
	}
	for name, b := range i.cfg.Files {
		files[name] = b
	}
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(i.etc, name), b, 0o644); err != nil {
			return err
		}
	}
	return nil
}

func (i *Instance) confPath() string { return filepath.Join(i.etc, "asterisk.conf") }

// start runs asterisk -f and waits for "Asterisk Ready." in its output,
// then for ARI to answer.
func (i *Instance) start() error {
	logf, err := os.OpenFile(i.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	cmd := exec.Command(i.in.Binary, "-f", "-n", "-vvv", "-C", i.confPath())
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		logf.Close()
		return err
	}
	cmd.Stderr = logf
	if err := cmd.Start(); err != nil {
		logf.Close()
		return fmt.Errorf("start %s: %w", i.in.Binary, err)
	}
	ready, exit := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(exit)
		defer logf.Close()
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 64*1024), 1024*1024)
		signalled := false
		for sc.Scan() {
			line := sc.Text()
			fmt.Fprintln(logf, line)
			if !signalled && strings.Contains(line, "Asterisk Ready") {
				signalled = true
				close(ready)
			}
		}
		_ = cmd.Wait()
	}()
	i.mu.Lock()
	i.cmd, i.exit = cmd, exit
	i.mu.Unlock()
	select {
	case <-ready:
	case <-exit:
		return fmt.Errorf("asterisk exited during start")
	case <-time.After(30 * time.Second):
		return fmt.Errorf("not ready within 30 s")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := i.ARI(i.cfg.ARIUser, i.cfg.ARIPass).Do(ctx, "GET", "/asterisk/info", nil, nil); err != nil {
		return fmt.Errorf("ARI does not answer once ready: %w", err)
	}
	return nil
}

// CLI runs one CLI command on the instance (asterisk -rx).
func (i *Instance) CLI(command string) (string, error) {
	out, err := exec.Command(i.in.Binary, "-C", i.confPath(), "-rx", command).CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("asterisk %s -rx %q: %w: %s", i.cfg.Name, command, err, out)
	}
	return string(out), nil
}

// Stop stops the instance (core stop now, then a kill after 10 s).
func (i *Instance) Stop() {
	i.mu.Lock()
	cmd, exit := i.cmd, i.exit
	i.cmd = nil
	i.mu.Unlock()
	if cmd == nil {
		return
	}
	_, _ = i.CLI("core stop now")
	select {
	case <-exit:
	case <-time.After(10 * time.Second):
		_ = cmd.Process.Kill()
		<-exit
	}
}

// Restart stops the instance and starts it again on the same folder and ports.
func (i *Instance) Restart() error {
	i.Stop()
	return i.start()
}

// LogTail returns the last n lines of the instance's log.
func (i *Instance) LogTail(n int) string {
	b, err := os.ReadFile(i.logPath)
	if err != nil {
		return err.Error()
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

var handedOut sync.Map // ports FreePort already gave to a test of this process

// FreePort returns a port free on 127.0.0.1 for TCP and UDP both, never the
// same twice in one test binary.
func FreePort(t testing.TB) int {
	t.Helper()
	for range 50 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatalf("free port: %v", err)
		}
		port := l.Addr().(*net.TCPAddr).Port
		u, err := net.ListenPacket("udp", fmt.Sprintf("127.0.0.1:%d", port))
		l.Close()
		if err == nil {
			u.Close()
			if _, taken := handedOut.LoadOrStore(port, true); !taken {
				return port
			}
		}
	}
	t.Fatal("no free port on 127.0.0.1")
	return 0
}
