//! Pacing sends per channel across processes. Each send reserves the next free slot of its channel
//! (phone number, page) in one statement, so processes sharing a PostgreSQL database together never
//! exceed the channel's rate. Slots are wall-clock microseconds: processes on different machines need
//! synchronized clocks (NTP), as any deployment does.

use crate::db::on_writer;
use crate::error::StoreResult;
use crate::Store;
use domain::ids::ChannelId;

impl Store {
    /// Reserves the next send slot of `channel`, `interval_us` after the previous one and not before
    /// `now_us`; returns when (µs since the epoch) this send may go.
    pub async fn reserve_send_slot(&self, channel: ChannelId, now_us: i64, interval_us: i64) -> StoreResult<i64> {
        let slot: i64 = on_writer!(self, p => sqlx::query_scalar(
            "INSERT INTO channel_pacing (channel_id, next_slot_us) VALUES ($1, $2 + $3) \
             ON CONFLICT (channel_id) DO UPDATE SET next_slot_us = \
               CASE WHEN channel_pacing.next_slot_us > $2 THEN channel_pacing.next_slot_us ELSE $2 END + $3 \
             RETURNING next_slot_us - $3")
            .bind(channel.to_string()).bind(now_us).bind(interval_us).fetch_one(p).await)?;
        Ok(slot)
    }
}
