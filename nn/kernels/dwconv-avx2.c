/* dwconv-avx2.c — depthwise k x k convolution (k = 3 or 5, stride 1 or 2)
 * on NHWC data, 8 channels per ymm; the same contract, fusion and loop order
 * as dwconv-avx512.c.
 *
 * Outputs of a row are computed 6 at a time, x-block outer and channel group
 * inner, so each kernel row of input is streamed once, front
 * to back, per output row; each input pixel of a block's strip is loaded once
 * per kernel row and used by every output that sees it. */
#include <immintrin.h>

#include "kernels.h"
#include "vmath-avx2.h"

#define ALWAYS_INLINE static inline __attribute__((always_inline))

/* Outputs per block (measured on Zen 4: 4 and 8 were slower, and per-shape
 * sizes that keep the strip in registers no faster), and the most input
 * pixels a block reads: (XB - 1) * stride + k. */
enum { DW_XB = 6, DW_NIN_MAX = 5 * 2 + 5 };

/* XB outputs starting at column x, channels c0..c0+7 (all 8: EfficientNet's
 * channel counts are multiples of 8; mask m covers any other). */
ALWAYS_INLINE __m256 dw_block(const DwconvArgs *a, const float *const *in_rows, float *out_row, int x, int c0,
                              __m256i m, int full, __m256 bias, const int XB, const int K, const int S,
                              const Activation ACT, int cpad) {
  const int C = a->c;
  __m256 acc[DW_XB];
#pragma GCC unroll 8
  for (int j = 0; j < XB; j++) acc[j] = bias;
  const int nin = (XB - 1) * S + K;
#pragma GCC unroll 5
  for (int ky = 0; ky < K; ky++) {
    const float *ir = in_rows[ky] + (ptrdiff_t)x * S * C + c0;
    const float *wr = a->w + (ptrdiff_t)ky * K * cpad + c0;
    __m256 iv[DW_NIN_MAX];
#pragma GCC unroll 19
    for (int p = 0; p < nin; p++)
      iv[p] = full ? _mm256_loadu_ps(ir + (ptrdiff_t)p * C) : _mm256_maskload_ps(ir + (ptrdiff_t)p * C, m);
#pragma GCC unroll 5
    for (int kx = 0; kx < K; kx++) {
      __m256 wv = _mm256_load_ps(wr + (ptrdiff_t)kx * cpad);
#pragma GCC unroll 8
      for (int j = 0; j < XB; j++) acc[j] = _mm256_fmadd_ps(iv[j * S + kx], wv, acc[j]);
    }
  }
  __m256 sum = _mm256_setzero_ps();
#pragma GCC unroll 8
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
  const int C = a->c, W = a->out_w, cpad = (C + 15) / 16 * 16, XB = DW_XB;
  for (int x = 0; x < W; x += XB) {
    const int xb = W - x < XB ? W - x : XB;
    for (int c0 = 0; c0 < C; c0 += 8) {
      const int full = C - c0 >= 8;
      const __m256i m = v8_mask(C - c0);
      const __m256 bias = _mm256_load_ps(a->bias + c0);
      __m256 bs;
      /* clang-format off */
      switch (xb) { /* the rest of a row (7x7, 14x14 layers) in one block: independent accumulators */
#define XB_CASE(N) case N: bs = dw_block(a, in_rows, out_row, x, c0, m, full, bias, N, K, S, ACT, cpad); break;
        XB_CASE(1) XB_CASE(2) XB_CASE(3) XB_CASE(4) XB_CASE(5)
        default: bs = dw_block(a, in_rows, out_row, x, c0, m, full, bias, XB, K, S, ACT, cpad); break;
#undef XB_CASE
      }
      /* clang-format on */
      if (pool) _mm256_maskstore_ps(pool + c0, m, _mm256_add_ps(_mm256_maskload_ps(pool + c0, m), bs));
    }
  }
}

/* One out-of-line function per (kernel, stride): each gets the whole
 * register file to itself. SiLU (every EfficientNet depthwise layer) is
 * compiled into its epilogue; any other activation is read at run time in
 * one more instance — one per activation tripled the instances of the
 * unrolled blocks and the file's compile time (minutes under ASan). */
#define DW_FN(K, S)                                                                                                    \
  static __attribute__((noinline)) void dw_k##K##s##S(const DwconvArgs *a, const float *const *in_rows, float *out,    \
                                                      float *pool) {                                                   \
    if (a->act == ACT_SILU) dw_row(a, in_rows, out, pool, K, S, ACT_SILU);                                             \
    else dw_row(a, in_rows, out, pool, K, S, a->act);                                                                  \
  }
DW_FN(3, 1)
DW_FN(3, 2)
DW_FN(5, 1)
DW_FN(5, 2)

#define DW_CASE(K, S)                                                                                                  \
  case K * 10 + S: dw_k##K##s##S(a, in_rows, out, pool); return;

void effnet_dwconv_6x8_avx2(const DwconvArgs *a, const float *const *in_rows, float *out, float *pool) {
  switch (a->k * 10 + a->stride) {
    DW_CASE(3, 1)
    DW_CASE(3, 2)
    DW_CASE(5, 1)
    DW_CASE(5, 2)
    default: effnet_dwconv_scalar(a, in_rows, out, pool); return; /* no EfficientNet layer */
  }
}
