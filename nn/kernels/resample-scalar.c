/* resample-scalar.c — the resampling passes of the frame path in plain C:
 * the reference for the SIMD versions and the path of other architectures.
 * Horizontal in the taps form only (a dense tile would only add zeros).
 * PASS_ROUND sums in double, which is exact (resample-exact.h). */
#include "resample-exact.h"

static inline float finish(float v, PassMode mode) {
  if (mode == PASS_LINEAR) return v;
  return v < 0.0f ? 0.0f : v > 255.0f ? 255.0f : v;
}

void effnet_resample_h_taps_scalar(const HTaps *t, int step, int lanes, const float *const *src, float *const *dst,
                                   PassMode mode) {
  for (int l = 0; l < lanes; l++) {
    const float *s = src[l];
    for (int x = 0; x < t->n; x++) {
      if (mode == PASS_ROUND) {
        dst[l][x] = pillow_exact_h(t, x, s, step);
        continue;
      }
      const float *w = t->w + (size_t)x * t->kmax, *p = s + (size_t)t->start[x] * step;
      float acc = 0.0f;
      for (int k = 0; k < t->count[x]; k++) acc += w[k] * p[(size_t)k * step];
      dst[l][x] = finish(acc, mode);
    }
  }
}

void effnet_resample_v_scalar(const float *const *rows, const float *w, int taps, int n, PassMode mode, float near,
                              float *out) {
  (void)near;
  for (int x = 0; x < n; x++) {
    if (mode == PASS_ROUND) {
      out[x] = pillow_exact_v(rows, w, taps, x);
      continue;
    }
    float acc = 0.0f;
    for (int t = 0; t < taps; t++) acc += w[t] * rows[t][x];
    out[x] = finish(acc, mode);
  }
}
