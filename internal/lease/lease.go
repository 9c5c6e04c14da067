// Package lease elects the one active controller of an Asterisk node among
// several `regul serve`: the holder of the node's row in controller_lease
// (this package alone reads and writes it) connects to ARI; the others wait
// as standbys and take over when the lease expires.
//
// A holder renews every RenewInterval; a renewal extends the lease to TTL
// after the moment the renewal was sent. The holder counts its lease as
// valid only until then, by its own clock: a process paused (GC, a frozen
// VM, a lost network) past that instant cancels its term's context before
// doing anything else, and its next renewal finds the row taken, with a
// higher token. The fencing token (monotonic per node) is given to the
// term so that writes can carry it and be refused from an old term.
//
// PostgreSQL can be away (a failover, an outage) while the node and its
// active controller are fine: calls are meant to connect then. With a
// Witness (the node's Asterisk itself), a holder whose renewal fails for
// want of the database (not because another process holds the row) keeps
// its term as long as it keeps telling Asterisk that it drives it (a beat
// every RenewInterval, counted valid for TTL, as the lease is); a standby
// takes over an expired lease only when Asterisk says that no controller
// drives the node any more: its ARI application has no WebSocket, or the
// last beat is older than TTL. When the database answers again the holder
// renews its own row with the same token, or stops at once if another
// process took it.
//
// Times come from the injected clock, not from PostgreSQL: the machines of
// a pair must keep their clocks in sync (NTP) well within the TTL.
package lease

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"go.uber.org/zap"

	"github.com/regul-sante/regul/internal/clock"
)

// Options configure an Elector. Pool, Node and Log are required.
type Options struct {
	Pool          *pgxpool.Pool
	Node          string        // the Asterisk node (config ha.node)
	ID            string        // this process (config ha.id; default host name and pid)
	RenewInterval time.Duration // default 1 s
	TTL           time.Duration // default 3 s
	Clock         clock.Clock   // default clock.System()
	Log           *zap.Logger
	// Witness, when set, lets a holder outlive a database outage and
	// keeps standbys from taking over a node still driven (see the
	// package comment). Nil: the lease alone decides, and a holder that
	// cannot renew stops at its expiry.
	Witness Witness
}

// Witness is the Asterisk node's own account of who drives it.
type Witness interface {
	// Beat tells the node that this holder drives it now. It fails when
	// the node cannot be told, or when this process no longer drives it
	// (its ARI link is down).
	Beat(ctx context.Context, holder string, token int64, at time.Time) error
	// Alive says whether some controller still drives the node as of now:
	// its ARI application has a WebSocket connected and a beat younger
	// than ttl. who names the last beat's holder, for the logs. An error
	// means the node could not be asked: the caller assumes alive.
	Alive(ctx context.Context, now time.Time, ttl time.Duration) (alive bool, who string, err error)
	// Resign withdraws this holder's beats (an orderly stop), so that a
	// standby need not wait for the last one to age.
	Resign(ctx context.Context, holder string, token int64) error
}

// Elector takes and keeps one node's lease for this process.
type Elector struct {
	o Options

	mu      sync.Mutex
	current *Term
	holder  string // the other holder last seen, for /readyz
}

// New returns an elector; nothing is written before Acquire.
func New(o Options) (*Elector, error) {
	if o.Pool == nil || o.Node == "" || o.Log == nil {
		return nil, errors.New("lease: Pool, Node and Log are required")
	}
	if o.ID == "" {
		host, _ := os.Hostname()
		o.ID = fmt.Sprintf("%s/%d", host, os.Getpid())
	}
	if o.RenewInterval <= 0 {
		o.RenewInterval = time.Second
	}
	if o.TTL <= 0 {
		o.TTL = 3 * time.Second
	}
	if o.Clock == nil {
		o.Clock = clock.System()
	}
	return &Elector{o: o}, nil
}

// ID is this process's name in the lease.
func (e *Elector) ID() string { return e.o.ID }

// Term is one continuous holding of the lease.
type Term struct {
	e      *Elector
	Token  int64 // the fencing token of this term
	ctx    context.Context
	cancel context.CancelCauseFunc

	mu         sync.Mutex
	validUntil time.Time // by the lease row
	dbDown     bool      // the last renewal could not reach the database
	beatAt     time.Time // when the last successful beat was sent
	abandoned  bool      // Abandon: the process "died", nothing more is written
}

// ErrLost is the cause of a term's context when the lease was lost.
var ErrLost = errors.New("controller lease lost")

