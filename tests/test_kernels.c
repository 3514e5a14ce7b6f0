/* test_kernels.c — every kernel of every dispatch path this CPU supports
 * against a plain scalar reference written here, on random shapes including
 * the edges: odd channel counts (masked tails), widths that are not a multiple
 * of the output block, stride 2, both paddings, partial row tiles, residuals;
 * and the frame path's kernels (unpack, horizontal taps/dense/exact passes,
 * vertical pass, stores) on random and real filter tables, every pass mode,
 * interleaved sources, guards around every output row.
 *
 * Tolerance: |got - ref| <= 2e-5 * (sum of |terms| + 1e-3) — room for a
 * different summation order and the vector exp, nothing more. */
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "effnet.h"
#include "gemm.h"
#include "kernels.h"
#include "model.h"
#include "resample.h"
#include "check.h"

static unsigned long long rng = 88172645463325252ULL;

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

static float *falloc(size_t n) { return model_alloc_floats(n); }

/* ---- micro-kernel ---- */
static void test_ukernel(const Kernels *k) {
  for (int trial = 0; trial < 300; trial++) {
    int MR = k->mr, K = irand(1, 300), nv = irand(1, 7), mr = irand(1, MR);
    int ncols = irand(16 * (nv - 1) + 1, 16 * nv);
    Activation act = (Activation)irand(0, 2);
    int with_res = irand(0, 1), ldc = ncols + irand(0, 5), lda = K + irand(0, 3);
    /* exactly mr rows (last one exactly K long), so reading a row past mr trips ASan */
    float *a = malloc(sizeof(float) * ((size_t)(mr - 1) * lda + K));
    float *b = falloc((size_t)nv * K * 16), *bias = falloc((size_t)nv * 16);
    float *c = falloc((size_t)MR * ldc), *res = falloc((size_t)MR * ldc);
    for (int i = 0; i < (mr - 1) * lda + K; i++) a[i] = frand();
    for (int i = 0; i < nv * K * 16; i++) b[i] = frand();
    for (int i = 0; i < nv * 16; i++) bias[i] = frand();
    for (int i = 0; i < MR * ldc; i++) {
      res[i] = frand();
      c[i] = 1234.5f;
    }
    float *c_rows[GEMM_MR_MAX];
    const float *r_rows[GEMM_MR_MAX];
    for (int i = 0; i < MR; i++) {
      c_rows[i] = c + i * ldc;
      r_rows[i] = res + i * ldc;
    }
    k->gemm(K, a, lda, b, (size_t)K * 16, nv, mr, ncols, c_rows, bias, act, with_res ? r_rows : NULL);
    for (int i = 0; i < MR; i++) {
      for (int j = 0; j < ldc; j++) {
        float got = c[i * ldc + j];
        if (i >= mr || j >= ncols) {
          CHECK(got == 1234.5f, "%s gemm wrote outside the tile (row %d col %d)", k->name, i, j);
          continue;
        }
        double s = bias[j], mag = fabs(bias[j]);
        for (int kk = 0; kk < K; kk++) {
          double t = (double)a[i * lda + kk] * b[(size_t)(j / 16) * K * 16 + kk * 16 + j % 16];
          s += t;
          mag += fabs(t);
        }
        double ref = act_d(s, act) + (with_res ? res[i * ldc + j] : 0.0);
        CHECK(close_enough(got, ref, mag), "%s gemm K=%d lda=%d nv=%d mr=%d ncols=%d act=%d res=%d [%d,%d]: %g vs %g",
              k->name, K, lda, nv, mr, ncols, act, with_res, i, j, got, ref);
      }
    }
    free(a);
    free(b);
    free(bias);
    free(c);
    free(res);
  }
}

/* ---- depthwise ---- */
static void test_dwconv(const Kernels *k) {
  for (int trial = 0; trial < 200; trial++) {
    int C = trial < 4 ? 16 * (trial + 1) : irand(1, 70), ks = irand(0, 1) ? 5 : 3, s = irand(1, 2);
    int Wo = irand(1, 21), Ho = irand(1, 4);
    int Wi = (Wo - 1) * s + ks, Hi = (Ho - 1) * s + ks; /* padded input: exactly what is read */
    int cpad = (C + 15) / 16 * 16, in_row = Wi * C + irand(0, 3) * C, out_row = Wo * C + irand(0, 2) * C;
    Activation act = (Activation)irand(0, 2);
    float *in = falloc((size_t)Hi * in_row), *w = falloc((size_t)ks * ks * cpad), *bias = falloc(cpad);
    float *out = falloc((size_t)Ho * out_row), *pool = falloc(C + 16);
    for (size_t i = 0; i < (size_t)Hi * in_row; i++) in[i] = frand();
    for (int t = 0; t < ks * ks; t++)
      for (int c = 0; c < C; c++) w[t * cpad + c] = frand();
    for (int c = 0; c < C; c++) {
      bias[c] = frand();
      pool[c] = 0.5f;
    }
    pool[C] = 777.0f; /* must stay untouched */
    DwconvArgs a = {.out_w = Wo, .c = C, .k = ks, .stride = s, .w = w, .bias = bias, .act = act};
    int y0 = Ho > 1 ? irand(0, 1) : 0;
    for (int y = y0; y < Ho; y++) {
      /* the rows a ring buffer would hold: copies at unrelated addresses */
      float *rows[5];
      for (int ky = 0; ky < ks; ky++) {
        rows[ky] = malloc(sizeof(float) * (size_t)Wi * C);
        memcpy(rows[ky], in + (size_t)(y * s + ky) * in_row, sizeof(float) * (size_t)Wi * C);
      }
      k->dwconv(&a, (const float *const *)rows, out + (size_t)y * out_row, pool);
      for (int ky = 0; ky < ks; ky++) free(rows[ky]);
    }
    for (int c = 0; c < C; c++) {
      double psum = 0.5, pmag = 0.5;
      for (int y = y0; y < Ho; y++) {
        for (int x = 0; x < Wo; x++) {
          double acc = bias[c], mag = fabs(bias[c]);
          for (int ky = 0; ky < ks; ky++)
            for (int kx = 0; kx < ks; kx++) {
              double t = (double)in[(y * s + ky) * in_row + (x * s + kx) * C + c] * w[(ky * ks + kx) * cpad + c];
              acc += t;
              mag += fabs(t);
            }
          double ref = act_d(acc, act);
          float got = out[y * out_row + x * C + c];
          CHECK(close_enough(got, ref, mag), "%s dwconv C=%d k=%d s=%d Wo=%d act=%d (y%d x%d c%d): %g vs %g", k->name,
                C, ks, s, Wo, act, y, x, c, got, ref);
          psum += ref;
          pmag += fabs(ref) + mag;
        }
      }
      CHECK(close_enough(pool[c], psum, pmag), "%s dwconv pool C=%d k=%d s=%d c=%d: %g vs %g", k->name, C, ks, s, c,
            pool[c], psum);
    }
    CHECK(pool[C] == 777.0f, "%s dwconv pool wrote past channel %d", k->name, C);
    free(in);
    free(w);
    free(bias);
    free(out);
    free(pool);
  }
}

