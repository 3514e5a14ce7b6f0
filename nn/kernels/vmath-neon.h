/* vmath-neon.h — sigmoid and SiLU on 4 floats for the NEON kernels (AArch64);
 * the same method, constants and operation order as vmath-avx2.h, so the
 * results match the x86 paths' bit for bit (every step is one correctly
 * rounded IEEE operation: FMA, add, divide). Also the partial loads and
 * stores the kernels use for tails (NEON has no masked memory access). */
#ifndef EFFNET_VMATH_NEON_H
#define EFFNET_VMATH_NEON_H

#include <arm_neon.h>
#include <string.h>

#include "kernels.h"

/* 1 + e^-x: e^-x = 2^n * e^r with n = round(-x / ln 2), r = -x - n ln 2
 * (ln 2 rounded to a float: one FMA, see vmath-avx512.h), e^r by a degree-5
 * polynomial. */
static inline float32x4_t v4_one_plus_exp_neg(float32x4_t x) {
  const float32x4_t magic = vdupq_n_f32(12582912.0f + 127.0f);
  x = vmaxq_f32(vminq_f32(x, vdupq_n_f32(87.0f)), vdupq_n_f32(-80.0f));
  float32x4_t fn = vfmaq_f32(magic, x, vdupq_n_f32(-1.44269504088896341f));
  float32x4_t n = vsubq_f32(fn, magic);
  float32x4_t r = vnegq_f32(vfmaq_f32(x, n, vdupq_n_f32(0.693147182f))); /* -x - n ln2 */
  float32x4_t p = vdupq_n_f32(0.008312502f);
  p = vfmaq_f32(vdupq_n_f32(0.041890334f), p, r);
  p = vfmaq_f32(vdupq_n_f32(0.16667116f), p, r);
  p = vfmaq_f32(vdupq_n_f32(0.49999231f), p, r);
  p = vfmaq_f32(vdupq_n_f32(1.0f), p, r);
  p = vfmaq_f32(vdupq_n_f32(1.0f), p, r);
  float32x4_t two_n = vreinterpretq_f32_s32(vshlq_n_s32(vreinterpretq_s32_f32(fn), 23));
  return vfmaq_f32(vdupq_n_f32(1.0f), p, two_n);
}

static inline float32x4_t v4_act(float32x4_t x, Activation act) {
  switch (act) {
    case ACT_SILU: return vdivq_f32(x, v4_one_plus_exp_neg(x));
    case ACT_SIGMOID: return vdivq_f32(vdupq_n_f32(1.0f), v4_one_plus_exp_neg(x));
    default: return x;
  }
}

/* The first n (0..4) floats at p; the other lanes 0. Reads nothing past p + n. */
static inline float32x4_t v4_load_n(const float *p, int n) {
  if (n >= 4) return vld1q_f32(p);
  float t[4] = {0.0f, 0.0f, 0.0f, 0.0f};
  if (n > 0) memcpy(t, p, (size_t)n * sizeof(float));
  return vld1q_f32(t);
}

/* Stores the first n (0..4) lanes of v at p. */
static inline void v4_store_n(float *p, float32x4_t v, int n) {
  if (n >= 4) {
    vst1q_f32(p, v);
  } else if (n > 0) {
    float t[4];
    vst1q_f32(t, v);
    memcpy(p, t, (size_t)n * sizeof(float));
  }
}

#endif
