-- SQLite's query planner statistics, written once for the shape of a grown inbox instead of measured
-- (SQLite's "manual control of query plans using sqlite_stat tables"; docs/architecture.md, "Decisions
-- worth knowing", says why). Without statistics SQLite planned a message page and most searches as
-- walks of a whole account (at 100 000 conversations: 0.6 s for a message page, 1.3 to 24 s for a
-- conversation search by name, phone or username); a full ANALYZE of such a database holds its one
-- writer for seconds, and PRAGMA optimize's sampled one estimated an account at 1 439 conversations,
-- which planned a seller's search as a walk of the account. These are ANALYZE's figures for one
-- account of 100 000 conversations on two channels, 1 000 000 messages, 50 000 contacts, 100 000
-- customer handles and 200 sellers: what matters is their proportions (an account holds everything,
-- an assignee a few hundred conversations, an id one row), which hold for a small inbox too. An
-- operator's ANALYZE replaces them with measured ones.
ANALYZE sqlite_schema;
DELETE FROM sqlite_stat1;
INSERT INTO sqlite_stat1 (tbl, idx, stat) VALUES
    ('accounts', 'sqlite_autoindex_accounts_1', '1 1'),
    ('channels', 'channels_account_idx', '2 2 2'),
    ('channels', 'sqlite_autoindex_channels_2', '2 2 1'),
    ('channels', 'sqlite_autoindex_channels_1', '2 1'),
    ('users', 'users_account_idx', '201 201 201'),
    ('users', 'sqlite_autoindex_users_2', '201 1'),
    ('users', 'sqlite_autoindex_users_1', '201 1'),
    ('api_tokens', 'api_tokens_user_idx', '2 1'),
    ('api_tokens', 'sqlite_autoindex_api_tokens_2', '2 1'),
    ('api_tokens', 'sqlite_autoindex_api_tokens_1', '2 1'),
    ('conversations', 'conversations_channel_idx', '100000 100000 50000 1'),
    ('conversations', 'conversations_assignee_idx', '100000 100000 498 1'),
    ('conversations', 'conversations_activity_idx', '100000 100000 1 1'),
    ('conversations', 'sqlite_autoindex_conversations_2', '100000 1'),
    ('conversations', 'sqlite_autoindex_conversations_1', '100000 1'),
    ('messages', 'messages_account_sent_idx', '1000000 1000000 10 1'),
    ('messages', 'messages_search_backfill_idx', '0 0'),
    ('messages', 'messages_conversation_idx', '1000000 10 1 1'),
    ('messages', 'messages_external_key', '1000000 500000 1'),
    ('messages', 'sqlite_autoindex_messages_1', '1000000 1'),
    ('contact_phone_keys', 'contact_phone_keys_contact_idx', '50000 1'),
    ('contact_phone_keys', 'sqlite_autoindex_contact_phone_keys_1', '50000 50000 1 1'),
    ('contacts', 'contacts_sort_idx', '50000 50000 1 1'),
    ('contacts', 'contacts_search_backfill_idx', '0 0'),
    ('contacts', 'contacts_account_idx', '50000 50000 1'),
    ('contacts', 'sqlite_autoindex_contacts_1', '50000 1'),
    ('handles', 'handles_search_backfill_idx', '0 0'),
    ('handles', 'handles_profile_fetch_idx', '0 0'),
    ('handles', 'handles_contact_idx', '100000 2'),
    ('handles', 'handles_scoped_key', '0 0 0'),
    ('handles', 'handles_bsuid_key', '0 0 0'),
    ('handles', 'handles_wa_id_key', '100000 50000 1'),
    ('handles', 'sqlite_autoindex_handles_1', '100000 1'),
    ('contacts_search_docsize', NULL, '50000'),
    ('handles_search_docsize', NULL, '100000'),
    ('contacts_search_config', 'contacts_search_config', '1 1'),
    ('handles_search_config', 'handles_search_config', '1 1'),
    ('contacts_search_data', NULL, '1325'),
    ('handles_search_data', NULL, '3073'),
    ('contacts_search_idx', 'contacts_search_idx', '910 228 1'),
    ('handles_search_idx', 'handles_search_idx', '2372 198 1');
-- Read again by this connection; the others read them when they next load the schema (ANALYZE
-- changes its version).
ANALYZE sqlite_schema;
