-- The next free send slot of each channel (wall-clock microseconds), shared by every process on the
-- database so that together they keep to the channel's rate (see crates/store/src/pacing.rs).
CREATE TABLE channel_pacing (
    channel_id   TEXT PRIMARY KEY,
    next_slot_us BIGINT NOT NULL
);
