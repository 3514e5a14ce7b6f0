/* resample-avx512.c — the resampling passes of the frame path, AVX-512.
 * The scheme of resample-avx2.c with 16 outputs per tile and per gather (one
 * zmm) and 64 per vertical step. PASS_ROUND outputs near a half are summed
 * again exactly (resample-exact.h). */
#include <immintrin.h>

#include "resample-exact.h"

static inline __m512 clamp16(__m512 v) {
  return _mm512_min_ps(_mm512_max_ps(v, _mm512_setzero_ps()), _mm512_set1_ps(255.0f));
}

static inline __m512 floor16(__m512 v) { return _mm512_roundscale_ps(v, _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC); }

static inline unsigned near_half(__m512 v, float near) {
  __m512 t = _mm512_add_ps(v, _mm512_set1_ps(0.5f));
  __m512 f = _mm512_sub_ps(t, floor16(t));
  return _mm512_cmp_ps_mask(f, _mm512_set1_ps(near), _CMP_LT_OQ) |
         _mm512_cmp_ps_mask(f, _mm512_set1_ps(1.0f - near), _CMP_GT_OQ);
}

static inline __m512 finish(__m512 v, PassMode mode) {
  if (mode == PASS_LINEAR) return v;
  v = clamp16(v);
  return mode == PASS_ROUND ? floor16(_mm512_add_ps(v, _mm512_set1_ps(0.5f))) : v;
}

#define STORE_ROUNDED(dst, x, n, v, mode, near, exact)                                                                 \
  do {                                                                                                                 \
    _mm512_storeu_ps((dst) + (x), finish((v), (mode)));                                                                \
    if ((mode) == PASS_ROUND) {                                                                                        \
      unsigned m_ = near_half((v), (near));                                                                            \
      while (m_) {                                                                                                     \
        int o_ = __builtin_ctz(m_);                                                                                    \
        m_ &= m_ - 1;                                                                                                  \
        if ((x) + o_ < (n)) (dst)[(x) + o_] = exact((x) + o_);                                                         \
      }                                                                                                                \
    }                                                                                                                  \
  } while (0)

static inline __attribute__((always_inline)) void tile_lanes(const HTiles *t, int i, const float *w, int step, int L,
                                                             int P, const float *const *src, float *const *dst,
                                                             PassMode mode) {
  enum { MAXP = 4 };
  const int len = t->len[i], x = i * 16;
  const float *s[RESAMPLE_MAX_LANES];
  __m512 acc[RESAMPLE_MAX_LANES][MAXP];
  for (int l = 0; l < L; l++) {
    s[l] = src[l] + (size_t)t->j0[i] * step;
    for (int q = 0; q < P; q++) acc[l][q] = _mm512_setzero_ps();
  }
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
#define EXACT(xx) pillow_exact_h(t->taps, (xx), src[l], step)
    STORE_ROUNDED(dst[l], x, t->taps->n, a, mode, t->taps->near, EXACT);
#undef EXACT
  }
}

#define TILES(L, P)                                                                                                    \
  for (int i = 0; i < t->ntiles; i++) {                                                                                \
    tile_lanes(t, i, w, step, L, P, src, dst, mode);                                                                   \
    w += (size_t)t->len[i] * 16;                                                                                       \
  }

void effnet_resample_h_16x_avx512(const HTiles *t, int step, int lanes, const float *const *src, float *const *dst,
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
    for (int l = 0; l < lanes; l++) {
#define EXACT(xx) pillow_exact_h(t, (xx), src[l], step)
      STORE_ROUNDED(dst[l], x, t->n, acc[l], mode, t->near, EXACT);
#undef EXACT
    }
  }
}

void effnet_resample_v_avx512(const float *const *rows, const float *w, int taps, int n, PassMode mode, float near,
                              float *out) {
#define EXACT(xx) pillow_exact_v(rows, w, taps, (xx))
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
    STORE_ROUNDED(out, x, n, a0, mode, near, EXACT);
    STORE_ROUNDED(out, x + 16, n, a1, mode, near, EXACT);
    STORE_ROUNDED(out, x + 32, n, a2, mode, near, EXACT);
    STORE_ROUNDED(out, x + 48, n, a3, mode, near, EXACT);
  }
  for (; x < n; x += 16) {
    __m512 a = _mm512_setzero_ps();
    for (int t = 0; t < taps; t++) a = _mm512_fmadd_ps(_mm512_set1_ps(w[t]), _mm512_loadu_ps(rows[t] + x), a);
    STORE_ROUNDED(out, x, n, a, mode, near, EXACT);
  }
#undef EXACT
}
