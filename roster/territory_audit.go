package roster

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/regul-sante/regul/accounts/journal"
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

// audit appends to the journal in the caller's transaction, so that a
// change and its record commit together.
func audit(ctx context.Context, tx pgx.Tx, territoryID int64, action string, detail map[string]any) error {
	return auditAt(ctx, tx, time.Time{}, territoryID, action, detail)
}

// auditAt is audit at a given instant (the caller's clock); zero is the
// database's.
func auditAt(ctx context.Context, tx pgx.Tx, at time.Time, territoryID int64, action string, detail map[string]any) error {
	return journal.Write(ctx, tx, journal.Entry{At: at, Actor: ActorFrom(ctx), TerritoryID: territoryID, Action: action, Detail: detail})
}
