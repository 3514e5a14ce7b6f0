/* test_prep.c — the frame path through its public API (effnet.h, "the frame
 * path"): bad input is refused with one sentence and never crashes; the
 * output agrees with a reference written here (Pillow's resize for RGB
 * formats in its own fixed point, a double-precision resize of the YUV
 * planes and the matrix for YUV), between ISAs and thread counts, with
 * effnet_forward on the same input, after re-planning, for frames laid out
 * by effnet_frame_layout; letterbox borders are exactly the mean colour.
 *
 * Frames are random noise (the hardest picture for a filter) with padded
 * strides, each plane in a block of its own that ends with its last byte
 * (ASan sees a read past it). The reference here describes every format's
 * bytes on its own, not through the engine's tables. */
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "effnet.h"

static unsigned long long rng = 0x9e3779b97f4a7c15ULL;

static unsigned long long next_rand(void) {
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return rng;
}
static int irand(int lo, int hi) { return lo + (int)((next_rand() >> 33) % (unsigned long long)(hi - lo + 1)); }

/* ---- formats, described independently of nn/frame.c ---- */

static int is_yuv(EffnetFormat f) { return f >= EFFNET_FORMAT_I420; }
static int sub_y(EffnetFormat f) { return f >= EFFNET_FORMAT_I420 && f <= EFFNET_FORMAT_NV21; } /* 4:2:0 */
static int planes_of(EffnetFormat f) {
  if (f == EFFNET_FORMAT_I420 || f == EFFNET_FORMAT_YV12) return 3;
  return f == EFFNET_FORMAT_NV12 || f == EFFNET_FORMAT_NV21 ? 2 : 1;
}
/* Samples of component `comp` (luma/R.. 0, chroma 1, 2) a row and rows. */
static void comp_dims(EffnetFormat f, int comp, int w, int h, int *cw, int *ch) {
  *cw = w;
  *ch = h;
  if (is_yuv(f) && comp > 0) {
    *cw = (w + 1) / 2;
    if (sub_y(f)) *ch = (h + 1) / 2;
  }
}
/* Tightly packed bytes of a row of plane p, and its rows. */
static void plane_dims(EffnetFormat f, int p, int w, int h, size_t *bytes, int *rows) {
  const int cw = (w + 1) / 2, chh = sub_y(f) ? (h + 1) / 2 : h;
  switch (f) {
    case EFFNET_FORMAT_RGB:
    case EFFNET_FORMAT_BGR:
      *bytes = 3 * (size_t)w;
      *rows = h;
      break;
    case EFFNET_FORMAT_RGBX:
    case EFFNET_FORMAT_BGRX:
    case EFFNET_FORMAT_XRGB:
    case EFFNET_FORMAT_XBGR:
      *bytes = 4 * (size_t)w;
      *rows = h;
      break;
    case EFFNET_FORMAT_GRAY8:
      *bytes = (size_t)w;
      *rows = h;
      break;
    case EFFNET_FORMAT_I420:
    case EFFNET_FORMAT_YV12:
      *bytes = p == 0 ? (size_t)w : (size_t)cw;
      *rows = p == 0 ? h : chh;
      break;
    case EFFNET_FORMAT_NV12:
    case EFFNET_FORMAT_NV21:
      *bytes = p == 0 ? (size_t)w : 2 * (size_t)cw;
      *rows = p == 0 ? h : chh;
      break;
    default:
      *bytes = 4 * (size_t)cw;
      *rows = h;
      break; /* 4:2:2 packed: whole pixel pairs */
  }
}
/* The byte of component comp at sample (i, j): R G B for RGB formats (gray:
 * its one byte), Y at luma (i, j) or U, V at chroma (i, j) for YUV. */
static uint8_t *sample_ptr(const EffnetFrame *fr, int comp, int i, int j) {
  uint8_t *const *d = (uint8_t *const *)fr->data;
  const size_t *s = fr->stride;
  static const int rgb3[2][3] = {{0, 1, 2}, {2, 1, 0}};
  static const int rgb4[4][3] = {{0, 1, 2}, {2, 1, 0}, {1, 2, 3}, {3, 2, 1}};
  switch (fr->format) {
    case EFFNET_FORMAT_RGB:
    case EFFNET_FORMAT_BGR: return d[0] + j * s[0] + 3 * (size_t)i + rgb3[fr->format - EFFNET_FORMAT_RGB][comp];
    case EFFNET_FORMAT_RGBX:
    case EFFNET_FORMAT_BGRX:
    case EFFNET_FORMAT_XRGB:
    case EFFNET_FORMAT_XBGR: return d[0] + j * s[0] + 4 * (size_t)i + rgb4[fr->format - EFFNET_FORMAT_RGBX][comp];
    case EFFNET_FORMAT_GRAY8: return d[0] + j * s[0] + i;
    case EFFNET_FORMAT_I420:
    case EFFNET_FORMAT_YV12: {
      if (comp == 0) return d[0] + j * s[0] + i;
      int p = (comp == 1) == (fr->format == EFFNET_FORMAT_I420) ? 1 : 2;
      return d[p] + j * s[p] + i;
    }
    case EFFNET_FORMAT_NV12:
    case EFFNET_FORMAT_NV21:
      if (comp == 0) return d[0] + j * s[0] + i;
      return d[1] + j * s[1] + 2 * (size_t)i + ((comp == 1) == (fr->format == EFFNET_FORMAT_NV12) ? 0 : 1);
    case EFFNET_FORMAT_YUY2: /* Y0 U Y1 V */
      return d[0] + j * s[0] + (comp == 0 ? 2 * (size_t)i : 4 * (size_t)i + (comp == 1 ? 1 : 3));
    case EFFNET_FORMAT_UYVY: /* U Y0 V Y1 */
      return d[0] + j * s[0] + (comp == 0 ? 2 * (size_t)i + 1 : 4 * (size_t)i + (comp == 1 ? 0 : 2));
    case EFFNET_FORMAT_YVYU: /* Y0 V Y1 U */
      return d[0] + j * s[0] + (comp == 0 ? 2 * (size_t)i : 4 * (size_t)i + (comp == 1 ? 3 : 1));
    default: return NULL;
  }
}
static int sample(const EffnetFrame *fr, int comp, int i, int j) { return *sample_ptr(fr, comp, i, j); }

/* A frame of random bytes, each plane its own block ending with its last
 * byte; strides padded by up to `pad` bytes. */
typedef struct {
  EffnetFrame f;
  uint8_t *buf[3];
} TestFrame;

static void frame_new(TestFrame *t, EffnetFormat fmt, int w, int h, int pad) {
  memset(t, 0, sizeof *t);
  t->f.format = fmt;
  t->f.width = w;
  t->f.height = h;
  if (is_yuv(fmt)) {
    t->f.matrix = (EffnetMatrix)irand(0, 2);
    t->f.full_range = irand(0, 1);
    t->f.chroma_site = fmt <= EFFNET_FORMAT_NV21 ? irand(0, 3) : irand(0, 1);
  }
  for (int p = 0; p < planes_of(fmt); p++) {
    size_t bytes;
    int rows;
    plane_dims(fmt, p, w, h, &bytes, &rows);
    t->f.stride[p] = bytes + (size_t)irand(0, pad);
    size_t total = (size_t)(rows - 1) * t->f.stride[p] + bytes;
    t->buf[p] = malloc(total);
    for (size_t i = 0; i < total; i++) t->buf[p][i] = (uint8_t)(next_rand() >> 56);
    t->f.data[p] = t->buf[p];
  }
}

static void frame_free(TestFrame *t) {
  for (int p = 0; p < 3; p++) free(t->buf[p]);
}

