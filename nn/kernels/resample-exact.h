/* resample-exact.h — Pillow's rounding of an 8-bit pass, exactly.
 *
 * Pillow sums n_k * a_k in integers (weights n_k = w_k * 2^22, 8-bit
 * samples a_k) and rounds half up. With the same weights (exact in a float)
 * a float sum lands within `near` of that exact value (the plan bounds it:
 * HTaps.near, the vertical kernels' argument), so the two roundings can only
 * differ where the float sum is that close to a half. Such outputs — rare,
 * but common at rational scales, where many exact sums sit a hair from a
 * half — are summed again in double, where every product (31 bits) and sum
 * is exact: the result is Pillow's, bit for bit. */
#ifndef EFFNET_RESAMPLE_EXACT_H
#define EFFNET_RESAMPLE_EXACT_H

#include <math.h>

#include "kernels.h"

static inline float pillow_round(double v) {
  v = v < 0.0 ? 0.0 : v > 255.0 ? 255.0 : v;
  return (float)floor(v + 0.5);
}

/* Whether a float sum v may round differently from the exact one. */
static inline int pillow_near_half(float v, float near) {
  float f = v + 0.5f - floorf(v + 0.5f);
  return f < near || f > 1.0f - near;
}

/* Output x of the taps form, lane src, summed exactly. */
static inline float pillow_exact_h(const HTaps *t, int x, const float *src, int step) {
  const float *w = t->w + (size_t)x * t->kmax, *p = src + (size_t)t->start[x] * step;
  double acc = 0.0;
  for (int k = 0; k < t->count[x]; k++) acc += (double)w[k] * p[(size_t)k * step];
  return pillow_round(acc);
}

/* Output x of a vertical pass, summed exactly. */
static inline float pillow_exact_v(const float *const *rows, const float *w, int taps, int x) {
  double acc = 0.0;
  for (int t = 0; t < taps; t++) acc += (double)w[t] * rows[t][x];
  return pillow_round(acc);
}

#endif
