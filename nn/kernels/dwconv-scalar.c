/* dwconv-scalar.c — depthwise convolution in portable C, straight from the
 * definition (kernels.h has the contract). */
#include "kernels.h"

void effnet_dwconv_scalar(const DwconvArgs *a, int y0, int y1, float *pool) {
  int c = a->c, k = a->k, s = a->stride;
  int cpad = (c + 15) / 16 * 16;
  for (int y = y0; y < y1; y++) {
    for (int x = 0; x < a->out_w; x++) {
      float *o = a->out + y * a->out_row + (ptrdiff_t)x * c;
      for (int ch = 0; ch < c; ch++) {
        float acc = a->bias[ch];
        for (int ky = 0; ky < k; ky++) {
          const float *in = a->in + (ptrdiff_t)(y * s + ky) * a->in_row + (ptrdiff_t)x * s * c + ch;
          for (int kx = 0; kx < k; kx++) acc += in[(ptrdiff_t)kx * c] * a->w[(ky * k + kx) * cpad + ch];
        }
        float v = effnet_act_ref(acc, a->act);
        o[ch] = v;
        if (pool) pool[ch] += v;
      }
    }
  }
}
