/* loader.c — from the weights people have to a runnable model.
 *
 * 1. find the tensors (a .safetensors file, or a folder with model.safetensors),
 * 2. tell the naming scheme (torchvision or timm) and the variant from the
 *    tensor shapes alone, read config.json when it sits beside the weights,
 * 3. fetch every tensor with its expected shape (any float dtype, upcast),
 * 4. fold BatchNorm into the conv before it, and pack for the kernels.
 * Every failure is one sentence naming the file and the tensor. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "config.h"
#include "errors.h"
#include "gemm-blas.h"
#include "model.h"
#include "safetensors.h"

/* Where tensors come from: a checkpoint file, or a seeded generator. */
typedef struct {
  StFile *st; /* NULL for random weights */
  uint64_t rng;
  const char *file; /* for messages */
  EffnetNaming naming;
  int variant;
  long long params;
  unsigned dtypes; /* bit per StDtype seen */
  char *err;
  size_t errlen;
} Loader;

/* Report and fail: the sentence into L's buffer, -1. */
#define fail(L, ...) set_error((L)->err, (L)->errlen, __VA_ARGS__)

static void shape_str(char *buf, size_t len, int ndim, const int64_t *shape) {
  size_t o = (size_t)snprintf(buf, len, "[");
  for (int i = 0; i < ndim && o < len; i++)
    o += (size_t)snprintf(buf + o, len - o, i ? ", %lld" : "%lld", (long long)shape[i]);
  if (o < len) snprintf(buf + o, len - o, "]");
}

/* ---- random weights (benchmarks): xorshift64*, uniform with the variance of
 * a Kaiming-normal init so activations keep a sane range ---- */
static float rand_uniform(Loader *L) {
  L->rng ^= L->rng >> 12;
  L->rng ^= L->rng << 25;
  L->rng ^= L->rng >> 27;
  uint64_t r = L->rng * 0x2545F4914F6CDD1DULL;
  return (float)((r >> 40) * (1.0 / 16777216.0)) * 2.0f - 1.0f;
}

static void fill_random(Loader *L, const char *name, int ndim, const int64_t *shape, float *out, int64_t numel) {
  const char *dot = strrchr(name, '.');
  const char *leaf = dot ? dot + 1 : name;
  if (ndim == 1) {
    float base = !strcmp(leaf, "running_var") || !strcmp(leaf, "weight") ? 1.0f : 0.0f;
    for (int64_t i = 0; i < numel; i++) out[i] = base + 0.1f * rand_uniform(L);
    return;
  }
  int64_t fan_in = 1;
  for (int i = 1; i < ndim; i++) fan_in *= shape[i];
  float a = sqrtf(6.0f / (float)fan_in); /* uniform(-a, a) has variance 2/fan_in */
  for (int64_t i = 0; i < numel; i++) out[i] = a * rand_uniform(L);
}

/* Fetch tensor `name` with exactly this shape as float32 (malloc'd). */
static float *fetch(Loader *L, const char *name, int ndim, const int64_t *shape, int is_param) {
  int64_t numel = 1;
  for (int i = 0; i < ndim; i++) numel *= shape[i];
  float *out = malloc((size_t)(numel ? numel : 1) * sizeof(float));
  if (!out) {
    fail(L, "%s: out of memory reading tensor '%s'", L->file, name);
    return NULL;
  }
  if (!L->st) {
    fill_random(L, name, ndim, shape, out, numel);
  } else {
    const StTensor *t = st_find(L->st, name);
    char want[96], got[96];
    if (!t) {
      fail(L, "%s: missing tensor '%s' (EfficientNet-%s in %s naming needs it)", L->file, name,
           effnet_variant_name(L->variant), effnet_naming_name(L->naming));
      goto error;
    }
    int same = t->ndim == ndim;
    for (int i = 0; same && i < ndim; i++) same = t->shape[i] == shape[i];
    if (!same) {
      shape_str(want, sizeof want, ndim, shape);
      shape_str(got, sizeof got, t->ndim, t->shape);
      fail(L, "%s: tensor '%s' has shape %s but EfficientNet-%s needs %s", L->file, name, got,
           effnet_variant_name(L->variant), want);
      goto error;
    }
    if (st_to_f32(t, out) != 0) {
      fail(L, "%s: tensor '%s' has dtype %s; weights must be F32, F16 or BF16", L->file, name, st_dtype_name(t->dtype));
      goto error;
    }
    for (int64_t i = 0; i < numel; i++) {
      if (!isfinite(out[i])) {
        fail(L, "%s: tensor '%s' holds a non-finite value (NaN or infinity) at index %lld", L->file, name,
             (long long)i);
        goto error;
      }
    }
    L->dtypes |= 1u << t->dtype;
  }
  if (is_param) L->params += numel;
  return out;
error:
  free(out);
  return NULL;
}

