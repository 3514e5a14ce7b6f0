/* util.c — small helpers of the public API: names of variants and enums,
 * softmax and top-k. Nothing here touches models; the variants come from
 * arch.c's table. */
#include "effnet.h"

#include "arch.h"

#include <ctype.h>
#include <math.h>
#include <string.h>

const char *effnet_variant_name(int variant) {
  const ArchVariant *v = arch_variant(variant);
  return v ? v->name : NULL;
}

/* Square input resolution of each variant as published with the weights. */
int effnet_variant_input_size(int variant) {
  const ArchVariant *v = arch_variant(variant);
  return v ? v->resolution : 0;
}

/* Case-insensitive prefix match; returns the rest of s or NULL. */
static const char *skip_prefix(const char *s, const char *prefix) {
  for (; *prefix; s++, prefix++)
    if (tolower((unsigned char)*s) != *prefix) return NULL;
  return s;
}

int effnet_variant_from_name(const char *name) {
  /* Spellings used by torchvision, the Google release and timm. */
  static const char *const prefixes[] = {"", "efficientnet-", "efficientnet_", "tf_efficientnet_"};
  if (name == NULL) return -1;
  for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++) {
    const char *rest = skip_prefix(name, prefixes[i]);
    if (rest == NULL) continue;
    for (int v = 0; v < EFFNET_NUM_VARIANTS; v++) {
      const char *end = skip_prefix(rest, arch_variant(v)->name);
      if (end && *end == '\0') return v;
    }
  }
  return -1;
}

const char *effnet_padding_name(EffnetPadding p) {
  switch (p) {
    case EFFNET_PAD_AUTO: return "auto";
    case EFFNET_PAD_SYMMETRIC: return "symmetric";
    case EFFNET_PAD_SAME: return "same";
  }
  return NULL;
}

const char *effnet_naming_name(EffnetNaming n) {
  switch (n) {
    case EFFNET_NAMING_TORCHVISION: return "torchvision";
    case EFFNET_NAMING_TIMM: return "timm";
    case EFFNET_NAMING_RANDOM: return "random";
  }
  return NULL;
}

const char *effnet_isa_name(EffnetIsa isa) {
  switch (isa) {
    case EFFNET_ISA_AUTO: return "auto";
    case EFFNET_ISA_SCALAR: return "scalar";
    case EFFNET_ISA_AVX2: return "avx2";
    case EFFNET_ISA_AVX512: return "avx512";
    case EFFNET_ISA_NEON: return "neon";
  }
  return NULL;
}

const char *effnet_gemm_name(EffnetGemm g) {
  switch (g) {
    case EFFNET_GEMM_AUTO: return "auto";
    case EFFNET_GEMM_OURS: return "ours";
    case EFFNET_GEMM_OPENBLAS: return "openblas";
  }
  return NULL;
}

/* Softmax when the largest logit is +inf: the mass is shared by the +inf
 * entries (the limit of the finite case); exp(inf - inf) would give NaN. */
static void softmax_inf(const float *logits, int n, float *probs) {
  int count = 0;
  for (int i = 0; i < n; i++) count += logits[i] == INFINITY;
  for (int i = 0; i < n; i++) probs[i] = logits[i] == INFINITY ? 1.0f / (float)count : 0.0f;
}

void effnet_softmax(const float *logits, int n, float *probs) {
  if (logits == NULL || probs == NULL || n <= 0) return;
  /* Subtracting the max keeps every exponent <= 0, so nothing overflows and
   * the largest term is exactly 1 (the sum is >= 1, never 0). */
  float max = -INFINITY;
  int has_nan = 0;
  for (int i = 0; i < n; i++) {
    if (isnan(logits[i])) has_nan = 1;
    else if (logits[i] > max) max = logits[i];
  }
  if (has_nan) { /* no meaningful distribution: say so rather than guess */
    for (int i = 0; i < n; i++) probs[i] = NAN;
    return;
  }
  if (max == INFINITY) {
    softmax_inf(logits, n, probs);
    return;
  }
  if (max == -INFINITY) { /* every logit is -inf: no preference */
    for (int i = 0; i < n; i++) probs[i] = 1.0f / (float)n;
    return;
  }
  double sum = 0.0;
  for (int i = 0; i < n; i++) sum += exp((double)logits[i] - (double)max);
  /* exp is evaluated again rather than stored as float so that each result is
   * rounded once; probs[i] is written only after logits[i] is read, so the
   * arrays may alias. */
  for (int i = 0; i < n; i++) probs[i] = (float)(exp((double)logits[i] - (double)max) / sum);
}

/* Whether value a (seen later, so at a higher index) outranks b. NaN ranks
 * below every number; equal values keep the earlier (lower) index first. */
static int outranks(float a, float b) {
  if (isnan(a)) return 0;
  if (isnan(b)) return 1;
  return a > b;
}

int effnet_top_k(const float *values, int n, int k, int *idx) {
  if (values == NULL || idx == NULL || n <= 0 || k <= 0) return 0;
  if (k > n) k = n;
  /* idx[0..count) stays sorted best first; each new index is inserted by
   * shifting worse entries down, dropping the last one when full. */
  int count = 0;
  for (int i = 0; i < n; i++) {
    if (count == k && !outranks(values[i], values[idx[k - 1]])) continue;
    int pos = count < k ? count++ : k - 1;
    while (pos > 0 && outranks(values[i], values[idx[pos - 1]])) {
      idx[pos] = idx[pos - 1];
      pos--;
    }
    idx[pos] = i;
  }
  return count;
}