/* Same geometry and samples, other memory (and other strides). */
static void frame_copy(TestFrame *dst, const TestFrame *src, int pad) {
  const EffnetFrame *s = &src->f;
  frame_new(dst, s->format, s->width, s->height, pad);
  dst->f.matrix = s->matrix;
  dst->f.full_range = s->full_range;
  dst->f.chroma_site = s->chroma_site;
  for (int p = 0; p < planes_of(s->format); p++) {
    size_t bytes;
    int rows;
    plane_dims(s->format, p, s->width, s->height, &bytes, &rows);
    for (int r = 0; r < rows; r++) memcpy(dst->buf[p] + r * dst->f.stride[p], src->buf[p] + r * s->stride[p], bytes);
  }
}

/* Every sample of the region (in luma pixels) set to v[comp]; the other
 * samples of the frame to o[comp]. Chroma samples touching the region count
 * as inside. */
static void frame_paint(TestFrame *t, const EffnetRect *r, const int v[3], const int o[3]) {
  const EffnetFrame *f = &t->f;
  const int ncomp = f->format == EFFNET_FORMAT_GRAY8 ? 1 : 3;
  for (int c = 0; c < ncomp; c++) {
    int cw, ch;
    comp_dims(f->format, c, f->width, f->height, &cw, &ch);
    int sx = cw < f->width ? 1 : 0, sy = ch < f->height ? 1 : 0;
    for (int j = 0; j < ch; j++)
      for (int i = 0; i < cw; i++) {
        int x0 = i << sx, x1 = (i + 1) << sx, y0 = j << sy, y1 = (j + 1) << sy;
        int in = x1 > r->x && x0 < r->x + r->w && y1 > r->y && y0 < r->y + r->h;
        *sample_ptr(f, c, i, j) = (uint8_t)(in ? v[c] : o[c]);
      }
  }
}

/* ---- the reference ---- */

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

/* Pillow's precompute_coeffs: outputs [offset, offset + out) of a resize of
 * inputs [lo, hi) by `scale` inputs per output, output 0's left edge at
 * input coordinate in0 (FAST: the triangle, never stretched). */
typedef struct {
  int out, kmax;
  int *xmin, *n;
  double *k;   /* normalized weights */
  int32_t *kq; /* Pillow's 8-bit fixed point: round(k * 2^22), halves away from zero */
} Coeffs;

static void coeffs_make(Coeffs *c, double in0, double scale, int offset, int out, int lo, int hi, EffnetFilter f) {
  const double fs = f != EFFNET_FILTER_FAST && scale > 1.0 ? scale : 1.0;
  const double support = (f == EFFNET_FILTER_BICUBIC ? 2.0 : 1.0) * fs;
  c->out = out;
  c->kmax = (int)ceil(support) * 2 + 1;
  c->xmin = malloc(sizeof(int) * out);
  c->n = malloc(sizeof(int) * out);
  c->k = malloc(sizeof(double) * (size_t)out * c->kmax);
  c->kq = malloc(sizeof(int32_t) * (size_t)out * c->kmax);
  for (int x = 0; x < out; x++) {
    double center = in0 + (x + offset + 0.5) * scale;
    int xmin = (int)floor(center - support + 0.5), xmax = (int)floor(center + support + 0.5);
    if (xmin < lo) xmin = lo;
    if (xmax > hi) xmax = hi;
    if (xmin > hi - 1) xmin = hi - 1; /* a centre past the end: the last input */
    if (xmax < xmin + 1) xmax = xmin + 1;
    double *k = c->k + (size_t)x * c->kmax, sum = 0.0;
    c->xmin[x] = xmin;
    c->n[x] = xmax - xmin;
    for (int i = 0; i < c->n[x]; i++) {
      double t = (i + xmin - center + 0.5) / fs;
      k[i] = f == EFFNET_FILTER_BICUBIC ? cubic(t) : triangle(t);
      sum += k[i];
    }
    for (int i = 0; i < c->n[x]; i++) {
      if (sum != 0.0) k[i] /= sum;
      double q = k[i] * (1 << 22);
      c->kq[(size_t)x * c->kmax + i] = (int32_t)(q < 0 ? q - 0.5 : q + 0.5);
    }
  }
}

static void coeffs_free(Coeffs *c) {
  free(c->xmin);
  free(c->n);
  free(c->k);
  free(c->kq);
}

static int clip8(int64_t v) { return v < 0 ? 0 : v > 255 ? 255 : (int)v; }

/* Where the picture of an area lands, and the resize that makes it: a
 * resize to rw x rh, outputs from (ox, oy) on, into dst (timm/torchvision's
 * Resize + CenterCrop, or the whole area stretched or letterboxed). */
typedef struct {
  EffnetRect dst;
  int rw, rh, ox, oy;
} Fit;

static int round_half_even(double v) {
  double r = nearbyint(v); /* the default rounding mode: halves to even */
  return (int)r;
}

static Fit fit_of(const EffnetPrepOptions *o, const EffnetRect *a) {
  const int S = o->size;
  Fit f = {{0, 0, S, S}, S, S, 0, 0};
  if (o->fit == EFFNET_FIT_CENTER_CROP) {
    /* the crop_pct values used here are exact in a float */
    int R = (int)floor(S / (double)o->crop_pct);
    if (a->w <= a->h) {
      f.rw = R;
      f.rh = (int)((double)R * a->h / a->w);
    } else {
      f.rh = R;
      f.rw = (int)((double)R * a->w / a->h);
    }
    f.ox = round_half_even((f.rw - S) / 2.0);
    f.oy = round_half_even((f.rh - S) / 2.0);
  } else if (o->fit == EFFNET_FIT_LETTERBOX) {
    if (a->w >= a->h) {
      f.dst.h = (int)floor((double)a->h * S / a->w + 0.5);
      if (f.dst.h < 1) f.dst.h = 1;
      f.dst.y = (S - f.dst.h) / 2;
    } else {
      f.dst.w = (int)floor((double)a->w * S / a->h + 0.5);
      if (f.dst.w < 1) f.dst.w = 1;
      f.dst.x = (S - f.dst.w) / 2;
    }
    f.rw = f.dst.w;
    f.rh = f.dst.h;
  }
  return f;
}

/* Filter taps per output an axis of `scale` inputs per output needs. */
static int taps_needed(double scale, EffnetFilter f) {
  const double fs = f != EFFNET_FILTER_FAST && scale > 1.0 ? scale : 1.0;
  return (int)ceil((f == EFFNET_FILTER_BICUBIC ? 2.0 : 1.0) * fs) * 2 + 1;
}
enum { MAX_TAPS = 320 }; /* the engine's limit (a 16384-pixel side to 224, bicubic, needs 295) */

/* One image of the reference: normalized [3][S][S]. RGB with an antialiased
 * filter: the area cropped, then Pillow's two 8-bit passes (horizontal
 * first) in its fixed point. YUV, and the fast filter: each plane resampled
 * linearly in double on its own grid (chroma sample i centred on luma
 * 2i + 1, or 2i + 0.5 co-sited), then the matrix. Returns the taps an axis
 * needs at most. */
