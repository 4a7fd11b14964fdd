#include "cnninte_support.h"

// Plain loops the compiler vectorizes: a fixed block lets it keep a and b in registers.
#define AFFINE_BLOCK(B)                                                        \
    for (long p = 0; p < positions; p++) {                                     \
        const float *x = from + p * (B);                                       \
        float *y = to + p * (B);                                               \
        for (int i = 0; i < (B); i++) {                                        \
            float v = x[i] * a[i] + b[i];                                      \
            y[i] = (relu && v < 0.0f) ? 0.0f : v;                              \
        }                                                                      \
    }

void cnninte_channel_affine(const float *restrict from, float *restrict to, long positions, int block,
                            const float *restrict a, const float *restrict b, int relu) {
    switch (block) {
    case 16: AFFINE_BLOCK(16) break;
    case 8: AFFINE_BLOCK(8) break;
    default: {
        const float a0 = a[0], b0 = b[0];
        for (long p = 0; p < positions; p++) {
            float v = from[p] * a0 + b0;
            to[p] = (relu && v < 0.0f) ? 0.0f : v;
        }
    }
    }
}
