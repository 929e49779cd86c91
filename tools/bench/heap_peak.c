/* Live and peak heap bytes of a process, for measuring PyTorch's memory use
 * the way examples/tests/memory.rs measures this library's (a counting
 * allocator). Preloaded into Python by tools/bench/mlp_memory.py:
 *
 *     gcc -O2 -shared -fPIC -o /tmp/heap_peak.so tools/bench/heap_peak.c -ldl
 *
 * Wraps malloc, calloc, realloc, free, posix_memalign, aligned_alloc and
 * memalign; sizes come from malloc_usable_size. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <malloc.h>
#include <stddef.h>
#include <stdatomic.h>

static atomic_long live, peak;
static void *(*real_malloc)(size_t), *(*real_calloc)(size_t, size_t), *(*real_realloc)(void *, size_t);
static void (*real_free)(void *);
static int (*real_posix_memalign)(void **, size_t, size_t);
static void *(*real_aligned_alloc)(size_t, size_t), *(*real_memalign)(size_t, size_t);

/* dlsym may call calloc before real_calloc is known: serve it from here. */
static char bootstrap[4096];
static size_t bootstrap_used;

static void init(void) {
    if (real_malloc) return;
    real_calloc = dlsym(RTLD_NEXT, "calloc");
    real_malloc = dlsym(RTLD_NEXT, "malloc");
    real_realloc = dlsym(RTLD_NEXT, "realloc");
    real_free = dlsym(RTLD_NEXT, "free");
    real_posix_memalign = dlsym(RTLD_NEXT, "posix_memalign");
    real_aligned_alloc = dlsym(RTLD_NEXT, "aligned_alloc");
    real_memalign = dlsym(RTLD_NEXT, "memalign");
}

static void *counted(void *p) {
    if (p) {
        long now = atomic_fetch_add(&live, (long)malloc_usable_size(p)) + (long)malloc_usable_size(p);
        long old = atomic_load(&peak);
        while (now > old && !atomic_compare_exchange_weak(&peak, &old, now)) {}
    }
    return p;
}

static int in_bootstrap(void *p) { return (char *)p >= bootstrap && (char *)p < bootstrap + sizeof bootstrap; }

void *malloc(size_t n) { init(); return counted(real_malloc(n)); }
void *calloc(size_t n, size_t m) {
    if (!real_calloc) {
        void *p = bootstrap + bootstrap_used;
        bootstrap_used += (n * m + 15) & ~(size_t)15;
        return p;
    }
    return counted(real_calloc(n, m));
}
void free(void *p) {
    if (!p || in_bootstrap(p)) return;
    init();
    atomic_fetch_sub(&live, (long)malloc_usable_size(p));
    real_free(p);
}
void *realloc(void *p, size_t n) {
    init();
    if (p && !in_bootstrap(p)) atomic_fetch_sub(&live, (long)malloc_usable_size(p));
    return counted(real_realloc(p, n));
}
int posix_memalign(void **out, size_t align, size_t n) {
    init();
    int r = real_posix_memalign(out, align, n);
    if (r == 0) counted(*out);
    return r;
}
void *aligned_alloc(size_t align, size_t n) { init(); return counted(real_aligned_alloc(align, n)); }
void *memalign(size_t align, size_t n) { init(); return counted(real_memalign(align, n)); }

long heap_live(void) { return atomic_load(&live); }
long heap_peak(void) { return atomic_load(&peak); }
void heap_reset_peak(void) { atomic_store(&peak, atomic_load(&live)); }