static int reference(const EffnetFrame *fr, const EffnetRect *a, const EffnetPrepOptions *o, float *out) {
  const int S = o->size;
  const Fit ft = fit_of(o, a);
  const int dw = ft.dst.w, dh = ft.dst.h;
  const double sx = (double)a->w / ft.rw, sy = (double)a->h / ft.rh;
  const int kx = taps_needed(sx, o->filter), ky = taps_needed(sy, o->filter);
  if (kx > MAX_TAPS || ky > MAX_TAPS) return kx > ky ? kx : ky;
  memset(out, 0, sizeof(float) * 3 * S * S);
  double *pic = malloc(sizeof(double) * 3 * (size_t)dw * dh); /* the picture on the 0..255 scale */
  const int yuv = is_yuv(fr->format), gray = fr->format == EFFNET_FORMAT_GRAY8;
  if (!yuv && o->filter != EFFNET_FILTER_FAST) {
    const int ncomp = gray ? 1 : 3;
    Coeffs cx, cy;
    coeffs_make(&cx, 0.0, sx, ft.ox, dw, 0, a->w, o->filter);
    coeffs_make(&cy, 0.0, sy, ft.oy, dh, 0, a->h, o->filter);
    uint8_t *tmp = malloc((size_t)a->h * dw);
    for (int c = 0; c < ncomp; c++) {
      for (int y = 0; y < a->h; y++)
        for (int x = 0; x < dw; x++) {
          int64_t ss = 1 << 21;
          for (int i = 0; i < cx.n[x]; i++)
            ss += (int64_t)cx.kq[(size_t)x * cx.kmax + i] * sample(fr, c, a->x + cx.xmin[x] + i, a->y + y);
          tmp[(size_t)y * dw + x] = (uint8_t)clip8(ss >> 22);
        }
      for (int y = 0; y < dh; y++)
        for (int x = 0; x < dw; x++) {
          int64_t ss = 1 << 21;
          for (int i = 0; i < cy.n[y]; i++)
            ss += (int64_t)cy.kq[(size_t)y * cy.kmax + i] * tmp[(size_t)(cy.xmin[y] + i) * dw + x];
          for (int cc = c; cc < (ncomp == 1 ? 3 : c + 1); cc++) pic[((size_t)cc * dh + y) * dw + x] = clip8(ss >> 22);
        }
    }
    free(tmp);
    coeffs_free(&cx);
    coeffs_free(&cy);
  } else {
    double *plane[3];
    for (int c = 0; c < 3; c++) {
      const int subx = yuv && c > 0, suby = subx && sub_y(fr->format); /* every YUV format here is 4:2:x */
      const int comp = gray ? 0 : c;
      /* luma coordinate X is chroma coordinate X / 2 (+ 1/4 co-sited) */
      double ix0 = a->x, iy0 = a->y, csx = sx, csy = sy;
      int lox = a->x, hix = a->x + a->w, loy = a->y, hiy = a->y + a->h;
      if (subx) {
        ix0 = a->x / 2.0 + (fr->chroma_site & EFFNET_CHROMA_COSITED_H ? 0.25 : 0.0);
        csx = sx / 2;
        lox = a->x / 2;
        hix = (a->x + a->w + 1) / 2;
      }
      if (suby) {
        iy0 = a->y / 2.0 + (fr->chroma_site & EFFNET_CHROMA_COSITED_V ? 0.25 : 0.0);
        csy = sy / 2;
        loy = a->y / 2;
        hiy = (a->y + a->h + 1) / 2;
      }
      Coeffs cx, cy;
      coeffs_make(&cx, ix0, csx, ft.ox, dw, lox, hix, o->filter);
      coeffs_make(&cy, iy0, csy, ft.oy, dh, loy, hiy, o->filter);
      double *tmp = malloc(sizeof(double) * (size_t)(hiy - loy) * dw);
      for (int y = loy; y < hiy; y++)
        for (int x = 0; x < dw; x++) {
          double s = 0.0;
          for (int i = 0; i < cx.n[x]; i++) s += cx.k[(size_t)x * cx.kmax + i] * sample(fr, comp, cx.xmin[x] + i, y);
          tmp[(size_t)(y - loy) * dw + x] = s;
        }
      plane[c] = malloc(sizeof(double) * (size_t)dw * dh);
      for (int y = 0; y < dh; y++)
        for (int x = 0; x < dw; x++) {
          double s = 0.0;
          for (int i = 0; i < cy.n[y]; i++)
            s += cy.k[(size_t)y * cy.kmax + i] * tmp[(size_t)(cy.xmin[y] + i - loy) * dw + x];
          plane[c][(size_t)y * dw + x] = s;
        }
      free(tmp);
      coeffs_free(&cx);
      coeffs_free(&cy);
    }
    static const double kr[] = {0.299, 0.2126, 0.2627}, kb[] = {0.114, 0.0722, 0.0593};
    const double Kr = kr[fr->matrix], Kb = kb[fr->matrix], Kg = 1.0 - Kr - Kb;
    for (size_t i = 0; i < (size_t)dw * dh; i++) {
      if (!yuv) {
        for (int c = 0; c < 3; c++) pic[(size_t)c * dw * dh + i] = plane[c][i];
        continue;
      }
      double Y = plane[0][i], U = plane[1][i] - 128.0, V = plane[2][i] - 128.0;
      if (!fr->full_range) {
        Y = (Y - 16.0) * 255.0 / 219.0;
        U *= 255.0 / 224.0;
        V *= 255.0 / 224.0;
      }
      double rgb[3] = {Y + 2 * (1 - Kr) * V, Y - 2 * Kb * (1 - Kb) / Kg * U - 2 * Kr * (1 - Kr) / Kg * V,
                       Y + 2 * (1 - Kb) * U};
      for (int c = 0; c < 3; c++) pic[(size_t)c * dw * dh + i] = rgb[c] < 0 ? 0 : rgb[c] > 255 ? 255 : rgb[c];
    }
    for (int c = 0; c < 3; c++) free(plane[c]);
  }
  for (int c = 0; c < 3; c++)
    for (int y = 0; y < dh; y++)
      for (int x = 0; x < dw; x++)
        out[((size_t)c * S + ft.dst.y + y) * S + ft.dst.x + x] =
            (float)((pic[((size_t)c * dh + y) * dw + x] / 255.0 - o->mean[c]) / o->std[c]);
  free(pic);
  return kx > ky ? kx : ky;
}

/* ---- helpers ---- */

static int has_word(const char *s, const char *w) {
  size_t n = strlen(w);
  for (; *s; s++) {
    size_t i = 0;
    while (i < n && s[i] && (s[i] | 32) == (w[i] | 32)) i++;
    if (i == n) return 1;
  }
  return 0;
}

/* A refusal: -1 and one line in err naming the problem (`word`). */
static void expect_err(int rc, const char *err, const char *word, const char *what) {
  size_t n = strlen(err);
  CHECK(rc == -1, "%s: returned %d, not -1", what, rc);
  CHECK(n > 0 && !strchr(err, '\n') && !strchr(err, '\r'), "%s: the error is not one line: \"%s\"", what, err);
  CHECK(has_word(err, word), "%s: the error \"%s\" does not mention '%s'", what, err, word);
  CHECK(!has_word(err, "(null)"), "%s: the error \"%s\" prints a NULL string", what, err);
}

static EffnetPrepOptions options(int S, EffnetFit fit, EffnetFilter filter, EffnetIsa isa) {
  EffnetPrepOptions o;
  effnet_prep_options_init(&o, NULL);
  o.size = S;
  o.fit = fit;
  o.filter = filter;
  o.isa = isa;
  return o;
}

/* Plans and runs; NULL (and a failed check) on any error. */
static float *prep_images(const EffnetPrepOptions *o, const EffnetFrame *f, const EffnetRect *areas, int n,
                          int threads) {
  char err[EFFNET_ERRLEN] = "";
  EffnetPrep *p = effnet_prep_new(o, err, sizeof err);
  CHECK(p != NULL, "effnet_prep_new: %s", err);
  if (!p) return NULL;
  float *out = malloc(sizeof(float) * 3 * (size_t)o->size * o->size * n);
  int rc = effnet_prep_plan(p, f, areas, areas ? n : 1, threads, err, sizeof err);
  CHECK(rc == 0, "plan %s %dx%d, %d regions, %d threads: %s", effnet_format_name(f->format), f->width, f->height, n,
        threads, err);
  if (rc == 0) {
    rc = effnet_prep_run(p, out, err, sizeof err);
    CHECK(rc == 0, "run: %s", err);
  }
  effnet_prep_free(p);
  if (rc != 0) {
    free(out);
    return NULL;
  }
  return out;
}

static const EffnetIsa kIsas[] = {EFFNET_ISA_SCALAR, EFFNET_ISA_AVX2, EFFNET_ISA_AVX512, EFFNET_ISA_NEON};

/* ---- bad input ---- */

