// Package pgcluster starts a throwaway PostgreSQL cluster from the system's
// initdb/pg_ctl on a Unix socket in a temporary directory. Tests and
// `regul demo` use it so that nothing depends on a PostgreSQL service being up.
package pgcluster

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Cluster is a running throwaway PostgreSQL cluster.
type Cluster struct {
	dir     string
	binDir  string
	sockDir string
	port    int
	cred    *syscall.Credential
	durable bool // fsync on (StartDurable)
}

// ErrNoPostgres says the PostgreSQL server binaries are not installed.
var ErrNoPostgres = errors.New("PostgreSQL server binaries (initdb, pg_ctl) not found on PATH or under /usr/lib/postgresql/*/bin: install them (Debian: apt-get install postgresql)")

// FindBinDir returns the directory holding initdb and pg_ctl.
func FindBinDir() (string, error) {
	if p, err := exec.LookPath("initdb"); err == nil {
		if _, err := exec.LookPath("pg_ctl"); err == nil {
			return filepath.Dir(p), nil
		}
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	// Newest major version first.
	sort.Slice(dirs, func(i, j int) bool { return majorOf(dirs[i]) > majorOf(dirs[j]) })
	for _, d := range dirs {
		if fileExists(filepath.Join(d, "initdb")) && fileExists(filepath.Join(d, "pg_ctl")) {
			return d, nil
		}
	}
	return "", ErrNoPostgres
}

func majorOf(binDir string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return n
}

func fileExists(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir()
}

// Start creates and starts a cluster under a new temporary directory. When the
// process runs as root the cluster runs as the `postgres` system user, because
// initdb refuses to run as root.
func Start(ctx context.Context) (*Cluster, error) { return start(ctx, false) }

// StartDurable is Start with production durability (fsync, synchronous
// commit and full page writes on): for benchmarks of what PostgreSQL costs,
// which a cluster without fsync would understate.
func StartDurable(ctx context.Context) (*Cluster, error) { return start(ctx, true) }

func start(ctx context.Context, durable bool) (*Cluster, error) {
	binDir, err := FindBinDir()
	if err != nil {
		return nil, err
	}
	reapOrphans(ctx, binDir)
	dir, err := os.MkdirTemp("", "regul-pg-")
	if err != nil {
		return nil, fmt.Errorf("create cluster directory: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, ownerFile), []byte(strconv.Itoa(os.Getpid())), 0o644); err != nil {
		_ = os.RemoveAll(dir)
		return nil, fmt.Errorf("create cluster directory: %w", err)
	}
	c := &Cluster{dir: dir, binDir: binDir, sockDir: filepath.Join(dir, "sock"), port: 5432, durable: durable}
	if err := c.start(ctx); err != nil {
		_ = os.RemoveAll(dir)
		return nil, err
	}
	return c, nil
}

func (c *Cluster) start(ctx context.Context) error {
	cred, err := clusterUser()
	if err != nil {
		return err
	}
	c.cred = cred
	if cred != nil {
		// The temp dir's parent must be traversable by the postgres user.
		if err := os.Chmod(c.dir, 0o755); err != nil {
			return err
		}
	}
	if err := os.MkdirAll(c.sockDir, 0o755); err != nil {
		return err
	}
	if c.cred != nil {
		for _, p := range []string{c.dir, c.sockDir} {
			if err := os.Chown(p, int(c.cred.Uid), int(c.cred.Gid)); err != nil {
				return fmt.Errorf("chown %s: %w", p, err)
			}
		}
	}
	data := filepath.Join(c.dir, "data")
	if out, err := c.run(ctx, "initdb", "-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync"); err != nil {
		return fmt.Errorf("initdb: %w: %s", err, out)
	}
	opts := c.serverOptions() + " -c shared_buffers=128MB"
	logFile := filepath.Join(c.dir, "postgres.log")
	if out, err := c.run(ctx, "pg_ctl", "-D", data, "-l", logFile, "-o", opts, "-w", "-t", "60", "start"); err != nil {
		log, _ := os.ReadFile(logFile)
		return fmt.Errorf("pg_ctl start: %w: %s\n%s", err, out, log)
	}
	return nil
}

// serverOptions: Unix socket only (no TCP port to collide with a system
// PostgreSQL); durability off unless StartDurable (the cluster is thrown
// away).
func (c *Cluster) serverOptions() string {
	opts := []string{"-c listen_addresses=''", "-c unix_socket_directories=" + c.sockDir, "-c max_connections=300"}
	if !c.durable {
		opts = append(opts, "-c fsync=off", "-c synchronous_commit=off", "-c full_page_writes=off")
	}
	return strings.Join(opts, " ")
}

// ServerPID is the postmaster's process id: its CPU time and its reaped
// children's (/proc/<pid>/stat), plus its live children's, are what the
// cluster has spent.
func (c *Cluster) ServerPID() (int, error) {
	data, err := os.ReadFile(filepath.Join(c.dir, "data", "postmaster.pid"))
	if err != nil {
		return 0, err
	}
	first, _, _ := strings.Cut(string(data), "\n")
	return strconv.Atoi(strings.TrimSpace(first))
}

// CPUTime is the CPU time (user + system) the cluster has spent so far:
// the postmaster's, its reaped children's and its live children's, from
// /proc (Linux). Benchmarks take the difference over a run.
func (c *Cluster) CPUTime() (time.Duration, error) {
	pm, err := c.ServerPID()
	if err != nil {
		return 0, err
	}
	f := procStat(pm)
	if len(f) < 15 {
		return 0, fmt.Errorf("read /proc/%d/stat", pm)
	}
	total := clockTicks(f[11]) + clockTicks(f[12]) + clockTicks(f[13]) + clockTicks(f[14])
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return 0, err
	}
	parent := strconv.Itoa(pm)
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if cf := procStat(pid); len(cf) > 12 && cf[1] == parent {
			total += clockTicks(cf[11]) + clockTicks(cf[12])
		}
	}
	return total, nil
}

