/* resample.h — filter tables of one resampling axis, as Pillow's
 * Image.resize builds them, and their dense tiles for the SIMD kernels.
 *
 * Output sample x (0 <= x < out) is centred on input coordinate
 *     center = in0 + (x + offset + 0.5) * scale
 * (pixel i covers [i, i + 1)). Antialiased filters are stretched by
 * max(scale, 1) when shrinking; the taps are the inputs within the stretched
 * support, clamped to [lo, hi), and their weights are normalized to sum to 1.
 * `offset` places the S outputs inside a larger resized picture: the centre
 * crop of torchvision's Resize + CenterCrop is the same filter at an offset. */
#ifndef EFFNET_RESAMPLE_H
#define EFFNET_RESAMPLE_H

#include <stddef.h>

#include "effnet.h"
#include "kernels/kernels.h"

typedef struct {
  double in0, scale; /* input coordinate of output 0's left edge, inputs per output */
  int offset;        /* outputs skipped before the first one produced */
  int out;           /* outputs produced */
  int lo, hi;        /* inputs that exist (taps are clamped to them) */
} AxisGeometry;

/* Taps of one axis: output x reads inputs start[x] .. start[x] + count[x] - 1
 * (absolute input indices) with weights w[x * kmax + t]. */
typedef struct {
  int out, kmax;
  int *start, *count;
  float *w;
  int first, last; /* inputs used: [first, last) */
  int contiguous;  /* every input in [first, last) is used by some output */
} AxisTaps;

/* Taps per output this geometry can need, at most (Pillow's ksize). */
int resample_kmax(const AxisGeometry *g, EffnetFilter f);
/* Fills t (arrays of at least out, out and out * kmax entries, already
 * pointing into the caller's memory). pillow8: the weights Pillow uses on
 * 8-bit pictures, rounded to 22 fractional bits (exact in a float). */
void resample_taps(const AxisGeometry *g, EffnetFilter f, int pillow8, AxisTaps *t);

/* Pillow's fixed point for 8-bit pictures: weights are n / 2^22. */
#define PILLOW_PRECISION_BITS 22

/* Floats the dense tiles of `t` take for tiles of `tile` outputs. */
size_t resample_tiles_floats(const AxisTaps *t, int tile);
/* Dense tiles of t relative to input `base` (the first input a kernel's
 * source row holds): j0/len arrays of ceil(out / tile) entries and w of
 * resample_tiles_floats() floats, from the caller's memory. */
void resample_tiles(const AxisTaps *t, int tile, int base, HTiles *h, int *j0, int *len, float *w);

/* The most taps any output of t has (at least 1). */
int resample_taps_most(const AxisTaps *t);

/* The taps of t tap-major for the SIMD gathers (HTaps.col/wt, see
 * kernels.h): npad * resample_taps_most(t) entries each, inputs relative to
 * `base`. Returns that kcol. */
int resample_taps_columns(const AxisTaps *t, int base, int npad, int *col, float *wt);

#endif
