package callevent

import (
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"io"
	"strconv"
)

// A call's reference is what people quote about it (« Réf. K7M2QX »): in
// its SMS, on the console, in the billing statement, in the journal. It is
// six characters from ReferenceAlphabet (no 0/O/1/I to misread or mishear:
// about a billion references), unique per territory — a UNIQUE (territory_id,
// reference) constraint on call says so — and stored on the call row, which
// everything that shows one reads. This file and calllog's claimReference
// are the only places that make one.
//
// Who picks it: the call script draws one at random when the call begins
// (NewReference) and records it in CallStarted and TerritoryResolved. The
// call never waits on the database, so uniqueness cannot be checked then;
// calllog's spool applier checks it when it stores the territory
// (claimReference):
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
