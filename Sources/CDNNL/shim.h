// oneDNN's C API (2.x: operation descriptors, then primitive descriptors).
#ifndef CNN_INTE_CDNNL_SHIM_H
#define CNN_INTE_CDNNL_SHIM_H
#include <oneapi/dnnl/dnnl.h>
#endif
