/* gemm-neon.c — AArch64 NEON GEMM micro-kernel: 6 rows x 16 columns (one
 * panel, four q registers per row) in 24 of the 32 vector registers, A read
 * in place (one broadcast load per row and k), B one panel row per k. Bias,
 * activation and the residual add run in the epilogue while the tile is
 * still in registers, as in the x86 kernels. */
#include <arm_neon.h>

#include "kernels.h"
#include "vmath-neon.h"

#define MR EFFNET_NEON_MR
#define ALWAYS_INLINE static inline __attribute__((always_inline))

/* Columns [0, n) of four (n may be <= 0: nothing, or >= 4: all of it). */
ALWAYS_INLINE void store4(float32x4_t acc, float32x4_t bias, int n, Activation act, float *c, const float *res) {
  if (n <= 0) return;
  float32x4_t v = v4_act(vaddq_f32(acc, bias), act);
  if (res) v = vaddq_f32(v, v4_load_n(res, n));
  v4_store_n(c, v, n);
}

ALWAYS_INLINE void panel(int K, const float *a, ptrdiff_t lda, const float *b, int mr, int n, int col0,
                         float *const *c_rows, const float *bias, const Activation ACT, const float *const *res_rows) {
  const float *ar[MR];
#pragma GCC unroll 6
  for (int i = 0; i < MR; i++) ar[i] = a + (i < mr ? i : mr - 1) * lda; /* extra rows repeat the last */
  float32x4_t acc[MR][4];
#pragma GCC unroll 6
  for (int i = 0; i < MR; i++)
#pragma GCC unroll 4
    for (int q = 0; q < 4; q++) acc[i][q] = vdupq_n_f32(0.0f);
  for (int k = 0; k < K; k++) {
    const float *bk = b + 16 * k;
    float32x4_t b0 = vld1q_f32(bk), b1 = vld1q_f32(bk + 4), b2 = vld1q_f32(bk + 8), b3 = vld1q_f32(bk + 12);
#pragma GCC unroll 6
    for (int i = 0; i < MR; i++) {
      float32x4_t va = vld1q_dup_f32(ar[i] + k);
      acc[i][0] = vfmaq_f32(acc[i][0], b0, va);
      acc[i][1] = vfmaq_f32(acc[i][1], b1, va);
      acc[i][2] = vfmaq_f32(acc[i][2], b2, va);
      acc[i][3] = vfmaq_f32(acc[i][3], b3, va);
    }
  }
  /* bias is padded to whole panels, so full loads are safe */
  float32x4_t bv[4];
#pragma GCC unroll 4
  for (int q = 0; q < 4; q++) bv[q] = vld1q_f32(bias + col0 + 4 * q);
#pragma GCC unroll 6
  for (int i = 0; i < MR; i++) {
    if (i < mr) {
      const float *r = res_rows ? res_rows[i] + col0 : NULL;
#pragma GCC unroll 4
      for (int q = 0; q < 4; q++)
        store4(acc[i][q], bv[q], n - 4 * q, ACT, c_rows[i] + col0 + 4 * q, r ? r + 4 * q : NULL);
    }
  }
}

void effnet_gemm_6x16_neon(int K, const float *a, ptrdiff_t lda, const float *b, size_t panel_stride, int nv, int mr,
                           int ncols, float *const *c_rows, const float *bias, Activation act,
                           const float *const *res_rows) {
  for (int v = 0; v < nv; v++) {
    const float *bp = b + (size_t)v * panel_stride;
    int col0 = 16 * v, n = ncols - col0;
    switch (act) {
      case ACT_SILU: panel(K, a, lda, bp, mr, n, col0, c_rows, bias, ACT_SILU, res_rows); break;
      case ACT_SIGMOID: panel(K, a, lda, bp, mr, n, col0, c_rows, bias, ACT_SIGMOID, res_rows); break;
      default: panel(K, a, lda, bp, mr, n, col0, c_rows, bias, ACT_NONE, res_rows); break;
    }
  }
}
