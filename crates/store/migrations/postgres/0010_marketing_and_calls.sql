-- Marketing opt-outs (WhatsApp `user_preferences` webhook, or a send Meta refused with 131050).
-- `marketing_opt_out_at`: since when the customer refuses marketing templates (NULL: they accept them).
-- `marketing_pref_at`: the time of the last preference change applied, so a late redelivery of an older
-- stop/resume never undoes a newer one.
-- Calls need no table: each call is one `system` message whose `external_id` is Meta's call id, which
-- the existing unique index (channel_id, external_id) keeps to one per call.
ALTER TABLE handles ADD COLUMN marketing_opt_out_at BIGINT;
ALTER TABLE handles ADD COLUMN marketing_pref_at BIGINT;
ALTER TABLE contacts ADD COLUMN marketing_opt_out_at BIGINT;
ALTER TABLE contacts ADD COLUMN marketing_pref_at BIGINT;