static void test_bad_input(void) {
  char err[EFFNET_ERRLEN];
  EffnetPrepOptions good = options(32, EFFNET_FIT_CENTER_CROP, EFFNET_FILTER_BICUBIC, EFFNET_ISA_AUTO);
#define NEW_FAILS(OPT, WORD, WHAT)                                                                                     \
  do {                                                                                                                 \
    err[0] = '\0';                                                                                                     \
    EffnetPrep *q_ = effnet_prep_new(OPT, err, sizeof err);                                                            \
    expect_err(q_ ? 0 : -1, err, WORD, WHAT);                                                                          \
    effnet_prep_free(q_);                                                                                              \
  } while (0)
  NEW_FAILS(NULL, "options", "no options");
  EffnetPrepOptions o = good;
  o.size = 0;
  NEW_FAILS(&o, "size", "size 0");
  o.size = 4096;
  NEW_FAILS(&o, "size", "size 4096");
  o.size = -5;
  NEW_FAILS(&o, "size", "size -5");
  static const float bad_crop[] = {0.0f, 1.5f, -0.5f, NAN, INFINITY, 1e-30f, 0.09f};
  for (int i = 0; i < 5; i++) {
    o = good;
    o.crop_pct = bad_crop[i];
    NEW_FAILS(&o, "crop_pct", "bad crop_pct");
  }
  for (int c = 0; c < 3; c++) {
    o = good;
    o.std[c] = 0.0f;
    NEW_FAILS(&o, "std", "std 0");
    o = good;
    o.mean[c] = NAN;
    NEW_FAILS(&o, "mean", "mean NaN");
    o = good;
    o.std[c] = INFINITY;
    NEW_FAILS(&o, "std", "std inf");
    o = good;
    o.std[c] = 1e-30f; /* (v - mean) / std overflows float */
    NEW_FAILS(&o, "std", "std 1e-30");
  }
  o = good;
  o.fit = (EffnetFit)3;
  NEW_FAILS(&o, "fit", "fit 3");
  o.fit = (EffnetFit)-1;
  NEW_FAILS(&o, "fit", "fit -1");
  o = good;
  o.filter = (EffnetFilter)3;
  NEW_FAILS(&o, "filter", "filter 3");
  o.filter = (EffnetFilter)-1;
  NEW_FAILS(&o, "filter", "filter -1");
  for (size_t i = 0; i < 3; i++) {
    if (effnet_isa_supported(kIsas[i])) continue;
    o = good;
    o.isa = kIsas[i];
    NEW_FAILS(&o, effnet_isa_name(kIsas[i]), "ISA the CPU lacks");
  }
  o = good;
  /* an ISA out of the enum: the message names the value (effnet_isa_name is NULL for it) */
  o.isa = (EffnetIsa)7;
  NEW_FAILS(&o, "7", "unknown ISA 7");
  o.isa = (EffnetIsa)-1;
  NEW_FAILS(&o, "-1", "unknown ISA -1");

  EffnetPrep *p = effnet_prep_new(&good, err, sizeof err);
  CHECK(p != NULL, "effnet_prep_new: %s", err);
  if (!p) return;
  CHECK(effnet_prep_options(p) && effnet_prep_options(p)->size == 32, "effnet_prep_options");
  CHECK(effnet_prep_options(NULL) == NULL, "effnet_prep_options(NULL)");
  float *out = malloc(sizeof(float) * 3 * 32 * 32 * 8);
  err[0] = '\0';
  expect_err(effnet_prep_run(p, out, err, sizeof err), err, "planned", "run before any plan");
  err[0] = '\0';
  expect_err(effnet_prep_run(NULL, out, err, sizeof err), err, "planned", "run without a plan object");
  /* NULL err buffers are allowed */
  CHECK(effnet_prep_run(p, out, NULL, 0) == -1, "run before any plan (no err buffer)");

  TestFrame tf;
  frame_new(&tf, EFFNET_FORMAT_RGB, 40, 30, 8);
#define PLAN_FAILS(P, F, A, N, T, WORD, WHAT)                                                                          \
  do {                                                                                                                 \
    err[0] = '\0';                                                                                                     \
    expect_err(effnet_prep_plan(P, F, A, N, T, err, sizeof err), err, WORD, WHAT);                                     \
  } while (0)
  PLAN_FAILS(NULL, &tf.f, NULL, 1, 1, "plan", "NULL prep");
  PLAN_FAILS(p, NULL, NULL, 1, 1, "frame", "NULL frame");
  EffnetFrame f = tf.f;
  f.format = EFFNET_FORMAT_COUNT;
  PLAN_FAILS(p, &f, NULL, 1, 1, "format", "format COUNT");
  f.format = (EffnetFormat)-1;
  PLAN_FAILS(p, &f, NULL, 1, 1, "format", "format -1");
  static const int bad_sizes[][2] = {
      {0, 30},       {40, 0},           {-1, 30}, {40, -7}, {EFFNET_FRAME_MAX + 1, 30}, {40, EFFNET_FRAME_MAX + 1},
      {INT_MIN, 30}, {INT_MAX, INT_MAX}};
  for (size_t i = 0; i < sizeof bad_sizes / sizeof bad_sizes[0]; i++) {
    f = tf.f;
    f.width = bad_sizes[i][0];
    f.height = bad_sizes[i][1];
    char what[64];
    snprintf(what, sizeof what, "frame %dx%d", f.width, f.height);
    PLAN_FAILS(p, &f, NULL, 1, 1, "size", what);
  }
  /* per format: each plane missing, each stride one byte short */
  for (int fmt = 0; fmt < EFFNET_FORMAT_COUNT; fmt++) {
    TestFrame t;
    frame_new(&t, (EffnetFormat)fmt, 5, 3, 0);
    char what[96];
    for (int pl = 0; pl < planes_of((EffnetFormat)fmt); pl++) {
      f = t.f;
      f.data[pl] = NULL;
      snprintf(what, sizeof what, "%s without plane %d", effnet_format_name((EffnetFormat)fmt), pl);
      PLAN_FAILS(p, &f, NULL, 1, 1, "plane", what);
      f = t.f;
      f.stride[pl]--;
      snprintf(what, sizeof what, "%s 5x3, stride %zu of plane %d", effnet_format_name((EffnetFormat)fmt), f.stride[pl],
               pl);
      PLAN_FAILS(p, &f, NULL, 1, 1, "stride", what);
      f = t.f;
      f.stride[pl] = 0;
      PLAN_FAILS(p, &f, NULL, 1, 1, "stride", what);
    }
    /* the tight strides themselves are fine, unused planes may be NULL */
    err[0] = '\0';
    CHECK(effnet_prep_plan(p, &t.f, NULL, 1, 1, err, sizeof err) == 0, "%s 5x3 tight: %s",
          effnet_format_name((EffnetFormat)fmt), err);
    if (is_yuv((EffnetFormat)fmt)) {
      f = t.f;
      f.matrix = (EffnetMatrix)3;
      snprintf(what, sizeof what, "%s with matrix 3", effnet_format_name((EffnetFormat)fmt));
      PLAN_FAILS(p, &f, NULL, 1, 1, "matrix", what);
    }
    frame_free(&t);
  }
  /* regions */
  const EffnetRect bad_areas[] = {{0, 0, 0, 10},
                                  {0, 0, 10, 0},
                                  {0, 0, -3, 10},
                                  {0, 0, 10, -3},
                                  {-1, 0, 10, 10},
                                  {0, -1, 10, 10},
                                  {31, 0, 10, 10},
                                  {0, 21, 10, 10},
                                  {40, 0, 1, 1},
                                  {0, 30, 1, 1},
                                  {0, 0, 41, 30},
                                  {0, 0, 40, 31},
                                  {INT_MAX, 0, 10, 10},
                                  {0, INT_MAX, 10, 10},
                                  {10, 0, INT_MAX, 10},
                                  {0, 10, 10, INT_MAX},
                                  {INT_MAX - 5, 0, INT_MAX - 5, 10},
                                  {INT_MIN, 0, INT_MAX, 10},
                                  {5, 5, INT_MIN, 5}};
  for (size_t i = 0; i < sizeof bad_areas / sizeof bad_areas[0]; i++) {
    EffnetRect two[2] = {{0, 0, 40, 30}, bad_areas[i]};
    char what[96];
    snprintf(what, sizeof what, "region (%d,%d %dx%d)", bad_areas[i].x, bad_areas[i].y, bad_areas[i].w, bad_areas[i].h);
    PLAN_FAILS(p, &tf.f, two, 2, 1, "region", what);
  }
  EffnetRect *many = malloc(sizeof(EffnetRect) * 4097);
  for (int i = 0; i < 4097; i++) many[i] = (EffnetRect){i % 30, i % 20, 10, 10};
  PLAN_FAILS(p, &tf.f, many, 0, 1, "region", "0 regions");
  PLAN_FAILS(p, &tf.f, many, -1, 1, "region", "-1 regions");
  PLAN_FAILS(p, &tf.f, many, 4097, 1, "4097", "4097 regions");
  PLAN_FAILS(p, &tf.f, NULL, 2, 1, "region", "2 images without regions");
  PLAN_FAILS(p, &tf.f, NULL, 0, 1, "region", "0 images without regions");
  PLAN_FAILS(p, &tf.f, NULL, 1, -1, "thread", "-1 threads");
  PLAN_FAILS(p, &tf.f, NULL, 1, 1025, "thread", "1025 threads");
  PLAN_FAILS(p, &tf.f, NULL, 1, INT_MIN, "thread", "INT_MIN threads");
  /* the limits themselves are fine */
  err[0] = '\0';
  CHECK(effnet_prep_plan(p, &tf.f, many, 4096, 1, err, sizeof err) == 0, "4096 regions: %s", err);
  CHECK(effnet_prep_plan(p, &tf.f, NULL, 1, 1024, err, sizeof err) == 0, "1024 threads: %s", err);
  CHECK(effnet_prep_plan(p, &tf.f, NULL, 1, 0, err, sizeof err) == 0, "0 threads: %s", err);
  /* a refused plan leaves nothing planned: no run of the previous one */
  CHECK(effnet_prep_plan(p, &tf.f, NULL, 1, 1, err, sizeof err) == 0, "plan: %s", err);
  CHECK(effnet_prep_run(p, out, err, sizeof err) == 0, "run: %s", err);
  PLAN_FAILS(p, &tf.f, bad_areas, 1, 1, "region", "bad region after a good plan");
  err[0] = '\0';
  expect_err(effnet_prep_run(p, out, err, sizeof err), err, "planned", "run after a refused plan");
  CHECK(effnet_prep_plan(p, &tf.f, NULL, 1, 1, err, sizeof err) == 0, "plan: %s", err);
  err[0] = '\0';
  expect_err(effnet_prep_run(p, NULL, err, sizeof err), err, "output", "run into NULL");
  free(many);
  frame_free(&tf);
  free(out);
  effnet_prep_free(p);
  effnet_prep_free(NULL);

  /* names */
  for (int i = 0; i < EFFNET_FORMAT_COUNT; i++) {
    const char *name = effnet_format_name((EffnetFormat)i);
    CHECK(name && effnet_format_from_name(name) == i, "format %d name %s", i, name ? name : "NULL");
  }
  CHECK(effnet_format_name(EFFNET_FORMAT_COUNT) == NULL && effnet_format_name((EffnetFormat)-1) == NULL,
        "format names out of range");
  CHECK(effnet_format_from_name("NV12") == EFFNET_FORMAT_NV12 && effnet_format_from_name("nv16") == -1 &&
            effnet_format_from_name(NULL) == -1 && effnet_format_from_name("") == -1,
        "format_from_name");
  for (int i = 0; i < 3; i++) {
    CHECK(effnet_fit_name((EffnetFit)i) && effnet_fit_from_name(effnet_fit_name((EffnetFit)i)) == i, "fit %d", i);
    CHECK(effnet_filter_name((EffnetFilter)i) && effnet_filter_from_name(effnet_filter_name((EffnetFilter)i)) == i,
          "filter %d", i);
  }
  CHECK(effnet_fit_name((EffnetFit)3) == NULL && effnet_filter_name((EffnetFilter)3) == NULL &&
            effnet_fit_name((EffnetFit)-1) == NULL && effnet_filter_name((EffnetFilter)-1) == NULL,
        "fit/filter names out of range");
  CHECK(effnet_fit_from_name("Letterbox") == EFFNET_FIT_LETTERBOX && effnet_filter_from_name("BICUBIC") == 0 &&
            effnet_fit_from_name("crop") == -1 && effnet_filter_from_name(NULL) == -1,
        "fit/filter from name");
#undef NEW_FAILS
#undef PLAN_FAILS
}

