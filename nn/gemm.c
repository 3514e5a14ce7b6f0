/* gemm.c — tiling and packing around the ISA micro-kernels.
 *
 * Work is split into tasks of (MR rows) x (a chunk of 16-column panels). A
 * chunk of B is sized to stay in L2 while a thread walks its row tiles, and
 * chunks shrink when there are too few row tiles to keep every thread busy
 * (the 7x7 layers). NHWC activations are the A matrix as they lie, so the
 * micro-kernel reads them in place; only strided views and the stem's
 * im2col are gathered into a dense per-thread block first. */
#include "gemm.h"

#include <omp.h>
#include <string.h>

enum { kL2Budget = 256 * 1024 };

/* Pixel index -> (image, y, x), advanced one pixel at a time. */
typedef struct { int n, y, x; } Pos;

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
    if (++p->y == h) { p->y = 0; p->n++; }
  }
}

static float *view_at(const View *v, Pos p) {
  return v->data + p.n * v->img + p.y * v->row + (ptrdiff_t)p.x * v->c;
}

/* Rows of a strided view, copied to a dense [mr][K] block. */
static void gather_rows(const GemmJob *job, int K, int i0, int mr, float *rows) {
  const View *c = job->c;
  Pos p = pos_of(i0, c->h, c->w);
  for (int i = 0; i < mr; i++, pos_next(&p, c->h, c->w))
    memcpy(rows + (size_t)i * K, view_at(job->a, p), (size_t)K * sizeof(float));
}

/* Stem: row = output pixel, column k = (channel, ky, kx) of a 3x3 window. */
static void gather_im2col(const GemmJob *job, int i0, int mr, float *rows) {
  const View *c = job->c;
  const int S = job->src_size;
  Pos p = pos_of(i0, c->h, c->w);
  for (int i = 0; i < mr; i++, pos_next(&p, c->h, c->w)) {
    float *r = rows + (size_t)i * 27;
    for (int ch = 0; ch < 3; ch++) {
      const float *plane = job->src + ((size_t)p.n * 3 + ch) * S * S;
      for (int ky = 0; ky < 3; ky++) {
        int yy = p.y * job->stride + ky - job->pad_t;
        for (int kx = 0; kx < 3; kx++) {
          int xx = p.x * job->stride + kx - job->pad_l;
          int inside = yy >= 0 && yy < S && xx >= 0 && xx < S;
          r[ch * 9 + ky * 3 + kx] = inside ? plane[(size_t)yy * S + xx] : 0.0f;
        }
      }
    }
  }
}

/* Panels per task chunk: fits L2, multiple of nv, small enough to give every
 * thread several tasks. */
static int chunk_panels(int K, int panels, int nv, int m_tiles, int threads) {
  int fit = kL2Budget / (K * GEMM_NR * (int)sizeof(float));
  int chunk = fit / nv * nv;
  if (chunk < nv) chunk = nv;
  if (chunk > panels) chunk = panels;
  while (chunk > nv && m_tiles * ((panels + chunk - 1) / chunk) < 4 * threads) {
    int smaller = (chunk / 2) / nv * nv;
    chunk = smaller < nv ? nv : smaller;
  }
  return chunk;
}

static int view_is_dense(const View *v) {
  return v->row == (ptrdiff_t)v->w * v->c && v->img == (ptrdiff_t)v->h * v->row;
}

/* Task t of a job: MR rows x one chunk of panels. */
typedef struct {
  const Kernels *kern;
  const GemmJob *job;
  int M, m_tiles, panels, chunk, dense;
  float *rows;
} Plan;

static Plan plan_job(const Kernels *kern, const GemmJob *job, float *rows, int threads) {
  Plan p;
  p.kern = kern;
  p.job = job;
  p.rows = rows;
  p.M = job->n * job->c->h * job->c->w;
  p.m_tiles = (p.M + kern->mr - 1) / kern->mr;
  p.panels = (job->w->N + GEMM_NR - 1) / GEMM_NR;
  p.chunk = chunk_panels(job->w->K, p.panels, kern->nv, p.m_tiles, threads);
  p.dense = job->a && view_is_dense(job->a);
  return p;
}

static int plan_tasks(const Plan *p) { return p->m_tiles * ((p->panels + p->chunk - 1) / p->chunk); }

static void run_task(const Plan *p, int t) {
  const GemmJob *job = p->job;
  const PackedGemm *w = job->w;
  const View *c = job->c;
  const int MR = p->kern->mr, K = w->K, N = w->N;
  const size_t panel_stride = (size_t)K * GEMM_NR;
  float *c_rows[GEMM_MR_MAX];
  const float *r_rows[GEMM_MR_MAX];
  int nc = t / p->m_tiles, mt = t - nc * p->m_tiles;
  int i0 = mt * MR, mr = p->M - i0 < MR ? p->M - i0 : MR;
  const float *a;
  if (p->dense) {
    a = job->a->data + (size_t)i0 * K;
  } else {
    if (job->a) gather_rows(job, K, i0, mr, p->rows);
    else gather_im2col(job, i0, mr, p->rows);
    a = p->rows;
  }
  int p0 = nc * p->chunk, p1 = p0 + p->chunk < p->panels ? p0 + p->chunk : p->panels;
  int col = p0 * GEMM_NR;
  Pos pos = pos_of(i0, c->h, c->w);
  for (int i = 0; i < mr; i++, pos_next(&pos, c->h, c->w)) {
    c_rows[i] = view_at(c, pos) + col;
    r_rows[i] = job->res ? view_at(job->res, pos) + col : NULL;
  }
  int ncols = N - col < (p1 - p0) * GEMM_NR ? N - col : (p1 - p0) * GEMM_NR;
  p->kern->gemm(K, a, K, w->b + (size_t)p0 * panel_stride, panel_stride, p1 - p0, mr, ncols, c_rows,
                w->bias + col, job->act, job->res ? r_rows : NULL);
}

void gemm_job_run(const Kernels *kern, const GemmJob *job, float *rows) {
  Plan p = plan_job(kern, job, rows, omp_get_num_threads());
  const int tasks = plan_tasks(&p);
#pragma omp for schedule(static)
  for (int t = 0; t < tasks; t++) run_task(&p, t);
}

void gemm_job_run_serial(const Kernels *kern, const GemmJob *job, float *rows) {
  Plan p = plan_job(kern, job, rows, 1);
  const int tasks = plan_tasks(&p);
  for (int t = 0; t < tasks; t++) run_task(&p, t);
}
