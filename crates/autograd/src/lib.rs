//! The `autograd` crate.
