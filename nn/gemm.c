/* gemm.c — tiling and packing around the ISA micro-kernels.
 *
 * NHWC activations are the A matrix as they lie, so the
 * micro-kernel reads them in place; only strided views and the stem's
 * im2col are gathered into a dense per-thread block first. */
#include "gemm.h"

#include <string.h>

#include "gemm-blas.h"

#include "threads.h"

enum { kL2Budget = 256 * 1024 };

/* Pixel index -> (image, y, x), advanced one pixel at a time. */
typedef struct {
  int n, y, x;
} Pos;

static Pos pos_of(int i, int h, int w) {
  Pos p;
  p.n = i / (h * w);
  i -= p.n * h * w;
  p.y = i / w;
  p.x = i - p.y * w;
  return p;
}

static void pos_next(Pos *p, int h, int w) {
  if (++p->x == w) {
    p->x = 0;
    if (++p->y == h) {
      p->y = 0;
      p->n++;
    }
  }
}

static float *view_at(const View *v, Pos p) { return v->data + p.n * v->img + p.y * v->row + (ptrdiff_t)p.x * v->c; }

/* Rows of a strided view, copied to a dense [mr][K] block. */
static void gather_rows(const GemmJob *job, int K, int i0, int mr, float *rows) {
  const View *c = job->c;
  Pos p = pos_of(i0, c->h, c->w);
  for (int i = 0; i < mr; i++, pos_next(&p, c->h, c->w))
    memcpy(rows + (size_t)i * K, view_at(job->a, p), (size_t)K * sizeof(float));
}

/* Stem: row = output pixel, columns = its 3x3 window: three runs of 3 pixels
 * x 3 channels, contiguous in the bordered NHWC input. */
static void gather_im2col(const GemmJob *job, int i0, int mr, float *rows) {
  const View *c = job->c, *src = job->src;
  const int s = job->stride;
  Pos p = pos_of(i0, c->h, c->w);
  for (int i = 0; i < mr; i++, pos_next(&p, c->h, c->w)) {
    const float *win = src->data + p.n * src->img + (ptrdiff_t)(p.y * s - job->pad_t) * src->row +
                       (ptrdiff_t)(p.x * s - job->pad_l) * 3;
    for (int ky = 0; ky < 3; ky++) memcpy(rows + (size_t)i * 27 + ky * 9, win + ky * src->row, 9 * sizeof(float));
  }
}

static int view_is_dense(const View *v) {
  return v->row == (ptrdiff_t)v->w * v->c && v->img == (ptrdiff_t)v->h * v->row;
}

/* The work of a job is a list of micro-kernel calls ("items"), ordered
 * chunk by chunk (a chunk = the panels that fit in L2 together), then by row
 * tile, then by panel group (nv panels) within the chunk. Each thread takes
 * one contiguous, equal share of the list: balanced to one call, and within
 * its share a row tile is reused from L1 across the chunk's panel groups
 * while the chunk's panels stay in L2. */
typedef struct {
  const Kernels *kern;
  const GemmJob *job;
  int M, m_tiles, panels, chunk, gpc; /* gpc: panel groups per full chunk */
  int full_chunks, last_groups;       /* the last, partial chunk's groups */
  int dense;
  float *rows;
} Plan;

static Plan plan_job(const Kernels *kern, const GemmJob *job, float *rows) {
  Plan p;
  const int nv = kern->nv, K = job->w->K;
  p.kern = kern;
  p.job = job;
  p.rows = rows;
  p.M = job->n * job->c->h * job->c->w;
  p.m_tiles = (p.M + kern->mr - 1) / kern->mr;
  p.panels = (job->w->N + GEMM_NR - 1) / GEMM_NR;
  int fit = kL2Budget / (K * GEMM_NR * (int)sizeof(float)) / nv * nv;
  p.chunk = fit < nv ? nv : fit > p.panels ? p.panels : fit;
  p.gpc = (p.chunk + nv - 1) / nv;
  p.full_chunks = p.panels / p.chunk;
  p.last_groups = (p.panels % p.chunk + nv - 1) / nv;
  p.dense = job->a && view_is_dense(job->a);
  return p;
}

static long long plan_items(const Plan *p) {
  return (long long)p->m_tiles * (p->full_chunks * p->gpc + p->last_groups);
}

/* Run items [u0, u1): walk them a (chunk, row tile) at a time, and give the
 * micro-kernel all of that tile's groups inside the range in one call. */
static void run_items(const Plan *p, long long u0, long long u1) {
  const GemmJob *job = p->job;
  const PackedGemm *w = job->w;
  const View *c = job->c;
  const int MR = p->kern->mr, K = w->K, N = w->N, nv = p->kern->nv;
  const size_t panel_stride = (size_t)K * GEMM_NR;
  const long long full_items = (long long)p->full_chunks * p->m_tiles * p->gpc;
  float *c_rows[GEMM_MR_MAX];
  const float *r_rows[GEMM_MR_MAX];
  long long u = u0;
  while (u < u1) {
    /* locate u: chunk, row tile mt, group g; the tile's items are [u - g, u - g + groups) */
    int chunk, groups;
    long long r;
    if (u < full_items) {
      groups = p->gpc;
      chunk = (int)(u / ((long long)p->m_tiles * groups));
      r = u - (long long)chunk * p->m_tiles * groups;
    } else {
      groups = p->last_groups;
      chunk = p->full_chunks;
      r = u - full_items;
    }
    int mt = (int)(r / groups), g0 = (int)(r - (long long)mt * groups);
    int g1 = u1 - u < groups - g0 ? g0 + (int)(u1 - u) : groups;
    u += g1 - g0;

    int i0 = mt * MR, mr = p->M - i0 < MR ? p->M - i0 : MR;
    const float *a;
    if (p->dense) {
      a = job->a->data + (size_t)i0 * K;
    } else {
      if (job->a) gather_rows(job, K, i0, mr, p->rows);
      else gather_im2col(job, i0, mr, p->rows);
      a = p->rows;
    }
    int p0 = chunk * p->chunk + g0 * nv;
    int p_end = chunk * p->chunk + g1 * nv;
    if (p_end > (chunk + 1) * p->chunk) p_end = (chunk + 1) * p->chunk;
    if (p_end > p->panels) p_end = p->panels;
    int col = p0 * GEMM_NR, ncols = N - col < (p_end - p0) * GEMM_NR ? N - col : (p_end - p0) * GEMM_NR;
    Pos pos = pos_of(i0, c->h, c->w);
    for (int i = 0; i < mr; i++, pos_next(&pos, c->h, c->w)) {
      c_rows[i] = view_at(c, pos) + col;
      r_rows[i] = job->res ? view_at(job->res, pos) + col : NULL;
    }
    p->kern->gemm(K, a, K, w->b + (size_t)p0 * panel_stride, panel_stride, p_end - p0, mr, ncols, c_rows, w->bias + col,
                  job->act, job->res ? r_rows : NULL);
  }
}

void gemm_job_share(const Kernels *kern, const GemmJob *job, float *rows, int ith, int nth) {
#ifdef EFFNET_HAVE_OPENBLAS
  if (job->w->plain) { /* the layer runs on OpenBLAS (gemm-blas.h) */
    gemm_job_share_blas(kern, job, ith, nth);
    return;
  }
#endif
  Plan p = plan_job(kern, job, rows);
  long long u0, u1;
  effnet_share(plan_items(&p), ith, nth, &u0, &u1);
  run_items(&p, u0, u1);
}
