/* effnet — command-line front end of the engine.
 *
 *   effnet info WEIGHTS
 *   effnet run --weights W [--variant bN] [--padding symmetric|same] [--threads N]
 *              [--top-k K] --input X.npy [--logits-out Y.npy]
 *   effnet bench --variant bN [--weights W] [--threads N] [--batch N] [--runs R]
 *
 * Errors go to stderr as one sentence, exit status 1 (2 for usage errors). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "effnet.h"
#include "npy.h"

static const char kUsage[] =
    "usage:\n"
    "  effnet info [WEIGHTS] [--variant bN] [--padding symmetric|same]\n"
    "  effnet run [--weights WEIGHTS] [--variant bN] [--padding symmetric|same] [--bn-eps E]\n"
    "             [--threads N] [--top-k K] [--isa auto|scalar|avx2|avx512]\n"
    "             --input X.npy [--logits-out Y.npy]\n"
    "      X: float32 [N,3,S,S], already normalized; prints the top-k classes of each image\n"
    "  effnet bench --variant bN [--weights WEIGHTS] [--threads N] [--batch N] [--runs R]\n"
    "             [--isa ...]\n"
    "      random weights unless WEIGHTS is given; prints ms/image and images/s\n"
    "WEIGHTS: a .safetensors file (torchvision or timm naming; F32/F16/BF16) or a folder\n"
    "holding model.safetensors and config.json. Without it: the variant's weights fetched by\n"
    "scripts/fetch_weights.sh into the cache ($EFFNET_CACHE, else ~/.cache/effnet).\n";

typedef struct {
  const char *weights, *input, *logits_out;
  EffnetOptions opt;
  int threads, top_k, batch, runs;
} Args;

/* One line on stderr, exit status 2. */
static int usage_error(const char *fmt, const char *what) {
  fprintf(stderr, "effnet: ");
  fprintf(stderr, fmt, what);
  fprintf(stderr, " (see effnet --help)\n");
  return 2;
}

static int known_option(const char *k) {
  static const char *const opts[] = {"--weights", "--input", "--logits-out", "--variant", "--padding",
                                     "--bn-eps", "--isa", "--threads", "--top-k", "--batch", "--runs"};
  for (size_t i = 0; i < sizeof opts / sizeof opts[0]; i++)
    if (!strcmp(k, opts[i])) return 1;
  return 0;
}

/* Strict integer parse: the whole string, within [lo, hi]. */
static int parse_int(const char *s, int lo, int hi, int *out) {
  char *end;
  errno = 0;
  long v = strtol(s, &end, 10);
  if (errno || end == s || *end || v < lo || v > hi) return -1;
  *out = (int)v;
  return 0;
}

static int parse_args(int argc, char **argv, Args *a) {
  memset(a, 0, sizeof *a);
  effnet_options_init(&a->opt);
  a->top_k = 5;
  a->batch = 1;
  for (int i = 2; i < argc; i++) {
    const char *k = argv[i];
    if (strncmp(k, "--", 2) != 0) {
      if (!a->weights) { a->weights = k; continue; }
      return usage_error("unexpected argument '%s'", k);
    }
    if (!known_option(k)) return usage_error("unknown option '%s'", k);
    if (i + 1 >= argc) return usage_error("option %s needs a value", k);
    const char *v = argv[++i];
    if (!strcmp(k, "--weights")) a->weights = v;
    else if (!strcmp(k, "--input")) a->input = v;
    else if (!strcmp(k, "--logits-out")) a->logits_out = v;
    else if (!strcmp(k, "--variant")) {
      if ((a->opt.variant = effnet_variant_from_name(v)) < 0)
        return usage_error("--variant must be b0..b7, not '%s'", v);
    } else if (!strcmp(k, "--padding")) {
      if (!strcmp(v, "symmetric")) a->opt.padding = EFFNET_PAD_SYMMETRIC;
      else if (!strcmp(v, "same")) a->opt.padding = EFFNET_PAD_SAME;
      else if (!strcmp(v, "auto")) a->opt.padding = EFFNET_PAD_AUTO;
      else return usage_error("--padding must be symmetric, same or auto, not '%s'", v);
    } else if (!strcmp(k, "--bn-eps")) {
      char *end;
      double e = strtod(v, &end);
      if (end == v || *end || !(e > 0 && e < 1)) return usage_error("--bn-eps must be a number in (0, 1), not '%s'", v);
      a->opt.bn_eps = (float)e;
    } else if (!strcmp(k, "--isa")) {
      if (!strcmp(v, "auto")) a->opt.isa = EFFNET_ISA_AUTO;
      else if (!strcmp(v, "scalar")) a->opt.isa = EFFNET_ISA_SCALAR;
      else if (!strcmp(v, "avx2")) a->opt.isa = EFFNET_ISA_AVX2;
      else if (!strcmp(v, "avx512")) a->opt.isa = EFFNET_ISA_AVX512;
      else return usage_error("--isa must be auto, scalar, avx2 or avx512, not '%s'", v);
    } else if (!strcmp(k, "--threads")) {
      if (parse_int(v, 0, 1024, &a->threads)) return usage_error("--threads must be 0..1024, not '%s'", v);
    } else if (!strcmp(k, "--top-k")) {
      if (parse_int(v, 1, 1000000, &a->top_k)) return usage_error("--top-k must be a positive integer, not '%s'", v);
    } else if (!strcmp(k, "--batch")) {
      if (parse_int(v, 1, 4096, &a->batch)) return usage_error("--batch must be 1..4096, not '%s'", v);
    } else if (!strcmp(k, "--runs")) {
      if (parse_int(v, 1, 1000000, &a->runs)) return usage_error("--runs must be a positive integer, not '%s'", v);
    }
  }
  return 0;
}

