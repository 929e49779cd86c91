//! Grad mode: whether operations on the current thread record a graph.
//!
//! Like PyTorch's, the mode is thread-local: `no_grad` on one thread never
//! changes another's. Guards restore the previous mode when dropped, so they
//! nest.

use std::cell::Cell;
use std::marker::PhantomData;

thread_local! {
    static GRAD_ENABLED: Cell<bool> = const { Cell::new(true) };
}

/// Whether operations on this thread currently record a graph.
/// PyTorch equivalent: `torch.is_grad_enabled()`.
pub fn is_grad_enabled() -> bool {
    GRAD_ENABLED.with(Cell::get)
}

/// Restores the previous grad mode when dropped. Not `Send`: it belongs to the
/// thread whose mode it changed.
#[must_use = "grad mode is restored as soon as the guard is dropped"]
pub struct GradModeGuard {
    previous: bool,
    _not_send: PhantomData<*const ()>,
}

impl GradModeGuard {
    fn set(enabled: bool) -> GradModeGuard {
        let previous = GRAD_ENABLED.with(|mode| mode.replace(enabled));
        GradModeGuard {
            previous,
            _not_send: PhantomData,
        }
    }
}

impl Drop for GradModeGuard {
    fn drop(&mut self) {
        GRAD_ENABLED.with(|mode| mode.set(self.previous));
    }
}

/// Disables graph recording on this thread until the guard is dropped.
/// PyTorch equivalent: `with torch.no_grad():`.
///
/// ```
/// let _guard = autograd::no_grad();
/// assert!(!autograd::is_grad_enabled());
/// ```
pub fn no_grad() -> GradModeGuard {
    GradModeGuard::set(false)
}

/// Enables graph recording on this thread until the guard is dropped (e.g.
/// inside a `no_grad` region). PyTorch equivalent: `with torch.enable_grad():`.
pub fn enable_grad() -> GradModeGuard {
    GradModeGuard::set(true)
}

/// Sets grad mode on this thread until the guard is dropped.
/// PyTorch equivalent: `with torch.set_grad_enabled(enabled):`.
pub fn set_grad_enabled(enabled: bool) -> GradModeGuard {
    GradModeGuard::set(enabled)
}
