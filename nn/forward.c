/* forward.c — the workspace (every buffer, planned once) and the inference.
 *
 * One OpenMP parallel region runs the whole network. Every layer is an op
 * (nn/threads.h): thread ith of nth runs its share and returns without
 * waiting; the graph (network_forward, block_forward, head_forward) puts the
 * barriers between ops, where one reads what another wrote. Buffers:
 *   x[2]  block inputs/outputs, ping-pong; stored with zero borders when the
 *         next block has no expand conv (its depthwise reads it directly)
 *   xi[2] one image's ping-pong for the leading blocks a batch runs image by
 *         image (depth first: see network_forward); only when batching
 *   e     expand output with zero borders (depthwise input) of the blocks
 *         small enough to keep whole; head output
 *   ring  per thread, k rows of expanded input: large blocks stream the
 *         expand conv row by row into it, so their expanded tensor (up to
 *         70 MB per image in B7) never exists and stays in L2
 *   d     depthwise output = project input
 *   small vectors for the SE path, the pooled features, and the project
 *   weights with one image's SE gate folded in (K x N, the largest layer). */
#include <omp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "errors.h"
#include "gemm-blas.h"
#include "gemm.h"
#include "model.h"
#include "prep.h"
#include "profile.h"
#include "threads.h"

struct EffnetWorkspace {
  const EffnetModel *model;
  int max_batch, threads; /* planned */
  int active;             /* threads forward passes run on, 1..threads */
  float *x[2], *xi[2], *e, *d;
  float *image;     /* the input images, NHWC with the stem's zero borders */
  float *ring;      /* [threads][ring_floats] */
  float *pool_rows; /* [max_batch][rows][channels]: each depthwise output row's SE pool sums */
  float *pooled;    /* [max_batch][cmax] */
  float *se1, *se2; /* [max_batch][se max], [max_batch][cmax] */
  float *feat;      /* [max_batch][head] */
  float *gated;     /* project weights times one image's SE gate */
  float *rows;      /* [threads][mr * kmax] gathered GEMM rows */
  int df_blocks;    /* leading blocks run image by image in a batch (0: none) */
  size_t cmax, semax, kmax, ring_floats, bytes;
  void *block;         /* one zeroed allocation holding every buffer above */
  EffnetProfile *prof; /* NULL unless bench/layers.c asked (profile.h) */
};

typedef struct {
  int t, l, b, r;
} Pads;

/* A view of n images of size x size x c in buf, with zero borders `pad`. */
static View make_view(float *buf, int size, int c, Pads pad) {
  View v;
  v.h = v.w = size;
  v.c = c;
  v.row = (ptrdiff_t)(size + pad.l + pad.r) * c;
  v.img = (ptrdiff_t)(size + pad.t + pad.b) * v.row;
  v.data = buf + pad.t * v.row + (ptrdiff_t)pad.l * c;
  return v;
}

static size_t view_floats(int size, int c, Pads pad) {
  return (size_t)(size + pad.t + pad.b) * (size_t)(size + pad.l + pad.r) * (size_t)c;
}

static Pads block_pads(const Block *b) {
  Pads p = {b->geom.pad_t, b->geom.pad_l, b->geom.pad_b, b->geom.pad_r};
  return p;
}

static const Pads kNoPad = {0, 0, 0, 0};

/* Stream a block's expand conv through a ring of rows when its expanded,
 * padded input would not sit comfortably in L2 (block_streams). */
enum { kStreamBytes = 2 * 1024 * 1024 };

/* ... but, on a team, only when its rows are many: every thread's share but
 * the first expands the k - s rows above it again. That is 7-27 % more
 * expand work per extra thread on the 15- to 48-row layers of B4-B7; run
 * whole (expand, barrier, depthwise) they took 2 threads 7-13 % less time
 * over a whole B4-B7 pass (bench/README.md, "Streaming on a team"). The
 * 57-row 5x5 layers of B5 (7 %) came out even either way; the 114-row ones
 * (2-3 %) gain from streaming. So a team streams 3x3 layers of 40 rows and
 * more (20 at stride 2) and 5x5 layers of 80 (60). The rule looks at one
 * extra thread's halo whatever the team's size: larger teams were not
 * measured. */
#define STREAM_HALO_MAX 0.05

/* A batch runs a block image by image while one image's tensors of the block
 * (input, expanded, depthwise output, output) pass this size: a whole batch
 * of them would stream through memory op after op, where one image's stay in
 * the caches from one op to the next, as at batch 1. */
enum { kDepthFirstBytes = 1024 * 1024 };

static size_t padded_row_floats(const Block *b) {
  return (size_t)(b->geom.in_size + b->geom.pad_l + b->geom.pad_r) * b->spec.exp_ch;
}

/* Whether block b streams on a workspace planned for `threads` (the same
 * answer for every pass, so buffers are planned once). */
