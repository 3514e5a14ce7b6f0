/* gemm.c — tiling and packing around the ISA micro-kernels.
 *
 * Work is split into tasks of (MR rows) x (a chunk of 16-column panels). A
 * chunk of B is sized to stay in L2 while a thread walks its row tiles, and
 * chunks shrink when there are too few row tiles to keep every thread busy
 * (the 7x7 layers). Each task packs its MR rows of A k-major ([K][MR]); the
 * pack is where stride/padding of the source view, the SE channel scale and
 * the stem's im2col are absorbed, so the micro-kernel only sees dense data. */
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

static void pack_rows(const GemmJob *job, int MR, int K, int i0, int mr, float *pack) {
  const View *c = job->c;
  Pos p = pos_of(i0, c->h, c->w);
  for (int i = 0; i < mr; i++, pos_next(&p, c->h, c->w)) {
    const float *src = view_at(job->a, p);
    if (job->a_scale) {
      const float *s = job->a_scale + p.n * job->a_scale_stride;
      for (int k = 0; k < K; k++) pack[k * MR + i] = src[k] * s[k];
    } else {
      for (int k = 0; k < K; k++) pack[k * MR + i] = src[k];
    }
  }
  for (int i = mr; i < MR; i++)
    for (int k = 0; k < K; k++) pack[k * MR + i] = 0.0f;
}

/* Stem: row = output pixel, column k = (channel, ky, kx) of a 3x3 window. */
static void pack_im2col(const GemmJob *job, int MR, int i0, int mr, float *pack) {
  const View *c = job->c;
  const int S = job->src_size;
  Pos p = pos_of(i0, c->h, c->w);
  for (int i = 0; i < MR; i++) {
    for (int ch = 0; ch < 3; ch++) {
      const float *plane = job->src + ((size_t)p.n * 3 + ch) * S * S;
      for (int ky = 0; ky < 3; ky++) {
        int yy = p.y * job->stride + ky - job->pad_t;
        for (int kx = 0; kx < 3; kx++) {
          int xx = p.x * job->stride + kx - job->pad_l;
          int inside = i < mr && yy >= 0 && yy < S && xx >= 0 && xx < S;
          pack[(ch * 9 + ky * 3 + kx) * MR + i] = inside ? plane[(size_t)yy * S + xx] : 0.0f;
        }
      }
    }
    if (i < mr) pos_next(&p, c->h, c->w);
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

void gemm_job_run(const Kernels *kern, const GemmJob *job, float *pack) {
  const PackedGemm *w = job->w;
  const int MR = kern->mr, K = w->K, N = w->N, nv = kern->nv;
  const View *c = job->c;
  const int M = job->n * c->h * c->w;
  const int m_tiles = (M + MR - 1) / MR;
  const int panels = (N + GEMM_NR - 1) / GEMM_NR;
  const int chunk = chunk_panels(K, panels, nv, m_tiles, omp_get_num_threads());
  const int n_chunks = (panels + chunk - 1) / chunk;
  const size_t panel_stride = (size_t)K * GEMM_NR;
  float *c_rows[GEMM_MR_MAX], *crow[GEMM_MR_MAX];
  const float *r_rows[GEMM_MR_MAX], *rrow[GEMM_MR_MAX];

#pragma omp for schedule(static)
  for (int t = 0; t < m_tiles * n_chunks; t++) {
    int nc = t / m_tiles, mt = t - nc * m_tiles;
    int i0 = mt * MR, mr = M - i0 < MR ? M - i0 : MR;
    if (job->a) pack_rows(job, MR, K, i0, mr, pack);
    else pack_im2col(job, MR, i0, mr, pack);

    Pos p = pos_of(i0, c->h, c->w);
    for (int i = 0; i < mr; i++, pos_next(&p, c->h, c->w)) {
      c_rows[i] = view_at(c, p);
      r_rows[i] = job->res ? view_at(job->res, p) : NULL;
    }
    int p_end = (nc + 1) * chunk < panels ? (nc + 1) * chunk : panels;
    for (int pn = nc * chunk; pn < p_end; pn += nv) {
      int nvv = p_end - pn < nv ? p_end - pn : nv;
      int col = pn * GEMM_NR;
      int ncols = N - col < nvv * GEMM_NR ? N - col : nvv * GEMM_NR;
      for (int i = 0; i < mr; i++) {
        crow[i] = c_rows[i] + col;
        rrow[i] = job->res ? r_rows[i] + col : NULL;
      }
      kern->gemm(K, pack, w->b + (size_t)pn * panel_stride, panel_stride, nvv, mr, ncols, crow,
                 w->bias + col, job->act, job->res ? rrow : NULL);
    }
  }
}
