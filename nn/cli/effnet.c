/* effnet — command-line front end of the engine.
 *
 *   effnet info WEIGHTS
 *   effnet run --weights W [--variant bN] [--padding symmetric|same] [--threads N]
 *              [--top-k K] (--input X.npy | PICTURE) [--logits-out Y.npy]
 *   effnet prep PICTURE --out X.npy       (the model input the element builds)
 *   effnet bench --variant bN [--weights W] [--threads N] [--batch N] [--runs R]
 *
 * PICTURE: --image FILE, or --raw FILE --format F --size WxH, with the frame
 * path's options (fit, filter, regions; see kUsage).
 *
 * Errors go to stderr as one sentence, exit status 1 (2 for usage errors). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "effnet.h"
#include "npy.h"
#include "picture.h"

static const char kUsage[] =
    "usage:\n"
    "  effnet info [WEIGHTS] [--variant bN] [--padding symmetric|same]\n"
    "  effnet run [--weights WEIGHTS] [--variant bN] [--padding symmetric|same] [--bn-eps E]\n"
    "             [--threads N] [--top-k K] [--isa auto|scalar|avx2|avx512|neon]\n"
    "             [--gemm auto|ours|openblas]\n"
    "             (--input X.npy | PICTURE) [--logits-out Y.npy]\n"
    "      X: float32 [N,3,S,S], already normalized; prints the top-k classes of each image\n"
    "  effnet prep PICTURE [--weights WEIGHTS | --variant bN | --input-size S] --out X.npy\n"
    "      writes the model input the efficientnet element builds from the picture: float32\n"
    "      [N,3,S,S] normalized (or on the 0..255 scale with --unnormalized), one image per region\n"
    "PICTURE: --image FILE (PNG, JPEG, PPM/PGM) or --raw FILE --format F --size WxH\n"
    "      [--matrix bt601|bt709|bt2020] [--range limited|full] [--chroma-site jpeg|mpeg2|cosited]\n"
    "      F: rgb bgr rgbx bgrx xrgb xbgr gray8 i420 yv12 nv12 nv21 yuy2 uyvy yvyu (rows tightly packed)\n"
    "    [--fit center-crop|letterbox|stretch] [--filter bicubic|bilinear|fast] [--crop-pct P]\n"
    "    [--mean R,G,B] [--std R,G,B] [--roi X,Y,W,H]... (default: the weights' config.json,\n"
    "    else center-crop 0.875, bicubic, ImageNet mean/std; the whole picture)\n"
    "  effnet bench --variant bN [--weights WEIGHTS] [--threads N] [--batch N] [--runs R]\n"
    "             [--isa ...] [--gemm ...]\n"
    "      random weights unless WEIGHTS is given; prints ms/image and images/s\n"
    "WEIGHTS: a .safetensors file (torchvision or timm naming; F32/F16/BF16) or a folder\n"
    "holding model.safetensors and config.json. Without it: the variant's weights fetched by\n"
    "the command effnet-fetch-weights into the cache ($EFFNET_CACHE, else ~/.cache/effnet).\n";

#define MAX_ROIS 4096

typedef struct {
  const char *weights, *input, *logits_out;
  EffnetOptions opt;
  int threads, top_k, batch, runs;
  /* pictures and the frame path */
  const char *image, *raw, *out;
  int format, width, height; /* --raw */
  EffnetMatrix matrix;
  int full_range, chroma_site;
  int fit, filter, input_size, unnormalized; /* -1 / 0: from the weights */
  float crop_pct, mean[3], std[3];
  int have_mean, have_std;
  EffnetRect *rois;
  int nrois;
} Args;

/* One line on stderr, exit status 2. */
static int usage_error(const char *fmt, const char *what) {
  fprintf(stderr, "effnet: ");
  fprintf(stderr, fmt, what);
  fprintf(stderr, " (see effnet --help)\n");
  return 2;
}

