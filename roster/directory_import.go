package roster

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/regul-sante/regul/accounts/journal"
	"github.com/regul-sante/regul/roster/oncall"
	"go.uber.org/zap"
)

// ProfessionMedecin is the Annuaire Santé code of médecins.
const ProfessionMedecin = "10"

// gpSavoirFaire are the savoir-faire codes of a médecin généraliste (SM54
// médecine générale, SM53 spécialiste en médecine générale, SM26 qualifié
// en médecine générale), as a PostgreSQL array literal.
const gpSavoirFaire = "{SM54,SM53,SM26}"

// SkipReason says why a line of the extract was not imported.
type SkipReason string

const (
	SkipNotMedecin SkipReason = "not a médecin"
	SkipNotRPPS    SkipReason = "not an RPPS identifier"
	SkipBadRPPS    SkipReason = "bad RPPS (Luhn key)"
	SkipMalformed  SkipReason = "malformed line"
	SkipNUL        SkipReason = "NUL byte in the line"
	SkipBadName    SkipReason = "name too long or with a control character"
)

// DirectoryImportOptions tunes ImportDirectory.
type DirectoryImportOptions struct {
	// Name is the file's name, used in messages.
	Name string
	// TerritoryID, when set, enrols as requérant every GP with an activity
	// in the territory's communes or départements.
	TerritoryID int64
	// Log receives one line per skipped bad line (nil: none), unless
	// OnSkip is set.
	Log *zap.Logger
	// OnSkip, when set, is told of each skipped bad line instead (the
	// command line prints them readably).
	OnSkip func(line int, reason SkipReason)
}

// DirectoryImportResult counts what ImportDirectory read and did.
type DirectoryImportResult struct {
	Encoding     string // UTF-8, Latin-1, or UTF-8 and Latin-1 (decided line by line)
	Latin1Lines  int    // lines read as Latin-1 (not valid UTF-8), header included
	Lines        int    // data lines read (header and blank lines excluded)
	MedecinLines int
	Medecins     int // distinct médecins in the file
	Created      int // médecins new to the practitioner table
	Updated      int
	Unchanged    int
	GPsInArea    int // GPs of the file with an activity in the territory
	GPsEnrolled  int // of those, newly enrolled as requérant
	Skipped      map[SkipReason]int
	Duration     time.Duration
}

