package accounts

import (
	"encoding/base32"
	"strings"
	"testing"
	"time"

	"github.com/regul-sante/regul/roster"
)

// RFC 6238 appendix B, SHA-1 column (the secret is ASCII "1234567890" ×2).
func TestTOTPRFC6238Vectors(t *testing.T) {
	key := []byte("12345678901234567890")
	for _, v := range []struct {
		unix int64
		want string
	}{
		{59, "94287082"},
		{1111111109, "07081804"},
		{1111111111, "14050471"},
		{1234567890, "89005924"},
		{2000000000, "69279037"},
		{20000000000, "65353130"},
	} {
		step := TOTPStep(time.Unix(v.unix, 0))
		if got := hotp(key, step, 8); got != v.want {
			t.Errorf("T=%d: %s, want %s", v.unix, got, v.want)
		}
		// The 6-digit code is the last six digits of the 8-digit one.
		secret := base32.StdEncoding.EncodeToString(key)
		got6, err := TOTPCode(secret, time.Unix(v.unix, 0))
		if err != nil {
			t.Fatal(err)
		}
		if got6 != v.want[2:] {
			t.Errorf("T=%d 6 digits: %s, want %s", v.unix, got6, v.want[2:])
		}
	}
}

func TestMatchTOTPSkew(t *testing.T) {
	secret, err := NewTOTPSecret()
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 3, 2, 9, 0, 15, 0, time.UTC)
	for _, tc := range []struct {
		offset time.Duration
		ok     bool
	}{
		{0, true}, {-30 * time.Second, true}, {30 * time.Second, true},
		{-60 * time.Second, false}, {60 * time.Second, false},
	} {
		code, _ := TOTPCode(secret, now.Add(tc.offset))
		step, ok, err := matchTOTP(secret, code, now)
		if err != nil || ok != tc.ok {
			t.Errorf("offset %s: ok=%v err=%v, want ok=%v", tc.offset, ok, err, tc.ok)
		}
		if ok && step != TOTPStep(now.Add(tc.offset)) {
			t.Errorf("offset %s: step %d", tc.offset, step)
		}
	}
	// Spaces typed by the user are tolerated; lower-case secrets too.
	code, _ := TOTPCode(secret, now)
	if _, ok, _ := matchTOTP(strings.ToLower(GroupSecret(secret)), code[:3]+" "+code[3:], now); !ok {
		t.Error("spaced code or grouped lower-case secret refused")
	}
	if _, ok, _ := matchTOTP(secret, "12345", now); ok {
		t.Error("5 digits accepted")
	}
}

func TestTOTPURI(t *testing.T) {
	u := TOTPURI("regul", "coordination@cpts-coteaux.example", "JBSWY3DPEHPK3PXP")
	for _, want := range []string{"otpauth://totp/regul:coordination@cpts-coteaux.example?", "secret=JBSWY3DPEHPK3PXP", "issuer=regul", "digits=6", "period=30"} {
		if !strings.Contains(u, want) {
			t.Errorf("%s lacks %s", u, want)
		}
	}
}

func TestPasswordHash(t *testing.T) {
	p := DefaultPasswordParams()
	h, err := HashPassword("correct horse battery", p)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("not a PHC argon2id string: %s", h)
	}
	if ok, err := VerifyPassword("correct horse battery", h); !ok || err != nil {
		t.Fatalf("right password refused: %v", err)
	}
	if ok, _ := VerifyPassword("correct horse batterz", h); ok {
		t.Fatal("wrong password accepted")
	}
	if _, err := VerifyPassword("x", "$2a$10$bcrypt"); err == nil {
		t.Fatal("bcrypt string taken for argon2id")
	}
	// The dummy hash must be well formed and use the store's parameters,
	// or unknown emails would answer faster than known ones.
	s, err := NewStore(nil, Options{PasswordParams: DefaultPasswordParams(), Territories: roster.NewStore(nil)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := VerifyPassword("x", s.dummy); err != nil || !strings.HasPrefix(s.dummy, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("dummy hash %q: %v", s.dummy, err)
	}
	pw, err := GeneratePassword()
	if err != nil || len(pw) != 20 || strings.ContainsAny(pw, "0O1lI") {
		t.Fatalf("generated password %q %v", pw, err)
	}
}

func TestSealer(t *testing.T) {
	key := make([]byte, 32)
	key[0] = 7
	s, err := newSealer(key)
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := s.sealFor(42, "JBSWY3DPEHPK3PXP")
	if err != nil || !strings.HasPrefix(sealed, "v1:") || strings.Contains(sealed, "JBSWY3DPEHPK3PXP") {
		t.Fatalf("sealed %q %v", sealed, err)
	}
	if got, err := s.openFor(42, sealed); err != nil || got != "JBSWY3DPEHPK3PXP" {
		t.Fatalf("open: %q %v", got, err)
	}
	if _, err := s.openFor(43, sealed); err == nil {
		t.Fatal("secret opened for another account")
	}
	if _, err := (sealer{}).openFor(42, sealed); err == nil {
		t.Fatal("sealed secret opened without key")
	}
	if _, err := newSealer(make([]byte, 16)); err == nil {
		t.Fatal("16-byte key accepted")
	}
}
