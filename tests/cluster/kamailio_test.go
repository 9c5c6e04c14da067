package cluster

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/regul-sante/regul/testkit/asterisktest"
)

// proxy is Kamailio running the repository's deploy/kamailio/kamailio.cfg
// on the loopback.
type proxy struct {
	t       testing.TB
	port    int
	dir     string
	ctl     string
	logPath string
	cmd     *exec.Cmd
	exit    chan struct{}
}

// startProxy runs Kamailio on port with the shipped configuration; its
// dispatcher list names the nodes (set 1) and the operator (set 2) as an
// operator would fill it in.
func startProxy(t testing.TB, port int, nodes map[string]int, operatorSIP int) *proxy {
	t.Helper()
	repo, err := asterisktest.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{t: t, port: port, dir: t.TempDir()}
	p.ctl = filepath.Join(p.dir, "kamailio_ctl")
	p.logPath = filepath.Join(p.dir, "kamailio.log")
	var list strings.Builder
	list.WriteString("# written by the cluster test\n")
	for name, sip := range nodes {
		fmt.Fprintf(&list, "1 sip:127.0.0.1:%d 8 0 node=%s\n", sip, name)
	}
	fmt.Fprintf(&list, "2 sip:127.0.0.1:%d 0 0 operator=trunk\n", operatorSIP)
	dlist := filepath.Join(p.dir, "dispatcher.list")
	if err := os.WriteFile(dlist, []byte(list.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	logf, err := os.Create(p.logPath)
	if err != nil {
		t.Fatal(err)
	}
	p.cmd = exec.Command(kamailio, "-DD", "-E", "-f", filepath.Join(repo, "deploy/kamailio/kamailio.cfg"),
		"-A", fmt.Sprintf("SIP_LISTEN=udp:127.0.0.1:%d", port),
		"-A", fmt.Sprintf("DISPATCHER_LIST=%q", dlist),
		"-A", fmt.Sprintf("CTL_SOCKET=%q", "unix:"+p.ctl),
		"-Y", p.dir, "-P", filepath.Join(p.dir, "kamailio.pid"), "-m", "64", "-M", "8")
	p.cmd.Stdout, p.cmd.Stderr = logf, logf
	if err := p.cmd.Start(); err != nil {
		logf.Close()
		t.Fatalf("start kamailio: %v", err)
	}
	p.exit = make(chan struct{})
	go func() {
		_ = p.cmd.Wait()
		logf.Close()
		close(p.exit)
	}()
	t.Cleanup(func() {
		_ = p.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-p.exit:
		case <-time.After(10 * time.Second):
			_ = p.cmd.Process.Kill()
			<-p.exit
		}
		if t.Failed() {
			b, _ := os.ReadFile(p.logPath)
			lines := strings.Split(string(b), "\n")
			if len(lines) > 60 {
				lines = lines[len(lines)-60:]
			}
			t.Logf("kamailio: end of its log:\n%s", strings.Join(lines, "\n"))
		}
	})
	return p
}

var dsEntry = regexp.MustCompile(`URI: sip:127\.0\.0\.1:(\d+)\s+FLAGS: (\w+)`)

// states reads the dispatcher's destinations (kamcmd dispatcher.list):
// port → flags ("AP": active and probed; "IP"/"TP": out).
func (p *proxy) states(ctx context.Context) (map[int]string, error) {
	out, err := exec.CommandContext(ctx, "kamcmd", "-s", "unix:"+p.ctl, "dispatcher.list").CombinedOutput()
	if err != nil {
		return nil, fmt.Errorf("kamcmd dispatcher.list: %w: %s", err, out)
	}
	st := map[int]string{}
	for _, m := range dsEntry.FindAllStringSubmatch(string(out), -1) {
		var port int
		fmt.Sscan(m[1], &port)
		st[port] = m[2]
	}
	return st, nil
}

// waitState waits until the destination at port has flags starting with
// prefix ("A": in, "I" or "T": out). Kamailio sends no event: poll it.
func (p *proxy) waitState(ctx context.Context, port int, in bool) error {
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	var last map[int]string
	for {
		st, err := p.states(ctx)
		if err == nil {
			last = st
			if f := st[port]; f != "" && strings.HasPrefix(f, "A") == in {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("kamailio: node at port %d never %s (dispatcher: %v, last error %v)", port, map[bool]string{true: "in", false: "out"}[in], last, err)
		case <-p.exit:
			return fmt.Errorf("kamailio exited")
		case <-tick.C:
		}
	}
}
