package calllog

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// LatestCall returns the record of the call that started last, or
// ErrNotFound when none was recorded.
func (s *Store) LatestCall(ctx context.Context) (CallRecord, error) {
	var id string
	err := s.pool.QueryRow(ctx, `SELECT id::text FROM call ORDER BY started_at DESC LIMIT 1`).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return CallRecord{}, ErrNotFound
	}
	if err != nil {
		return CallRecord{}, fmt.Errorf("latest call: %w", err)
	}
	return s.Call(ctx, id)
}
