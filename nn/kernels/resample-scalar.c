/* resample-scalar.c — the resampling passes of the frame path in plain C:
 * the reference for the SIMD versions and the path of other architectures.
 * Horizontal in the taps form only (a dense tile would only add zeros). */
#include <math.h>

#include "kernels.h"

static inline float finish(float v, PassMode mode) {
  if (mode == PASS_LINEAR) return v;
  v = v < 0.0f ? 0.0f : v > 255.0f ? 255.0f : v;
  return mode == PASS_ROUND ? floorf(v + 0.5f) : v;
}

void effnet_resample_h_taps_scalar(const HTaps *t, int step, int lanes, const float *const *src,
                                   float *const *dst, PassMode mode) {
  for (int l = 0; l < lanes; l++) {
    const float *s = src[l];
    for (int x = 0; x < t->n; x++) {
      const float *w = t->w + (size_t)x * t->kmax, *p = s + (size_t)t->start[x] * step;
      float acc = 0.0f;
      for (int k = 0; k < t->count[x]; k++) acc += w[k] * p[(size_t)k * step];
      dst[l][x] = finish(acc, mode);
    }
  }
}

void effnet_resample_v_scalar(const float *const *rows, const float *w, int taps, int n, PassMode mode,
                              float *out) {
  for (int x = 0; x < n; x++) {
    float acc = 0.0f;
    for (int t = 0; t < taps; t++) acc += w[t] * rows[t][x];
    out[x] = finish(acc, mode);
  }
}

void effnet_resample_h_taps_exact(const HTaps *t, int step, int lanes, const float *const *src, float *const *dst,
                                  PassMode mode) {
  for (int l = 0; l < lanes; l++) {
    const float *s = src[l];
    for (int x = 0; x < t->n; x++) {
      const float *w = t->w + (size_t)x * t->kmax, *p = s + (size_t)t->start[x] * step;
      double acc = 0.0;
      for (int k = 0; k < t->count[x]; k++) acc += (double)w[k] * p[(size_t)k * step];
      double v = mode == PASS_LINEAR ? acc : acc < 0.0 ? 0.0 : acc > 255.0 ? 255.0 : acc;
      dst[l][x] = (float)(mode == PASS_ROUND ? floor(v + 0.5) : v);
    }
  }
}
