/* prep.c — the frame path: a frame, or regions of it, to the normalized
 * float input of the network, in one pass over the source.
 *
 * Plan (effnet_prep_plan, when the geometry changes): for every image, where
 * it lands in S x S (the fit), and for every sample group of the format (RGB;
 * or luma, and chroma at its own resolution) the taps of both axes
 * (resample.c, Pillow's tables), the horizontal pass's SIMD forms (dense
 * tiles, taps tap-major for gathers), and how the group runs: RGB and gray
 * horizontally first with 8-bit rounding in between, as Pillow does (its
 * values exactly, see kernels/resample-exact.h); YUV and the fast filter as
 * plain linear filters in whichever order is cheaper.
 *
 * Run (per thread, a contiguous share of the output rows, in blocks of
 * ROW_BLOCK rows): each group brings in the source rows its vertical taps
 * need — unpacked from bytes to floats, resampled horizontally into a ring
 * of rows (several rows or channels per kernel call), or, vertical first,
 * kept unpacked in the ring — and makes one row per component for each
 * output row of the block; each row is then converted (YUV), normalized and
 * stored straight into the destination. */
#include "prep.h"

#include <limits.h>
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "errors.h"
#include "frame.h"
#include "kernels/kernels.h"
#include "model.h"
#include "resample.h"
#include "threads.h"

/* timm's crop for weights whose config.json does not give one (S / 0.875 =
 * 256 for 224, torchvision's Resize(256) + CenterCrop(224)). */
#define DEFAULT_CROP_PCT 0.875f

enum {
  MAX_IMAGES = 4096,
  ROW_PAD = 16,                /* rows in whole vectors of the widest ISA */
  ROW_BLOCK = 4,               /* output rows a group makes together (vertical first: one
                                        horizontal call for all of them, sharing weight loads) */
  MAX_TABLE_BYTES = 512 << 20, /* filter tables of one image */
  MAX_TAPS = 320,              /* taps per output: 16384 pixels to 224 (bicubic, 295) */
};

/* Memory of an image's tables, grown on demand, never shrunk. */
typedef struct {
  void *mem;
  size_t cap;
} TableMem;

/* One group of one image: its tables, the source columns it reads, and
 * which pass comes first. */
typedef struct {
  AxisTaps h, v;
  HTaps htaps;    /* h, starts relative to col0 (and tap-major for gathers) */
  HTiles tiles;   /* dense form, when the kernels have it */
  int gather;     /* horizontal pass in the taps form (cheaper than the dense one) */
  int col0, col1; /* source samples unpacked per row */
  int vfirst;     /* vertical pass first, on unpacked source rows */
  PassMode mode;  /* how both passes end */
  float vnear;    /* PASS_ROUND: error bound of a vertical float sum */
} GroupPlan;

typedef struct {
  /* what the tables were made for */
  int valid;
  EffnetRect area;
  int fw, fh, chroma_site;
  EffnetFormat format;
  /* the plan */
  EffnetRect dst; /* where the picture lands in S x S */
  GroupPlan g[FRAME_MAX_GROUPS];
  TableMem taps, simd; /* the taps of both axes; the horizontal pass's SIMD forms */
} ImagePlan;

struct EffnetPrep {
  EffnetPrepOptions opt;
  const Kernels *kern;
  float scale[3], shift[3]; /* v * scale + shift = (v / 255 - mean) / std */
  float border[3];          /* the mean colour: 0 normalized */
  EffnetFrame frame;
  const FrameFormat *fmt;
  float yuv[12]; /* YUV -> RGB of the frame's matrix and range */
  int n, threads;
  ImagePlan *img;
  int img_cap;
  /* per-thread scratch, sized for the largest image of the plan */
  size_t unpack_floats;      /* one source row of one plane */
  int ring_rows, row_floats; /* ring slots per group, floats per output row */
  size_t slot_floats;        /* floats per ring slot */
  size_t scratch_floats;     /* per thread */
  float *scratch;
  size_t scratch_cap;
};

/* ---- options ---- */

void effnet_prep_options_init(EffnetPrepOptions *o, const EffnetInfo *info) {
  memset(o, 0, sizeof *o);
  o->size = info ? info->input_size : effnet_variant_input_size(0);
  o->fit = EFFNET_FIT_CENTER_CROP;
  o->crop_pct = info && info->crop_pct > 0 ? info->crop_pct : DEFAULT_CROP_PCT;
  o->filter = info && info->interpolation && !strcmp(info->interpolation, "bilinear") ? EFFNET_FILTER_BILINEAR
                                                                                      : EFFNET_FILTER_BICUBIC;
  memcpy(o->mean, info ? info->mean : effnet_imagenet_mean, sizeof o->mean);
  memcpy(o->std, info ? info->std : effnet_imagenet_std, sizeof o->std);
  o->isa = info ? info->isa : EFFNET_ISA_AUTO;
}

static const char *const kFitNames[] = {"center-crop", "letterbox", "stretch"};
static const char *const kFilterNames[] = {"bicubic", "bilinear", "fast"};

const char *effnet_fit_name(EffnetFit f) { return (unsigned)f < 3 ? kFitNames[f] : NULL; }
const char *effnet_filter_name(EffnetFilter f) { return (unsigned)f < 3 ? kFilterNames[f] : NULL; }

