/* act-avx512.c — activations over a float array, 16 lanes at a time. */
#include <immintrin.h>

#include "kernels.h"
#include "vmath-avx512.h"

void effnet_vact_avx512(const float *x, float *y, size_t n, Activation act) {
  size_t i = 0;
  for (; i + 16 <= n; i += 16) _mm512_storeu_ps(y + i, v16_act(_mm512_loadu_ps(x + i), act));
  if (i < n) {
    __mmask16 m = v16_mask((int)(n - i));
    _mm512_mask_storeu_ps(y + i, m, v16_act(_mm512_maskz_loadu_ps(m, x + i), act));
  }
}
