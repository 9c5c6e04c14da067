-- A refused or uncertain SMS is followed up by a coordinator, by phone; once
-- they have, they say so, and the message leaves the Rappels page and the
-- home page's « À traiter ». Without this the list only grew, and the home
-- page could only bound it by age, hiding an old problem nobody settled.
-- NULL: not handled yet. The notify worker never writes these columns, and
-- it never leases a failed or unknown row again.
ALTER TABLE sms_outbox
    ADD COLUMN handled_at timestamptz,
    ADD COLUMN handled_by text,
    ADD CONSTRAINT sms_outbox_handled_by_whom CHECK ((handled_at IS NULL) = (handled_by IS NULL));

-- The problems still to follow up are few among a territory's messages: the
-- Rappels list and the home page's count read them without the sent ones.
CREATE INDEX sms_outbox_territory_problems ON sms_outbox (territory_id, created_at DESC)
    WHERE status IN ('failed', 'unknown') AND handled_at IS NULL;
