package console

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/regul-sante/regul/testkit/pgtest"
	"github.com/regul-sante/regul/testkit/testclock"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// testClock is the clock tests set and advance by hand.
type testClock = testclock.Clock

// fixture holds the ids the tests poke at.
type fixture struct {
	coteaux, vallee int64
	// enrolment ids
	dubois, lambert, martin, valleeGP int64
}

// seed writes the shared test territory (cpts-coteaux: its specialties,
// specialists and GPs) and a second territory, cpts-vallee, whose data a
// coteaux coordinator must never see. Marie DUBOIS (GP) is locked at
// `lockedUntil`; the vallée GP too.
func seed(t testing.TB, pool *pgxpool.Pool, lockedUntil time.Time) fixture {
	t.Helper()
	ctx := context.Background()
	var f fixture
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(pool.QueryRow(ctx, `INSERT INTO territory (slug, name, timezone, opening_hours, identification_policy,
			ring_timeout_s, hunt_timeout_s, coordinator_phone, coordinator_email, departements, communes)
		VALUES ('cpts-coteaux', 'CPTS des Coteaux', 'Europe/Paris',
			'{"mon":[["08:00","20:00"]],"tue":[["08:00","20:00"]],"wed":[["08:00","20:00"]],"thu":[["08:00","20:00"]],"fri":[["08:00","20:00"]],"sat":[["08:00","12:00"]]}',
			'rpps+pin', 25, 120, '+33179000099', 'coordination@cpts-coteaux.example', '{37}', '{37261,37018,37122}')
		RETURNING id`).Scan(&f.coteaux))
	must(pool.QueryRow(ctx, `INSERT INTO territory (slug, name) VALUES ('cpts-vallee', 'CPTS de la Vallée') RETURNING id`).Scan(&f.vallee))
	for _, stmt := range []string{
		`INSERT INTO regulation_number (e164, territory_id) SELECT v, $1::bigint FROM unnest(ARRAY['+33179000001', '+33179000002']) v WHERE $2::bigint > 0`,
		`INSERT INTO specialty (territory_id, slug, label, menu_digit, savoir_faire, fallback_label, fallback_phone) VALUES
			($1, 'cardiologie', 'cardiologie', 1, '{SM04,SM73}', 'ligne de cardiologie du centre hospitalier', '+33247000001'),
			($1, 'dermatologie', 'dermatologie', 2, '{SM15}', NULL, NULL),
			($1, 'pediatrie', 'pédiatrie', 3, '{SM40}', NULL, NULL),
			($2, 'cardiologie', 'cardiologie', 1, '{SM04}', NULL, NULL)`,
		`INSERT INTO practitioner (rpps, last_name, first_name, savoir_faire)
			SELECT * FROM (VALUES
			('10002000015', 'MARTIN', 'Claire', '{SM04}'::text[]), ('10002000023', 'BERNARD', 'Hugo', '{SM04}'),
			('10002000031', 'PETIT', 'Anne', '{SM04}'), ('10002000049', 'DURAND', 'Louis', '{SM15}'),
			('10002000056', 'LEROY', 'Sophie', '{SM15}'), ('10002000064', 'MOREAU', 'Paul', '{SM40}'),
			('10003000014', 'DUBOIS', 'Marie', '{SM54}'), ('10003000022', 'LAMBERT', 'Jean', '{SM54}'),
			('10003000030', 'ROUSSEAU', 'Luc', '{SM54}'), ('10003000048', 'GIRARD', 'Emma', '{SM54}'),
			('10001045367', 'FOURNIER', 'Nicolas', '{SM54}')) v
			WHERE $1::bigint > 0 AND $2::bigint > 0`,
	} {
		_, err := pool.Exec(ctx, stmt, f.coteaux, f.vallee)
		must(err)
	}
	enrol := func(territory int64, rpps, role, specialty, phone string) int64 {
		t.Helper()
		var id int64
		must(pool.QueryRow(ctx, `INSERT INTO enrolment (territory_id, rpps, role, specialty_id, phones, pin_hash)
			VALUES ($1, $2, $3, (SELECT id FROM specialty WHERE territory_id = $1 AND slug = nullif($4, '')),
			        CASE WHEN $5 = '' THEN '{}'::text[] ELSE ARRAY[$5] END, 'opaque')
			RETURNING id`, territory, rpps, role, specialty, phone).Scan(&id))
		return id
	}
	f.martin = enrol(f.coteaux, "10002000015", "requis", "cardiologie", "+33612000015")
	enrol(f.coteaux, "10002000023", "requis", "cardiologie", "+33612000023")
	enrol(f.coteaux, "10002000031", "requis", "cardiologie", "+33612000031")
	enrol(f.coteaux, "10002000049", "requis", "dermatologie", "+33612000049")
	enrol(f.coteaux, "10002000056", "requis", "dermatologie", "+33612000056")
	enrol(f.coteaux, "10002000064", "requis", "pediatrie", "+33612000064")
	f.dubois = enrol(f.coteaux, "10003000014", "requerant", "", "+33611000014")
	f.lambert = enrol(f.coteaux, "10003000022", "requerant", "", "+33611000022")
	enrol(f.coteaux, "10003000030", "requerant", "", "+33611000030")
	enrol(f.coteaux, "10003000048", "requerant", "", "+33611000048")
	f.valleeGP = enrol(f.vallee, "10001045367", "requerant", "", "")
	_, err := pool.Exec(ctx, `UPDATE enrolment SET failed_pin_attempts = 5, locked_until = $1 WHERE id = ANY($2)`,
		lockedUntil, []int64{f.dubois, f.valleeGP})
	must(err)
	_, err = pool.Exec(ctx, `UPDATE enrolment SET failed_pin_attempts = 2 WHERE id = $1`, f.lambert)
	must(err)
	return f
}

// specialtyIDs lists a territory's specialties in menu order.
func specialtyIDs(t testing.TB, pool *pgxpool.Pool, territory int64) []int64 {
	t.Helper()
	rows, err := pool.Query(context.Background(), `SELECT id FROM specialty WHERE territory_id = $1 ORDER BY menu_digit`, territory)
	if err != nil {
		t.Fatal(err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		t.Fatal(err)
	}
	return ids
}
