/* resample-avx2.c — the resampling passes of the frame path, AVX2 + FMA.
 *
 * Horizontal, dense form: tiles of 8 outputs (one ymm). Every input of a
 * tile's span is broadcast once per lane and multiplied by the tile's weight
 * row (zero where an output does not use it): no gathers, and the lanes
 * (rows or channels) share each weight load. Taps form: 8 outputs at a time,
 * each tap gathered (for few taps, where a tile would mostly multiply zeros).
 * Vertical: 32 outputs per step, one broadcast weight per tap. PASS_ROUND
 * outputs near a half are summed again exactly (resample-exact.h). */
#include <immintrin.h>

#include "resample-exact.h"

static inline __m256 clamp8(__m256 v) {
  return _mm256_min_ps(_mm256_max_ps(v, _mm256_setzero_ps()), _mm256_set1_ps(255.0f));
}

/* Lanes of v (mode PASS_ROUND) whose float sum may round unlike the exact one. */
static inline int near_half(__m256 v, float near) {
  __m256 t = _mm256_add_ps(v, _mm256_set1_ps(0.5f));
  __m256 f = _mm256_sub_ps(t, _mm256_floor_ps(t));
  __m256 lo = _mm256_cmp_ps(f, _mm256_set1_ps(near), _CMP_LT_OQ);
  __m256 hi = _mm256_cmp_ps(f, _mm256_set1_ps(1.0f - near), _CMP_GT_OQ);
  return _mm256_movemask_ps(_mm256_or_ps(lo, hi));
}

static inline __m256 finish(__m256 v, PassMode mode) {
  if (mode == PASS_LINEAR) return v;
  v = clamp8(v);
  return mode == PASS_ROUND ? _mm256_floor_ps(_mm256_add_ps(v, _mm256_set1_ps(0.5f))) : v;
}

/* Stores 8 outputs at dst[x..]; PASS_ROUND redoes the near-half ones exactly
 * with `exact` (output index -> value), outputs x + o < n only. */
#define STORE_ROUNDED(dst, x, n, v, mode, near, exact)                                                                 \
  do {                                                                                                                 \
    _mm256_storeu_ps((dst) + (x), finish((v), (mode)));                                                                \
    if ((mode) == PASS_ROUND) {                                                                                        \
      int m_ = near_half((v), (near));                                                                                 \
      while (m_) {                                                                                                     \
        int o_ = __builtin_ctz(m_);                                                                                    \
        m_ &= m_ - 1;                                                                                                  \
        if ((x) + o_ < (n)) (dst)[(x) + o_] = exact((x) + o_);                                                         \
      }                                                                                                                \
    }                                                                                                                  \
  } while (0)

/* One tile for L lanes, the span in P parts (compile-time constants after
 * inlining). */
static inline __attribute__((always_inline)) void tile_lanes(const HTiles *t, int i, const float *w, int step, int L,
                                                             int P, const float *const *src, float *const *dst,
                                                             PassMode mode) {
  enum { MAXP = 4 };
  const int len = t->len[i], x = i * 8;
  const float *s[RESAMPLE_MAX_LANES];
  __m256 acc[RESAMPLE_MAX_LANES][MAXP];
  for (int l = 0; l < L; l++) {
    s[l] = src[l] + (size_t)t->j0[i] * step;
    for (int q = 0; q < P; q++) acc[l][q] = _mm256_setzero_ps();
  }
  int j = 0;
  for (; j + P <= len; j += P)
    for (int q = 0; q < P; q++) {
      __m256 wv = _mm256_loadu_ps(w + (size_t)(j + q) * 8);
      for (int l = 0; l < L; l++)
        acc[l][q] = _mm256_fmadd_ps(wv, _mm256_broadcast_ss(s[l] + (size_t)(j + q) * step), acc[l][q]);
    }
  for (; j < len; j++) {
    __m256 wv = _mm256_loadu_ps(w + (size_t)j * 8);
    for (int l = 0; l < L; l++)
      acc[l][0] = _mm256_fmadd_ps(wv, _mm256_broadcast_ss(s[l] + (size_t)j * step), acc[l][0]);
  }
  for (int l = 0; l < L; l++) {
    __m256 a = acc[l][0];
    for (int q = 1; q < P; q++) a = _mm256_add_ps(a, acc[l][q]);
#define EXACT(xx) pillow_exact_h(t->taps, (xx), src[l], step)
    STORE_ROUNDED(dst[l], x, t->taps->n, a, mode, t->taps->near, EXACT);
#undef EXACT
  }
}

#define TILES(L, P)                                                                                                    \
  for (int i = 0; i < t->ntiles; i++) {                                                                                \
    tile_lanes(t, i, w, step, L, P, src, dst, mode);                                                                   \
    w += (size_t)t->len[i] * 8;                                                                                        \
  }

void effnet_resample_h_8x_avx2(const HTiles *t, int step, int lanes, const float *const *src, float *const *dst,
                               PassMode mode) {
  const float *w = t->w;
  if (t->parts == 4 && lanes == 1) { TILES(1, 4) return; }
  if (t->parts == 2 && lanes == 2) { TILES(2, 2) return; }
  if (t->parts == 2 && lanes == 1) { TILES(1, 2) return; }
  switch (lanes) {
    case 1: TILES(1, 1) break;
    case 2: TILES(2, 1) break;
    case 3: TILES(3, 1) break;
    case 4: TILES(4, 1) break;
    case 5: TILES(5, 1) break;
    case 6: TILES(6, 1) break;
    case 7: TILES(7, 1) break;
    case 8: TILES(8, 1) break;
    default: break;
  }
}

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
    for (int l = 0; l < lanes; l++) {
#define EXACT(xx) pillow_exact_h(t, (xx), src[l], step)
      STORE_ROUNDED(dst[l], x, t->n, acc[l], mode, t->near, EXACT);
#undef EXACT
    }
  }
}

void effnet_resample_v_avx2(const float *const *rows, const float *w, int taps, int n, PassMode mode, float near,
                            float *out) {
#define EXACT(xx) pillow_exact_v(rows, w, taps, (xx))
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
    STORE_ROUNDED(out, x, n, a0, mode, near, EXACT);
    STORE_ROUNDED(out, x + 8, n, a1, mode, near, EXACT);
    STORE_ROUNDED(out, x + 16, n, a2, mode, near, EXACT);
    STORE_ROUNDED(out, x + 24, n, a3, mode, near, EXACT);
  }
  for (; x < n; x += 8) {
    __m256 a = _mm256_setzero_ps();
    for (int t = 0; t < taps; t++) a = _mm256_fmadd_ps(_mm256_broadcast_ss(w + t), _mm256_loadu_ps(rows[t] + x), a);
    STORE_ROUNDED(out, x, n, a, mode, near, EXACT);
  }
#undef EXACT
}
