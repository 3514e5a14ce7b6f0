/* resample-avx2.c — the resampling passes of the frame path, AVX2 + FMA.
 *
 * Horizontal: dense tiles of 8 outputs (one ymm). Every input of a tile's
 * span is broadcast once per lane and multiplied by the tile's weight row
 * (zero where an output does not use it): no gathers, and the lanes (rows or
 * channels) share each weight load. Vertical: 32 outputs per step, one
 * broadcast weight per tap. */
#include <immintrin.h>

#include "kernels.h"

static inline __m256 clamp8(__m256 v) {
  return _mm256_min_ps(_mm256_max_ps(v, _mm256_setzero_ps()), _mm256_set1_ps(255.0f));
}
static inline __m256 round8(__m256 v) { return _mm256_floor_ps(_mm256_add_ps(clamp8(v), _mm256_set1_ps(0.5f))); }
static inline __m256 finish(__m256 v, PassMode mode) {
  return mode == PASS_ROUND ? round8(v) : mode == PASS_CLAMP ? clamp8(v) : v;
}

/* One tile for L lanes (a compile-time constant after inlining). With fewer
 * than four lanes the span is summed in 4 / L interleaved parts, so that
 * the FMAs do not wait on each other. */
static inline __attribute__((always_inline)) void tile_lanes(const float *w, int len, int step, int L,
                                                             const float *const *s, float *const *d, PassMode mode) {
  enum { MAXP = 4 };
  const int P = L >= 4 ? 1 : L >= 2 ? 2 : 4;
  __m256 acc[RESAMPLE_MAX_LANES][MAXP];
  for (int l = 0; l < L; l++)
    for (int q = 0; q < P; q++) acc[l][q] = _mm256_setzero_ps();
  int j = 0;
  for (; j + P <= len; j += P)
    for (int q = 0; q < P; q++) {
      __m256 wv = _mm256_loadu_ps(w + (size_t)(j + q) * 8);
      for (int l = 0; l < L; l++)
        acc[l][q] = _mm256_fmadd_ps(wv, _mm256_broadcast_ss(s[l] + (size_t)(j + q) * step), acc[l][q]);
    }
  for (; j < len; j++) {
    __m256 wv = _mm256_loadu_ps(w + (size_t)j * 8);
    for (int l = 0; l < L; l++) acc[l][0] = _mm256_fmadd_ps(wv, _mm256_broadcast_ss(s[l] + (size_t)j * step), acc[l][0]);
  }
  for (int l = 0; l < L; l++) {
    __m256 a = acc[l][0];
    for (int q = 1; q < P; q++) a = _mm256_add_ps(a, acc[l][q]);
    _mm256_storeu_ps(d[l], finish(a, mode));
  }
}

#define LANES_CASE(L)                                                            \
  case L:                                                                        \
    for (int i = 0; i < t->ntiles; i++) {                                        \
      const float *s[L];                                                         \
      float *d[L];                                                               \
      for (int l = 0; l < L; l++) {                                              \
        s[l] = src[l] + (size_t)t->j0[i] * step;                                 \
        d[l] = dst[l] + (size_t)i * 8;                                           \
      }                                                                          \
      tile_lanes(w, t->len[i], step, L, s, d, mode);                                   \
      w += (size_t)t->len[i] * 8;                                                \
    }                                                                            \
    break;

void effnet_resample_h_8x_avx2(const HTiles *t, int step, int lanes, const float *const *src, float *const *dst,
                               PassMode mode) {
  const float *w = t->w;
  switch (lanes) {
    LANES_CASE(1) LANES_CASE(2) LANES_CASE(3) LANES_CASE(4)
    LANES_CASE(5) LANES_CASE(6) LANES_CASE(7) LANES_CASE(8)
    default: break;
  }
}

void effnet_resample_v_avx2(const float *const *rows, const float *w, int taps, int n, PassMode mode,
                            float *out) {
  int x = 0;
  for (; x + 32 <= n; x += 32) {
    __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
    for (int t = 0; t < taps; t++) {
      __m256 wt = _mm256_broadcast_ss(w + t);
      const float *r = rows[t] + x;
      a0 = _mm256_fmadd_ps(wt, _mm256_loadu_ps(r), a0);
      a1 = _mm256_fmadd_ps(wt, _mm256_loadu_ps(r + 8), a1);
      a2 = _mm256_fmadd_ps(wt, _mm256_loadu_ps(r + 16), a2);
      a3 = _mm256_fmadd_ps(wt, _mm256_loadu_ps(r + 24), a3);
    }
    _mm256_storeu_ps(out + x, finish(a0, mode));
    _mm256_storeu_ps(out + x + 8, finish(a1, mode));
    _mm256_storeu_ps(out + x + 16, finish(a2, mode));
    _mm256_storeu_ps(out + x + 24, finish(a3, mode));
  }
  for (; x < n; x += 8) {
    __m256 a = _mm256_setzero_ps();
    for (int t = 0; t < taps; t++) a = _mm256_fmadd_ps(_mm256_broadcast_ss(w + t), _mm256_loadu_ps(rows[t] + x), a);
    _mm256_storeu_ps(out + x, finish(a, mode));
  }
}

/* Taps form: 8 outputs at a time, each tap's inputs gathered (for few taps,
 * where a dense tile would mostly multiply zeros). */
void effnet_resample_h_taps_avx2(const HTaps *t, int step, int lanes, const float *const *src, float *const *dst,
                                 PassMode mode) {
  const __m256i vstep = _mm256_set1_epi32(step);
  for (int x = 0; x < t->npad; x += 8) {
    __m256 acc[RESAMPLE_MAX_LANES];
    for (int l = 0; l < lanes; l++) acc[l] = _mm256_setzero_ps();
    for (int k = 0; k < t->kcol; k++) {
      __m256i idx = _mm256_mullo_epi32(_mm256_loadu_si256((const __m256i *)(t->col + (size_t)k * t->npad + x)), vstep);
      __m256 wv = _mm256_loadu_ps(t->wt + (size_t)k * t->npad + x);
      for (int l = 0; l < lanes; l++) acc[l] = _mm256_fmadd_ps(wv, _mm256_i32gather_ps(src[l], idx, 4), acc[l]);
    }
    for (int l = 0; l < lanes; l++) _mm256_storeu_ps(dst[l] + x, finish(acc[l], mode));
  }
}