/* ---- activations ----
 * Not in the dispatch table (the engine applies activations in its kernels'
 * epilogues): the array form of each ISA's vmath-*.h, picked here. */
static VactFn vact_for(EffnetIsa isa) {
  switch (isa) {
    case EFFNET_ISA_SCALAR: return effnet_vact_scalar;
#if defined(EFFNET_HAVE_X86)
    case EFFNET_ISA_AVX2: return effnet_vact_avx2;
    case EFFNET_ISA_AVX512: return effnet_vact_avx512;
#endif
#if defined(EFFNET_HAVE_NEON)
    case EFFNET_ISA_NEON: return effnet_vact_neon;
#endif
    default: return NULL;
  }
}

static void test_vact(const Kernels *k, EffnetIsa isa) {
  VactFn vact = vact_for(isa);
  CHECK(vact != NULL, "%s has no activation kernel", k->name);
  if (!vact) return;
  float *x = falloc(1000), *y = falloc(1000);
  for (int act = 0; act < 3; act++) {
    int n = 0;
    for (float v = -120.0f; v <= 120.0f; v += 0.37f) x[n++] = v;
    x[n++] = 0.0f;
    x[n++] = -0.0f;
    x[n++] = 1e-30f;
    vact(x, y, (size_t)n, (Activation)act);
    for (int i = 0; i < n; i++) {
      double ref = act_d(x[i], (Activation)act);
      CHECK(fabs(y[i] - ref) <= 4e-7 * fabs(ref) + 1e-30, "%s act %d at x=%g: %.9g vs %.9g", k->name, act, x[i], y[i],
            ref);
    }
  }
  free(x);
  free(y);
}

/* ---- SE gate on weights and on activations (exact: one multiply each) ---- */
static void test_scale(const Kernels *k) {
  for (int trial = 0; trial < 50; trial++) {
    int K = irand(1, 70), panels = irand(1, 5), C = irand(1, 70), P = irand(1, 9);
    size_t rows = (size_t)panels * K, r0 = (size_t)irand(0, (int)rows), r1 = (size_t)irand((int)r0, (int)rows);
    float *b = falloc(rows * 16), *out = falloc(rows * 16), *gate = falloc(K > C ? K : C);
    float *x = malloc(sizeof(float) * (size_t)P * C), *x0 = malloc(sizeof(float) * (size_t)P * C);
    for (size_t i = 0; i < rows * 16; i++) {
      b[i] = frand();
      out[i] = 5.0f;
    }
    for (int i = 0; i < (K > C ? K : C); i++) gate[i] = frand();
    for (int i = 0; i < P * C; i++) x[i] = x0[i] = frand();
    k->scale_panels(b, gate, K, r0, r1, out);
    for (size_t r = 0; r < rows; r++)
      for (int j = 0; j < 16; j++) {
        float want = r >= r0 && r < r1 ? b[r * 16 + j] * gate[r % K] : 5.0f;
        CHECK(out[r * 16 + j] == want, "%s scale_panels K=%d rows [%zu,%zu) r=%zu: %g vs %g", k->name, K, r0, r1, r,
              out[r * 16 + j], want);
      }
    int p0 = irand(0, P), p1 = irand(p0, P);
    k->scale_channels(x, gate, C, (size_t)p0, (size_t)p1);
    for (int p = 0; p < P; p++)
      for (int c = 0; c < C; c++) {
        float want = p >= p0 && p < p1 ? x0[p * C + c] * gate[c] : x0[p * C + c];
        CHECK(x[p * C + c] == want, "%s scale_channels C=%d [%d,%d) p=%d c=%d", k->name, C, p0, p1, p, c);
      }
    free(b);
    free(out);
    free(gate);
    free(x);
    free(x0);
  }
}

/* ---- GEMM driver: dense and bordered views, batches, residual, im2col ---- */
static float *at(const View *v, int n, int y, int x) { return v->data + n * v->img + y * v->row + (ptrdiff_t)x * v->c; }