static int known_option(const char *k) {
  static const char *const opts[] = {
      "--weights",  "--input",   "--logits-out", "--variant", "--padding",     "--bn-eps", "--isa",
      "--gemm",     "--threads", "--top-k",      "--batch",   "--runs",        "--image",  "--raw",
      "--format",   "--size",    "--matrix",     "--range",   "--chroma-site", "--fit",    "--filter",
      "--crop-pct", "--mean",    "--std",        "--roi",     "--input-size",  "--out"};
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

/* "a,b,c" of n finite floats. */
static int parse_floats(const char *s, float *out, int n) {
  for (int i = 0; i < n; i++) {
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || !isfinite(v) || *end != (i + 1 < n ? ',' : '\0')) return -1;
    out[i] = (float)v;
    s = end + 1;
  }
  return 0;
}

/* "X,Y,W,H" / "WxH" of non-negative integers. */
static int parse_ints(const char *s, int *out, int n, char sep) {
  for (int i = 0; i < n; i++) {
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || v < 0 || v > 1000000 || *end != (i + 1 < n ? sep : '\0')) return -1;
    out[i] = (int)v;
    s = end + 1;
  }
  return 0;
}

static int parse_args(int argc, char **argv, Args *a) {
  memset(a, 0, sizeof *a);
  effnet_options_init(&a->opt);
  a->top_k = 5;
  a->batch = 1;
  a->format = a->fit = a->filter = -1;
  a->matrix = (EffnetMatrix)-1;
  a->chroma_site = -1;
  for (int i = 2; i < argc; i++) {
    const char *k = argv[i];
    if (strncmp(k, "--", 2) != 0) {
      if (!a->weights) {
        a->weights = k;
        continue;
      }
      return usage_error("unexpected argument '%s'", k);
    }
    if (!strcmp(k, "--unnormalized")) {
      a->unnormalized = 1;
      continue;
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
      else if (!strcmp(v, "neon")) a->opt.isa = EFFNET_ISA_NEON;
      else return usage_error("--isa must be auto, scalar, avx2, avx512 or neon, not '%s'", v);
    } else if (!strcmp(k, "--gemm")) {
      if (!strcmp(v, "auto")) a->opt.gemm = EFFNET_GEMM_AUTO;
      else if (!strcmp(v, "ours")) a->opt.gemm = EFFNET_GEMM_OURS;
      else if (!strcmp(v, "openblas")) a->opt.gemm = EFFNET_GEMM_OPENBLAS;
      else return usage_error("--gemm must be auto, ours or openblas, not '%s'", v);
    } else if (!strcmp(k, "--threads")) {
      if (parse_int(v, 0, 1024, &a->threads)) return usage_error("--threads must be 0..1024, not '%s'", v);
    } else if (!strcmp(k, "--top-k")) {
      if (parse_int(v, 1, 1000000, &a->top_k)) return usage_error("--top-k must be a positive integer, not '%s'", v);
    } else if (!strcmp(k, "--batch")) {
      if (parse_int(v, 1, 4096, &a->batch)) return usage_error("--batch must be 1..4096, not '%s'", v);
    } else if (!strcmp(k, "--runs")) {
      if (parse_int(v, 1, 1000000, &a->runs)) return usage_error("--runs must be a positive integer, not '%s'", v);
    } else if (!strcmp(k, "--image")) a->image = v;
    else if (!strcmp(k, "--raw")) a->raw = v;
    else if (!strcmp(k, "--out")) a->out = v;
    else if (!strcmp(k, "--format")) {
      if ((a->format = effnet_format_from_name(v)) < 0)
        return usage_error("--format must be one of rgb bgr rgbx bgrx xrgb xbgr gray8 i420 yv12 nv12 nv21 yuy2 "
                           "uyvy yvyu, not '%s'",
                           v);
    } else if (!strcmp(k, "--size")) {
      int wh[2];
      if (parse_ints(v, wh, 2, 'x') || wh[0] < 1 || wh[1] < 1) return usage_error("--size must be WxH, not '%s'", v);
      a->width = wh[0];
      a->height = wh[1];
    } else if (!strcmp(k, "--matrix")) {
      if (!strcmp(v, "bt601")) a->matrix = EFFNET_MATRIX_BT601;
      else if (!strcmp(v, "bt709")) a->matrix = EFFNET_MATRIX_BT709;
      else if (!strcmp(v, "bt2020")) a->matrix = EFFNET_MATRIX_BT2020;
      else return usage_error("--matrix must be bt601, bt709 or bt2020, not '%s'", v);
    } else if (!strcmp(k, "--range")) {
      if (!strcmp(v, "limited")) a->full_range = 0;
      else if (!strcmp(v, "full")) a->full_range = 1;
      else return usage_error("--range must be limited or full, not '%s'", v);
    } else if (!strcmp(k, "--chroma-site")) {
      if (!strcmp(v, "jpeg") || !strcmp(v, "center")) a->chroma_site = 0;
      else if (!strcmp(v, "mpeg2")) a->chroma_site = EFFNET_CHROMA_COSITED_H;
      else if (!strcmp(v, "cosited")) a->chroma_site = EFFNET_CHROMA_COSITED_H | EFFNET_CHROMA_COSITED_V;
      else return usage_error("--chroma-site must be jpeg, mpeg2 or cosited, not '%s'", v);
    } else if (!strcmp(k, "--fit")) {
      if ((a->fit = effnet_fit_from_name(v)) < 0)
        return usage_error("--fit must be center-crop, letterbox or stretch, not '%s'", v);
    } else if (!strcmp(k, "--filter")) {
      if ((a->filter = effnet_filter_from_name(v)) < 0)
        return usage_error("--filter must be bicubic, bilinear or fast, not '%s'", v);
    } else if (!strcmp(k, "--crop-pct")) {
      if (parse_floats(v, &a->crop_pct, 1) || !(a->crop_pct >= EFFNET_CROP_PCT_MIN && a->crop_pct <= 1))
        return usage_error("--crop-pct must be a number from 0.1 (EFFNET_CROP_PCT_MIN) to 1, not '%s'", v);
    } else if (!strcmp(k, "--mean")) {
      if (parse_floats(v, a->mean, 3)) return usage_error("--mean must be three numbers R,G,B, not '%s'", v);
      a->have_mean = 1;
    } else if (!strcmp(k, "--std")) {
      if (parse_floats(v, a->std, 3) || !a->std[0] || !a->std[1] || !a->std[2])
        return usage_error("--std must be three non-zero numbers R,G,B, not '%s'", v);
      a->have_std = 1;
    } else if (!strcmp(k, "--input-size")) {
      if (parse_int(v, 1, 2048, &a->input_size)) return usage_error("--input-size must be 1..2048, not '%s'", v);
    } else if (!strcmp(k, "--roi")) {
      EffnetRect r;
      if (parse_ints(v, &r.x, 4, ',')) return usage_error("--roi must be X,Y,W,H in pixels, not '%s'", v);
      if (a->nrois == MAX_ROIS) return usage_error("more than %s --roi options", "4096");
      EffnetRect *grown = realloc(a->rois, sizeof *grown * (size_t)(a->nrois + 1));
      if (!grown) return usage_error("%s", "out of memory");
      a->rois = grown;
      a->rois[a->nrois++] = r;
    }
  }
  if (a->image && a->raw) return usage_error("%s", "give --image or --raw, not both");
  if (a->raw && (a->format < 0 || a->width < 1)) return usage_error("--raw %s needs --format and --size WxH", a->raw);
  if (!a->raw && (a->format >= 0 || a->width > 0))
    return usage_error("%s", "--format and --size describe a --raw frame");
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
      fprintf(stderr,
              "effnet: no --weights given and no cached %s weights%s%s (fetch them with "
              "effnet-fetch-weights %s, or pass --weights)\n",
              effnet_variant_name(v), found == 0 ? " in " : "", found == 0 ? cached : "", effnet_variant_name(v));
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
  printf("1x1 gemm:     %s\n", effnet_gemm_name(i->gemm));
  if (i->untrained) printf("WARNING:      untrained (random) weights: the classes they predict are meaningless\n");
  effnet_model_free(m);
  return 0;
}