/* ---- the model's side: effnet_forward_prep ---- */

static float max_abs(const float *v, int n) {
  float m = 0.0f;
  for (int i = 0; i < n; i++) m = fabsf(v[i]) > m ? fabsf(v[i]) : m;
  return m;
}

static void test_forward(void) {
  char err[EFFNET_ERRLEN] = "";
  EffnetModel *m = effnet_model_random(0, 1000, 11, NULL, err, sizeof err);
  CHECK(m != NULL, "model: %s", err);
  if (!m) return;
  const EffnetInfo *info = effnet_model_info(m);
  const int S = info->input_size, C = info->num_classes;
  EffnetWorkspace *ws = effnet_workspace_new(m, 2, 2, err, sizeof err);
  CHECK(ws != NULL, "workspace: %s", err);
  if (!ws) return;
  const int T = effnet_workspace_threads(ws);
  CHECK(T == 2, "effnet_workspace_threads: %d", T);
  CHECK(effnet_workspace_threads(NULL) == 0, "effnet_workspace_threads(NULL)");
  EffnetPrepOptions o;
  effnet_prep_options_init(&o, info);
  CHECK(o.size == S, "options of the weights: size %d, model %d", o.size, S);
  enum { N = 5 };
  float *x = malloc(sizeof(float) * 3 * S * S * N), *a = malloc(sizeof(float) * C * N),
        *b = malloc(sizeof(float) * C * N);
  static const EffnetFormat fmts[] = {EFFNET_FORMAT_RGB, EFFNET_FORMAT_NV12};
  for (int fi = 0; fi < 2; fi++) {
    TestFrame tf;
    frame_new(&tf, fmts[fi], 641, 359, 5);
    EffnetRect rois[N] = {{0, 0, 641, 359}, {17, 3, 200, 301}, {600, 300, 41, 59}, {1, 1, 1, 1}, {100, 50, 401, 77}};
    o.fit = (EffnetFit)fi;
    EffnetPrep *p = effnet_prep_new(&o, err, sizeof err);
    CHECK(p != NULL, "prep: %s", err);
    if (!p) continue;
    for (int n = 1; n <= N; n += N - 1) {
      int rc = effnet_prep_plan(p, &tf.f, n > 1 ? rois : NULL, n, T, err, sizeof err);
      CHECK(rc == 0, "plan: %s", err);
      rc |= effnet_prep_run(p, x, err, sizeof err);
      rc |= effnet_forward(m, ws, x, n, a, err, sizeof err);
      rc |= effnet_forward_prep(m, ws, p, b, err, sizeof err);
      CHECK(rc == 0, "%s, %d images: %s", effnet_format_name(fmts[fi]), n, err);
      for (int i = 0; i < n; i++) {
        float mx = max_abs(a + i * C, C), worst = 0.0f;
        for (int j = 0; j < C; j++) worst = fmaxf(worst, fabsf(a[i * C + j] - b[i * C + j]));
        CHECK(worst <= 1e-4f * mx && mx > 0.0f,
              "%s image %d of %d: forward_prep differs from forward by %g (|logits| %g)", effnet_format_name(fmts[fi]),
              i, n, worst, mx);
      }
    }
    /* refusals: a plan for fewer threads than the workspace, for another size */
    err[0] = '\0';
    CHECK(effnet_prep_plan(p, &tf.f, NULL, 1, T - 1, err, sizeof err) == 0, "plan: %s", err);
    expect_err(effnet_forward_prep(m, ws, p, b, err, sizeof err), err, "thread", "forward_prep, fewer threads");
    effnet_prep_free(p);
    EffnetPrepOptions o2 = o;
    o2.size = S + 8;
    p = effnet_prep_new(&o2, err, sizeof err);
    CHECK(p && effnet_prep_plan(p, &tf.f, NULL, 1, T, err, sizeof err) == 0, "plan: %s", err);
    err[0] = '\0';
    expect_err(effnet_forward_prep(m, ws, p, b, err, sizeof err), err, "model", "forward_prep, other size");
    effnet_prep_free(p);
    p = effnet_prep_new(&o, err, sizeof err);
    err[0] = '\0';
    expect_err(effnet_forward_prep(m, ws, p, b, err, sizeof err), err, "planned", "forward_prep before a plan");
    err[0] = '\0';
    expect_err(effnet_forward_prep(m, ws, NULL, b, err, sizeof err), err, "missing", "forward_prep, no plan");
    err[0] = '\0';
    CHECK(effnet_prep_plan(p, &tf.f, NULL, 1, T, err, sizeof err) == 0, "plan: %s", err);
    expect_err(effnet_forward_prep(m, ws, p, NULL, err, sizeof err), err, "missing", "forward_prep, no logits");
    err[0] = '\0';
    expect_err(effnet_forward_prep(NULL, ws, p, b, err, sizeof err), err, "missing", "forward_prep, no model");
    err[0] = '\0';
    expect_err(effnet_forward_prep(m, NULL, p, b, err, sizeof err), err, "missing", "forward_prep, no workspace");
    effnet_prep_free(p);
    frame_free(&tf);
  }
  free(x);
  free(a);
  free(b);
  effnet_workspace_free(ws);
  effnet_model_free(m);
}

