/* pixel-avx2.c — the per-pixel steps of the frame path, AVX2 + FMA: bytes to
 * floats, and YUV to RGB + normalization + the store (planar, or three
 * channels interleaved by permutes for the network's NHWC input). */
#include <immintrin.h>

#include "kernels.h"

void effnet_unpack_u8_avx2(const uint8_t *src, size_t n, float *dst) {
  size_t i = 0;
  for (; i + 32 <= n; i += 32) {
    for (int k = 0; k < 4; k++) {
      __m128i b = _mm_loadl_epi64((const __m128i *)(src + i + 8 * k));
      _mm256_storeu_ps(dst + i + 8 * k, _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(b)));
    }
  }
  for (; i + 8 <= n; i += 8)
    _mm256_storeu_ps(dst + i, _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i *)(src + i)))));
  for (; i < n; i++) dst[i] = (float)src[i];
}

/* Eight pixels of three channels, interleaved: output vector k, element e is
 * value (8k + e) = pixel (8k + e) / 3, channel (8k + e) % 3. */
static inline void store3(float *dst, __m256 r, __m256 g, __m256 b) {
  const __m256i i0 = _mm256_setr_epi32(0, 0, 0, 1, 1, 1, 2, 2);
  const __m256i i1 = _mm256_setr_epi32(2, 3, 3, 3, 4, 4, 4, 5);
  const __m256i i2 = _mm256_setr_epi32(5, 5, 6, 6, 6, 7, 7, 7);
  /* blend masks: bit e set where the element is green (first) / blue (second) */
  __m256 o0 = _mm256_blend_ps(_mm256_blend_ps(_mm256_permutevar8x32_ps(r, i0), _mm256_permutevar8x32_ps(g, i0), 0x92),
                              _mm256_permutevar8x32_ps(b, i0), 0x24);
  __m256 o1 = _mm256_blend_ps(_mm256_blend_ps(_mm256_permutevar8x32_ps(r, i1), _mm256_permutevar8x32_ps(g, i1), 0x24),
                              _mm256_permutevar8x32_ps(b, i1), 0x49);
  __m256 o2 = _mm256_blend_ps(_mm256_blend_ps(_mm256_permutevar8x32_ps(r, i2), _mm256_permutevar8x32_ps(g, i2), 0x49),
                              _mm256_permutevar8x32_ps(b, i2), 0x92);
  _mm256_storeu_ps(dst, o0);
  _mm256_storeu_ps(dst + 8, o1);
  _mm256_storeu_ps(dst + 16, o2);
}

static inline void put(float *dst, ptrdiff_t chan_stride, int nhwc, int x, __m256 r, __m256 g, __m256 b) {
  if (nhwc) {
    store3(dst + 3 * x, r, g, b);
  } else {
    _mm256_storeu_ps(dst + x, r);
    _mm256_storeu_ps(dst + chan_stride + x, g);
    _mm256_storeu_ps(dst + 2 * chan_stride + x, b);
  }
}

void effnet_store_rgb_avx2(const float *const *comp, int n, const float *scale, const float *shift, float *dst,
                           ptrdiff_t chan_stride, int nhwc) {
  const __m256 s0 = _mm256_set1_ps(scale[0]), s1 = _mm256_set1_ps(scale[1]), s2 = _mm256_set1_ps(scale[2]);
  const __m256 h0 = _mm256_set1_ps(shift[0]), h1 = _mm256_set1_ps(shift[1]), h2 = _mm256_set1_ps(shift[2]);
  int x = 0;
  for (; x + 8 <= n; x += 8)
    put(dst, chan_stride, nhwc, x, _mm256_fmadd_ps(_mm256_loadu_ps(comp[0] + x), s0, h0),
        _mm256_fmadd_ps(_mm256_loadu_ps(comp[1] + x), s1, h1), _mm256_fmadd_ps(_mm256_loadu_ps(comp[2] + x), s2, h2));
  if (x < n) {
    const float *rest[3] = {comp[0] + x, comp[1] + x, comp[2] + x};
    effnet_store_rgb_scalar(rest, n - x, scale, shift, dst + (nhwc ? 3 * x : x), chan_stride, nhwc);
  }
}

void effnet_store_yuv_avx2(const float *const *comp, int n, const float *m, const float *scale, const float *shift,
                           float *dst, ptrdiff_t chan_stride, int nhwc) {
  const __m256 zero = _mm256_setzero_ps(), top = _mm256_set1_ps(255.0f);
  __m256 mm[12], s[3], h[3];
  for (int i = 0; i < 12; i++) mm[i] = _mm256_set1_ps(m[i]);
  for (int c = 0; c < 3; c++) {
    s[c] = _mm256_set1_ps(scale[c]);
    h[c] = _mm256_set1_ps(shift[c]);
  }
  int x = 0;
  for (; x + 8 <= n; x += 8) {
    __m256 y = _mm256_loadu_ps(comp[0] + x), u = _mm256_loadu_ps(comp[1] + x), v = _mm256_loadu_ps(comp[2] + x);
    __m256 o[3];
    for (int c = 0; c < 3; c++) {
      const __m256 *r = mm + 4 * c;
      __m256 a = _mm256_fmadd_ps(r[0], y, _mm256_fmadd_ps(r[1], u, _mm256_fmadd_ps(r[2], v, r[3])));
      a = _mm256_min_ps(_mm256_max_ps(a, zero), top);
      o[c] = _mm256_fmadd_ps(a, s[c], h[c]);
    }
    put(dst, chan_stride, nhwc, x, o[0], o[1], o[2]);
  }
  if (x < n) {
    const float *rest[3] = {comp[0] + x, comp[1] + x, comp[2] + x};
    effnet_store_yuv_scalar(rest, n - x, m, scale, shift, dst + (nhwc ? 3 * x : x), chan_stride, nhwc);
  }
}
