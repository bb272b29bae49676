//! `sqlx::migrate!` embeds the migration files at compile time; without this, a build after a change
//! to them alone would keep the old set (cargo only watches the crate's sources).
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