static int name_index(const char *name, const char *const *names, int n) {
  for (int i = 0; name && i < n; i++)
    if (!strcasecmp(name, names[i])) return i;
  return -1;
}
int effnet_fit_from_name(const char *name) { return name_index(name, kFitNames, 3); }
int effnet_filter_from_name(const char *name) { return name_index(name, kFilterNames, 3); }

static int check_options(const EffnetPrepOptions *o, char *err, size_t errlen) {
  static const char *const comp[3] = {"red", "green", "blue"};
  if (o->size < 1 || o->size > 2048) {
    set_error(err, errlen, "input size %d is out of range (1 to 2048 pixels)", o->size);
    return -1;
  }
  if ((unsigned)o->fit > EFFNET_FIT_STRETCH || (unsigned)o->filter > EFFNET_FILTER_FAST) {
    set_error(err, errlen, "unknown fit %d or filter %d", (int)o->fit, (int)o->filter);
    return -1;
  }
  if (!(o->crop_pct >= EFFNET_CROP_PCT_MIN && o->crop_pct <= 1.0f)) {
    set_error(err, errlen, "crop_pct %g is out of range: it must be from %g to 1", (double)o->crop_pct,
              (double)EFFNET_CROP_PCT_MIN);
    return -1;
  }
  for (int c = 0; c < 3; c++) {
    if (!isfinite(o->mean[c]) || !isfinite(o->std[c]) || fabsf(o->std[c]) < EFFNET_STD_MIN) {
      set_error(err, errlen, "normalization of %s (mean %g, std %g) must be finite with a std of at least %g", comp[c],
                (double)o->mean[c], (double)o->std[c], (double)EFFNET_STD_MIN);
      return -1;
    }
  }
  return 0;
}

EffnetPrep *effnet_prep_new(const EffnetPrepOptions *opt, char *err, size_t errlen) {
  if (!opt) {
    set_error(err, errlen, "no preprocessing options given");
    return NULL;
  }
  if (check_options(opt, err, errlen) != 0) return NULL;
  const Kernels *k = effnet_kernels_for(opt->isa);
  if (!k) {
    effnet_kernels_unavailable(opt->isa, err, errlen);
    return NULL;
  }
  EffnetPrep *p = calloc(1, sizeof *p);
  if (!p) {
    set_error(err, errlen, "out of memory");
    return NULL;
  }
  p->opt = *opt;
  p->kern = k;
  for (int c = 0; c < 3; c++) {
    p->scale[c] = opt->unnormalized ? 1.0f : (float)(1.0 / (255.0 * opt->std[c]));
    p->shift[c] = opt->unnormalized ? 0.0f : (float)(-(double)opt->mean[c] / opt->std[c]);
    p->border[c] = opt->unnormalized ? opt->mean[c] * 255.0f : 0.0f;
  }
  return p;
}

void effnet_prep_free(EffnetPrep *p) {
  if (!p) return;
  for (int i = 0; i < p->img_cap; i++) {
    free(p->img[i].taps.mem);
    free(p->img[i].simd.mem);
  }
  free(p->img);
  free(p->scratch);
  free(p);
}

const EffnetPrepOptions *effnet_prep_options(const EffnetPrep *p) { return p ? &p->opt : NULL; }
int prep_size(const EffnetPrep *p) { return p->opt.size; }
int prep_count(const EffnetPrep *p) { return p->n; }
int prep_threads(const EffnetPrep *p) { return p->threads; }

/* ---- geometry ---- */

/* Python's round(): halves to even (torchvision's CenterCrop offsets). */
static int half_even(int twice) {
  int q = twice / 2;
  return (twice % 2) && (q % 2) ? q + 1 : q;
}

/* crop_pct arrives as a float; config.json wrote a short decimal, so take
 * that decimal's double (0.8f is 0.800000011..., and 224 / it is below 280). */
static double crop_pct_double(float c) { return nearbyint((double)c * 1e6) / 1e6; }

/* Luma axes and destination rectangle of an area under the options' fit. */
static void fit_area(const EffnetPrepOptions *o, const EffnetRect *a, AxisGeometry *gx, AxisGeometry *gy,
                     EffnetRect *dst) {
  const int S = o->size;
  *dst = (EffnetRect){0, 0, S, S};
  *gx = (AxisGeometry){a->x, (double)a->w / S, 0, S, a->x, a->x + a->w};
  *gy = (AxisGeometry){a->y, (double)a->h / S, 0, S, a->y, a->y + a->h};
  if (o->fit == EFFNET_FIT_CENTER_CROP) {
    /* torchvision Resize(R) (shorter side to R, longer to int(R * long / short))
     * then CenterCrop(S): the same filter, S outputs at an offset */
    int R = (int)floor(S / crop_pct_double(o->crop_pct));
    if (R < S) R = S;
    int shorter = a->w <= a->h ? a->w : a->h, longer = a->w <= a->h ? a->h : a->w;
    int rl = (int)((double)R * longer / shorter);
    int rw = a->w <= a->h ? R : rl, rh = a->w <= a->h ? rl : R;
    gx->scale = (double)a->w / rw;
    gy->scale = (double)a->h / rh;
    gx->offset = half_even(rw - S);
    gy->offset = half_even(rh - S);
  } else if (o->fit == EFFNET_FIT_LETTERBOX) {
    if (a->w >= a->h) {
      dst->h = (int)floor((double)a->h * S / a->w + 0.5);
      if (dst->h < 1) dst->h = 1;
      dst->y = (S - dst->h) / 2;
    } else {
      dst->w = (int)floor((double)a->w * S / a->h + 0.5);
      if (dst->w < 1) dst->w = 1;
      dst->x = (S - dst->w) / 2;
    }
    gx->out = dst->w;
    gy->out = dst->h;
    gx->scale = (double)a->w / dst->w;
    gy->scale = (double)a->h / dst->h;
  }
}

