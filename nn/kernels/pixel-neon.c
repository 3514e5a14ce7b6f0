/* pixel-neon.c — the per-pixel steps of the frame path on AArch64 NEON: bytes
 * to floats, and YUV to RGB + normalization + the store (planar, or three
 * channels interleaved by vst3q for the network's NHWC input). */
#include <arm_neon.h>

#include "kernels.h"

void effnet_unpack_u8_neon(const uint8_t *src, size_t n, float *dst) {
  size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    uint8x16_t b = vld1q_u8(src + i);
    uint16x8_t lo = vmovl_u8(vget_low_u8(b)), hi = vmovl_u8(vget_high_u8(b));
    vst1q_f32(dst + i, vcvtq_f32_u32(vmovl_u16(vget_low_u16(lo))));
    vst1q_f32(dst + i + 4, vcvtq_f32_u32(vmovl_u16(vget_high_u16(lo))));
    vst1q_f32(dst + i + 8, vcvtq_f32_u32(vmovl_u16(vget_low_u16(hi))));
    vst1q_f32(dst + i + 12, vcvtq_f32_u32(vmovl_u16(vget_high_u16(hi))));
  }
  for (; i < n; i++) dst[i] = (float)src[i];
}

static inline void put(float *dst, ptrdiff_t chan_stride, int nhwc, int x, float32x4_t r, float32x4_t g,
                       float32x4_t b) {
  if (nhwc) {
    float32x4x3_t v = {{r, g, b}};
    vst3q_f32(dst + 3 * x, v);
  } else {
    vst1q_f32(dst + x, r);
    vst1q_f32(dst + chan_stride + x, g);
    vst1q_f32(dst + 2 * chan_stride + x, b);
  }
}

void effnet_store_rgb_neon(const float *const *comp, int n, const float *scale, const float *shift, float *dst,
                           ptrdiff_t chan_stride, int nhwc) {
  const float32x4_t s0 = vdupq_n_f32(scale[0]), s1 = vdupq_n_f32(scale[1]), s2 = vdupq_n_f32(scale[2]);
  const float32x4_t h0 = vdupq_n_f32(shift[0]), h1 = vdupq_n_f32(shift[1]), h2 = vdupq_n_f32(shift[2]);
  int x = 0;
  for (; x + 4 <= n; x += 4)
    put(dst, chan_stride, nhwc, x, vfmaq_f32(h0, vld1q_f32(comp[0] + x), s0), vfmaq_f32(h1, vld1q_f32(comp[1] + x), s1),
        vfmaq_f32(h2, vld1q_f32(comp[2] + x), s2));
  if (x < n) {
    const float *rest[3] = {comp[0] + x, comp[1] + x, comp[2] + x};
    effnet_store_rgb_scalar(rest, n - x, scale, shift, dst + (nhwc ? 3 * x : x), chan_stride, nhwc);
  }
}

void effnet_store_yuv_neon(const float *const *comp, int n, const float *m, const float *scale, const float *shift,
                           float *dst, ptrdiff_t chan_stride, int nhwc) {
  const float32x4_t zero = vdupq_n_f32(0.0f), top = vdupq_n_f32(255.0f);
  float32x4_t mm[12], s[3], h[3];
  for (int i = 0; i < 12; i++) mm[i] = vdupq_n_f32(m[i]);
  for (int c = 0; c < 3; c++) {
    s[c] = vdupq_n_f32(scale[c]);
    h[c] = vdupq_n_f32(shift[c]);
  }
  int x = 0;
  for (; x + 4 <= n; x += 4) {
    float32x4_t y = vld1q_f32(comp[0] + x), u = vld1q_f32(comp[1] + x), v = vld1q_f32(comp[2] + x);
    float32x4_t o[3];
    for (int c = 0; c < 3; c++) {
      const float32x4_t *r = mm + 4 * c;
      float32x4_t a = vfmaq_f32(vfmaq_f32(vfmaq_f32(r[3], r[2], v), r[1], u), r[0], y);
      a = vminq_f32(vmaxq_f32(a, zero), top);
      o[c] = vfmaq_f32(h[c], a, s[c]);
    }
    put(dst, chan_stride, nhwc, x, o[0], o[1], o[2]);
  }
  if (x < n) {
    const float *rest[3] = {comp[0] + x, comp[1] + x, comp[2] + x};
    effnet_store_yuv_scalar(rest, n - x, m, scale, shift, dst + (nhwc ? 3 * x : x), chan_stride, nhwc);
  }
}
