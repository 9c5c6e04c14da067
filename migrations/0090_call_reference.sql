-- A call's reference (« Réf. K7M2QX »): six characters without 0/O/1/I,
-- unique per territory, stored once and read by everything that shows it
-- (SMS, console, billing statement, journal). It used to be the first six
-- hex digits of the call's UUIDv7, i.e. of a millisecond timestamp: every
-- call within ~4.7 h shared it, and identical SMS texts let the uncertain
-- send check mark a message sent with another's SID.
--
-- New calls get theirs from the spool applier (calllog.claimReference).
-- Existing calls get calllog.DeriveReference(id, n) — the same derivation,
-- SHA-256 of "<id>#<n>" — with the smallest n free in their territory.

ALTER TABLE call ADD COLUMN reference text CHECK (reference ~ '^[2-9A-HJ-NP-Z]{6}$');

CREATE FUNCTION pg_temp.derive_reference(id uuid, n integer) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT string_agg(substr('23456789ABCDEFGHJKLMNPQRSTUVWXYZ',
                             1 + get_byte(sha256(convert_to(id::text || '#' || n, 'UTF8')), i) % 32, 1), '' ORDER BY i)
      FROM generate_series(0, 5) i
$$;

UPDATE call SET reference = pg_temp.derive_reference(id, 0);

-- Collisions are rare but never left: the later calls of a clash move on to
-- the next derivation until every reference is alone in its territory.
DO $$
DECLARE
    n integer := 0;
    moved integer;
BEGIN
    LOOP
        n := n + 1;
        WITH clash AS (
            SELECT id FROM (
                SELECT id, row_number() OVER (PARTITION BY territory_id, reference ORDER BY started_at, id) AS k
                  FROM call WHERE territory_id IS NOT NULL) x
             WHERE k > 1)
        UPDATE call c SET reference = pg_temp.derive_reference(c.id, n) FROM clash WHERE c.id = clash.id;
        GET DIAGNOSTICS moved = ROW_COUNT;
        EXIT WHEN moved = 0;
        IF n > 50 THEN
            RAISE EXCEPTION 'call references: still clashing after % derivations', n;
        END IF;
    END LOOP;
END $$;

ALTER TABLE call ADD CONSTRAINT call_territory_reference UNIQUE (territory_id, reference);