static View padded(float *buf, int n_img, int h, int w, int c, int pt, int pl, int pb, int pr) {
  (void)n_img;
  View v;
  v.h = h;
  v.w = w;
  v.c = c;
  v.row = (ptrdiff_t)(w + pl + pr) * c;
  v.img = (ptrdiff_t)(h + pt + pb) * v.row;
  v.data = buf + pt * v.row + (ptrdiff_t)pl * c;
  return v;
}

static void test_driver(const Kernels *k, int threads) {
  for (int trial = 0; trial < 60; trial++) {
    int n = irand(1, 3), h = irand(1, 9), w = irand(1, 9), K = irand(1, 90), N = irand(1, 90);
    int im2col = trial % 4 == 3;
    int src = irand(3, 17), stride = irand(1, 2), pt = irand(0, 1), pl = irand(0, 1);
    if (im2col) {
      K = 27;
      h = w = (src + 2 * 1 - 3) / stride + 1;
    }
    int pad = irand(0, 2);
    Activation act = (Activation)irand(0, 2);
    int use_res = irand(0, 1);
    PackedGemm g;
    packed_gemm_alloc(&g, K, N);
    float *wt = falloc((size_t)K * N);
    for (int i = 0; i < K * N; i++) wt[i] = frand();
    for (int j = 0; j < N; j++) {
      packed_gemm_set_column(&g, j, wt + j * K, 1, 1.0f);
      g.bias[j] = frand();
    }
    size_t asz = (size_t)n * (h + 2 * pad) * (w + 2 * pad) * K, csz = (size_t)n * (h + 2 * pad) * (w + 2 * pad) * N;
    float *abuf = falloc(asz), *cbuf = falloc(csz), *rbuf = falloc((size_t)n * h * w * N);
    float *img = falloc((size_t)n * 3 * src * src);
    int sp = src + 4; /* bordered NHWC copy for the stem: two pixels of zeros around */
    float *nhwc = falloc((size_t)n * sp * sp * 3);
    for (size_t i = 0; i < asz; i++) abuf[i] = frand();
    for (size_t i = 0; i < (size_t)n * h * w * N; i++) rbuf[i] = frand();
    for (size_t i = 0; i < (size_t)n * 3 * src * src; i++) img[i] = frand();
    for (int i = 0; i < n; i++)
      for (int ch = 0; ch < 3; ch++)
        for (int y = 0; y < src; y++)
          for (int x = 0; x < src; x++)
            nhwc[(((size_t)i * sp + y + 2) * sp + x + 2) * 3 + ch] = img[(((size_t)i * 3 + ch) * src + y) * src + x];
    View srcv = padded(nhwc, n, src, src, 3, 2, 2, 2, 2);
    for (size_t i = 0; i < csz; i++) cbuf[i] = 99.0f;
    View a = padded(abuf, n, h, w, K, pad, pad, pad, pad);
    View c = padded(cbuf, n, h, w, N, pad, pad, pad, pad);
    View r = padded(rbuf, n, h, w, N, 0, 0, 0, 0);
    GemmJob job = {.n = n,
                   .a = im2col ? NULL : &a,
                   .src = &srcv,
                   .stride = stride,
                   .pad_t = pt,
                   .pad_l = pl,
                   .w = &g,
                   .act = act,
                   .c = &c,
                   .res = use_res ? &r : NULL};
    float *pack = falloc((size_t)threads * k->mr * (K > 27 ? K : 27));
#pragma omp parallel num_threads(threads)
    gemm_job_share(k, &job, pack + (size_t)omp_get_thread_num() * k->mr * (K > 27 ? K : 27), omp_get_thread_num(),
                   omp_get_num_threads());
    for (int i = 0; i < n; i++)
      for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
          for (int j = 0; j < N; j++) {
            double s = g.bias[j], mag = fabs(g.bias[j]);
            for (int kk = 0; kk < K; kk++) {
              double av;
              if (im2col) {
                int ky = kk / 9, kx = kk / 3 % 3, ch = kk % 3; /* (ky, kx, channel) */
                int yy = y * stride + ky - pt, xx = x * stride + kx - pl;
                av = (yy >= 0 && yy < src && xx >= 0 && xx < src)
                         ? img[((size_t)i * 3 + ch) * src * src + yy * src + xx]
                         : 0.0;
              } else {
                av = at(&a, i, y, x)[kk];
              }
              double t = av * wt[j * K + kk];
              s += t;
              mag += fabs(t);
            }
            double ref = act_d(s, act) + (use_res ? at(&r, i, y, x)[j] : 0.0);
            float got = at(&c, i, y, x)[j];
            CHECK(close_enough(got, ref, mag),
                  "%s driver n=%d %dx%d pad=%d K=%d N=%d im2col=%d res=%d thr=%d: %g vs %g", k->name, n, h, w, pad, K,
                  N, im2col, use_res, threads, got, ref);
          }
    /* the border of the padded output must be untouched */
    for (size_t i = 0; i < csz; i++) {
      size_t pix = i / N, per_img = (size_t)(h + 2 * pad) * (w + 2 * pad), q = pix % per_img;
      int py = (int)(q / (w + 2 * pad)), px = (int)(q % (w + 2 * pad));
      if (py < pad || py >= pad + h || px < pad || px >= pad + w)
        CHECK(cbuf[i] == 99.0f, "%s driver wrote into the border", k->name);
    }
    packed_gemm_free(&g);
    free(wt);
    free(abuf);
    free(cbuf);
    free(rbuf);
    free(img);
    free(nhwc);
    free(pack);
  }
}

