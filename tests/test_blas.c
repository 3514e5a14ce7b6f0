/* test_blas.c — the OpenBLAS backend of the 1x1 convolutions (nn/gemm-blas.c).
 *
 * 1. Plain weights hold the packed panels' values, row-major K x N.
 * 2. gemm_job_share_blas against a double reference and against our own
 *    kernels (every ISA the machine has) on edge shapes: rows not a multiple
 *    of any tile, odd K and N, 1 to 3 images, every activation, residuals,
 *    bordered (strided) A, C and residual views, shares of 1 to 3 threads
 *    called one after another and a real 2-thread team; the bits do not
 *    depend on the number of shares.
 * 3. The SE gate on plain weights equals the gate on panels.
 * 4. Whole models (B0; B4 with streamed blocks) on OpenBLAS against our
 *    kernels: logits within float rounding, and the same bits on 1, 2 and 3
 *    threads and for an image alone or in a batch of 3.
 * 5. The choice: auto, ours, openblas, a forced ISA, an absurd value; a
 *    build without OpenBLAS refuses openblas with a sentence. */
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "effnet.h"
#include "gemm-blas.h"
#include "gemm.h"
#include "kernels.h"
#include "model.h"

static unsigned long long rng = 0x9e3779b97f4a7c15ull;
static float frand(void) { /* uniform [-1, 1) */
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return (float)((rng >> 40) * (1.0 / 8388608.0)) - 1.0f;
}
static int irand(int lo, int hi) { /* [lo, hi] */
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return lo + (int)((rng >> 33) % (unsigned long long)(hi - lo + 1));
}

static double act_d(double x, Activation a) {
  if (a == ACT_SILU) return x / (1.0 + exp(-x));
  if (a == ACT_SIGMOID) return 1.0 / (1.0 + exp(-x));
  return x;
}

static int close_enough(double got, double ref, double scale) {
  return fabs(got - ref) <= 2e-5 * (scale + 1e-3) && isfinite(got);
}

static const char *const kActName[] = {"none", "silu", "sigmoid"};

/* A view of n images h x w x c inside buf, with borders pt/pl/pb/pr. */
static View padded(float *buf, int h, int w, int c, int pt, int pl, int pb, int pr) {
  View v;
  v.h = h;
  v.w = w;
  v.c = c;
  v.row = (ptrdiff_t)(w + pl + pr) * c;
  v.img = (ptrdiff_t)(h + pt + pb) * v.row;
  v.data = buf + pt * v.row + (ptrdiff_t)pl * c;
  return v;
}

static float *at(const View *v, int n, int y, int x) { return v->data + n * v->img + y * v->row + (ptrdiff_t)x * v->c; }

/* Random K x N weights wt[n*K + k] in panels, and a bias. */
static void random_gemm(PackedGemm *g, float *wt, int K, int N) {
  packed_gemm_alloc(g, K, N);
  for (int i = 0; i < K * N; i++) wt[i] = frand();
  for (int j = 0; j < N; j++) {
    packed_gemm_set_column(g, j, wt + (size_t)j * K, 1, 1.0f);
    g->bias[j] = frand();
  }
}

static void test_plain_layout(void) {
  for (int trial = 0; trial < 20; trial++) {
    int K = irand(1, 70), N = irand(1, 70);
    PackedGemm g;
    float *wt = malloc(sizeof(float) * K * N);
    random_gemm(&g, wt, K, N);
    if (!gemm_blas_available()) {
      CHECK(gemm_blas_make_plain(&g) == -1 && !g.plain, "make_plain without the backend");
      packed_gemm_free(&g);
      free(wt);
      continue;
    }
    CHECK(gemm_blas_make_plain(&g) == 0 && g.plain && g.b, "make_plain K=%d N=%d", K, N);
    if (g.plain)
      for (int k = 0; k < K; k++)
        for (int n = 0; n < N; n++)
          CHECK(g.plain[(size_t)k * N + n] == wt[(size_t)n * K + k], "plain[%d][%d] K=%d N=%d", k, n, K, N);
    packed_gemm_free(&g);
    free(wt);
  }
}

#ifdef EFFNET_HAVE_OPENBLAS
/* One random job, run on OpenBLAS (as shares of 1..3 threads, and a team of
 * 2) and on our kernels k; checked against a double reference. */