/* The same axis on a plane subsampled by 2^shift. Chroma sample i sits at
 * luma coordinate 2i + 1 (centred) or 2i + 0.5 (co-sited with luma 2i). */
static AxisGeometry sub_axis(const AxisGeometry *g, int shift, int cosited, int samples) {
  if (shift == 0) return *g;
  AxisGeometry c = *g;
  c.in0 = g->in0 / 2 + (cosited ? 0.25 : 0.0);
  c.scale = g->scale / 2;
  c.lo = g->lo >> 1;
  c.hi = (g->hi + 1) >> 1;
  if (c.hi > samples) c.hi = samples;
  return c;
}

/* ---- planning one image ---- */

/* Arrays carved from one block in two passes: measure (base NULL), then
 * assign. */
typedef struct {
  char *base;
  size_t used;
} Carve;

static void *carve(Carve *c, size_t bytes) {
  size_t at = (c->used + 63) & ~(size_t)63;
  c->used = at + bytes;
  return c->base ? c->base + at : NULL;
}

/* A block of at least `bytes` (its contents are not kept). */
static int reserve(TableMem *b, size_t bytes) {
  if (b->cap >= bytes) return 0;
  free(b->mem);
  b->cap = 0;
  if (!(b->mem = aligned_alloc(64, (bytes + 63) & ~(size_t)63))) return -1;
  b->cap = bytes;
  return 0;
}

/* n floats rounded up to whole rows of vectors (ROW_PAD, the widest vector:
 * what the kernels write past an end, see kernels.h). */
static size_t pad_row(size_t n) { return (n + ROW_PAD - 1) / ROW_PAD * ROW_PAD; }

/* The taps of both axes of a group: dw outputs of up to kh taps, dh of kv. */
static void carve_taps(Carve *c, GroupPlan *gp, int dw, int kh, int dh, int kv) {
  gp->h.start = carve(c, sizeof(int) * dw);
  gp->h.count = carve(c, sizeof(int) * dw);
  gp->h.w = carve(c, sizeof(float) * (size_t)dw * kh);
  gp->v.start = carve(c, sizeof(int) * dh);
  gp->v.count = carve(c, sizeof(int) * dh);
  gp->v.w = carve(c, sizeof(float) * (size_t)dh * kv);
  gp->htaps.start = carve(c, sizeof(int) * dw);
}

/* The horizontal pass's SIMD forms: dense tiles, and the taps tap-major. */
static void carve_simd(Carve *c, GroupPlan *gp, size_t tile_floats, int ntiles, int dw, int kcol) {
  gp->tiles.j0 = carve(c, sizeof(int) * ntiles);
  gp->tiles.len = carve(c, sizeof(int) * ntiles);
  gp->tiles.w = carve(c, sizeof(float) * tile_floats);
  gp->htaps.col = carve(c, sizeof(int) * pad_row(dw) * kcol);
  gp->htaps.wt = carve(c, sizeof(float) * pad_row(dw) * kcol);
}

/* Planes a group's channels read (1, or 2 for planar chroma). */
static int group_planes(const FrameGroup *fg) { return fg->nch > 1 && fg->ch[1].plane != fg->ch[0].plane ? 2 : 1; }

/* Whether a group's result is Pillow's 8-bit one: RGB and gray through an
 * antialiased filter. YUV has no 8-bit RGB picture to agree with (its
 * reference converts to RGB first), nor has the fast filter (OpenCV's). */
static int pillow_exact(const EffnetPrep *p) { return !p->fmt->yuv && p->opt.filter != EFFNET_FILTER_FAST; }

/* A bound on how far a float sum of this axis's taps can be from the exact
 * one, on 8-bit samples: each of at most kmax FMAs (and a few adds after)
 * rounds by at most 2^-24 of a magnitude at most 255 * sum |w|. */
static float near_bound(const AxisTaps *t) {
  double most = 0.0;
  for (int x = 0; x < t->out; x++) {
    double sum = 0.0;
    for (int k = 0; k < t->count[x]; k++) sum += fabs(t->w[(size_t)x * t->kmax + k]);
    if (sum > most) most = sum;
  }
  return (float)((t->kmax + 6) * 255.0 * most / 16777216.0);
}

/* How a group runs. Pillow-exact groups go horizontally first and round to
 * 8 bits in between, as Pillow does (exactly: resample-exact.h). Elsewhere
 * both passes are plain linear filters, their order does not change the
 * result, and the cheaper one goes first. Costs in multiply-adds: the
 * horizontal pass of a row (dense tiles: every tile over its whole span;
 * gathered taps: a gather costs kern->gather_cost), the vertical pass over a
 * row's width. */
