/* gemm-avx512.c — AVX-512 GEMM micro-kernel: MR rows x (16*NV) columns held in
 * MR*NV zmm accumulators. Per k step: NV panel loads, MR broadcasts straight
 * from the activation rows (no packing), MR*NV FMAs. Bias, activation and the
 * residual add run in the epilogue while the tile is still in registers. */
#include <immintrin.h>

#include "kernels.h"
#include "vmath-avx512.h"

#define MR EFFNET_AVX512_MR
#define NVMAX EFFNET_AVX512_NV

#define ALWAYS_INLINE static inline __attribute__((always_inline))

ALWAYS_INLINE void store_row(__m512 acc, __m512 bias, __mmask16 m, Activation act, float *c, const float *res) {
  __m512 v = v16_act(_mm512_add_ps(acc, bias), act);
  if (res) v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(m, res));
  _mm512_mask_storeu_ps(c, m, v);
}

/* One ROWS x (16*NV) tile; ROWS, NV and ACT are compile-time constants. Rows
 * past mr read the last valid row (their results are never stored). */
ALWAYS_INLINE void tile(int K, const float *a, ptrdiff_t lda, const float *b, size_t ps, const int ROWS, const int NV,
                        int mr, int ncols, float *const *c_rows, const float *bias, const Activation ACT,
                        const float *const *res_rows) {
  const float *ar[MR];
#pragma GCC unroll 16
  for (int i = 0; i < ROWS; i++) ar[i] = a + (i < mr ? i : mr - 1) * lda;
  __m512 acc[MR][4];
#pragma GCC unroll 16
  for (int i = 0; i < ROWS; i++)
#pragma GCC unroll 4
    for (int v = 0; v < NV; v++) acc[i][v] = _mm512_setzero_ps();

  for (int k = 0; k < K; k++) {
    __m512 vb[4];
#pragma GCC unroll 4
    for (int v = 0; v < NV; v++) vb[v] = _mm512_load_ps(b + v * ps + 16 * k);
#pragma GCC unroll 16
    for (int i = 0; i < ROWS; i++) {
      __m512 va = _mm512_set1_ps(ar[i][k]);
#pragma GCC unroll 4
      for (int v = 0; v < NV; v++) acc[i][v] = _mm512_fmadd_ps(va, vb[v], acc[i][v]);
    }
  }

  __mmask16 m[4];
  __m512 vbias[4];
#pragma GCC unroll 4
  for (int v = 0; v < NV; v++) {
    m[v] = v16_mask(ncols - 16 * v);
    vbias[v] = _mm512_maskz_loadu_ps(m[v], bias + 16 * v);
  }
#pragma GCC unroll 16
  for (int i = 0; i < ROWS; i++) {
    if (i < mr) {
#pragma GCC unroll 4
      for (int v = 0; v < NV; v++)
        store_row(acc[i][v], vbias[v], m[v], ACT, c_rows[i] + 16 * v, res_rows ? res_rows[i] + 16 * v : NULL);
    }
  }
}

#define TILE_ROWS(ROWS, NV)                                                                                            \
  switch (act) {                                                                                                       \
    case ACT_SILU: tile(K, a, lda, bp, ps, ROWS, NV, mr, n, crow, bias + col, ACT_SILU, rrow); break;                  \
    case ACT_SIGMOID: tile(K, a, lda, bp, ps, ROWS, NV, mr, n, crow, bias + col, ACT_SIGMOID, rrow); break;            \
    default: tile(K, a, lda, bp, ps, ROWS, NV, mr, n, crow, bias + col, ACT_NONE, rrow); break;                        \
  }
/* A single row (SE layers and the classifier at batch 1, the last row of a
 * 7x7 layer) gets its own GEMV-shaped tile instead of 8x the work. */
#define TILE(NV)                                                                                                       \
  if (mr == 1) {                                                                                                       \
    TILE_ROWS(1, NV)                                                                                                   \
  } else {                                                                                                             \
    TILE_ROWS(MR, NV)                                                                                                  \
  }

void effnet_gemm_8x48_avx512(int K, const float *a, ptrdiff_t lda, const float *b, size_t ps, int nv, int mr, int ncols,
                             float *const *c_rows, const float *bias, Activation act, const float *const *res_rows) {
  float *crow[MR];
  const float *rrow_buf[MR];
  for (int v = 0; v < nv;) {
    int step = nv - v < NVMAX ? nv - v : NVMAX;
    int col = 16 * v, n = ncols - col;
    const float *bp = b + (size_t)v * ps;
    for (int i = 0; i < mr; i++) {
      crow[i] = c_rows[i] + col;
      if (res_rows) rrow_buf[i] = res_rows[i] + col;
    }
    const float *const *rrow = res_rows ? rrow_buf : NULL;
    if (NVMAX >= 4 && step == 4) {
      TILE(4)
    } else if (NVMAX >= 3 && step == 3) {
      TILE(3)
    } else if (step == 2) {
      TILE(2)
    } else {
      TILE(1)
    }
    v += step;
  }
}