/* ---- the frame path: unpack, resampling passes, stores ----
 * References in double. A pass ending in PASS_ROUND must give exactly
 * floor(clamp(ref) + 0.5) of the sum in double (taken in tap order): on
 * samples in [0, 255] the kernels redo in double every output their float
 * sum leaves within `near` of a half (resample-exact.h), so no margin. With
 * Pillow's 22-bit weights and 8-bit samples that sum is exact, and the
 * result Pillow's: test_round_exact checks that against int64, ties
 * included. */
#define GUARD_F (-7777.0f)
#define GUARD_N 16
static const PassMode kModes[3] = {PASS_ROUND, PASS_CLAMP, PASS_LINEAR};
static const int kParts[3] = {1, 2, 4};

static double clamp255_d(double v) { return v < 0.0 ? 0.0 : v > 255.0 ? 255.0 : v; }

static int pass_ok(float got, double ref, double mag, PassMode mode) {
  const double tol = 2e-5 * (mag + 1e-3);
  if (!isfinite(got)) return 0;
  if (mode == PASS_LINEAR) return fabs(got - ref) <= tol;
  const double c = clamp255_d(ref);
  if (mode == PASS_CLAMP) return fabs(got - c) <= tol;
  return got == (float)floor(c + 0.5);
}

/* The bound on a float sum's error the plan gives the kernels (prep.c's
 * near_bound): kmax + 6 roundings of at most 2^-24 of 255 * sum |w|. */
static float near_of(const float *w, int kmax, const int *count, int n) {
  double most = 0.0;
  for (int x = 0; x < n; x++) {
    double sum = 0.0;
    for (int i = 0; i < (count ? count[x] : kmax); i++) sum += fabs(w[(size_t)x * kmax + i]);
    if (sum > most) most = sum;
  }
  return (float)((kmax + 6) * 255.0 * most / 16777216.0);
}

static const char *mode_name(PassMode m) { return m == PASS_ROUND ? "round" : m == PASS_CLAMP ? "clamp" : "linear"; }

static void test_unpack(const Kernels *k) {
  static const size_t big[] = {255, 256, 1000, 4096 + 13, 65536 + 7, 1920 * 3 + 1};
  const int nsmall = 201, nbig = (int)(sizeof big / sizeof big[0]);
  for (int t = 0; t < nsmall + nbig; t++) {
    size_t n = t < nsmall ? (size_t)t : big[t - nsmall];
    int so = irand(0, 63), dof = irand(0, 15);
    /* the source ends exactly at byte n: a read past it trips ASan */
    uint8_t *sbuf = malloc((size_t)so + n > 0 ? (size_t)so + n : 1), *src = sbuf + so;
    float *dbuf = malloc(sizeof(float) * ((size_t)dof + n + GUARD_N)), *dst = dbuf + dof;
    for (size_t i = 0; i < n; i++) src[i] = (uint8_t)irand(0, 255);
    if (n > 0) src[0] = 255, src[n - 1] = (uint8_t)(n > 1 ? 0 : 255);
    for (size_t i = 0; i < (size_t)dof + n + GUARD_N; i++) dbuf[i] = GUARD_F;
    k->unpack_u8(src, n, dst);
    size_t bad = 0;
    for (size_t i = 0; i < n; i++) bad += dst[i] != (float)src[i];
    CHECK(bad == 0, "%s unpack_u8 n=%zu src+%d dst+%d: %zu wrong values", k->name, n, so, dof, bad);
    for (int i = 0; i < dof; i++) CHECK(dbuf[i] == GUARD_F, "%s unpack_u8 n=%zu wrote before dst", k->name, n);
    for (int i = 0; i < GUARD_N; i++)
      CHECK(dst[n + i] == GUARD_F, "%s unpack_u8 n=%zu wrote past n (+%d)", k->name, n, i);
    free(sbuf);
    free(dbuf);
  }
}

/* A horizontal taps table: random (monotone starts, random weights, NaN in
 * the unused weight slots) or a real one from resample_taps. */
typedef struct {
  AxisTaps t; /* absolute starts (base = t.first) */
  HTaps h;    /* starts relative to the sources' first sample, and tap-major for the gathers */
  int base, inputs;
  int *rel, *col;
  float *wt;
} TapsCase;

static void taps_case_free(TapsCase *c) {
  free(c->t.start);
  free(c->t.count);
  free(c->t.w);
  free(c->rel);
  free(c->col);
  free(c->wt);
}

static void taps_case_finish(TapsCase *c) {
  c->base = c->t.first;
  c->inputs = c->t.last - c->t.first;
  c->rel = malloc(sizeof(int) * (size_t)c->t.out);
  int kcol = 1;
  for (int x = 0; x < c->t.out; x++) {
    c->rel[x] = c->t.start[x] - c->base;
    if (c->t.count[x] > kcol) kcol = c->t.count[x];
  }
  /* the tap-major form, exactly as large as the kernels may read (kcol x npad) */
  const int npad = (c->t.out + 15) / 16 * 16;
  c->col = malloc(sizeof(int) * (size_t)kcol * npad);
  c->wt = malloc(sizeof(float) * (size_t)kcol * npad);
  int got = resample_taps_columns(&c->t, c->base, npad, c->col, c->wt);
  CHECK(got == kcol, "resample_taps_columns: kcol %d, want %d", got, kcol);
  int bad = 0;
  for (size_t i = 0; i < (size_t)kcol * npad; i++)
    bad += c->col[i] < 0 || c->col[i] >= c->inputs || !isfinite(c->wt[i]);
  CHECK(bad == 0, "resample_taps_columns: %d columns outside the %d inputs (or weights not finite)", bad, c->inputs);
  c->h = (HTaps){c->t.out, c->t.kmax, c->rel, c->t.count, c->t.w,
                 npad,     kcol,      c->col, c->wt,      near_of(c->t.w, c->t.kmax, c->t.count, c->t.out)};
}

