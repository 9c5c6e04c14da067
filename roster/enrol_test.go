package roster

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/regul-sante/regul/roster/oncall"
)

const fixtureEnrolments = "../testdata/enrolments.csv"

func importFixtureEnrolments(t *testing.T, s *Store, territoryID int64) {
	t.Helper()
	f, err := os.Open(fixtureEnrolments)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	lines, err := ParseEnrolmentsCSV(fixtureEnrolments, f)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.ImportEnrolments(context.Background(), territoryID, fixtureEnrolments, lines); err != nil {
		t.Fatal(err)
	}
}

func TestImportEnrolmentsFixture(t *testing.T) {
	s := newTestStore(t)
	ctx := context.Background()
	ter := applyFixture(t, s)
	f, _ := os.Open(fixtureEnrolments)
	defer f.Close()
	lines, err := ParseEnrolmentsCSV(fixtureEnrolments, f)
	if err != nil {
		t.Fatal(err)
	}
	res, err := s.ImportEnrolments(ctx, ter.ID, fixtureEnrolments, lines)
	if err != nil || res != (EnrolImportResult{Created: 10}) {
		t.Fatalf("first import: %+v %v", res, err)
	}
	res, err = s.ImportEnrolments(ctx, ter.ID, fixtureEnrolments, lines)
	if err != nil || res != (EnrolImportResult{Unchanged: 10}) {
		t.Fatalf("second import: %+v %v", res, err)
	}
	list, err := s.Enrolments(ctx, ter.ID)
	if err != nil || len(list) != 10 {
		t.Fatalf("list: %d %v", len(list), err)
	}
	if list[0].Role != oncall.Requerant || list[0].LastName != "DUBOIS" || list[4].LastName != "BERNARD" || list[4].SpecialtyID != ter.Specialties[0].ID {
		t.Fatalf("order: %+v / %+v", list[0], list[4])
	}
	gp, err := s.RequerantByPhone(ctx, ter.ID, "06 11 00 00 22")
	if err != nil || gp.RPPS != "10003000022" || gp.FirstName != "Jean" || gp.HasPIN {
		t.Fatalf("by phone: %+v %v", gp, err)
	}
}

func TestImportEnrolmentsAllOrNothing(t *testing.T) {
	s := newTestStore(t)
	ter := applyFixture(t, s)
	csv := "rpps,role,specialty,last_name,first_name,phones\n" +
		"10002000015,requis,cardiologie,MARTIN,Claire,+33612000015\n" +
		"10002000016,requis,cardiologie,X,Y,+33612000015\n" +
		"10002000023,requis,neurologie,BERNARD,Hugo,+33612000023\n" +
		"10002000031,requis,cardiologie,PETIT,Anne,06 12\n" +
		"10003000014,requerant,,,,\n" +
		"10003000022,medecin,,LAMBERT,Jean,\n"
	lines, err := ParseEnrolmentsCSV("e.csv", strings.NewReader(csv))
	for _, want := range []string{`e.csv:3: RPPS "10002000016": wrong check digit`, `e.csv:5: phone number "06 12"`,
		`e.csv:7: enrol 10003000022: role "medecin" is not requerant or requis`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("parse error:\n%v\nwant it to contain %q", err, want)
		}
	}
	good := strings.Join(strings.Split(csv, "\n")[:2], "\n") + "\n10002000023,requis,neurologie,BERNARD,Hugo,+33612000023\n10003000014,requerant,,,,\n"
	lines, err = ParseEnrolmentsCSV("e.csv", strings.NewReader(good))
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.ImportEnrolments(context.Background(), ter.ID, "e.csv", lines)
	for _, want := range []string{`e.csv:3: enrol 10002000023: specialty "neurologie" is not one of the territory's (cardiologie, dermatologie, pediatrie)`,
		"e.csv:4: enrol 10003000014: not in the directory: give the last and first names"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("import error:\n%v\nwant it to contain %q", err, want)
		}
	}
	if list, _ := s.Enrolments(context.Background(), ter.ID); len(list) != 0 {
		t.Fatalf("%d enrolments written by a refused import", len(list))
	}
}

func TestEnrol(t *testing.T) {
	s := newTestStore(t)
	ctx := context.Background()
	ter := applyFixture(t, s)
	spec := EnrolSpec{TerritoryID: ter.ID, RPPS: "10002000015", Role: oncall.Requis, Specialty: "cardiologie", Phones: []string{"06 12 00 00 15"}}
	if _, err := s.Enrol(ctx, spec); err == nil || !strings.Contains(err.Error(), "not in the directory") {
		t.Fatalf("unknown practitioner without names: %v", err)
	}
	spec.LastName, spec.FirstName = "MARTIN", "Claire"
	steps := []struct {
		name   string
		change func(*EnrolSpec)
		want   Change
	}{
		{"create", func(*EnrolSpec) {}, Created},
		{"same again", func(*EnrolSpec) {}, Unchanged},
		{"no phones keeps them", func(s *EnrolSpec) { s.Phones = nil }, Unchanged},
		{"new phone", func(s *EnrolSpec) { s.Phones = []string{"+33612000015", "0247000001"} }, Updated},
	}
	for _, st := range steps {
		st.change(&spec)
		got, err := s.Enrol(ctx, spec)
		if err != nil || got != st.want {
			t.Fatalf("%s: %s %v, want %s", st.name, got, err, st.want)
		}
	}
	list, _ := s.Enrolments(ctx, ter.ID)
	if len(list) != 1 || strings.Join(list[0].Phones, ",") != "+33612000015,+33247000001" {
		t.Fatalf("list: %+v", list)
	}
	// An edit of an enrolment removed meanwhile never brings it back.
	edit := spec
	edit.EnrolmentID = list[0].ID + 1000
	if _, err := s.Enrol(ctx, edit); !errors.Is(err, oncall.ErrNotFound) {
		t.Fatalf("edit of another enrolment id: %v", err)
	}
	edit.EnrolmentID = list[0].ID
	if got, err := s.Enrol(ctx, edit); err != nil || got != Unchanged {
		t.Fatalf("edit of the enrolment itself: %s %v", got, err)
	}
	_, err := s.Enrol(ctx, EnrolSpec{TerritoryID: ter.ID, RPPS: "10002000023", Role: oncall.Requis, Specialty: "cardiologie", LastName: "BERNARD"})
	var ee *EnrolError
	if !errors.As(err, &ee) || !strings.Contains(err.Error(), "needs at least one phone") {
		t.Fatalf("requis without phone: %v", err)
	}
	var audits int
	_ = s.pool.QueryRow(ctx, `SELECT count(*) FROM audit_log WHERE action LIKE 'enrolment.%'`).Scan(&audits)
	if audits != 2 {
		t.Fatalf("%d enrolment audit entries, want 2", audits)
	}
}