static void test_driver_case(const Kernels *k, int trial) {
  int n = irand(1, 3), h = irand(1, 11), w = irand(1, 11), K = irand(1, 75), N = irand(1, 75);
  if (trial % 7 == 0) K = 2 * irand(1, 40) + 1, N = 2 * irand(1, 40) + 1; /* both odd */
  Activation act = (Activation)(trial % 3);
  int use_res = trial / 3 % 2;
  int apad = irand(0, 2), cpad = irand(0, 2), rpad = irand(0, 1); /* borders: strided views */
  PackedGemm g;
  float *wt = malloc(sizeof(float) * K * N);
  random_gemm(&g, wt, K, N);
  gemm_blas_make_plain(&g);
  PackedGemm ours = g, blas = g;
  ours.plain = NULL;
  blas.b = NULL; /* the OpenBLAS path must not read the panels */

  size_t asz = (size_t)n * (h + 2 * apad) * (w + 2 * apad) * K;
  size_t csz = (size_t)n * (h + 2 * cpad) * (w + 2 * cpad) * N;
  size_t rsz = (size_t)n * (h + 2 * rpad) * (w + 2 * rpad) * N;
  float *abuf = model_alloc_floats(asz), *rbuf = model_alloc_floats(rsz);
  float *cbuf[5];
  for (int i = 0; i < 5; i++) {
    cbuf[i] = model_alloc_floats(csz);
    for (size_t j = 0; j < csz; j++) cbuf[i][j] = 99.0f;
  }
  for (size_t i = 0; i < asz; i++) abuf[i] = frand();
  for (size_t i = 0; i < rsz; i++) rbuf[i] = frand();
  View a = padded(abuf, h, w, K, apad, apad, apad, apad);
  View r = padded(rbuf, h, w, N, rpad, rpad, rpad, rpad);
  View c[5];
  for (int i = 0; i < 5; i++) c[i] = padded(cbuf[i], h, w, N, cpad, cpad, cpad, cpad);
  GemmJob job = {.n = n, .a = &a, .w = &blas, .act = act, .res = use_res ? &r : NULL};

  /* c[0..2]: shares of nth = 1, 2, 3 called in turn; c[3]: a team of two
   * through gemm_job_share (plain weights go to OpenBLAS); c[4]: ours. */
  for (int nth = 1; nth <= 3; nth++) {
    job.c = &c[nth - 1];
    for (int ith = 0; ith < nth; ith++) gemm_job_share_blas(k, &job, ith, nth);
  }
  job.c = &c[3];
  float *rows = model_alloc_floats((size_t)2 * k->mr * K);
#pragma omp parallel num_threads(2)
  gemm_job_share(k, &job, rows + (size_t)omp_get_thread_num() * k->mr * K, omp_get_thread_num(), omp_get_num_threads());
  job.c = &c[4];
  job.w = &ours;
  gemm_job_share(k, &job, rows, 0, 1);

  int bad_ref = 0, bad_ours = 0, bad_bits = 0;
  for (int i = 0; i < n; i++)
    for (int y = 0; y < h; y++)
      for (int x = 0; x < w; x++)
        for (int j = 0; j < N; j++) {
          double s = g.bias[j], mag = fabs(g.bias[j]);
          for (int kk = 0; kk < K; kk++) {
            double t = (double)at(&a, i, y, x)[kk] * wt[(size_t)j * K + kk];
            s += t;
            mag += fabs(t);
          }
          double ref = act_d(s, act) + (use_res ? at(&r, i, y, x)[j] : 0.0);
          float got = at(&c[0], i, y, x)[j], mine = at(&c[4], i, y, x)[j];
          if (!close_enough(got, ref, mag) && bad_ref++ < 3)
            CHECK(0, "%s blas n=%d %dx%d K=%d N=%d act=%s res=%d pads %d/%d/%d: (%d,%d,%d,%d) %g vs reference %g",
                  k->name, n, h, w, K, N, kActName[act], use_res, apad, cpad, rpad, i, y, x, j, got, ref);
          if (!close_enough(got, mine, mag) && bad_ours++ < 3)
            CHECK(0, "%s blas vs ours n=%d %dx%d K=%d N=%d act=%s res=%d: %g vs %g", k->name, n, h, w, K, N,
                  kActName[act], use_res, got, mine);
          for (int v = 1; v < 4; v++)
            if (memcmp(at(&c[v], i, y, x) + j, &got, sizeof got) != 0 && bad_bits++ < 3)
              CHECK(0, "%s blas: run %d differs from one share at (%d,%d,%d,%d): %.9g vs %.9g", k->name, v, i, y, x, j,
                    at(&c[v], i, y, x)[j], got);
        }
  checks++;
  /* borders of the output untouched */
  int bad_border = 0;
  for (int v = 0; v < 4; v++)
    for (int i = 0; i < n; i++)
      for (int y = -cpad; y < h + cpad; y++)
        for (int x = -cpad; x < w + cpad; x++) {
          if (y >= 0 && y < h && x >= 0 && x < w) continue;
          for (int j = 0; j < N; j++)
            if (at(&c[v], i, y, x)[j] != 99.0f) bad_border++;
        }
  CHECK(bad_border == 0, "%s blas wrote %d border values (n=%d %dx%d pad %d)", k->name, bad_border, n, h, w, cpad);
  free(rows);
  for (int i = 0; i < 5; i++) free(cbuf[i]);
  free(abuf);
  free(rbuf);
  free(wt);
  packed_gemm_free(&g);
}