static void random_taps(TapsCase *c, int exact22) {
  const int n = irand(1, 300), kmax = irand(1, 40);
  const double wscale = irand(0, 1) ? 1.0 : 2.0 / kmax;
  const int bits = irand(1, 22); /* exact: weights multiples of 2^-bits, ties happen when bits is small */
  c->t = (AxisTaps){.out = n, .kmax = kmax};
  c->t.start = malloc(sizeof(int) * n);
  c->t.count = malloc(sizeof(int) * n);
  c->t.w = malloc(sizeof(float) * (size_t)n * kmax);
  int s = irand(0, 5), first = 1 << 30, last = 0;
  for (int x = 0; x < n; x++) {
    if (x > 0) s += irand(0, 3);
    int cnt = irand(1, kmax);
    c->t.start[x] = s;
    c->t.count[x] = cnt;
    for (int i = 0; i < kmax; i++) {
      float w;
      if (i >= cnt) w = NAN; /* never read */
      else if (exact22) w = (float)ldexp((double)irand(-(1 << bits), 1 << bits), -bits);
      else w = (float)(frand() * wscale);
      c->t.w[(size_t)x * kmax + i] = w;
    }
    if (s < first) first = s;
    if (s + cnt > last) last = s + cnt;
  }
  c->t.first = first;
  c->t.last = last;
  c->t.contiguous = 0;
  taps_case_finish(c);
}

static void real_taps(TapsCase *c, int pillow8) {
  const EffnetFilter f = (EffnetFilter)irand(0, 2);
  const int out = irand(1, 300), lo = irand(0, 20), in = irand(1, 20 * out < 1500 ? 20 * out : 1500);
  AxisGeometry g = {lo + frand() * 0.5, (double)in / out * (1.0 + 0.2 * frand()), irand(0, 3), out, lo, lo + in};
  if (irand(0, 3) == 0) g.scale = (double)in / out; /* plain resize */
  const int kmax = resample_kmax(&g, f);
  c->t.start = malloc(sizeof(int) * out);
  c->t.count = malloc(sizeof(int) * out);
  c->t.w = malloc(sizeof(float) * (size_t)out * kmax);
  resample_taps(&g, f, pillow8, &c->t);
  taps_case_finish(c);
}

/* Sources of `lanes` lanes with `step`: each lane its own buffer ending at
 * its last sample, the samples between NaN (a wrong stride shows). Samples
 * are integers or not, in [0, 255] (what the exact rounding assumes) unless
 * `wide`. */
static float **make_sources(int lanes, int step, int inputs, int integers, int wide, float ***bufs) {
  float **src = malloc(sizeof(float *) * lanes);
  *bufs = malloc(sizeof(float *) * lanes);
  for (int l = 0; l < lanes; l++) {
    int off = irand(0, step - 1);
    size_t len = (size_t)off + (size_t)(inputs - 1) * step + 1;
    float *b = malloc(sizeof(float) * len);
    for (size_t i = 0; i < len; i++) b[i] = NAN;
    src[l] = b + off;
    for (int j = 0; j < inputs; j++)
      src[l][(size_t)j * step] = integers ? (float)irand(0, 255)
                                 : wide   ? 150.0f * frand() + 128.0f
                                          : 127.5f * frand() + 127.5f;
    (*bufs)[l] = b;
  }
  return src;
}

static void free_sources(int lanes, float **src, float **bufs) {
  for (int l = 0; l < lanes; l++) free(bufs[l]);
  free(bufs);
  free(src);
}

