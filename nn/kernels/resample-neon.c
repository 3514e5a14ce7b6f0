/* resample-neon.c — the resampling passes of the frame path on AArch64 NEON.
 *
 * Horizontal, dense form: tiles of 4 outputs (one q register). Every input
 * of a tile's span is broadcast once per lane and multiplied by the tile's
 * weight row (zero where an output does not use it); the lanes (rows or
 * channels) share each weight load. Taps form: 4 outputs at a time, each tap's
 * 4 inputs loaded lane by lane (NEON has no gather instruction). Vertical: 16
 * outputs per step, one broadcast weight per tap. PASS_ROUND outputs near a
 * half are summed again exactly (resample-exact.h), as on x86. */
#include <arm_neon.h>

#include "resample-exact.h"

#define TILE EFFNET_NEON_RESAMPLE_TILE

/* Lanes of v (mode PASS_ROUND) whose float sum may round unlike the exact
 * one, as bits 0..3. */
static inline unsigned near_half(float32x4_t v, float near) {
  float32x4_t t = vaddq_f32(v, vdupq_n_f32(0.5f));
  float32x4_t f = vsubq_f32(t, vrndmq_f32(t));
  uint32x4_t m = vorrq_u32(vcltq_f32(f, vdupq_n_f32(near)), vcgtq_f32(f, vdupq_n_f32(1.0f - near)));
  const uint32x4_t bits = {1, 2, 4, 8};
  return vaddvq_u32(vandq_u32(m, bits));
}

static inline float32x4_t finish(float32x4_t v, PassMode mode) {
  if (mode == PASS_LINEAR) return v;
  v = vminq_f32(vmaxq_f32(v, vdupq_n_f32(0.0f)), vdupq_n_f32(255.0f));
  return mode == PASS_ROUND ? vrndmq_f32(vaddq_f32(v, vdupq_n_f32(0.5f))) : v;
}

/* Stores 4 outputs at dst[x..]; PASS_ROUND redoes the near-half ones exactly
 * with `exact` (output index -> value), outputs x + o < n only. */
#define STORE_ROUNDED(dst, x, n, v, mode, near, exact)                                                                 \
  do {                                                                                                                 \
    vst1q_f32((dst) + (x), finish((v), (mode)));                                                                       \
    if ((mode) == PASS_ROUND) {                                                                                        \
      unsigned m_ = near_half((v), (near));                                                                            \
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
  const int len = t->len[i], x = i * TILE;
  const float *s[RESAMPLE_MAX_LANES];
  float32x4_t acc[RESAMPLE_MAX_LANES][MAXP];
  for (int l = 0; l < L; l++) {
    s[l] = src[l] + (size_t)t->j0[i] * step;
    for (int q = 0; q < P; q++) acc[l][q] = vdupq_n_f32(0.0f);
  }
  int j = 0;
  for (; j + P <= len; j += P)
    for (int q = 0; q < P; q++) {
      float32x4_t wv = vld1q_f32(w + (size_t)(j + q) * TILE);
      for (int l = 0; l < L; l++) acc[l][q] = vfmaq_n_f32(acc[l][q], wv, s[l][(size_t)(j + q) * step]);
    }
  for (; j < len; j++) {
    float32x4_t wv = vld1q_f32(w + (size_t)j * TILE);
    for (int l = 0; l < L; l++) acc[l][0] = vfmaq_n_f32(acc[l][0], wv, s[l][(size_t)j * step]);
  }
  for (int l = 0; l < L; l++) {
    float32x4_t a = acc[l][0];
    for (int q = 1; q < P; q++) a = vaddq_f32(a, acc[l][q]);
#define EXACT(xx) pillow_exact_h(t->taps, (xx), src[l], step)
    STORE_ROUNDED(dst[l], x, t->taps->n, a, mode, t->taps->near, EXACT);
#undef EXACT
  }
}

#define TILES(L, P)                                                                                                    \
  for (int i = 0; i < t->ntiles; i++) {                                                                                \
    tile_lanes(t, i, w, step, L, P, src, dst, mode);                                                                   \
    w += (size_t)t->len[i] * TILE;                                                                                     \
  }

void effnet_resample_h_4x_neon(const HTiles *t, int step, int lanes, const float *const *src, float *const *dst,
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

void effnet_resample_h_taps_neon(const HTaps *t, int step, int lanes, const float *const *src, float *const *dst,
                                 PassMode mode) {
  for (int x = 0; x < t->npad; x += 4) {
    float32x4_t acc[RESAMPLE_MAX_LANES];
    for (int l = 0; l < lanes; l++) acc[l] = vdupq_n_f32(0.0f);
    for (int k = 0; k < t->kcol; k++) {
      const int *c = t->col + (size_t)k * t->npad + x;
      const size_t i0 = (size_t)c[0] * step, i1 = (size_t)c[1] * step, i2 = (size_t)c[2] * step,
                   i3 = (size_t)c[3] * step;
      float32x4_t wv = vld1q_f32(t->wt + (size_t)k * t->npad + x);
      for (int l = 0; l < lanes; l++) {
        const float *s = src[l];
        float32x4_t g = vld1q_dup_f32(s + i0);
        g = vld1q_lane_f32(s + i1, g, 1);
        g = vld1q_lane_f32(s + i2, g, 2);
        g = vld1q_lane_f32(s + i3, g, 3);
        acc[l] = vfmaq_f32(acc[l], wv, g);
      }
    }
    for (int l = 0; l < lanes; l++) {
#define EXACT(xx) pillow_exact_h(t, (xx), src[l], step)
      STORE_ROUNDED(dst[l], x, t->n, acc[l], mode, t->near, EXACT);
#undef EXACT
    }
  }
}

void effnet_resample_v_neon(const float *const *rows, const float *w, int taps, int n, PassMode mode, float near,
                            float *out) {
#define EXACT(xx) pillow_exact_v(rows, w, taps, (xx))
  int x = 0;
  for (; x + 16 <= n; x += 16) {
    float32x4_t a0 = vdupq_n_f32(0.0f), a1 = a0, a2 = a0, a3 = a0;
    for (int t = 0; t < taps; t++) {
      const float wt = w[t];
      const float *r = rows[t] + x;
      a0 = vfmaq_n_f32(a0, vld1q_f32(r), wt);
      a1 = vfmaq_n_f32(a1, vld1q_f32(r + 4), wt);
      a2 = vfmaq_n_f32(a2, vld1q_f32(r + 8), wt);
      a3 = vfmaq_n_f32(a3, vld1q_f32(r + 12), wt);
    }
    STORE_ROUNDED(out, x, n, a0, mode, near, EXACT);
    STORE_ROUNDED(out, x + 4, n, a1, mode, near, EXACT);
    STORE_ROUNDED(out, x + 8, n, a2, mode, near, EXACT);
    STORE_ROUNDED(out, x + 12, n, a3, mode, near, EXACT);
  }
  for (; x < n; x += 4) {
    float32x4_t a = vdupq_n_f32(0.0f);
    for (int t = 0; t < taps; t++) a = vfmaq_n_f32(a, vld1q_f32(rows[t] + x), w[t]);
    STORE_ROUNDED(out, x, n, a, mode, near, EXACT);
  }
#undef EXACT
}