/* --weights, else the cached weights of --variant (b0 when not given). */
static EffnetModel *load(const Args *a) {
  char err[EFFNET_ERRLEN], cached[4096];
  const char *path = a->weights;
  if (!path) {
    int v = a->opt.variant >= 0 ? a->opt.variant : 0;
    int found = effnet_cached_weights(v, cached, sizeof cached);
    if (found != 1) {
      fprintf(stderr, "effnet: no --weights given and no cached %s weights%s%s (fetch them with "
              "scripts/fetch_weights.sh %s, or pass --weights)\n", effnet_variant_name(v),
              found == 0 ? " in " : "", found == 0 ? cached : "", effnet_variant_name(v));
      return NULL;
    }
    path = cached;
  }
  EffnetModel *m = effnet_model_load(path, &a->opt, err, sizeof err);
  if (!m) fprintf(stderr, "effnet: %s\n", err);
  return m;
}

static int cmd_info(const Args *a) {
  EffnetModel *m = load(a);
  if (!m) return 1;
  const EffnetInfo *i = effnet_model_info(m);
  printf("variant:      efficientnet-%s\n", effnet_variant_name(i->variant));
  printf("classes:      %d\n", i->num_classes);
  printf("input:        3x%dx%d\n", i->input_size, i->input_size);
  printf("parameters:   %lld\n", i->parameters);
  printf("naming:       %s\n", effnet_naming_name(i->naming));
  printf("padding:      %s (%s)\n", effnet_padding_name(i->padding), i->padding_source);
  printf("bn-eps:       %g\n", i->bn_eps);
  printf("dtype:        %s\n", i->dtype);
  if (i->architecture[0]) printf("architecture: %s\n", i->architecture);
  printf("mean:         %g %g %g\n", i->mean[0], i->mean[1], i->mean[2]);
  printf("std:          %g %g %g\n", i->std[0], i->std[1], i->std[2]);
  if (i->crop_pct > 0) printf("crop-pct:     %g\n", i->crop_pct);
  if (i->interpolation[0]) printf("interpolate:  %s\n", i->interpolation);
  printf("kernels:      %s\n", effnet_isa_name(i->isa));
  if (i->untrained) printf("WARNING:      untrained (random) weights: the classes they predict are meaningless\n");
  effnet_model_free(m);
  return 0;
}

static void print_top_k(const EffnetInfo *info, const float *logits, int n, int k) {
  int nc = info->num_classes;
  float *prob = malloc(sizeof(float) * (size_t)nc);
  int *idx = malloc(sizeof(int) * (size_t)(k < nc ? k : nc));
  if (!prob || !idx) { free(prob); free(idx); return; }
  for (int i = 0; i < n; i++) {
    effnet_softmax(logits + (size_t)i * nc, nc, prob);
    int got = effnet_top_k(prob, nc, k, idx);
    printf("image %d:\n", i);
    for (int j = 0; j < got; j++) {
      const char *label = nc == 1000 ? effnet_imagenet_label(idx[j]) : NULL;
      printf("  %2d. class %4d  p=%.4f  logit=%9.4f  %s\n", j + 1, idx[j], prob[idx[j]],
             logits[(size_t)i * nc + idx[j]], label ? label : "");
    }
  }
  free(prob);
  free(idx);
}

