//! Per-thread pools of emptied `Arc`s: tensor handles and graph nodes.
//!
//! Every op makes a handle (and, when recorded, a node) and soon drops
//! one; a graph of hundreds freed at once overflows the system allocator's
//! per-thread cache, whose slow path costs more than the rest of an op's
//! bookkeeping. The last reference to a handle or node therefore empties
//! it and keeps it in its thread's pool, from which the next one is taken.

use std::cell::RefCell;
use std::sync::atomic::{fence, Ordering};
use std::sync::Arc;
use std::thread::LocalKey;

/// A thread's pool of emptied, unique `Arc`s.
pub(crate) type Pool<T> = RefCell<Vec<Arc<T>>>;

/// The value of `arc` if `arc` is its only reference (no other `Arc`, no
/// `Weak`): `Arc::get_mut`'s answer, without its locked compare-exchange,
/// which costs more than emptying a handle.
///
/// Without that lock, a `Weak` upgraded on another thread between the
/// counts' reads would go unseen: only for values that never had a `Weak`
/// (graph nodes have none). See [`unique_mut_if`].
#[inline]
pub(crate) fn unique_mut<T>(arc: &mut Arc<T>) -> Option<&mut T> {
    unique_mut_if(arc, |_| true)
}

/// [`unique_mut`] for values that may have lent a `Weak`: `never_lent`,
/// asked after every other thread's last use of the value is visible, must
/// say whether no `Weak` to it was ever made (a tensor handle records
/// `retain_grad`, its one source of `Weak`s, before making one).
#[inline]
pub(crate) fn unique_mut_if<T>(
    arc: &mut Arc<T>,
    never_lent: impl FnOnce(&T) -> bool,
) -> Option<&mut T> {
    if Arc::strong_count(arc) != 1 || Arc::weak_count(arc) != 0 {
        return None;
    }
    // Other threads' last uses of the value come before their references'
    // count-downs (release ordering): this orders them before our reads
    // and writes.
    fence(Ordering::Acquire);
    if !never_lent(arc) {
        return None;
    }
    // SAFETY: `arc` is the only strong reference, and no weak one exists or
    // ever did. New references can only be made from a strong one, and the
    // `&mut` borrow of `arc` lasts as long as the returned borrow, so none
    // can appear meanwhile: the value is exclusively ours.
    Some(unsafe { &mut *Arc::as_ptr(arc).cast_mut() })
}

/// An emptied `Arc` from this thread's `pool`, if it has one.
#[inline]
pub(crate) fn take<T: 'static>(pool: &'static LocalKey<Pool<T>>) -> Option<Arc<T>> {
    pool.try_with(|pool| pool.borrow_mut().pop()).ok().flatten()
}

/// Keeps the emptied, unique `arc` in this thread's `pool`, or frees it
/// when the pool holds `capacity` already (or the thread is exiting).
#[inline]
pub(crate) fn give<T: 'static>(pool: &'static LocalKey<Pool<T>>, arc: Arc<T>, capacity: usize) {
    let mut spare = Some(arc);
    let _ = pool.try_with(|pool| {
        let mut pool = pool.borrow_mut();
        if pool.len() < capacity {
            pool.extend(spare.take());
        }
    });
    // One the pool had no room for is freed outside the pool's borrow.
    drop(spare);
}
