-- LinkMap's whole stored schema. Policy C1-C3 and N1: account ids, installation data and user-created
-- configuration only. No column can hold Jira issue content, and JSON documents are limited to known keys.

-- One row per Forge installation (installation ARI is Atlassian's recommended storage key).
CREATE TABLE installations (
    installation_id text PRIMARY KEY CHECK (length(installation_id) <= 200),
    cloud_id        text CHECK (length(cloud_id) <= 100),
    api_base_url    text NOT NULL CHECK (length(api_base_url) <= 300),
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);

-- Every account id we hold, with when we first stored it (the Personal Data Reporting API's updatedAt).
-- Everything a user owns hangs off this row, so erasing an account is one DELETE.
CREATE TABLE accounts (
    installation_id text NOT NULL REFERENCES installations (installation_id) ON DELETE CASCADE,
    account_id      text NOT NULL CHECK (account_id ~ '^[A-Za-z0-9:_-]{1,128}$' AND account_id <> 'unknown'),
    first_stored_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (installation_id, account_id)
);
CREATE INDEX accounts_by_account ON accounts (account_id);

CREATE TABLE layouts (
    id              uuid PRIMARY KEY,
    installation_id text NOT NULL,
    account_id      text NOT NULL,
    name            text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    -- {"type":"jql","jql":…} | {"type":"sprint","sprintId":…} | {"type":"issue","issueKey":…}
    source          jsonb NOT NULL CHECK (jsonb_typeof(source) = 'object'
                                          AND (source - ARRAY['type', 'jql', 'sprintId', 'issueKey']) = '{}'::jsonb),
    -- {"nodes":[{issueId,x,y,pinned}…],"viewport":{x,y,zoom},"display":{…}}: positions and view state only.
    body            jsonb NOT NULL CHECK (jsonb_typeof(body) = 'object'
                                          AND (body - ARRAY['nodes', 'viewport', 'display']) = '{}'::jsonb
                                          AND NOT jsonb_path_exists(body,
                                                'strict $.nodes[*].keyvalue() ? (!(@.key like_regex "^(issueId|x|y|pinned)$"))')),
    node_count      integer NOT NULL CHECK (node_count BETWEEN 0 AND 5000),
    version         bigint NOT NULL CHECK (version >= 1),
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL,
    FOREIGN KEY (installation_id, account_id) REFERENCES accounts (installation_id, account_id) ON DELETE CASCADE
);
-- The hot path: a user's layouts, newest first, paged by (updated_at, id).
CREATE INDEX layouts_by_owner ON layouts (installation_id, account_id, updated_at DESC, id DESC);

CREATE TABLE saved_queries (
    id              uuid PRIMARY KEY,
    installation_id text NOT NULL,
    account_id      text NOT NULL,
    name            text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    jql             text NOT NULL CHECK (octet_length(jql) BETWEEN 1 AND 4096),
    version         bigint NOT NULL CHECK (version >= 1),
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL,
    FOREIGN KEY (installation_id, account_id) REFERENCES accounts (installation_id, account_id) ON DELETE CASCADE
);
CREATE INDEX saved_queries_by_owner ON saved_queries (installation_id, account_id, updated_at DESC, id DESC);

-- One document per user per installation, so a new display field needs no migration.
CREATE TABLE display_settings (
    installation_id text NOT NULL,
    account_id      text NOT NULL,
    settings        jsonb NOT NULL CHECK (jsonb_typeof(settings) = 'object'),
    updated_at      timestamptz NOT NULL,
    PRIMARY KEY (installation_id, account_id),
    FOREIGN KEY (installation_id, account_id) REFERENCES accounts (installation_id, account_id) ON DELETE CASCADE
);
