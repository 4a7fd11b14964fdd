// The CBLAS entry points cnn-inte uses, as function-pointer types resolved with dlsym
// from OpenBLAS (apt: libopenblas0-pthread, headers libopenblas-dev). Declared here
// rather than by including <cblas.h>, whose path differs between OpenBLAS flavours.
#ifndef CNN_INTE_CBLAS_SHIM_H
#define CNN_INTE_CBLAS_SHIM_H
#include <dlfcn.h>

enum { CNNINTE_CBLAS_ROW_MAJOR = 101, CNNINTE_CBLAS_NO_TRANS = 111, CNNINTE_CBLAS_TRANS = 112 };

typedef void (*cnninte_sgemm_fn)(int order, int transA, int transB, int m, int n, int k,
                                 float alpha, const float *a, int lda, const float *b, int ldb,
                                 float beta, float *c, int ldc);
typedef void (*cnninte_sgemv_fn)(int order, int trans, int m, int n, float alpha,
                                 const float *a, int lda, const float *x, int incx,
                                 float beta, float *y, int incy);
typedef char *(*cnninte_corename_fn)(void);
typedef char *(*cnninte_config_fn)(void);
typedef void (*cnninte_set_threads_fn)(int);
typedef int (*cnninte_get_threads_fn)(void);

#endif