static void choose_order(const EffnetPrep *p, const FrameGroup *fg, GroupPlan *gp) {
  gp->vfirst = 0;
  gp->mode = PASS_ROUND;
  gp->htaps.near = near_bound(&gp->h);
  gp->vnear = near_bound(&gp->v);
  gp->tiles.parts = 1;
  double dense = 0.0, gathered = 0.0, hrow = 0.0;
  if (p->kern->resample_h_dense) {
    for (int i = 0; i < gp->tiles.ntiles; i++) dense += (double)gp->tiles.len[i] * gp->tiles.tile;
    gathered = (double)gp->htaps.npad * gp->htaps.kcol * (1.0 + p->kern->gather_cost);
    gp->gather = gathered < dense;
    hrow = gp->gather ? gathered : dense;
  } else {
    gp->gather = 1;
    for (int x = 0; x < gp->h.out; x++) hrow += gp->h.count[x];
  }
  if (pillow_exact(p)) return;
  gp->mode = PASS_LINEAR;
  double vtaps = 0.0;
  for (int y = 0; y < gp->v.out; y++) vtaps += gp->v.count[y];
  double rows = gp->v.last - gp->v.first, outs = gp->v.out, nch = fg->nch;
  if (!gp->v.contiguous && vtaps < rows) rows = vtaps;
  double unpacked = (double)group_planes(fg) * (gp->col1 - gp->col0) * fg->step;
  double hfirst = rows * nch * hrow + vtaps * nch * gp->h.out;
  double vfirst = vtaps * unpacked + outs * nch * hrow;
  gp->vfirst = vfirst < hfirst;
}

static int plan_image(EffnetPrep *p, ImagePlan *ip, const EffnetRect *area, char *err, size_t errlen) {
  const FrameFormat *d = p->fmt;
  const EffnetFrame *f = &p->frame;
  const int tile = p->kern->resample_h_dense ? p->kern->resample_tile : 0;
  AxisGeometry lx, ly, gx[FRAME_MAX_GROUPS], gy[FRAME_MAX_GROUPS];
  fit_area(&p->opt, area, &lx, &ly, &ip->dst);
  const int dw = ip->dst.w, dh = ip->dst.h;

  /* the taps of every group */
  int kh[FRAME_MAX_GROUPS], kv[FRAME_MAX_GROUPS];
  Carve c = {NULL, 0};
  for (int g = 0; g < d->ngroups; g++) {
    const FrameGroup *fg = &d->group[g];
    gx[g] =
        sub_axis(&lx, fg->shift_x, f->chroma_site & EFFNET_CHROMA_COSITED_H, frame_group_size(f->width, fg->shift_x));
    gy[g] =
        sub_axis(&ly, fg->shift_y, f->chroma_site & EFFNET_CHROMA_COSITED_V, frame_group_size(f->height, fg->shift_y));
    kh[g] = resample_kmax(&gx[g], p->opt.filter);
    kv[g] = resample_kmax(&gy[g], p->opt.filter);
    if (kh[g] > MAX_TAPS || kv[g] > MAX_TAPS) {
      set_error(err, errlen,
                "a %dx%d region shrunk to %dx%d needs %d filter taps per sample; at most %d are supported "
                "(crop or scale the video down first)",
                area->w, area->h, dw, dh, kh[g] > kv[g] ? kh[g] : kv[g], MAX_TAPS);
      ip->valid = 0;
      return -1;
    }
    carve_taps(&c, &ip->g[g], dw, kh[g], dh, kv[g]);
  }
  if (c.used > MAX_TABLE_BYTES) goto too_big;
  if (reserve(&ip->taps, c.used) != 0) goto oom;
  c = (Carve){ip->taps.mem, 0};
  for (int g = 0; g < d->ngroups; g++) {
    GroupPlan *gp = &ip->g[g];
    carve_taps(&c, gp, dw, kh[g], dh, kv[g]);
    resample_taps(&gx[g], p->opt.filter, pillow_exact(p), &gp->h);
    resample_taps(&gy[g], p->opt.filter, pillow_exact(p), &gp->v);
    gp->col0 = gp->h.first;
    gp->col1 = gp->h.last;
    int *rel = (int *)gp->htaps.start;
    for (int x = 0; x < dw; x++) rel[x] = gp->h.start[x] - gp->col0;
    gp->htaps.n = dw;
    gp->htaps.kmax = gp->h.kmax;
    gp->htaps.count = gp->h.count;
    gp->htaps.w = gp->h.w;
    gp->htaps.npad = (int)pad_row(dw);
    gp->htaps.kcol = 0;
    gp->tiles.ntiles = 0;
  }

  /* the SIMD forms of the horizontal pass, sized from the taps */
  if (tile) {
    size_t tile_floats[FRAME_MAX_GROUPS];
    int kcol[FRAME_MAX_GROUPS], ntiles = (dw + tile - 1) / tile;
    c = (Carve){NULL, 0};
    for (int g = 0; g < d->ngroups; g++) {
      tile_floats[g] = resample_tiles_floats(&ip->g[g].h, tile);
      kcol[g] = resample_taps_most(&ip->g[g].h);
      carve_simd(&c, &ip->g[g], tile_floats[g], ntiles, dw, kcol[g]);
    }
    if (c.used > MAX_TABLE_BYTES) goto too_big;
    if (reserve(&ip->simd, c.used) != 0) goto oom;
    c = (Carve){ip->simd.mem, 0};
    for (int g = 0; g < d->ngroups; g++) {
      GroupPlan *gp = &ip->g[g];
      carve_simd(&c, gp, tile_floats[g], ntiles, dw, kcol[g]);
      resample_tiles(&gp->h, tile, gp->col0, &gp->tiles, (int *)gp->tiles.j0, (int *)gp->tiles.len,
                     (float *)gp->tiles.w);
      gp->htaps.kcol =
          resample_taps_columns(&gp->h, gp->col0, gp->htaps.npad, (int *)gp->htaps.col, (float *)gp->htaps.wt);
    }
  }
  for (int g = 0; g < d->ngroups; g++) choose_order(p, &d->group[g], &ip->g[g]);
  ip->valid = 1;
  return 0;
too_big:
  set_error(err, errlen, "the filter tables of a %dx%d region into %dx%d would take over %d MB", area->w, area->h,
            p->opt.size, p->opt.size, MAX_TABLE_BYTES >> 20);
  ip->valid = 0;
  return -1;
oom:
  set_error(err, errlen, "out of memory for the filter tables of a %dx%d region", area->w, area->h);
  ip->valid = 0;
  return -1;
}

