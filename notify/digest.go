package notify

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"go.uber.org/zap"

	"github.com/regul-sante/regul/internal/clock"
	"github.com/regul-sante/regul/roster"
	"github.com/regul-sante/regul/roster/oncall"
)

// DigestDays is how far ahead the coverage digest looks.
const DigestDays = 7

// DigestOptions configure the daily coverage digest.
type DigestOptions struct {
	Pool   *pgxpool.Pool // required
	Roster *roster.Store // required: territories and the gap finder
	Log    *zap.Logger   // required
	Clock  clock.Clock   // default clock.System()
	// At is the territory-local time of day (HH:MM) from which the day's
	// digest is due; default 07:30.
	At string
}

// Digest queues, once a day per territory, an SMS to its coordination
// listing the next days' coverage gaps, only when there are some.
type Digest struct {
	o          DigestOptions
	hour, min  int
	log        *zap.Logger
	doneForDay map[int64]string // territory → local date already handled (spares the gap computation)
}

// NewDigest checks the options.
func NewDigest(o DigestOptions) (*Digest, error) {
	if o.Pool == nil || o.Roster == nil || o.Log == nil {
		return nil, errors.New("notify: DigestOptions.Pool, Roster and Log are required")
	}
	if o.Clock == nil {
		o.Clock = clock.System()
	}
	if o.At == "" {
		o.At = "07:30"
	}
	t, err := time.Parse("15:04", o.At)
	if err != nil {
		return nil, fmt.Errorf("notify.digest_at %q: not a time of day HH:MM", o.At)
	}
	return &Digest{o: o, hour: t.Hour(), min: t.Minute(), log: o.Log, doneForDay: map[int64]string{}}, nil
}

// Run checks every minute whether a territory's digest is due.
func (d *Digest) Run(ctx context.Context) {
	t := time.NewTicker(time.Minute)
	defer t.Stop()
	for {
		if _, err := d.RunOnce(ctx); err != nil && ctx.Err() == nil {
			d.log.Warn("coverage digest", zap.Error(err))
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// RunOnce queues the digests due now and returns how many it queued.
func (d *Digest) RunOnce(ctx context.Context) (int, error) {
	terrs, err := d.o.Roster.Territories(ctx)
	if err != nil {
		return 0, fmt.Errorf("coverage digest: %w", err)
	}
	now := d.o.Clock.Now()
	queued := 0
	var errs []error
	for _, t := range terrs {
		local := now.In(t.Location)
		date := local.Format("2006-01-02")
		due := time.Date(local.Year(), local.Month(), local.Day(), d.hour, d.min, 0, 0, t.Location)
		if local.Before(due) || d.doneForDay[t.ID] == date || t.CoordinatorPhone == "" {
			continue
		}
		ok, err := d.queue(ctx, t, now, date)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		d.doneForDay[t.ID] = date
		if ok {
			queued++
		}
	}
	return queued, errors.Join(errs...)
}

// queue computes the gaps and, when there are some, inserts the digest;
// the dedupe key makes a second instance (or a restart) a no-op.
func (d *Digest) queue(ctx context.Context, t oncall.Territory, now time.Time, date string) (bool, error) {
	gaps, err := d.o.Roster.Gaps(ctx, t.ID, now, DigestDays)
	if err != nil {
		return false, fmt.Errorf("coverage digest of %s: %w", t.Slug, err)
	}
	if len(gaps) == 0 {
		return false, nil
	}
	msg := message{dedupe: t.Slug + ":digest:" + date, territoryID: t.ID, kind: KindCoverageDigest,
		to: t.CoordinatorPhone, body: digestBody(t, gaps, now)}
	err = pgx.BeginFunc(ctx, d.o.Pool, func(tx pgx.Tx) error { return insertMessages(ctx, tx, now, []message{msg}) })
	if err != nil {
		return false, fmt.Errorf("coverage digest of %s: %w", t.Slug, err)
	}
	d.log.Info("coverage digest queued", zap.String("territory", t.Slug), zap.Int("gaps", len(gaps)))
	return true, nil
}

// digestBody: "CPTS des Coteaux : 3 créneaux sans garde d'ici le 30/11 :
// cardiologie 1, dermatologie 2. Premier lun. 23/11 08:00. Détail dans la console."
func digestBody(t oncall.Territory, gaps []roster.Gap, now time.Time) string {
	var order []string
	count := map[string]int{}
	first := gaps[0]
	for _, g := range gaps {
		if count[g.Label] == 0 {
			order = append(order, g.Label)
		}
		count[g.Label]++
		if g.Start.Before(first.Start) {
			first = g
		}
	}
	parts := make([]string, len(order))
	for i, label := range order {
		parts[i] = fmt.Sprintf("%s %d", label, count[label])
	}
	end := now.In(t.Location).AddDate(0, 0, DigestDays-1)
	noun := "créneaux sans garde"
	if len(gaps) == 1 {
		noun = "créneau sans garde"
	}
	start := first.Start.In(t.Location)
	return fmt.Sprintf("%s : %d %s d'ici le %s : %s. Premier %s %s. Détail dans la console.",
		t.Name, len(gaps), noun, end.Format("02/01"), strings.Join(parts, ", "),
		frenchWeekday[start.Weekday()], start.Format("02/01 15:04"))
}

var frenchWeekday = [...]string{"dim.", "lun.", "mar.", "mer.", "jeu.", "ven.", "sam."}
