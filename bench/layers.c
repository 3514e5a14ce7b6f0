/* layers.c — where a forward pass spends its time, by layer kind and layer,
 * in GFLOP/s and as a share of the machine's FMA peak (issue 8); and every
 * 1x1 convolution shape on its own, our GEMM next to OpenBLAS's sgemm when
 * the engine was built with it.
 *
 *   build/bench/effnet-layers VARIANT [--threads N] [--isa scalar|avx2|avx512] [--batch N]
 *                                     [--runs R] [--peak GFLOPS] [--clock wall|cpu] [--layers] [--shapes]
 *
 * The profile (default) runs whole forward passes with the workspace's
 * profile set (nn/profile.h): thread 0 notes the time at every point where an
 * op of the graph ends, so each op's time is what it costs in the real pass,
 * the wait for the team's slowest thread included. It prints one row per
 * layer kind (stem, expand, depthwise, streamed expand+depthwise, SE, gate,
 * project, head, pool, classifier) and, with --layers, one per op.
 * FLOP = 2 x multiply-adds (the paper's 0.39 G multiply-adds of B0 = 0.78
 * GFLOP); an elementwise multiply or add counts 1. --peak: the FMA peak from
 * build/bench/effnet-fmapeak for the same thread count, to print % of peak.
 * With --peak it also prints each kind's floor: its FMAs at the peak plus its
 * activation outputs (SiLU, sigmoid) at what this ISA's own activation kernel
 * costs per float alone in L1 (measured at start) — the time no schedule of
 * these kernels' instructions could beat without cheaper activations.
 * --clock cpu: CPU time instead of wall-clock time (thread 0's for the ops,
 * the process's for the whole pass): on 1 thread, what each op costs even
 * while other programs share the core; with a team it counts spin waits.
 *
 * --shapes times each 1x1 GEMM shape of the variant in isolation (M =
 * pixels, K, N, with its fused epilogue), median of R runs: our kernels and,
 * in a build with the OpenBLAS backend (meson -Dblas=openblas), the same job
 * through cblas_sgemm with the epilogue after it (nn/gemm-blas.h), each
 * thread its share of the rows as in the engine. */
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "effnet.h"
#include "gemm-blas.h"
#include "gemm.h"
#include "kernels.h"
#include "model.h"
#include "profile.h"

typedef struct {
  int variant, threads, batch, runs, layers, shapes, cpu_clock;
  double peak;
  EffnetIsa isa;
} Args;

