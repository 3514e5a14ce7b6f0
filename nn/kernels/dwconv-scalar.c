/* dwconv-scalar.c — depthwise convolution in portable C, straight from the
 * definition (kernels.h has the contract). */
#include "kernels.h"

void effnet_dwconv_scalar(const DwconvArgs *a, const float *const *in_rows, float *out, float *pool) {
  const int c = a->c, k = a->k, s = a->stride, cpad = (c + 15) / 16 * 16;
  for (int x = 0; x < a->out_w; x++) {
    float *o = out + (ptrdiff_t)x * c;
    for (int ch = 0; ch < c; ch++) {
      float acc = a->bias[ch];
      for (int ky = 0; ky < k; ky++) {
        const float *in = in_rows[ky] + (ptrdiff_t)x * s * c + ch;
        for (int kx = 0; kx < k; kx++) acc += in[(ptrdiff_t)kx * c] * a->w[(ky * k + kx) * cpad + ch];
      }
      float v = effnet_act_ref(acc, a->act);
      o[ch] = v;
      if (pool) pool[ch] += v;
    }
  }
}
