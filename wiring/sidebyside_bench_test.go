package wiring

import (
	"bufio"
	"context"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"go.uber.org/zap"

	"github.com/regul-sante/regul/internal/config"
	"github.com/regul-sante/regul/internal/logging"
	"github.com/regul-sante/regul/migrations"
	"github.com/regul-sante/regul/roster"
	"github.com/regul-sante/regul/roster/oncall"
	"github.com/regul-sante/regul/testkit/arisim"
	"github.com/regul-sante/regul/testkit/pgcluster"
	"github.com/regul-sante/regul/testkit/sample"
	"github.com/regul-sante/regul/testkit/testclock"
)

// BenchmarkSideBySide runs regul and a bare ari/v5 program
// (tests/bench/bareload), each in its own process, against one ARI
// emulator (this process) with the same scripted calls, in interleaved runs
// (regul, bare, regul, bare…) so that the machine's noise hits both, and
// prints per side: CPU per call (/proc, from the first call to the last
// record in PostgreSQL), RSS per held call, failed calls, last key →
// originate request written (by the program) and received (by the emulator),
// and for regul PostgreSQL's CPU per call on a cluster with fsync on. The
// ratios regul/bare follow. Figures are printed, never asserted.
//
//	go test ./wiring -run '^$' -bench SideBySide -benchtime 1x -timeout 60m
//
// Knobs (environment): REGUL_SIDE_RUNS (3 each), REGUL_SIDE_PROFILES
// ("200:4000:25s,50:1000:5s": calls/s : calls : talk time),
// REGUL_SIDE_PPROF=<dir> (regul's CPU, allocation and heap profiles and
// its goroutines with the calls up, per run; the bare program's CPU
// profile).
func BenchmarkSideBySide(b *testing.B) {
	runs := envInt("REGUL_SIDE_RUNS", 3)
	profiles := os.Getenv("REGUL_SIDE_PROFILES")
	if profiles == "" {
		profiles = "200:4000:25s,50:1000:5s"
	}
	env := newSideEnv(b)
	for _, p := range strings.Split(profiles, ",") {
		f := strings.Split(p, ":")
		rate, _ := strconv.Atoi(f[0])
		calls, _ := strconv.Atoi(f[1])
		talk, _ := time.ParseDuration(f[2])
		b.Run(fmt.Sprintf("%dcps-%dcalls", rate, calls), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				var res [2][]sideResult
				for r := 0; r < runs; r++ {
					res[0] = append(res[0], env.run(b, sideRegul, r, rate, calls, talk))
					res[1] = append(res[1], env.run(b, sideBare, r, rate, calls, talk))
				}
				printSideBySide(b, rate, calls, talk, res[0], res[1])
			}
		})
	}
}

const (
	sideRegul = "regul"
	sideBare  = "bareari"
)

// childEnv switches this test binary into regul's controller process (see
// TestMain): `regul serve` as service.Start runs it, on the clock of a
// Monday morning so that the sample roster is on duty.
const childEnv = "REGUL_SIDE_CHILD"

type sideEnv struct {
	sim     *arisim.Server
	dbURL   string
	pool    *pgxpool.Pool
	pg      *pgcluster.Cluster
	bare    string // the bare program's binary
	tmp     string
	pprof   string
	reqs    *requestLog
	seq     int
	doneRec int // calls ended in PostgreSQL so far
}

func newSideEnv(b *testing.B) *sideEnv {
	ctx := context.Background()
	env := &sideEnv{tmp: b.TempDir(), pprof: os.Getenv("REGUL_SIDE_PPROF"), reqs: newRequestLog()}
	env.bare = filepath.Join(env.tmp, "bareari")
	if out, err := exec.Command("go", "build", "-o", env.bare, "../tests/bench/bareload").CombinedOutput(); err != nil {
		b.Fatalf("build the bare program: %v\n%s", err, out)
	}
	cl, err := pgcluster.StartDurable(ctx)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { cl.Close() })
	env.pg = cl
	admin, err := pgx.Connect(ctx, cl.URL("postgres"))
	if err != nil {
		b.Fatal(err)
	}
	if _, err := admin.Exec(ctx, `CREATE DATABASE regul`); err != nil {
		b.Fatal(err)
	}
	admin.Close(ctx)
	env.dbURL = cl.URL("regul")
	conn, err := pgx.Connect(ctx, env.dbURL)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := migrations.Apply(ctx, conn); err != nil {
		b.Fatal(err)
	}
	conn.Close(ctx)
	if env.pool, err = pgxpool.New(ctx, env.dbURL); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(env.pool.Close)
	if _, err := sample.Load(ctx, roster.NewStore(env.pool), filepath.Join("..", "testdata"),
		sample.Options{Territory: func(s *roster.TerritorySpec) { s.Policy = oncall.PolicyRPPS }}); err != nil {
		b.Fatal(err)
	}
	env.sim = arisim.New(arisim.Options{Username: "regul", Password: "secret", Logger: zap.NewNop(),
		OnRequest: env.reqs.note})
	if err := env.sim.Start("127.0.0.1:0"); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { env.sim.Close() })
	return env
}

