/* gemm.h — the GEMM driver behind every 1x1 convolution, the stem, the
 * squeeze-excitation layers and the classifier: tiling, and each thread's
 * share of a job's micro-kernel calls. A is read in place when the
 * activation view is dense; strided views and the stem's im2col are
 * gathered row by row into a small per-thread buffer. */
#ifndef EFFNET_GEMM_H
#define EFFNET_GEMM_H

#include "model.h"

/* An NHWC activation tensor: pixel (n, y, x) starts at
 * data + n*img + y*row + x*c. Padded tensors point data at the interior. */
typedef struct {
  float *data;
  int h, w, c;
  ptrdiff_t row, img;
} View;

/* C = act(A * W + bias) (+ res), M = n*h*w rows (pixels), over n images. */
typedef struct {
  int n;
  const View *a; /* A rows: pixels of a, K = a->c channels; NULL with im2col */
  /* stem (a == NULL): A = im2col of a 3x3 window with this stride over src,
   * n images of 3 channels NHWC with zero borders pad_t/pad_l (and enough
   * after); column k = (ky*3 + kx)*3 + channel */
  const View *src;
  int stride, pad_t, pad_l;
  const PackedGemm *w;
  Activation act;
  const View *c;   /* output, c->h x c->w pixels, w->N channels */
  const View *res; /* optional residual, same shape as c */
} GemmJob;

/* Thread ith of nth's share of the job (an op, nn/threads.h): a contiguous
 * run of its micro-kernel calls; no barrier, so the caller waits before
 * reading c. (ith, nth) = (0, 1) runs the whole job on the calling thread.
 * rows: this thread's buffer of kern->mr * K floats. Weights held plain
 * (job->w->plain) run on OpenBLAS instead (gemm-blas.h). */
void gemm_job_share(const Kernels *kern, const GemmJob *job, float *rows, int ith, int nth);

#endif