// ImportDirectory reads an Annuaire Santé PS_LibreAcces_Personne_activite
// extract and upserts every médecin (RPPS, names, savoir-faire codes,
// practice phones, communes), in one transaction: the lines are streamed
// into a temporary table with COPY, then merged per person in one
// set-based upsert (a person's lines need not be consecutive). Re-importing
// the same file changes nothing.
func (s *Store) ImportDirectory(ctx context.Context, r io.Reader, opts DirectoryImportOptions) (DirectoryImportResult, error) {
	start := time.Now()
	log := opts.Log
	if log == nil {
		log = zap.NewNop()
	}
	res := DirectoryImportResult{Skipped: map[SkipReason]int{}}
	dr, err := newDirectoryReader(opts.Name, r)
	if err != nil {
		return res, err
	}
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SET LOCAL work_mem = '256MB'`); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `CREATE TEMP TABLE directory_stage (
			line integer, rpps text, last_name text, first_name text, savoir_faire text,
			commune text, departement text, phone text) ON COMMIT DROP`); err != nil {
			return fmt.Errorf("create staging table: %w", err)
		}
		src := &directorySource{r: dr, res: &res, log: log.With(zap.String("file", opts.Name)), onSkip: opts.OnSkip}
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"directory_stage"},
			[]string{"line", "rpps", "last_name", "first_name", "savoir_faire", "commune", "departement", "phone"}, src); err != nil {
			return fmt.Errorf("stage directory lines: %w", err)
		}
		res.Encoding, res.Latin1Lines = dr.Encoding(), dr.latin1Lines
		if err := upsertMedecins(ctx, tx, &res); err != nil {
			return err
		}
		if opts.TerritoryID != 0 {
			if err := enrolGPs(ctx, tx, opts.TerritoryID, &res); err != nil {
				return err
			}
		}
		return audit(ctx, tx, opts.TerritoryID, journal.ActionDirectoryImport, map[string]any{
			"file": opts.Name, "lines": res.Lines, "medecins": res.Medecins, "created": res.Created,
			"updated": res.Updated, "gps_enrolled": res.GPsEnrolled})
	})
	res.Duration = time.Since(start)
	if err != nil {
		return res, fmt.Errorf("import directory %s: %w", opts.Name, err)
	}
	return res, nil
}

// directorySource feeds COPY from the reader, keeping médecins with a valid
// RPPS and counting the rest.
type directorySource struct {
	r      *directoryReader
	res    *DirectoryImportResult
	log    *zap.Logger
	onSkip func(int, SkipReason)
	row    []any
	err    error
}

func (src *directorySource) skipLine(reason SkipReason, line int, logIt bool) {
	src.res.Skipped[reason]++
	if logIt && src.onSkip != nil {
		src.onSkip(line, reason)
	} else if logIt {
		src.log.Warn("directory line skipped", zap.Int("line", line), zap.String("reason", string(reason)))
	}
}

func (src *directorySource) Next() bool {
	for {
		l, malformed, ok, err := src.r.next()
		if err != nil {
			src.err = err
			return false
		}
		if !ok {
			return false
		}
		src.res.Lines++
		switch {
		case malformed && l.bad == badNUL:
			src.skipLine(SkipNUL, l.number, true)
			continue
		case malformed:
			src.skipLine(SkipMalformed, l.number, true)
			continue
		case l.profession != ProfessionMedecin:
			src.skipLine(SkipNotMedecin, l.number, false)
			continue
		}
		src.res.MedecinLines++
		if l.idType != "" && l.idType != "8" {
			src.skipLine(SkipNotRPPS, l.number, false)
			continue
		}
		rpps, err := oncall.NormalizeRPPS(l.rpps)
		if err != nil {
			src.skipLine(SkipBadRPPS, l.number, true)
			continue
		}
		if CheckText("last name", l.lastName, MaxNameLen) != nil || CheckText("first name", l.firstName, MaxNameLen) != nil {
			src.skipLine(SkipBadName, l.number, true)
			continue
		}
		src.row = append(src.row[:0], l.number, rpps, l.lastName, l.firstName, l.savoirFaire,
			l.commune, DepartementOfCommune(l.commune), directoryPhone(l.phone))
		return true
	}
}

func (src *directorySource) Values() ([]any, error) { return src.row, nil }
func (src *directorySource) Err() error             { return src.err }

func upsertMedecins(ctx context.Context, tx pgx.Tx, res *DirectoryImportResult) error {
	err := tx.QueryRow(ctx, `
		WITH person AS (
			SELECT rpps,
			       (array_agg(last_name ORDER BY line))[1] AS last_name,
			       (array_agg(first_name ORDER BY line))[1] AS first_name,
			       coalesce(array_agg(DISTINCT savoir_faire ORDER BY savoir_faire) FILTER (WHERE savoir_faire <> ''), '{}') AS savoir_faire,
			       coalesce(array_agg(DISTINCT phone ORDER BY phone) FILTER (WHERE phone <> ''), '{}') AS phones,
			       coalesce(array_agg(DISTINCT commune ORDER BY commune) FILTER (WHERE commune <> ''), '{}') AS communes
			FROM directory_stage GROUP BY rpps
		), upserted AS (
			INSERT INTO practitioner AS p (rpps, last_name, first_name, profession_code, savoir_faire, phones, communes)
			SELECT rpps, last_name, first_name, '10', savoir_faire, phones, communes FROM person
			ON CONFLICT (rpps) DO UPDATE SET
				last_name = EXCLUDED.last_name, first_name = EXCLUDED.first_name, profession_code = EXCLUDED.profession_code,
				savoir_faire = EXCLUDED.savoir_faire, phones = EXCLUDED.phones, communes = EXCLUDED.communes, updated_at = now()
			WHERE (p.last_name, p.first_name, p.profession_code, p.savoir_faire, p.phones, p.communes)
			      IS DISTINCT FROM (EXCLUDED.last_name, EXCLUDED.first_name, EXCLUDED.profession_code,
			                        EXCLUDED.savoir_faire, EXCLUDED.phones, EXCLUDED.communes)
			RETURNING xmax = 0 AS inserted
		)
		SELECT (SELECT count(*) FROM person),
		       (SELECT count(*) FILTER (WHERE inserted) FROM upserted),
		       (SELECT count(*) FILTER (WHERE NOT inserted) FROM upserted)`).
		Scan(&res.Medecins, &res.Created, &res.Updated)
	if err != nil {
		return fmt.Errorf("upsert médecins: %w", err)
	}
	res.Unchanged = res.Medecins - res.Created - res.Updated
	return nil
}

func enrolGPs(ctx context.Context, tx pgx.Tx, territoryID int64, res *DirectoryImportResult) error {
	var communes, depts []string
	err := tx.QueryRow(ctx, `SELECT communes, departements FROM territory WHERE id = $1`, territoryID).Scan(&communes, &depts)
	if err != nil {
		return fmt.Errorf("read territory %d coverage: %w", territoryID, err)
	}
	err = tx.QueryRow(ctx, `
		WITH gp AS (
			SELECT p.rpps FROM practitioner p
			WHERE p.savoir_faire && $4::text[]
			  AND p.rpps IN (SELECT rpps FROM directory_stage WHERE commune = ANY($2) OR departement = ANY($3))
		), enrolled AS (
			INSERT INTO enrolment (territory_id, rpps, role)
			SELECT $1, rpps, 'requerant' FROM gp
			ON CONFLICT (territory_id, rpps, role, specialty_id) DO NOTHING
			RETURNING rpps
		)
		SELECT (SELECT count(*) FROM gp), (SELECT count(*) FROM enrolled)`,
		territoryID, communes, depts, gpSavoirFaire).Scan(&res.GPsInArea, &res.GPsEnrolled)
	if err != nil {
		return fmt.Errorf("enrol GPs: %w", err)
	}
	return nil
}