// Context ends when the term does: the lease was lost (cause wraps ErrLost)
// or released.
func (t *Term) Context() context.Context { return t.ctx }

// ValidUntil is the instant this process stops counting on the lease
// unless a renewal (or, while the database is away, a beat) succeeds
// first.
func (t *Term) ValidUntil() time.Time {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.validUntilLocked()
}

func (t *Term) validUntilLocked() time.Time {
	v := t.validUntil
	if t.dbDown && !t.beatAt.IsZero() {
		if b := t.beatAt.Add(t.e.o.TTL); b.After(v) {
			v = b
		}
	}
	return v
}

// Degraded says whether the term is kept by the node's witness alone: the
// database could not be reached at the last renewal.
func (t *Term) Degraded() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.dbDown
}

// Active says whether this process holds the lease now (for /readyz and
// the regul_ha_active metric); with the holder seen otherwise.
func (e *Elector) Active() (bool, int64, string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.current != nil && e.current.ctx.Err() == nil && e.o.Clock.Now().Before(e.current.ValidUntil()) {
		return true, e.current.Token, e.o.ID
	}
	return false, 0, e.holder
}

// Degraded says whether this process is active on the witness's word
// alone, the database unreachable.
func (e *Elector) Degraded() bool {
	e.mu.Lock()
	t := e.current
	e.mu.Unlock()
	return t != nil && t.ctx.Err() == nil && t.Degraded()
}

// TryAcquire takes the lease when it is free or expired (or already ours
// and still valid: then it renews it, same token). It returns nil, nil when
// another process holds it.
func (e *Elector) TryAcquire(ctx context.Context) (*Term, error) {
	sent := e.o.Clock.Now()
	expired, err := e.expiredHolder(ctx, sent)
	if err != nil || (expired != nil && expired.alive) {
		return nil, err
	}
	var takeover *int64
	if expired != nil {
		takeover = &expired.token
	}
	token, held, holder, err := e.write(ctx, sent, 0, takeover)
	if err != nil {
		return nil, err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if !held {
		e.holder = holder
		return nil, nil
	}
	tctx, cancel := context.WithCancelCause(context.Background())
	t := &Term{e: e, Token: token, ctx: tctx, cancel: cancel, validUntil: sent.Add(e.o.TTL)}
	if e.current != nil {
		e.current.cancel(fmt.Errorf("%w: a new term began (token %d)", ErrLost, token))
	}
	e.current, e.holder = t, e.o.ID
	e.o.Log.Info("controller lease taken: this process is the active controller",
		zap.String("node", e.o.Node), zap.Int64("token", token))
	return t, nil
}

// expiredRow is another process's expired lease, and what the witness
// says of it.
type expiredRow struct {
	token int64
	alive bool
}

// expiredHolder, with a witness, looks for another process's expired
// lease and asks the node whether that process still drives it (the
// database may have been away from it, not from us). Nil when there is no
// witness, no row, a row of ours or a row not expired.
func (e *Elector) expiredHolder(ctx context.Context, now time.Time) (*expiredRow, error) {
	if e.o.Witness == nil {
		return nil, nil
	}
	var holder string
	var token int64
	var expires time.Time
	err := e.o.Pool.QueryRow(ctx, `SELECT holder, token, expires_at FROM controller_lease WHERE node = $1`, e.o.Node).
		Scan(&holder, &token, &expires)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("read the controller lease of node %s: %w", e.o.Node, err)
	case holder == e.o.ID || expires.After(now):
		return nil, nil
	}
	alive, who, err := e.o.Witness.Alive(ctx, now, e.o.TTL)
	if err != nil {
		return nil, fmt.Errorf("ask node %s whether controller %s still drives it (its lease expired): %w", e.o.Node, holder, err)
	}
	if alive {
		e.mu.Lock()
		first := e.holder != holder+" (database unreachable from it)"
		e.holder = holder + " (database unreachable from it)"
		e.mu.Unlock()
		if first {
			e.o.Log.Warn("controller lease expired but the node is still driven: staying standby",
				zap.String("node", e.o.Node), zap.String("holder", holder), zap.String("last_beat", who))
		}
	}
	return &expiredRow{token: token, alive: alive}, nil
}