static int same_geometry(const ImagePlan *ip, const EffnetFrame *f, const EffnetRect *a) {
  return ip->valid && ip->format == f->format && ip->fw == f->width && ip->fh == f->height &&
         ip->chroma_site == f->chroma_site && !memcmp(&ip->area, a, sizeof *a);
}

/* YUV -> RGB on the 0..255 scale: rows (y, u, v, offset) for R, G, B. */
static void yuv_matrix(const EffnetFrame *f, float m[12]) {
  static const double kr[] = {0.299, 0.2126, 0.2627}, kb[] = {0.114, 0.0722, 0.0593};
  const double Kr = kr[f->matrix], Kb = kb[f->matrix], Kg = 1.0 - Kr - Kb;
  const double ys = f->full_range ? 1.0 : 255.0 / 219.0, yo = f->full_range ? 0.0 : -16.0 * ys;
  const double cs = f->full_range ? 1.0 : 255.0 / 224.0;
  const double rv = 2 * (1 - Kr) * cs, bu = 2 * (1 - Kb) * cs;
  const double gu = -2 * Kb * (1 - Kb) / Kg * cs, gv = -2 * Kr * (1 - Kr) / Kg * cs;
  const double r[12] = {ys, 0, rv, yo - 128 * rv, ys, gu, gv, yo - 128 * (gu + gv), ys, bu, 0, yo - 128 * bu};
  for (int i = 0; i < 12; i++) m[i] = (float)r[i];
}

/* Per-thread scratch for the plan's largest image. */
static int size_scratch(EffnetPrep *p, char *err, size_t errlen) {
  const FrameFormat *d = p->fmt;
  size_t unpack = 1;
  int kv = 1, wmax = 1;
  for (int i = 0; i < p->n; i++) {
    const ImagePlan *ip = &p->img[i];
    if (ip->dst.w > wmax) wmax = ip->dst.w;
    for (int g = 0; g < d->ngroups; g++) {
      size_t u = (size_t)(ip->g[g].col1 - ip->g[g].col0) * d->group[g].step;
      if (u > unpack) unpack = u;
      if (ip->g[g].v.kmax > kv) kv = ip->g[g].v.kmax;
    }
  }
  p->unpack_floats = pad_row(unpack);
  p->row_floats = (int)pad_row(wmax);
  p->ring_rows = kv + RESAMPLE_MAX_LANES;
  /* a ring slot: a row's channels resampled horizontally, or its planes unpacked */
  p->slot_floats = (size_t)FRAME_MAX_CHANNELS * p->row_floats;
  if (2 * p->unpack_floats > p->slot_floats) p->slot_floats = 2 * p->unpack_floats;
  /* unpacked rows of a kernel call, rings, vertical pass output, components */
  size_t per = (size_t)RESAMPLE_MAX_LANES * p->unpack_floats +
               (size_t)FRAME_MAX_GROUPS * p->ring_rows * p->slot_floats + (size_t)ROW_BLOCK * 2 * p->unpack_floats +
               (size_t)ROW_BLOCK * 3 * p->row_floats;
  if (per > ((size_t)1 << 30) / sizeof(float) / (size_t)p->threads) {
    set_error(err, errlen, "the preprocessing buffers of %d threads would take over 1 GB", p->threads);
    return -1;
  }
  size_t total = per * (size_t)p->threads;
  p->scratch_floats = per;
  if (total > p->scratch_cap) {
    free(p->scratch);
    p->scratch_cap = 0;
    p->scratch = model_alloc_floats(total);
    if (!p->scratch) {
      set_error(err, errlen, "out of memory for the preprocessing buffers of %d threads", p->threads);
      return -1;
    }
    p->scratch_cap = total;
  }
  return 0;
}