static int cmd_run(const Args *a) {
  if (!a->input) return usage_error("%s", "run needs --input X.npy");
  char err[EFFNET_ERRLEN];
  int rc = 1, ndim = 0;
  int64_t shape[NPY_MAX_NDIM];
  float *x = NULL, *logits = NULL;
  EffnetWorkspace *ws = NULL;
  EffnetModel *m = load(a);
  if (!m) return 1;
  const EffnetInfo *info = effnet_model_info(m);
  int S = info->input_size;
  if (!(x = npy_read_f32(a->input, &ndim, shape, err, sizeof err))) {
    fprintf(stderr, "effnet: %s\n", err);
    goto out;
  }
  if (ndim != 4 || shape[1] != 3 || shape[2] != S || shape[3] != S || shape[0] < 1) {
    char got[128] = "(";
    for (int i = 0; i < ndim; i++) {
      size_t o = strlen(got);
      snprintf(got + o, sizeof got - o, i ? ", %lld" : "%lld", (long long)shape[i]);
    }
    strncat(got, ")", sizeof got - strlen(got) - 1);
    fprintf(stderr, "effnet: %s: input has shape %s but EfficientNet-%s takes (N, 3, %d, %d)\n",
            a->input, got, effnet_variant_name(info->variant), S, S);
    goto out;
  }
  int n = (int)shape[0];
  int batch = n < 16 ? n : 16;
  if (!(ws = effnet_workspace_new(m, batch, a->threads, err, sizeof err)) ||
      !(logits = malloc(sizeof(float) * (size_t)n * info->num_classes))) {
    fprintf(stderr, "effnet: %s\n", ws ? "out of memory" : err);
    goto out;
  }
  if (effnet_forward(m, ws, x, n, logits, err, sizeof err) != 0) {
    fprintf(stderr, "effnet: %s\n", err);
    goto out;
  }
  if (info->untrained)
    fprintf(stderr, "effnet: warning: %s holds UNTRAINED (random) weights: the labels below are meaningless\n",
            a->weights);
  print_top_k(info, logits, n, a->top_k);
  if (a->logits_out) {
    int64_t oshape[2] = {n, info->num_classes};
    if (npy_write_f32(a->logits_out, logits, 2, oshape, err, sizeof err) != 0) {
      fprintf(stderr, "effnet: %s\n", err);
      goto out;
    }
  }
  rc = 0;
out:
  free(x);
  free(logits);
  effnet_workspace_free(ws);
  effnet_model_free(m);
  return rc;
}

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec * 1e-6;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static int cmd_bench(const Args *a) {
  if (a->opt.variant < 0 && !a->weights) return usage_error("%s", "bench needs --variant bN (or --weights)");
  char err[EFFNET_ERRLEN];
  EffnetModel *m = a->weights ? load(a) : effnet_model_random(a->opt.variant, 1000, 1, &a->opt, err, sizeof err);
  if (!m) {
    if (!a->weights) fprintf(stderr, "effnet: %s\n", err);
    return 1;
  }
  const EffnetInfo *info = effnet_model_info(m);
  int rc = 1, B = a->batch, S = info->input_size;
  size_t in_n = (size_t)B * 3 * S * S;
  float *x = malloc(sizeof(float) * in_n), *logits = malloc(sizeof(float) * (size_t)B * info->num_classes);
  double *t = NULL;
  EffnetWorkspace *ws = effnet_workspace_new(m, B, a->threads, err, sizeof err);
  if (!ws || !x || !logits) {
    fprintf(stderr, "effnet: %s\n", ws ? "out of memory" : err);
    goto out;
  }
  uint32_t r = 12345;
  for (size_t i = 0; i < in_n; i++) {
    r = r * 1664525u + 1013904223u;
    x[i] = (float)(r >> 8) / 16777216.0f * 4.0f - 2.0f;
  }
  /* warm up (page faults, OpenMP team start) for ~0.3 s, then time */
  double t0 = now_ms(), one = 0;
  int warm = 0;
  do {
    double s = now_ms();
    effnet_forward(m, ws, x, B, logits, NULL, 0);
    one = now_ms() - s;
    warm++;
  } while (now_ms() - t0 < 300 && warm < 50);
  int runs = a->runs > 0 ? a->runs : (int)(3000 / (one > 0.01 ? one : 0.01));
  if (runs < 3) runs = 3;
  if (runs > 2000) runs = 2000;
  if (!(t = malloc(sizeof(double) * (size_t)runs))) goto out;
  for (int i = 0; i < runs; i++) {
    double s = now_ms();
    effnet_forward(m, ws, x, B, logits, NULL, 0);
    t[i] = now_ms() - s;
  }
  qsort(t, (size_t)runs, sizeof(double), cmp_double);
  double med = t[runs / 2] / B;
  printf("efficientnet-%s %dx%d, batch %d, threads %d, %s kernels, %d runs: median %.3f ms/image "
         "(min %.3f), workspace %.1f MB\n",
         effnet_variant_name(info->variant), S, S, B, a->threads, effnet_isa_name(info->isa), runs, med,
         t[0] / B, effnet_workspace_bytes(ws) / 1048576.0);
  printf("ms_per_image=%.3f images_per_s=%.1f\n", med, 1000.0 / med);
  rc = 0;
out:
  free(t);
  free(x);
  free(logits);
  effnet_workspace_free(ws);
  effnet_model_free(m);
  return rc;
}

int main(int argc, char **argv) {
  if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
    fputs(kUsage, argc < 2 ? stderr : stdout);
    return argc < 2 ? 2 : 0;
  }
  Args a;
  int rc = parse_args(argc, argv, &a);
  if (rc) return rc;
  if (!strcmp(argv[1], "info")) return cmd_info(&a);
  if (!strcmp(argv[1], "run")) return cmd_run(&a);
  if (!strcmp(argv[1], "bench")) return cmd_bench(&a);
  return usage_error("unknown command '%s'", argv[1]);
}