// sideResult is one run of one side.
type sideResult struct {
	cpuPerCall    time.Duration
	pgPerCall     time.Duration // regul only
	rssPerHeld    float64       // bytes
	held          int
	failed        int
	sent, arrived []time.Duration
	eventsPerCall float64        // regul only
	requests      map[string]int // ARI requests by method and resource
}

func (env *sideEnv) run(b *testing.B, side string, run, rate, calls int, talk time.Duration) sideResult {
	ctx := context.Background()
	env.seq++
	origLog := filepath.Join(env.tmp, fmt.Sprintf("originates-%d", env.seq))
	var cmd *exec.Cmd
	if side == sideRegul {
		cmd = exec.Command(os.Args[0], "-test.run", "^$")
		cmd.Env = append(os.Environ(), childEnv+"=1", "REGUL_CHILD_DB="+env.dbURL, "REGUL_CHILD_ARI="+env.sim.URL(),
			"REGUL_CHILD_DATA="+filepath.Join(env.tmp, fmt.Sprintf("data-%d", env.seq)), "REGUL_CHILD_ORIGINATES="+origLog)
		if env.pprof != "" {
			cmd.Env = append(cmd.Env, "REGUL_CHILD_PPROF="+filepath.Join(env.pprof, fmt.Sprintf("regul-%drate-run%d", rate, run)))
		}
	} else {
		args := []string{"-url", env.sim.URL(), "-user", "regul", "-pass", "secret", "-app", sideBare, "-originate-log", origLog}
		if env.pprof != "" {
			args = append(args, "-cpuprofile", filepath.Join(env.pprof, fmt.Sprintf("bare-%drate-run%d.cpu.pprof", rate, run)))
		}
		cmd = exec.Command(env.bare, args...)
	}
	cmd.Stderr = &prefixWriter{b: b, prefix: side + ": "}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	pid := cmd.Process.Pid
	wctx, cancel := context.WithTimeout(ctx, time.Minute)
	if err := env.sim.WaitConnected(wctx, side); err != nil {
		b.Fatalf("%s did not connect: %v", side, err)
	}
	cancel()
	time.Sleep(time.Second) // start-up work (resync, roster) out of the figures
	// Both return their free memory to the system: RSS then counts what
	// is in use, the baseline of memory per held call.
	_ = cmd.Process.Signal(syscall.SIGUSR1)
	time.Sleep(300 * time.Millisecond)
	sc := sideScenario(side, env.seq, rate, calls, talk)
	env.reqs.reset()
	events0 := env.events(ctx)
	cpu0, rss0, pg0 := procCPU(pid), procRSS(pid), env.pgCPU()

	started := time.Now()
	rep := env.sim.Play(sc)
	stopSampling := make(chan struct{})
	var peakHeld int
	var rssAtPeak int64
	heapTaken := false
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		tick := time.NewTicker(250 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stopSampling:
				return
			case <-tick.C:
			}
			h := env.reqs.held()
			if h >= peakHeld && h > 0 {
				peakHeld, rssAtPeak = h, procRSS(pid)
			}
			if side == sideRegul && env.pprof != "" && !heapTaken && h >= calls*9/10 {
				heapTaken = true
				_ = cmd.Process.Signal(syscall.SIGUSR2) // a heap profile with the calls up
			}
		}
	}()
	// Calls that never end are failed calls, counted below, not a crash.
	wctx, cancel = context.WithTimeout(ctx, time.Duration(calls/rate)*time.Second+talk+90*time.Second)
	defer cancel()
	if err := env.sim.Wait(wctx); err != nil {
		fmt.Fprintf(os.Stderr, "%s run %d: calls still up after %s: counted as failed\n", side, run, time.Since(started).Round(time.Second))
	}
	close(stopSampling)
	<-sampled
	fmt.Fprintf(os.Stderr, "%s run %d: calls over after %s\n", side, run, time.Since(started).Round(time.Millisecond))
	res := sideResult{held: peakHeld}
	if side == sideRegul {
		env.doneRec += calls
		env.waitRecorded(b, env.doneRec)
		res.eventsPerCall = float64(env.events(ctx)-events0) / float64(calls)
	} else {
		time.Sleep(300 * time.Millisecond)
	}
	cpu1, pg1 := procCPU(pid), env.pgCPU()
	res.cpuPerCall = (cpu1 - cpu0) / time.Duration(calls)
	if side == sideRegul {
		res.pgPerCall = (pg1 - pg0) / time.Duration(calls)
	}
	if peakHeld > 0 {
		res.rssPerHeld = float64(rssAtPeak-rss0) / float64(peakHeld)
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	if err := cmd.Wait(); err != nil {
		b.Logf("%s exited: %v", side, err)
	}
	fmt.Fprintf(os.Stderr, "%s run %d: measured and stopped after %s\n", side, run, time.Since(started).Round(time.Millisecond))
	sentAt := readOriginateLog(b, origLog)
	res.failed, res.sent, res.arrived = env.reqs.score(rep, sentAt)
	res.requests = env.reqs.byKind()
	return res
}