int effnet_prep_plan(EffnetPrep *p, const EffnetFrame *frame, const EffnetRect *areas, int n, int num_threads,
                     char *err, size_t errlen) {
  if (!p) {
    set_error(err, errlen, "no preprocessing plan given");
    return -1;
  }
  p->n = 0;
  if (frame_check(frame, err, errlen) != 0) return -1;
  if (!areas && n != 1) {
    set_error(err, errlen, "%d images asked for but no regions given (the whole frame is one image)", n);
    return -1;
  }
  if (n < 1 || n > MAX_IMAGES) {
    set_error(err, errlen, "%d regions is out of range (1 to %d)", n, MAX_IMAGES);
    return -1;
  }
  if (num_threads < 0 || num_threads > 1024) {
    set_error(err, errlen, "thread count %d is out of range (0 = all cores, up to 1024)", num_threads);
    return -1;
  }
  EffnetRect whole = {0, 0, frame->width, frame->height};
  for (int i = 0; areas && i < n; i++) {
    const EffnetRect *a = &areas[i];
    if (a->w < 1 || a->h < 1 || a->x < 0 || a->y < 0 || a->x > frame->width - a->w || a->y > frame->height - a->h) {
      set_error(err, errlen, "region %d (%d,%d %dx%d) is empty or not inside the %dx%d frame", i, a->x, a->y, a->w,
                a->h, frame->width, frame->height);
      return -1;
    }
  }
  if (n > p->img_cap) {
    ImagePlan *grown = realloc(p->img, sizeof *grown * (size_t)n);
    if (!grown) {
      set_error(err, errlen, "out of memory planning %d regions", n);
      return -1;
    }
    memset(grown + p->img_cap, 0, sizeof *grown * (size_t)(n - p->img_cap));
    p->img = grown;
    p->img_cap = n;
  }
  p->frame = *frame;
  p->fmt = frame_format(frame->format);
  if (p->fmt->yuv) yuv_matrix(frame, p->yuv);
  for (int i = 0; i < n; i++) {
    const EffnetRect *a = areas ? &areas[i] : &whole;
    ImagePlan *ip = &p->img[i];
    if (same_geometry(ip, frame, a)) continue;
    if (plan_image(p, ip, a, err, errlen) != 0) return -1;
    ip->area = *a;
    ip->format = frame->format;
    ip->fw = frame->width;
    ip->fh = frame->height;
    ip->chroma_site = frame->chroma_site;
  }
  p->n = n;
  p->threads = num_threads > 0 ? num_threads : omp_get_num_procs();
  if (size_scratch(p, err, errlen) != 0) {
    p->n = 0;
    return -1;
  }
  return 0;
}

/* ---- running ---- */

/* Where a thread's rows of a group are: the next source row to bring in. */
typedef struct {
  int next;
} GroupState;

typedef struct {
  float *unpack; /* [RESAMPLE_MAX_LANES][unpack_floats]: a kernel call's source rows */
  float *ring;   /* [group][ring_rows][slot_floats] */
  float *vrow;   /* [ROW_BLOCK][2][unpack_floats]: vertical passes on source rows */
  float *comp;   /* [ROW_BLOCK][3][row_floats]: component rows of a block of output rows */
} Scratch;

static Scratch scratch_of(const EffnetPrep *p, int ith) {
  Scratch s;
  float *base = p->scratch + (size_t)ith * p->scratch_floats;
  s.unpack = base;
  s.ring = base + (size_t)RESAMPLE_MAX_LANES * p->unpack_floats;
  s.vrow = s.ring + (size_t)FRAME_MAX_GROUPS * p->ring_rows * p->slot_floats;
  s.comp = s.vrow + (size_t)ROW_BLOCK * 2 * p->unpack_floats;
  return s;
}

static float *comp_row(const EffnetPrep *p, const Scratch *s, int r, int c) {
  return s->comp + ((size_t)r * 3 + (size_t)c) * p->row_floats;
}

static float *vrow(const EffnetPrep *p, const Scratch *s, int r, int k) {
  return s->vrow + ((size_t)r * 2 + (size_t)k) * p->unpack_floats;
}

/* The ring slot of source row `row` of group g. Horizontal first: channel c
 * at c * row_floats; vertical first: plane k unpacked at k * unpack_floats. */
static float *ring_slot(const EffnetPrep *p, const Scratch *s, int g, int row) {
  return s->ring + ((size_t)g * p->ring_rows + (size_t)(row % p->ring_rows)) * p->slot_floats;
}

static const uint8_t *source_row(const EffnetPrep *p, const GroupPlan *gp, const FrameGroup *fg, int plane, int r) {
  return p->frame.data[plane] + (size_t)r * p->frame.stride[plane] + (size_t)gp->col0 * fg->step;
}

/* Horizontal pass of `lanes` sources, dense or taps form. */
static void resample_h(const EffnetPrep *p, const GroupPlan *gp, int step, int lanes, const float *const *src,
                       float *const *dst) {
  if (gp->gather) {
    p->kern->resample_h_taps(&gp->htaps, step, lanes, src, dst, gp->mode);
  } else {
    /* the plans move when their array grows: the taps are pointed at here */
    HTiles tiles = gp->tiles;
    tiles.taps = &gp->htaps;
    p->kern->resample_h_dense(&tiles, step, lanes, src, dst, gp->mode);
  }
}

