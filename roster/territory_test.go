package roster

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/regul-sante/regul/roster/oncall"
	"github.com/regul-sante/regul/testkit/pgtest"
)

const fixtureTerritory = "../testdata/territory.yaml"

func newTestStore(t *testing.T) *Store {
	t.Helper()
	return NewStore(pgtest.New(t))
}

func applyFixture(t *testing.T, s *Store) oncall.Territory {
	t.Helper()
	spec, err := LoadTerritorySpec(fixtureTerritory)
	if err != nil {
		t.Fatalf("load fixture: %v", err)
	}
	if _, err := s.ApplyTerritory(context.Background(), spec); err != nil {
		t.Fatalf("apply fixture: %v", err)
	}
	ter, err := s.TerritoryBySlug(context.Background(), "cpts-coteaux")
	if err != nil {
		t.Fatal(err)
	}
	return ter
}

func TestApplyTerritoryTwiceChangesNothing(t *testing.T) {
	s := newTestStore(t)
	ctx := context.Background()
	spec, err := LoadTerritorySpec(fixtureTerritory)
	if err != nil {
		t.Fatal(err)
	}
	first, err := s.ApplyTerritory(ctx, spec)
	if err != nil {
		t.Fatal(err)
	}
	if first.Territory != Created {
		t.Fatalf("first apply: %s, want created", first.Territory)
	}
	second, err := s.ApplyTerritory(ctx, spec)
	if err != nil {
		t.Fatal(err)
	}
	if second.Territory != Unchanged || len(second.Changes) != 0 {
		t.Fatalf("second apply: %s %v, want unchanged", second.Territory, second.Changes)
	}
	var audits int
	if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM audit_log WHERE action = 'territory.apply'`).Scan(&audits); err != nil {
		t.Fatal(err)
	}
	if audits != 1 {
		t.Fatalf("%d audit entries, want 1 (the unchanged apply writes none)", audits)
	}

	ter, err := s.TerritoryByDID(ctx, "+33179000002")
	if err != nil {
		t.Fatal(err)
	}
	if ter.Slug != "cpts-coteaux" || ter.Name != "CPTS des Coteaux" || ter.Location.String() != "Europe/Paris" ||
		ter.Policy != oncall.PolicyRPPSPIN || ter.RingTimeout != 25*time.Second || ter.HuntTimeout != 120*time.Second ||
		ter.CoordinatorPhone != "+33179000099" || ter.CoordinatorEmail != "coordination@cpts-coteaux.example" {
		t.Fatalf("territory: %+v", ter)
	}
	if strings.Join(ter.Numbers, ",") != "+33179000001,+33179000002" || strings.Join(ter.Communes, ",") != "37261,37018,37122" ||
		strings.Join(ter.Departements, ",") != "37" {
		t.Fatalf("numbers/coverage: %v %v %v", ter.Numbers, ter.Communes, ter.Departements)
	}
	var slugs []string
	for _, sp := range ter.Specialties {
		slugs = append(slugs, sp.Slug)
	}
	if strings.Join(slugs, ",") != "cardiologie,dermatologie,pediatrie" {
		t.Fatalf("specialties by digit: %v", slugs)
	}
	card := ter.Specialties[0]
	if card.Digit != 1 || strings.Join(card.SavoirFaire, ",") != "SM04,SM73" || card.FallbackPhone != "+33247000001" ||
		card.FallbackLabel != "ligne de cardiologie du centre hospitalier" || ter.Specialties[2].Label != "pédiatrie" {
		t.Fatalf("cardiologie: %+v", card)
	}
	monday := time.Date(2026, 3, 2, 9, 0, 0, 0, ter.Location)
	if !ter.Hours.OpenAt(monday, ter.Location) || ter.Hours.OpenAt(monday.Add(12*time.Hour), ter.Location) {
		t.Fatal("opening hours not read back")
	}
	if ter.Hours.OpenAt(time.Date(2026, 5, 1, 9, 0, 0, 0, ter.Location), ter.Location) {
		t.Fatal("open on 1 May, want closed on public holidays")
	}
	if _, err := s.TerritoryByDID(ctx, "+33100000000"); !errors.Is(err, oncall.ErrNotFound) {
		t.Fatalf("unknown DID: %v, want ErrNotFound", err)
	}
	all, err := s.Territories(ctx)
	if err != nil || len(all) != 1 || len(all[0].Specialties) != 3 {
		t.Fatalf("Territories: %v %+v", err, all)
	}
}

func TestApplyTerritoryUpdates(t *testing.T) {
	s := newTestStore(t)
	ctx := context.Background()
	applyFixture(t, s)
	spec, _ := LoadTerritorySpec(fixtureTerritory)
	spec.RingTimeout = 20 * time.Second
	spec.Numbers = spec.Numbers[:1]
	// Swap two digits: must not trip the uniqueness check half-way.
	spec.Specialties[0].Digit, spec.Specialties[1].Digit = 2, 1
	spec.Specialties = spec.Specialties[:2] // pédiatrie has no shifts: removed
	res, err := s.ApplyTerritory(ctx, spec)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"ring_timeout: 25s → 20s", "number +33179000002: removed", "specialty cardiologie: digit 1 → 2",
		"specialty dermatologie: digit 2 → 1", "specialty pediatrie: removed (with 0 requis enrolment(s))"}
	if res.Territory != Updated || strings.Join(res.Changes, "|") != strings.Join(want, "|") {
		t.Fatalf("changes:\n%s\nwant:\n%s", strings.Join(res.Changes, "\n"), strings.Join(want, "\n"))
	}
	ter, _ := s.TerritoryBySlug(ctx, "cpts-coteaux")
	if ter.Specialties[0].Slug != "dermatologie" || len(ter.Specialties) != 2 || len(ter.Numbers) != 1 {
		t.Fatalf("after update: %+v", ter)
	}
}

// The GP-trace settings are applied and compared like the others.
func TestApplyTerritoryTraceSettings(t *testing.T) {
	s := newTestStore(t)
	ctx := context.Background()
	applyFixture(t, s)
	spec, _ := LoadTerritorySpec(fixtureTerritory)
	spec.NoGPTrace, spec.VideoURL = true, "https://visio.example.org/regul-{ref}"
	res, err := s.ApplyTerritory(ctx, spec)
	if err != nil {
		t.Fatal(err)
	}
	want := "gp_trace: true → false|video_room_url: (none) → https://visio.example.org/regul-{ref}"
	if got := strings.Join(res.Changes, "|"); got != want {
		t.Fatalf("changes %q, want %q", got, want)
	}
	if res, err = s.ApplyTerritory(ctx, spec); err != nil || len(res.Changes) != 0 {
		t.Fatalf("again: %+v, %v", res.Changes, err)
	}
}

func TestApplyTerritoryRefusesRemovingSpecialtyWithShifts(t *testing.T) {
	s := newTestStore(t)
	ctx := context.Background()
	ter := applyFixture(t, s)
	_, err := s.pool.Exec(ctx, `
		INSERT INTO practitioner (rpps, last_name, first_name) VALUES ('10002000064', 'MOREAU', 'Paul');
		INSERT INTO shift (territory_id, specialty_id, rpps, during)
		SELECT territory_id, id, '10002000064', tstzrange('2026-03-02 08:00+01', '2026-03-02 20:00+01')
		FROM specialty WHERE slug = 'pediatrie';`)
	if err != nil {
		t.Fatal(err)
	}
	spec, _ := LoadTerritorySpec(fixtureTerritory)
	spec.Specialties = spec.Specialties[:2]
	spec.Name = "Renamed"
	_, err = s.ApplyTerritory(ctx, spec)
	var inUse *SpecialtyInUseError
	if !errors.As(err, &inUse) || inUse.Slug != "pediatrie" || inUse.Shifts != 1 {
		t.Fatalf("err = %v, want SpecialtyInUseError for pediatrie", err)
	}
	if !strings.Contains(err.Error(), "specialty pediatrie is no longer in the file but the planning still has 1 shift(s)") {
		t.Fatalf("message: %v", err)
	}
	after, _ := s.TerritoryBySlug(ctx, "cpts-coteaux")
	if after.Name != ter.Name || len(after.Specialties) != 3 {
		t.Fatalf("half-applied: %+v", after)
	}
}

func TestApplyTerritoryRefusesAnotherTerritorysNumber(t *testing.T) {
	s := newTestStore(t)
	applyFixture(t, s)
	spec, _ := LoadTerritorySpec(fixtureTerritory)
	spec.Slug = "ess-autre"
	_, err := s.ApplyTerritory(context.Background(), spec)
	var taken *NumberTakenError
	if !errors.As(err, &taken) || taken.Territory != "cpts-coteaux" {
		t.Fatalf("err = %v, want NumberTakenError", err)
	}
}

func TestLoadTerritorySpecErrors(t *testing.T) {
	base, err := os.ReadFile(fixtureTerritory)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name        string
		old, new    string
		wantMessage string
	}{
		{"duplicate digit", "    digit: 2\n", "    digit: 1\n",
			"t.yaml:46: specialties[1].digit: 1 is already used by cardiologie"},
		{"unknown key", "name: CPTS des Coteaux\n", "name: CPTS des Coteaux\ncolour: blue\n",
			"t.yaml:5: colour: unknown key"},
		{"unknown specialty key", "    digit: 3\n", "    digit: 3\n    digits: 4\n",
			"t.yaml:51: specialties[2].digits: unknown key"},
		{"bad number", `  - "+33179000002"`, `  - "01 23"`,
			`t.yaml:10: numbers[1]: phone number "01 23": not a valid number`},
		{"bad span", `sat: ["08:00-12:00"]`, `sat: ["12:00-08:00"]`,
			`t.yaml:19: opening_hours.sat[0]: "12:00-08:00" is not a span like 08:00-20:00`},
		{"bad weekday", `sat: ["08:00-12:00"]`, `samedi: ["08:00-12:00"]`,
			`t.yaml:19: opening_hours.samedi: unknown key`},
		{"bad policy", "identification: rpps+pin", "identification: pin",
			`t.yaml:22: identification: "pin" is not rpps, rpps+pin or callerid+pin`},
		{"ring timeout", "ring_timeout: 25s", "ring_timeout: 2s",
			"t.yaml:23: ring_timeout: 2s is not between 5s and 120s"},
		{"bad timezone", "timezone: Europe/Paris", "timezone: Europe/Tours",
			`t.yaml:5: timezone: "Europe/Tours" is not a known time zone`},
		{"bad commune", `"37122"]`, `"3712"]`,
			`t.yaml:33: coverage.communes[2]: "3712" is not an INSEE commune code`},
		{"fallback without phone", `      phone: "+33247000001"` + "\n", "",
			"t.yaml:42: specialties[0].fallback.phone: missing"},
		{"holidays open without hours", "public_holidays: closed", "public_holidays: open",
			"t.yaml:20: public_holidays: open but no holiday_hours are given"},
		{"2 MB territory name", "name: CPTS des Coteaux", "name: " + strings.Repeat("C", 2<<20),
			"t.yaml:4: name: 2097152 characters, at most 120"},
		{"long specialty label", "label: cardiologie", "label: " + strings.Repeat("é", 81),
			"t.yaml:38: specialties[0].label: 81 characters, at most 80"},
		{"gp_trace not a boolean", "name: CPTS des Coteaux\n", "name: CPTS des Coteaux\ngp_trace: peut-être\n",
			`t.yaml:5: gp_trace: "peut-être" is not true or false`},
		{"video room without {ref}", "name: CPTS des Coteaux\n", "name: CPTS des Coteaux\nvideo_room_url: https://visio.example.org/salle\n",
			`t.yaml:5: video_room_url: "https://visio.example.org/salle" is not an https address with {ref}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			text := string(base)
			if !strings.Contains(text, tt.old) {
				t.Fatalf("fixture has no %q", tt.old)
			}
			text = strings.Replace(text, tt.old, tt.new, 1)
			_, err := ParseTerritorySpec("t.yaml", []byte(text))
			if err == nil || !strings.Contains(err.Error(), tt.wantMessage) {
				t.Fatalf("error:\n%v\nwant it to contain:\n%s", err, tt.wantMessage)
			}
		})
	}
}
