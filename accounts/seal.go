package accounts

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
)

// sealer protects TOTP secrets at rest: with a key, AES-256-GCM ("v1:"
// prefix); without, the secret as is ("plain:" prefix), so that turning the
// key on later can still read the old rows.
type sealer struct {
	aead cipher.AEAD // nil: no key
}

// ErrTOTPKey says console.totp_key is not a 32-byte key.
var ErrTOTPKey = errors.New("TOTP key must be 32 bytes")

func newSealer(key []byte) (sealer, error) {
	if key == nil {
		return sealer{}, nil
	}
	if len(key) != 32 {
		return sealer{}, fmt.Errorf("%w (got %d)", ErrTOTPKey, len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return sealer{}, fmt.Errorf("TOTP key: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return sealer{}, fmt.Errorf("TOTP key: %w", err)
	}
	return sealer{aead: aead}, nil
}

// sealFor binds the sealed secret to its account, so a row copied onto
// another account does not open.
func (s sealer) sealFor(id int64, secret string) (string, error) {
	if s.aead == nil {
		return "plain:" + secret, nil
	}
	nonce := make([]byte, s.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", fmt.Errorf("seal TOTP secret: %w", err)
	}
	out := s.aead.Seal(nonce, nonce, []byte(secret), []byte(fmt.Sprint(id)))
	return "v1:" + base64.RawStdEncoding.EncodeToString(out), nil
}

func (s sealer) openFor(id int64, stored string) (string, error) {
	switch {
	case strings.HasPrefix(stored, "plain:"):
		return strings.TrimPrefix(stored, "plain:"), nil
	case strings.HasPrefix(stored, "v1:"):
		if s.aead == nil {
			return "", errors.New("TOTP secret is sealed but console.totp_key is not set")
		}
		raw, err := base64.RawStdEncoding.DecodeString(strings.TrimPrefix(stored, "v1:"))
		if err != nil || len(raw) < s.aead.NonceSize() {
			return "", errors.New("sealed TOTP secret is corrupt")
		}
		n := s.aead.NonceSize()
		plain, err := s.aead.Open(nil, raw[:n], raw[n:], []byte(fmt.Sprint(id)))
		if err != nil {
			return "", errors.New("sealed TOTP secret does not open with console.totp_key (key changed?)")
		}
		return string(plain), nil
	default:
		return "", errors.New("stored TOTP secret has an unknown format")
	}
}
