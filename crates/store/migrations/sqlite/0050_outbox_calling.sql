-- Whether the Graph call of a `sending` row has started. A row whose sender died before the call is
-- queued again (nothing reached Meta); one whose call had started is failed as uncertain (Meta may
-- have it). Rows claimed by an older version count as started: the safe reading.
ALTER TABLE outbox ADD COLUMN calling BOOLEAN NOT NULL DEFAULT TRUE;
