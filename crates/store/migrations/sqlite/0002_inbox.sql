-- The inbox: contacts, customer handles, conversations, messages, reactions, attachments, and the
-- webhook journal. Same meaning as the PostgreSQL migration of the same number.

CREATE TABLE contacts (
    id                 TEXT PRIMARY KEY,
    account_id         TEXT NOT NULL REFERENCES accounts (id),
    first_name         TEXT,
    last_name          TEXT,
    email              TEXT,
    phone_primary      TEXT,
    phone_alternate    TEXT,
    phone_whatsapp     TEXT,
    whatsapp_user_id   TEXT,
    whatsapp_username  TEXT,
    custom_fields      TEXT NOT NULL DEFAULT '{}',
    created_at         BIGINT NOT NULL,
    updated_at         BIGINT NOT NULL
);
CREATE INDEX contacts_account_idx ON contacts (account_id, created_at);

-- Canonical digit keys of every contact phone (domain::phone::match_keys): a WhatsApp sender is
-- matched to a contact when one of its keys is here (LatAm equivalences included).
CREATE TABLE contact_phone_keys (
    account_id  TEXT NOT NULL,
    phone_key   TEXT NOT NULL,
    contact_id  TEXT NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    PRIMARY KEY (account_id, phone_key, contact_id)
);
CREATE INDEX contact_phone_keys_contact_idx ON contact_phone_keys (contact_id);

-- A customer on one channel. WhatsApp customers are known by phone (wa_id), by business-scoped
-- user id (BSUID), or both; Messenger/Instagram ones by their page-scoped id.
CREATE TABLE handles (
    id              TEXT PRIMARY KEY,
    account_id      TEXT NOT NULL REFERENCES accounts (id),
    channel_id      TEXT NOT NULL REFERENCES channels (id),
    wa_id           TEXT,
    bsuid           TEXT,
    parent_bsuid    TEXT,
    scoped_id       TEXT,
    username        TEXT,
    profile_name    TEXT,
    -- the name the business saved for this number in the WhatsApp Business App (smb_app_state_sync)
    saved_name      TEXT,
    contact_id      TEXT REFERENCES contacts (id),
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL,
    CHECK (wa_id IS NOT NULL OR bsuid IS NOT NULL OR scoped_id IS NOT NULL)
);
CREATE UNIQUE INDEX handles_wa_id_key ON handles (channel_id, wa_id) WHERE wa_id IS NOT NULL;
CREATE UNIQUE INDEX handles_bsuid_key ON handles (channel_id, bsuid) WHERE bsuid IS NOT NULL;
CREATE UNIQUE INDEX handles_scoped_key ON handles (channel_id, scoped_id) WHERE scoped_id IS NOT NULL;
CREATE INDEX handles_contact_idx ON handles (contact_id);

CREATE TABLE conversations (
    id               TEXT PRIMARY KEY,
    account_id       TEXT NOT NULL REFERENCES accounts (id),
    channel_id       TEXT NOT NULL REFERENCES channels (id),
    handle_id        TEXT NOT NULL REFERENCES handles (id),
    assignee_id      TEXT REFERENCES users (id),
    status           TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'resolved')),
    unread_count     INTEGER NOT NULL DEFAULT 0,
    last_message_id  TEXT,
    last_activity_at BIGINT NOT NULL,
    -- the window anchor: the customer's last message (never echoes, statuses or business sends)
    last_inbound_at  BIGINT,
    created_at       BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL,
    CONSTRAINT conversations_handle_key UNIQUE (handle_id)
);
CREATE INDEX conversations_activity_idx ON conversations (account_id, last_activity_at DESC, id DESC);
CREATE INDEX conversations_assignee_idx ON conversations (account_id, assignee_id, last_activity_at DESC);
CREATE INDEX conversations_channel_idx ON conversations (account_id, channel_id, last_activity_at DESC);

CREATE TABLE messages (
    id                    TEXT PRIMARY KEY,
    account_id            TEXT NOT NULL REFERENCES accounts (id),
    channel_id            TEXT NOT NULL REFERENCES channels (id),
    conversation_id       TEXT NOT NULL REFERENCES conversations (id),
    external_id           TEXT,
    direction             TEXT NOT NULL CHECK (direction IN ('inbound', 'outbound')),
    origin                TEXT NOT NULL CHECK (origin IN ('customer', 'agent', 'business_app', 'system')),
    kind                  TEXT NOT NULL,
    text                  TEXT,
    -- kind-specific content (location, contact cards, interactive reply, referral, unsupported details…)
    content               TEXT NOT NULL DEFAULT '{}',
    reply_to_external_id  TEXT,
    status                TEXT NOT NULL,
    status_rank           INTEGER NOT NULL DEFAULT 0,
    error_code            TEXT,
    error_title           TEXT,
    error_message         TEXT,
    pricing               TEXT,
    sender_user_id        TEXT REFERENCES users (id),
    edited_at             BIGINT,
    deleted               BOOLEAN NOT NULL DEFAULT FALSE,
    sent_at               BIGINT NOT NULL,
    created_at            BIGINT NOT NULL,
    updated_at            BIGINT NOT NULL
);
-- Idempotency: Meta's message id is unique per channel, so a re-delivered webhook finds its row.
CREATE UNIQUE INDEX messages_external_key ON messages (channel_id, external_id) WHERE external_id IS NOT NULL;
CREATE INDEX messages_conversation_idx ON messages (conversation_id, sent_at, id);

-- Earlier contents of edited or deleted messages, kept for the audit.
CREATE TABLE message_versions (
    id          TEXT PRIMARY KEY,
    message_id  TEXT NOT NULL REFERENCES messages (id),
    text        TEXT,
    content     TEXT NOT NULL,
    replaced_at BIGINT NOT NULL,
    reason      TEXT NOT NULL
);
CREATE INDEX message_versions_message_idx ON message_versions (message_id);