static int g_cpu_clock; /* --clock cpu */

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(g_cpu_clock ? CLOCK_PROCESS_CPUTIME_ID : CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec * 1e-6;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static double median(double *v, int n) {
  qsort(v, (size_t)n, sizeof(double), cmp_double);
  return v[n / 2];
}

static int usage(const char *why) {
  if (why) fprintf(stderr, "effnet-layers: %s\n", why);
  fprintf(stderr, "usage: effnet-layers VARIANT [--threads N] [--isa scalar|avx2|avx512] [--batch N] [--runs R]\n"
                  "                     [--peak GFLOPS] [--clock wall|cpu] [--layers] [--shapes]\n");
  return 2;
}

static int parse_args(int argc, char **argv, Args *a) {
  *a = (Args){.variant = -1, .threads = 1, .batch = 1, .runs = 20, .isa = EFFNET_ISA_AUTO};
  for (int i = 1; i < argc; i++) {
    const char *k = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (!strcmp(k, "--layers")) {
      a->layers = 1;
    } else if (!strcmp(k, "--shapes")) {
      a->shapes = 1;
    } else if (!strncmp(k, "--", 2)) {
      if (!v) return usage("an option needs a value");
      i++;
      if (!strcmp(k, "--threads")) {
        a->threads = atoi(v);
      } else if (!strcmp(k, "--batch")) {
        a->batch = atoi(v);
      } else if (!strcmp(k, "--runs")) {
        a->runs = atoi(v);
      } else if (!strcmp(k, "--clock")) {
        if (strcmp(v, "wall") && strcmp(v, "cpu")) return usage("--clock is wall or cpu");
        a->cpu_clock = !strcmp(v, "cpu");
      } else if (!strcmp(k, "--peak")) {
        a->peak = atof(v);
      } else if (!strcmp(k, "--isa")) {
        a->isa = !strcmp(v, "scalar")   ? EFFNET_ISA_SCALAR
                 : !strcmp(v, "avx2")   ? EFFNET_ISA_AVX2
                 : !strcmp(v, "avx512") ? EFFNET_ISA_AVX512
                                        : (EffnetIsa)-1;
        if ((int)a->isa < 0) return usage("--isa is scalar, avx2 or avx512");
      } else {
        return usage("unknown option");
      }
    } else if (a->variant < 0) {
      a->variant = effnet_variant_from_name(k);
      if (a->variant < 0) return usage("VARIANT is b0 .. b7");
    } else {
      return usage("one variant only");
    }
  }
  if (a->variant < 0) return usage(NULL);
  if (a->threads < 1 || a->threads > 1024 || a->batch < 1 || a->batch > 256 || a->runs < 1 || a->runs > 100000)
    return usage("--threads 1..1024, --batch 1..256, --runs 1..100000");
  return 0;
}

/* ---- FLOP per image of each op (2 per multiply-add) ---- */

static double op_flops(const EffnetModel *m, int layer, OpKind k) {
  if (layer == PROFILE_STEM_LAYER) {
    if (k == OP_STEM) return 2.0 * m->stem_out * m->stem_out * m->stem.K * m->stem.N;
    return 0;
  }
  int i = layer - PROFILE_BLOCK0;
  if (i == m->arch.num_blocks) {
    double hw = (double)m->head_size * m->head_size;
    if (k == OP_HEAD) return 2.0 * hw * m->head.K * m->head.N;
    if (k == OP_POOL) return hw * m->head.N;
    if (k == OP_CLASSIFIER) return 2.0 * m->classifier.K * m->classifier.N;
    return 0;
  }
  const Block *b = &m->blocks[i];
  const BlockSpec *s = &b->spec;
  double in = (double)b->geom.in_size * b->geom.in_size, out = (double)b->geom.out_size * b->geom.out_size;
  double expand = s->expand != 1 ? 2.0 * in * s->in_ch * s->exp_ch : 0;
  double dw = 2.0 * out * s->exp_ch * s->kernel * s->kernel;
  switch (k) {
    case OP_EXPAND: return expand;
    case OP_DWCONV: return dw;
    case OP_EXPAND_DW: return expand + dw;
    case OP_SE: return 2.0 * 2.0 * s->exp_ch * s->se_ch;
    case OP_GATE: {
      double npad = (double)(s->out_ch + GEMM_NR - 1) / GEMM_NR * GEMM_NR;
      return out < npad ? out * s->exp_ch : (double)s->exp_ch * npad;
    }
    case OP_PROJECT: return 2.0 * out * s->exp_ch * s->out_ch;
    default: return 0;
  }
}

/* Activation outputs per image of each op: every stem, expand, depthwise and
 * head output goes through a SiLU; the SE path's are negligible and left out. */
static double op_acts(const EffnetModel *m, int layer, OpKind k) {
  if (layer == PROFILE_STEM_LAYER) return k == OP_STEM ? (double)m->stem_out * m->stem_out * m->stem.N : 0;
  int i = layer - PROFILE_BLOCK0;
  if (i == m->arch.num_blocks) return k == OP_HEAD ? (double)m->head_size * m->head_size * m->head.N : 0;
  const Block *b = &m->blocks[i];
  const BlockSpec *s = &b->spec;
  double expand = s->expand != 1 ? (double)b->geom.in_size * b->geom.in_size * s->exp_ch : 0;
  double dw = (double)b->geom.out_size * b->geom.out_size * s->exp_ch;
  switch (k) {
    case OP_EXPAND: return expand;
    case OP_DWCONV: return dw;
    case OP_EXPAND_DW: return expand + dw;
    default: return 0;
  }
}

/* ns per float of this ISA's SiLU alone: the kernels' vact over 4096 floats
 * held in L1, best of 50 timed batches (wall clock, one thread). */
static double silu_ns(const EffnetModel *m) {
  enum { N = 4096, REPS = 200 };
  static float x[N], y[N];
  VactFn f = m->kern->vact ? m->kern->vact : effnet_vact_scalar;
  double best = 1e30;
  struct timespec t0, t1;
  for (int i = 0; i < N; i++) x[i] = (float)(i % 200 - 100) * 0.05f;
  for (int b = 0; b < 50; b++) {
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (int r = 0; r < REPS; r++) f(x, y, N, ACT_SILU);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double ns = ((t1.tv_sec - t0.tv_sec) * 1e9 + (t1.tv_nsec - t0.tv_nsec)) / ((double)N * REPS);
    if (ns < best) best = ns;
  }
  return best;
}

static void op_name(const EffnetModel *m, int layer, OpKind k, char *buf, size_t len) {
  if (layer == PROFILE_STEM_LAYER) {
    snprintf(buf, len, "%s %dx%d 3>%d", profile_kind_name(k), m->stem_out, m->stem_out, m->stem.N);
    return;
  }
  int i = layer - PROFILE_BLOCK0;
  if (i == m->arch.num_blocks) {
    snprintf(buf, len, "%s %dx%d %d>%d", profile_kind_name(k), m->head_size, m->head_size,
             k == OP_CLASSIFIER ? m->classifier.K : m->head.K, k == OP_CLASSIFIER ? m->classifier.N : m->head.N);
    return;
  }
  const Block *b = &m->blocks[i];
  const BlockSpec *s = &b->spec;
  switch (k) {
    case OP_EXPAND:
      snprintf(buf, len, "b%d expand %dx%d %d>%d", i, b->geom.in_size, b->geom.in_size, s->in_ch, s->exp_ch);
      break;
    case OP_DWCONV:
    case OP_EXPAND_DW:
      snprintf(buf, len, "b%d %s%d s%d %dx%d c%d", i, k == OP_DWCONV ? "dw" : "expand+dw", s->kernel, s->stride,
               b->geom.out_size, b->geom.out_size, s->exp_ch);
      break;
    case OP_PROJECT:
      snprintf(buf, len, "b%d project %dx%d %d>%d", i, b->geom.out_size, b->geom.out_size, s->exp_ch, s->out_ch);
      break;
    default: snprintf(buf, len, "b%d %s c%d", i, profile_kind_name(k), s->exp_ch);
  }
}

/* floor_ms < 0: no floor (no --peak). */
static void print_row(const char *name, double ms, double mflop, double total_ms, double peak, double floor_ms) {
  double gflops = ms > 0 ? mflop / ms : 0; /* MFLOP / ms = GFLOP/s */
  printf("%-30s %9.3f %6.1f%% %9.1f %8.1f", name, ms, 100.0 * ms / total_ms, mflop, gflops);
  if (peak > 0) printf(" %6.1f%%", 100.0 * gflops / peak);
  if (floor_ms >= 0) printf(" %9.3f %6.1f%%", floor_ms, ms > 0 ? 100.0 * floor_ms / ms : 0);
  printf("\n");
}

static void print_header(const char *first, double peak) {
  printf("%-30s %9s %7s %9s %8s%s\n", first, "ms/image", "time", "MFLOP", "GFLOP/s",
         peak > 0 ? "  % peak  floor ms  % floor" : "");
}

static int profile(const EffnetModel *m, const Args *a) {
  char err[EFFNET_ERRLEN];
  const EffnetInfo *info = effnet_model_info(m);
  int S = info->input_size, B = a->batch;
  EffnetWorkspace *ws = effnet_workspace_new(m, B, a->threads, err, sizeof err);
  float *x = malloc(sizeof(float) * (size_t)B * 3 * S * S), *logits = malloc(sizeof(float) * B * info->num_classes);
  EffnetProfile *p = calloc(1, sizeof *p);
  if (p) p->cpu_clock = a->cpu_clock;
  double *plain = malloc(sizeof(double) * (size_t)a->runs);
  if (!ws || !x || !logits || !p || !plain) {
    fprintf(stderr, "effnet-layers: %s\n", ws ? "out of memory" : err);
    return 1;
  }
  uint32_t r = 12345;
  for (size_t i = 0; i < (size_t)B * 3 * S * S; i++) {
    r = r * 1664525u + 1013904223u;
    x[i] = (float)(r >> 8) / 16777216.0f * 4.0f - 2.0f;
  }
  for (int i = 0; i < 3; i++) effnet_forward(m, ws, x, B, logits, NULL, 0); /* warm up */
  /* Plain passes and profiled passes alternate, so both see the same machine. */
  for (int i = 0; i < a->runs; i++) {
    double t = now_ms();
    effnet_forward(m, ws, x, B, logits, NULL, 0);
    plain[i] = (now_ms() - t) / B;
    effnet_workspace_set_profile(ws, p);
    effnet_forward(m, ws, x, B, logits, NULL, 0);
    effnet_workspace_set_profile(ws, NULL);
  }
  const int nlayers = PROFILE_BLOCK0 + m->arch.num_blocks + 1;
  const double per = 1.0 / ((double)p->passes * B); /* summed ms -> ms per image */
  /* floor of an op: FMAs at the team's peak, activations at silu_ns each, shared by the team */
  const double act_ns = a->peak > 0 ? silu_ns(m) : 0;
#define OP_FLOOR(l, k)                                                                                                 \
  (a->peak > 0 ? op_flops(m, l, k) / 1e6 / a->peak + op_acts(m, l, k) * act_ns * 1e-6 / a->threads : -1.0)
  double kind_ms[OP_KINDS] = {0}, kind_mflop[OP_KINDS] = {0}, kind_floor[OP_KINDS] = {0};
  double total_ms = 0, total_mflop = 0, total_floor = 0, total_acts = 0;
  for (int l = 0; l < nlayers; l++)
    for (int k = 0; k < OP_KINDS; k++) {
      if (p->ms[l][k] == 0) continue; /* an op this layer does not have (or the other of two paths) */
      kind_ms[k] += p->ms[l][k] * per;
      kind_mflop[k] += op_flops(m, l, (OpKind)k) / 1e6;
      kind_floor[k] += OP_FLOOR(l, (OpKind)k);
      total_acts += op_acts(m, l, (OpKind)k);
    }
  for (int k = 0; k < OP_KINDS; k++) {
    total_ms += kind_ms[k];
    total_mflop += kind_mflop[k];
    total_floor += kind_floor[k];
  }
  double plain_ms = median(plain, a->runs);
  printf("EfficientNet-%s %dx%d, %s kernels, %d thread%s, batch %d, %d profiled passes (alternating with %d plain), "
         "%s time\n",
         effnet_variant_name(info->variant), S, S, effnet_isa_name(info->isa), a->threads, a->threads == 1 ? "" : "s",
         B, p->passes, a->runs, a->cpu_clock ? "CPU" : "wall-clock");
  if (a->layers) {
    print_header("op", a->peak);
    for (int l = 0; l < nlayers; l++)
      for (int k = 0; k < OP_KINDS; k++) {
        if (p->ms[l][k] == 0) continue;
        char name[64];
        op_name(m, l, (OpKind)k, name, sizeof name);
        print_row(name, p->ms[l][k] * per, op_flops(m, l, (OpKind)k) / 1e6, total_ms, a->peak, OP_FLOOR(l, (OpKind)k));
      }
    printf("\n");
  }
  print_header("layer kind", a->peak);
  for (int k = 0; k < OP_KINDS; k++)
    if (kind_ms[k] > 0)
      print_row(profile_kind_name((OpKind)k), kind_ms[k], kind_mflop[k], total_ms, a->peak,
                a->peak > 0 ? kind_floor[k] : -1.0);
  print_row("whole pass (profiled)", total_ms, total_mflop, total_ms, a->peak, a->peak > 0 ? total_floor : -1.0);
#undef OP_FLOOR
  printf("whole pass, not profiled: %.3f ms/image (median of %d), %.1f GFLOP/s", plain_ms, a->runs,
         total_mflop / plain_ms);
  if (a->peak > 0) printf(", %.1f%% of the %.1f GFLOP/s peak", 100.0 * total_mflop / plain_ms / a->peak, a->peak);
  printf("\n");
  if (a->peak > 0)
    printf("floor: %.3f ms/image = %.1f MFLOP at the peak (%.3f ms) + %.2f M activations at %.3f ns each "
           "(%.3f ms%s); the pass runs at %.1f%% of it\n",
           total_floor, total_mflop, total_mflop / a->peak, total_acts / 1e6, act_ns,
           total_acts * act_ns * 1e-6 / a->threads, a->threads > 1 ? ", shared by the team" : "",
           100.0 * total_floor / plain_ms);
  free(plain);
  free(p);
  free(x);
  free(logits);
  effnet_workspace_free(ws);
  return 0;
}

/* ---- each 1x1 shape alone ---- */

static double time_gemm(const EffnetModel *m, const PackedGemm *w, int size, Activation act, int threads, int reps) {
  int K = w->K, N = w->N;
  float *a = model_alloc_floats((size_t)size * size * K), *c = model_alloc_floats((size_t)size * size * N);
  float *rows = model_alloc_floats((size_t)threads * m->kern->mr * K);
  double *t = malloc(sizeof(double) * (size_t)reps);
  for (size_t i = 0; i < (size_t)size * size * K; i++) a[i] = (float)((i * 7919) % 1000) / 1000.0f - 0.5f;
  View va = {a, size, size, K, (ptrdiff_t)size * K, (ptrdiff_t)size * size * K};
  View vc = {c, size, size, N, (ptrdiff_t)size * N, (ptrdiff_t)size * size * N};
  GemmJob job = {.n = 1, .a = &va, .w = w, .act = act, .c = &vc};
  for (int r = -2; r < reps; r++) {
    double t0 = now_ms();
#pragma omp parallel num_threads(threads)
    gemm_job_share(m->kern, &job, rows + (size_t)omp_get_thread_num() * m->kern->mr * K, omp_get_thread_num(),
                   omp_get_num_threads());
    if (r >= 0) t[r] = now_ms() - t0;
  }
  double med = median(t, reps);
  free(t);
  free(rows);
  free(a);
  free(c);
  return med;
}

typedef struct {
  double ours, blas; /* summed ms */
} ShapeTotals;

static void shape_row(const EffnetModel *m, const Args *a, const char *what, const PackedGemm *w, int size,
                      Activation act, ShapeTotals *tot) {
  double ms = time_gemm(m, w, size, act, a->threads, a->runs);
  double mflop = 2.0 * size * size * w->K * w->N / 1e6;
  char name[64];
  snprintf(name, sizeof name, "%s M=%d K=%d N=%d", what, size * size, w->K, w->N);
  printf("%-36s %9.3f %8.1f", name, ms, mflop / ms);
  tot->ours += ms;
  PackedGemm plain = *w; /* the same layer with a row-major copy: runs on OpenBLAS */
  plain.plain = NULL;
  if (gemm_blas_available() && gemm_blas_make_plain(&plain) == 0) {
    double bms = time_gemm(m, &plain, size, act, a->threads, a->runs);
    printf(" %9.3f %8.1f %7.2f", bms, mflop / bms, ms / bms);
    tot->blas += bms;
    free(plain.plain);
  }
  printf("\n");
}

static int shapes(const EffnetModel *m, const Args *a) {
  const int blas = gemm_blas_available();
  printf("%s kernels, %d thread%s%s%s\n", effnet_isa_name(effnet_model_info(m)->isa), a->threads,
         a->threads == 1 ? "" : "s", blas ? "; OpenBLAS: " : "; no OpenBLAS in this build (meson -Dblas=openblas)",
         blas ? gemm_blas_config() : "");
  printf("%-36s %9s %8s%s\n", "1x1 shape (isolated)", "ours ms", "GFLOP/s",
         blas ? "  sgemm ms  GFLOP/s  ours/sgemm" : "");
  ShapeTotals tot = {0, 0};
  for (int i = 0; i < m->arch.num_blocks; i++) {
    const Block *b = &m->blocks[i];
    char what[32];
    if (b->spec.expand != 1) {
      snprintf(what, sizeof what, "b%d expand", i);
      shape_row(m, a, what, &b->expand, b->geom.in_size, ACT_SILU, &tot);
    }
    snprintf(what, sizeof what, "b%d project", i);
    shape_row(m, a, what, &b->project, b->geom.out_size, ACT_NONE, &tot);
  }
  shape_row(m, a, "head", &m->head, m->head_size, ACT_SILU, &tot);
  printf("%-36s %9.3f", "all shapes", tot.ours);
  if (blas) printf(" %18.3f %17.2f", tot.blas, tot.ours / tot.blas);
  printf("\n");
  return 0;
}

int main(int argc, char **argv) {
  Args a;
  int rc = parse_args(argc, argv, &a);
  if (rc) return rc;
  g_cpu_clock = a.cpu_clock;
  EffnetOptions opt;
  effnet_options_init(&opt);
  opt.isa = a.isa;
  char err[EFFNET_ERRLEN];
  EffnetModel *m = effnet_model_random(a.variant, 1000, 1, &opt, err, sizeof err);
  if (!m) {
    fprintf(stderr, "effnet-layers: %s\n", err);
    return 1;
  }
  rc = a.shapes ? shapes(m, &a) : profile(m, &a);
  effnet_model_free(m);
  return rc;
}
