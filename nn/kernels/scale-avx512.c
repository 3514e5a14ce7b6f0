/* scale-avx512.c — the squeeze-excitation gate, 16 lanes at a time. */
#include <immintrin.h>

#include "kernels.h"
#include "vmath-avx512.h"

void effnet_scale_panels_avx512(const float *b, const float *gate, int K, size_t r0, size_t r1, float *out) {
  size_t k = r0 % (size_t)K;
  for (size_t r = r0; r < r1; r++) {
    _mm512_store_ps(out + r * GEMM_NR, _mm512_mul_ps(_mm512_load_ps(b + r * GEMM_NR), _mm512_set1_ps(gate[k])));
    if (++k == (size_t)K) k = 0;
  }
}

void effnet_scale_channels_avx512(float *x, const float *gate, int C, size_t p0, size_t p1) {
  for (size_t p = p0; p < p1; p++) {
    float *row = x + p * C;
    for (int c = 0; c < C; c += 16) {
      __mmask16 m = v16_mask(C - c);
      __m512 v = _mm512_mul_ps(_mm512_maskz_loadu_ps(m, row + c), _mm512_maskz_loadu_ps(m, gate + c));
      _mm512_mask_storeu_ps(row + c, m, v);
    }
  }
}
