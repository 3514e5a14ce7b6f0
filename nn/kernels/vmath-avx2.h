/* vmath-avx2.h — sigmoid and SiLU on 8 floats for the AVX2 kernels; the
 * same method and constants as vmath-avx512.h, with 2^n made by shifting
 * n + 127 (left in the low mantissa bits by the magic number) into the
 * exponent field, as AVX2 has no scalef. */
#ifndef EFFNET_VMATH_AVX2_H
#define EFFNET_VMATH_AVX2_H

#include <immintrin.h>
#include "kernels.h"

/* 1 + e^-x */
static inline __m256 v8_one_plus_exp_neg(__m256 x) {
  const __m256 magic = _mm256_set1_ps(12582912.0f + 127.0f);
  x = _mm256_max_ps(_mm256_min_ps(x, _mm256_set1_ps(87.0f)), _mm256_set1_ps(-80.0f));
  __m256 fn = _mm256_fmadd_ps(x, _mm256_set1_ps(-1.44269504088896341f), magic);
  __m256 n = _mm256_sub_ps(fn, magic);
  __m256 r = _mm256_fnmsub_ps(n, _mm256_set1_ps(0.693147182f), x); /* -x - n ln2 */
  __m256 p = _mm256_set1_ps(0.008312502f);
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(0.041890334f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(0.16667116f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(0.49999231f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
  __m256 two_n = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_castps_si256(fn), 23));
  return _mm256_fmadd_ps(p, two_n, _mm256_set1_ps(1.0f));
}

static inline __m256 v8_act(__m256 x, Activation act) {
  switch (act) {
    case ACT_SILU: return _mm256_div_ps(x, v8_one_plus_exp_neg(x));
    case ACT_SIGMOID: return _mm256_div_ps(_mm256_set1_ps(1.0f), v8_one_plus_exp_neg(x));
    default: return x;
  }
}

/* Lanes [0, n) set, for maskload/maskstore. */
static inline __m256i v8_mask(int n) {
  n = n < 0 ? 0 : n > 8 ? 8 : n;
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

#endif
