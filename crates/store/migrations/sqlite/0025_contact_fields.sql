-- CRM: custom field definitions per account, and the folded name the contacts list is ordered by. Same meaning as the PostgreSQL migration of the same number.

-- A custom field of the account's contacts. `key` is its identity: the JSON key of the values in
-- contacts.custom_fields, the CSV column and the {{contact.custom.KEY}} placeholder.
CREATE TABLE contact_field_definitions (
    account_id  TEXT NOT NULL REFERENCES accounts (id),
    key         TEXT NOT NULL,
    label       TEXT NOT NULL,
    field_type  TEXT NOT NULL CHECK (field_type IN ('text', 'number', 'date', 'choice')),
    -- JSON array of the allowed values of a `choice` field ('[]' for the other types)
    choices     TEXT NOT NULL DEFAULT '[]',
    position    BIGINT NOT NULL,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL,
    PRIMARY KEY (account_id, key)
);

-- Free-form keys stored before definitions existed become text fields labelled with their key,
-- in key order, so every stored value stays visible and editable.
INSERT INTO contact_field_definitions (account_id, key, label, field_type, choices, position, created_at, updated_at)
SELECT account_id, key, key, 'text', '[]',
       ROW_NUMBER() OVER (PARTITION BY account_id ORDER BY key),
       CAST(strftime('%s', 'now') AS INTEGER) * 1000, CAST(strftime('%s', 'now') AS INTEGER) * 1000
FROM (
    SELECT DISTINCT ct.account_id AS account_id, j.key AS key
    FROM contacts ct,
         json_each(CASE WHEN json_valid(ct.custom_fields)
                        THEN CASE WHEN json_type(ct.custom_fields) = 'object' THEN ct.custom_fields ELSE '{}' END
                        ELSE '{}' END) j
    WHERE j.key <> ''
);

-- The folded (domain::search::fold) name the contacts list is ordered and paged by.
-- Written with contacts.search_key by every change of a contact (store::search_keys); clearing the
-- search keys makes the start-up fill compute both for the contacts stored before this migration.
ALTER TABLE contacts ADD COLUMN sort_name TEXT;
CREATE INDEX contacts_sort_idx ON contacts (account_id, sort_name, id);
UPDATE contacts SET search_key = NULL;
