package cluster

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/regul-sante/regul/calllog"
	"github.com/regul-sante/regul/calllog/callevent"
	"github.com/regul-sante/regul/internal/config"
	"github.com/regul-sante/regul/roster"
	"github.com/regul-sante/regul/testkit/asterisktest"
	"github.com/regul-sante/regul/testkit/testclock"
)

// generous bounds the failover times the test asserts: the aim is 5 s,
// the margin is for a loaded CI machine; the figures printed tell the rest.
const generous = 15 * time.Second

// lineCall is one GP's call: the phone on the operator, and the node and
// channel that took it.
type lineCall struct {
	t      *testing.T
	phone  *asterisktest.Phone
	node   *asterisktest.Node
	line   string
	cursor int
}

// dial places a GP's call through Kamailio and finds which node took it.
func dial(t *testing.T, ctx context.Context, op *asterisktest.Operator, nodes []*asterisktest.Node, number string) *lineCall {
	t.Helper()
	c, err := dialE(t, ctx, op, nodes, number)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// dialE is dial for another goroutine than the test's.
func dialE(t *testing.T, ctx context.Context, op *asterisktest.Operator, nodes []*asterisktest.Node, number string) (*lineCall, error) {
	from := map[*asterisktest.Node]int{}
	for _, n := range nodes {
		from[n] = n.Monitor.Len()
	}
	p, err := op.Dial(ctx, did, number)
	if err != nil {
		return nil, err
	}
	type found struct {
		node *asterisktest.Node
		id   string
		err  error
	}
	// A call answered in a few seconds or not at all.
	wctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	got := make(chan found, len(nodes))
	for _, n := range nodes {
		go func() {
			id, err := asterisktest.InboundChannel(wctx, n.Monitor, from[n], number)
			got <- found{n, id, err}
		}()
	}
	var first found
	for range nodes {
		if f := <-got; f.err == nil {
			first = f
			cancel()
		}
	}
	if first.node == nil {
		return nil, fmt.Errorf("the call from %s reached no node: %w", number, context.Cause(ctx))
	}
	actx, cancelAnswer := context.WithTimeout(ctx, 20*time.Second)
	defer cancelAnswer()
	if err := p.WaitAnswered(actx); err != nil {
		return nil, err
	}
	return &lineCall{t: t, phone: p, node: first.node, line: first.id, cursor: from[first.node]}, nil
}

func (c *lineCall) hears(ctx context.Context, part string) {
	c.t.Helper()
	next, err := asterisktest.WaitHeard(ctx, c.node.Monitor, c.cursor, c.line, part)
	if err != nil {
		c.t.Fatalf("GP: %v; heard %q", err, asterisktest.Heard(c.node.Monitor, c.line))
	}
	c.cursor = next
}

func (c *lineCall) press(ctx context.Context, after, keys string) {
	c.t.Helper()
	c.hears(ctx, after)
	if err := c.phone.Press(ctx, keys); err != nil {
		c.t.Fatal(err)
	}
}

func (c *lineCall) hangup(ctx context.Context) {
	c.t.Helper()
	if err := c.phone.Hangup(ctx); err != nil {
		c.t.Fatal(err)
	}
}

// callRow is what must survive a database failover unchanged.
type callRow struct {
	ID, Reference, Result string
	Events                int
}

func snapshot(t *testing.T, ctx context.Context, pool *pgxpool.Pool) []callRow {
	t.Helper()
	rows, err := pool.Query(ctx, `
		SELECT c.id::text, coalesce(c.reference, ''), coalesce(c.result, ''),
		       (SELECT count(*) FROM call_event e WHERE e.call_id = c.id)
		  FROM call c ORDER BY c.started_at, c.id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []callRow
	for rows.Next() {
		var r callRow
		if err := rows.Scan(&r.ID, &r.Reference, &r.Result, &r.Events); err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// The two-node line on the loopback: Kamailio in front of two line
// Asterisk nodes, each with an active and a standby controller, PostgreSQL
// with a synchronous streaming replica. Lost in turn: an active controller
// (its standby adopts the call in progress), a whole node (new calls go to
// the other; the dead node's call is closed interrupted with a callback),
// the database primary (the replica is promoted; calls connect meanwhile;
// no record is lost or doubled).
func TestTwoNodeLineSurvivesLosingAControllerANodeAndThePrimary(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	begin := time.Now()

	db := startDatabase(t, ctx)
	setup, err := pgxpool.New(ctx, db.url)
	if err != nil {
		t.Fatal(err)
	}
	defer setup.Close()
	pins := loadRoster(t, ctx, setup)
	figure("PostgreSQL primary and replica started, roster loaded", time.Since(begin))
	step := time.Now()
	prompts := buildPrompts(t, ctx, setup)
	figure("prompts synthesised (espeak-ng; cached between runs)", time.Since(step))
	step = time.Now()

	kamPort := asterisktest.FreePort(t)
	ari := config.ARI{Username: "regul", Password: "regul-test-secret", Application: "regul"}
	moh := map[string][]byte{"regul-attente.wav": asterisktest.HoldMusic()}
	nodes := map[string]*asterisktest.Node{}
	for _, name := range []string{"asterisk-a", "asterisk-b"} {
		nodes[name] = asterisktest.StartNode(t, install, asterisktest.NodeOptions{Name: name, ARI: ari, Prompts: prompts, MOH: moh, PeerSIP: kamPort})
	}
	_, op, opSIP := asterisktest.StartOperator(t, install, kamPort)
	kam := startProxy(t, kamPort, map[string]int{"asterisk-a": nodes["asterisk-a"].SIPPort, "asterisk-b": nodes["asterisk-b"].SIPPort}, opSIP)
	for _, n := range nodes {
		if err := kam.waitState(ctx, n.SIPPort, true); err != nil {
			t.Fatal(err)
		}
	}
	// Each node: its first controller takes the lease, the second stands by.
	ctrl := map[string][2]*controller{}
	for _, name := range []string{"asterisk-a", "asterisk-b"} {
		first := startController(t, db, nodes[name], name, "regul-"+name[len(name)-1:]+"1")
		first.active(ctx)
		second := startController(t, db, nodes[name], name, "regul-"+name[len(name)-1:]+"2")
		ctrl[name] = [2]*controller{first, second}
	}
	nodeOf := func(n *asterisktest.Node) string {
		for name, m := range nodes {
			if m == n {
				return name
			}
		}
		return ""
	}
	live := []*asterisktest.Node{nodes["asterisk-a"], nodes["asterisk-b"]}
	figure("Asterisk ×3, Kamailio and regul ×4 started", time.Since(step))

	// 1. An active controller dies with a GP in the middle of identifying:
	// its standby takes the lease and adopts the call.
	g1 := dial(t, ctx, op, live, gpNumber)
	g1.hears(ctx, "saisir-rpps")
	pairOf1 := ctrl[nodeOf(g1.node)]
	if !pairOf1[1].isStandby() {
		t.Fatalf("%s is not standing by", pairOf1[1].name)
	}
	killed := time.Now()
	pairOf1[0].crash()
	pairOf1[1].active(ctx)
	took := time.Since(killed)
	figure("active controller killed → standby drives the node", took)
	if took > generous {
		t.Errorf("the standby took %v to drive the node (the aim is 5 s)", took)
	}
	if _, _, err := g1.node.Monitor.Wait(ctx, g1.cursor, "a prompt to the adopted call", func(e asterisktest.Event) bool {
		return e.Type == "PlaybackStarted" && e.ChannelID() == g1.line
	}); err != nil {
		t.Fatal(err)
	}
	figure("active controller killed → the adopted call's next prompt starts", time.Since(killed))
	g1.press(ctx, "saisir-rpps", gpRPPS+"#")
	g1.press(ctx, "saisir-code", pins[gpRPPS]+"#")
	g1.hears(ctx, "menu-intro")
	g1.hangup(ctx)
	// systemd starts the killed controller again: the node's new standby.
	name1 := nodeOf(g1.node)
	ctrl[name1] = [2]*controller{pairOf1[1], startController(t, db, g1.node, name1, pairOf1[0].name+"-restarted")}
	actives := map[string]*controller{}
	for name, p := range ctrl {
		actives[name] = p[0]
	}

	// 2. A GP is being put through on one node when the machine dies (its
	// Asterisk and its controllers at once).
	g2 := dial(t, ctx, op, live, gpNumber)
	g2.press(ctx, "saisir-rpps", gpRPPS+"#")
	g2.press(ctx, "saisir-code", pins[gpRPPS]+"#")
	opFrom := op.Events.Len()
	g2.press(ctx, "menu-intro", "1")
	specialist, err := op.Incoming(ctx, opFrom, martin)
	if err != nil {
		t.Fatal(err)
	}
	deadName := nodeOf(g2.node)
	dead := nodes[deadName]
	deadActive := actives[deadName]
	if err := deadActive.svc.Recorder().WaitDrained(ctx); err != nil {
		t.Fatal(err)
	}
	var survivorName string
	for name := range nodes {
		if name != deadName {
			survivorName = name
		}
	}
	survivor := nodes[survivorName]
	killed = time.Now()
	deadActive.crash()
	for _, c := range ctrl[deadName] {
		c.stop() // the standby goes with its machine
	}
	dead.Kill()
	live = []*asterisktest.Node{survivor}
	// Two calls at once: round robin sends one of them to the dead node,
	// still listed until the probes miss; Kamailio tries the other node
	// when the dead one does not answer within fr_timer.
	var g3, g3b *lineCall
	type dialled struct {
		c   *lineCall
		err error
	}
	both := make(chan dialled, 1)
	go func() {
		c, err := dialE(t, ctx, op, []*asterisktest.Node{survivor, dead}, otherCaller)
		both <- dialled{c, err}
	}()
	g3 = dial(t, ctx, op, []*asterisktest.Node{survivor, dead}, gpNumber)
	d := <-both
	if d.err != nil {
		t.Fatal(d.err)
	}
	g3b = d.c
	took = time.Since(killed)
	figure("line node killed → two new calls answered by the other node", took)
	if took > generous {
		t.Errorf("new calls took %v to reach the other node (the aim is 5 s)", took)
	}
	if g3.node != survivor || g3b.node != survivor {
		t.Fatalf("a new call went to the dead node %s", deadName)
	}
	if err := kam.waitState(ctx, dead.SIPPort, false); err != nil {
		t.Fatal(err)
	}
	figure("line node killed → Kamailio takes it out (OPTIONS probes)", time.Since(killed))
	g3.hears(ctx, "saisir-rpps")
	g3.hangup(ctx)
	g3b.hangup(ctx)
	for _, p := range []*asterisktest.Phone{g2.phone, specialist} {
		_ = p.Hangup(ctx) // the operator would learn it from RTP timeouts
	}

	// The survivor's sweeper closes the dead node's call once it has been
	// silent longer than a live call can be: moved forward here.
	sv := actives[survivorName].svc
	if err := sv.WaitIdle(ctx); err != nil {
		t.Fatal(err)
	}
	if err := sv.Recorder().WaitDrained(ctx); err != nil {
		t.Fatal(err)
	}
	closed, err := sv.SweepLeftOpen(ctx, testclock.Shifted(mondayMorning).Now().Add(15*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if err := sv.Recorder().WaitDrained(ctx); err != nil {
		t.Fatal(err)
	}
	rows := snapshot(t, ctx, setup)
	if closed != 1 || len(rows) != 4 {
		t.Fatalf("sweeper closed %d calls, %d recorded: %+v; want the dead node's one call of four", closed, len(rows), rows)
	}
	for _, r := range rows {
		rec, err := calllog.NewStore(setup).Call(ctx, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case r.ID == rows[1].ID: // g2, the second call made
			if rec.Result != callevent.ResultInterrupted || rec.Callback == nil {
				t.Errorf("the dead node's call: result %q, callback %+v; want interrupted with a callback for the GP", rec.Result, rec.Callback)
			}
		case rec.Result != callevent.ResultAbandoned:
			t.Errorf("call %s ended %q, want abandoned (the caller hung up)", r.ID, rec.Result)
		}
	}

	// 3. The database primary dies: the survivor's active keeps the node
	// (Asterisk witnesses it), a call connects and identifies meanwhile;
	// the replica is promoted and every record lands there once.
	before := snapshot(t, ctx, setup)
	active, standby := ctrl[survivorName][0], ctrl[survivorName][1]
	killed = time.Now()
	if err := db.primary.Kill(ctx); err != nil {
		t.Fatal(err)
	}
	if err := waitFor(ctx, "the active to notice the database is away", func() (bool, error) {
		s, err := active.readyHA(ctx)
		return contains(s, "database unreachable"), err
	}); err != nil {
		t.Fatal(err)
	}
	g4 := dial(t, ctx, op, live, gpNumber)
	g4.press(ctx, "saisir-rpps", gpRPPS+"#")
	g4.press(ctx, "saisir-code", pins[gpRPPS]+"#")
	g4.hears(ctx, "menu-intro")
	g4.hangup(ctx)
	outage := time.Since(killed)
	if outage <= active.cfg.HA.LeaseTTL {
		t.Fatalf("the outage (%v) did not outlast the lease (%v): the test proves nothing", outage, active.cfg.HA.LeaseTTL)
	}
	select {
	case err := <-active.ran:
		t.Fatalf("the active controller stopped during the database outage: %v", err)
	default:
	}
	if !standby.isStandby() {
		t.Fatal("the standby took the node while the active drove it")
	}
	promoted := time.Now()
	if err := db.replica.Promote(ctx); err != nil {
		t.Fatal(err)
	}
	if err := sv.WaitIdle(ctx); err != nil {
		t.Fatal(err)
	}
	if err := sv.Recorder().WaitDrained(ctx); err != nil {
		t.Fatal(err)
	}
	figure("replica promoted → the spool applied on the new primary", time.Since(promoted))
	if err := waitFor(ctx, "the lease renewed on the new primary", func() (bool, error) {
		s, err := active.readyHA(ctx)
		return contains(s, "active (lease token") && !contains(s, "unreachable"), err
	}); err != nil {
		t.Fatal(err)
	}
	figure("replica promoted → the active renews its lease there", time.Since(promoted))
	figure(fmt.Sprintf("database away (calls went on from memory and the spool), lease TTL %v", active.cfg.HA.LeaseTTL), promoted.Sub(killed))

	after := snapshot(t, ctx, setup)
	if len(after) != len(before)+1 {
		t.Fatalf("after the promotion %d calls recorded, want %d: %+v", len(after), len(before)+1, after)
	}
	for i, b := range before {
		if after[i] != b {
			t.Errorf("call %d changed across the failover: %+v, was %+v", i, after[i], b)
		}
	}
	if last := after[len(after)-1]; last.Result != string(callevent.ResultAbandoned) || last.Reference == "" {
		t.Errorf("the call made during the outage: %+v; want abandoned, with a reference", last)
	}
	refs := map[string]bool{}
	for _, r := range after {
		if refs[r.Reference] {
			t.Errorf("reference %s given twice", r.Reference)
		}
		refs[r.Reference] = true
	}
	var holder string
	if err := setup.QueryRow(ctx, `SELECT holder FROM controller_lease WHERE node = $1`, survivorName).Scan(&holder); err != nil {
		t.Fatal(err)
	}
	if holder != active.name {
		t.Errorf("the lease of %s is held by %s after the failover, want %s", survivorName, holder, active.name)
	}
	figure("whole test", time.Since(begin))
}

// buildPrompts synthesises the line's sounds (`regul prompts build`).
func buildPrompts(t *testing.T, ctx context.Context, pool *pgxpool.Pool) string {
	t.Helper()
	repo, err := asterisktest.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	// Kept between runs: the builder only synthesises what changed. A lock
	// keeps two runs from writing the folder at once.
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = os.TempDir()
	}
	dir := filepath.Join(cache, "regul-test", "cluster-prompts")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	lock, err := os.OpenFile(filepath.Join(dir, ".lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		t.Fatal(err)
	}
	defer syscall.Flock(int(lock.Fd()), syscall.LOCK_UN)
	if err := asterisktest.BuildPrompts(ctx, repo, dir, roster.NewStore(pool)); err != nil {
		t.Fatalf("prompts: %v", err)
	}
	return dir
}
