//! Black-box tests: the real server on a random port, a fresh database per test, spoken to over HTTP.
//! Every test runs twice, on SQLite and on PostgreSQL (see `harness::on_both_stores!`).

extern crate inbox_server as server;

mod harness;

mod accounts_and_auth;
mod channels;
mod inbound;
mod outbound;
mod realtime;
mod templates;
mod users_and_roles;