/* ---- tensor names ---- */
typedef struct {
  char expand[96], expand_bn[96], dw[96], dw_bn[96], se_reduce[96], se_expand[96], project[96], project_bn[96];
} BlockNames;

static void block_names(EffnetNaming naming, const BlockSpec *s, BlockNames *n) {
  char p[48];
#define SET(field, suffix) snprintf(n->field, sizeof n->field, "%s%s", p, suffix)
  if (naming == EFFNET_NAMING_TIMM) {
    snprintf(p, sizeof p, "blocks.%d.%d.", s->stage, s->index);
    if (s->expand == 1) { /* timm's DepthwiseSeparableConv: conv_pw is the PROJECT conv */
      SET(dw, "conv_dw");
      SET(dw_bn, "bn1");
      SET(project, "conv_pw");
      SET(project_bn, "bn2");
    } else {
      SET(expand, "conv_pw");
      SET(expand_bn, "bn1");
      SET(dw, "conv_dw");
      SET(dw_bn, "bn2");
      SET(project, "conv_pwl");
      SET(project_bn, "bn3");
    }
    SET(se_reduce, "se.conv_reduce");
    SET(se_expand, "se.conv_expand");
  } else {
    snprintf(p, sizeof p, "features.%d.%d.block.", s->stage + 1, s->index);
    int i = 0;
    if (s->expand != 1) {
      SET(expand, "0.0");
      SET(expand_bn, "0.1");
      i = 1;
    }
    char part[16];
    snprintf(part, sizeof part, "%d.0", i);
    SET(dw, part);
    snprintf(part, sizeof part, "%d.1", i);
    SET(dw_bn, part);
    snprintf(part, sizeof part, "%d.fc1", i + 1);
    SET(se_reduce, part);
    snprintf(part, sizeof part, "%d.fc2", i + 1);
    SET(se_expand, part);
    snprintf(part, sizeof part, "%d.0", i + 2);
    SET(project, part);
    snprintf(part, sizeof part, "%d.1", i + 2);
    SET(project_bn, part);
  }
#undef SET
}

static const char *stem_name(EffnetNaming n) { return n == EFFNET_NAMING_TIMM ? "conv_stem" : "features.0.0"; }
static const char *stem_bn_name(EffnetNaming n) { return n == EFFNET_NAMING_TIMM ? "bn1" : "features.0.1"; }
static const char *head_name(EffnetNaming n) { return n == EFFNET_NAMING_TIMM ? "conv_head" : "features.8.0"; }
static const char *head_bn_name(EffnetNaming n) { return n == EFFNET_NAMING_TIMM ? "bn2" : "features.8.1"; }
static const char *classifier_name(EffnetNaming n) { return n == EFFNET_NAMING_TIMM ? "classifier" : "classifier.1"; }

/* ---- BatchNorm folding ---- */

/* Fetch BN `prefix` (weight, bias, running_mean, running_var) of n channels
 * and turn it into a per-channel scale and shift: y = x*scale + shift. */
