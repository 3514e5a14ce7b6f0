/* gemm-avx2.c — AVX2+FMA GEMM micro-kernel: 6 rows x 16 columns (one panel,
 * two ymm per row) in 12 accumulators, A read in place, epilogue fused as in
 * the AVX-512 one. */
#include <immintrin.h>

#include "kernels.h"
#include "vmath-avx2.h"

#define MR EFFNET_AVX2_MR
#define ALWAYS_INLINE static inline __attribute__((always_inline))

ALWAYS_INLINE void store8(__m256 acc, __m256 bias, int n, Activation act, float *c, const float *res) {
  __m256 v = v8_act(_mm256_add_ps(acc, bias), act);
  if (n >= 8) {
    if (res) v = _mm256_add_ps(v, _mm256_loadu_ps(res));
    _mm256_storeu_ps(c, v);
  } else if (n > 0) {
    __m256i m = v8_mask(n);
    if (res) v = _mm256_add_ps(v, _mm256_maskload_ps(res, m));
    _mm256_maskstore_ps(c, m, v);
  }
}

ALWAYS_INLINE void panel(int K, const float *a, ptrdiff_t lda, const float *b, int mr, int n, int col0,
                         float *const *c_rows, const float *bias, const Activation ACT, const float *const *res_rows) {
  const float *ar[MR];
#pragma GCC unroll 6
  for (int i = 0; i < MR; i++) ar[i] = a + (i < mr ? i : mr - 1) * lda; /* extra rows repeat the last */
  __m256 lo[MR], hi[MR];
#pragma GCC unroll 6
  for (int i = 0; i < MR; i++) lo[i] = hi[i] = _mm256_setzero_ps();
  for (int k = 0; k < K; k++) {
    __m256 b0 = _mm256_load_ps(b + 16 * k), b1 = _mm256_load_ps(b + 16 * k + 8);
#pragma GCC unroll 6
    for (int i = 0; i < MR; i++) {
      __m256 va = _mm256_broadcast_ss(ar[i] + k);
      lo[i] = _mm256_fmadd_ps(va, b0, lo[i]);
      hi[i] = _mm256_fmadd_ps(va, b1, hi[i]);
    }
  }
  /* bias is padded to whole panels, so full loads are safe */
  __m256 bias0 = _mm256_loadu_ps(bias + col0), bias1 = _mm256_loadu_ps(bias + col0 + 8);
#pragma GCC unroll 6
  for (int i = 0; i < MR; i++) {
    if (i < mr) {
      const float *r = res_rows ? res_rows[i] + col0 : NULL;
      store8(lo[i], bias0, n, ACT, c_rows[i] + col0, r);
      store8(hi[i], bias1, n - 8, ACT, c_rows[i] + col0 + 8, r ? r + 8 : NULL);
    }
  }
}

void effnet_gemm_6x16_avx2(int K, const float *a, ptrdiff_t lda, const float *b, size_t panel_stride, int nv, int mr,
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
