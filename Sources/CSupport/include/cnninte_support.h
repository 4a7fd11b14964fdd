// Small C helpers for what Swift cannot call directly: variadic C functions, and the
// OpenMP runtime's own entry points.
#ifndef CNNINTE_SUPPORT_H
#define CNNINTE_SUPPORT_H

/// Asks the kernel to send this process SIGKILL when its parent thread dies
/// (prctl(PR_SET_PDEATHSIG), which Swift cannot call: prctl is variadic). Returns 0 on
/// success, -1 with errno set otherwise.
int cnninte_die_with_parent(void);

/// The work of one thread of a parallel region: `thread` of `threads`.
typedef void (*cnninte_parallel_body)(void *context, int thread, int threads);

/// Runs `body` on `threads` threads of the OpenMP runtime (libgomp), the same pool
/// oneDNN runs on, and returns when all are done. With `threads` <= 1, or inside
/// another parallel region, runs it on the calling thread alone.
void cnninte_parallel(int threads, cnninte_parallel_body body, void *context);

/// OpenMP's thread count for later regions (oneDNN's included).
void cnninte_set_threads(int threads);
int cnninte_max_threads(void);

/// Treats denormal floats as zero, in and out (x86 MXCSR FTZ + DAZ), on the calling thread
/// and every thread of the OpenMP pool. Weights and gradients drift into the denormal range
/// late in training, where each operation on them costs a hundred cycles: TensorFlow flushes
/// them too. No effect on other processors.
void cnninte_flush_denormals(void);

/// `to = from * a + b` per channel, then a ReLU if `relu`: `positions` positions of
/// `block` channels each, channel fastest (oneDNN's nChw8c / nChw16c), with `a` and `b`
/// those `block` channels' values; for `block` 1, one channel's plane of `positions` values.
void cnninte_channel_affine(const float *from, float *to, long positions, int block,
                            const float *a, const float *b, int relu);

/// The running program's GNU build ID (the linker's hash of the binary) into `out`, at
/// most `capacity` bytes; returns its length, 0 when the binary has none.
int cnninte_build_id(unsigned char *out, int capacity);

#endif