static int block_streams(const Block *b, int threads) {
  size_t rows = (size_t)(b->geom.in_size + b->geom.pad_t + b->geom.pad_b);
  if (b->spec.expand == 1 || rows * padded_row_floats(b) * sizeof(float) <= kStreamBytes) return 0;
  return threads == 1 || (double)(b->spec.kernel - b->spec.stride) / b->geom.in_size <= STREAM_HALO_MAX;
}

static Pads stem_pads(const EffnetModel *m) {
  Pads p = {m->stem_pad_t, m->stem_pad_l, m->stem_pad_b, m->stem_pad_r};
  return p;
}

/* Borders of block i's input: it needs them when it has no expand conv. */
static Pads input_pads(const EffnetModel *m, int i) {
  if (i < m->arch.num_blocks && m->blocks[i].spec.expand == 1) return block_pads(&m->blocks[i]);
  return kNoPad;
}

/* ---- workspace ---- */

/* Buffers start on cache lines. */
enum { kWsAlign = 64 };

static size_t ws_round(size_t floats) { return (floats * sizeof(float) + kWsAlign - 1) / kWsAlign * kWsAlign; }

static void ws_free_buffers(EffnetWorkspace *ws) { free(ws->block); }

/* Physical memory of the machine, 0 when unknown. */
static size_t physical_bytes(void) {
  long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
  if (pages <= 0 || page <= 0 || (size_t)pages > SIZE_MAX / (size_t)page) return 0;
  return (size_t)pages * (size_t)page;
}

EffnetWorkspace *effnet_workspace_new(const EffnetModel *m, int max_batch, int num_threads, char *err, size_t errlen) {
  if (!m) {
    set_error(err, errlen, "no model given");
    return NULL;
  }
  if (max_batch < 1 || max_batch > 4096) {
    set_error(err, errlen, "batch size %d is out of range (1 to 4096)", max_batch);
    return NULL;
  }
  if (num_threads < 0 || num_threads > 1024) {
    set_error(err, errlen, "thread count %d is out of range (0 = all cores, up to 1024)", num_threads);
    return NULL;
  }
  EffnetWorkspace *ws = calloc(1, sizeof *ws);
  if (!ws) goto oom;
  ws->model = m;
  ws->max_batch = max_batch;
  ws->threads = num_threads > 0 ? num_threads : omp_get_num_procs();
  ws->active = ws->threads;

  size_t xmax = 0, emax = 0, dmax = 0, cmax = 0, semax = 0, kmax = 27, gmax = 0, ring = 0, prow = 0;
  xmax = view_floats(m->stem_out, m->arch.stem_ch, input_pads(m, 0));
  for (int i = 0; i < m->arch.num_blocks; i++) {
    const Block *b = &m->blocks[i];
    const BlockSpec *s = &b->spec;
    size_t xin = view_floats(b->geom.in_size, s->in_ch, input_pads(m, i));
    size_t xout = view_floats(b->geom.out_size, s->out_ch, input_pads(m, i + 1));
    size_t ex =
        s->expand != 1 && !block_streams(b, ws->threads) ? view_floats(b->geom.in_size, s->exp_ch, block_pads(b)) : 0;
    if (block_streams(b, ws->threads) && (size_t)s->kernel * padded_row_floats(b) > ring)
      ring = (size_t)s->kernel * padded_row_floats(b);
    size_t dd = (size_t)b->geom.out_size * b->geom.out_size * s->exp_ch;
    if ((size_t)b->geom.out_size * s->exp_ch > prow) prow = (size_t)b->geom.out_size * s->exp_ch;
    if (xin > xmax) xmax = xin;
    if (xout > xmax) xmax = xout;
    size_t ex_img = s->expand != 1 ? view_floats(b->geom.in_size, s->exp_ch, block_pads(b)) : 0;
    if (ws->df_blocks == i && max_batch > 1 && (xin + ex_img + dd + xout) * sizeof(float) > kDepthFirstBytes)
      ws->df_blocks = i + 1;
    if (ex > emax) emax = ex;
    if (dd > dmax) dmax = dd;
    if ((size_t)s->exp_ch > cmax) cmax = s->exp_ch;
    if ((size_t)s->se_ch > semax) semax = s->se_ch;
    if ((size_t)s->exp_ch > kmax) kmax = s->exp_ch;
    size_t g = (size_t)s->exp_ch * ((s->out_ch + GEMM_NR - 1) / GEMM_NR * GEMM_NR);
    if (g > gmax) gmax = g;
  }
  size_t head_out = (size_t)m->head_size * m->head_size * m->arch.head_ch;
  if (head_out > emax) emax = head_out;
  if ((size_t)m->arch.head_ch > kmax) kmax = m->arch.head_ch;
  if ((size_t)m->arch.head_ch > cmax) cmax = m->arch.head_ch;

  size_t B = (size_t)max_batch, T = (size_t)ws->threads;
  ws->cmax = cmax;
  ws->semax = semax;
  ws->kmax = kmax;
  ws->ring_floats = ring;
  /* Every buffer, planned as a list: its size is counted once, here. */
  struct {
    float **dst;
    size_t floats;
  } plan[] = {
      {&ws->image, B * view_floats(m->input_size, 3, stem_pads(m))},
      {&ws->x[0], B * xmax},
      {&ws->x[1], B * xmax},
      {&ws->xi[0], ws->df_blocks ? xmax : 0},
      {&ws->xi[1], ws->df_blocks ? xmax : 0},
      {&ws->e, B * emax},
      {&ws->d, B * dmax},
      {&ws->ring, T * ring},
      {&ws->pool_rows, B * prow},
      {&ws->pooled, B * cmax},
      {&ws->se1, B * semax},
      {&ws->se2, B * cmax},
      {&ws->feat, B * m->arch.head_ch},
      {&ws->gated, gmax},
      {&ws->rows, T * (size_t)m->kern->mr * kmax},
  };
  const size_t nplan = sizeof plan / sizeof plan[0];
  for (size_t i = 0; i < nplan; i++) ws->bytes += ws_round(plan[i].floats);
  /* Refuse what the machine cannot hold (input_size 2048 with a large batch,
   * 1024 threads): an allocation the kernel overcommits would end in the OOM
   * killer, not in an error. */
  size_t phys = physical_bytes();
  if (phys && ws->bytes > phys / 2) {
    set_error(err, errlen,
              "buffers for a batch of %d EfficientNet-%s image%s of %d px on %d thread%s need %.1f GB, more than "
              "half of this machine's %.1f GB of memory",
              max_batch, effnet_variant_name(m->info.variant), max_batch == 1 ? "" : "s", m->input_size, ws->threads,
              ws->threads == 1 ? "" : "s", ws->bytes / 1e9, phys / 1e9);
    free(ws);
    return NULL;
  }
  /* calloc: large blocks come from fresh zero pages, so memory is only
   * touched (and resident) as the forward pass uses it. */
  ws->block = calloc(1, ws->bytes + kWsAlign);
  if (!ws->block) goto oom;
  char *next = (char *)(((uintptr_t)ws->block + kWsAlign - 1) / kWsAlign * kWsAlign);
  for (size_t i = 0; i < nplan; i++) {
    *plan[i].dst = (float *)next;
    next += ws_round(plan[i].floats);
  }
  return ws;
oom:
  set_error(err, errlen, "out of memory planning buffers for a batch of %d EfficientNet-%s images", max_batch,
            effnet_variant_name(m->info.variant));
  if (ws) {
    ws_free_buffers(ws);
    free(ws);
  }
  return NULL;
}