// procStat returns /proc/<pid>/stat's fields after the command name: [0]
// the state, [1] the parent, [11] utime, [12] stime, [13] cutime, [14]
// cstime.
func procStat(pid int) []string {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return nil
	}
	s := string(data)
	return strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
}

func clockTicks(s string) time.Duration {
	n, _ := strconv.ParseInt(s, 10, 64)
	return time.Duration(n) * 10 * time.Millisecond // USER_HZ is 100 on Linux
}

// Stop stops the server, keeping its files (Restart brings it back).
func (c *Cluster) Stop(ctx context.Context) error {
	if out, err := c.run(ctx, "pg_ctl", "-D", filepath.Join(c.dir, "data"), "-m", "fast", "-w", "stop"); err != nil {
		return fmt.Errorf("pg_ctl stop: %w: %s", err, out)
	}
	return nil
}

// Restart starts a stopped cluster again on the same socket.
func (c *Cluster) Restart(ctx context.Context) error {
	opts := c.serverOptions()
	if out, err := c.run(ctx, "pg_ctl", "-D", filepath.Join(c.dir, "data"), "-l", filepath.Join(c.dir, "postgres.log"), "-o", opts, "-w", "start"); err != nil {
		return fmt.Errorf("pg_ctl start: %w: %s", err, out)
	}
	return nil
}

// Close stops the server and removes every file of the cluster.
func (c *Cluster) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, _ = c.run(ctx, "pg_ctl", "-D", filepath.Join(c.dir, "data"), "-m", "immediate", "-w", "stop")
	return os.RemoveAll(c.dir)
}

// URL returns a connection URL for the given database on this cluster.
func (c *Cluster) URL(database string) string {
	q := url.Values{}
	q.Set("host", c.sockDir)
	q.Set("port", strconv.Itoa(c.port))
	q.Set("sslmode", "disable")
	return (&url.URL{Scheme: "postgres", User: url.User("postgres"), Path: "/" + database, RawQuery: q.Encode()}).String()
}

func (c *Cluster) run(ctx context.Context, name string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, filepath.Join(c.binDir, name), args...)
	cmd.Dir = c.dir
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	if c.cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: c.cred}
	}
	return cmd.CombinedOutput()
}

// ownerFile holds the pid of the process that started the cluster.
const ownerFile = "owner.pid"

// reapOrphans stops and removes the clusters whose owner died without
// closing them (a test binary killed by a timeout or a signal): left alone
// each would keep a server running until the machine restarts.
func reapOrphans(ctx context.Context, binDir string) {
	dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), "regul-pg-*"))
	for _, dir := range dirs {
		b, err := os.ReadFile(filepath.Join(dir, ownerFile))
		if err != nil {
			continue // not ours, or still being created
		}
		pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
		if err != nil || pid <= 0 || syscall.Kill(pid, 0) != syscall.ESRCH {
			continue // its owner is alive (or the file is not a pid)
		}
		cred, err := clusterUser()
		if err != nil {
			return
		}
		orphan := &Cluster{dir: dir, binDir: binDir, cred: cred}
		stopCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
		_, _ = orphan.run(stopCtx, "pg_ctl", "-D", filepath.Join(dir, "data"), "-m", "immediate", "-w", "stop")
		cancel()
		_ = os.RemoveAll(dir)
	}
}

// clusterUser is who runs the cluster's programs: the postgres system user
// when this process is root (initdb refuses root), else nil (ourselves).
func clusterUser() (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("running as root and no 'postgres' system user to run the cluster as: %w", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}