static void print_top_k(const EffnetInfo *info, const float *logits, int n, int k) {
  int nc = info->num_classes;
  float *prob = malloc(sizeof(float) * (size_t)nc);
  int *idx = malloc(sizeof(int) * (size_t)(k < nc ? k : nc));
  if (!prob || !idx) {
    free(prob);
    free(idx);
    return;
  }
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

/* ---- pictures through the frame path ---- */

/* --image or --raw, with the YUV description (GStreamer's defaults when not
 * given: BT.709 above 576 rows, else BT.601; limited range; chroma centred). */
static int read_picture(const Args *a, Picture *pic) {
  char err[EFFNET_ERRLEN];
  int rc = a->image ? picture_read_image(a->image, pic, err, sizeof err)
                    : picture_read_raw(a->raw, (EffnetFormat)a->format, a->width, a->height, pic, err, sizeof err);
  if (rc != 0) {
    fprintf(stderr, "effnet: %s\n", err);
    return -1;
  }
  EffnetFrame *f = &pic->frame;
  f->matrix = (int)a->matrix >= 0 ? a->matrix : f->height > 576 ? EFFNET_MATRIX_BT709 : EFFNET_MATRIX_BT601;
  f->full_range = a->full_range;
  f->chroma_site = a->chroma_site >= 0 ? a->chroma_site : 0;
  return 0;
}

/* The weights' preprocessing (or the defaults), then the command line's. */
static void picture_options(const Args *a, const EffnetInfo *info, EffnetPrepOptions *o) {
  effnet_prep_options_init(o, info);
  if (!info && a->opt.variant >= 0) o->size = effnet_variant_input_size(a->opt.variant);
  if (a->input_size > 0) o->size = a->input_size;
  if (a->fit >= 0) o->fit = (EffnetFit)a->fit;
  if (a->filter >= 0) o->filter = (EffnetFilter)a->filter;
  if (a->crop_pct > 0) o->crop_pct = a->crop_pct;
  if (a->have_mean) memcpy(o->mean, a->mean, sizeof o->mean);
  if (a->have_std) memcpy(o->std, a->std, sizeof o->std);
  o->unnormalized = a->unnormalized;
  o->isa = a->opt.isa;
}

/* A plan of the picture's regions (--roi, else the whole picture). */
static EffnetPrep *plan_picture(const Args *a, const EffnetInfo *info, const Picture *pic, int threads) {
  char err[EFFNET_ERRLEN];
  EffnetPrepOptions o;
  picture_options(a, info, &o);
  EffnetPrep *p = effnet_prep_new(&o, err, sizeof err);
  if (!p || effnet_prep_plan(p, &pic->frame, a->nrois ? a->rois : NULL, a->nrois ? a->nrois : 1, threads, err,
                             sizeof err) != 0) {
    fprintf(stderr, "effnet: %s%s%s\n",
            a->image ? a->image
            : a->raw ? a->raw
                     : "",
            a->image || a->raw ? ": " : "", err);
    effnet_prep_free(p);
    return NULL;
  }
  return p;
}

static int cmd_prep(const Args *a) {
  if (!a->image && !a->raw) return usage_error("%s", "prep needs --image FILE or --raw FILE");
  if (!a->out) return usage_error("%s", "prep needs --out X.npy");
  char err[EFFNET_ERRLEN];
  int rc = 1;
  Picture pic = {0};
  EffnetModel *m = NULL;
  EffnetPrep *p = NULL;
  float *x = NULL;
  if (a->weights && !(m = load(a))) goto out;
  if (read_picture(a, &pic) != 0) goto out;
  if (!(p = plan_picture(a, m ? effnet_model_info(m) : NULL, &pic, a->threads))) goto out;
  int n = a->nrois ? a->nrois : 1, S = effnet_prep_options(p)->size;
  if (!(x = malloc(sizeof(float) * (size_t)n * 3 * S * S))) {
    fprintf(stderr, "effnet: out of memory for %d images of %dx%d\n", n, S, S);
    goto out;
  }
  int64_t shape[4] = {n, 3, S, S};
  if (effnet_prep_run(p, x, err, sizeof err) != 0 || npy_write_f32(a->out, x, 4, shape, err, sizeof err) != 0) {
    fprintf(stderr, "effnet: %s\n", err);
    goto out;
  }
  rc = 0;
out:
  free(x);
  effnet_prep_free(p);
  picture_free(&pic);
  effnet_model_free(m);
  return rc;
}

static int cmd_run(const Args *a) {
  int from_picture = a->image || a->raw;
  if (!a->input && !from_picture) return usage_error("%s", "run needs --input X.npy, --image FILE or --raw FILE");
  if (a->input && from_picture) return usage_error("%s", "give --input X.npy or a picture, not both");
  char err[EFFNET_ERRLEN];
  int rc = 1, ndim = 0, n = 0;
  int64_t shape[NPY_MAX_NDIM];
  float *x = NULL, *logits = NULL;
  EffnetWorkspace *ws = NULL;
  EffnetPrep *p = NULL;
  Picture pic = {0};
  EffnetModel *m = load(a);
  if (!m) return 1;
  const EffnetInfo *info = effnet_model_info(m);
  int S = info->input_size;
  if (from_picture) {
    if (a->input_size > 0 && a->input_size != S) {
      fprintf(stderr, "effnet: --input-size %d differs from the model's %d\n", a->input_size, S);
      goto out;
    }
    if (read_picture(a, &pic) != 0) goto out;
    n = a->nrois ? a->nrois : 1;
  } else {
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
      fprintf(stderr, "effnet: %s: input has shape %s but EfficientNet-%s takes (N, 3, %d, %d)\n", a->input, got,
              effnet_variant_name(info->variant), S, S);
      goto out;
    }
    n = (int)shape[0];
  }
  int batch = n < 16 ? n : 16;
  if (!(ws = effnet_workspace_new(m, batch, a->threads, err, sizeof err)) ||
      !(logits = malloc(sizeof(float) * (size_t)n * info->num_classes))) {
    fprintf(stderr, "effnet: %s\n", ws ? "out of memory" : err);
    goto out;
  }
  if (from_picture && !(p = plan_picture(a, info, &pic, effnet_workspace_threads(ws)))) goto out;
  if ((p ? effnet_forward_prep(m, ws, p, logits, err, sizeof err)
         : effnet_forward(m, ws, x, n, logits, err, sizeof err)) != 0) {
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
  effnet_prep_free(p);
  picture_free(&pic);
  effnet_workspace_free(ws);
  effnet_model_free(m);
  return rc;
}

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec * 1e-6;
}

