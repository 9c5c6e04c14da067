package roster

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

type actorKey struct{}

// WithActor returns a context whose changes are audit-logged under actor,
// e.g. "cli:alice" or "web:coordinator@example.org".
func WithActor(ctx context.Context, actor string) context.Context {
	return context.WithValue(ctx, actorKey{}, actor)
}

// ActorFrom returns the actor set by WithActor, or "system".
func ActorFrom(ctx context.Context) string {
	if a, ok := ctx.Value(actorKey{}).(string); ok && a != "" {
		return a
	}
	return "system"
}

// audit appends to audit_log in the caller's transaction, so that a change
// and its record commit together.
func audit(ctx context.Context, tx pgx.Tx, territoryID int64, action string, detail any) error {
	return auditAt(ctx, tx, time.Time{}, territoryID, action, detail)
}

// auditAt is audit at a given instant (the caller's clock); zero is the
// database's.
func auditAt(ctx context.Context, tx pgx.Tx, at time.Time, territoryID int64, action string, detail any) error {
	b, err := json.Marshal(detail)
	if err != nil {
		return fmt.Errorf("audit %s: %w", action, err)
	}
	var tid *int64
	if territoryID != 0 {
		tid = &territoryID
	}
	var when *time.Time
	if !at.IsZero() {
		when = &at
	}
	if _, err := tx.Exec(ctx, `INSERT INTO audit_log (actor, territory_id, action, detail, at) VALUES ($1, $2, $3, $4, coalesce($5, now()))`,
		ActorFrom(ctx), tid, action, b, when); err != nil {
		return fmt.Errorf("audit %s: %w", action, err)
	}
	return nil
}
