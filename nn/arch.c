/* arch.c — compound scaling of the EfficientNet-B0 baseline into B0–B7. */
#include "arch.h"

#include "effnet.h"

#include <math.h>
#include <string.h>

/* The variants, one row each: the paper's (width, depth, resolution), the
 * name, and the weights fetched for it (timm's repositories on the Hugging
 * Face hub: its own B0-B4 weights, and the TensorFlow ports for B5-B7, which
 * timm only publishes as tf_*). scripts/fetch_weights.sh has the same
 * weights names; tests/test_cache.sh checks they agree. Adding a variant is a
 * row here (and EFFNET_NUM_VARIANTS in arch.h). */
static const ArchVariant kVariants[EFFNET_NUM_VARIANTS] = {
    {"b0", 1.0, 1.0, 224, "efficientnet_b0.ra_in1k"},    {"b1", 1.0, 1.1, 240, "efficientnet_b1.ft_in1k"},
    {"b2", 1.1, 1.2, 260, "efficientnet_b2.ra_in1k"},    {"b3", 1.2, 1.4, 300, "efficientnet_b3.ra2_in1k"},
    {"b4", 1.4, 1.8, 380, "efficientnet_b4.ra2_in1k"},   {"b5", 1.6, 2.2, 456, "tf_efficientnet_b5.aa_in1k"},
    {"b6", 1.8, 2.6, 528, "tf_efficientnet_b6.aa_in1k"}, {"b7", 2.0, 3.1, 600, "tf_efficientnet_b7.aa_in1k"},
};

/* ImageNet normalization, what every published EfficientNet weight expects
 * (declared in effnet.h). */
const float effnet_imagenet_mean[3] = {0.485f, 0.456f, 0.406f};
const float effnet_imagenet_std[3] = {0.229f, 0.224f, 0.225f};

const ArchVariant *arch_variant(int variant) {
  return variant >= 0 && variant < EFFNET_NUM_VARIANTS ? &kVariants[variant] : NULL;
}

/* The B0 baseline: MBConv stages (expand ratio, kernel, stride, out channels, repeats). */
static const struct {
  int expand, kernel, stride, out_ch, repeats;
} kB0Stages[EFFNET_NUM_STAGES] = {
    {1, 3, 1, 16, 1},  {6, 3, 2, 24, 2},  {6, 5, 2, 40, 2},  {6, 3, 2, 80, 3},
    {6, 5, 1, 112, 3}, {6, 5, 2, 192, 4}, {6, 3, 1, 320, 1},
};
enum { kB0Stem = 32, kB0Head = 1280 };

int arch_round_channels(int c, double width) {
  double scaled = c * width;
  int r = (int)(scaled + 4.0) / 8 * 8;
  if (r < 8) r = 8;
  if (r < 0.9 * scaled) r += 8;
  return r;
}

int arch_round_repeats(int r, double depth) {
  /* ceil with a small tolerance so 1.1*10 (=11.000000000000002) stays 11 */
  return (int)ceil(r * depth - 1e-9);
}

int arch_build(int variant, ArchSpec *spec) {
  const ArchVariant *v = arch_variant(variant);
  if (v == NULL) return -1;
  memset(spec, 0, sizeof *spec);
  double w = v->width, d = v->depth;
  spec->variant = variant;
  spec->width = w;
  spec->depth = d;
  spec->resolution = v->resolution;
  spec->stem_ch = arch_round_channels(kB0Stem, w);
  spec->head_ch = arch_round_channels(kB0Head, w);

  int in_ch = spec->stem_ch, n = 0;
  for (int s = 0; s < EFFNET_NUM_STAGES; s++) {
    int out_ch = arch_round_channels(kB0Stages[s].out_ch, w);
    int reps = arch_round_repeats(kB0Stages[s].repeats, d);
    spec->stage_ch[s] = out_ch;
    spec->repeats[s] = reps;
    for (int j = 0; j < reps; j++) {
      if (n >= EFFNET_MAX_BLOCKS) return -1;
      BlockSpec *b = &spec->blocks[n++];
      b->in_ch = in_ch;
      b->out_ch = out_ch;
      b->expand = kB0Stages[s].expand;
      b->exp_ch = in_ch * b->expand;
      b->se_ch = in_ch / 4 > 1 ? in_ch / 4 : 1;
      b->kernel = kB0Stages[s].kernel;
      b->stride = j == 0 ? kB0Stages[s].stride : 1; /* a stage's stride is its first block's */
      b->stage = s;
      b->index = j;
      b->residual = b->stride == 1 && in_ch == out_ch;
      in_ch = out_ch;
    }
  }
  spec->num_blocks = n;
  return 0;
}
