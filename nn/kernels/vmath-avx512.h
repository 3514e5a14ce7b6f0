/* vmath-avx512.h — sigmoid and SiLU on 16 floats, inlined into the AVX-512
 * kernels so activations fuse into their epilogues.
 *
 * e^-x = 2^n * e^r with n = round(-x / ln 2), r = -x - n ln 2 in one FMA
 * (|n| <= 116 after the clamp, so the rounding of ln 2 to a float moves r by
 * at most 2.2e-7 relative to e^-x, and only where |x| > 40: 4e-8 for |x| <= 8;
 * a second, Cody-Waite step cost 10 % of a SiLU on Zen 4 for no visible
 * change of any logit). n comes from the "magic number" trick (adding
 * 1.5*2^23 rounds to an integer, exactly), 2^n is applied by scalef. e^r is
 * a degree-5 polynomial fitted here for minimum relative error (1.1e-7,
 * about one float ulp; see nn/README.md). The final division measured faster
 * than rcp14 + Newton on Zen 4 and Zen 5 and is exact. Inputs are clamped to
 * [-80, 87]; outside, sigmoid is 0 or 1 to within 2e-35. SiLU's relative
 * error is below 4e-7 everywhere (tests/test_kernels.c) and 2.7e-7 on
 * [-20, 20]; one SiLU of 16 floats costs about 10.7 cycles on Zen 4 (12.2
 * with the two-step reduction and the shift). */
#ifndef EFFNET_VMATH_AVX512_H
#define EFFNET_VMATH_AVX512_H

#include <immintrin.h>
#include "kernels.h"

/* 1 + e^-x */
static inline __m512 v16_one_plus_exp_neg(__m512 x) {
  const __m512 magic = _mm512_set1_ps(12582912.0f);
  x = _mm512_max_ps(_mm512_min_ps(x, _mm512_set1_ps(87.0f)), _mm512_set1_ps(-80.0f));
  __m512 n = _mm512_sub_ps(_mm512_fmadd_ps(x, _mm512_set1_ps(-1.44269504088896341f), magic), magic);
  __m512 r = _mm512_fnmsub_ps(n, _mm512_set1_ps(0.693147182f), x); /* -x - n ln2 */
  __m512 p = _mm512_set1_ps(0.008312502f);
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(0.041890334f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(0.16667116f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(0.49999231f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f));
  return _mm512_add_ps(_mm512_scalef_ps(p, n), _mm512_set1_ps(1.0f));
}

static inline __m512 v16_sigmoid(__m512 x) { return _mm512_div_ps(_mm512_set1_ps(1.0f), v16_one_plus_exp_neg(x)); }

static inline __m512 v16_act(__m512 x, Activation act) {
  switch (act) {
    case ACT_SILU: return _mm512_div_ps(x, v16_one_plus_exp_neg(x));
    case ACT_SIGMOID: return v16_sigmoid(x);
    default: return x;
  }
}

/* Mask of the first n (0..16) lanes. */
static inline __mmask16 v16_mask(int n) {
  return n >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (n > 0 ? n : 0)) - 1u);
}

#endif
