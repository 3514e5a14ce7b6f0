/* fuzz_prep.c — libFuzzer target: the frame path's geometry (nn/prep.c,
 * nn/frame.c, nn/resample.c and the pixel/resample kernels).
 *
 * The input bytes choose a request: the options (input size, fit, filter,
 * crop_pct, mean/std, kernels), a frame (format, size, strides, matrix,
 * range, chroma siting) and 1..8 regions (inside the frame, at odd offsets,
 * partly or wholly outside it, or absurd), planned and run, then planned again
 * with other regions so the reuse of tables is exercised too. What is checked:
 *  - every call that fails says why (a non-empty sentence);
 *  - a request the API documents as invalid (bad options, a frame that fails
 *    the documented checks, a region not inside the frame) is refused;
 *  - a run writes every output value, and with a sane normalization they are
 *    finite (the output is filled with NaN before the run).
 * Frame planes are allocated exactly: one buffer of effnet_frame_layout()'s
 * size with its tight strides, or one allocation per plane whose last row is
 * exactly as long as a row needs, so ASan catches any read past the frame. */
#include "effnet.h"

#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_FRAME_BYTES ((size_t)64 << 20)
/* Pixels of a frame, and of all regions read and written together, so that
 * one input stays well under the 10 s timeout on a busy machine: a
 * 4096-pixel side is at most 1024 long the other way (256 with the scalar
 * kernels, which take ~1.5 us a pixel instrumented). */
#define MAX_PIXELS ((long long)1 << 22)
#define MAX_REGION_PIXELS ((long long)1 << 21)
#define MAX_PIXELS_SCALAR ((long long)1 << 20)
#define MAX_RECTS 8

static void fail(const char *why, const char *err) {
  fprintf(stderr, "fuzz_prep: %s%s%s\n", why, err ? ": " : "", err ? err : "");
  abort();
}

/* ---- the input as a stream of choices (zeros once it runs out) ---- */

typedef struct {
  const uint8_t *p;
  size_t left;
} Bytes;

static uint32_t take(Bytes *b, int nbytes) {
  uint32_t v = 0;
  for (int i = 0; i < nbytes; i++) {
    v |= (uint32_t)(b->left ? *b->p : 0) << (8 * i);
    if (b->left) b->p++, b->left--;
  }
  return v;
}
static uint32_t take8(Bytes *b) { return take(b, 1); }
static uint32_t take16(Bytes *b) { return take(b, 2); }
static uint32_t take32(Bytes *b) { return take(b, 4); }
static float take_float(Bytes *b) {
  uint32_t u = take32(b);
  float f;
  memcpy(&f, &u, sizeof f);
  return f;
}

/* A float for crop_pct, mean or std: usually in [lo, hi], sometimes one of
 * the edge values, sometimes any 32 bits. */
static float take_param(Bytes *b, float lo, float hi) {
  static const float edges[] = {0.0f,       -0.0f,      1.0f,     -1.0f,     1e-30f, 1e-7f,           1e30f,
                                1.0000001f, 0.9999999f, INFINITY, -INFINITY, NAN,    1.17549435e-38f, 1e-45f};
  uint32_t kind = take8(b);
  if (kind < 224) return lo + (hi - lo) * (float)take16(b) / 65535.0f;
  if (kind < 248) return edges[take8(b) % (sizeof edges / sizeof edges[0])];
  return take_float(b);
}

/* A region coordinate pair (start, length) on an axis of n pixels. */
static void take_span(Bytes *b, int n, int *start, int *len) {
  uint32_t kind = take8(b);
  uint32_t u = take16(b), v = take16(b);
  if (kind < 160) { /* inside */
    *start = (int)(u % (uint32_t)n);
    *len = 1 + (int)(v % (uint32_t)(n - *start));
  } else if (kind < 200) { /* the whole axis */
    *start = 0;
    *len = n;
  } else if (kind < 240) { /* near the frame: partly outside, empty or negative */
    *start = (int)(u % (uint32_t)(3 * n + 1)) - n;
    *len = (int)(v % (uint32_t)(3 * n + 1)) - n;
  } else { /* anything, including sums that overflow an int */
    static const int edges[] = {INT_MIN,          INT_MIN + 1,         -1, 0, 1, INT_MAX - 1, INT_MAX,
                                EFFNET_FRAME_MAX, EFFNET_FRAME_MAX + 1};
    *start = kind & 1 ? edges[u % 9] : (int)(u << 16 | v);
    *len = kind & 2 ? edges[v % 9] : (int)(v << 16 | u);
  }
}