static void test_driver(void) {
  for (int isa = EFFNET_ISA_SCALAR; effnet_isa_name((EffnetIsa)isa); isa++) { /* every ISA this build knows */
    const Kernels *k = effnet_kernels_for(isa);
    if (!k) continue;
    int before = failures;
    for (int trial = 0; trial < 60; trial++) test_driver_case(k, trial);
    printf("OpenBLAS driver vs reference and %s kernels: %s\n", k->name, failures == before ? "ok" : "FAILED");
  }
}
#endif

static void test_gate_rows(void) {
  const Kernels *k = effnet_kernels_for(EFFNET_ISA_SCALAR);
  for (int trial = 0; trial < 10; trial++) {
    int K = irand(1, 60), N = irand(1, 60), panels = (N + GEMM_NR - 1) / GEMM_NR, split = irand(0, K);
    PackedGemm g;
    float *wt = malloc(sizeof(float) * K * N), *gate = malloc(sizeof(float) * K);
    random_gemm(&g, wt, K, N);
    for (int i = 0; i < K; i++) gate[i] = frand();
    float *plain = malloc(sizeof(float) * K * N), *got = malloc(sizeof(float) * K * N);
    for (int kk = 0; kk < K; kk++)
      for (int n = 0; n < N; n++) plain[(size_t)kk * N + n] = wt[(size_t)n * K + kk];
    /* two shares, as two threads would */
    gemm_blas_gate_rows(plain, gate, N, 0, (size_t)split, got);
    gemm_blas_gate_rows(plain, gate, N, (size_t)split, (size_t)K, got);
    for (int i = 0; i < K * N; i++)
      CHECK(got[i] == plain[i] * gate[i / N], "gate row %d of K=%d N=%d, split %d", i / N, K, N, split);
    if (gemm_blas_available()) {
      /* the gate on panels, made plain, is the gate on plain weights */
      PackedGemm gated = g;
      gated.b = model_alloc_floats((size_t)panels * K * GEMM_NR);
      gated.plain = NULL;
      k->scale_panels(g.b, gate, K, 0, (size_t)panels * K, gated.b);
      CHECK(gemm_blas_make_plain(&gated) == 0, "make_plain");
      if (gated.plain)
        CHECK(memcmp(gated.plain, got, sizeof(float) * K * N) == 0, "gate on panels vs plain K=%d N=%d", K, N);
      free(gated.b);
      free(gated.plain);
    }
    free(plain);
    free(got);
    free(wt);
    free(gate);
    packed_gemm_free(&g);
  }
}

/* ---- whole models ---- */
static EffnetModel *random_model(int variant, int size, EffnetGemm gemm, EffnetIsa isa, char *err) {
  EffnetOptions opt;
  effnet_options_init(&opt);
  opt.input_size = size;
  opt.gemm = gemm;
  opt.isa = isa;
  return effnet_model_random(variant, 100, 3, &opt, err, EFFNET_ERRLEN);
}

static int logits(const EffnetModel *m, int threads, const float *x, int n, float *y) {
  char err[EFFNET_ERRLEN] = "";
  EffnetWorkspace *ws = effnet_workspace_new(m, n, threads, err, sizeof err);
  CHECK(ws != NULL, "workspace: %s", err);
  if (!ws) return -1;
  int rc = effnet_forward(m, ws, x, n, y, err, sizeof err);
  CHECK(rc == 0, "forward: %s", err);
  effnet_workspace_free(ws);
  return rc;
}

