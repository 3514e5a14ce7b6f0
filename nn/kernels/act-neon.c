/* act-neon.c — activations over a float array, 4 lanes at a time (AArch64 NEON). */
#include <arm_neon.h>

#include "kernels.h"
#include "vmath-neon.h"

void effnet_vact_neon(const float *x, float *y, size_t n, Activation act) {
  size_t i = 0;
  for (; i + 4 <= n; i += 4) vst1q_f32(y + i, v4_act(vld1q_f32(x + i), act));
  if (i < n) v4_store_n(y + i, v4_act(v4_load_n(x + i, (int)(n - i)), act), (int)(n - i));
}
