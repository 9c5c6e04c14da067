-- A call cut by our side (the controller died, Asterisk restarted, a second
-- SIGTERM) ends "interrupted", never "abandoned" (the GP hanging up). The
-- statistics' triggers (0070) key their counts by the result's text and
-- enumerate none, so they count the new result as they are.
ALTER TABLE call DROP CONSTRAINT call_result_check;
ALTER TABLE call ADD CONSTRAINT call_result_check
    CHECK (result IN ('bridged', 'callback', 'refused', 'abandoned', 'out_of_hours', 'unknown_did', 'failed',
                      'interrupted'));

-- A controller that starts lists the calls left open (ended_at NULL) to
-- adopt or close them: few rows among millions.
CREATE INDEX call_open ON call (started_at) WHERE ended_at IS NULL;
