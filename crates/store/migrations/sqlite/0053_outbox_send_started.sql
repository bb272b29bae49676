-- When the call that delivers a claimed send to Meta began. A row whose process died before that
-- moment (while paced, or uploading its file) was never sent: it goes back to the queue. Only a row
-- that died with its call in flight is in doubt and failed as uncertain, never resent.
ALTER TABLE outbox ADD COLUMN send_started_at BIGINT;
-- Rows in flight during the upgrade keep the old rule: in doubt.
UPDATE outbox SET send_started_at = 0 WHERE state = 'sending';
