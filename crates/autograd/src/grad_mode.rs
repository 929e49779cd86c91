//! Grad mode: whether operations on the current thread record a graph.
//!
//! Like PyTorch's, the mode is thread-local: `no_grad` on one thread never
//! changes another's. Guards restore the previous mode when dropped, so they
//! nest.

use std::cell::{Cell, RefCell};
use std::marker::PhantomData;

thread_local! {
    /// The current mode, read by every operation.
    static GRAD_ENABLED: Cell<bool> = const { Cell::new(true) };
    /// The live guards of this thread, oldest first: `(id, mode)`.
    static GUARDS: RefCell<Vec<(u64, bool)>> = const { RefCell::new(Vec::new()) };
    static NEXT_GUARD: Cell<u64> = const { Cell::new(0) };
}

/// Whether operations on this thread currently record a graph.
/// PyTorch equivalent: `torch.is_grad_enabled()`.
pub fn is_grad_enabled() -> bool {
    GRAD_ENABLED.with(Cell::get)
}

/// Sets a grad mode until dropped. Not `Send`: it belongs to the thread whose
/// mode it changed.
///
/// The mode in force is the one set by the newest guard still alive, or
/// enabled when none is. Dropped in reverse order, guards restore each
/// previous mode, as Python's `with` blocks do; dropped in any other order,
/// the mode still ends as it was before the first guard.
#[must_use = "grad mode is restored as soon as the guard is dropped"]
pub struct GradModeGuard {
    id: u64,
    _not_send: PhantomData<*const ()>,
}

impl GradModeGuard {
    fn set(enabled: bool) -> GradModeGuard {
        let id = NEXT_GUARD.with(|next| next.replace(next.get() + 1));
        GUARDS.with(|guards| guards.borrow_mut().push((id, enabled)));
        GRAD_ENABLED.with(|mode| mode.set(enabled));
        GradModeGuard {
            id,
            _not_send: PhantomData,
        }
    }
}

impl Drop for GradModeGuard {
    fn drop(&mut self) {
        // `try_with`: a guard kept in another thread-local may be dropped
        // while the thread's locals are being destroyed.
        let mode = GUARDS.try_with(|guards| {
            let mut guards = guards.borrow_mut();
            if let Some(at) = guards.iter().rposition(|&(id, _)| id == self.id) {
                guards.remove(at);
            }
            guards.last().is_none_or(|&(_, enabled)| enabled)
        });
        if let Ok(mode) = mode {
            let _ = GRAD_ENABLED.try_with(|current| current.set(mode));
        }
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
