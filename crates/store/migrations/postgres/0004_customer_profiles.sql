-- Messenger and Instagram customers' names: webhooks carry only a page-scoped id, so a new customer's
-- profile is read from the Graph API's User Profile API off the hot path. profile_fetch_after is when
-- the fetch is due (NULL: nothing to fetch, done or given up); a worker claiming it moves it forwards
-- by a lease, so a crash only delays it.
ALTER TABLE handles ADD COLUMN profile_fetch_after BIGINT;
ALTER TABLE handles ADD COLUMN profile_fetch_attempts BIGINT NOT NULL DEFAULT 0;
ALTER TABLE handles ADD COLUMN profile_fetch_error TEXT;
CREATE INDEX handles_profile_fetch_idx ON handles (profile_fetch_after) WHERE profile_fetch_after IS NOT NULL;
-- Customers stored before this migration are named on the next start.
UPDATE handles SET profile_fetch_after = 0 WHERE scoped_id IS NOT NULL AND profile_name IS NULL;