/* The part of a source row a group reads is short (a few dozen cache lines)
 * and each row starts a new stream, so the hardware prefetcher is late for
 * every row; asking for the row two ahead while one is unpacked hides that
 * (strided 4K rows unpacked 20-30 % faster). */
enum { PREFETCH_ROWS = 2 };

static void prefetch_row(const EffnetPrep *p, const GroupPlan *gp, const FrameGroup *fg, int plane, int r) {
  if (r >= gp->v.last) return;
  const uint8_t *row = source_row(p, gp, fg, plane, r);
  const size_t bytes = (size_t)(gp->col1 - gp->col0) * fg->step;
  for (size_t o = 0; o < bytes; o += 64) __builtin_prefetch(row + o);
}

/* Horizontal first: source rows [r0, r1) of group g resampled horizontally
 * into the ring, all rows and channels in one kernel call. */
static void resample_rows(const EffnetPrep *p, const Scratch *s, const GroupPlan *gp, int g, int r0, int r1) {
  const FrameGroup *fg = &p->fmt->group[g];
  const float *src[RESAMPLE_MAX_LANES];
  float *dst[RESAMPLE_MAX_LANES];
  const size_t bytes = (size_t)(gp->col1 - gp->col0) * fg->step;
  int lanes = 0, slots = 0;
  for (int r = r0; r < r1; r++) {
    int unpacked[3] = {-1, -1, -1}; /* plane -> unpack slot */
    float *slot = ring_slot(p, s, g, r);
    for (int c = 0; c < fg->nch; c++) {
      const FrameChannel *ch = &fg->ch[c];
      if (unpacked[ch->plane] < 0) {
        prefetch_row(p, gp, fg, ch->plane, r1 - r0 + r + PREFETCH_ROWS - 1);
        unpacked[ch->plane] = slots;
        p->kern->unpack_u8(source_row(p, gp, fg, ch->plane, r), bytes, s->unpack + (size_t)slots++ * p->unpack_floats);
      }
      src[lanes] = s->unpack + (size_t)unpacked[ch->plane] * p->unpack_floats + ch->offset;
      dst[lanes] = slot + (size_t)c * p->row_floats;
      lanes++;
    }
  }
  resample_h(p, gp, fg->step, lanes, src, dst);
}

/* Vertical first: source row r of group g unpacked into the ring. */
static void unpack_row(const EffnetPrep *p, const Scratch *s, const GroupPlan *gp, int g, int r) {
  const FrameGroup *fg = &p->fmt->group[g];
  const size_t bytes = (size_t)(gp->col1 - gp->col0) * fg->step;
  float *slot = ring_slot(p, s, g, r);
  for (int k = 0; k < group_planes(fg); k++) {
    prefetch_row(p, gp, fg, fg->ch[k].plane, r + PREFETCH_ROWS);
    p->kern->unpack_u8(source_row(p, gp, fg, fg->ch[k].plane, r), bytes, slot + (size_t)k * p->unpack_floats);
  }
}

/* Output rows vy .. vy + n - 1 (n <= ROW_BLOCK) of group g's picture into
 * the component rows of the block. The source rows their vertical taps need
 * come first (ahead, up to row `until`, when every row in between is needed
 * anyway). Vertical first: each output row's vertical pass on the unpacked
 * source rows, then one horizontal call for the block's rows and channels. */
static void group_rows(const EffnetPrep *p, const Scratch *s, const GroupPlan *gp, int g, GroupState *st, int vy, int n,
                       int until, int wpad) {
  const FrameGroup *fg = &p->fmt->group[g];
  const float *rows[MAX_TAPS];
  const float *src[RESAMPLE_MAX_LANES];
  float *dst[RESAMPLE_MAX_LANES];
  const int planes = group_planes(fg);
  const int width = (int)pad_row((size_t)(gp->col1 - gp->col0) * fg->step);
  int lanes = 0;
  for (int r = 0; r < n; r++) {
    const int first = gp->v.start[vy + r], taps = gp->v.count[vy + r], end = first + taps;
    const float *w = gp->v.w + (size_t)(vy + r) * gp->v.kmax;
    if (st->next < first) st->next = first;
    if (gp->vfirst) {
      for (; st->next < end; st->next++) unpack_row(p, s, gp, g, st->next);
      for (int k = 0; k < planes; k++) {
        for (int t = 0; t < taps; t++) rows[t] = ring_slot(p, s, g, first + t) + (size_t)k * p->unpack_floats;
        p->kern->resample_v(rows, w, taps, width, gp->mode, gp->vnear, vrow(p, s, r, k));
      }
      if (lanes + fg->nch > RESAMPLE_MAX_LANES) { /* a call holds this many */
        resample_h(p, gp, fg->step, lanes, src, dst);
        lanes = 0;
      }
      for (int c = 0; c < fg->nch; c++) {
        src[lanes] = vrow(p, s, r, planes > 1 ? c : 0) + fg->ch[c].offset;
        dst[lanes++] = comp_row(p, s, r, fg->ch[c].comp);
      }
      continue;
    }
    const int per_call = RESAMPLE_MAX_LANES / fg->nch;
    while (st->next < end) {
      int stop = st->next + per_call;
      int limit = gp->v.contiguous ? (until > end ? until : end) : end;
      if (stop > limit) stop = limit;
      resample_rows(p, s, gp, g, st->next, stop);
      st->next = stop;
    }
    for (int c = 0; c < fg->nch; c++) {
      for (int t = 0; t < taps; t++) rows[t] = ring_slot(p, s, g, first + t) + (size_t)c * p->row_floats;
      p->kern->resample_v(rows, w, taps, wpad, gp->mode, gp->vnear, comp_row(p, s, r, fg->ch[c].comp));
    }
  }
  if (lanes) resample_h(p, gp, fg->step, lanes, src, dst);
}

