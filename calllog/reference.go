package calllog

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// A call's reference is what people quote about it (« Réf. K7M2QX »): in
// its SMS, on the console, in the billing statement, in the journal. It is
// six characters from ReferenceAlphabet (no 0/O/1/I to misread or mishear:
// about a billion references), unique per territory — a UNIQUE (territory_id,
// reference) constraint on call says so — and stored on the call row, which
// everything that shows one reads. This file is the only place that makes
// one.
//
// Who picks it: the call script draws one at random when the call begins
// (NewReference) and records it in CallStarted and TerritoryResolved. The
// call never waits on the database, so uniqueness cannot be checked then;
// the spool applier checks it when it stores the territory (claimReference):
// on the rare collision (two calls of one territory drawing the same six
// characters) it re-derives another from the call id (DeriveReference, n =
// 1, 2, …) until one is free. Re-deriving from the id rather than drawing
// again makes the choice repeatable by any controller. The reference the
// applier stores is the one everything reads thereafter; the script never
// shows its own draw to anyone.

// ReferenceAlphabet is the references' alphabet: digits and capitals
// without 0, O, 1 and I.
const ReferenceAlphabet = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"

// ReferenceLength is a reference's length.
const ReferenceLength = 6

// NewReference draws a reference from src (crypto/rand when nil).
func NewReference(src io.Reader) (string, error) {
	if src == nil {
		src = rand.Reader
	}
	b := make([]byte, ReferenceLength)
	if _, err := io.ReadFull(src, b); err != nil {
		return "", fmt.Errorf("call reference: %w", err)
	}
	for i := range b {
		b[i] = ReferenceAlphabet[int(b[i])%len(ReferenceAlphabet)] // 256 = 8 × 32: no bias
	}
	return string(b), nil
}

// DeriveReference is the n-th reference derived from a call id, used when
// the drawn one is taken in the territory (and for calls recorded without
// one).
func DeriveReference(callID string, n int) string {
	sum := sha256.Sum256([]byte(callID + "#" + strconv.Itoa(n)))
	b := make([]byte, ReferenceLength)
	for i := range b {
		b[i] = ReferenceAlphabet[int(sum[i])%len(ReferenceAlphabet)]
	}
	return string(b)
}

// ValidReference says whether s is a well-formed reference.
func ValidReference(s string) bool {
	if len(s) != ReferenceLength {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !containsByte(ReferenceAlphabet, s[i]) {
			return false
		}
	}
	return true
}

func containsByte(s string, c byte) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			return true
		}
	}
	return false
}

// maxDerivations bounds the re-derivations on collision: with a billion
// references, needing more than a few means something else is wrong.
const maxDerivations = 50

// claimReference stores the call's territory and reference (the proposed
// one, else the first derived one free in the territory), each try in a
// savepoint so that a collision — also with a concurrent controller's
// uncommitted call, which PostgreSQL makes us wait for — costs nothing but
// the try. A reference already stored for the call is kept.
func claimReference(ctx context.Context, tx pgx.Tx, callID string, territoryID int64, proposed string) error {
	var current *string
	if err := tx.QueryRow(ctx, `SELECT reference FROM call WHERE id = $1`, callID).Scan(&current); err != nil {
		return fmt.Errorf("reference of call %s: %w", callID, err)
	}
	candidates := func(n int) string {
		switch {
		case n == 0 && current != nil:
			return *current
		case n == 0 && ValidReference(proposed):
			return proposed
		default:
			return DeriveReference(callID, n)
		}
	}
	for n := 0; n <= maxDerivations; n++ {
		ref := candidates(n)
		err := pgx.BeginFunc(ctx, tx, func(sp pgx.Tx) error {
			_, err := sp.Exec(ctx, `UPDATE call SET territory_id = coalesce(nullif($2::bigint, 0), territory_id), reference = $3
				WHERE id = $1`, callID, territoryID, ref)
			return err
		})
		if pgErr, ok := errors.AsType[*pgconn.PgError](err); ok && pgErr.Code == "23505" && pgErr.ConstraintName == referenceConstraint {
			continue
		}
		return err
	}
	return fmt.Errorf("call %s: no free reference after %d derivations", callID, maxDerivations)
}

// referenceConstraint is the UNIQUE (territory_id, reference) of call.
const referenceConstraint = "call_territory_reference"
