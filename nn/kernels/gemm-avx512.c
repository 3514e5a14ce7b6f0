/* gemm-avx512.c — AVX-512 GEMM micro-kernel: 12 rows x 32 columns (two
 * 16-column panels) held in 24 zmm accumulators; per k step two panel loads,
 * twelve broadcasts from the packed A tile and 24 FMAs. Bias, activation and
 * the residual add run in the epilogue while the tile is still in registers. */
#include <immintrin.h>

#include "kernels.h"
#include "vmath-avx512.h"

#define MR EFFNET_AVX512_MR

#define ALWAYS_INLINE static inline __attribute__((always_inline))

ALWAYS_INLINE void store_row(__m512 acc, __m512 bias, __mmask16 m, Activation act, float *c,
                             const float *res) {
  __m512 v = v16_act(_mm512_add_ps(acc, bias), act);
  if (res) v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(m, res));
  _mm512_mask_storeu_ps(c, m, v);
}

/* One 12 x (16*NV) tile; NV (1 or 2) and ACT are compile-time constants. */
ALWAYS_INLINE void tile(int K, const float *a, const float *b0, const float *b1, const int NV,
                        int mr, int ncols, int col0, float *const *c_rows, const float *bias,
                        const Activation ACT, const float *const *res_rows) {
  __m512 c0[MR], c1[MR];
#pragma GCC unroll 12
  for (int i = 0; i < MR; i++) c0[i] = c1[i] = _mm512_setzero_ps();

  for (int k = 0; k < K; k++) {
    __m512 vb0 = _mm512_load_ps(b0 + 16 * k);
    __m512 vb1 = NV == 2 ? _mm512_load_ps(b1 + 16 * k) : vb0;
    const float *ak = a + MR * k;
#pragma GCC unroll 12
    for (int i = 0; i < MR; i++) {
      __m512 va = _mm512_set1_ps(ak[i]);
      c0[i] = _mm512_fmadd_ps(va, vb0, c0[i]);
      if (NV == 2) c1[i] = _mm512_fmadd_ps(va, vb1, c1[i]);
    }
  }

  __mmask16 m0 = v16_mask(ncols), m1 = v16_mask(ncols - 16);
  __m512 bias0 = _mm512_maskz_loadu_ps(m0, bias + col0);
  __m512 bias1 = NV == 2 ? _mm512_maskz_loadu_ps(m1, bias + col0 + 16) : bias0;
#pragma GCC unroll 12
  for (int i = 0; i < MR; i++) {
    if (i < mr) {
      const float *r = res_rows ? res_rows[i] + col0 : NULL;
      store_row(c0[i], bias0, m0, ACT, c_rows[i] + col0, r);
      if (NV == 2) store_row(c1[i], bias1, m1, ACT, c_rows[i] + col0 + 16, r ? r + 16 : NULL);
    }
  }
}

#define TILE_FOR_ACT(NV)                                                                     \
  switch (act) {                                                                            \
    case ACT_SILU: tile(K, a, b0, b1, NV, mr, n, col0, c_rows, bias, ACT_SILU, res_rows); break; \
    case ACT_SIGMOID: tile(K, a, b0, b1, NV, mr, n, col0, c_rows, bias, ACT_SIGMOID, res_rows); break; \
    default: tile(K, a, b0, b1, NV, mr, n, col0, c_rows, bias, ACT_NONE, res_rows); break;   \
  }

void effnet_gemm_12x32_avx512(int K, const float *a, const float *b, size_t panel_stride, int nv,
                              int mr, int ncols, float *const *c_rows, const float *bias,
                              Activation act, const float *const *res_rows) {
  for (int v = 0; v < nv; v += 2) {
    const float *b0 = b + (size_t)v * panel_stride;
    const float *b1 = b0 + panel_stride;
    int col0 = v * 16;
    int n = ncols - col0;
    if (v + 1 < nv) {
      TILE_FOR_ACT(2)
    } else {
      TILE_FOR_ACT(1)
    }
  }
}
