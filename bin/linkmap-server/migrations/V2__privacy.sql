-- The privacy lifecycle (policy D1-D3, R1-R4, U4): reporting state, reconciliation runs, erasure tombstones and the
-- operator audit log.
--
-- Rule: every table that holds anything of an installation references `installations` (directly or through
-- `accounts`) with ON DELETE CASCADE, so purging an installation is one DELETE. The e2e uninstall test scans every
-- table, so a table added later without the cascade fails it. The two tables that must outlive a purge
-- (`closed_accounts`, `audit_log`) hold no raw account id and no installation id: only keyed hashes.

-- Per (installation, account): when the id was last reported and when it is due again (Cycle-Period).
-- No row = never reported = due now.
CREATE TABLE account_reporting (
    installation_id  text NOT NULL,
    account_id       text NOT NULL,
    last_reported_at timestamptz NOT NULL,
    next_due_at      timestamptz NOT NULL,
    last_status      text NOT NULL CHECK (last_status IN ('reported', 'updated')),
    PRIMARY KEY (installation_id, account_id),
    FOREIGN KEY (installation_id, account_id) REFERENCES accounts (installation_id, account_id) ON DELETE CASCADE
);
CREATE INDEX account_reporting_due ON account_reporting (installation_id, next_due_at);

-- The key of the tombstone hash: random per database, created here, never leaves the database.
CREATE TABLE privacy_keys (
    id            boolean PRIMARY KEY DEFAULT true CHECK (id),
    tombstone_key text NOT NULL
);
INSERT INTO privacy_keys (tombstone_key) VALUES (gen_random_uuid()::text || gen_random_uuid()::text);

-- Keyed hash of an account id for tombstones: SHA-256 over the database's secret key and the id.
CREATE FUNCTION account_tombstone_hash(account text) RETURNS bytea
    LANGUAGE sql STABLE
    AS $$ SELECT sha256(convert_to((SELECT tombstone_key FROM privacy_keys) || ':' || account, 'UTF8')) $$;

-- Accounts Atlassian reported closed (policy D2): erased everywhere, never reported again. No raw id.
CREATE TABLE closed_accounts (
    account_hash bytea PRIMARY KEY CHECK (octet_length(account_hash) = 32),
    closed_at    timestamptz NOT NULL DEFAULT now()
);

-- One row per reconciliation run: counts only (operators query it with `linkmap-server admin jobs`).
CREATE TABLE reconciliation_runs (
    id              bigserial PRIMARY KEY,
    installation_id text NOT NULL REFERENCES installations (installation_id) ON DELETE CASCADE,
    started_at      timestamptz NOT NULL DEFAULT now(),
    finished_at     timestamptz,
    state           text NOT NULL DEFAULT 'running'
                    CHECK (state IN ('running', 'completed', 'stopped', 'abandoned')),
    stop_reason     text CHECK (stop_reason ~ '^[a-z0-9-]{1,40}$'),
    requests        integer NOT NULL DEFAULT 0,
    reported        integer NOT NULL DEFAULT 0,
    closed          integer NOT NULL DEFAULT 0,
    updated         integer NOT NULL DEFAULT 0
);
CREATE INDEX reconciliation_runs_by_installation ON reconciliation_runs (installation_id, started_at DESC);

-- Operator actions (policy U4): who, when, what, a keyed hash (HMAC-SHA256, AUDIT_HASH_KEY) of the account or
-- installation concerned, and counts. Append-only: the triggers below refuse UPDATE, DELETE and TRUNCATE.
CREATE TABLE audit_log (
    id                bigserial PRIMARY KEY,
    at                timestamptz NOT NULL DEFAULT now(),
    operator          text NOT NULL CHECK (length(operator) BETWEEN 1 AND 100),
    action            text NOT NULL CHECK (action IN ('export', 'erase', 'purge-installation', 'audit', 'jobs')),
    account_hash      text CHECK (account_hash ~ '^[0-9a-f]{64}$'),
    installation_hash text CHECK (installation_hash ~ '^[0-9a-f]{64}$'),
    reason            text CHECK (length(reason) <= 500),
    counts            jsonb NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(counts) = 'object')
);

CREATE FUNCTION audit_log_is_append_only() RETURNS trigger
    LANGUAGE plpgsql
    AS $$ BEGIN RAISE EXCEPTION 'audit_log is append-only' USING ERRCODE = 'insufficient_privilege'; END $$;
CREATE TRIGGER audit_log_no_update_or_delete BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_is_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_is_append_only();
