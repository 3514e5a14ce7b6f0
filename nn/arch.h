/* arch.h — EfficientNet B0–B7 built by compound scaling (Tan & Le, 2019).
 *
 * The B0 stage table and the variant table (arch.c: name, width, depth,
 * resolution, default weights) are the only constants; every variant's
 * channels and repeats are derived with the rounding rules the reference
 * implementations use. Everything else that depends on the variant (names,
 * input sizes, the weights cache) reads it from here. */
#ifndef EFFNET_ARCH_H
#define EFFNET_ARCH_H

#define EFFNET_NUM_VARIANTS 8
#define EFFNET_NUM_STAGES 7
#define EFFNET_MAX_BLOCKS 64 /* B7 has 55 */

/* One row of the variant table. */
typedef struct {
  const char *name;    /* "b0" .. "b7" */
  double width, depth; /* compound scaling coefficients */
  int resolution;      /* square input size the weights were published with */
  const char *weights; /* the default weights' name, e.g. "efficientnet_b0.ra_in1k" */
} ArchVariant;

/* The row of variant 0 .. EFFNET_NUM_VARIANTS - 1, or NULL. */
const ArchVariant *arch_variant(int variant);

typedef struct {
  int in_ch, out_ch;  /* block input / output channels */
  int exp_ch;         /* channels after the expand 1x1 (== in_ch when expand == 1) */
  int se_ch;          /* squeeze-excitation bottleneck: max(1, in_ch / 4) */
  int expand;         /* expand ratio: 1 (stage 1) or 6 */
  int kernel, stride; /* depthwise kernel 3 or 5, stride 1 or 2 */
  int stage, index;   /* stage 0..6 and block index inside it */
  int residual;       /* stride 1 and in_ch == out_ch */
} BlockSpec;

typedef struct {
  int variant;
  double width, depth;
  int resolution;
  int stem_ch, head_ch;
  int repeats[EFFNET_NUM_STAGES];
  int stage_ch[EFFNET_NUM_STAGES];
  int num_blocks;
  BlockSpec blocks[EFFNET_MAX_BLOCKS];
} ArchSpec;

/* Fill spec for variant 0..7; returns 0, or -1 for an unknown variant. */
int arch_build(int variant, ArchSpec *spec);

/* Channel rounding: max(8, int(c*w + 4) // 8 * 8), + 8 if that lost over 10 %. */
int arch_round_channels(int c, double width);
/* Repeat rounding: ceil(r * depth). */
int arch_round_repeats(int r, double depth);

#endif