static int inside(const EffnetRect *r, int w, int h) {
  return r->w >= 1 && r->h >= 1 && r->x >= 0 && r->y >= 0 && (long long)r->x + r->w <= w && (long long)r->y + r->h <= h;
}

static uint64_t g_rng;
static uint64_t next_rand(void) {
  g_rng ^= g_rng << 13;
  g_rng ^= g_rng >> 7;
  g_rng ^= g_rng << 17;
  return g_rng;
}
static void fill(uint8_t *p, size_t n) {
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t r = next_rand();
    memcpy(p + i, &r, 8);
  }
  for (; i < n; i++) p[i] = (uint8_t)next_rand();
}

/* ---- one frame in exactly-sized memory ---- */

typedef struct {
  EffnetFrame f;
  uint8_t *mem[3];
  int must_fail; /* the frame breaks a documented rule */
} Frame;

static void frame_free(Frame *fr) {
  for (int p = 0; p < 3; p++) free(fr->mem[p]);
  memset(fr, 0, sizeof *fr);
}

static void *xmalloc(size_t n) {
  void *p = malloc(n ? n : 1);
  if (!p) abort();
  return p;
}

/* Builds a frame from the input. Returns 0, or -1 when the input asks for no
 * frame at all (nothing to test). */
static int frame_make(Bytes *b, Frame *fr, long long max_pixels) {
  memset(fr, 0, sizeof *fr);
  EffnetFrame *f = &fr->f;
  uint32_t fmt = take8(b);
  int bad_format = fmt >= 250;
  f->format = bad_format ? (EffnetFormat)(fmt == 255 ? -1 : EFFNET_FORMAT_COUNT + (int)(fmt & 3))
                         : (EffnetFormat)(fmt % EFFNET_FORMAT_COUNT);
  /* mostly small frames (they run fast), some up to 4096 a side */
  uint32_t scale = take8(b) % 8;
  uint32_t lim = scale < 5 ? 64 : scale < 7 ? 640 : 4096;
  f->width = 1 + (int)(take16(b) % lim);
  f->height = 1 + (int)(take16(b) % lim);
  if ((long long)f->width * f->height > max_pixels) f->height = (int)(max_pixels / f->width);
  uint32_t m = take8(b);
  f->matrix = m < 240 ? (EffnetMatrix)(m % 3) : (EffnetMatrix)(int)(m - 244); /* -4..11 */
  f->full_range = (int)(take8(b) & 1);
  f->chroma_site = (int)(take8(b) & 3);
  uint32_t mode = take8(b);

  if (bad_format) { /* no layout to follow: one small plane of garbage, refused before it is read */
    fr->must_fail = 1;
    for (int p = 0; p < 3; p++) {
      fr->mem[p] = xmalloc(16);
      f->data[p] = fr->mem[p];
      f->stride[p] = 16;
    }
    return 0;
  }
  size_t tight[3], offset[3];
  long long total = effnet_frame_layout(f->format, f->width, f->height, tight, offset);
  if (total <= 0) fail("effnet_frame_layout refuses a valid format and size", NULL);
  int planes = 0;
  for (int p = 0; p < 3; p++) planes += tight[p] > 0;
  size_t rows[3] = {0, 0, 0};
  for (int p = 0; p < planes; p++) {
    size_t end = p + 1 < planes ? offset[p + 1] : (size_t)total;
    if ((end - offset[p]) % tight[p]) fail("effnet_frame_layout: a plane is not whole rows", NULL);
    rows[p] = (end - offset[p]) / tight[p];
  }
  /* only YUV formats look at the matrix */
  if ((f->matrix > EFFNET_MATRIX_BT2020 || (int)f->matrix < 0) && f->format >= EFFNET_FORMAT_I420) fr->must_fail = 1;

  if (mode < 96) { /* one buffer, effnet_frame_layout's own strides and offsets */
    if ((size_t)total > MAX_FRAME_BYTES) return -1;
    fr->mem[0] = xmalloc((size_t)total);
    fill(fr->mem[0], (size_t)total);
    for (int p = 0; p < planes; p++) {
      f->data[p] = fr->mem[0] + offset[p];
      f->stride[p] = tight[p];
    }
    return 0;
  }
  /* one allocation per plane, each with its own stride (odd padding), the
   * last row exactly as long as a row needs */
  size_t bytes = 0;
  for (int p = 0; p < planes; p++) {
    uint32_t pad = take8(b);
    size_t stride = tight[p] + (pad < 200 ? pad % 67 : pad < 250 ? 0 : (size_t)(pad & 3) << 12);
    if (mode >= 248 && p == (int)(mode & 1) % planes) { /* a stride too small, or absurd */
      stride = mode & 2 ? tight[p] - 1 : ((size_t)1 << 30) + 1;
      fr->must_fail = 1;
    }
    f->stride[p] = stride;
    if (stride > ((size_t)1 << 30)) {
      fr->mem[p] = xmalloc(16); /* refused before it is read */
      f->data[p] = fr->mem[p];
      continue;
    }
    size_t need = (rows[p] - 1) * stride + tight[p];
    if (stride < tight[p]) need = rows[p] * tight[p];
    bytes += need;
    if (bytes > MAX_FRAME_BYTES) {
      frame_free(fr);
      return -1;
    }
    fr->mem[p] = xmalloc(need);
    fill(fr->mem[p], need);
    f->data[p] = fr->mem[p];
  }
  if (mode >= 240 && mode < 248 && planes > 0) { /* a plane missing */
    int p = (int)(mode & 3) % planes;
    free(fr->mem[p]);
    fr->mem[p] = NULL;
    f->data[p] = NULL;
    fr->must_fail = 1;
  }
  return 0;
}