/* The horizontal pass of one case through the taps and dense kernels. */
static void check_h(const Kernels *k, const TapsCase *c, const char *what) {
  const int lanes = irand(1, RESAMPLE_MAX_LANES), step = irand(1, 4), integers = irand(0, 3) != 0;
  const PassMode mode = kModes[irand(0, 2)];
  const int n = c->t.out;
  float **bufs, **src = make_sources(lanes, step, c->inputs, integers, mode != PASS_ROUND, &bufs);
  /* references */
  double *ref = malloc(sizeof(double) * (size_t)lanes * n), *mag = malloc(sizeof(double) * (size_t)lanes * n);
  for (int l = 0; l < lanes; l++)
    for (int x = 0; x < n; x++) {
      double s = 0.0, m = 0.0;
      for (int i = 0; i < c->t.count[x]; i++) {
        double term = (double)c->t.w[(size_t)x * c->t.kmax + i] * src[l][(size_t)(c->rel[x] + i) * step];
        s += term;
        m += fabs(term);
      }
      ref[(size_t)l * n + x] = s;
      mag[(size_t)l * n + x] = m;
    }
  const int tile = k->resample_h_dense ? k->resample_tile : 1;
  const int ntiles = (n + tile - 1) / tile;
  /* the gathering taps kernels write npad outputs, the dense ones whole tiles */
  const int taps_written = k->gather_cost > 0.0f ? c->h.npad : n;
  const int width = ntiles * tile > taps_written ? ntiles * tile : taps_written;
  for (int form = 0; form < (k->resample_h_dense ? 2 : 1); form++) {
    float **dst = malloc(sizeof(float *) * lanes);
    float *dbuf = malloc(sizeof(float) * (size_t)lanes * (width + 2 * GUARD_N));
    for (size_t i = 0; i < (size_t)lanes * (width + 2 * GUARD_N); i++) dbuf[i] = GUARD_F;
    for (int l = 0; l < lanes; l++) dst[l] = dbuf + (size_t)l * (width + 2 * GUARD_N) + GUARD_N;
    int written = taps_written;
    const char *fn = "resample_h_taps";
    if (form == 0) {
      k->resample_h_taps(&c->h, step, lanes, (const float *const *)src, dst, mode);
    } else {
      HTiles tiles;
      int *j0 = malloc(sizeof(int) * ntiles), *len = malloc(sizeof(int) * ntiles);
      size_t nw = resample_tiles_floats(&c->t, tile);
      float *w = malloc(sizeof(float) * (nw ? nw : 1));
      resample_tiles(&c->t, tile, c->base, &tiles, j0, len, w);
      CHECK(tiles.ntiles == ntiles && tiles.tile == tile, "%s resample_tiles: %d tiles of %d", k->name, tiles.ntiles,
            tiles.tile);
      /* the span in parts: as a plan gives it to one or two lanes */
      tiles.parts = lanes == 1 ? kParts[irand(0, 2)] : lanes == 2 ? kParts[irand(0, 1)] : 1;
      tiles.taps = &c->h;
      k->resample_h_dense(&tiles, step, lanes, (const float *const *)src, dst, mode);
      free(j0);
      free(len);
      free(w);
      written = ntiles * tile;
      fn = "resample_h_dense";
    }
    int bad = 0;
    for (int l = 0; l < lanes; l++) {
      const float *row = dst[l];
      for (int x = 0; x < n; x++) {
        double r = ref[(size_t)l * n + x], m = mag[(size_t)l * n + x];
        if (!pass_ok(row[x], r, m, mode) && bad++ < 3)
          CHECK(0, "%s %s (%s) n=%d kmax=%d lanes=%d step=%d %s lane %d x=%d: %.7g vs %.9g", k->name, fn, what, n,
                c->t.kmax, lanes, step, mode_name(mode), l, x, row[x], r);
      }
      for (int x = n; x < written; x++)
        if (row[x] != 0.0f && bad++ < 3)
          CHECK(0, "%s %s (%s) n=%d lane %d: padding output %d is %g, not 0", k->name, fn, what, n, l, x, row[x]);
      for (int x = -GUARD_N; x < 0; x++)
        if (row[x] != GUARD_F && bad++ < 3) CHECK(0, "%s %s n=%d lane %d: wrote before the row", k->name, fn, n, l);
      for (int x = written; x < written + GUARD_N; x++)
        if (row[x] != GUARD_F && bad++ < 3)
          CHECK(0, "%s %s (%s) n=%d lane %d: wrote output %d past the %d it should", k->name, fn, what, n, l, x,
                written);
    }
    CHECK(bad == 0, "%s %s (%s) n=%d kmax=%d lanes=%d step=%d %s: %d bad outputs", k->name, fn, what, n, c->t.kmax,
          lanes, step, mode_name(mode), bad);
    free(dst);
    free(dbuf);
  }
  free(ref);
  free(mag);
  free_sources(lanes, src, bufs);
}

static void test_resample_h(const Kernels *k) {
  for (int trial = 0; trial < 1000; trial++) {
    TapsCase c;
    if (trial % 2) random_taps(&c, 0);
    else real_taps(&c, irand(0, 1));
    check_h(k, &c, trial % 2 ? "random taps" : "filter taps");
    taps_case_free(&c);
  }
}

/* PASS_ROUND is Pillow's rounding: 22-bit weights and 8-bit samples,
 * against int64, with many exact ties (weights on coarse grids), through
 * every horizontal form and the vertical pass. */
static int64_t pillow_int(int64_t sum) {
  const int64_t one = (int64_t)1 << PILLOW_PRECISION_BITS;
  int64_t q = sum + one / 2, v = q >= 0 ? q / one : -((-q + one - 1) / one); /* >> 22 is a floor */
  return v < 0 ? 0 : v > 255 ? 255 : v;
}

