/* dwconv-avx512.c — depthwise k x k convolution (k = 3 or 5, stride 1 or 2)
 * on NHWC data, 16 channels per vector.
 *
 * For each output row and 16-channel group, outputs are computed 8 at a time:
 * each input pixel of the needed strip is loaded once per kernel row and
 * reused by every output that sees it (stride 1: 8+k-1 loads for 8k FMAs).
 * The input is pre-padded (zero borders), so there are no edge cases; bias,
 * activation and the squeeze-excitation pooling sum are fused in. */
#include <immintrin.h>

#include "kernels.h"
#include "vmath-avx512.h"

#define ALWAYS_INLINE static inline __attribute__((always_inline))

/* XB outputs starting at column x, channels c0..c0+15 (mask m). */
ALWAYS_INLINE __m512 dw_block(const DwconvArgs *a, const float *const *in_rows, float *out_row, int x, int c0,
                              __mmask16 m, __m512 bias, const int XB, const int K, const int S, const Activation ACT,
                              int cpad) {
  const int C = a->c;
  enum { NIN_MAX = 7 * 2 + 5 };
  __m512 acc[8];
#pragma GCC unroll 8
  for (int j = 0; j < XB; j++) acc[j] = bias;
  const int nin = (XB - 1) * S + K;
#pragma GCC unroll 5
  for (int ky = 0; ky < K; ky++) {
    const float *ir = in_rows[ky] + (ptrdiff_t)x * S * C + c0;
    __m512 iv[NIN_MAX];
#pragma GCC unroll 19
    for (int p = 0; p < nin; p++)
      iv[p] = m == 0xFFFF ? _mm512_loadu_ps(ir + (ptrdiff_t)p * C) : _mm512_maskz_loadu_ps(m, ir + (ptrdiff_t)p * C);
    const float *wr = a->w + (ptrdiff_t)ky * K * cpad + c0;
#pragma GCC unroll 5
    for (int kx = 0; kx < K; kx++) {
      __m512 wv = _mm512_load_ps(wr + (ptrdiff_t)kx * cpad);
#pragma GCC unroll 8
      for (int j = 0; j < XB; j++) acc[j] = _mm512_fmadd_ps(iv[j * S + kx], wv, acc[j]);
    }
  }
  __m512 sum = _mm512_setzero_ps();
#pragma GCC unroll 8
  for (int j = 0; j < XB; j++) {
    __m512 v = v16_act(acc[j], ACT);
    if (m == 0xFFFF) _mm512_storeu_ps(out_row + (ptrdiff_t)(x + j) * C + c0, v);
    else _mm512_mask_storeu_ps(out_row + (ptrdiff_t)(x + j) * C + c0, m, v);
    sum = _mm512_add_ps(sum, v);
  }
  return sum;
}

/* x-block outer, channel group inner: each kernel row of input is streamed
 * once, front to back, per output row (prefetch- and TLB-friendly even when
 * a row is 100+ KB); the pool sum goes to memory once per block. */
ALWAYS_INLINE void dw_row(const DwconvArgs *a, const float *const *in_rows, float *out_row, float *pool, const int K,
                          const int S, const Activation ACT) {
  const int C = a->c, W = a->out_w, cpad = (C + 15) / 16 * 16;
  for (int x = 0; x < W; x += 8) {
    const int xb = W - x < 8 ? W - x : 8; /* the rest (7x7, 14x14 layers) in one block */
    for (int c0 = 0; c0 < C; c0 += 16) {
      __mmask16 m = v16_mask(C - c0);
      __m512 bias = _mm512_load_ps(a->bias + c0), bs;
      /* clang-format off */
      switch (xb) {
#define XB_CASE(XB) case XB: bs = dw_block(a, in_rows, out_row, x, c0, m, bias, XB, K, S, ACT, cpad); break;
        XB_CASE(1) XB_CASE(2) XB_CASE(3) XB_CASE(4) XB_CASE(5) XB_CASE(6) XB_CASE(7)
        default: bs = dw_block(a, in_rows, out_row, x, c0, m, bias, 8, K, S, ACT, cpad); break;
#undef XB_CASE
      }
      /* clang-format on */
      if (pool) _mm512_mask_storeu_ps(pool + c0, m, _mm512_add_ps(_mm512_maskz_loadu_ps(m, pool + c0), bs));
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

void effnet_dwconv_8x16_avx512(const DwconvArgs *a, const float *const *in_rows, float *out, float *pool) {
  switch (a->k * 10 + a->stride) {
    DW_CASE(3, 1)
    DW_CASE(3, 2)
    DW_CASE(5, 1)
    DW_CASE(5, 2)
    default: effnet_dwconv_scalar(a, in_rows, out, pool); return; /* no EfficientNet layer */
  }
}