static int fetch_bn(Loader *L, const char *prefix, int n, float eps, double *scale, double *shift) {
  static const char *const parts[4] = {"weight", "bias", "running_mean", "running_var"};
  float *v[4] = {0};
  int64_t shape[1] = {n};
  int rc = -1;
  for (int i = 0; i < 4; i++) {
    char name[128];
    snprintf(name, sizeof name, "%s.%s", prefix, parts[i]);
    if (!(v[i] = fetch(L, name, 1, shape, i < 2))) goto out;
  }
  for (int c = 0; c < n; c++) {
    /* A variance is never negative; accepting one above -eps would fold a
     * near-zero denominator into a huge scale. */
    if (v[3][c] < 0.0f) {
      fail(L, "%s: '%s.running_var' is negative at channel %d (%g)", L->file, prefix, c, (double)v[3][c]);
      goto out;
    }
    scale[c] = v[0][c] / sqrt((double)v[3][c] + eps);
    shift[c] = v[1][c] - v[2][c] * scale[c];
    /* Finite parts can still fold into float overflow (a huge weight over a
     * tiny variance): the kernels would then turn every logit into NaN. */
    if (!isfinite((float)scale[c]) || !isfinite((float)shift[c])) {
      fail(L,
           "%s: BatchNorm '%s' folds into a scale or shift too large for float32 at channel %d "
           "(weight %g, bias %g, running_mean %g, running_var %g)",
           L->file, prefix, c, (double)v[0][c], (double)v[1][c], (double)v[2][c], (double)v[3][c]);
      goto out;
    }
  }
  rc = 0;
out:
  for (int i = 0; i < 4; i++) free(v[i]);
  return rc;
}

static int folded_overflow(Loader *L, int channel) {
  return fail(L, "%s: a weight times its BatchNorm scale overflows float32 at output channel %d", L->file, channel);
}

/* w[n][k] (row n = output channel n, K long) times scale[n] (NULL: 1) into
 * packed GEMM weights, with bias[n]. */
static int pack_gemm(Loader *L, PackedGemm *g, const float *w, int K, int N, const double *scale, const double *bias) {
  if (packed_gemm_alloc(g, K, N) != 0) return fail(L, "%s: out of memory", L->file);
  for (int n = 0; n < N; n++) {
    float sc = scale ? (float)scale[n] : 1.0f;
    for (int k = 0; k < K; k++)
      if (!isfinite(w[(size_t)n * K + k] * sc)) return folded_overflow(L, n);
    packed_gemm_set_column(g, n, w + (size_t)n * K, 1, sc);
    g->bias[n] = (float)bias[n];
  }
  return 0;
}

/* A conv of shape [N][K...] (K = everything after dim 0) followed by BN, into
 * GEMM weights with the BN folded in. */
static int load_conv_bn_gemm(Loader *L, const char *conv, const char *bn, int ndim, const int64_t *shape, float eps,
                             PackedGemm *g) {
  int N = (int)shape[0], K = 1;
  for (int i = 1; i < ndim; i++) K *= (int)shape[i];
  char name[128];
  snprintf(name, sizeof name, "%s.weight", conv);
  double *scale = malloc(sizeof(double) * 2 * (size_t)N);
  float *w = scale ? fetch(L, name, ndim, shape, 1) : NULL;
  int rc = -1;
  if (!w) goto out;
  if (fetch_bn(L, bn, N, eps, scale, scale + N) != 0) goto out;
  rc = pack_gemm(L, g, w, K, N, scale, scale + N);
out:
  if (!scale) fail(L, "%s: out of memory", L->file);
  free(w);
  free(scale);
  return rc;
}

/* A layer with its own bias and no BN (SE convs, classifier): weight [N][K(,1,1)]. */
static int load_linear(Loader *L, const char *prefix, int N, int K, int conv, PackedGemm *g) {
  char name[128];
  int64_t wshape[4] = {N, K, 1, 1}, bshape[1] = {N};
  snprintf(name, sizeof name, "%s.weight", prefix);
  float *w = fetch(L, name, conv ? 4 : 2, wshape, 1), *b = NULL;
  double *bias = malloc(sizeof(double) * (size_t)N);
  int rc = -1;
  if (!w || !bias) goto out;
  snprintf(name, sizeof name, "%s.bias", prefix);
  if (!(b = fetch(L, name, 1, bshape, 1))) goto out;
  for (int n = 0; n < N; n++) bias[n] = b[n];
  rc = pack_gemm(L, g, w, K, N, NULL, bias);
out:
  if (!bias) fail(L, "%s: out of memory", L->file);
  free(w);
  free(b);
  free(bias);
  return rc;
}

