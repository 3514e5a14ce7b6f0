/* act-avx2.c — activations over a float array, 8 lanes at a time. */
#include <immintrin.h>

#include "kernels.h"
#include "vmath-avx2.h"

void effnet_vact_avx2(const float *x, float *y, size_t n, Activation act) {
  size_t i = 0;
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, v8_act(_mm256_loadu_ps(x + i), act));
  if (i < n) {
    __m256i m = v8_mask((int)(n - i));
    _mm256_maskstore_ps(y + i, m, v8_act(_mm256_maskload_ps(x + i, m), act));
  }
}
