package calllog

import (
	"context"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// JournalRow is one journal row, its actor and action already named, that
// calllog writes inside its own transaction with the detail only it reads
// (the call's reference).
type JournalRow interface {
	WriteTx(ctx context.Context, tx pgx.Tx, detail map[string]any) error
}

// CloseCallbackJournaled closes a request as CloseCallback does, from the
// Rappels page or a call's page alike, and journals the call's reference
// and the note (trimmed, when not empty) in the same transaction.
func (s *Store) CloseCallbackJournaled(ctx context.Context, scope Scope, ref CallbackRef, by, note string, at time.Time, j JournalRow) (Callback, error) {
	return s.CloseCallback(ctx, scope, ref, by, note, at, func(ctx context.Context, tx pgx.Tx, reference string) error {
		detail := map[string]any{"reference": reference}
		if n := strings.TrimSpace(note); n != "" {
			detail["note"] = n
		}
		return j.WriteTx(ctx, tx, detail)
	})
}

// ReopenCallbackJournaled reopens a request as ReopenCallback does and
// journals the call's reference in the same transaction.
func (s *Store) ReopenCallbackJournaled(ctx context.Context, scope Scope, ref CallbackRef, now time.Time, j JournalRow) (Callback, error) {
	return s.ReopenCallback(ctx, scope, ref, now, func(ctx context.Context, tx pgx.Tx, reference string) error {
		return j.WriteTx(ctx, tx, map[string]any{"reference": reference})
	})
}
