package oncall

import "testing"

func TestNormalizeRPPS(t *testing.T) {
	cases := []struct {
		in, want string
		ok       bool
	}{
		{"10001045367", "10001045367", true},
		{"810001045367", "10001045367", true}, // national form
		{" 10001045367 ", "10001045367", true},
		{"10001045368", "", false}, // wrong key
		{"1000104536", "", false},  // 10 digits
		{"1000104536A", "", false},
		{"910001045367", "", false},
		{"", "", false},
	}
	for _, c := range cases {
		got, err := NormalizeRPPS(c.in)
		if (err == nil) != c.ok || got != c.want {
			t.Errorf("NormalizeRPPS(%q) = %q, %v", c.in, got, err)
		}
	}
	if ValidRPPS("810001045367") {
		t.Error("the 12-character national form is not itself an RPPS")
	}
	if k := LuhnKey("1000104536"); k != '7' {
		t.Errorf("LuhnKey = %c", k)
	}
}

func FuzzNormalizeRPPS(f *testing.F) {
	f.Add("10001045367")
	f.Add("810001045367")
	f.Fuzz(func(t *testing.T, s string) {
		got, err := NormalizeRPPS(s)
		if err == nil && (len(got) != 11 || !Luhn(got)) {
			t.Fatalf("accepted %q as %q", s, got)
		}
	})
}