static int load_dw(Loader *L, const char *conv, const char *bn, int C, int k, float eps, DwWeights *d) {
  char name[128];
  int64_t shape[4] = {C, 1, k, k};
  int cpad = (C + 15) / 16 * 16, rc = -1;
  snprintf(name, sizeof name, "%s.weight", conv);
  double *scale = malloc(sizeof(double) * 2 * (size_t)C);
  float *w = scale ? fetch(L, name, 4, shape, 1) : NULL;
  if (!w) goto out;
  if (fetch_bn(L, bn, C, eps, scale, scale + C) != 0) goto out;
  d->c = C;
  d->k = k;
  d->w = model_alloc_floats((size_t)k * k * cpad);
  d->bias = model_alloc_floats((size_t)cpad);
  if (!d->w || !d->bias) {
    fail(L, "%s: out of memory", L->file);
    goto out;
  }
  for (int c = 0; c < C; c++) {
    for (int t = 0; t < k * k; t++) {
      d->w[(size_t)t * cpad + c] = w[(size_t)c * k * k + t] * (float)scale[c];
      if (!isfinite(d->w[(size_t)t * cpad + c])) {
        folded_overflow(L, c);
        goto out;
      }
    }
    d->bias[c] = (float)scale[C + c];
  }
  rc = 0;
out:
  if (!scale) fail(L, "%s: out of memory", L->file);
  free(w);
  free(scale);
  return rc;
}

static int load_block(Loader *L, Block *b, float eps) {
  const BlockSpec *s = &b->spec;
  BlockNames n;
  memset(&n, 0, sizeof n);
  block_names(L->naming, s, &n);
  if (s->expand != 1) {
    int64_t shape[4] = {s->exp_ch, s->in_ch, 1, 1};
    if (load_conv_bn_gemm(L, n.expand, n.expand_bn, 4, shape, eps, &b->expand) != 0) return -1;
  }
  if (load_dw(L, n.dw, n.dw_bn, s->exp_ch, s->kernel, eps, &b->dw) != 0) return -1;
  if (load_linear(L, n.se_reduce, s->se_ch, s->exp_ch, 1, &b->se_reduce) != 0) return -1;
  if (load_linear(L, n.se_expand, s->exp_ch, s->se_ch, 1, &b->se_expand) != 0) return -1;
  int64_t pshape[4] = {s->out_ch, s->exp_ch, 1, 1};
  return load_conv_bn_gemm(L, n.project, n.project_bn, 4, pshape, eps, &b->project);
}

/* ---- naming scheme and variant from the shapes ---- */
static int detect_naming(Loader *L) {
  if (st_find(L->st, "features.0.0.weight")) L->naming = EFFNET_NAMING_TORCHVISION;
  else if (st_find(L->st, "conv_stem.weight")) L->naming = EFFNET_NAMING_TIMM;
  else
    return fail(L,
                "%s: not an EfficientNet checkpoint in torchvision or timm naming "
                "(it has no 'features.0.0.weight' or 'conv_stem.weight' tensor)",
                L->file);
  return 0;
}

static int count_blocks(Loader *L, int stage) {
  int j = 0;
  for (;; j++) {
    char name[96];
    if (L->naming == EFFNET_NAMING_TIMM) snprintf(name, sizeof name, "blocks.%d.%d.conv_dw.weight", stage, j);
    else snprintf(name, sizeof name, "features.%d.%d.block.0.0.weight", stage + 1, j);
    if (!st_find(L->st, name) || j >= EFFNET_MAX_BLOCKS) return j;
  }
}

static int64_t dim0(Loader *L, const char *prefix) {
  char name[96];
  snprintf(name, sizeof name, "%s.weight", prefix);
  const StTensor *t = st_find(L->st, name);
  return t && t->ndim >= 1 ? t->shape[0] : -1;
}

/* Returns the variant the shapes say, or -1 with a description in `desc`. */
static int infer_variant(Loader *L, char *desc, size_t len) {
  int reps[EFFNET_NUM_STAGES];
  int64_t stem = dim0(L, stem_name(L->naming)), head = dim0(L, head_name(L->naming));
  for (int s = 0; s < EFFNET_NUM_STAGES; s++) reps[s] = count_blocks(L, s);
  for (int v = 0; v < EFFNET_NUM_VARIANTS; v++) {
    ArchSpec a;
    arch_build(v, &a);
    int ok = a.stem_ch == stem && a.head_ch == head;
    for (int s = 0; ok && s < EFFNET_NUM_STAGES; s++) ok = a.repeats[s] == reps[s];
    if (ok) return v;
  }
  snprintf(desc, len, "stem %lld channels, blocks per stage %d,%d,%d,%d,%d,%d,%d, head %lld channels", (long long)stem,
           reps[0], reps[1], reps[2], reps[3], reps[4], reps[5], reps[6], (long long)head);
  return -1;
}

