package notify

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"go.uber.org/zap"

	"github.com/regul-sante/regul/internal/clock"
)

// WorkerOptions configure a Worker.
type WorkerOptions struct {
	Pool *pgxpool.Pool // required
	Log  *zap.Logger   // required
	// Sender is nil when no credentials are configured: the worker then
	// sends nothing and the outbox keeps filling.
	Sender Sender
	Clock  clock.Clock // default clock.System()
	// ID names this worker in leases; default host:pid:random.
	ID           string
	PollInterval time.Duration // default 2 s
	Lease        time.Duration // default 1 min; must outlast a request
	BaseBackoff  time.Duration // first retry delay, doubled per try; default 10 s
	MaxBackoff   time.Duration // default 10 min
	MaxAttempts  int           // tries before a message is marked failed; default 12
	Batch        int           // rows leased at once; default 20
}

// Worker sends the outbox. Several workers (several `regul serve`) may run
// on one database: a row is leased by one at a time.
type Worker struct {
	o   WorkerOptions
	log *zap.Logger
}

// NewWorker checks the options and fills the defaults.
func NewWorker(o WorkerOptions) (*Worker, error) {
	if o.Pool == nil || o.Log == nil {
		return nil, errors.New("notify: WorkerOptions.Pool and Log are required")
	}
	if o.Clock == nil {
		o.Clock = clock.System()
	}
	if o.ID == "" {
		host, _ := os.Hostname()
		b := make([]byte, 4)
		_, _ = rand.Read(b)
		o.ID = fmt.Sprintf("%s:%d:%s", host, os.Getpid(), hex.EncodeToString(b))
	}
	if o.PollInterval <= 0 {
		o.PollInterval = 2 * time.Second
	}
	if o.Lease <= 0 {
		o.Lease = time.Minute
	}
	if o.BaseBackoff <= 0 {
		o.BaseBackoff = 10 * time.Second
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = 10 * time.Minute
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = 12
	}
	if o.Batch <= 0 {
		o.Batch = 20
	}
	return &Worker{o: o, log: o.Log.With(zap.String("worker", o.ID))}, nil
}

