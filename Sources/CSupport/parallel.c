#include "cnninte_support.h"

// libgomp's ABI, as gcc emits it for `#pragma omp parallel` (stable since GCC 4.9):
// the compiler Swift packages build C with (clang) emits the LLVM runtime's calls
// instead, which libgomp does not provide, so the region is opened by hand.
void GOMP_parallel(void (*fn)(void *), void *data, unsigned num_threads, unsigned flags);
int omp_get_thread_num(void);
int omp_get_num_threads(void);
int omp_in_parallel(void);
void omp_set_num_threads(int);
int omp_get_max_threads(void);

struct region {
    cnninte_parallel_body body;
    void *context;
};

static void run_region(void *data) {
    struct region *r = data;
    r->body(r->context, omp_get_thread_num(), omp_get_num_threads());
}

void cnninte_parallel(int threads, cnninte_parallel_body body, void *context) {
    if (threads <= 1 || omp_in_parallel()) {
        body(context, 0, 1);
        return;
    }
    struct region r = {body, context};
    GOMP_parallel(run_region, &r, (unsigned)threads, 0);
}

void cnninte_set_threads(int threads) { omp_set_num_threads(threads); }

int cnninte_max_threads(void) { return omp_get_max_threads(); }

#if defined(__x86_64__)
#include <xmmintrin.h>
#endif

static void flush_denormals_here(void) {
#if defined(__x86_64__)
    // MXCSR bit 15 (flush to zero) and bit 6 (denormals are zero).
    _mm_setcsr(_mm_getcsr() | 0x8040);
#endif
}

static void flush_denormals_region(void *data) {
    (void)data;
    flush_denormals_here();
}

void cnninte_flush_denormals(void) {
    flush_denormals_here();
    // Threads inherit the floating-point environment of the thread that creates them, but
    // the OpenMP pool may already exist: set it in each of its threads as well.
    if (!omp_in_parallel()) GOMP_parallel(flush_denormals_region, 0, (unsigned)omp_get_max_threads(), 0);
}
