/* model.h — what a loaded model holds: the architecture, BatchNorm-folded
 * weights packed for the kernels, and the geometry planned for its input size.
 * Shared by loader.c (fills it), model.c (plans its geometry), forward.c
 * (plans the workspace and runs it) and prep.c (the frame path's plan). */
#ifndef EFFNET_MODEL_H
#define EFFNET_MODEL_H

#include <stddef.h>

#include "arch.h"
#include "effnet.h"
#include "kernels/kernels.h"

/* A 1x1 convolution / linear layer as GEMM weights: B[K][N] in panels of 16
 * columns (see kernels.h) and a bias padded to whole panels. A layer on the
 * OpenBLAS backend holds B as a plain matrix instead (gemm-blas.h). */
typedef struct {
  int K, N;
  float *b;     /* ceil(N/16) * K * 16 floats, 64-byte aligned; NULL on OpenBLAS */
  float *bias;  /* ceil(N/16) * 16 floats */
  float *plain; /* row-major K x N for OpenBLAS, else NULL */
} PackedGemm;

/* Depthwise weights, tap-major: w[(ky*k + kx) * cpad + c]. */
typedef struct {
  int c, k;
  float *w;
  float *bias; /* cpad floats */
} DwWeights;

/* Geometry of one block at the planned input size. The depthwise input is
 * stored with zero borders (pad_t/l/b/r) so its kernel has no edge cases. */
typedef struct {
  int in_size, out_size;
  int pad_t, pad_l, pad_b, pad_r;
} BlockGeom;

typedef struct {
  BlockSpec spec;
  BlockGeom geom;
  PackedGemm expand; /* absent (K = 0) when spec.expand == 1 */
  DwWeights dw;
  PackedGemm se_reduce; /* exp_ch -> se_ch, bias, SiLU */
  PackedGemm se_expand; /* se_ch -> exp_ch, bias, sigmoid */
  PackedGemm project;   /* exp_ch -> out_ch, BN folded, no activation */
} Block;

struct EffnetModel {
  EffnetInfo info;
  ArchSpec arch;
  const Kernels *kern;
  int input_size;
  int stem_out; /* stem output size (input_size / 2, rounded up) */
  int stem_pad_t, stem_pad_l, stem_pad_b, stem_pad_r;
  PackedGemm stem; /* K = 27 = (ky, kx, c), N = stem channels */
  Block blocks[EFFNET_MAX_BLOCKS];
  int head_size;         /* spatial size at the head */
  PackedGemm head;       /* last stage -> head channels, SiLU */
  PackedGemm classifier; /* head -> classes, bias */
  char architecture[128];
  char interpolation[32];
};

/* Padding of a k x k, stride s convolution on an n-pixel side. */
void model_conv_padding(EffnetPadding mode, int n, int k, int s, int *before, int *after, int *out);
/* Work out every block's geometry for m->input_size and m->info.padding. */
void model_plan_geometry(EffnetModel *m);

/* Allocation helpers for packed weights (64-byte aligned, zeroed). */
float *model_alloc_floats(size_t n);
int packed_gemm_alloc(PackedGemm *g, int K, int N);
void packed_gemm_free(PackedGemm *g);
/* Set column n of B from w[k * k_stride] for every k. */
void packed_gemm_set_column(PackedGemm *g, int n, const float *w, ptrdiff_t k_stride, float scale);

#endif