/* ---- config.json (timm hub layout): see config.c ---- */

/* Copies what config.json says into the model. Returns 1 when read, 0 when
 * absent, -1 on error. */
static int apply_config(Loader *L, const char *path, EffnetModel *m, ModelConfig *cfg) {
  int r = config_read(path, cfg, L->err, L->errlen);
  if (r != 0) return r > 0 ? 0 : -1;
  snprintf(m->architecture, sizeof m->architecture, "%s", cfg->architecture);
  snprintf(m->interpolation, sizeof m->interpolation, "%s", cfg->interpolation);
  if (cfg->untrained) m->info.untrained = 1;
  if (cfg->has_mean) memcpy(m->info.mean, cfg->mean, sizeof m->info.mean);
  if (cfg->has_std) memcpy(m->info.std, cfg->std, sizeof m->info.std);
  if (cfg->crop_pct > 0) m->info.crop_pct = cfg->crop_pct;
  return 1;
}

/* ---- the model ---- */

/* PyTorch orders the stem's 27 inputs (channel, ky, kx); the stem reads its
 * window from NHWC data as (ky, kx, channel). Reorder B's rows to match. */
static void stem_rows_to_hwc(PackedGemm *g) {
  const int panels = (g->N + GEMM_NR - 1) / GEMM_NR;
  float tmp[27 * GEMM_NR];
  for (int p = 0; p < panels; p++) {
    float *panel = g->b + (size_t)p * 27 * GEMM_NR;
    for (int k = 0; k < 27; k++) {
      int c = k / 9, ky = k / 3 % 3, kx = k % 3;
      memcpy(tmp + ((ky * 3 + kx) * 3 + c) * GEMM_NR, panel + k * GEMM_NR, sizeof(float) * GEMM_NR);
    }
    memcpy(panel, tmp, sizeof tmp);
  }
}

static int load_all(Loader *L, EffnetModel *m, float eps, int num_classes) {
  EffnetNaming nm = L->naming;
  int64_t stem_shape[4] = {m->arch.stem_ch, 3, 3, 3};
  if (load_conv_bn_gemm(L, stem_name(nm), stem_bn_name(nm), 4, stem_shape, eps, &m->stem) != 0) return -1;
  stem_rows_to_hwc(&m->stem);
  for (int i = 0; i < m->arch.num_blocks; i++) {
    m->blocks[i].spec = m->arch.blocks[i];
    if (load_block(L, &m->blocks[i], eps) != 0) return -1;
  }
  int64_t head_shape[4] = {m->arch.head_ch, m->arch.stage_ch[EFFNET_NUM_STAGES - 1], 1, 1};
  if (load_conv_bn_gemm(L, head_name(nm), head_bn_name(nm), 4, head_shape, eps, &m->head) != 0) return -1;
  return load_linear(L, classifier_name(nm), num_classes, m->arch.head_ch, 0, &m->classifier);
}

static int classes_in_file(Loader *L) {
  char name[64];
  snprintf(name, sizeof name, "%s.weight", classifier_name(L->naming));
  const StTensor *t = st_find(L->st, name);
  if (!t) return fail(L, "%s: missing tensor '%s' (the classifier)", L->file, name);
  if (t->ndim != 2 || t->shape[0] < 1 || t->shape[0] > 1000000)
    return fail(L, "%s: classifier '%s' must have shape [classes, features]", L->file, name);
  return (int)t->shape[0];
}

static const char *dtype_summary(unsigned mask) {
  if (mask == 1u << ST_F32) return "F32";
  if (mask == 1u << ST_F16) return "F16";
  if (mask == 1u << ST_BF16) return "BF16";
  if (mask == 1u << ST_F64) return "F64";
  return mask ? "mixed" : "F32";
}

void effnet_options_init(EffnetOptions *opt) {
  memset(opt, 0, sizeof *opt);
  opt->variant = -1;
}