/* n border pixels from column x0 of a row: the mean colour. */
static void fill_border(const EffnetPrep *p, float *dst, ptrdiff_t chan, int nhwc, int x0, int n) {
  if (n <= 0) return;
  const float *b = p->border;
  if (b[0] == 0.0f && b[1] == 0.0f && b[2] == 0.0f) {
    if (nhwc) {
      memset(dst + 3 * (ptrdiff_t)x0, 0, sizeof(float) * 3 * (size_t)n);
    } else {
      for (int c = 0; c < 3; c++) memset(dst + c * chan + x0, 0, sizeof(float) * (size_t)n);
    }
    return;
  }
  for (int x = x0; x < x0 + n; x++)
    for (int c = 0; c < 3; c++) dst[nhwc ? 3 * (ptrdiff_t)x + c : c * chan + x] = b[c];
}

/* Output rows [y0, y1) of image i into row `out` (the image's origin),
 * picture rows in blocks of ROW_BLOCK. */
static void run_rows(EffnetPrep *p, const Scratch *s, int i, int y0, int y1, const PrepDest *d, float *out) {
  const ImagePlan *ip = &p->img[i];
  const EffnetRect *r = &ip->dst;
  const int S = p->opt.size, ng = p->fmt->ngroups;
  const int wpad = (int)pad_row(r->w);
  GroupState st[FRAME_MAX_GROUPS];
  for (int g = 0; g < ng; g++) st[g].next = INT_MIN;
  int last = y1 - 1 - r->y; /* the last picture row of this share */
  if (last >= r->h) last = r->h - 1;
  for (int y = y0; y < y1;) {
    if (y < r->y || y >= r->y + r->h) {
      fill_border(p, out + (ptrdiff_t)y * d->row, d->chan, d->nhwc, 0, S);
      y++;
      continue;
    }
    int n = y1 - y < ROW_BLOCK ? y1 - y : ROW_BLOCK;
    if (n > r->y + r->h - y) n = r->y + r->h - y;
    for (int g = 0; g < ng; g++) {
      const GroupPlan *gp = &ip->g[g];
      group_rows(p, s, gp, g, &st[g], y - r->y, n, gp->v.start[last] + gp->v.count[last], wpad);
    }
    for (int k = 0; k < n; k++, y++) {
      float *row = out + (ptrdiff_t)y * d->row;
      const float *comp[3] = {comp_row(p, s, k, 0), comp_row(p, s, k, 1), comp_row(p, s, k, 2)};
      if (p->fmt->gray) comp[1] = comp[2] = comp[0];
      fill_border(p, row, d->chan, d->nhwc, 0, r->x);
      fill_border(p, row, d->chan, d->nhwc, r->x + r->w, S - r->x - r->w);
      float *at = row + (d->nhwc ? 3 * (ptrdiff_t)r->x : r->x);
      if (p->fmt->yuv) p->kern->store_yuv(comp, r->w, p->yuv, p->scale, p->shift, at, d->chan, d->nhwc);
      else p->kern->store_rgb(comp, r->w, p->scale, p->shift, at, d->chan, d->nhwc);
    }
  }
}

void prep_run_share(EffnetPrep *p, int first, int count, const PrepDest *d, int ith, int nth) {
  const int S = p->opt.size;
  long long t0, t1;
  effnet_share((long long)count * S, ith, nth, &t0, &t1);
  Scratch s = scratch_of(p, ith);
  while (t0 < t1) {
    int img = (int)(t0 / S), y0 = (int)(t0 - (long long)img * S);
    int y1 = t1 - (long long)img * S < S ? (int)(t1 - (long long)img * S) : S;
    run_rows(p, &s, first + img, y0, y1, d, d->data + img * d->img);
    t0 += y1 - y0;
  }
}

int effnet_prep_run(EffnetPrep *p, float *out, char *err, size_t errlen) {
  if (!p || !out || p->n < 1) {
    set_error(err, errlen, "effnet_prep_run: %s", !p || p->n < 1 ? "nothing planned" : "no output given");
    return -1;
  }
  const int S = p->opt.size;
  PrepDest d = {out, (ptrdiff_t)3 * S * S, S, (ptrdiff_t)S * S, 0};
#pragma omp parallel num_threads(p->threads)
  prep_run_share(p, 0, p->n, &d, omp_get_thread_num(), omp_get_num_threads());
  return 0;
}
