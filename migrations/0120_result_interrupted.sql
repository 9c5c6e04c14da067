-- A call cut by our side (the controller died and the call was gone when
-- it came back, Asterisk restarted, a hard shutdown) ends 'interrupted',
-- never 'abandoned', which says the GP hung up.
ALTER TABLE call DROP CONSTRAINT IF EXISTS call_result_check;
ALTER TABLE call ADD CONSTRAINT call_result_check CHECK (result IN ('bridged', 'callback', 'refused', 'abandoned',
    'out_of_hours', 'unknown_did', 'failed', 'interrupted'));
