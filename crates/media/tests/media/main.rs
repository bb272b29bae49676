//! Black-box tests of the media crate, in one binary to keep link times down.
mod muxer_features;
mod robustness;
mod sniff;
mod store;
mod voice;
