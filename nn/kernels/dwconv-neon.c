/* dwconv-neon.c — depthwise convolution on AArch64 NEON: 8 channels (two q
 * registers) for 4 outputs at a time, 8 accumulators; the kernel size,
 * stride and activation are compile-time constants per case, as in the x86
 * kernels. A channel tail under 8 is loaded and stored in parts (NEON has no
 * masked loads); the same contract and fusion (activation, pool sum) as
 * dwconv-avx2.c. */
#include <arm_neon.h>

#include "kernels.h"
#include "vmath-neon.h"

#define ALWAYS_INLINE static inline __attribute__((always_inline))

/* XB outputs from x on, channels c0 .. c0 + 7 of which n (1..8) exist;
 * returns the sum of the outputs in lo/hi (for the pool). FULL: n == 8. */
ALWAYS_INLINE void dw_block(const DwconvArgs *a, const float *const *in_rows, float *out_row, int x, int c0, int n,
                            const int FULL, float32x4_t b0, float32x4_t b1, const int XB, const int K, const int S,
                            const Activation ACT, int cpad, float32x4_t *sum0, float32x4_t *sum1) {
  const int C = a->c, n0 = FULL ? 4 : n < 4 ? n : 4, n1 = FULL ? 4 : n - 4;
  float32x4_t lo[4], hi[4];
#pragma GCC unroll 4
  for (int j = 0; j < XB; j++) {
    lo[j] = b0;
    hi[j] = b1;
  }
#pragma GCC unroll 5
  for (int ky = 0; ky < K; ky++) {
    const float *ir = in_rows[ky] + (ptrdiff_t)x * S * C + c0;
    const float *wr = a->w + (ptrdiff_t)ky * K * cpad + c0;
#pragma GCC unroll 5
    for (int kx = 0; kx < K; kx++) {
      /* weights are padded to cpad channels: whole loads are safe */
      float32x4_t w0 = vld1q_f32(wr + (ptrdiff_t)kx * cpad), w1 = vld1q_f32(wr + (ptrdiff_t)kx * cpad + 4);
#pragma GCC unroll 4
      for (int j = 0; j < XB; j++) {
        const float *p = ir + (ptrdiff_t)(j * S + kx) * C;
        lo[j] = vfmaq_f32(lo[j], FULL ? vld1q_f32(p) : v4_load_n(p, n0), w0);
        hi[j] = vfmaq_f32(hi[j], FULL ? vld1q_f32(p + 4) : v4_load_n(p + 4, n1), w1);
      }
    }
  }
#pragma GCC unroll 4
  for (int j = 0; j < XB; j++) {
    float32x4_t v0 = v4_act(lo[j], ACT), v1 = v4_act(hi[j], ACT);
    float *o = out_row + (ptrdiff_t)(x + j) * C + c0;
    if (FULL) {
      vst1q_f32(o, v0);
      vst1q_f32(o + 4, v1);
    } else {
      v4_store_n(o, v0, n0);
      v4_store_n(o + 4, v1, n1);
    }
    *sum0 = vaddq_f32(*sum0, v0);
    *sum1 = vaddq_f32(*sum1, v1);
  }
}

ALWAYS_INLINE void dw_chunk(const DwconvArgs *a, const float *const *in_rows, float *out_row, float *pool, int c0,
                            int n, const int FULL, const int K, const int S, const Activation ACT) {
  const int W = a->out_w, cpad = (a->c + 15) / 16 * 16;
  /* bias is padded like the weights */
  float32x4_t b0 = vld1q_f32(a->bias + c0), b1 = vld1q_f32(a->bias + c0 + 4);
  float32x4_t s0 = vdupq_n_f32(0.0f), s1 = s0;
  int x = 0;
  for (; x + 4 <= W; x += 4) dw_block(a, in_rows, out_row, x, c0, n, FULL, b0, b1, 4, K, S, ACT, cpad, &s0, &s1);
  for (; x < W; x++) dw_block(a, in_rows, out_row, x, c0, n, FULL, b0, b1, 1, K, S, ACT, cpad, &s0, &s1);
  if (pool) {
    int n0 = n < 4 ? n : 4, n1 = n - 4;
    v4_store_n(pool + c0, vaddq_f32(v4_load_n(pool + c0, n0), s0), n0);
    v4_store_n(pool + c0 + 4, vaddq_f32(v4_load_n(pool + c0 + 4, n1), s1), n1);
  }
}

ALWAYS_INLINE void dw_row(const DwconvArgs *a, const float *const *in_rows, float *out_row, float *pool, const int K,
                          const int S, const Activation ACT) {
  const int C = a->c;
  int c0 = 0;
  for (; c0 + 8 <= C; c0 += 8) dw_chunk(a, in_rows, out_row, pool, c0, 8, 1, K, S, ACT);
  if (c0 < C) dw_chunk(a, in_rows, out_row, pool, c0, C - c0, 0, K, S, ACT);
}

#define DW_CASE(K, S)                                                                                                  \
  case K * 10 + S:                                                                                                     \
    if (a->act == ACT_SILU) dw_row(a, in_rows, out, pool, K, S, ACT_SILU);                                             \
    else if (a->act == ACT_SIGMOID) dw_row(a, in_rows, out, pool, K, S, ACT_SIGMOID);                                  \
    else dw_row(a, in_rows, out, pool, K, S, ACT_NONE);                                                                \
    return;

void effnet_dwconv_4x8_neon(const DwconvArgs *a, const float *const *in_rows, float *out, float *pool) {
  switch (a->k * 10 + a->stride) {
    DW_CASE(3, 1)
    DW_CASE(3, 2)
    DW_CASE(5, 1)
    DW_CASE(5, 2)
    default: effnet_dwconv_scalar(a, in_rows, out, pool); return;
  }
}
