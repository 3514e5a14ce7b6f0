/* scale-neon.c — the squeeze-excitation gate, 4 lanes at a time (AArch64 NEON). */
#include <arm_neon.h>

#include "kernels.h"

void effnet_scale_panels_neon(const float *b, const float *gate, int K, size_t r0, size_t r1, float *out) {
  size_t k = r0 % (size_t)K;
  for (size_t r = r0; r < r1; r++) {
    float32x4_t g = vdupq_n_f32(gate[k]);
    const float *br = b + r * GEMM_NR;
    float *o = out + r * GEMM_NR;
    vst1q_f32(o, vmulq_f32(vld1q_f32(br), g));
    vst1q_f32(o + 4, vmulq_f32(vld1q_f32(br + 4), g));
    vst1q_f32(o + 8, vmulq_f32(vld1q_f32(br + 8), g));
    vst1q_f32(o + 12, vmulq_f32(vld1q_f32(br + 12), g));
    if (++k == (size_t)K) k = 0;
  }
}

void effnet_scale_channels_neon(float *x, const float *gate, int C, size_t p0, size_t p1) {
  for (size_t p = p0; p < p1; p++) {
    float *row = x + p * C;
    int c = 0;
    for (; c + 4 <= C; c += 4) vst1q_f32(row + c, vmulq_f32(vld1q_f32(row + c), vld1q_f32(gate + c)));
    for (; c < C; c++) row[c] *= gate[c];
  }
}
