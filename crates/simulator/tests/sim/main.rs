//! Black-box tests of the simulator: a real server on port 0, talked to over HTTP like the inbox does,
//! with a real webhook receiver. One test binary with modules keeps link times down.

mod control;
mod customers;
mod faults;
mod graph_whatsapp;
mod media;
mod ownership;
mod social;
mod support;
mod templates;
mod windows;
