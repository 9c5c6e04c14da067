package accounts

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Audit actions written by this package and the console. The journal page
// labels them; keep the two lists in step.
const (
	ActionLogin         = "login"
	ActionLoginFailed   = "login.failed"
	ActionLogout        = "logout"
	ActionTOTPEnrolled  = "totp.enrolled"
	ActionCoordAdded    = "coordinator.added"
	ActionCoordDisabled = "coordinator.disabled"
	ActionTOTPReset     = "coordinator.totp_reset"
)

// AuditEntry is one row of audit_log. TerritoryID 0 means the row concerns
// no single territory (a login, an admin account).
type AuditEntry struct {
	Actor       string
	TerritoryID int64
	Action      string
	Detail      map[string]any
}

type execer interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
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

func writeAudit(ctx context.Context, db execer, at time.Time, e AuditEntry) error {
	detail := e.Detail
	if detail == nil {
		detail = map[string]any{}
	}
	raw, err := json.Marshal(detail)
	if err != nil {
		return fmt.Errorf("audit %s: encode detail: %w", e.Action, err)
	}
	var territory *int64
	if e.TerritoryID != 0 {
		territory = &e.TerritoryID
	}
	if _, err := db.Exec(ctx, `INSERT INTO audit_log (at, actor, territory_id, action, detail)
		VALUES ($1, $2, $3, $4, $5)`, at, e.Actor, territory, e.Action, raw); err != nil {
		return fmt.Errorf("audit %s: %w", e.Action, err)
	}
	return nil
}
