package pgcluster

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// SocketDir is the directory of the cluster's Unix socket (its "host").
func (c *Cluster) SocketDir() string { return c.sockDir }

// StartReplica makes a streaming replica of c: a base backup taken with
// pg_basebackup -R (which writes standby.signal and primary_conninfo),
// started on its own socket. Promote makes it the primary.
func (c *Cluster) StartReplica(ctx context.Context) (*Cluster, error) {
	dir, err := os.MkdirTemp("", "regul-pg-")
	if err != nil {
		return nil, fmt.Errorf("create replica directory: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, ownerFile), []byte(strconv.Itoa(os.Getpid())), 0o644); err != nil {
		_ = os.RemoveAll(dir)
		return nil, fmt.Errorf("create replica directory: %w", err)
	}
	r := &Cluster{dir: dir, binDir: serverBinDir(c.binDir), sockDir: filepath.Join(dir, "sock"), port: c.port, cred: c.cred}
	if err := r.startReplica(ctx, c); err != nil {
		_, _ = r.run(context.Background(), "pg_ctl", "-D", filepath.Join(dir, "data"), "-m", "immediate", "-w", "stop")
		_ = os.RemoveAll(dir)
		return nil, err
	}
	return r, nil
}

func (r *Cluster) startReplica(ctx context.Context, primary *Cluster) error {
	if err := os.MkdirAll(r.sockDir, 0o755); err != nil {
		return err
	}
	if r.cred != nil {
		if err := os.Chmod(r.dir, 0o755); err != nil {
			return err
		}
		for _, p := range []string{r.dir, r.sockDir} {
			if err := os.Chown(p, int(r.cred.Uid), int(r.cred.Gid)); err != nil {
				return fmt.Errorf("chown %s: %w", p, err)
			}
		}
	}
	data := filepath.Join(r.dir, "data")
	// -R: standby.signal and primary_conninfo (the primary's socket),
	// -X stream: the WAL written during the copy comes with it;
	// --checkpoint=fast: a spread checkpoint would hold the copy for
	// minutes.
	if out, err := r.run(ctx, "pg_basebackup", "-h", primary.sockDir, "-p", strconv.Itoa(primary.port), "-U", "postgres",
		"-D", data, "-R", "-X", "stream", "--checkpoint=fast", "--no-sync"); err != nil {
		return fmt.Errorf("pg_basebackup: %w: %s", err, out)
	}
	opts := strings.Join([]string{
		"-c listen_addresses=''",
		"-c unix_socket_directories=" + r.sockDir,
		"-c fsync=off", "-c full_page_writes=off",
		"-c max_connections=300", "-c shared_buffers=128MB",
		"-c cluster_name=replica",
	}, " ")
	logFile := filepath.Join(r.dir, "postgres.log")
	if out, err := r.run(ctx, "pg_ctl", "-D", data, "-l", logFile, "-o", opts, "-w", "-t", "60", "start"); err != nil {
		log, _ := os.ReadFile(logFile)
		return fmt.Errorf("pg_ctl start (replica): %w: %s\n%s", err, out, log)
	}
	return nil
}

// serverBinDir is where all of PostgreSQL's programs are (pg_basebackup
// too): initdb's real folder when only initdb and pg_ctl are linked onto
// the PATH.
func serverBinDir(binDir string) string {
	if fileExists(filepath.Join(binDir, "pg_basebackup")) {
		return binDir
	}
	if real, err := filepath.EvalSymlinks(filepath.Join(binDir, "initdb")); err == nil {
		return filepath.Dir(real)
	}
	return binDir
}

// Kill stops the server at once, as a crash would (pg_ctl stop -m
// immediate): no checkpoint, no goodbye to its replicas.
func (c *Cluster) Kill(ctx context.Context) error {
	if out, err := c.run(ctx, "pg_ctl", "-D", filepath.Join(c.dir, "data"), "-m", "immediate", "-w", "stop"); err != nil {
		return fmt.Errorf("pg_ctl stop -m immediate: %w: %s", err, out)
	}
	return nil
}

// Promote turns a replica into a primary (pg_ctl promote), and returns
// once it takes writes.
func (c *Cluster) Promote(ctx context.Context) error {
	if out, err := c.run(ctx, "pg_ctl", "-D", filepath.Join(c.dir, "data"), "-w", "-t", "60", "promote"); err != nil {
		return fmt.Errorf("pg_ctl promote: %w: %s", err, out)
	}
	return nil
}