/* ---- one request ---- */

static void check_output(const float *out, size_t count, int finite) {
  for (size_t i = 0; i < count; i++) {
    if (isnan(out[i]) && finite) {
      char where[64];
      snprintf(where, sizeof where, "value %zu of %zu", i, count);
      fail("the run left an output value unwritten or wrote NaN", where);
    }
    if (finite && !isfinite(out[i])) fail("the run wrote an infinite value", NULL);
  }
}

static void plan_and_run(EffnetPrep *p, const Frame *fr, const EffnetRect *rects, int n, int whole, int threads,
                         int options_sane, int S) {
  char err[EFFNET_ERRLEN];
  err[0] = '\0';
  int must_fail = fr->must_fail || (!whole && n < 1);
  for (int i = 0; !whole && i < n; i++) must_fail |= !inside(&rects[i], fr->f.width, fr->f.height);
  int r = effnet_prep_plan(p, &fr->f, whole ? NULL : rects, whole ? 1 : n, threads, err, sizeof err);
  if (r != 0) {
    if (err[0] == '\0') fail("effnet_prep_plan failed without a sentence", NULL);
    /* a failed plan leaves nothing to run */
    float dummy = 0.0f;
    err[0] = '\0';
    if (effnet_prep_run(p, &dummy, err, sizeof err) == 0) fail("effnet_prep_run ran a failed plan", NULL);
    if (err[0] == '\0') fail("effnet_prep_run failed without a sentence", NULL);
    return;
  }
  if (must_fail) fail("effnet_prep_plan accepted a request the API says is invalid", NULL);
  size_t count = (size_t)(whole ? 1 : n) * 3 * (size_t)S * (size_t)S;
  float *out = xmalloc(count * sizeof *out);
  for (size_t i = 0; i < count; i++) out[i] = NAN;
  err[0] = '\0';
  if (effnet_prep_run(p, out, err, sizeof err) != 0) {
    if (err[0] == '\0') fail("effnet_prep_run failed without a sentence", NULL);
    fail("effnet_prep_run refused a plan that succeeded", err);
  }
  check_output(out, count, options_sane);
  free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  Bytes b = {data, size};
  g_rng = 0x9E3779B97F4A7C15ull ^ size;
  for (size_t i = 0; i < size && i < 16; i++) g_rng = g_rng * 31 + data[i];
  if (!g_rng) g_rng = 1;

  /* the options */
  EffnetPrepOptions opt;
  effnet_prep_options_init(&opt, NULL);
  uint32_t sz = take16(&b);
  opt.size = sz < 65000 ? 8 + (int)(sz % 313) : (int)(sz - 65003); /* 8..320, sometimes -3..2532 */
  uint32_t fit = take8(&b), filter = take8(&b);
  opt.fit = (EffnetFit)(fit < 250 ? (int)(fit % 3) : (int)fit - 252); /* -2..3 */
  opt.filter = (EffnetFilter)(filter < 250 ? (int)(filter % 3) : (int)filter - 252);
  opt.crop_pct = take_param(&b, 0.5f, 1.0f);
  for (int c = 0; c < 3; c++) {
    opt.mean[c] = take_param(&b, 0.0f, 1.0f);
    opt.std[c] = take_param(&b, 0.1f, 1.0f);
  }
  uint32_t flags = take8(&b);
  opt.unnormalized = (int)(flags & 1);
  opt.isa = (EffnetIsa)(int)((flags >> 1) & 3);
  int threads = 1 + (int)((flags >> 3) & 1);
  int second_round = (int)((flags >> 4) & 1);

  int opt_invalid = opt.size < 1 || opt.size > 2048 || (unsigned)opt.fit > EFFNET_FIT_STRETCH ||
                    (unsigned)opt.filter > EFFNET_FILTER_FAST ||
                    !(opt.crop_pct >= EFFNET_CROP_PCT_MIN && opt.crop_pct <= 1.0f) || !effnet_isa_supported(opt.isa);
  int sane = 1;
  for (int c = 0; c < 3; c++) {
    opt_invalid |= !isfinite(opt.mean[c]) || !isfinite(opt.std[c]) || fabsf(opt.std[c]) < EFFNET_STD_MIN;
    sane &= fabsf(opt.std[c]) >= 1e-3f && fabsf(opt.mean[c]) <= 1e3f;
  }
  char err[EFFNET_ERRLEN];
  err[0] = '\0';
  EffnetPrep *p = effnet_prep_new(&opt, err, sizeof err);
  if (!p) {
    if (err[0] == '\0') fail("effnet_prep_new failed without a sentence", NULL);
    return 0;
  }
  if (opt_invalid) fail("effnet_prep_new accepted invalid options", NULL);
  const EffnetPrepOptions *kept = effnet_prep_options(p);
  if (!kept || kept->size != opt.size) fail("effnet_prep_options does not give the options back", NULL);

  /* a frame and its regions, once or twice (the second plan reuses tables) */
  for (int round = 0; round <= second_round; round++) {
    Frame fr;
    int scalar = opt.isa == EFFNET_ISA_SCALAR;
    if (frame_make(&b, &fr, scalar ? MAX_PIXELS_SCALAR : MAX_PIXELS) != 0) break;
    uint32_t nr = take8(&b);
    int whole = nr >= 240, n = 1 + (int)(nr % MAX_RECTS);
    if (nr == 239) n = 0; /* no regions at all: refused */
    EffnetRect rects[MAX_RECTS];
    for (int i = 0; i < n; i++) {
      take_span(&b, fr.f.width, &rects[i].x, &rects[i].w);
      take_span(&b, fr.f.height, &rects[i].y, &rects[i].h);
    }
    /* regions past MAX_REGION_PIXELS read and written are left out (the
     * first one always stays) */
    long long area = 0;
    for (int i = 0; i < n; i++) {
      area += (long long)opt.size * opt.size;
      if (inside(&rects[i], fr.f.width, fr.f.height)) area += (long long)rects[i].w * rects[i].h;
      if (i > 0 && area > (scalar ? MAX_PIXELS_SCALAR : MAX_REGION_PIXELS)) {
        n = i;
        break;
      }
    }
    plan_and_run(p, &fr, rects, n, whole, threads, sane, opt.size);
    frame_free(&fr);
  }
  effnet_prep_free(p);
  return 0;
}
