-- Atlassian Connect lifecycle (policy A2, C2, D1): the instances that sent `installed`, the site URL of Forge
-- installations (to link the two), and the ordering state of lifecycle callbacks.
--
-- No shared secret is stored: no route of ours verifies Connect JWTs (docs/PRIVACY.md, "Connect").

-- The Forge FIT's `context.siteUrl` (`https://<host>`, lower case, no trailing slash): how a Connect instance whose
-- payload carries no `installationId` is linked to its Forge installation (its `baseUrl` is the same site).
ALTER TABLE installations
    ADD COLUMN site_url text CHECK (site_url ~ '^https://[a-z0-9.-]{1,253}(:[0-9]{1,5})?$');
CREATE INDEX installations_by_site_url ON installations (site_url) WHERE site_url IS NOT NULL;

-- One row per installed Connect instance (policy A2/C2: base URL, client key, public key), and the Forge
-- installation it is linked to. The link cascades: purging the Forge installation (pre-uninstall) deletes the
-- instance too, and the Connect `uninstalled` callback purges the linked installation with the same purge.
CREATE TABLE connect_instances (
    client_key            text PRIMARY KEY CHECK (client_key ~ '^[!-~]{1,200}$'),
    base_url              text NOT NULL CHECK (base_url ~ '^https://[a-z0-9.-]{1,253}(:[0-9]{1,5})?(/[!-~]*)?$'
                                               AND length(base_url) <= 300),
    display_url           text CHECK (display_url ~ '^https://[!-~]+$' AND length(display_url) <= 300),
    product_type          text CHECK (product_type ~ '^[a-z][a-z0-9_-]{0,39}$'),
    -- Deprecated by Atlassian; kept only when sent (A2 lists it). A PEM public key, never a secret.
    public_key            text CHECK (length(public_key) <= 4096 AND public_key !~ 'PRIVATE'),
    -- What the payload said (`installationId`, `cloudId`), as sent: the link below may be made later.
    payload_installation  text CHECK (payload_installation ~ '^ari:cloud:ecosystem::installation/[0-9a-f-]{36}$'),
    cloud_id              text CHECK (cloud_id ~ '^[A-Za-z0-9-]{1,100}$'),
    -- The linked Forge installation, when known.
    installation_id       text REFERENCES installations (installation_id) ON DELETE CASCADE,
    -- `iat` of the signed-install token of the event that wrote this row.
    last_event_iat        bigint NOT NULL,
    created_at            timestamptz NOT NULL DEFAULT now(),
    updated_at            timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX connect_instances_by_installation ON connect_instances (installation_id);
CREATE INDEX connect_instances_by_payload_installation ON connect_instances (payload_installation)
    WHERE payload_installation IS NOT NULL;
CREATE INDEX connect_instances_unlinked_by_site ON connect_instances (base_url) WHERE installation_id IS NULL;

-- Ordering of lifecycle callbacks per client key: the last applied event (`installed` / `uninstalled`) and its
-- token `iat`. A callback older than this is ignored, so reordered or duplicated callbacks end in the state of the
-- last real event. It must outlive an uninstall (a delayed `installed` may still arrive), so it holds no instance
-- data: the client key only as a keyed hash (the database's tombstone key, never leaves the database).
-- Uninstalled rows are pruned after a day (a signed-install token lives minutes).
CREATE TABLE connect_lifecycle (
    client_key_hash bytea PRIMARY KEY CHECK (octet_length(client_key_hash) = 32),
    last_event      text NOT NULL CHECK (last_event IN ('installed', 'uninstalled')),
    last_event_iat  bigint NOT NULL,
    updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX connect_lifecycle_uninstalled ON connect_lifecycle (updated_at) WHERE last_event = 'uninstalled';

-- Keyed hash of a Connect client key: SHA-256 over the database's secret key, a domain label and the key.
CREATE FUNCTION connect_client_key_hash(client_key text) RETURNS bytea
    LANGUAGE sql STABLE
    AS $$ SELECT sha256(convert_to((SELECT tombstone_key FROM privacy_keys) || ':connect:' || client_key, 'UTF8')) $$;
