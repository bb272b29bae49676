//! Feeds arbitrary bytes to the webhook parser: it must answer `Ok` or `Err`, never panic, overflow or hang
//! (docs/meta.md §1: a delivery is untrusted input even after its signature checks out).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(delivery) = meta::webhook::parse_delivery(data) {
        // Touch every event so a lazily-built field cannot hide a panic.
        for event in &delivery.events {
            let _ = format!("{event:?}");
        }
    }
});
