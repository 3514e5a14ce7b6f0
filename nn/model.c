/* model.c — geometry planning and the packed-weight containers. */
#include "model.h"

#include <stdlib.h>
#include <string.h>

void model_conv_padding(EffnetPadding mode, int n, int k, int s, int *before, int *after, int *out) {
  if (mode == EFFNET_PAD_SAME) {
    /* TensorFlow SAME: output ceil(n/s); the odd pixel of padding goes after. */
    int o = (n + s - 1) / s;
    int total = (o - 1) * s + k - n;
    if (total < 0) total = 0;
    *before = total / 2;
    *after = total - *before;
    *out = o;
  } else {
    int p = (k - 1) / 2;
    *before = *after = p;
    *out = (n + 2 * p - k) / s + 1;
  }
}

void model_plan_geometry(EffnetModel *m) {
  EffnetPadding mode = m->info.padding;
  model_conv_padding(mode, m->input_size, 3, 2, &m->stem_pad_t, &m->stem_pad_b, &m->stem_out);
  m->stem_pad_l = m->stem_pad_t;
  m->stem_pad_r = m->stem_pad_b;
  int size = m->stem_out;
  for (int i = 0; i < m->arch.num_blocks; i++) {
    Block *b = &m->blocks[i];
    BlockGeom *g = &b->geom;
    g->in_size = size;
    model_conv_padding(mode, size, b->spec.kernel, b->spec.stride, &g->pad_t, &g->pad_b, &g->out_size);
    g->pad_l = g->pad_t;
    g->pad_r = g->pad_b;
    size = g->out_size;
  }
  m->head_size = size;
}

float *model_alloc_floats(size_t n) {
  size_t bytes = (n * sizeof(float) + 63) / 64 * 64;
  if (bytes == 0) bytes = 64;
  float *p = aligned_alloc(64, bytes);
  if (p) memset(p, 0, bytes);
  return p;
}

int packed_gemm_alloc(PackedGemm *g, int K, int N) {
  int panels = (N + GEMM_NR - 1) / GEMM_NR;
  g->K = K;
  g->N = N;
  g->b = model_alloc_floats((size_t)panels * K * GEMM_NR);
  g->bias = model_alloc_floats((size_t)panels * GEMM_NR);
  g->plain = NULL;
  return g->b && g->bias ? 0 : -1;
}

void packed_gemm_free(PackedGemm *g) {
  free(g->b);
  free(g->bias);
  free(g->plain);
  g->b = g->bias = g->plain = NULL;
}

void packed_gemm_set_column(PackedGemm *g, int n, const float *w, ptrdiff_t k_stride, float scale) {
  float *panel = g->b + (size_t)(n / GEMM_NR) * g->K * GEMM_NR + n % GEMM_NR;
  for (int k = 0; k < g->K; k++) panel[(size_t)k * GEMM_NR] = w[k * k_stride] * scale;
}
