/* vmath-avx512.h — exp, sigmoid and SiLU on 16 floats, inlined into the
 * AVX-512 kernels so activations fuse into their epilogues.
 *
 * exp(x) = 2^n * e^r with n = round(x / ln 2), |r| <= ln2/2; e^r by its
 * degree-6 Taylor polynomial (truncation error < 1.3e-7 relative, about one
 * float ulp); 2^n applied with vscalefps, which also handles the range ends.
 * The reciprocal in the sigmoid is rcp14 plus one Newton step (~1e-8). */
#ifndef EFFNET_VMATH_AVX512_H
#define EFFNET_VMATH_AVX512_H

#include <immintrin.h>
#include "kernels.h"

static inline __m512 v16_exp(__m512 x) {
  const __m512 log2e = _mm512_set1_ps(1.44269504088896341f);
  const __m512 ln2_hi = _mm512_set1_ps(0.693359375f);      /* exact in 9 bits */
  const __m512 ln2_lo = _mm512_set1_ps(-2.12194440e-4f);   /* ln 2 - ln2_hi */
  x = _mm512_max_ps(_mm512_min_ps(x, _mm512_set1_ps(88.0f)), _mm512_set1_ps(-88.0f));
  __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(x, log2e), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m512 r = _mm512_fnmadd_ps(n, ln2_hi, x);
  r = _mm512_fnmadd_ps(n, ln2_lo, r);
  __m512 p = _mm512_set1_ps(1.0f / 720);
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 120));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 24));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 6));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(0.5f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f));
  return _mm512_scalef_ps(p, n);
}

static inline __m512 v16_sigmoid(__m512 x) {
  /* -x capped at 80: 1/(1+e^80) is still a normal float, so no denormal
   * (slow on some CPUs) ever appears; the true value is below 2e-35 there. */
  __m512 t = _mm512_min_ps(_mm512_sub_ps(_mm512_setzero_ps(), x), _mm512_set1_ps(80.0f));
  __m512 d = _mm512_add_ps(_mm512_set1_ps(1.0f), v16_exp(t));
  __m512 r = _mm512_rcp14_ps(d);
  /* Newton: r' = r * (2 - d*r) */
  return _mm512_mul_ps(r, _mm512_fnmadd_ps(d, r, _mm512_set1_ps(2.0f)));
}

static inline __m512 v16_act(__m512 x, Activation act) {
  switch (act) {
    case ACT_SILU: return _mm512_mul_ps(x, v16_sigmoid(x));
    case ACT_SIGMOID: return v16_sigmoid(x);
    default: return x;
  }
}

/* Mask of the first n (0..16) lanes. */
static inline __mmask16 v16_mask(int n) {
  return n >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (n > 0 ? n : 0)) - 1u);
}

#endif
