/* act-scalar.c — activations in portable C, and the scalar reference every
 * SIMD path is tested against. */
#include "kernels.h"

#include <math.h>

float effnet_act_ref(float x, Activation act) {
  switch (act) {
    case ACT_SILU: return x / (1.0f + expf(-x));
    case ACT_SIGMOID: return 1.0f / (1.0f + expf(-x));
    default: return x;
  }
}

void effnet_vact_scalar(const float *x, float *y, size_t n, Activation act) {
  for (size_t i = 0; i < n; i++) y[i] = effnet_act_ref(x[i], act);
}
