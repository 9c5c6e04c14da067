-- Several `regul serve` for one Asterisk: only the holder of the node's
-- lease connects to ARI (Asterisk gives a Stasis application one
-- WebSocket). Owned by internal/lease. token grows at every change of term
-- (a takeover, or a holder coming back after its lease expired), so a write
-- stamped with an old token can be refused.
CREATE TABLE controller_lease (
    node        text PRIMARY KEY,
    holder      text NOT NULL,
    token       bigint NOT NULL CHECK (token >= 1),
    acquired_at timestamptz NOT NULL,
    renewed_at  timestamptz NOT NULL,
    expires_at  timestamptz NOT NULL
);
