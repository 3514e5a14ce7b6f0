/* gemm-blas.c — the OpenBLAS backend of the GEMM driver (gemm-blas.h):
 * plain weights, the per-layer choice, and cblas_sgemm on each thread's rows
 * with the bias, activation and residual applied around it.
 *
 * Portable C: nothing here knows the CPU; OpenBLAS picks its own kernels
 * (DYNAMIC_ARCH on Debian, OPENBLAS_CORETYPE to override). */
#include "gemm-blas.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errors.h"
#include "threads.h"

#ifdef EFFNET_HAVE_OPENBLAS
#include <cblas.h>
#endif

int gemm_blas_available(void) {
#ifdef EFFNET_HAVE_OPENBLAS
  return 1;
#else
  return 0;
#endif
}

const char *gemm_blas_config(void) {
#ifdef EFFNET_HAVE_OPENBLAS
  static char buf[256];
  static int done;
  if (!done) {
    const char *cfg = openblas_get_config(), *core = openblas_get_corename();
    snprintf(buf, sizeof buf, "%s, core %s", cfg ? cfg : "OpenBLAS", core ? core : "unknown");
    done = 1;
  }
  return buf;
#else
  return "";
#endif
}

#ifdef EFFNET_HAVE_OPENBLAS
/* OpenBLAS must not start threads of its own under the engine's team. The
 * OpenMP build (openblas_get_parallel() == 2) runs single-threaded inside a
 * parallel region by itself, and its openblas_set_num_threads would change
 * the caller's OpenMP default, so it is left alone; the pthreads build (1,
 * Debian's default libopenblas0-pthread) is set to one thread, for the
 * whole process; the serial build (0) has nothing to set. */
static void blas_single_threaded(void) {
  if (openblas_get_parallel() == 1) openblas_set_num_threads(1);
}
#endif

int gemm_blas_make_plain(PackedGemm *g) {
#ifdef EFFNET_HAVE_OPENBLAS
  blas_single_threaded(); /* whoever makes plain weights runs them on OpenBLAS */
  const int K = g->K, N = g->N;
  float *plain = model_alloc_floats((size_t)K * N);
  if (!plain) return -1;
  for (int n = 0; n < N; n++) {
    const float *col = g->b + (size_t)(n / GEMM_NR) * K * GEMM_NR + n % GEMM_NR;
    for (int k = 0; k < K; k++) plain[(size_t)k * N + n] = col[(size_t)k * GEMM_NR];
  }
  free(g->plain);
  g->plain = plain;
  return 0;
#else
  (void)g;
  return -1;
#endif
}

void gemm_blas_gate_rows(const float *plain, const float *gate, int N, size_t k0, size_t k1, float *out) {
  for (size_t k = k0; k < k1; k++) {
    const float g = gate[k];
    const float *src = plain + k * (size_t)N;
    float *dst = out + k * (size_t)N;
    for (int n = 0; n < N; n++) dst[n] = src[n] * g;
  }
}

#ifdef EFFNET_HAVE_OPENBLAS
static int move_to_plain(PackedGemm *g) {
  if (g->K == 0 || g->plain) return 0;
  if (gemm_blas_make_plain(g) != 0) return -1;
  free(g->b);
  g->b = NULL;
  return 0;
}
#endif

int gemm_backend_apply(EffnetModel *m, EffnetGemm backend, EffnetIsa forced_isa, char *err, size_t errlen) {
  if (backend != EFFNET_GEMM_AUTO && backend != EFFNET_GEMM_OURS && backend != EFFNET_GEMM_OPENBLAS) {
    set_error(err, errlen, "GEMM backend %d is not auto, ours or openblas", (int)backend);
    return -1;
  }
  if (backend == EFFNET_GEMM_OPENBLAS && !gemm_blas_available()) {
    set_error(err, errlen,
              "this build has no OpenBLAS backend (install libopenblas-dev and configure with -Dblas=openblas)");
    return -1;
  }
  /* auto: OpenBLAS only where the engine has no SIMD kernels of its own
   * (measured: our AVX2 and AVX-512 GEMMs beat OpenBLAS 0.3.21 on these
   * shapes; nn/README.md), and never under a forced ISA (a test setting). */
  if (backend == EFFNET_GEMM_AUTO)
    backend = gemm_blas_available() && forced_isa == EFFNET_ISA_AUTO && m->info.isa == EFFNET_ISA_SCALAR
                  ? EFFNET_GEMM_OPENBLAS
                  : EFFNET_GEMM_OURS;
  m->info.gemm = backend;
  if (backend != EFFNET_GEMM_OPENBLAS) return 0;
#ifdef EFFNET_HAVE_OPENBLAS
  int fail = 0;
  for (int i = 0; i < m->arch.num_blocks; i++) {
    fail |= move_to_plain(&m->blocks[i].expand);
    fail |= move_to_plain(&m->blocks[i].project);
  }
  fail |= move_to_plain(&m->head);
  if (fail) {
    set_error(err, errlen, "out of memory copying the weights for OpenBLAS");
    return -1;
  }
#endif
  return 0;
}

