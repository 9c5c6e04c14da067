-- Coordinators' console: accounts, the territories each may see, browser
-- sessions and login attempts (for rate limiting). Times are written by the
-- application from its injected clock, never by now(), so rules that depend
-- on time can be tested without waiting.

CREATE TABLE coordinator (
    id             bigserial PRIMARY KEY,
    email          text NOT NULL CHECK (email = lower(email) AND email LIKE '%_@_%'),
    -- argon2id in PHC form: $argon2id$v=19$m=…,t=…,p=…$salt$hash
    password_hash  text NOT NULL,
    -- Base32 TOTP secret, sealed with console.totp_key when one is set
    -- ("v1:" prefix), else stored as is ("plain:" prefix). NULL until the
    -- first login generates one.
    totp_secret    text,
    totp_enrolled  boolean NOT NULL DEFAULT false,
    -- The last 30-second step accepted: a code is never accepted twice.
    totp_last_step bigint NOT NULL DEFAULT 0,
    admin          boolean NOT NULL DEFAULT false,
    disabled       boolean NOT NULL DEFAULT false,
    failed_logins  integer NOT NULL DEFAULT 0,
    locked_until   timestamptz,
    created_at     timestamptz NOT NULL,
    updated_at     timestamptz NOT NULL
);
CREATE UNIQUE INDEX coordinator_email ON coordinator (email);

CREATE TABLE coordinator_territory (
    coordinator_id bigint NOT NULL REFERENCES coordinator(id) ON DELETE CASCADE,
    territory_id   bigint NOT NULL REFERENCES territory(id) ON DELETE CASCADE,
    PRIMARY KEY (coordinator_id, territory_id)
);
CREATE INDEX coordinator_territory_territory ON coordinator_territory (territory_id);

-- The cookie holds a random 256-bit token; only its SHA-256 is stored, so a
-- copy of the table opens no session.
CREATE TABLE console_session (
    token_hash     bytea PRIMARY KEY CHECK (length(token_hash) = 32),
    coordinator_id bigint NOT NULL REFERENCES coordinator(id) ON DELETE CASCADE,
    -- false between the password and the second factor: such a session
    -- opens only the TOTP pages.
    mfa_done       boolean NOT NULL DEFAULT false,
    csrf_token     text NOT NULL,
    created_at     timestamptz NOT NULL,
    last_seen_at   timestamptz NOT NULL,
    expires_at     timestamptz NOT NULL,
    remote_addr    text NOT NULL DEFAULT '',
    user_agent     text NOT NULL DEFAULT ''
);
CREATE INDEX console_session_coordinator ON console_session (coordinator_id);
CREATE INDEX console_session_expires ON console_session (expires_at);

CREATE TABLE login_attempt (
    id         bigserial PRIMARY KEY,
    at         timestamptz NOT NULL,
    email      text NOT NULL,
    remote_ip  text NOT NULL,
    success    boolean NOT NULL
);
CREATE INDEX login_attempt_email_at ON login_attempt (email, at DESC);
CREATE INDEX login_attempt_ip_at ON login_attempt (remote_ip, at DESC);
