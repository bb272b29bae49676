//! Meta platform adapter.
