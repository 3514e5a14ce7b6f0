/* gemm-scalar.c — portable GEMM micro-kernel: a 4 x 16 tile per panel, in
 * plain C the compiler may vectorize. Same contract as the SIMD kernels. */
#include "kernels.h"

#define MR EFFNET_SCALAR_MR

void effnet_gemm_4x16_scalar(int K, const float *a, ptrdiff_t lda, const float *b, size_t panel_stride, int nv, int mr,
                             int ncols, float *const *c_rows, const float *bias, Activation act,
                             const float *const *res_rows) {
  for (int v = 0; v < nv; v++) {
    const float *bp = b + (size_t)v * panel_stride;
    float acc[MR][GEMM_NR] = {{0}};
    for (int k = 0; k < K; k++) {
      const float *bk = bp + (size_t)k * GEMM_NR;
      for (int i = 0; i < MR; i++) {
        float ai = i < mr ? a[i * lda + k] : 0.0f;
        for (int j = 0; j < GEMM_NR; j++) acc[i][j] += ai * bk[j];
      }
    }
    int j0 = v * GEMM_NR;
    int jn = ncols - j0 < GEMM_NR ? ncols - j0 : GEMM_NR;
    for (int i = 0; i < mr; i++) {
      for (int j = 0; j < jn; j++) {
        float x = effnet_act_ref(acc[i][j] + bias[j0 + j], act);
        if (res_rows) x += res_rows[i][j0 + j];
        c_rows[i][j0 + j] = x;
      }
    }
  }
}
