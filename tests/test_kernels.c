/* test_kernels.c — every kernel of every dispatch path this CPU supports
 * against a plain scalar reference written here, on random shapes including
 * the edges: odd channel counts (masked tails), widths that are not a multiple
 * of the output block, stride 2, both paddings, partial row tiles, residuals.
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
    for (int i = 0; i < MR * ldc; i++) { res[i] = frand(); c[i] = 1234.5f; }
    float *c_rows[GEMM_MR_MAX];
    const float *r_rows[GEMM_MR_MAX];
    for (int i = 0; i < MR; i++) { c_rows[i] = c + i * ldc; r_rows[i] = res + i * ldc; }
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
    free(a); free(b); free(bias); free(c); free(res);
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
    for (int c = 0; c < C; c++) { bias[c] = frand(); pool[c] = 0.5f; }
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
          CHECK(close_enough(got, ref, mag), "%s dwconv C=%d k=%d s=%d Wo=%d act=%d (y%d x%d c%d): %g vs %g",
                k->name, C, ks, s, Wo, act, y, x, c, got, ref);
          psum += ref;
          pmag += fabs(ref) + mag;
        }
      }
      CHECK(close_enough(pool[c], psum, pmag), "%s dwconv pool C=%d k=%d s=%d c=%d: %g vs %g", k->name, C, ks, s,
            c, pool[c], psum);
    }
    CHECK(pool[C] == 777.0f, "%s dwconv pool wrote past channel %d", k->name, C);
    free(in); free(w); free(bias); free(out); free(pool);
  }
}

/* ---- activations ---- */
static void test_vact(const Kernels *k) {
  float *x = falloc(1000), *y = falloc(1000);
  for (int act = 0; act < 3; act++) {
    int n = 0;
    for (float v = -120.0f; v <= 120.0f; v += 0.37f) x[n++] = v;
    x[n++] = 0.0f;
    x[n++] = -0.0f;
    x[n++] = 1e-30f;
    k->vact(x, y, (size_t)n, (Activation)act);
    for (int i = 0; i < n; i++) {
      double ref = act_d(x[i], (Activation)act);
      CHECK(fabs(y[i] - ref) <= 4e-7 * fabs(ref) + 1e-30, "%s act %d at x=%g: %.9g vs %.9g", k->name, act, x[i],
            y[i], ref);
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
    for (size_t i = 0; i < rows * 16; i++) { b[i] = frand(); out[i] = 5.0f; }
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
    free(b); free(out); free(gate); free(x); free(x0);
  }
}

/* ---- GEMM driver: dense and bordered views, batches, residual, im2col ---- */
static float *at(const View *v, int n, int y, int x) {
  return v->data + n * v->img + y * v->row + (ptrdiff_t)x * v->c;
}

static View padded(float *buf, int n_img, int h, int w, int c, int pt, int pl, int pb, int pr) {
  (void)n_img;
  View v;
  v.h = h; v.w = w; v.c = c;
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
    for (int j = 0; j < N; j++) { packed_gemm_set_column(&g, j, wt + j * K, 1, 1.0f); g.bias[j] = frand(); }
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
    GemmJob job = {.n = n, .a = im2col ? NULL : &a, .src = &srcv, .stride = stride,
                   .pad_t = pt, .pad_l = pl, .w = &g, .act = act, .c = &c, .res = use_res ? &r : NULL};
    float *pack = falloc((size_t)threads * k->mr * (K > 27 ? K : 27));
#pragma omp parallel num_threads(threads)
    gemm_job_run(k, &job, pack + (size_t)omp_get_thread_num() * k->mr * (K > 27 ? K : 27));
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
                av = (yy >= 0 && yy < src && xx >= 0 && xx < src) ? img[((size_t)i * 3 + ch) * src * src + yy * src + xx] : 0.0;
              } else {
                av = at(&a, i, y, x)[kk];
              }
              double t = av * wt[j * K + kk];
              s += t;
              mag += fabs(t);
            }
            double ref = act_d(s, act) + (use_res ? at(&r, i, y, x)[j] : 0.0);
            float got = at(&c, i, y, x)[j];
            CHECK(close_enough(got, ref, mag), "%s driver n=%d %dx%d pad=%d K=%d N=%d im2col=%d res=%d thr=%d: %g vs %g",
                  k->name, n, h, w, pad, K, N, im2col, use_res, threads, got, ref);
          }
    /* the border of the padded output must be untouched */
    for (size_t i = 0; i < csz; i++) {
      size_t pix = i / N, per_img = (size_t)(h + 2 * pad) * (w + 2 * pad), q = pix % per_img;
      int py = (int)(q / (w + 2 * pad)), px = (int)(q % (w + 2 * pad));
      if (py < pad || py >= pad + h || px < pad || px >= pad + w)
        CHECK(cbuf[i] == 99.0f, "%s driver wrote into the border", k->name);
    }
    packed_gemm_free(&g);
    free(wt); free(abuf); free(cbuf); free(rbuf); free(img); free(nhwc); free(pack);
  }
}

int main(void) {
  static const EffnetIsa isas[] = {EFFNET_ISA_SCALAR, EFFNET_ISA_AVX2, EFFNET_ISA_AVX512};
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
    test_vact(k);
    test_scale(k);
    test_driver(k, 1);
    test_driver(k, 3);
    printf("%-7s %s\n", k->name, failures == before ? "ok" : "FAILED");
    tested++;
  }
  printf("%d checks, %d failures, %d dispatch paths\n", checks, failures, tested);
  return failures || tested == 0 ? 1 : 0;
}
