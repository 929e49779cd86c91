//! The thread pool the crate's parallel kernels run on.
//!
//! A kernel keeps its operands' storages locked while its chunks run. On
//! rayon's global pool those chunks could queue behind user jobs that are
//! themselves waiting for one of those locks (an in-place write to the same
//! tensor), and wait forever. The kernels' own pool only ever runs kernel
//! chunks, which take no locks, so they always finish. It is sized like the
//! global pool (`RAYON_NUM_THREADS`, else one thread per core), and a kernel
//! called from any rayon worker stays on its thread: pools never nest.

use std::sync::OnceLock;

/// The kernels' pool, built on first use (`None` if no thread could start).
fn pool() -> Option<&'static rayon::ThreadPool> {
    static POOL: OnceLock<Option<rayon::ThreadPool>> = OnceLock::new();
    POOL.get_or_init(|| {
        rayon::ThreadPoolBuilder::new()
            .thread_name(|i| format!("tensor-kernel-{i}"))
            .build()
            .ok()
    })
    .as_ref()
}

/// How many threads the kernels' pool has (1 without a pool): with one,
/// handing work to it only adds a thread switch.
pub(crate) fn threads() -> usize {
    pool().map_or(1, rayon::ThreadPool::current_num_threads)
}

/// Runs `f` (which splits its work with rayon) on the kernels' pool.
pub(crate) fn install<R: Send>(f: impl FnOnce() -> R + Send) -> R {
    match pool() {
        Some(pool) => pool.install(f),
        None => f(),
    }
}
