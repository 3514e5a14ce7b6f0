/* scale-avx2.c — the squeeze-excitation gate, 8 lanes at a time. */
#include <immintrin.h>

#include "kernels.h"
#include "vmath-avx2.h"

void effnet_scale_panels_avx2(const float *b, const float *gate, int K, size_t r0, size_t r1, float *out) {
  size_t k = r0 % (size_t)K;
  for (size_t r = r0; r < r1; r++) {
    __m256 g = _mm256_set1_ps(gate[k]);
    _mm256_store_ps(out + r * GEMM_NR, _mm256_mul_ps(_mm256_load_ps(b + r * GEMM_NR), g));
    _mm256_store_ps(out + r * GEMM_NR + 8, _mm256_mul_ps(_mm256_load_ps(b + r * GEMM_NR + 8), g));
    if (++k == (size_t)K) k = 0;
  }
}

void effnet_scale_channels_avx2(float *x, const float *gate, int C, size_t p0, size_t p1) {
  for (size_t p = p0; p < p1; p++) {
    float *row = x + p * C;
    int c = 0;
    for (; c + 8 <= C; c += 8)
      _mm256_storeu_ps(row + c, _mm256_mul_ps(_mm256_loadu_ps(row + c), _mm256_loadu_ps(gate + c)));
    for (; c < C; c++) row[c] *= gate[c];
  }
}