func (env *sideEnv) pgCPU() time.Duration {
	d, _ := env.pg.CPUTime()
	return d
}

func (env *sideEnv) events(ctx context.Context) int {
	var n int
	_ = env.pool.QueryRow(ctx, `SELECT count(*) FROM call_event`).Scan(&n)
	return n
}

// waitRecorded waits until n calls have ended in PostgreSQL and the event
// count stopped moving: regul's records are part of its cost.
func (env *sideEnv) waitRecorded(b *testing.B, n int) {
	ctx := context.Background()
	deadline := time.Now().Add(3 * time.Minute)
	last := -1
	for time.Now().Before(deadline) {
		var ended, events int
		_ = env.pool.QueryRow(ctx, `SELECT count(*) FILTER (WHERE ended_at IS NOT NULL), (SELECT count(*) FROM call_event) FROM call`).Scan(&ended, &events)
		if ended >= n && events == last {
			return
		}
		last = events
		time.Sleep(200 * time.Millisecond)
	}
	b.Logf("regul: records of %d calls not all in PostgreSQL after 3 minutes", n)
}

func sideScenario(app string, seq, rate, calls int, talk time.Duration) *arisim.Scenario {
	sc := &arisim.Scenario{App: app, DefaultSound: arisim.Duration(300 * time.Millisecond),
		Outbound: []arisim.Endpoint{{Name: "martin", Dial: martin, Steps: []arisim.Step{
			arisim.Ring(500 * time.Millisecond), arisim.Answer(),
			arisim.WaitForSound("accepter-refuser"), arisim.Press("1", 50*time.Millisecond),
			arisim.WaitForSound("suite-menu"), arisim.Press("5", 50*time.Millisecond), arisim.Silent()}}}}
	for n := 0; n < calls; n++ {
		sc.Inbound = append(sc.Inbound, arisim.InboundCall{
			Name: fmt.Sprintf("gp%04d", n), From: fmt.Sprintf("+336%d%07d", seq%10, n), DID: did,
			At: arisim.Duration(time.Duration(n) * time.Second / time.Duration(rate)),
			Steps: []arisim.Step{
				arisim.WaitForSound("saisir-rpps"), arisim.Press(gpRPPS+"#", 50*time.Millisecond),
				arisim.WaitForSound("menu-intro"), arisim.Press("1", 50*time.Millisecond),
				arisim.WaitBridged(), arisim.Wait(talk), arisim.Hangup()},
		})
	}
	return sc
}

