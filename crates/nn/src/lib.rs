//! The `nn` crate.