static EffnetModel *model_new(const EffnetOptions *opt, Loader *L) {
  EffnetModel *m = calloc(1, sizeof *m);
  if (!m) {
    fail(L, "out of memory");
    return NULL;
  }
  m->kern = effnet_kernels_for(opt->isa);
  if (!m->kern) {
    char why[EFFNET_ERRLEN];
    effnet_kernels_unavailable(opt->isa, why, sizeof why);
    fail(L, "%s", why);
    free(m);
    return NULL;
  }
  m->info.isa = opt->isa == EFFNET_ISA_AUTO ? effnet_isa_best() : opt->isa;
  memcpy(m->info.mean, effnet_imagenet_mean, sizeof m->info.mean);
  memcpy(m->info.std, effnet_imagenet_std, sizeof m->info.std);
  return m;
}

/* Everything after the weights are known: sizes, numerics, loading, geometry. */
static int finish(Loader *L, EffnetModel *m, const EffnetOptions *opt, int cfg_input, int num_classes) {
  EffnetInfo *info = &m->info;
  arch_build(L->variant, &m->arch);
  info->variant = L->variant;
  info->naming = L->naming;
  info->num_classes = num_classes;
  if (!info->padding_source) {
    info->padding = EFFNET_PAD_SYMMETRIC;
    info->padding_source = "default";
  }
  if (opt->padding != EFFNET_PAD_AUTO) {
    info->padding = opt->padding;
    info->padding_source = "option";
  }
  /* BatchNorm eps: TF-ported weights and torchvision's B5-B7 use 1e-3. */
  info->bn_eps = opt->bn_eps > 0                                               ? opt->bn_eps
                 : info->padding == EFFNET_PAD_SAME                            ? 1e-3f
                 : (L->naming == EFFNET_NAMING_TORCHVISION && L->variant >= 5) ? 1e-3f
                                                                               : 1e-5f;
  m->input_size = opt->input_size > 0 ? opt->input_size : cfg_input > 0 ? cfg_input : m->arch.resolution;
  if (m->input_size < 32 || m->input_size > 2048)
    return fail(L, "input size %d is out of range (32 to 2048 pixels)", m->input_size);
  info->input_size = m->input_size;
  if (load_all(L, m, info->bn_eps, num_classes) != 0) return -1;
  info->parameters = L->params;
  info->dtype = dtype_summary(L->dtypes);
  info->architecture = m->architecture;
  info->interpolation = m->interpolation;
  model_plan_geometry(m);
  return gemm_backend_apply(m, opt->gemm, opt->isa, L->err, L->errlen);
}

int effnet_model_files(const char *path, char *file, size_t flen, char *cfg, size_t clen) {
  struct stat sb;
  int a, b;
  if (!path || !*path) return -1;
  if (stat(path, &sb) == 0 && S_ISDIR(sb.st_mode)) {
    a = snprintf(file, flen, "%s/model.safetensors", path);
    b = snprintf(cfg, clen, "%s/config.json", path);
  } else {
    a = snprintf(file, flen, "%s", path);
    const char *slash = strrchr(path, '/');
    if (slash) b = snprintf(cfg, clen, "%.*s/config.json", (int)(slash - path), path);
    else b = snprintf(cfg, clen, "config.json");
  }
  return a < 0 || (size_t)a >= flen || b < 0 || (size_t)b >= clen ? -1 : 0;
}