// requestLog is the emulator's view of a run: when each originate arrived,
// which channels each bridge got, how many bridges are up.
type requestLog struct {
	mu         sync.Mutex
	originated map[string]time.Time // channel id → arrival
	bridgeLegs map[string][]string  // bridge id → channels added
	up         map[string]bool      // bridges created and not deleted
	kinds      map[string]int       // requests per method and resource ("POST channels/play")
}

func newRequestLog() *requestLog {
	l := &requestLog{}
	l.reset()
	return l
}

func (l *requestLog) reset() {
	l.mu.Lock()
	l.originated, l.bridgeLegs, l.up = map[string]time.Time{}, map[string][]string{}, map[string]bool{}
	l.kinds = map[string]int{}
	l.mu.Unlock()
}

func (l *requestLog) note(at time.Time, method, path string, param func(string) string) {
	seg := strings.Split(path, "/")
	l.mu.Lock()
	defer l.mu.Unlock()
	kind := seg[0]
	if len(seg) > 2 {
		kind += "/" + seg[2]
	}
	l.kinds[method+" "+kind]++
	switch {
	case method == "POST" && path == "channels":
		l.originated[param("channelId")] = at
	case method == "POST" && len(seg) == 3 && seg[0] == "bridges" && seg[2] == "addChannel":
		l.bridgeLegs[seg[1]] = append(l.bridgeLegs[seg[1]], param("channel"))
	case method == "POST" && len(seg) == 2 && seg[0] == "bridges":
		l.up[seg[1]] = true
	case method == "DELETE" && len(seg) == 2 && seg[0] == "bridges":
		delete(l.up, seg[1])
	}
}

func (l *requestLog) byKind() map[string]int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return maps.Clone(l.kinds)
}

func (l *requestLog) held() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.up)
}

// score counts the failed calls (a GP never bridged, or whose call was not
// ended by the GP hanging up) and pairs each GP's last key with the
// originate of the specialist it was bridged to.
func (l *requestLog) score(rep *arisim.Report, sentAt map[string]time.Time) (failed int, sent, arrived []time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, p := range rep.Phones {
		snap := p.Snapshot()
		if snap.Name == "martin" {
			continue
		}
		var last time.Time
		bridge := ""
		for _, e := range snap.Entries {
			switch e.Kind {
			case arisim.EntryPressed:
				last = e.At
			case arisim.EntryBridged:
				if bridge == "" {
					bridge = e.Value
				}
			}
		}
		if bridge == "" || snap.Ended == nil || snap.Ended.By != "phone" {
			failed++
			continue
		}
		for _, ch := range l.bridgeLegs[bridge] {
			if at, ok := l.originated[ch]; ok {
				arrived = append(arrived, at.Sub(last))
				if s, ok := sentAt[ch]; ok {
					sent = append(sent, s.Sub(last))
				}
				break
			}
		}
	}
	return failed, sent, arrived
}

func readOriginateLog(b *testing.B, path string) map[string]time.Time {
	out := map[string]time.Time{}
	data, err := os.ReadFile(path)
	if err != nil {
		b.Logf("originate log: %v", err)
		return out
	}
	for _, line := range strings.Split(string(data), "\n") {
		id, ns, ok := strings.Cut(line, " ")
		if !ok {
			continue
		}
		n, _ := strconv.ParseInt(ns, 10, 64)
		out[id] = time.Unix(0, n)
	}
	return out
}

// procCPU is a process's user + system time (/proc/<pid>/stat).
func procCPU(pid int) time.Duration {
	f := statFields(pid)
	if len(f) < 15 {
		return 0
	}
	return ticks(f[11]) + ticks(f[12])
}

// statFields returns /proc/<pid>/stat's fields after the command name:
// [0] is the state, [1] the parent, [11] utime, [12] stime, [13] cutime,
// [14] cstime.
func statFields(pid int) []string {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return nil
	}
	s := string(data)
	return strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
}

func ticks(s string) time.Duration {
	n, _ := strconv.ParseInt(s, 10, 64)
	return time.Duration(n) * 10 * time.Millisecond // USER_HZ = 100 on Linux
}

// procRSS is a process's resident set in bytes.
func procRSS(pid int) int64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb * 1024
		}
	}
	return 0
}

