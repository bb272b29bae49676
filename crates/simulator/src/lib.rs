//! Meta simulator.
