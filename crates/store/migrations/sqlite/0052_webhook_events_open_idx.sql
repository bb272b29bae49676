-- The deliveries a worker may claim (pending, or claimed by someone whose lease may have run out),
-- in journal order. The claim used to walk the primary key through every processed delivery before
-- the first open one (`status = … OR …` cannot use (status, id) in id order): on PostgreSQL, whose
-- generic plan for the claim chose exactly that, a claim during a campaign read tens of thousands of
-- finished rows. Only open deliveries are in this index, so a claim reads about what it takes.
CREATE INDEX webhook_events_open_idx ON webhook_events (id) WHERE status IN ('pending', 'processing');
