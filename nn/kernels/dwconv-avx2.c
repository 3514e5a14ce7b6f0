/* dwconv-avx2.c — depthwise convolution, 8 channels per ymm, 4 outputs at a
 * time (AVX2 has 16 registers: 4 accumulators, the input strip, one weight).
 * Same contract and fusion as dwconv-avx512.c. */
#include <immintrin.h>

#include "kernels.h"
#include "vmath-avx2.h"

#define ALWAYS_INLINE static inline __attribute__((always_inline))

ALWAYS_INLINE __m256 dw_block(const DwconvArgs *a, const float *const *in_rows, float *out_row, int x, int c0,
                              __m256i m, int full, __m256 bias, const int XB, const int K, const int S,
                              const Activation ACT, int cpad) {
  const int C = a->c;
  __m256 acc[4];
#pragma GCC unroll 4
  for (int j = 0; j < XB; j++) acc[j] = bias;
#pragma GCC unroll 5
  for (int ky = 0; ky < K; ky++) {
    const float *ir = in_rows[ky] + (ptrdiff_t)x * S * C + c0;
    const float *wr = a->w + (ptrdiff_t)ky * K * cpad + c0;
#pragma GCC unroll 5
    for (int kx = 0; kx < K; kx++) {
      __m256 wv = _mm256_load_ps(wr + (ptrdiff_t)kx * cpad);
#pragma GCC unroll 4
      for (int j = 0; j < XB; j++) {
        const float *p = ir + (ptrdiff_t)(j * S + kx) * C;
        __m256 iv = full ? _mm256_loadu_ps(p) : _mm256_maskload_ps(p, m);
        acc[j] = _mm256_fmadd_ps(iv, wv, acc[j]);
      }
    }
  }
  __m256 sum = _mm256_setzero_ps();
#pragma GCC unroll 4
  for (int j = 0; j < XB; j++) {
    __m256 v = v8_act(acc[j], ACT);
    float *o = out_row + (ptrdiff_t)(x + j) * C + c0;
    if (full) _mm256_storeu_ps(o, v);
    else _mm256_maskstore_ps(o, m, v);
    sum = _mm256_add_ps(sum, v);
  }
  return sum;
}

ALWAYS_INLINE void dw_row(const DwconvArgs *a, const float *const *in_rows, float *out_row, float *pool, const int K,
                          const int S, const Activation ACT) {
  const int C = a->c, W = a->out_w, cpad = (C + 15) / 16 * 16;
  for (int c0 = 0; c0 < C; c0 += 8) {
    int full = C - c0 >= 8;
    __m256i m = v8_mask(C - c0);
    __m256 bias = _mm256_load_ps(a->bias + c0);
    __m256 psum = _mm256_setzero_ps();
    int x = 0;
    for (; x + 4 <= W; x += 4)
      psum = _mm256_add_ps(psum, dw_block(a, in_rows, out_row, x, c0, m, full, bias, 4, K, S, ACT, cpad));
    for (; x < W; x++)
      psum = _mm256_add_ps(psum, dw_block(a, in_rows, out_row, x, c0, m, full, bias, 1, K, S, ACT, cpad));
    if (pool) {
      __m256 old = _mm256_maskload_ps(pool + c0, m);
      _mm256_maskstore_ps(pool + c0, m, _mm256_add_ps(old, psum));
    }
  }
}

#define DW_CASE(K, S)                                                                                                  \
  case K * 10 + S:                                                                                                     \
    if (a->act == ACT_SILU) dw_row(a, in_rows, out, pool, K, S, ACT_SILU);                                             \
    else if (a->act == ACT_SIGMOID) dw_row(a, in_rows, out, pool, K, S, ACT_SIGMOID);                                  \
    else dw_row(a, in_rows, out, pool, K, S, ACT_NONE);                                                                \
    return;

void effnet_dwconv_4x8_avx2(const DwconvArgs *a, const float *const *in_rows, float *out, float *pool) {
  switch (a->k * 10 + a->stride) {
    DW_CASE(3, 1)
    DW_CASE(3, 2)
    DW_CASE(5, 1)
    DW_CASE(5, 2)
    default: effnet_dwconv_scalar(a, in_rows, out, pool); return;
  }
}
