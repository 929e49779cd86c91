//! Grad mode: whether operations on the current thread record a graph.
//!
//! Like PyTorch's, the mode is thread-local: `no_grad` on one thread never
//! changes another's. Guards restore the previous mode when dropped, so they
//! nest.

use std::cell::{Cell, RefCell};
use std::marker::PhantomData;
use std::thread::LocalKey;

/// A per-thread on/off mode set by guards: the newest live guard decides,
/// `default` holds when none is. Dropped in reverse order, guards restore
/// each previous mode, as Python's `with` blocks do; dropped in any other
/// order, the mode still ends as it was before the first guard.
pub(crate) struct ModeStack {
    current: Cell<bool>,
    /// The live guards, oldest first: `(id, mode)`.
    guards: RefCell<Vec<(u64, bool)>>,
    next_id: Cell<u64>,
    default: bool,
}

impl ModeStack {
    pub(crate) const fn new(default: bool) -> ModeStack {
        ModeStack {
            current: Cell::new(default),
            guards: RefCell::new(Vec::new()),
            next_id: Cell::new(0),
            default,
        }
    }

    #[inline]
    pub(crate) fn get(&self) -> bool {
        self.current.get()
    }

    fn push(&self, enabled: bool) -> u64 {
        let id = self.next_id.replace(self.next_id.get() + 1);
        self.guards.borrow_mut().push((id, enabled));
        self.current.set(enabled);
        id
    }

    fn remove(&self, id: u64) {
        let mut guards = self.guards.borrow_mut();
        if let Some(at) = guards.iter().rposition(|&(g, _)| g == id) {
            guards.remove(at);
        }
        let mode = guards.last().map_or(self.default, |&(_, enabled)| enabled);
        self.current.set(mode);
    }
}

/// Restores a [`ModeStack`] when dropped. Not `Send`: it belongs to the
/// thread whose mode it changed.
pub(crate) struct ModeGuard {
    stack: &'static LocalKey<ModeStack>,
    id: u64,
    _not_send: PhantomData<*const ()>,
}

impl ModeGuard {
    pub(crate) fn set(stack: &'static LocalKey<ModeStack>, enabled: bool) -> ModeGuard {
        ModeGuard {
            stack,
            id: stack.with(|s| s.push(enabled)),
            _not_send: PhantomData,
        }
    }
}

impl Drop for ModeGuard {
    fn drop(&mut self) {
        // `try_with`: a guard kept in another thread-local may be dropped
        // while the thread's locals are being destroyed.
        let _ = self.stack.try_with(|s| s.remove(self.id));
    }
}

thread_local! {
    /// Grad mode, read by every operation.
    static GRAD_MODE: ModeStack = const { ModeStack::new(true) };
}

/// Whether operations on this thread currently record a graph.
/// PyTorch equivalent: `torch.is_grad_enabled()`.
#[inline]
pub fn is_grad_enabled() -> bool {
    GRAD_MODE.with(ModeStack::get)
}

/// Sets a grad mode until dropped. Not `Send`: it belongs to the thread whose
/// mode it changed.
///
/// The mode in force is the one set by the newest guard still alive, or
/// enabled when none is. Dropped in reverse order, guards restore each
/// previous mode, as Python's `with` blocks do; dropped in any other order,
/// the mode still ends as it was before the first guard.
#[must_use = "grad mode is restored as soon as the guard is dropped"]
pub struct GradModeGuard(#[allow(dead_code)] ModeGuard);

impl GradModeGuard {
    fn set(enabled: bool) -> GradModeGuard {
        GradModeGuard(ModeGuard::set(&GRAD_MODE, enabled))
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
