/* scale-scalar.c — the squeeze-excitation gate applied to weights or to
 * activations, in portable C (kernels.h has the contract). */
#include "kernels.h"

void effnet_scale_panels_scalar(const float *restrict b, const float *restrict gate, int K, size_t r0, size_t r1,
                                float *restrict out) {
  for (size_t r = r0; r < r1; r++) {
    float g = gate[r % (size_t)K];
    for (int j = 0; j < GEMM_NR; j++) out[r * GEMM_NR + j] = b[r * GEMM_NR + j] * g;
  }
}

void effnet_scale_channels_scalar(float *restrict x, const float *restrict gate, int C, size_t p0, size_t p1) {
  for (size_t p = p0; p < p1; p++)
    for (int c = 0; c < C; c++) x[p * C + c] *= gate[c];
}