CREATE TABLE reactions (
    message_id  TEXT NOT NULL REFERENCES messages (id),
    -- 'customer', or 'business' for reactions sent by the business
    actor       TEXT NOT NULL,
    emoji       TEXT NOT NULL,
    updated_at  BIGINT NOT NULL,
    PRIMARY KEY (message_id, actor)
);

CREATE TABLE attachments (
    id            TEXT PRIMARY KEY,
    account_id    TEXT NOT NULL REFERENCES accounts (id),
    message_id    TEXT NOT NULL REFERENCES messages (id),
    kind          TEXT NOT NULL,
    mime          TEXT,
    size          BIGINT,
    sha256        TEXT,
    filename      TEXT,
    storage_key   TEXT,
    -- where to fetch it from Meta (a WhatsApp media id or a CDN URL)
    source        TEXT NOT NULL DEFAULT '{}',
    status        TEXT NOT NULL CHECK (status IN ('pending', 'ready', 'failed')),
    attempts      INTEGER NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL DEFAULT 0,
    error         TEXT,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL
);
CREATE INDEX attachments_message_idx ON attachments (message_id);
CREATE INDEX attachments_pending_idx ON attachments (status, next_attempt_at);

-- The webhook journal: every signed delivery, stored before it is acknowledged, processed after.
CREATE TABLE webhook_events (
    id            TEXT PRIMARY KEY,
    received_at   BIGINT NOT NULL,
    body          TEXT NOT NULL,
    status        TEXT NOT NULL CHECK (status IN ('pending', 'processing', 'processed', 'failed')),
    attempts      INTEGER NOT NULL DEFAULT 0,
    -- a processor owns a 'processing' row until then; past it the row is claimable again (crash)
    claimed_until BIGINT,
    processed_at  BIGINT,
    note          TEXT
);
CREATE INDEX webhook_events_pending_idx ON webhook_events (status, id);

-- Events about something not stored yet (a status before its message, an edit before its original):
-- kept until the message appears, then applied.
CREATE TABLE deferred_events (
    id           TEXT PRIMARY KEY,
    channel_id   TEXT NOT NULL REFERENCES channels (id),
    external_id  TEXT NOT NULL,
    event        TEXT NOT NULL,
    created_at   BIGINT NOT NULL
);
CREATE INDEX deferred_events_target_idx ON deferred_events (channel_id, external_id);

-- Deliveries for which no channel exists (wrong phone_number_id / page id): kept for inspection.
CREATE TABLE unrouted_events (
    id          TEXT PRIMARY KEY,
    object      TEXT NOT NULL,
    route_id    TEXT NOT NULL,
    event       TEXT NOT NULL,
    received_at BIGINT NOT NULL
);

-- The durable outbox: an outbound message is stored `pending` together with its outbox row in the
-- transaction of the request; workers claim due rows, call Meta, and complete or reschedule them.
CREATE TABLE outbox (
    message_id       TEXT PRIMARY KEY REFERENCES messages (id),
    account_id       TEXT NOT NULL REFERENCES accounts (id),
    channel_id       TEXT NOT NULL REFERENCES channels (id),
    request          TEXT NOT NULL,
    state            TEXT NOT NULL CHECK (state IN ('queued', 'sending')),
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  BIGINT NOT NULL,
    claimed_until    BIGINT,
    last_error       TEXT,
    created_at       BIGINT NOT NULL
);
CREATE INDEX outbox_due_idx ON outbox (state, next_attempt_at);

-- WhatsApp message templates, as last synced from the channel's WABA.
CREATE TABLE templates (
    id          TEXT PRIMARY KEY,
    account_id  TEXT NOT NULL REFERENCES accounts (id),
    channel_id  TEXT NOT NULL REFERENCES channels (id),
    name        TEXT NOT NULL,
    language    TEXT NOT NULL,
    status      TEXT NOT NULL,
    category    TEXT NOT NULL,
    definition  TEXT NOT NULL,
    synced_at   BIGINT NOT NULL,
    CONSTRAINT templates_channel_name_language_key UNIQUE (channel_id, name, language)
);

-- Files uploaded by agents, waiting to be sent (or kept as a quick reply's attachment).
CREATE TABLE uploads (
    id           TEXT PRIMARY KEY,
    account_id   TEXT NOT NULL REFERENCES accounts (id),
    user_id      TEXT NOT NULL REFERENCES users (id),
    storage_key  TEXT NOT NULL,
    mime         TEXT NOT NULL,
    kind         TEXT,
    size         BIGINT NOT NULL,
    sha256       TEXT NOT NULL,
    filename     TEXT,
    created_at   BIGINT NOT NULL
);
CREATE INDEX uploads_account_idx ON uploads (account_id, created_at);

-- Saved answers shared by the account (`/shortcut` in the composer), personalised at send time.
CREATE TABLE quick_replies (
    id          TEXT PRIMARY KEY,
    account_id  TEXT NOT NULL REFERENCES accounts (id),
    shortcut    TEXT NOT NULL,
    title       TEXT NOT NULL,
    text        TEXT,
    upload_id   TEXT REFERENCES uploads (id),
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL,
    CONSTRAINT quick_replies_shortcut_key UNIQUE (account_id, shortcut)
);

-- The account's template rate card (market × category → price), loaded by an admin as CSV.
CREATE TABLE rate_cards (
    account_id  TEXT NOT NULL REFERENCES accounts (id),
    market      TEXT NOT NULL,
    category    TEXT NOT NULL,
    price       TEXT NOT NULL,
    currency    TEXT NOT NULL,
    PRIMARY KEY (account_id, market, category)
);