/* ---- outputs: reference, ISAs, threads ---- */

/* Differences in units of the picture (0..255 before normalization). Where
 * the result is Pillow's 8-bit one (RGB, antialiased filter) it must be
 * Pillow's value exactly (the kernels redo near-half sums exactly, see
 * resample-exact.h; shrink factors like 136 -> 64 put many exact sums a hair
 * below a half). Linear passes (YUV, the fast filter) agree within float
 * error. `off` counts values more than float error apart. */
typedef struct {
  double worst; /* largest difference, 0..255 units */
  long off, n;  /* values more than float error apart, values compared */
} Diff;

static Diff compare(const float *got, const float *want, int n_img, const EffnetPrepOptions *o) {
  Diff d = {0.0, 0, 0};
  const size_t plane = (size_t)o->size * o->size;
  for (int i = 0; i < n_img; i++)
    for (int c = 0; c < 3; c++)
      for (size_t k = 0; k < plane; k++) {
        size_t at = ((size_t)i * 3 + c) * plane + k;
        double diff = fabs((double)got[at] - want[at]) * 255.0 * o->std[c];
        if (!(diff <= 1e30)) diff = 1e30; /* NaN */
        if (diff > d.worst) d.worst = diff;
        d.off += diff > 1e-3;
        d.n++;
      }
  return d;
}

/* Values outside the picture's rectangle of each image that are not exactly 0. */
static long border_not_zero(const float *got, int n_img, const EffnetRect *areas, const EffnetRect *whole,
                            const EffnetPrepOptions *o) {
  const int S = o->size;
  long bad = 0;
  for (int i = 0; i < n_img; i++) {
    const EffnetRect d = fit_of(o, areas ? &areas[i] : whole).dst;
    for (int c = 0; c < 3; c++)
      for (int y = 0; y < S; y++)
        for (int x = 0; x < S; x++)
          if (x < d.x || x >= d.x + d.w || y < d.y || y >= d.y + d.h)
            bad += got[(((size_t)i * 3 + c) * S + y) * S + x] != 0.0f;
  }
  return bad;
}

static void test_outputs(void) {
  static const int sizes[][2] = {{641, 359}, {33, 17}, {1, 1}, {2, 3}, {160, 90}, {7, 300}, {1, 40}};
  static const int out_sizes[] = {64, 37, 224, 1, 96};
  static const float crops[] = {0.875f, 1.0f, 0.5f, 0.75f};
  int cases = 0;
  for (int fmt = 0; fmt < EFFNET_FORMAT_COUNT; fmt++) {
    for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++) {
      const int W = sizes[si][0], H = sizes[si][1];
      TestFrame tf;
      frame_new(&tf, (EffnetFormat)fmt, W, H, 9);
      const int variant = (int)(fmt + si);
      EffnetPrepOptions o =
          options(out_sizes[variant % 5], (EffnetFit)(variant % 3), (EffnetFilter)(variant / 3 % 3), EFFNET_ISA_SCALAR);
      o.crop_pct = crops[variant % 4];
      if (variant % 2) {
        o.mean[0] = 0.5f, o.mean[1] = 0.25f, o.mean[2] = 0.75f;
        o.std[0] = 0.5f, o.std[1] = 0.125f, o.std[2] = 1.0f;
      }
      /* the whole frame, or up to four regions (one the whole frame) */
      EffnetRect areas[4];
      int n = variant % 4 == 0 ? 0 : irand(1, 4);
      for (int i = 0; i < n; i++) {
        int w = irand(1, W), h = irand(1, H);
        areas[i] = (EffnetRect){irand(0, W - w), irand(0, H - h), w, h};
        if (i == 0 && variant % 8 == 1) areas[i] = (EffnetRect){0, 0, W, H};
      }
      const int imgs = n ? n : 1, S = o.size;
      const size_t floats = (size_t)imgs * 3 * S * S;
      char what[160];
      static const char *const sites[] = {"centred", "cosited h", "cosited v", "cosited"};
      snprintf(what, sizeof what, "%s %dx%d (%s%s) -> %d %s %s crop %g, %d regions", effnet_format_name(tf.f.format), W,
               H, is_yuv(tf.f.format) ? (tf.f.full_range ? "full, " : "limited, ") : "",
               is_yuv(tf.f.format) ? sites[tf.f.chroma_site] : "rgb", S, effnet_fit_name(o.fit),
               effnet_filter_name(o.filter), (double)o.crop_pct, n);
      float *ref = malloc(sizeof(float) * floats);
      EffnetRect whole = {0, 0, W, H};
      int taps = 0;
      for (int i = 0; i < imgs; i++) {
        int t = reference(&tf.f, n ? &areas[i] : &whole, &o, ref + (size_t)i * 3 * S * S);
        taps = t > taps ? t : taps;
      }
      const int pillow = !is_yuv(tf.f.format) && o.filter != EFFNET_FILTER_FAST;
      if (taps > MAX_TAPS) {
        /* more taps than the engine has room for: refused, with a reason */
        char err[EFFNET_ERRLEN] = "";
        EffnetPrep *p = effnet_prep_new(&o, err, sizeof err);
        expect_err(effnet_prep_plan(p, &tf.f, n ? areas : NULL, imgs, 1, err, sizeof err), err, "taps", what);
        effnet_prep_free(p);
        free(ref);
        frame_free(&tf);
        continue;
      }
      float *scalar = NULL;
      for (size_t k = 0; k < 3; k++) {
        if (!effnet_isa_supported(kIsas[k])) continue;
        o.isa = kIsas[k];
        float *t1 = prep_images(&o, &tf.f, n ? areas : NULL, imgs, 1);
        float *t2 = prep_images(&o, &tf.f, n ? areas : NULL, imgs, 2);
        float *t3 = prep_images(&o, &tf.f, n ? areas : NULL, imgs, 3);
        if (!t1 || !t2 || !t3) {
          free(t1), free(t2), free(t3);
          continue;
        }
        /* (a) the thread count does not change a bit */
        CHECK(!memcmp(t1, t2, sizeof(float) * floats) && !memcmp(t1, t3, sizeof(float) * floats),
              "%s, %s: 1, 2 and 3 threads give different outputs (worst %g levels)", effnet_isa_name(o.isa), what,
              fmax(compare(t2, t1, imgs, &o).worst, compare(t3, t1, imgs, &o).worst));
        /* the reference: Pillow's 8-bit values exactly (up to the normalization's float
         * error); linear passes (YUV, the fast filter) within float error */
        Diff d = compare(t1, ref, imgs, &o);
        if (!pillow)
          CHECK(d.worst <= 2e-3, "%s, %s: %g levels from the reference", effnet_isa_name(o.isa), what, d.worst);
        else
          CHECK(d.off == 0, "%s, %s: %ld of %ld values off Pillow's (worst %g levels)", effnet_isa_name(o.isa), what,
                d.off, d.n, d.worst);
        long nz = border_not_zero(t1, imgs, n ? areas : NULL, &whole, &o);
        CHECK(nz == 0, "%s, %s: %ld border values are not exactly 0", effnet_isa_name(o.isa), what, nz);
        /* (b) every ISA against the scalar path */
        if (!scalar) {
          scalar = t1;
          t1 = NULL;
        } else {
          Diff e = compare(t1, scalar, imgs, &o);
          if (!pillow)
            CHECK(e.worst <= 2e-3, "%s vs scalar, %s: %g levels apart", effnet_isa_name(o.isa), what, e.worst);
          else
            CHECK(e.off == 0, "%s vs scalar, %s: %ld of %ld values apart (worst %g levels)", effnet_isa_name(o.isa),
                  what, e.off, e.n, e.worst);
        }
        free(t1), free(t2), free(t3);
      }
      free(scalar);
      free(ref);
      frame_free(&tf);
      cases++;
    }
  }
  printf("outputs: %d cases\n", cases);
}

