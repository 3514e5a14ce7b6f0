/* resample-avx512.c — the resampling passes of the frame path, AVX-512.
 * The same scheme as resample-avx2.c with 16 outputs per tile (one zmm) and
 * 64 per vertical step. */
#include <immintrin.h>

#include "kernels.h"

static inline __m512 clamp16(__m512 v) {
  return _mm512_min_ps(_mm512_max_ps(v, _mm512_setzero_ps()), _mm512_set1_ps(255.0f));
}
static inline __m512 round16(__m512 v) {
  return _mm512_roundscale_ps(_mm512_add_ps(clamp16(v), _mm512_set1_ps(0.5f)), _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC);
}
static inline __m512 finish(__m512 v, PassMode mode) {
  return mode == PASS_ROUND ? round16(v) : mode == PASS_CLAMP ? clamp16(v) : v;
}

/* One tile for L lanes; with fewer than four, the span in 4 / L parts. */
static inline __attribute__((always_inline)) void tile_lanes(const float *w, int len, int step, int L,
                                                             const float *const *s, float *const *d, PassMode mode) {
  enum { MAXP = 4 };
  const int P = L >= 4 ? 1 : L >= 2 ? 2 : 4;
  __m512 acc[RESAMPLE_MAX_LANES][MAXP];
  for (int l = 0; l < L; l++)
    for (int q = 0; q < P; q++) acc[l][q] = _mm512_setzero_ps();
  int j = 0;
  for (; j + P <= len; j += P)
    for (int q = 0; q < P; q++) {
      __m512 wv = _mm512_loadu_ps(w + (size_t)(j + q) * 16);
      for (int l = 0; l < L; l++)
        acc[l][q] = _mm512_fmadd_ps(wv, _mm512_set1_ps(s[l][(size_t)(j + q) * step]), acc[l][q]);
    }
  for (; j < len; j++) {
    __m512 wv = _mm512_loadu_ps(w + (size_t)j * 16);
    for (int l = 0; l < L; l++) acc[l][0] = _mm512_fmadd_ps(wv, _mm512_set1_ps(s[l][(size_t)j * step]), acc[l][0]);
  }
  for (int l = 0; l < L; l++) {
    __m512 a = acc[l][0];
    for (int q = 1; q < P; q++) a = _mm512_add_ps(a, acc[l][q]);
    _mm512_storeu_ps(d[l], finish(a, mode));
  }
}

#define LANES_CASE(L)                                                            \
  case L:                                                                        \
    for (int i = 0; i < t->ntiles; i++) {                                        \
      const float *s[L];                                                         \
      float *d[L];                                                               \
      for (int l = 0; l < L; l++) {                                              \
        s[l] = src[l] + (size_t)t->j0[i] * step;                                 \
        d[l] = dst[l] + (size_t)i * 16;                                          \
      }                                                                          \
      tile_lanes(w, t->len[i], step, L, s, d, mode);                                   \
      w += (size_t)t->len[i] * 16;                                               \
    }                                                                            \
    break;

void effnet_resample_h_16x_avx512(const HTiles *t, int step, int lanes, const float *const *src,
                                  float *const *dst, PassMode mode) {
  const float *w = t->w;
  switch (lanes) {
    LANES_CASE(1) LANES_CASE(2) LANES_CASE(3) LANES_CASE(4)
    LANES_CASE(5) LANES_CASE(6) LANES_CASE(7) LANES_CASE(8)
    default: break;
  }
}

void effnet_resample_v_avx512(const float *const *rows, const float *w, int taps, int n, PassMode mode,
                              float *out) {
  int x = 0;
  for (; x + 64 <= n; x += 64) {
    __m512 a0 = _mm512_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
    for (int t = 0; t < taps; t++) {
      __m512 wt = _mm512_set1_ps(w[t]);
      const float *r = rows[t] + x;
      a0 = _mm512_fmadd_ps(wt, _mm512_loadu_ps(r), a0);
      a1 = _mm512_fmadd_ps(wt, _mm512_loadu_ps(r + 16), a1);
      a2 = _mm512_fmadd_ps(wt, _mm512_loadu_ps(r + 32), a2);
      a3 = _mm512_fmadd_ps(wt, _mm512_loadu_ps(r + 48), a3);
    }
    _mm512_storeu_ps(out + x, finish(a0, mode));
    _mm512_storeu_ps(out + x + 16, finish(a1, mode));
    _mm512_storeu_ps(out + x + 32, finish(a2, mode));
    _mm512_storeu_ps(out + x + 48, finish(a3, mode));
  }
  for (; x < n; x += 16) {
    __m512 a = _mm512_setzero_ps();
    for (int t = 0; t < taps; t++) a = _mm512_fmadd_ps(_mm512_set1_ps(w[t]), _mm512_loadu_ps(rows[t] + x), a);
    _mm512_storeu_ps(out + x, finish(a, mode));
  }
}

/* Taps form: 16 outputs at a time, each tap's inputs gathered. */
void effnet_resample_h_taps_avx512(const HTaps *t, int step, int lanes, const float *const *src, float *const *dst,
                                   PassMode mode) {
  const __m512i vstep = _mm512_set1_epi32(step);
  for (int x = 0; x < t->npad; x += 16) {
    __m512 acc[RESAMPLE_MAX_LANES];
    for (int l = 0; l < lanes; l++) acc[l] = _mm512_setzero_ps();
    for (int k = 0; k < t->kcol; k++) {
      __m512i idx = _mm512_mullo_epi32(_mm512_loadu_si512(t->col + (size_t)k * t->npad + x), vstep);
      __m512 wv = _mm512_loadu_ps(t->wt + (size_t)k * t->npad + x);
      for (int l = 0; l < lanes; l++) acc[l] = _mm512_fmadd_ps(wv, _mm512_i32gather_ps(idx, src[l], 4), acc[l]);
    }
    for (int l = 0; l < lanes; l++) _mm512_storeu_ps(dst[l] + x, finish(acc[l], mode));
  }
}