func printSideBySide(b *testing.B, rate, calls int, talk time.Duration, regul, bare []sideResult) {
	load, _ := os.ReadFile("/proc/loadavg")
	var sb strings.Builder
	fmt.Fprintf(&sb, "%d calls at %d/s, each GP talking %s; %d interleaved runs per side; load average before the last run: %s",
		calls, rate, talk, len(regul), strings.Join(strings.Fields(string(load))[:3], " "))
	row := func(name string, f func(sideResult) string) {
		fmt.Fprintf(&sb, "\n  %-42s", name)
		for _, side := range [][]sideResult{regul, bare} {
			var vals []string
			for _, r := range side {
				vals = append(vals, f(r))
			}
			fmt.Fprintf(&sb, " | %-30s", strings.Join(vals, " "))
		}
	}
	fmt.Fprintf(&sb, "\n  %-42s | %-30s | %-30s", "", "regul", "bare ari/v5")
	row("CPU per call (ms)", func(r sideResult) string { return fmt.Sprintf("%.2f", ms(r.cpuPerCall)) })
	row("RSS per held call (KiB)", func(r sideResult) string { return fmt.Sprintf("%.1f", r.rssPerHeld/1024) })
	row("calls held at once (bridges up)", func(r sideResult) string { return strconv.Itoa(r.held) })
	row("failed calls", func(r sideResult) string { return strconv.Itoa(r.failed) })
	row("last key → originate written p50/p99 (ms)", func(r sideResult) string {
		return fmt.Sprintf("%.2f/%.2f", ms(percentile(r.sent, 50)), ms(percentile(r.sent, 99)))
	})
	row("last key → originate at emulator p50/p99", func(r sideResult) string {
		return fmt.Sprintf("%.2f/%.2f", ms(percentile(r.arrived, 50)), ms(percentile(r.arrived, 99)))
	})
	row("PostgreSQL CPU per call (ms, fsync on)", func(r sideResult) string { return fmt.Sprintf("%.2f", ms(r.pgPerCall)) })
	row("call events per call", func(r sideResult) string { return fmt.Sprintf("%.1f", r.eventsPerCall) })
	row("ARI requests per call", func(r sideResult) string {
		n := 0
		for _, c := range r.requests {
			n += c
		}
		return fmt.Sprintf("%.1f", float64(n)/float64(calls))
	})
	for i, side := range [][]sideResult{regul, bare} {
		last := side[len(side)-1].requests
		kinds := slices.Sorted(maps.Keys(last))
		parts := make([]string, 0, len(kinds))
		for _, k := range kinds {
			parts = append(parts, fmt.Sprintf("%s %.1f", k, float64(last[k])/float64(calls)))
		}
		fmt.Fprintf(&sb, "\n  %s requests per call (last run): %s", []string{"regul", "bare"}[i], strings.Join(parts, ", "))
	}
	med := func(rs []sideResult, f func(sideResult) float64) float64 {
		v := make([]float64, 0, len(rs))
		for _, r := range rs {
			v = append(v, f(r))
		}
		return median(v)
	}
	cpuR, cpuB := med(regul, func(r sideResult) float64 { return ms(r.cpuPerCall) }), med(bare, func(r sideResult) float64 { return ms(r.cpuPerCall) })
	memR, memB := med(regul, func(r sideResult) float64 { return r.rssPerHeld }), med(bare, func(r sideResult) float64 { return r.rssPerHeld })
	p99R := med(regul, func(r sideResult) float64 { return ms(percentile(r.sent, 99)) })
	p99B := med(bare, func(r sideResult) float64 { return ms(percentile(r.sent, 99)) })
	e99R := med(regul, func(r sideResult) float64 { return ms(percentile(r.arrived, 99)) })
	e99B := med(bare, func(r sideResult) float64 { return ms(percentile(r.arrived, 99)) })
	fmt.Fprintf(&sb, "\n  medians: CPU per call regul/bare %.2f/%.2f ms = %.2f× (target ≤ 1.5×); RSS per held call %.1f/%.1f KiB = %.2f× (target ≤ 1.5×);"+
		"\n           originate written p99 regul − bare %+.2f ms, at the emulator %+.2f ms (target ≤ +1 ms at 50/s); PostgreSQL %.2f ms per call (target ≤ 3 ms)",
		cpuR, cpuB, cpuR/cpuB, memR/1024, memB/1024, memR/memB, p99R-p99B, e99R-e99B,
		med(regul, func(r sideResult) float64 { return ms(r.pgPerCall) }))
	b.ReportMetric(cpuR/cpuB, "cpu_ratio")
	b.ReportMetric(memR/memB, "rss_ratio")
	b.ReportMetric(p99R-p99B, "ms_p99_originate_vs_bare")
	fmt.Println(sb.String())
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := append([]float64(nil), v...)
	for i := range s {
		for j := i + 1; j < len(s); j++ {
			if s[j] < s[i] {
				s[i], s[j] = s[j], s[i]
			}
		}
	}
	return s[len(s)/2]
}

