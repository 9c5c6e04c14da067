package accounts

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/regul-sante/regul/accounts/journal"
)

// AuditEntry is one row of audit_log. TerritoryID 0 means the row concerns
// no single territory (a login, an admin account).
type AuditEntry struct {
	Actor       string
	TerritoryID int64
	Action      string
	Detail      map[string]any
}

// Audit writes one audit row. Detail must never hold a secret.
func (s *Store) Audit(ctx context.Context, e AuditEntry) error {
	return writeAudit(ctx, s.pool, s.clock.Now(), e)
}

// AuditTx writes one audit row inside the caller's transaction, so the
// change and its trace are committed together.
func (s *Store) AuditTx(ctx context.Context, tx pgx.Tx, e AuditEntry) error {
	return writeAudit(ctx, tx, s.clock.Now(), e)
}

func writeAudit(ctx context.Context, db journal.Execer, at time.Time, e AuditEntry) error {
	return journal.Write(ctx, db, journal.Entry{At: at, Actor: e.Actor, TerritoryID: e.TerritoryID,
		Action: e.Action, Detail: e.Detail})
}
