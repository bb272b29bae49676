-- Foundation: accounts, users, roles, sessions, API tokens, channels, audit log.
-- Identifiers are UUIDv7 text; instants are UTC milliseconds since the Unix epoch (BIGINT);
-- JSON documents are TEXT. The PostgreSQL migration of the same number has the same meaning.

CREATE TABLE accounts (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    plan        TEXT NOT NULL CHECK (plan IN ('basic', 'pro')),
    addons      TEXT NOT NULL DEFAULT '[]',
    created_at  BIGINT NOT NULL
);

CREATE TABLE roles (
    id          TEXT PRIMARY KEY,
    account_id  TEXT NOT NULL REFERENCES accounts (id),
    name        TEXT NOT NULL,
    permissions TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    CONSTRAINT roles_account_name_key UNIQUE (account_id, name)
);

CREATE TABLE users (
    id            TEXT PRIMARY KEY,
    account_id    TEXT NOT NULL REFERENCES accounts (id),
    email         TEXT NOT NULL,
    name          TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('admin', 'seller', 'custom')),
    role_id       TEXT REFERENCES roles (id),
    active        BOOLEAN NOT NULL DEFAULT TRUE,
    available     BOOLEAN NOT NULL DEFAULT TRUE,
    created_at    BIGINT NOT NULL,
    CONSTRAINT users_email_key UNIQUE (email),
    CHECK ((role = 'custom') = (role_id IS NOT NULL))
);
CREATE INDEX users_account_idx ON users (account_id, created_at);

CREATE TABLE sessions (
    token_hash  TEXT PRIMARY KEY,
    user_id     TEXT NOT NULL REFERENCES users (id),
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL
);
CREATE INDEX sessions_user_idx ON sessions (user_id);

CREATE TABLE api_tokens (
    id          TEXT PRIMARY KEY,
    user_id     TEXT NOT NULL REFERENCES users (id),
    name        TEXT NOT NULL,
    token_hash  TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    CONSTRAINT api_tokens_hash_key UNIQUE (token_hash)
);
CREATE INDEX api_tokens_user_idx ON api_tokens (user_id);

CREATE TABLE channels (
    id                    TEXT PRIMARY KEY,
    account_id            TEXT NOT NULL REFERENCES accounts (id),
    kind                  TEXT NOT NULL CHECK (kind IN ('whatsapp_cloud', 'whatsapp_business_app', 'messenger', 'instagram')),
    name                  TEXT NOT NULL,
    -- which Meta webhook object routes here ('whatsapp', 'page', 'instagram') and by which id
    route_object          TEXT NOT NULL,
    route_id              TEXT NOT NULL,
    phone_number_id       TEXT,
    waba_id               TEXT,
    display_phone_number  TEXT,
    page_id               TEXT,
    instagram_account_id  TEXT,
    access_token_enc      TEXT NOT NULL,
    enabled               BOOLEAN NOT NULL DEFAULT TRUE,
    auto_assign           BOOLEAN NOT NULL DEFAULT FALSE,
    created_at            BIGINT NOT NULL,
    CONSTRAINT channels_route_key UNIQUE (route_object, route_id)
);
CREATE INDEX channels_account_idx ON channels (account_id, created_at);

CREATE TABLE audit_log (
    id          TEXT PRIMARY KEY,
    account_id  TEXT NOT NULL REFERENCES accounts (id),
    user_id     TEXT REFERENCES users (id),
    action      TEXT NOT NULL,
    target_type TEXT,
    target_id   TEXT,
    details     TEXT NOT NULL DEFAULT '{}',
    created_at  BIGINT NOT NULL
);
CREATE INDEX audit_log_account_idx ON audit_log (account_id, created_at DESC);