func envInt(name string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(name)); err == nil && n > 0 {
		return n
	}
	return def
}

// prefixWriter passes a child's stderr to the benchmark's log.
type prefixWriter struct {
	b      *testing.B
	prefix string
	mu     sync.Mutex
	buf    []byte
}

func (w *prefixWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = append(w.buf, p...)
	for {
		i := strings.IndexByte(string(w.buf), '\n')
		if i < 0 {
			break
		}
		w.b.Log(w.prefix + string(w.buf[:i]))
		w.buf = w.buf[i+1:]
	}
	return len(p), nil
}

// runRegulChild is the controller process of BenchmarkSideBySide: regul's
// service (what `regul serve` runs) on the database and emulator the
// benchmark gives, until SIGTERM; then it drains, writes when each
// originate request was written, and its profiles if asked.
func runRegulChild() int {
	ctx := context.Background()
	if prof := os.Getenv("REGUL_CHILD_PPROF"); prof != "" {
		f, err := os.Create(prof + ".cpu.pprof")
		if err == nil && pprof.StartCPUProfile(f) == nil {
			defer func() {
				pprof.StopCPUProfile()
				f.Close()
				if a, err := os.Create(prof + ".allocs.pprof"); err == nil {
					_ = pprof.Lookup("allocs").WriteTo(a, 0)
					a.Close()
				}
			}()
		}
	}
	cfg, err := config.Load("")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	cfg.ARI.URL, cfg.ARI.Username, cfg.ARI.Password = os.Getenv("REGUL_CHILD_ARI"), "regul", "secret"
	cfg.DataDir = os.Getenv("REGUL_CHILD_DATA")
	cfg.HTTP.Listen, cfg.Console.Listen = "127.0.0.1:0", "127.0.0.1:0"
	pool, err := pgxpool.New(ctx, os.Getenv("REGUL_CHILD_DB"))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer pool.Close()
	// The system clock, as in production, shifted to a Monday morning so
	// that the sample roster is on duty.
	clock := testclock.Shifted(mondayMorning)
	var mu sync.Mutex
	var originated []string
	// As `regul serve` logs by default, to a file.
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	log, err := logging.New(cfg.Log, filepath.Join(cfg.DataDir, "regul.log"))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	svc, err := Start(ctx, Options{Config: cfg, Pool: pool, Logger: log, Clock: clock,
		OnOriginateSent: func(id string, at time.Time) {
			mu.Lock()
			originated = append(originated, fmt.Sprintf("%s %d", id, at.UnixNano()))
			mu.Unlock()
		}})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGUSR1, syscall.SIGUSR2)
	runCtx, stop := context.WithCancel(ctx)
	go func() {
		for s := <-sig; s != syscall.SIGTERM; s = <-sig {
			switch s {
			case syscall.SIGUSR1:
				debug.FreeOSMemory()
			case syscall.SIGUSR2:
				if prof := os.Getenv("REGUL_CHILD_PPROF"); prof != "" {
					if f, err := os.Create(prof + ".heap.pprof"); err == nil {
						runtime.GC()
						_ = pprof.Lookup("heap").WriteTo(f, 0)
						f.Close()
					}
					if f, err := os.Create(prof + ".goroutines.txt"); err == nil {
						_ = pprof.Lookup("goroutine").WriteTo(f, 1)
						f.Close()
					}
				}
			}
		}
		stop()
	}()
	_ = svc.Run(runCtx)
	cctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	_ = svc.Close(cctx)
	mu.Lock()
	defer mu.Unlock()
	w, err := os.Create(os.Getenv("REGUL_CHILD_ORIGINATES"))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	bw := bufio.NewWriter(w)
	for _, l := range originated {
		fmt.Fprintln(bw, l)
	}
	bw.Flush()
	w.Close()
	return 0
}