// write inserts, renews or takes over the row as of now. The token grows
// unless the row is ours and unexpired, or ours with the token of the term
// renewing it (mine: 0 for a new term). takeover, when set, is the only
// token an expired row of another holder may carry to be taken over.
func (e *Elector) write(ctx context.Context, now time.Time, mine int64, takeover *int64) (token int64, held bool, holder string, err error) {
	err = e.o.Pool.QueryRow(ctx, `
		INSERT INTO controller_lease AS l (node, holder, token, acquired_at, renewed_at, expires_at)
		VALUES ($1, $2, 1, $3, $3, $4)
		ON CONFLICT (node) DO UPDATE SET
		    token       = CASE WHEN l.holder = excluded.holder AND (l.expires_at > $3 OR l.token = $5) THEN l.token ELSE l.token + 1 END,
		    acquired_at = CASE WHEN l.holder = excluded.holder AND (l.expires_at > $3 OR l.token = $5) THEN l.acquired_at ELSE $3 END,
		    holder = excluded.holder, renewed_at = $3, expires_at = $4
		 WHERE l.holder = excluded.holder OR (l.expires_at <= $3 AND ($6::bigint IS NULL OR l.token = $6))
		RETURNING token`, e.o.Node, e.o.ID, now, now.Add(e.o.TTL), mine, takeover).Scan(&token)
	if errors.Is(err, pgx.ErrNoRows) {
		err = e.o.Pool.QueryRow(ctx, `SELECT holder FROM controller_lease WHERE node = $1`, e.o.Node).Scan(&holder)
		if err != nil {
			return 0, false, "", fmt.Errorf("read the controller lease of node %s: %w", e.o.Node, err)
		}
		return 0, false, holder, nil
	}
	if err != nil {
		return 0, false, "", fmt.Errorf("write the controller lease of node %s: %w", e.o.Node, err)
	}
	return token, true, e.o.ID, nil
}

// Renew extends the term's lease. It fails the term (its context ends with
// ErrLost) when the row now carries another token, or when the term's
// validity ran out before a renewal succeeded. A renewal that cannot reach
// the database leaves the term to its validity, which beats extend when
// there is a witness.
func (t *Term) Renew(ctx context.Context) error {
	if err := t.Check(); err != nil {
		return err
	}
	sent := t.e.o.Clock.Now()
	token, held, holder, err := t.e.write(ctx, sent, t.Token, nil)
	if err == nil && (!held || token != t.Token) {
		return t.lose(fmt.Errorf("%w: node %s now held by %s", ErrLost, t.e.o.Node, holder))
	}
	t.mu.Lock()
	was := t.dbDown
	t.dbDown = err != nil
	if err == nil {
		t.validUntil = sent.Add(t.e.o.TTL)
	}
	t.mu.Unlock()
	switch {
	case err != nil && !was && t.e.o.Witness != nil:
		t.e.o.Log.Warn("controller lease not renewed: database unreachable; still the active controller while Asterisk sees this process drive it",
			zap.String("node", t.e.o.Node), zap.Int64("token", t.Token), zap.Error(err))
	case err != nil && !was:
		t.e.o.Log.Warn("controller lease not renewed: database unreachable; the active controller stops at the lease's expiry",
			zap.String("node", t.e.o.Node), zap.Int64("token", t.Token), zap.Error(err))
	case err == nil && was:
		t.e.o.Log.Info("controller lease renewed again: the database answers",
			zap.String("node", t.e.o.Node), zap.Int64("token", t.Token))
	}
	return t.Check()
}

// Beat tells the witness that this term drives the node; a beat counts
// for TTL after it was sent, and only while the database is away.
func (t *Term) Beat(ctx context.Context) error {
	w := t.e.o.Witness
	if w == nil {
		return nil
	}
	if err := t.Check(); err != nil {
		return err
	}
	sent := t.e.o.Clock.Now()
	if err := w.Beat(ctx, t.e.o.ID, t.Token, sent); err != nil {
		return fmt.Errorf("tell node %s that this controller drives it: %w", t.e.o.Node, err)
	}
	t.mu.Lock()
	if sent.After(t.beatAt) {
		t.beatAt = sent
	}
	t.mu.Unlock()
	return nil
}

// Check ends the term when its validity has run out by the clock.
func (t *Term) Check() error {
	if err := context.Cause(t.ctx); err != nil {
		return err
	}
	if now := t.e.o.Clock.Now(); !now.Before(t.ValidUntil()) {
		return t.lose(fmt.Errorf("%w: not renewed before it expired at %s", ErrLost, t.ValidUntil().Format(time.RFC3339Nano)))
	}
	return nil
}

func (t *Term) lose(cause error) error {
	if t.ctx.Err() == nil {
		t.e.o.Log.Error("controller lease lost: this process stops acting as the active controller",
			zap.String("node", t.e.o.Node), zap.Int64("token", t.Token), zap.Error(cause))
	}
	t.cancel(cause)
	return context.Cause(t.ctx)
}