// Run sends due messages every poll interval until ctx ends. Without a
// sender it says so once and leaves the outbox alone.
func (w *Worker) Run(ctx context.Context) {
	if w.o.Sender == nil {
		w.log.Warn("SMS sending is off (twilio.account_sid and twilio.auth_token not set): messages stay queued in sms_outbox until credentials are configured")
		return
	}
	t := time.NewTicker(w.o.PollInterval)
	defer t.Stop()
	for {
		if _, err := w.RunOnce(ctx); err != nil && ctx.Err() == nil {
			w.log.Warn("SMS outbox", zap.Error(err))
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// leased is a row this worker holds.
type leased struct {
	id        int64
	to, body  string
	maybeSent bool
	firstTry  time.Time
	attempts  int
	callID    string
	kind      string
}

// RunOnce leases the due rows, sends them and marks each; it returns how
// many it handled. Rows are leased in a short transaction of their own, so
// no lock is held while Twilio answers.
func (w *Worker) RunOnce(ctx context.Context) (int, error) {
	if w.o.Sender == nil {
		return 0, nil
	}
	rows, err := w.lease(ctx)
	if err != nil {
		return 0, err
	}
	for _, r := range rows {
		w.handle(ctx, r)
	}
	return len(rows), nil
}

// lease claims due rows: queued ones whose time has come, and sending ones
// whose lease expired (their worker died: the try may have gone out, so
// maybe_sent is set and Twilio will be asked first).
func (w *Worker) lease(ctx context.Context) ([]leased, error) {
	now := w.o.Clock.Now()
	rows, err := w.o.Pool.Query(ctx, `
		WITH due AS (
		    SELECT id FROM sms_outbox
		     WHERE (status = 'queued' AND next_try_at <= $1) OR (status = 'sending' AND lease_until <= $1)
		     ORDER BY next_try_at, id
		     LIMIT $4
		     FOR UPDATE SKIP LOCKED)
		UPDATE sms_outbox o
		   SET maybe_sent = o.maybe_sent OR o.status = 'sending',
		       status = 'sending', lease_owner = $2, lease_until = $3, attempts = o.attempts + 1,
		       first_try_at = coalesce(o.first_try_at, $1), updated_at = $1
		  FROM due WHERE o.id = due.id
		RETURNING o.id, o.recipient, o.body, o.maybe_sent, o.first_try_at, o.attempts,
		          coalesce(o.call_id::text, ''), o.kind`,
		now, w.o.ID, now.Add(w.o.Lease), w.o.Batch)
	if err != nil {
		return nil, fmt.Errorf("lease due SMS: %w", err)
	}
	defer rows.Close()
	var out []leased
	for rows.Next() {
		var r leased
		if err := rows.Scan(&r.id, &r.to, &r.body, &r.maybeSent, &r.firstTry, &r.attempts, &r.callID, &r.kind); err != nil {
			return nil, fmt.Errorf("lease due SMS: %w", err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("lease due SMS: %w", err)
	}
	return out, nil
}

func (w *Worker) handle(ctx context.Context, r leased) {
	log := w.log.With(zap.Int64("sms", r.id), zap.String("kind", r.kind), zap.String("to", maskPhone(r.to)),
		zap.Int("attempt", r.attempts))
	if r.callID != "" {
		log = log.With(zap.String("call_id", r.callID))
	}
	if r.maybeSent {
		// An earlier try may have gone out: sending again could make a
		// duplicate. Ask Twilio first.
		// Only a message created since this row's first try, with this
		// row's body (unique per recipient: see insertMessages), is this
		// row's. FindSkew allows for Twilio's clock being a little behind.
		sid, found, err := w.o.Sender.Find(ctx, r.to, r.body, r.firstTry.Add(-FindSkew))
		if err == nil && found {
			err = w.sidFree(ctx, r.id, sid)
		}
		switch {
		case err != nil:
			log.Warn("SMS may have been sent and Twilio cannot tell: marked unknown for a coordinator to check", zap.Error(err))
			w.mark(ctx, log, r, `status = 'unknown', error_message = $3`, err.Error())
			return
		case found:
			log.Info("SMS found already sent at Twilio")
			w.mark(ctx, log, r, `status = 'sent', twilio_sid = $3, sent_at = $2, maybe_sent = false`, sid)
			return
		}
		log.Info("SMS not found at Twilio: sending it")
	}
	sid, err := w.o.Sender.Send(ctx, r.to, r.body)
	rejected, isRejected := errors.AsType[*RejectedError](err)
	transient, isTransient := errors.AsType[*TransientError](err)
	switch {
	case err == nil:
		log.Info("SMS sent", zap.String("sid", sid))
		w.mark(ctx, log, r, `status = 'sent', twilio_sid = $3, sent_at = $2, maybe_sent = false, error_code = NULL, error_message = NULL`, sid)
	case isRejected:
		log.Warn("SMS refused by Twilio: marked failed", zap.Int("code", rejected.Code), zap.String("reason", rejected.Message))
		w.mark(ctx, log, r, `status = 'failed', error_code = $3, error_message = $4`, rejected.Code, rejected.Message)
	case r.attempts >= w.o.MaxAttempts:
		log.Error("SMS not sent after the last try: marked failed", zap.Error(err))
		if isTransient {
			w.mark(ctx, log, r, `status = 'failed', error_code = $3, error_message = $4`, transient.Code, transient.Message)
		} else {
			w.mark(ctx, log, r, `status = 'unknown', error_message = $3`, err.Error())
		}
	case isTransient:
		delay := w.backoff(r.attempts)
		log.Warn("Twilio unavailable: SMS retried later", zap.Int("status", transient.Status), zap.Duration("in", delay))
		w.mark(ctx, log, r, `status = 'queued', next_try_at = $3, error_code = $4, error_message = $5`,
			w.o.Clock.Now().Add(delay), transient.Code, transient.Message)
	default:
		// A timeout or a cut connection: Twilio may have taken it.
		delay := w.backoff(r.attempts)
		log.Warn("SMS try ended without an answer: Twilio will be asked before the next try", zap.Error(err), zap.Duration("in", delay))
		w.mark(ctx, log, r, `status = 'queued', maybe_sent = true, next_try_at = $3, error_message = $4`,
			w.o.Clock.Now().Add(delay), err.Error())
	}
}

// FindSkew is how far before a row's first try a message found at Twilio
// may be stamped and still be this row's: clocks differ a little.
const FindSkew = 5 * time.Second

// sidFree refuses a SID another row already holds: a Twilio message is one
// row's at most (sms_outbox_twilio_sid also says so, for the race).
func (w *Worker) sidFree(ctx context.Context, id int64, sid string) error {
	var other int64
	err := w.o.Pool.QueryRow(ctx, `SELECT id FROM sms_outbox WHERE twilio_sid = $1 AND id <> $2`, sid, id).Scan(&other)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return nil
	case err != nil:
		return fmt.Errorf("check Twilio message %s: %w", sid, err)
	}
	return fmt.Errorf("the message Twilio lists (%s) is already SMS %d's", sid, other)
}

func (w *Worker) backoff(attempts int) time.Duration {
	d := w.o.BaseBackoff
	for i := 1; i < attempts && d < w.o.MaxBackoff; i++ {
		d *= 2
	}
	return min(d, w.o.MaxBackoff)
}

// mark ends this worker's lease with the result; set uses $2 for now and
// $3… for args. A row whose lease another worker took over is left alone.
// A settled link message loses its token from the body: only its hash
// stays in the database.
func (w *Worker) mark(ctx context.Context, log *zap.Logger, r leased, set string, args ...any) {
	// The mark must land even when ctx is ending: the message went (or not).
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	full := `UPDATE sms_outbox SET ` + set + `, lease_owner = NULL, lease_until = NULL, updated_at = $2
		WHERE id = $1 AND status = 'sending' AND lease_owner = $` + fmt.Sprint(len(args)+3)
	tag, err := w.o.Pool.Exec(ctx, full, append(append([]any{r.id, w.o.Clock.Now()}, args...), w.o.ID)...)
	if err != nil {
		log.Error("cannot record the SMS result: the row's lease will expire and Twilio be asked", zap.Error(err))
		return
	}
	if tag.RowsAffected() == 0 {
		log.Warn("SMS lease was taken over by another worker before the result was recorded")
		return
	}
	if _, err := w.o.Pool.Exec(ctx, `UPDATE sms_outbox
		SET body = regexp_replace(body, '/suite/[A-Za-z0-9_-]+', '/suite/…')
		WHERE id = $1 AND kind = 'outcome_link' AND status IN ('sent', 'failed')`, r.id); err != nil {
		log.Warn("cannot redact the link of a settled SMS", zap.Error(err))
	}
}