static void test_round_exact(const Kernels *k) {
  const double one = (double)((int64_t)1 << PILLOW_PRECISION_BITS);
  int ties = 0, bad = 0;
  for (int trial = 0; trial < 600; trial++) {
    TapsCase c;
    if (trial % 2) random_taps(&c, 1);
    else real_taps(&c, 1);
    const int lanes = irand(1, RESAMPLE_MAX_LANES), step = irand(1, 4), n = c.t.out;
    float **bufs, **src = make_sources(lanes, step, c.inputs, 1, 0, &bufs);
    int64_t *want = malloc(sizeof(int64_t) * (size_t)lanes * n);
    for (int l = 0; l < lanes; l++)
      for (int x = 0; x < n; x++) {
        int64_t sum = 0;
        for (int i = 0; i < c.t.count[x]; i++) {
          double wq = (double)c.t.w[(size_t)x * c.t.kmax + i] * one;
          CHECK(wq == floor(wq), "round: weight %d of output %d is not a multiple of 2^-22", i, x);
          sum += (int64_t)wq * (int64_t)src[l][(size_t)(c.rel[x] + i) * step];
        }
        want[(size_t)l * n + x] = pillow_int(sum);
        ties += sum % ((int64_t)1 << 21) == 0 && (sum >> 21) % 2 != 0;
      }
    const int tile = k->resample_h_dense ? k->resample_tile : 1, ntiles = (n + tile - 1) / tile;
    const int width = ntiles * tile > c.h.npad ? ntiles * tile : c.h.npad;
    float *dbuf = malloc(sizeof(float) * (size_t)lanes * width), *dst[RESAMPLE_MAX_LANES];
    for (int l = 0; l < lanes; l++) dst[l] = dbuf + (size_t)l * width;
    for (int form = 0; form < (k->resample_h_dense ? 2 : 1); form++) {
      HTiles tiles;
      int *j0 = malloc(sizeof(int) * ntiles), *len = malloc(sizeof(int) * ntiles);
      size_t nw = resample_tiles_floats(&c.t, tile);
      float *w = malloc(sizeof(float) * (nw ? nw : 1));
      if (form == 0) {
        k->resample_h_taps(&c.h, step, lanes, (const float *const *)src, dst, PASS_ROUND);
      } else {
        resample_tiles(&c.t, tile, c.base, &tiles, j0, len, w);
        tiles.parts = lanes == 1 ? kParts[irand(0, 2)] : lanes == 2 ? kParts[irand(0, 1)] : 1;
        tiles.taps = &c.h;
        k->resample_h_dense(&tiles, step, lanes, (const float *const *)src, dst, PASS_ROUND);
      }
      for (int l = 0; l < lanes; l++)
        for (int x = 0; x < n; x++)
          if (dst[l][x] != (float)want[(size_t)l * n + x] && bad++ < 5)
            CHECK(0, "%s %s PASS_ROUND n=%d lanes=%d step=%d lane %d x=%d: %g, Pillow %lld", k->name,
                  form ? "resample_h_dense" : "resample_h_taps", n, lanes, step, l, x, dst[l][x],
                  (long long)want[(size_t)l * n + x]);
      free(j0);
      free(len);
      free(w);
    }
    free(dbuf);
    free(want);
    free_sources(lanes, src, bufs);
    taps_case_free(&c);
  }
  /* the vertical pass on the same kind of sums */
  for (int trial = 0; trial < 300; trial++) {
    const int taps = irand(1, 40), n = 16 * irand(1, 40), bits = irand(1, 22);
    float **rows = malloc(sizeof(float *) * taps), *w = malloc(sizeof(float) * taps);
    for (int t = 0; t < taps; t++) {
      rows[t] = malloc(sizeof(float) * n);
      for (int x = 0; x < n; x++) rows[t][x] = (float)irand(0, 255);
      w[t] = (float)ldexp((double)irand(-(1 << bits), 1 << bits), -bits) * (irand(0, 1) ? 1.0f : 2.0f / taps);
      w[t] = (float)(nearbyint(w[t] * one) / one);
    }
    float *out = malloc(sizeof(float) * n);
    k->resample_v((const float *const *)rows, w, taps, n, PASS_ROUND, near_of(w, taps, NULL, 1), out);
    for (int x = 0; x < n; x++) {
      int64_t sum = 0;
      for (int t = 0; t < taps; t++) sum += (int64_t)((double)w[t] * one) * (int64_t)rows[t][x];
      ties += sum % ((int64_t)1 << 21) == 0 && (sum >> 21) % 2 != 0;
      if (out[x] != (float)pillow_int(sum) && bad++ < 5)
        CHECK(0, "%s resample_v PASS_ROUND taps=%d x=%d: %g, Pillow %lld", k->name, taps, x, out[x],
              (long long)pillow_int(sum));
    }
    for (int t = 0; t < taps; t++) free(rows[t]);
    free(rows);
    free(w);
    free(out);
  }
  CHECK(bad == 0, "%s PASS_ROUND: %d outputs differ from Pillow's", k->name, bad);
  CHECK(ties > 1000, "%s PASS_ROUND: only %d exact ties were tried", k->name, ties);
}

static void test_resample_v(const Kernels *k) {
  for (int trial = 0; trial < 250; trial++) {
    const int taps = trial < 60 ? trial + 1 : irand(1, 60), n = trial == 0 ? 0 : 16 * irand(1, 128);
    const int integers = irand(0, 1);
    const double wscale = irand(0, 1) ? 1.0 : 2.0 / taps;
    const PassMode mode = kModes[trial % 3];
    float **rows = malloc(sizeof(float *) * taps), *w = malloc(sizeof(float) * taps);
    for (int t = 0; t < taps; t++) {
      /* each row its own block, exactly n floats: a read past n trips ASan */
      rows[t] = malloc(sizeof(float) * (n ? n : 1));
      for (int x = 0; x < n; x++)
        rows[t][x] = integers             ? (float)irand(0, 255)
                     : mode == PASS_ROUND ? 127.5f * frand() + 127.5f
                                          : 150.0f * frand() + 128.0f;
      w[t] = (float)(frand() * wscale);
    }
    float *obuf = malloc(sizeof(float) * ((size_t)n + 2 * GUARD_N)), *out = obuf + GUARD_N;
    for (int i = 0; i < n + 2 * GUARD_N; i++) obuf[i] = GUARD_F;
    k->resample_v((const float *const *)rows, w, taps, n, mode, near_of(w, taps, NULL, 1), out);
    int bad = 0;
    for (int x = 0; x < n; x++) {
      double s = 0.0, m = 0.0;
      for (int t = 0; t < taps; t++) {
        double term = (double)w[t] * rows[t][x];
        s += term;
        m += fabs(term);
      }
      if (!pass_ok(out[x], s, m, mode) && bad++ < 3)
        CHECK(0, "%s resample_v taps=%d n=%d %s x=%d: %.7g vs %.9g", k->name, taps, n, mode_name(mode), x, out[x], s);
    }
    for (int i = 0; i < GUARD_N; i++) {
      if (obuf[i] != GUARD_F && bad++ < 3) CHECK(0, "%s resample_v n=%d wrote before out", k->name, n);
      if (out[n + i] != GUARD_F && bad++ < 3) CHECK(0, "%s resample_v n=%d wrote out[%d]", k->name, n, n + i);
    }
    CHECK(bad == 0, "%s resample_v taps=%d n=%d %s: %d bad", k->name, taps, n, mode_name(mode), bad);
    for (int t = 0; t < taps; t++) free(rows[t]);
    free(rows);
    free(w);
    free(obuf);
  }
}