// Abandon ends the term as a crash would: nothing more is written, the
// lease is left to expire. For failover tests.
func (t *Term) Abandon() {
	t.mu.Lock()
	t.abandoned = true
	t.mu.Unlock()
	t.cancel(fmt.Errorf("%w: abandoned", ErrLost))
}

// Release gives the lease up at once (an orderly stop), so that a standby
// takes over without waiting for the expiry.
func (t *Term) Release(ctx context.Context) error {
	t.mu.Lock()
	abandoned := t.abandoned
	t.mu.Unlock()
	if abandoned {
		return nil
	}
	t.cancel(fmt.Errorf("%w: released", ErrLost))
	// The row first: Asterisk may be the part that is gone.
	_, err := t.e.o.Pool.Exec(ctx, `UPDATE controller_lease SET expires_at = $3 WHERE node = $1 AND token = $2`,
		t.e.o.Node, t.Token, t.e.o.Clock.Now())
	if w := t.e.o.Witness; w != nil {
		if err := w.Resign(ctx, t.e.o.ID, t.Token); err != nil {
			t.e.o.Log.Warn("controller lease: Asterisk not told of the release; a standby waits for the last beat to age",
				zap.String("node", t.e.o.Node), zap.Error(err))
		}
	}
	if err != nil {
		return fmt.Errorf("release the controller lease of node %s: %w", t.e.o.Node, err)
	}
	return nil
}

// Acquire waits, trying every RenewInterval, until this process holds the
// lease or ctx ends; then it keeps the lease renewed in the background
// until it is lost or hold ends (then it is released).
func (e *Elector) Acquire(ctx, hold context.Context) (*Term, error) {
	tick := time.NewTicker(e.o.RenewInterval)
	defer tick.Stop()
	logged := false
	for {
		t, err := e.TryAcquire(ctx)
		switch {
		case err != nil && !logged:
			e.o.Log.Warn("controller lease: database unavailable, staying standby", zap.Error(err))
			logged = true
		case err == nil && t == nil && !logged:
			e.o.Log.Info("controller lease held by another process: standing by", zap.String("node", e.o.Node))
			logged = true
		}
		if t != nil {
			go t.keep(hold)
			return t, nil
		}
		select {
		case <-ctx.Done():
			return nil, context.Cause(ctx)
		case <-tick.C:
		}
	}
}

// keep renews the term until it is lost; ctx ending releases it.
func (t *Term) keep(ctx context.Context) {
	tick := time.NewTicker(t.e.o.RenewInterval)
	defer tick.Stop()
	// Fires at the term's expiry even when no tick came (a paused process
	// resumes with the timer due): the term ends before anything else runs.
	expiry := time.NewTimer(t.ValidUntil().Sub(t.e.o.Clock.Now()))
	defer expiry.Stop()
	for {
		select {
		case <-expiry.C:
			if errors.Is(t.Check(), ErrLost) {
				return
			}
			expiry.Reset(t.ValidUntil().Sub(t.e.o.Clock.Now()))
			continue
		case <-ctx.Done():
			rctx, cancel := context.WithTimeout(context.Background(), t.e.o.RenewInterval)
			_ = t.Release(rctx)
			cancel()
			return
		case <-t.ctx.Done():
			return
		case <-tick.C:
		}
		// A renewal never outlives the term's validity, nor the interval;
		// the beat goes alongside, so that a database that hangs does not
		// hold it up.
		deadline := t.ValidUntil()
		if d := t.e.o.Clock.Now().Add(t.e.o.RenewInterval); d.Before(deadline) {
			deadline = d
		}
		rctx, cancel := context.WithDeadline(ctx, deadline)
		beat := make(chan error, 1)
		go func() { beat <- t.Beat(rctx) }()
		err := t.Renew(rctx)
		beatErr := <-beat
		cancel()
		if errors.Is(err, ErrLost) {
			return
		}
		if beatErr != nil && t.Degraded() && !errors.Is(beatErr, ErrLost) {
			t.e.o.Log.Warn("controller lease: neither the database nor Asterisk confirms this controller",
				zap.String("node", t.e.o.Node), zap.Error(beatErr))
		}
		if !expiry.Stop() {
			select {
			case <-expiry.C:
			default:
			}
		}
		expiry.Reset(t.ValidUntil().Sub(t.e.o.Clock.Now()))
	}
}