/* ---- letterbox borders and the picture's rectangle ---- */

static void test_letterbox(void) {
  static const int regions[][4] = {{0, 0, 97, 41},   {10, 5, 30, 70}, {3, 2, 1, 1},   {0, 0, 97, 1},   {50, 0, 1, 80},
                                   {20, 20, 40, 40}, {1, 1, 95, 60},  {0, 0, 96, 40}, {10, 4, 30, 70}, {2, 2, 2, 2},
                                   {0, 0, 96, 2},    {50, 0, 2, 80},  {0, 0, 97, 80}};
  for (int fmt = 0; fmt < EFFNET_FORMAT_COUNT; fmt++) {
    for (int fit = 0; fit < 3; fit++) {
      TestFrame tf;
      frame_new(&tf, (EffnetFormat)fmt, 97, 80, 3);
      const int yuv = is_yuv((EffnetFormat)fmt);
      if (yuv) tf.f.full_range = fmt % 2;
      /* white inside the region, black outside: taps must stay inside */
      const int white_yuv = tf.f.full_range ? 255 : 235, black_yuv = tf.f.full_range ? 0 : 16;
      const int in[3] = {yuv ? white_yuv : 255, yuv ? 128 : 255, yuv ? 128 : 255};
      const int outside[3] = {yuv ? black_yuv : 0, yuv ? 128 : 0, yuv ? 128 : 0};
      for (size_t r = 0; r < sizeof regions / sizeof regions[0]; r++) {
        EffnetRect a = {regions[r][0], regions[r][1], regions[r][2], regions[r][3]};
        /* a YUV region on odd coordinates shares chroma samples with its outside: keep to even ones */
        if (yuv && (a.x % 2 || a.w % 2 || a.y % 2 || a.h % 2)) continue;
        frame_paint(&tf, &a, in, outside);
        for (int filter = 0; filter < 3; filter++) {
          EffnetPrepOptions o = options(50 + (int)r, (EffnetFit)fit, (EffnetFilter)filter, EFFNET_ISA_AUTO);
          const int S = o.size;
          float *out = prep_images(&o, &tf.f, &a, 1, 2);
          if (!out) continue;
          /* the documented rectangle: aspect kept, centred */
          EffnetRect d = {0, 0, S, S};
          if (fit == EFFNET_FIT_LETTERBOX) {
            if (a.w >= a.h) {
              d.h = (int)floor((double)a.h * S / a.w + 0.5);
              d.h = d.h < 1 ? 1 : d.h;
              d.y = (S - d.h) / 2;
            } else {
              d.w = (int)floor((double)a.w * S / a.h + 0.5);
              d.w = d.w < 1 ? 1 : d.w;
              d.x = (S - d.w) / 2;
            }
          }
          long bad_in = 0, bad_out = 0;
          for (int c = 0; c < 3; c++) {
            const double white = (1.0 - o.mean[c]) / o.std[c];
            for (int y = 0; y < S; y++)
              for (int x = 0; x < S; x++) {
                float v = out[((size_t)c * S + y) * S + x];
                int inside = x >= d.x && x < d.x + d.w && y >= d.y && y < d.y + d.h;
                if (inside) bad_in += !(fabs(v - white) <= (yuv ? 1e-4 : 1e-5) * fabs(white) + 1e-6);
                else bad_out += v != 0.0f;
              }
          }
          CHECK(bad_in == 0 && bad_out == 0,
                "%s region (%d,%d %dx%d) -> %d %s %s: %ld picture values not white in (%d,%d %dx%d), "
                "%ld border values not 0",
                effnet_format_name((EffnetFormat)fmt), a.x, a.y, a.w, a.h, S, effnet_fit_name(o.fit),
                effnet_filter_name(o.filter), bad_in, d.x, d.y, d.w, d.h, bad_out);
          free(out);
        }
      }
      frame_free(&tf);
    }
  }
}

/* ---- frames laid out by effnet_frame_layout ---- */

static void test_layout(void) {
  static const int sizes[][2] = {{1, 1}, {2, 2}, {3, 5}, {641, 359}, {64, 48}};
  for (int fmt = 0; fmt < EFFNET_FORMAT_COUNT; fmt++) {
    for (int si = 0; si < 5; si++) {
      const int W = sizes[si][0], H = sizes[si][1];
      size_t stride[3] = {99, 99, 99}, offset[3] = {99, 99, 99}, total = 0;
      long long bytes = effnet_frame_layout((EffnetFormat)fmt, W, H, stride, offset);
      for (int p = 0; p < 3; p++) {
        size_t row;
        int rows;
        if (p >= planes_of((EffnetFormat)fmt)) {
          CHECK(stride[p] == 0 && offset[p] == 0, "layout of %s: unused plane %d",
                effnet_format_name((EffnetFormat)fmt), p);
          continue;
        }
        plane_dims((EffnetFormat)fmt, p, W, H, &row, &rows);
        CHECK(stride[p] == row && offset[p] == total,
              "layout of %s %dx%d plane %d: stride %zu offset %zu, want %zu, %zu",
              effnet_format_name((EffnetFormat)fmt), W, H, p, stride[p], offset[p], row, total);
        total += row * (size_t)rows;
      }
      CHECK(bytes == (long long)total, "layout of %s %dx%d: %lld bytes, want %zu",
            effnet_format_name((EffnetFormat)fmt), W, H, bytes, total);
      if (bytes != (long long)total) continue;
      /* one block as a raw file holds it; same samples as a frame of separate planes */
      TestFrame tf;
      frame_new(&tf, (EffnetFormat)fmt, W, H, 7);
      uint8_t *raw = malloc(total);
      EffnetFrame f = tf.f;
      for (int p = 0; p < planes_of((EffnetFormat)fmt); p++) {
        size_t row;
        int rows;
        plane_dims((EffnetFormat)fmt, p, W, H, &row, &rows);
        for (int r = 0; r < rows; r++) memcpy(raw + offset[p] + r * stride[p], tf.buf[p] + r * tf.f.stride[p], row);
        f.data[p] = raw + offset[p];
        f.stride[p] = stride[p];
      }
      EffnetPrepOptions o = options(40, (EffnetFit)(si % 3), EFFNET_FILTER_BICUBIC, EFFNET_ISA_AUTO);
      float *a = prep_images(&o, &tf.f, NULL, 1, 2), *b = prep_images(&o, &f, NULL, 1, 2);
      CHECK(a && b && !memcmp(a, b, sizeof(float) * 3 * 40 * 40), "%s %dx%d laid out by effnet_frame_layout differs",
            effnet_format_name((EffnetFormat)fmt), W, H);
      free(a);
      free(b);
      free(raw);
      frame_free(&tf);
    }
  }
  CHECK(effnet_frame_layout(EFFNET_FORMAT_COUNT, 4, 4, NULL, NULL) == -1 &&
            effnet_frame_layout(EFFNET_FORMAT_RGB, 0, 4, NULL, NULL) == -1 &&
            effnet_frame_layout(EFFNET_FORMAT_RGB, 4, -1, NULL, NULL) == -1 &&
            effnet_frame_layout(EFFNET_FORMAT_I420, EFFNET_FRAME_MAX + 1, 4, NULL, NULL) == -1,
        "effnet_frame_layout of invalid sizes");
  CHECK(effnet_frame_layout(EFFNET_FORMAT_I420, EFFNET_FRAME_MAX, EFFNET_FRAME_MAX, NULL, NULL) ==
            (long long)EFFNET_FRAME_MAX * EFFNET_FRAME_MAX * 3 / 2,
        "effnet_frame_layout of the largest frame");
}