#ifdef EFFNET_HAVE_OPENBLAS
static void test_model(int variant, int size) {
  char err[EFFNET_ERRLEN] = "";
  EffnetModel *ours = random_model(variant, size, EFFNET_GEMM_OURS, EFFNET_ISA_AUTO, err);
  CHECK(ours != NULL, "B%d ours: %s", variant, err);
  EffnetModel *blas = random_model(variant, size, EFFNET_GEMM_OPENBLAS, EFFNET_ISA_AUTO, err);
  CHECK(blas != NULL, "B%d openblas: %s", variant, err);
  if (!ours || !blas) {
    effnet_model_free(ours);
    effnet_model_free(blas);
    return;
  }
  CHECK(effnet_model_info(blas)->gemm == EFFNET_GEMM_OPENBLAS, "info says %s",
        effnet_gemm_name(effnet_model_info(blas)->gemm));
  CHECK(effnet_model_info(ours)->gemm == EFFNET_GEMM_OURS, "info says %s",
        effnet_gemm_name(effnet_model_info(ours)->gemm));
  const int n = 3, C = 100;
  size_t img = (size_t)3 * size * size;
  float *x = malloc(sizeof(float) * n * img), *y0 = malloc(sizeof(float) * n * C), *y[3],
        *yb = malloc(sizeof(float) * n * C);
  for (size_t i = 0; i < n * img; i++) x[i] = frand() * 2.0f;
  for (int t = 0; t < 3; t++) y[t] = malloc(sizeof(float) * C);
  logits(ours, 2, x, n, y0);
  for (int t = 0; t < 3; t++) logits(blas, t + 1, x, 1, y[t]);
  logits(blas, 2, x, n, yb);
  double num = 0, den = 0, cen_num = 0, cen_den = 0, mean0 = 0, mean1 = 0;
  for (int i = 0; i < C; i++) mean0 += y0[i] / C, mean1 += yb[i] / C;
  for (int i = 0; i < n * C; i++) {
    num += ((double)yb[i] - y0[i]) * ((double)yb[i] - y0[i]);
    den += (double)y0[i] * y0[i];
  }
  for (int i = 0; i < C; i++) {
    double a = y0[i] - mean0, b = yb[i] - mean1;
    cen_num += (a - b) * (a - b);
    cen_den += a * a;
  }
  double rel = sqrt(num / den), cen = sqrt(cen_num / cen_den);
  printf("B%d at %d px, batch %d: OpenBLAS vs %s kernels, logits relative L2 %.2e (centred %.2e)\n", variant, size, n,
         effnet_isa_name(effnet_model_info(ours)->isa), rel, cen);
  CHECK(rel <= 1e-4 && cen <= 1e-3, "B%d OpenBLAS vs ours: relative L2 %g, centred %g", variant, rel, cen);
  for (int t = 1; t < 3; t++)
    CHECK(memcmp(y[t], y[0], sizeof(float) * C) == 0, "B%d OpenBLAS logits on %d threads differ from 1 thread", variant,
          t + 1);
  /* batch 3's first image: the same bits as alone (calls are cut per image) */
  CHECK(memcmp(yb, y[0], sizeof(float) * C) == 0, "B%d OpenBLAS logits at batch 3 differ from batch 1", variant);
  for (int t = 0; t < 3; t++) free(y[t]);
  free(x);
  free(y0);
  free(yb);
  effnet_model_free(ours);
  effnet_model_free(blas);
}
#endif

static void test_choice(void) {
  char err[EFFNET_ERRLEN] = "";
  EffnetModel *m = random_model(0, 64, EFFNET_GEMM_AUTO, EFFNET_ISA_AUTO, err);
  CHECK(m != NULL, "auto: %s", err);
  if (m) {
    /* auto: OpenBLAS exactly where the best kernels are the portable ones */
    EffnetGemm want =
        gemm_blas_available() && effnet_isa_best() == EFFNET_ISA_SCALAR ? EFFNET_GEMM_OPENBLAS : EFFNET_GEMM_OURS;
    CHECK(effnet_model_info(m)->gemm == want, "auto chose %s, expected %s",
          effnet_gemm_name(effnet_model_info(m)->gemm), effnet_gemm_name(want));
    printf("auto on this build and CPU (%s kernels): %s\n", effnet_isa_name(effnet_model_info(m)->isa),
           effnet_gemm_name(effnet_model_info(m)->gemm));
    effnet_model_free(m);
  }
  m = random_model(0, 64, EFFNET_GEMM_AUTO, EFFNET_ISA_SCALAR, err);
  CHECK(m && effnet_model_info(m)->gemm == EFFNET_GEMM_OURS, "a forced ISA keeps our kernels: %s",
        m ? effnet_gemm_name(effnet_model_info(m)->gemm) : err);
  effnet_model_free(m);
  m = random_model(0, 64, (EffnetGemm)7, EFFNET_ISA_AUTO, err);
  CHECK(m == NULL && strstr(err, "not auto, ours or openblas"), "backend 7: %s", m ? "loaded" : err);
  effnet_model_free(m);
  m = random_model(0, 64, EFFNET_GEMM_OPENBLAS, EFFNET_ISA_AUTO, err);
  if (gemm_blas_available()) {
    CHECK(m != NULL, "openblas: %s", err);
    printf("OpenBLAS: %s\n", gemm_blas_config());
  } else {
    CHECK(m == NULL && strstr(err, "no OpenBLAS backend"), "openblas without the backend: %s", m ? "loaded" : err);
    printf("refused: %s\n", err);
  }
  effnet_model_free(m);
}

int main(void) {
  test_plain_layout();
  test_gate_rows();
  test_choice();
#ifdef EFFNET_HAVE_OPENBLAS
  test_driver();
  test_model(0, 128);
  test_model(4, 160); /* streamed blocks: the expand conv row by row */
#else
  printf("this build has no OpenBLAS backend: the driver and model checks are skipped\n");
#endif
  printf("%d checks, %d failures\n", checks, failures);
  return failures != 0;
}
