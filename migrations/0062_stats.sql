-- The month's billing statement reads a territory's bridged calls of a few
-- weeks: with the columns it needs in the index, it never visits the call
-- heap (an index-only scan instead of thousands of random page reads, as
-- calls of one month are spread over the table when outcomes arrive late).
CREATE INDEX call_billing ON call (territory_id, result, started_at) INCLUDE (id, gp_rpps, specialist_rpps);