#ifdef EFFNET_HAVE_OPENBLAS
/* Pixel index -> address in a view. */
static float *pixel_at(const View *v, long long i) {
  const long long hw = (long long)v->h * v->w;
  const long long n = i / hw, r = i - n * hw, y = r / v->w, x = r - y * v->w;
  return v->data + n * v->img + y * v->row + x * v->c;
}

/* How far a run of contiguous pixels starting at pixel i can go in v:
 * to the end of its row, image, or the whole tensor. */
static long long run_end(const View *v, long long i, long long total) {
  const long long hw = (long long)v->h * v->w;
  long long end;
  if (v->row != (ptrdiff_t)v->w * v->c) end = (i / v->w + 1) * v->w;
  else if (v->img != (ptrdiff_t)v->h * v->row) end = (i / hw + 1) * hw;
  else end = total;
  return end < total ? end : total;
}

/* OpenBLAS's bits for an output depend on the shape of the call it is in
 * (its edge kernels and small-matrix path), so the calls are cut from one
 * image's shape alone, never from the thread count or the batch: the logits
 * are then the same bits on any number of threads and at any batch size, as
 * on our kernels (nn/README.md, Threading). Each image is cut into
 * kBlasTiles tiles along its longer side (each call packs the whole of the
 * other operand again: B for a tile of rows, A for a tile of columns), whole
 * multiples of 16 rows or columns. 32 keeps a team of a few threads within a
 * tile of each other, and on B0's 1x1 layers (one thread, nn/README.md) 8
 * tiles took 8.3 ms, 16 tiles 7.8 ms, 32 tiles 7.5 ms. Threads take
 * contiguous shares of the job's tiles (image by image); a tile is cut again
 * where a view has a border. */
enum { kBlasTiles = 32, kBlasAlign = 16 };

static long long round_up(long long x, long long to) { return (x + to - 1) / to * to; }

/* Rows [i0, i1) x columns [j0, j1) of the job: cblas_sgemm on each run of
 * pixels contiguous in A, C and the residual, C pre-set to the bias (beta
 * = 1), then the activation and the residual on those rows. */
static void run_tile(const Kernels *kern, const GemmJob *job, long long i0, long long i1, int j0, int j1) {
  const PackedGemm *w = job->w;
  const View *a = job->a, *c = job->c, *res = job->res;
  const int K = w->K, N = w->N, n = j1 - j0;
  VactFn vact = kern->vact ? kern->vact : effnet_vact_scalar;
  while (i0 < i1) {
    long long e = run_end(a, i0, i1);
    e = run_end(c, i0, e);
    if (res) e = run_end(res, i0, e);
    const int rows = (int)(e - i0);
    const float *pa = pixel_at(a, i0);
    float *pc = pixel_at(c, i0) + j0;
    for (int r = 0; r < rows; r++) memcpy(pc + (size_t)r * c->c, w->bias + j0, (size_t)n * sizeof(float));
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, rows, n, K, 1.0f, pa, a->c, w->plain + j0, N, 1.0f, pc,
                c->c);
    const float *pr = res ? pixel_at(res, i0) + j0 : NULL;
    for (int r = 0; r < rows; r++) {
      float *row = pc + (size_t)r * c->c;
      if (job->act != ACT_NONE) vact(row, row, (size_t)n, job->act);
      if (pr)
        for (int j = 0; j < n; j++) row[j] += pr[(size_t)r * res->c + j];
    }
    i0 = e;
  }
}

void gemm_job_share_blas(const Kernels *kern, const GemmJob *job, int ith, int nth) {
  const int N = job->w->N;
  const long long hw = (long long)job->c->h * job->c->w; /* one image's rows */
  long long rows = hw, tiles_m = 1;
  int cols = N, tiles_n = 1;
  if (hw >= N) {
    rows = round_up((hw + kBlasTiles - 1) / kBlasTiles, kBlasAlign);
    tiles_m = (hw + rows - 1) / rows;
  } else {
    cols = (int)round_up((N + kBlasTiles - 1) / kBlasTiles, kBlasAlign);
    tiles_n = (N + cols - 1) / cols;
  }
  const long long per_image = tiles_m * tiles_n;
  long long t0, t1;
  effnet_share(job->n * per_image, ith, nth, &t0, &t1);
  for (long long t = t0; t < t1; t++) {
    long long img = t / per_image, u = t - img * per_image;
    long long tm = u / tiles_n, tn = u - tm * tiles_n;
    long long i0 = img * hw + tm * rows, i1 = tm * rows + rows < hw ? i0 + rows : (img + 1) * hw;
    int j0 = (int)tn * cols, j1 = j0 + cols < N ? j0 + cols : N;
    run_tile(kern, job, i0, i1, j0, j1);
  }
}
#endif