/* store_rgb / store_yuv: n outputs, planar or interleaved, guards around. */
static void test_store(const Kernels *k) {
  for (int trial = 0; trial < 600; trial++) {
    const int yuv = trial % 2, nhwc = trial / 2 % 2;
    const int n = trial < 200 ? trial / 4 + 1 : irand(1, 300);
    const ptrdiff_t cs = n + irand(0, 40);
    float *comp[3], scale[3], shift[3], m[12];
    for (int c = 0; c < 3; c++) {
      comp[c] = malloc(sizeof(float) * n); /* exactly n: a read past trips ASan */
      for (int x = 0; x < n; x++) comp[c][x] = yuv ? (float)irand(0, 255) + 0.25f * frand() : 300.0f * frand() + 128.0f;
      scale[c] = 0.05f * frand();
      shift[c] = 3.0f * frand();
    }
    for (int i = 0; i < 12; i++) m[i] = i % 4 == 3 ? 300.0f * frand() : 2.0f * frand();
    const size_t span = nhwc ? 3 * (size_t)n : 3 * (size_t)cs;
    float *buf = malloc(sizeof(float) * (span + 2 * GUARD_N)), *dst = buf + GUARD_N;
    for (size_t i = 0; i < span + 2 * GUARD_N; i++) buf[i] = GUARD_F;
    if (yuv) k->store_yuv((const float *const *)comp, n, m, scale, shift, dst, cs, nhwc);
    else k->store_rgb((const float *const *)comp, n, scale, shift, dst, cs, nhwc);
    int bad = 0;
    for (int x = 0; x < n; x++)
      for (int c = 0; c < 3; c++) {
        double v = comp[c][x];
        if (yuv) {
          const float *r = m + 4 * c;
          double y = comp[0][x], u = comp[1][x], vv = comp[2][x];
          double s = (double)r[0] * y + (double)r[1] * u + (double)r[2] * vv + r[3];
          double mg = fabs(r[0] * y) + fabs(r[1] * u) + fabs(r[2] * vv) + fabs(r[3]);
          /* the clamp sees the sum within its float error: 1e-5 of the terms */
          v = clamp255_d(s);
          double want = v * scale[c] + shift[c];
          float got = dst[nhwc ? 3 * x + c : c * cs + x];
          double tol = 1e-5 * (mg * fabs(scale[c]) + fabs(v * scale[c]) + fabs(shift[c]));
          if (!(fabs(got - want) <= tol) && bad++ < 3)
            CHECK(0, "%s store_yuv n=%d nhwc=%d x=%d c=%d: %.9g vs %.9g", k->name, n, nhwc, x, c, got, want);
        } else {
          double want = v * scale[c] + shift[c];
          float got = dst[nhwc ? 3 * x + c : c * cs + x];
          double tol = 1e-5 * (fabs(v * scale[c]) + fabs(shift[c])) + 1e-30;
          if (!(fabs(got - want) <= tol) && bad++ < 3)
            CHECK(0, "%s store_rgb n=%d nhwc=%d x=%d c=%d: %.9g vs %.9g", k->name, n, nhwc, x, c, got, want);
        }
      }
    for (size_t i = 0; i < span + 2 * GUARD_N; i++) {
      size_t at = i - GUARD_N; /* wraps for the guard before */
      int inside = i >= GUARD_N && at < span && (nhwc || (ptrdiff_t)(at % cs) < n);
      if (!inside && buf[i] != GUARD_F && bad++ < 3)
        CHECK(0, "%s store_%s n=%d nhwc=%d chan_stride=%td wrote float %td of the buffer (outside the row)", k->name,
              yuv ? "yuv" : "rgb", n, nhwc, cs, (ptrdiff_t)i - GUARD_N);
    }
    CHECK(bad == 0, "%s store_%s n=%d nhwc=%d: %d bad", k->name, yuv ? "yuv" : "rgb", n, nhwc, bad);
    for (int c = 0; c < 3; c++) free(comp[c]);
    free(buf);
  }
}

int main(void) {
  static const EffnetIsa isas[] = {EFFNET_ISA_SCALAR, EFFNET_ISA_AVX2, EFFNET_ISA_AVX512, EFFNET_ISA_NEON};
  int tested = 0;
  for (size_t i = 0; i < sizeof isas / sizeof isas[0]; i++) {
    const Kernels *k = effnet_kernels_for(isas[i]);
    if (!k) {
      printf("%-7s not supported on this CPU/build: skipped\n", effnet_isa_name(isas[i]));
      continue;
    }
    int before = failures;
    test_ukernel(k);
    test_dwconv(k);
    test_vact(k, isas[i]);
    test_scale(k);
    test_driver(k, 1);
    test_driver(k, 3);
    test_unpack(k);
    test_resample_h(k);
    test_resample_v(k);
    test_round_exact(k);
    test_store(k);
    printf("%-7s %s\n", k->name, failures == before ? "ok" : "FAILED");
    tested++;
  }
  printf("%d checks, %d failures, %d dispatch paths\n", checks, failures, tested);
  return failures || tested == 0 ? 1 : 0;
}
