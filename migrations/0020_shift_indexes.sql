-- Planning reads: a specialist's own shifts and overrides (iCalendar export),
-- and a territory's cover over a period (coverage gaps, imports).
CREATE INDEX override_rpps ON override (rpps);
CREATE INDEX shift_territory_during ON shift USING gist (territory_id, during);
CREATE INDEX override_territory_during ON override USING gist (territory_id, during);
