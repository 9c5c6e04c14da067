package notify

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// Backlog is what waits in a territory's outbox: messages not sent yet and
// the oldest one's age. With SMS sending off (no Twilio credentials) it
// only grows, and the console says so.
type Backlog struct {
	Waiting int
	Oldest  time.Time // zero when nothing waits
}

// Waiting reads a territory's backlog (the index sms_outbox_due serves
// the statuses).
func Waiting(ctx context.Context, pool *pgxpool.Pool, territoryID int64) (Backlog, error) {
	var b Backlog
	var oldest *time.Time
	err := pool.QueryRow(ctx, `SELECT count(*), min(created_at) FROM sms_outbox
		WHERE territory_id = $1 AND status IN ('queued', 'sending')`, territoryID).Scan(&b.Waiting, &oldest)
	if err != nil {
		return b, fmt.Errorf("SMS backlog: %w", err)
	}
	if oldest != nil {
		b.Oldest = *oldest
	}
	return b, nil
}