void effnet_workspace_free(EffnetWorkspace *ws) {
  if (!ws) return;
  ws_free_buffers(ws);
  free(ws);
}

size_t effnet_workspace_bytes(const EffnetWorkspace *ws) { return ws ? ws->bytes : 0; }

/* ---- the profile (profile.h): thread 0 notes the time at each point of
 * the graph where an op has ended ---- */

static double clock_ms(const EffnetProfile *p) {
  struct timespec ts;
  clock_gettime(p->cpu_clock ? CLOCK_THREAD_CPUTIME_ID : CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec * 1e-6;
}

static void mark(EffnetWorkspace *ws, int ith, int layer, OpKind kind) {
  EffnetProfile *p = ws->prof;
  if (!p || ith != 0) return;
  double t = clock_ms(p);
  p->ms[layer][kind] += t - p->last;
  p->last = t;
}

void effnet_workspace_set_profile(EffnetWorkspace *ws, EffnetProfile *p) {
  if (ws) ws->prof = p;
}

const char *profile_kind_name(OpKind k) {
  static const char *const names[OP_KINDS] = {
      [OP_INPUT] = "input",
      [OP_STEM] = "stem",
      [OP_EXPAND] = "expand",
      [OP_DWCONV] = "dwconv",
      [OP_EXPAND_DW] = "expand+dw",
      [OP_SE] = "se",
      [OP_GATE] = "gate",
      [OP_PROJECT] = "project",
      [OP_HEAD] = "head",
      [OP_POOL] = "pool",
      [OP_CLASSIFIER] = "classifier",
  };
  return k >= 0 && k < OP_KINDS ? names[k] : "?";
}

/* ---- ops: every thread of the region calls each one with its (ith, nth)
 * and does its share (effnet_share, or a split of its own by cost); no op
 * waits for another thread or asks OpenMP anything ---- */

/* Zero the border of a padded view (n images); the interior is left alone.
 * The graph needs no barrier after it: nothing else writes a border, the
 * last readers of that memory in its earlier use came before an earlier
 * barrier, and every reader of the border comes after a later one. */
static void zero_border(const View *v, Pads pad, int n, int ith, int nth) {
  if (pad.t == 0 && pad.l == 0 && pad.b == 0 && pad.r == 0) return;
  const int rows = v->h + pad.t + pad.b;
  const size_t row_bytes = (size_t)v->row * sizeof(float);
  long long t0, t1;
  effnet_share((long long)n * rows, ith, nth, &t0, &t1);
  for (int t = (int)t0; t < t1; t++) {
    int img = t / rows, py = t - img * rows;
    float *row = v->data + img * v->img + (ptrdiff_t)(py - pad.t) * v->row - (ptrdiff_t)pad.l * v->c;
    if (py < pad.t || py >= pad.t + v->h) {
      memset(row, 0, row_bytes);
    } else {
      memset(row, 0, (size_t)pad.l * v->c * sizeof(float));
      memset(row + (ptrdiff_t)(pad.l + v->w) * v->c, 0, (size_t)pad.r * v->c * sizeof(float));
    }
  }
}

static void gemm(const EffnetModel *m, EffnetWorkspace *ws, GemmJob *job, int ith, int nth) {
  gemm_job_share(m->kern, job, ws->rows + (size_t)ith * m->kern->mr * ws->kmax, ith, nth);
}

/* Output row y of image img's SE pool sums (C channels, Ho rows), zeroed for
 * the depthwise kernel to add to. Sums are kept per row and added in row
 * order, so the pooled means do not depend on how rows were shared out: the
 * logits are the same bits on any number of threads. */
static float *pool_row(EffnetWorkspace *ws, int img, int y, int Ho, int C) {
  float *p = ws->pool_rows + ((size_t)img * Ho + y) * C;
  memset(p, 0, (size_t)C * sizeof(float));
  return p;
}

static DwconvArgs dw_args(const Block *b, const View *out) {
  DwconvArgs a = {.out_w = out->w,
                  .c = b->spec.exp_ch,
                  .k = b->spec.kernel,
                  .stride = b->spec.stride,
                  .w = b->dw.w,
                  .bias = b->dw.bias,
                  .act = ACT_SILU};
  return a;
}

/* Depthwise conv (+SiLU) of n images held whole in `in` (zero borders
 * `pad`), with each output row's SE pool sums. */
static void depthwise(const EffnetModel *m, EffnetWorkspace *ws, const Block *b, const View *in, Pads pad,
                      const View *out, int n, int ith, int nth) {
  const int Ho = out->h, s = b->spec.stride;
  DwconvArgs a = dw_args(b, out);
  long long t0, t1;
  effnet_share((long long)n * Ho, ith, nth, &t0, &t1);
  for (int t = (int)t0; t < t1; t++) {
    int img = t / Ho, y = t - img * Ho;
    const float *origin = in->data + img * in->img - pad.t * in->row - (ptrdiff_t)pad.l * in->c;
    const float *rows[5];
    for (int ky = 0; ky < a.k; ky++) rows[ky] = origin + (ptrdiff_t)(y * s + ky) * in->row;
    m->kern->dwconv(&a, rows, out->data + img * out->img + y * out->row, pool_row(ws, img, y, Ho, a.c));
  }
}

/* Thread ith of nth's output rows [t0, t1) of `total` in a streamed block:
 * the one op that does not split with effnet_share. Every share but the
 * first also expands k - s halo rows above it, so the first gets that much
 * more work of its own: shares of equal cost, not of equal row count (the
 * halo is 7-14 % of a share on 57-114-row layers). */
static void streamed_share(const Block *b, int total, int ith, int nth, int *t0, int *t1) {
  const BlockSpec *s = &b->spec;
  const double expand = (double)b->geom.in_size * s->in_ch * s->exp_ch; /* per input row */
  const double row = s->stride * expand + (double)b->geom.out_size * s->exp_ch * s->kernel * s->kernel;
  const double halo = (s->kernel - s->stride) * expand / row; /* in output rows */
  const double first = (total + (nth - 1) * halo) / nth;      /* equal cost: first = later + halo */
  const double later = first - halo;
  double start = ith == 0 ? 0.0 : first + (ith - 1) * later;
  double end = first + ith * later;
  *t0 = ith == 0 ? 0 : (int)(start + 0.5);
  *t1 = ith == nth - 1 ? total : (int)(end + 0.5);
  if (*t0 > total) *t0 = total;
  if (*t1 > total) *t1 = total;
  if (*t1 < *t0) *t1 = *t0;
}

/* Expand + depthwise, streamed: this thread's output rows, in order; each
 * padded input row is expanded into ring slot (row % k) just before the first
 * output row that needs it (rows above the thread's first output row are its
 * halo, computed again by this thread). */
static void expand_depthwise_streamed(const EffnetModel *m, EffnetWorkspace *ws, const Block *b, const View *in,
                                      const View *out, int n, int ith, int nth) {
  const int Ho = out->h, H = b->geom.in_size, k = b->spec.kernel, s = b->spec.stride, C = b->spec.exp_ch;
  const int pt = b->geom.pad_t, pl = b->geom.pad_l, pr = b->geom.pad_r;
  const size_t slot_floats = padded_row_floats(b);
  float *ring = ws->ring + (size_t)ith * ws->ring_floats;
  float *rows_buf = ws->rows + (size_t)ith * m->kern->mr * ws->kmax;
  DwconvArgs a = dw_args(b, out);
  int t0, t1;
  streamed_share(b, n * Ho, ith, nth, &t0, &t1);
  int ring_img = -1, next = 0; /* next padded row to produce for ring_img */
  for (int t = t0; t < t1; t++) {
    int img = t / Ho, y = t - img * Ho;
    if (img != ring_img) {
      ring_img = img;
      next = y * s;
    }
    for (; next < y * s + k; next++) {
      float *slot = ring + (size_t)(next % k) * slot_floats;
      int r = next - pt;
      if (r < 0 || r >= H) {
        memset(slot, 0, slot_floats * sizeof(float));
        continue;
      }
      memset(slot, 0, (size_t)pl * C * sizeof(float));
      memset(slot + (size_t)(pl + b->geom.in_size) * C, 0, (size_t)pr * C * sizeof(float));
      View src = {in->data + img * in->img + r * in->row, 1, in->w, in->c, in->row, in->row};
      View dst = {slot + (size_t)pl * C, 1, in->w, C, (ptrdiff_t)slot_floats, (ptrdiff_t)slot_floats};
      GemmJob ex = {.n = 1, .a = &src, .w = &b->expand, .act = ACT_SILU, .c = &dst};
      gemm_job_share(m->kern, &ex, rows_buf, 0, 1); /* the whole row, on this thread */
    }
    const float *rows[5];
    for (int ky = 0; ky < k; ky++) rows[ky] = ring + (size_t)((y * s + ky) % k) * slot_floats;
    m->kern->dwconv(&a, rows, out->data + img * out->img + y * out->row, pool_row(ws, img, y, Ho, C));
  }
}

/* Column sums of a rows x C block (rows `stride` floats apart) for channels
 * [c0, c1), each added in row order, times `scale`, into out[c0..c1): row by
 * row across the channels, so the adds are independent vectors instead of one
 * dependent scalar chain per channel, and each channel's sum is the same
 * sequence of additions as a plain loop over the rows (the same bits). */
static void column_means(const float *restrict p, ptrdiff_t stride, int rows, int c0, int c1, float scale,
                         float *restrict out) {
  for (int ch = c0; ch < c1; ch++) out[ch] = 0.0f;
  for (int y = 0; y < rows; y++) {
    const float *r = p + (ptrdiff_t)y * stride;
    for (int ch = c0; ch < c1; ch++) out[ch] += r[ch];
  }
  for (int ch = c0; ch < c1; ch++) out[ch] *= scale;
}

/* Channel means of n images (each `rows` rows of C channels, rows `stride`
 * floats apart, images `img_stride` apart) into out[img * out_stride + ch]:
 * this thread's share of the (image, channel) pairs, an image's channel
 * range at a time. */
static void means_share(const float *base, ptrdiff_t img_stride, ptrdiff_t stride, int rows, int C, int n, float scale,
                        float *out, ptrdiff_t out_stride, int ith, int nth) {
  long long t0, t1;
  effnet_share((long long)n * C, ith, nth, &t0, &t1);
  while (t0 < t1) {
    const long long img = t0 / C;
    const int c0 = (int)(t0 - img * C), c1 = t1 - img * C < C ? (int)(t1 - img * C) : C;
    column_means(base + img * img_stride, stride, rows, c0, c1, scale, out + img * out_stride);
    t0 = img * C + c1;
  }
}

/* Sum the rows' pool sums, in row order, into the per-image channel means. */
static void finish_pool(EffnetWorkspace *ws, int C, int n, int Ho, int ith, int nth) {
  const float inv = 1.0f / ((float)Ho * (float)Ho);
  means_share(ws->pool_rows, (ptrdiff_t)Ho * C, C, Ho, C, n, inv, ws->pooled, (ptrdiff_t)ws->cmax, ith, nth);
}

/* w with row k of B multiplied by gate[k], into dst (shared by the team, in
 * w's layout: panels, or plain on OpenBLAS): this thread's share of the rows. */
static void gate_weights(const EffnetModel *m, const PackedGemm *w, const float *gate, float *dst, int ith, int nth) {
  const size_t rows = w->plain ? (size_t)w->K : (size_t)(w->N + GEMM_NR - 1) / GEMM_NR * w->K;
  long long r0, r1;
  effnet_share((long long)rows, ith, nth, &r0, &r1);
  if (w->plain) gemm_blas_gate_rows(w->plain, gate, w->N, (size_t)r0, (size_t)r1, dst);
  else m->kern->scale_panels(w->b, gate, w->K, (size_t)r0, (size_t)r1, dst);
}

/* x (n images) channel c times gate[image][c], in place: this thread's
 * share of each image's pixels. */
static void gate_activations(const EffnetModel *m, const View *x, const float *gate, ptrdiff_t gate_stride, int n,
                             int ith, int nth) {
  long long p0, p1;
  effnet_share((long long)x->h * x->w, ith, nth, &p0, &p1);
  for (int img = 0; img < n; img++)
    m->kern->scale_channels(x->data + img * x->img, gate + img * gate_stride, x->c, (size_t)p0, (size_t)p1);
}

/* Global average pool of h (n images of hw pixels, C channels) into
 * feat[n][C]: this thread's share of the (image, channel) sums. */
static void global_pool(const View *h, float *feat, int n, int ith, int nth) {
  const int C = h->c, hw = h->h * h->w;
  means_share(h->data, h->img, C, hw, C, n, 1.0f / (float)hw, feat, C, ith, nth);
}

/* Planar [n][3][S][S] input -> NHWC with the stem's zero borders: this
 * thread's share of the rows. */
static void input_to_nhwc(const float *input, const View *img, int n, int ith, int nth) {
  const int S = img->h;
  long long t0, t1;
  effnet_share((long long)n * S, ith, nth, &t0, &t1);
  for (int t = (int)t0; t < t1; t++) {
    int i = t / S, y = t - i * S;
    const float *r = input + ((size_t)i * 3 * S + y) * S, *g = r + (size_t)S * S, *b = g + (size_t)S * S;
    float *o = img->data + i * img->img + y * img->row;
    for (int x = 0; x < S; x++) {
      o[3 * x] = r[x];
      o[3 * x + 1] = g[x];
      o[3 * x + 2] = b[x];
    }
  }
}

static View image_view(const View *v, int img) {
  View r = *v;
  r.data += img * v->img;
  return r;
}

static View vec_view(float *data, int c, ptrdiff_t stride) {
  View v = {data, 1, 1, c, stride, stride};
  return v;
}

/* ---- the graph: the order of the ops, and every barrier of the pass ----
 *
 * Each function below is run by every thread of the region with the same
 * arguments but (ith, nth). A barrier follows each op whose output the next
 * one reads. The branches depend only on the model, never on ith, so every
 * thread meets the same barriers. */

/* One MBConv block: in -> out; ends with a barrier. */
static void block_forward(const EffnetModel *m, EffnetWorkspace *ws, int i, const View *in, const View *out, int n,
                          int ith, int nth) {
  const Block *b = &m->blocks[i];
  const BlockSpec *s = &b->spec;
  const int layer = PROFILE_BLOCK0 + i;
  View d = make_view(ws->d, b->geom.out_size, s->exp_ch, kNoPad);
  Pads pad = block_pads(b);
  const int streams = block_streams(b, ws->threads);
  if (streams) {
    expand_depthwise_streamed(m, ws, b, in, &d, n, ith, nth);
  } else if (s->expand != 1) {
    View e = make_view(ws->e, b->geom.in_size, s->exp_ch, pad);
    zero_border(&e, pad, n, ith, nth);
    GemmJob ex = {.n = n, .a = in, .w = &b->expand, .act = ACT_SILU, .c = &e};
    gemm(m, ws, &ex, ith, nth);
#pragma omp barrier
    mark(ws, ith, layer, OP_EXPAND);
    depthwise(m, ws, b, &e, pad, &d, n, ith, nth);
  } else {
    depthwise(m, ws, b, in, pad, &d, n, ith, nth); /* stage 1: the block input has the borders */
  }
#pragma omp barrier
  mark(ws, ith, layer, streams ? OP_EXPAND_DW : OP_DWCONV);
  finish_pool(ws, s->exp_ch, n, b->geom.out_size, ith, nth);
#pragma omp barrier

  View pooled = vec_view(ws->pooled, s->exp_ch, (ptrdiff_t)ws->cmax);
  View se1 = vec_view(ws->se1, s->se_ch, (ptrdiff_t)ws->semax);
  View se2 = vec_view(ws->se2, s->exp_ch, (ptrdiff_t)ws->cmax);
  GemmJob r = {.n = n, .a = &pooled, .w = &b->se_reduce, .act = ACT_SILU, .c = &se1};
  gemm(m, ws, &r, ith, nth);
#pragma omp barrier
  GemmJob e = {.n = n, .a = &se1, .w = &b->se_expand, .act = ACT_SIGMOID, .c = &se2};
  gemm(m, ws, &e, ith, nth);
#pragma omp barrier
  mark(ws, ith, layer, OP_SE);

  /* Project. The SE gate scales its input channels: either the rows of the
   * weights (K*N multiplies per image; then one GEMM per image) or the
   * depthwise output (H*W*K), whichever is smaller — the weights on large
   * early layers, the activations on the 7x7 ones. */
  const size_t npad = (size_t)(s->out_ch + GEMM_NR - 1) / GEMM_NR * GEMM_NR;
  if ((size_t)d.h * d.w < npad) {
    gate_activations(m, &d, ws->se2, (ptrdiff_t)ws->cmax, n, ith, nth);
#pragma omp barrier
    mark(ws, ith, layer, OP_GATE);
    GemmJob p = {.n = n, .a = &d, .w = &b->project, .act = ACT_NONE, .c = out, .res = s->residual ? in : NULL};
    gemm(m, ws, &p, ith, nth);
#pragma omp barrier
    mark(ws, ith, layer, OP_PROJECT);
    return;
  }
  PackedGemm gated = b->project; /* the same layout, in ws->gated */
  if (gated.plain) gated.plain = ws->gated;
  else gated.b = ws->gated;
  for (int img = 0; img < n; img++) {
    gate_weights(m, &b->project, ws->se2 + (size_t)img * ws->cmax, ws->gated, ith, nth);
#pragma omp barrier
    mark(ws, ith, layer, OP_GATE);
    View di = image_view(&d, img), oi = image_view(out, img), ii = image_view(in, img);
    GemmJob p = {.n = 1, .a = &di, .w = &gated, .act = ACT_NONE, .c = &oi, .res = s->residual ? &ii : NULL};
    gemm(m, ws, &p, ith, nth);
#pragma omp barrier /* also before the next image's gate_weights overwrites ws->gated */
    mark(ws, ith, layer, OP_PROJECT);
  }
}

/* Head conv + SiLU, global average pool, classifier. No barrier after the
 * classifier: it is the pass's last op, and the region's end joins. */
static void head_forward(const EffnetModel *m, EffnetWorkspace *ws, const View *in, float *logits, int n, int ith,
                         int nth) {
  const int C = m->arch.head_ch, layer = PROFILE_BLOCK0 + m->arch.num_blocks;
  View h = make_view(ws->e, m->head_size, C, kNoPad);
  GemmJob hj = {.n = n, .a = in, .w = &m->head, .act = ACT_SILU, .c = &h};
  gemm(m, ws, &hj, ith, nth);
#pragma omp barrier
  mark(ws, ith, layer, OP_HEAD);
  global_pool(&h, ws->feat, n, ith, nth);
#pragma omp barrier
  mark(ws, ith, layer, OP_POOL);
  View feat = vec_view(ws->feat, C, C);
  View out = vec_view(logits, m->info.num_classes, m->info.num_classes);
  GemmJob cj = {.n = n, .a = &feat, .w = &m->classifier, .act = ACT_NONE, .c = &out};
  gemm(m, ws, &cj, ith, nth);
}

/* The network's input: float images copied to NHWC, or frames prepared by
 * the frame path straight into it (each thread its share of the rows). */
typedef struct {
  const float *input; /* [n][3][S][S], or NULL */
  EffnetPrep *prep;
  int first; /* planned image of this chunk's image 0 */
} Input;

/* The whole pass, run by thread ith of the region's nth. */
static void network_forward(const EffnetModel *m, EffnetWorkspace *ws, const Input *in, int n, float *logits, int ith,
                            int nth) {
  /* Depth first, then breadth: each image alone from its input through the
   * stem and the leading blocks whose tensors are large (one image's stay in
   * the caches from op to op), then the whole batch through the rest (the
   * late layers' GEMMs get n times the rows for the same weights). Images run
   * alone go through xi[] and leave their last output in their slice of x[0]. */
  const int df = n > 1 ? ws->df_blocks : 0;
  View image = make_view(ws->image, m->input_size, 3, stem_pads(m));
  View x = make_view(ws->x[0], df ? m->blocks[df - 1].geom.out_size : m->stem_out,
                     df ? m->blocks[df - 1].spec.out_ch : m->arch.stem_ch, input_pads(m, df));
  for (int img = 0; img < (df ? n : 1); img++) {
    const int ni = df ? 1 : n;
    View src = df ? image_view(&image, img) : image;
    zero_border(&src, stem_pads(m), ni, ith, nth);
    if (in->prep) {
      PrepDest d = {src.data, src.img, src.row, 0, 1};
      prep_run_share(in->prep, in->first + (df ? img : 0), ni, &d, ith, nth);
    } else {
      input_to_nhwc(in->input + (size_t)(df ? img : 0) * 3 * m->input_size * m->input_size, &src, ni, ith, nth);
    }
#pragma omp barrier
    mark(ws, ith, PROFILE_STEM_LAYER, OP_INPUT);
    Pads in_pad = input_pads(m, 0);
    View xs = make_view(df ? ws->xi[0] : ws->x[0], m->stem_out, m->arch.stem_ch, in_pad);
    zero_border(&xs, in_pad, ni, ith, nth);
    GemmJob stem = {.n = ni,
                    .src = &src,
                    .stride = 2,
                    .pad_t = m->stem_pad_t,
                    .pad_l = m->stem_pad_l,
                    .w = &m->stem,
                    .act = ACT_SILU,
                    .c = &xs};
    gemm(m, ws, &stem, ith, nth);
#pragma omp barrier
    mark(ws, ith, PROFILE_STEM_LAYER, OP_STEM);
    if (!df) {
      x = xs;
      break;
    }
    for (int i = 0; i < df; i++) {
      const Block *b = &m->blocks[i];
      Pads out_pad = input_pads(m, i + 1);
      View y =
          i + 1 < df ? make_view(ws->xi[(i + 1) % 2], b->geom.out_size, b->spec.out_ch, out_pad) : image_view(&x, img);
      zero_border(&y, out_pad, 1, ith, nth);
      block_forward(m, ws, i, &xs, &y, 1, ith, nth);
      xs = y;
    }
  }
  int cur = 0;
  for (int i = df; i < m->arch.num_blocks; i++) {
    const Block *b = &m->blocks[i];
    Pads out_pad = input_pads(m, i + 1);
    View y = make_view(ws->x[1 - cur], b->geom.out_size, b->spec.out_ch, out_pad);
    zero_border(&y, out_pad, n, ith, nth);
    block_forward(m, ws, i, &x, &y, n, ith, nth);
    x = y;
    cur = 1 - cur;
  }
  head_forward(m, ws, &x, logits, n, ith, nth);
}

/* n images in chunks of the workspace's batch, one parallel region each;
 * the only place the forward pass asks OpenMP who a thread is (the team may
 * be smaller than asked for). */
static void run_chunks(const EffnetModel *m, EffnetWorkspace *ws, const float *input, EffnetPrep *prep, int n,
                       float *logits) {
  const size_t in_img = (size_t)3 * m->input_size * m->input_size;
  for (int done = 0; done < n; done += ws->max_batch) {
    int chunk = n - done < ws->max_batch ? n - done : ws->max_batch;
    Input in = {input ? input + (size_t)done * in_img : NULL, prep, done};
    float *out = logits + (size_t)done * m->info.num_classes;
    if (ws->prof) ws->prof->last = clock_ms(ws->prof); /* thread 0 of the region is this thread */
#pragma omp parallel num_threads(ws->active)
    network_forward(m, ws, &in, chunk, out, omp_get_thread_num(), omp_get_num_threads());
    mark(ws, 0, PROFILE_BLOCK0 + m->arch.num_blocks, OP_CLASSIFIER); /* the region's end joined the team */
  }
  if (ws->prof) ws->prof->passes++;
}

static int check_call(const EffnetModel *m, const EffnetWorkspace *ws, const void *input, float *logits, char *err,
                      size_t errlen) {
  if (!m || !ws || !input || !logits) {
    set_error(err, errlen, "effnet_forward: missing model, workspace, input or output");
    return -1;
  }
  if (ws->model != m) {
    set_error(err, errlen, "effnet_forward: the workspace was planned for another model");
    return -1;
  }
  return 0;
}

int effnet_forward(const EffnetModel *m, EffnetWorkspace *ws, const float *input, int n, float *logits, char *err,
                   size_t errlen) {
  if (check_call(m, ws, input, logits, err, errlen) != 0) return -1;
  if (n < 0) {
    set_error(err, errlen, "effnet_forward: negative image count %d", n);
    return -1;
  }
  run_chunks(m, ws, input, NULL, n, logits);
  return 0;
}

int effnet_forward_prep(const EffnetModel *m, EffnetWorkspace *ws, EffnetPrep *prep, float *logits, char *err,
                        size_t errlen) {
  if (check_call(m, ws, prep, logits, err, errlen) != 0) return -1;
  if (prep_count(prep) < 1) {
    set_error(err, errlen, "effnet_forward_prep: nothing planned");
    return -1;
  }
  if (prep_size(prep) != m->input_size) {
    set_error(err, errlen, "effnet_forward_prep: the plan makes %dx%d images but the model takes %dx%d",
              prep_size(prep), prep_size(prep), m->input_size, m->input_size);
    return -1;
  }
  if (prep_threads(prep) < ws->active) {
    set_error(err, errlen, "effnet_forward_prep: the plan has buffers for %d threads but the workspace runs %d",
              prep_threads(prep), ws->active);
    return -1;
  }
  run_chunks(m, ws, NULL, prep, prep_count(prep), logits);
  return 0;
}

int effnet_workspace_threads(const EffnetWorkspace *ws) { return ws ? ws->threads : 0; }

int effnet_workspace_use_threads(EffnetWorkspace *ws, int n) {
  if (!ws) return 0;
  ws->active = n < 1 ? 1 : n > ws->threads ? ws->threads : n;
  return ws->active;
}

int effnet_workspace_active_threads(const EffnetWorkspace *ws) { return ws ? ws->active : 0; }
