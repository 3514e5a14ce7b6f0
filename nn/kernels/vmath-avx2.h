/* vmath-avx2.h — exp, sigmoid and SiLU on 8 floats for the AVX2 kernels.
 * Same method as vmath-avx512.h; 2^n is built in the exponent field since
 * AVX2 has no vscalefps (inputs are clamped so n stays in [-126, 127]). */
#ifndef EFFNET_VMATH_AVX2_H
#define EFFNET_VMATH_AVX2_H

#include <immintrin.h>
#include "kernels.h"

static inline __m256 v8_exp(__m256 x) {
  const __m256 ln2_hi = _mm256_set1_ps(0.693359375f);
  const __m256 ln2_lo = _mm256_set1_ps(-2.12194440e-4f);
  x = _mm256_max_ps(_mm256_min_ps(x, _mm256_set1_ps(88.0f)), _mm256_set1_ps(-87.0f));
  __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f)),
                             _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m256 r = _mm256_fnmadd_ps(n, ln2_hi, x);
  r = _mm256_fnmadd_ps(n, ln2_lo, r);
  __m256 p = _mm256_set1_ps(1.0f / 720);
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 120));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 24));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 6));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(0.5f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
  __m256i e = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
  return _mm256_mul_ps(p, _mm256_castsi256_ps(e));
}

static inline __m256 v8_sigmoid(__m256 x) {
  __m256 t = _mm256_min_ps(_mm256_sub_ps(_mm256_setzero_ps(), x), _mm256_set1_ps(80.0f));
  return _mm256_div_ps(_mm256_set1_ps(1.0f), _mm256_add_ps(_mm256_set1_ps(1.0f), v8_exp(t)));
}

static inline __m256 v8_act(__m256 x, Activation act) {
  switch (act) {
    case ACT_SILU: return _mm256_mul_ps(x, v8_sigmoid(x));
    case ACT_SIGMOID: return v8_sigmoid(x);
    default: return x;
  }
}

/* Lanes [0, n) set, for maskload/maskstore. */
static inline __m256i v8_mask(int n) {
  n = n < 0 ? 0 : n > 8 ? 8 : n;
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

#endif
