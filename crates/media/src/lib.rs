//! Media handling.
