/* layers.c — time every layer shape of a variant in isolation (1x1 GEMMs with
 * their fused epilogues, depthwise convs) and print ms and GFLOP/s, to see
 * where the time of a forward pass goes and how far each kernel is from peak.
 *
 *   build/bench/effnet-layers b0 [threads] [isa]
 */
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "effnet.h"
#include "gemm.h"
#include "kernels.h"
#include "model.h"

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec * 1e-6;
}

typedef struct {
  double ms[64];
  int n;
} Samples;

static int cmp(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static double median(Samples *s) {
  qsort(s->ms, (size_t)s->n, sizeof(double), cmp);
  return s->ms[s->n / 2];
}

static double time_gemm(const EffnetModel *m, const PackedGemm *w, int size, Activation act, int threads, int reps,
                        float *rows) {
  int K = w->K, N = w->N;
  float *a = model_alloc_floats((size_t)size * size * K), *c = model_alloc_floats((size_t)size * size * N);
  for (size_t i = 0; i < (size_t)size * size * K; i++) a[i] = (float)((i * 7919) % 1000) / 1000.0f - 0.5f;
  View va = {a, size, size, K, (ptrdiff_t)size * K, (ptrdiff_t)size * size * K};
  View vc = {c, size, size, N, (ptrdiff_t)size * N, (ptrdiff_t)size * size * N};
  GemmJob job = {.n = 1, .a = &va, .w = w, .act = act, .c = &vc};
  Samples s = {.n = 0};
  for (int r = 0; r < reps + 2; r++) {
    double t = now_ms();
#pragma omp parallel num_threads(threads)
    gemm_job_share(m->kern, &job, rows + (size_t)omp_get_thread_num() * m->kern->mr * 4096, omp_get_thread_num(),
                   omp_get_num_threads());
    if (r >= 2 && s.n < 64) s.ms[s.n++] = now_ms() - t;
  }
  free(a);
  free(c);
  return median(&s);
}

static double time_dw(const EffnetModel *m, const Block *b, int threads, int reps) {
  const BlockGeom *g = &b->geom;
  int C = b->spec.exp_ch, Wp = g->in_size + g->pad_l + g->pad_r, Hp = g->in_size + g->pad_t + g->pad_b;
  int Ho = g->out_size;
  float *in = model_alloc_floats((size_t)Hp * Wp * C), *out = model_alloc_floats((size_t)Ho * Ho * C);
  float *pool = model_alloc_floats((size_t)threads * C);
  for (size_t i = 0; i < (size_t)Hp * Wp * C; i++) in[i] = (float)((i * 7919) % 1000) / 1000.0f - 0.5f;
  DwconvArgs a = {.out_w = Ho,
                  .c = C,
                  .k = b->spec.kernel,
                  .stride = b->spec.stride,
                  .w = b->dw.w,
                  .bias = b->dw.bias,
                  .act = ACT_SILU};
  Samples s = {.n = 0};
  for (int r = 0; r < reps + 2; r++) {
    double t = now_ms();
#pragma omp parallel num_threads(threads)
    {
      float *p = pool + (size_t)omp_get_thread_num() * C;
#pragma omp for schedule(static)
      for (int y = 0; y < Ho; y++) {
        const float *rows[5];
        for (int ky = 0; ky < a.k; ky++) rows[ky] = in + (size_t)(y * a.stride + ky) * Wp * C;
        m->kern->dwconv(&a, rows, out + (size_t)y * Ho * C, p);
      }
    }
    if (r >= 2 && s.n < 64) s.ms[s.n++] = now_ms() - t;
  }
  free(in);
  free(out);
  free(pool);
  return median(&s);
}

int main(int argc, char **argv) {
  int variant = argc > 1 ? effnet_variant_from_name(argv[1]) : 0;
  int threads = argc > 2 ? atoi(argv[2]) : 1;
  EffnetOptions opt;
  effnet_options_init(&opt);
  if (argc > 3)
    opt.isa = !strcmp(argv[3], "avx2")     ? EFFNET_ISA_AVX2
              : !strcmp(argv[3], "scalar") ? EFFNET_ISA_SCALAR
                                           : EFFNET_ISA_AVX512;
  char err[EFFNET_ERRLEN];
  EffnetModel *m = effnet_model_random(variant < 0 ? 0 : variant, 1000, 1, &opt, err, sizeof err);
  if (!m) {
    fprintf(stderr, "%s\n", err);
    return 1;
  }
  int reps = 15;
  float *rows = model_alloc_floats((size_t)threads * m->kern->mr * 4096);
  double tot_gemm = 0, tot_dw = 0, flops_gemm = 0, flops_dw = 0;
  printf("%-28s %8s %8s\n", "layer", "ms", "GFLOP/s");
  for (int i = 0; i < m->arch.num_blocks; i++) {
    const Block *b = &m->blocks[i];
    const BlockSpec *s = &b->spec;
    char name[64];
    if (s->expand != 1) {
      double ms = time_gemm(m, &b->expand, b->geom.in_size, ACT_SILU, threads, reps, rows);
      double f = 2.0 * b->geom.in_size * b->geom.in_size * s->in_ch * s->exp_ch;
      snprintf(name, sizeof name, "b%d expand %dx%d %d>%d", i, b->geom.in_size, b->geom.in_size, s->in_ch, s->exp_ch);
      printf("%-28s %8.3f %8.1f\n", name, ms, f / ms / 1e6);
      tot_gemm += ms;
      flops_gemm += f;
    }
    double ms = time_dw(m, b, threads, reps);
    double f = 2.0 * b->geom.out_size * b->geom.out_size * s->exp_ch * s->kernel * s->kernel;
    snprintf(name, sizeof name, "b%d dw%d s%d %dx%d c%d", i, s->kernel, s->stride, b->geom.out_size, b->geom.out_size,
             s->exp_ch);
    printf("%-28s %8.3f %8.1f\n", name, ms, f / ms / 1e6);
    tot_dw += ms;
    flops_dw += f;
    ms = time_gemm(m, &b->project, b->geom.out_size, ACT_NONE, threads, reps, rows);
    f = 2.0 * b->geom.out_size * b->geom.out_size * s->exp_ch * s->out_ch;
    snprintf(name, sizeof name, "b%d project %dx%d %d>%d", i, b->geom.out_size, b->geom.out_size, s->exp_ch, s->out_ch);
    printf("%-28s %8.3f %8.1f\n", name, ms, f / ms / 1e6);
    tot_gemm += ms;
    flops_gemm += f;
  }
  double ms = time_gemm(m, &m->head, m->head_size, ACT_SILU, threads, reps, rows);
  double f = 2.0 * m->head_size * m->head_size * m->head.K * m->head.N;
  printf("%-28s %8.3f %8.1f\n", "head", ms, f / ms / 1e6);
  tot_gemm += ms;
  flops_gemm += f;
  printf("total 1x1: %.3f ms (%.1f GFLOP/s), depthwise: %.3f ms (%.1f GFLOP/s)\n", tot_gemm,
         flops_gemm / tot_gemm / 1e6, tot_dw, flops_dw / tot_dw / 1e6);
  free(rows);
  effnet_model_free(m);
  return 0;
}