/* User + system CPU time of the whole process. */
static double cpu_ms(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1e-3;
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
  double cpu0 = cpu_ms();
  for (int i = 0; i < runs; i++) {
    double s = now_ms();
    effnet_forward(m, ws, x, B, logits, NULL, 0);
    t[i] = now_ms() - s;
  }
  double cpu = (cpu_ms() - cpu0) / runs / B;
  qsort(t, (size_t)runs, sizeof(double), cmp_double);
  double med = t[runs / 2] / B;
  printf("efficientnet-%s %dx%d, batch %d, threads %d, %s kernels, 1x1 gemm %s, %d runs: median %.3f ms/image "
         "(min %.3f), workspace %.1f MB\n",
         effnet_variant_name(info->variant), S, S, B, a->threads, effnet_isa_name(info->isa),
         effnet_gemm_name(info->gemm), runs, med, t[0] / B, effnet_workspace_bytes(ws) / 1048576.0);
  /* CPU time of the process per image (mean): on 1 thread, what an image
   * costs even while other programs take turns on the core (a team's spin
   * waits count too, so with more threads it says less). */
  printf("cpu_ms_per_image=%.3f\n", cpu);
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
  if (rc) {
    free(a.rois);
    return rc;
  }
  if (!strcmp(argv[1], "info")) rc = cmd_info(&a);
  else if (!strcmp(argv[1], "run")) rc = cmd_run(&a);
  else if (!strcmp(argv[1], "prep")) rc = cmd_prep(&a);
  else if (!strcmp(argv[1], "bench")) rc = cmd_bench(&a);
  else rc = usage_error("unknown command '%s'", argv[1]);
  free(a.rois);
  return rc;
}
