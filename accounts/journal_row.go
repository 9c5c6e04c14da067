package accounts

import (
	"context"

	"github.com/jackc/pgx/v5"
)

// JournalRow is one journal row whose actor, territory and action the
// console names, and which the data owner writes inside its own
// transaction, with the detail only it reads (a call's reference, an SMS's
// kind): the change and its record commit together.
type JournalRow struct {
	store *Store
	entry AuditEntry
}

// JournalRow prepares a row for a data owner to write.
func (s *Store) JournalRow(actor string, territoryID int64, action string) JournalRow {
	return JournalRow{store: s, entry: AuditEntry{Actor: actor, TerritoryID: territoryID, Action: action}}
}

// WriteTx writes the row with its detail in the owner's transaction.
func (j JournalRow) WriteTx(ctx context.Context, tx pgx.Tx, detail map[string]any) error {
	e := j.entry
	e.Detail = detail
	return j.store.AuditTx(ctx, tx, e)
}
