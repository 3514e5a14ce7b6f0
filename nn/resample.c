/* resample.c — filter tables, computed the way Pillow's Image.resize
 * computes them (in double, weights normalized per output), so that the
 * frame path gives the pictures the published weights were evaluated on. */
#include "resample.h"

#include <math.h>
#include <string.h>

/* Catmull-Rom: Keys' cubic with a = -0.5 (PIL's BICUBIC), support 2. */
static double cubic(double x) {
  const double a = -0.5;
  x = fabs(x);
  if (x < 1.0) return ((a + 2.0) * x - (a + 3.0)) * x * x + 1.0;
  if (x < 2.0) return (((x - 5.0) * x + 8.0) * x - 4.0) * a;
  return 0.0;
}

static double triangle(double x) {
  x = fabs(x);
  return x < 1.0 ? 1.0 - x : 0.0;
}

static double support_of(EffnetFilter f) { return f == EFFNET_FILTER_BICUBIC ? 2.0 : 1.0; }

/* The filter is stretched by the shrink factor, except the fast one. */
static double filterscale(const AxisGeometry *g, EffnetFilter f) {
  return f == EFFNET_FILTER_FAST || g->scale < 1.0 ? 1.0 : g->scale;
}

int resample_kmax(const AxisGeometry *g, EffnetFilter f) {
  return (int)ceil(support_of(f) * filterscale(g, f)) * 2 + 1;
}

/* Rounded half away from zero, as Pillow's normalize_coeffs_8bpc does. */
static float pillow_weight(double w) {
  const double one = (double)(1 << PILLOW_PRECISION_BITS);
  double n = w < 0 ? ceil(w * one - 0.5) : floor(w * one + 0.5);
  return (float)(n / one);
}

void resample_taps(const AxisGeometry *g, EffnetFilter f, int pillow8, AxisTaps *t) {
  const double fs = filterscale(g, f), support = support_of(f) * fs, inv = 1.0 / fs;
  double (*filter)(double) = f == EFFNET_FILTER_BICUBIC ? cubic : triangle;
  t->out = g->out;
  t->kmax = resample_kmax(g, f);
  t->first = g->hi;
  t->last = g->lo;
  t->contiguous = 1;
  for (int x = 0; x < g->out; x++) {
    double center = g->in0 + (x + g->offset + 0.5) * g->scale;
    /* (int) truncates as Pillow's C does; the clamps make it a floor */
    int xmin = (int)(center - support + 0.5), xmax = (int)(center + support + 0.5);
    if (xmin < g->lo) xmin = g->lo;
    if (xmax > g->hi) xmax = g->hi;
    if (xmin >= g->hi) xmin = g->hi - 1;
    if (xmax <= xmin) xmax = xmin + 1;
    int n = xmax - xmin;
    if (n > t->kmax) n = t->kmax;
    /* normalized in double, as Pillow does: the filter is evaluated twice
     * (plan time only), first for the sum */
    float *w = t->w + (size_t)x * t->kmax;
    double sum = 0.0;
    for (int i = 0; i < n; i++) sum += filter((i + xmin - center + 0.5) * inv);
    for (int i = 0; i < n; i++) {
      double v = filter((i + xmin - center + 0.5) * inv), k = sum != 0.0 ? v / sum : v;
      w[i] = pillow8 ? pillow_weight(k) : (float)k;
    }
    for (int i = n; i < t->kmax; i++) w[i] = 0.0f;
    if (x > 0 && xmin > t->start[x - 1] + t->count[x - 1]) t->contiguous = 0;
    t->start[x] = xmin;
    t->count[x] = n;
    if (xmin < t->first) t->first = xmin;
    if (xmin + n > t->last) t->last = xmin + n;
  }
}

static int ntiles(const AxisTaps *t, int tile) { return (t->out + tile - 1) / tile; }

/* Inputs [lo, hi) a tile of outputs [x0, x0 + tile) reads. */
static void tile_span(const AxisTaps *t, int x0, int tile, int *lo, int *hi) {
  int x1 = x0 + tile < t->out ? x0 + tile : t->out;
  *lo = t->start[x0];
  *hi = t->start[x0] + t->count[x0];
  for (int x = x0; x < x1; x++) {
    if (t->start[x] < *lo) *lo = t->start[x];
    if (t->start[x] + t->count[x] > *hi) *hi = t->start[x] + t->count[x];
  }
}

size_t resample_tiles_floats(const AxisTaps *t, int tile) {
  size_t n = 0;
  for (int i = 0; i < ntiles(t, tile); i++) {
    int lo, hi;
    tile_span(t, i * tile, tile, &lo, &hi);
    n += (size_t)(hi - lo) * (size_t)tile;
  }
  return n;
}

void resample_tiles(const AxisTaps *t, int tile, int base, HTiles *h, int *j0, int *len, float *w) {
  h->tile = tile;
  h->ntiles = ntiles(t, tile);
  h->j0 = j0;
  h->len = len;
  h->w = w;
  for (int i = 0; i < h->ntiles; i++) {
    int lo, hi, x0 = i * tile;
    tile_span(t, x0, tile, &lo, &hi);
    j0[i] = lo - base;
    len[i] = hi - lo;
    memset(w, 0, sizeof(float) * (size_t)len[i] * (size_t)tile);
    for (int o = 0; o < tile && x0 + o < t->out; o++) {
      int x = x0 + o;
      for (int k = 0; k < t->count[x]; k++)
        w[(size_t)(t->start[x] - lo + k) * tile + o] = t->w[(size_t)x * t->kmax + k];
    }
    w += (size_t)len[i] * (size_t)tile;
  }
}

int resample_taps_most(const AxisTaps *t) {
  int most = 1;
  for (int x = 0; x < t->out; x++)
    if (t->count[x] > most) most = t->count[x];
  return most;
}

int resample_taps_columns(const AxisTaps *t, int base, int npad, int *col, float *wt) {
  const int kcol = resample_taps_most(t);
  for (int k = 0; k < kcol; k++)
    for (int x = 0; x < npad; x++) {
      int o = x < t->out ? x : t->out - 1; /* padding outputs repeat the last one */
      int used = k < t->count[o];
      /* a tap an output does not have reads its last input, with weight 0 */
      col[(size_t)k * npad + x] = t->start[o] + (used ? k : t->count[o] - 1) - base;
      wt[(size_t)k * npad + x] = used && x < t->out ? t->w[(size_t)o * t->kmax + k] : 0.0f;
    }
  return kcol;
}
