/* pixel-avx512.c — the per-pixel steps of the frame path, AVX-512: bytes to
 * floats, YUV to RGB + normalization + the store (planar, or interleaved for
 * the network's NHWC input by two-source permutes). Tails are masked. */
#include <immintrin.h>

#include "kernels.h"

void effnet_unpack_u8_avx512(const uint8_t *src, size_t n, float *dst) {
  size_t i = 0;
  for (; i + 64 <= n; i += 64)
    for (int k = 0; k < 4; k++) {
      __m128i b = _mm_loadu_si128((const __m128i *)(src + i + 16 * k));
      _mm512_storeu_ps(dst + i + 16 * k, _mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(b)));
    }
  for (; i < n; i += 16) {
    __mmask16 m = n - i >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << (n - i)) - 1);
    __m128i b = _mm_maskz_loadu_epi8(m, src + i);
    _mm512_mask_storeu_ps(dst + i, m, _mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(b)));
  }
}

/* 16 pixels of three channels interleaved into 48 floats: value q = 16k + e
 * of output vector k is pixel q / 3, channel q % 3. A first permute takes
 * red and green from both sources, a second puts blue in its places. */
static inline void store3(float *dst, __m512 r, __m512 g, __m512 b, int n) {
  static const int32_t rg[3][16] = {{0, 16, 0, 1, 17, 0, 2, 18, 0, 3, 19, 0, 4, 20, 0, 5},
                                    {21, 0, 6, 22, 0, 7, 23, 0, 8, 24, 0, 9, 25, 0, 10, 26},
                                    {0, 11, 27, 0, 12, 28, 0, 13, 29, 0, 14, 30, 0, 15, 31, 0}};
  static const int32_t tb[3][16] = {{0, 1, 16, 3, 4, 17, 6, 7, 18, 9, 10, 19, 12, 13, 20, 15},
                                    {0, 21, 2, 3, 22, 5, 6, 23, 8, 9, 24, 11, 12, 25, 14, 15},
                                    {26, 1, 2, 27, 4, 5, 28, 7, 8, 29, 10, 11, 30, 13, 14, 31}};
  int left = 3 * n;
  for (int k = 0; k < 3 && left > 0; k++, left -= 16) {
    __m512 t = _mm512_permutex2var_ps(r, _mm512_loadu_si512(rg[k]), g);
    __m512 o = _mm512_permutex2var_ps(t, _mm512_loadu_si512(tb[k]), b);
    __mmask16 m = left >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << left) - 1);
    _mm512_mask_storeu_ps(dst + 16 * k, m, o);
  }
}

static inline void put(float *dst, ptrdiff_t chan_stride, int nhwc, int x, int n, __m512 r, __m512 g, __m512 b) {
  if (nhwc) {
    store3(dst + 3 * x, r, g, b, n);
  } else {
    __mmask16 m = n >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << n) - 1);
    _mm512_mask_storeu_ps(dst + x, m, r);
    _mm512_mask_storeu_ps(dst + chan_stride + x, m, g);
    _mm512_mask_storeu_ps(dst + 2 * chan_stride + x, m, b);
  }
}

static inline __m512 load(const float *p, int n) {
  return n >= 16 ? _mm512_loadu_ps(p) : _mm512_maskz_loadu_ps((__mmask16)((1u << n) - 1), p);
}

void effnet_store_rgb_avx512(const float *const *comp, int n, const float *scale, const float *shift, float *dst,
                             ptrdiff_t chan_stride, int nhwc) {
  __m512 s[3], h[3];
  for (int c = 0; c < 3; c++) {
    s[c] = _mm512_set1_ps(scale[c]);
    h[c] = _mm512_set1_ps(shift[c]);
  }
  for (int x = 0; x < n; x += 16) {
    int k = n - x;
    put(dst, chan_stride, nhwc, x, k, _mm512_fmadd_ps(load(comp[0] + x, k), s[0], h[0]),
        _mm512_fmadd_ps(load(comp[1] + x, k), s[1], h[1]), _mm512_fmadd_ps(load(comp[2] + x, k), s[2], h[2]));
  }
}

void effnet_store_yuv_avx512(const float *const *comp, int n, const float *m, const float *scale, const float *shift,
                             float *dst, ptrdiff_t chan_stride, int nhwc) {
  const __m512 zero = _mm512_setzero_ps(), top = _mm512_set1_ps(255.0f);
  __m512 mm[12], s[3], h[3];
  for (int i = 0; i < 12; i++) mm[i] = _mm512_set1_ps(m[i]);
  for (int c = 0; c < 3; c++) {
    s[c] = _mm512_set1_ps(scale[c]);
    h[c] = _mm512_set1_ps(shift[c]);
  }
  for (int x = 0; x < n; x += 16) {
    int k = n - x;
    __m512 y = load(comp[0] + x, k), u = load(comp[1] + x, k), v = load(comp[2] + x, k);
    __m512 o[3];
    for (int c = 0; c < 3; c++) {
      const __m512 *r = mm + 4 * c;
      __m512 a = _mm512_fmadd_ps(r[0], y, _mm512_fmadd_ps(r[1], u, _mm512_fmadd_ps(r[2], v, r[3])));
      o[c] = _mm512_fmadd_ps(_mm512_min_ps(_mm512_max_ps(a, zero), top), s[c], h[c]);
    }
    put(dst, chan_stride, nhwc, x, k, o[0], o[1], o[2]);
  }
}