/* ---- re-planning ---- */

static void test_replan(void) {
  char err[EFFNET_ERRLEN] = "";
  static const EffnetFormat fmts[] = {EFFNET_FORMAT_BGRX, EFFNET_FORMAT_I420, EFFNET_FORMAT_YVYU, EFFNET_FORMAT_GRAY8};
  for (int fi = 0; fi < 4; fi++) {
    TestFrame tf, copy, other;
    frame_new(&tf, fmts[fi], 301, 203, 4);
    frame_copy(&copy, &tf, 11);
    frame_new(&other, fmts[fi], 301, 203, 4);
    other.f.matrix = tf.f.matrix, other.f.full_range = tf.f.full_range, other.f.chroma_site = tf.f.chroma_site;
    EffnetPrepOptions o = options(48, (EffnetFit)(fi % 3), (EffnetFilter)(fi % 2), EFFNET_ISA_AUTO);
    const size_t img = (size_t)3 * 48 * 48;
    EffnetRect areas[3] = {{0, 0, 301, 203}, {10, 20, 100, 50}, {200, 100, 101, 103}};
    EffnetRect moved[3] = {areas[0], {11, 20, 100, 50}, areas[2]};
    EffnetPrep *p = effnet_prep_new(&o, err, sizeof err);
    float *o1 = malloc(sizeof(float) * 3 * img), *o2 = malloc(sizeof(float) * 3 * img);
    int rc = effnet_prep_plan(p, &tf.f, areas, 3, 2, err, sizeof err) | effnet_prep_run(p, o1, err, sizeof err);
    CHECK(rc == 0, "plan: %s", err);
    /* run again; the same geometry re-planned, same frame or a copy elsewhere */
    rc = effnet_prep_run(p, o2, err, sizeof err);
    CHECK(rc == 0 && !memcmp(o1, o2, sizeof(float) * 3 * img), "%s: a second run differs",
          effnet_format_name(fmts[fi]));
    rc = effnet_prep_plan(p, &tf.f, areas, 3, 2, err, sizeof err) | effnet_prep_run(p, o2, err, sizeof err);
    CHECK(rc == 0 && !memcmp(o1, o2, sizeof(float) * 3 * img), "%s: re-planned, same frame: differs",
          effnet_format_name(fmts[fi]));
    /* (the same thread count throughout: test_outputs compares thread counts) */
    rc = effnet_prep_plan(p, &copy.f, areas, 3, 2, err, sizeof err) | effnet_prep_run(p, o2, err, sizeof err);
    CHECK(rc == 0 && !memcmp(o1, o2, sizeof(float) * 3 * img), "%s: re-planned on a copy: differs",
          effnet_format_name(fmts[fi]));
    /* one region moved: only its image changes, to what a fresh plan gives */
    rc = effnet_prep_plan(p, &tf.f, moved, 3, 2, err, sizeof err) | effnet_prep_run(p, o2, err, sizeof err);
    CHECK(rc == 0, "plan: %s", err);
    float *fresh = prep_images(&o, &tf.f, moved, 3, 2);
    CHECK(!memcmp(o1, o2, sizeof(float) * img) && !memcmp(o1 + 2 * img, o2 + 2 * img, sizeof(float) * img),
          "%s: moving region 1 changed the others", effnet_format_name(fmts[fi]));
    CHECK(memcmp(o1 + img, o2 + img, sizeof(float) * img) != 0, "%s: moving region 1 did not change it",
          effnet_format_name(fmts[fi]));
    CHECK(fresh && !memcmp(fresh, o2, sizeof(float) * 3 * img), "%s: the moved region differs from a fresh plan",
          effnet_format_name(fmts[fi]));
    free(fresh);
    /* fewer regions, then the first ones back */
    rc = effnet_prep_plan(p, &tf.f, areas + 1, 1, 1, err, sizeof err) | effnet_prep_run(p, o2, err, sizeof err);
    fresh = prep_images(&o, &tf.f, areas + 1, 1, 1);
    CHECK(rc == 0 && fresh && !memcmp(fresh, o2, sizeof(float) * img), "%s: region 1 alone differs",
          effnet_format_name(fmts[fi]));
    free(fresh);
    rc = effnet_prep_plan(p, &tf.f, areas, 3, 2, err, sizeof err) | effnet_prep_run(p, o2, err, sizeof err);
    CHECK(rc == 0 && !memcmp(o1, o2, sizeof(float) * 3 * img), "%s: the first regions again: differ",
          effnet_format_name(fmts[fi]));
    /* other samples, same geometry: what a fresh plan of them gives */
    rc = effnet_prep_plan(p, &other.f, areas, 3, 2, err, sizeof err) | effnet_prep_run(p, o2, err, sizeof err);
    fresh = prep_images(&o, &other.f, areas, 3, 2);
    CHECK(rc == 0 && fresh && !memcmp(fresh, o2, sizeof(float) * 3 * img) && memcmp(o1, o2, sizeof(float) * img),
          "%s: another frame of the same geometry", effnet_format_name(fmts[fi]));
    free(fresh);
    /* another frame size with the same regions: new tables */
    TestFrame big;
    frame_new(&big, fmts[fi], 401, 303, 0);
    big.f.matrix = tf.f.matrix, big.f.full_range = tf.f.full_range, big.f.chroma_site = tf.f.chroma_site;
    rc = effnet_prep_plan(p, &big.f, areas + 1, 2, 2, err, sizeof err) | effnet_prep_run(p, o2, err, sizeof err);
    fresh = prep_images(&o, &big.f, areas + 1, 2, 2);
    CHECK(rc == 0 && fresh && !memcmp(fresh, o2, sizeof(float) * 2 * img), "%s: regions of a bigger frame",
          effnet_format_name(fmts[fi]));
    free(fresh);
    if (is_yuv(fmts[fi])) {
      /* the chroma siting changes the chroma tables */
      copy.f.chroma_site ^= EFFNET_CHROMA_COSITED_H;
      rc = effnet_prep_plan(p, &copy.f, areas, 3, 2, err, sizeof err) | effnet_prep_run(p, o2, err, sizeof err);
      fresh = prep_images(&o, &copy.f, areas, 3, 2);
      CHECK(rc == 0 && fresh && !memcmp(fresh, o2, sizeof(float) * 3 * img) && memcmp(o1, o2, sizeof(float) * img),
            "%s: chroma siting changed", effnet_format_name(fmts[fi]));
      free(fresh);
    }
    frame_free(&big);
    free(o1);
    free(o2);
    effnet_prep_free(p);
    frame_free(&tf);
    frame_free(&copy);
    frame_free(&other);
  }
}

int main(void) {
  test_bad_input();
  test_layout();
  test_letterbox();
  test_replan();
  test_outputs();
  test_forward();
  printf("test_prep: %d checks, %d failures\n", checks, failures);
  return failures != 0;
}
