//! Heap allocations per operation on small tensors, counted by a counting
//! global allocator (its own test binary, one test, so nothing else
//! allocates concurrently). Per-op overhead on small tensors is set by
//! these counts; the budgets below are today's and may only go down.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use autograd::{no_grad, Tensor};

/// The system allocator, counting allocations made by the thread that
/// switched counting on.
struct Counting;

thread_local! {
    static COUNTING: Cell<bool> = const { Cell::new(false) };
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

// SAFETY: every call is forwarded unchanged to the system allocator; the
// thread-local counter is only bookkeeping (and never allocates).
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count();
        System.alloc(layout)
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        count();
        System.alloc_zeroed(layout)
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout)
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count();
        System.realloc(ptr, layout, new_size)
    }
}

fn count() {
    let _ = COUNTING.try_with(|on| {
        if on.get() {
            let _ = ALLOCATIONS.try_with(|n| n.set(n.get() + 1));
        }
    });
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Allocations made by `f` on this thread (its result dropped outside the count).
fn allocations<R>(f: impl FnOnce() -> R) -> usize {
    ALLOCATIONS.with(|n| n.set(0));
    COUNTING.with(|on| on.set(true));
    let result = f();
    COUNTING.with(|on| on.set(false));
    drop(result);
    ALLOCATIONS.with(Cell::get)
}

#[test]
fn small_ops_stay_within_their_allocation_budgets() {
    let raw = tensor::Tensor::ones(&[3, 2]);
    let x = Tensor::ones(&[3, 2]);
    let w = Tensor::ones(&[3, 2]).requires_grad_(true);
    // Warm up lazily initialised state (thread-locals, the guard stack).
    drop((&raw * 1.0001, &x * 1.0001, &w * 1.0001, no_grad()));

    // Budgets: one block per raw op (its storage, header and elements
    // together), one more for the autograd handle, one more for a recorded
    // node (its closure and saved values inline). Small storages reuse the
    // blocks this thread freed (`tensor`'s block cache), so after the
    // warm-up above they reach the global allocator less often than that:
    // the counts below are of allocator calls.
    let counts = [
        ("raw x * 1.0001", allocations(|| &raw * 1.0001), 1),
        ("raw x + y", allocations(|| &raw + &raw), 1),
        ("raw x.t() (a view)", allocations(|| raw.t()), 0),
        (
            "autograd x * 1.0001, nothing recorded",
            allocations(|| &x * 1.0001),
            2,
        ),
        (
            "autograd x * 1.0001 under no_grad",
            allocations(|| {
                let _guard = no_grad();
                &w * 1.0001
            }),
            2,
        ),
        (
            "autograd w * 1.0001, recorded",
            allocations(|| &w * 1.0001),
            3,
        ),
        ("autograd w * w, recorded", allocations(|| &w * &w), 3),
    ];
    for (what, count, budget) in counts {
        eprintln!("{what}: {count} allocations (budget {budget})");
        assert!(
            count <= budget,
            "{what}: {count} allocations, budget {budget}"
        );
    }
    // Backward: a fixed cost (the seed gradient, the pending map, the
    // leaf's .grad handle) plus, per node, its gradient and the list the
    // closure returns: at most 2 per node.
    let chain = |n: usize| {
        let mut y = &w * 1.0001;
        for _ in 1..n {
            y = &y * 1.0001;
        }
        y.sum()
    };
    let (short, long) = (chain(1), chain(11));
    let backward_short = allocations(|| short.backward());
    let backward_long = allocations(|| long.backward());
    let per_node = (backward_long - backward_short) as f64 / 10.0;
    eprintln!(
        "backward: {backward_short} allocations through 2 nodes, {backward_long} through 12 ({per_node} per node)"
    );
    assert!(per_node <= 2.0, "backward: {per_node} allocations per node");
    assert!(
        backward_short <= 6,
        "backward through 2 nodes: {backward_short} allocations"
    );
}
