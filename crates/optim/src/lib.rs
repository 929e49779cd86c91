//! The `optim` crate.
