/* pixel-scalar.c — the per-pixel steps of the frame path in plain C: bytes
 * to floats before resampling, and after it YUV to RGB, normalization and
 * the store, planar or interleaved. */
#include "kernels.h"

void effnet_unpack_u8_scalar(const uint8_t *src, size_t n, float *dst) {
  for (size_t i = 0; i < n; i++) dst[i] = (float)src[i];
}

static inline void put(float *dst, ptrdiff_t chan_stride, int nhwc, int x, int c, float v) {
  if (nhwc) dst[3 * x + c] = v;
  else dst[c * chan_stride + x] = v;
}

void effnet_store_rgb_scalar(const float *const *comp, int n, const float *scale, const float *shift, float *dst,
                             ptrdiff_t chan_stride, int nhwc) {
  for (int x = 0; x < n; x++)
    for (int c = 0; c < 3; c++) put(dst, chan_stride, nhwc, x, c, comp[c][x] * scale[c] + shift[c]);
}

static inline float clamp255(float v) { return v < 0.0f ? 0.0f : v > 255.0f ? 255.0f : v; }

void effnet_store_yuv_scalar(const float *const *comp, int n, const float *m, const float *scale, const float *shift,
                             float *dst, ptrdiff_t chan_stride, int nhwc) {
  for (int x = 0; x < n; x++) {
    float y = comp[0][x], u = comp[1][x], v = comp[2][x];
    for (int c = 0; c < 3; c++) {
      const float *r = m + 4 * c;
      float rgb = clamp255(r[0] * y + r[1] * u + r[2] * v + r[3]);
      put(dst, chan_stride, nhwc, x, c, rgb * scale[c] + shift[c]);
    }
  }
}