EffnetModel *effnet_model_load(const char *path, const EffnetOptions *opt_in, char *err, size_t errlen) {
  EffnetOptions defaults;
  effnet_options_init(&defaults);
  const EffnetOptions *opt = opt_in ? opt_in : &defaults;
  Loader L = {.err = err, .errlen = errlen, .file = path};
  if (err && errlen) err[0] = 0;
  if (!path || !*path) {
    fail(&L, "no weights file given");
    return NULL;
  }
  if (opt->variant < -1 || opt->variant >= EFFNET_NUM_VARIANTS) {
    fail(&L, "variant %d is not one of b0..b7", opt->variant);
    return NULL;
  }
  char file[4096], cfg[4096];
  struct stat sb;
  if (effnet_model_files(path, file, sizeof file, cfg, sizeof cfg) != 0) {
    fail(&L, "the weights path is too long (%zu bytes)", strlen(path));
    return NULL;
  }
  L.file = file;
  if (stat(path, &sb) == 0 && S_ISDIR(sb.st_mode) && stat(file, &sb) != 0) {
    fail(&L, "%s: the folder holds no model.safetensors", path);
    return NULL;
  }
  EffnetModel *m = model_new(opt, &L);
  if (!m) return NULL;
  L.st = st_open(file, err, errlen);
  if (!L.st) goto error;
  if (detect_naming(&L) != 0) goto error;

  ModelConfig mc;
  int have_cfg = apply_config(&L, cfg, m, &mc);
  if (have_cfg < 0) goto error;
  int cfg_input = have_cfg ? mc.input_size : 0, cfg_classes = have_cfg ? mc.num_classes : -1,
      cfg_variant = have_cfg ? mc.variant : -1;
  if (have_cfg) {
    m->info.padding = mc.tf_padding ? EFFNET_PAD_SAME : EFFNET_PAD_SYMMETRIC;
    m->info.padding_source = "config.json";
  }

  char desc[160];
  int inferred = infer_variant(&L, desc, sizeof desc);
  if (inferred < 0 && opt->variant < 0) {
    fail(&L, "%s: the tensor shapes match no EfficientNet B0-B7 (%s)", file, desc);
    goto error;
  }
  if (inferred >= 0 && opt->variant >= 0 && inferred != opt->variant) {
    fail(&L, "%s: the weights are EfficientNet-%s, not the requested %s", file, effnet_variant_name(inferred),
         effnet_variant_name(opt->variant));
    goto error;
  }
  L.variant = opt->variant >= 0 ? opt->variant : inferred;
  if (cfg_variant >= 0 && cfg_variant != L.variant) {
    fail(&L, "%s: config.json says %s but the weights are EfficientNet-%s", file, m->architecture,
         effnet_variant_name(L.variant));
    goto error;
  }
  if (st_metadata(L.st, "untrained")) m->info.untrained = 1;
  int classes = classes_in_file(&L);
  if (classes < 0) goto error;
  if (cfg_classes > 0 && cfg_classes != classes) {
    fail(&L, "%s: config.json says %d classes but the classifier has %d", file, cfg_classes, classes);
    goto error;
  }
  if (finish(&L, m, opt, cfg_input, classes) != 0) goto error;
  st_close(L.st);
  return m;
error:
  if (L.st) st_close(L.st);
  effnet_model_free(m);
  return NULL;
}

EffnetModel *effnet_model_random(int variant, int num_classes, uint64_t seed, const EffnetOptions *opt_in, char *err,
                                 size_t errlen) {
  EffnetOptions defaults;
  effnet_options_init(&defaults);
  const EffnetOptions *opt = opt_in ? opt_in : &defaults;
  Loader L = {.err = err,
              .errlen = errlen,
              .file = "random weights",
              .rng = seed * 2654435761u + 1,
              .naming = EFFNET_NAMING_TORCHVISION,
              .variant = variant};
  if (variant < 0 || variant >= EFFNET_NUM_VARIANTS) {
    fail(&L, "variant %d is not one of b0..b7", variant);
    return NULL;
  }
  if (num_classes < 1) {
    fail(&L, "the number of classes must be at least 1");
    return NULL;
  }
  EffnetModel *m = model_new(opt, &L);
  if (!m) return NULL;
  if (finish(&L, m, opt, 0, num_classes) != 0) {
    effnet_model_free(m);
    return NULL;
  }
  m->info.naming = EFFNET_NAMING_RANDOM;
  m->info.untrained = 1;
  return m;
}

void effnet_model_free(EffnetModel *m) {
  if (!m) return;
  packed_gemm_free(&m->stem);
  for (int i = 0; i < EFFNET_MAX_BLOCKS; i++) {
    Block *b = &m->blocks[i];
    packed_gemm_free(&b->expand);
    free(b->dw.w);
    free(b->dw.bias);
    packed_gemm_free(&b->se_reduce);
    packed_gemm_free(&b->se_expand);
    packed_gemm_free(&b->project);
  }
  packed_gemm_free(&m->head);
  packed_gemm_free(&m->classifier);
  free(m);
}

const EffnetInfo *effnet_model_info(const EffnetModel *m) { return &m->info; }
