/* prep.c — the frame path (frame -> normalized S x S input) next to
 * GstVideoConverter doing the same job (centre crop, scale, convert to RGB,
 * then normalize to float as the element did before), in the same run.
 *
 *   build/bench/effnet-prep-bench [--formats nv12,i420,...] [--sizes 640x480,...]
 *        [--S 224,380,600] [--threads 1,2] [--seconds 0.3] [--rois N] [--only accurate|fast]
 *
 * --rois N: N regions of 200x400 spread over the frame instead of the whole
 * frame (one plan of N images; GstVideoConverter: one converter per region,
 * as the element used to build).
 *
 * Both sides: accurate (the weights' antialiased bicubic; GstVideoConverter's
 * Catmull-Rom cubic with the taps it picks for the shrink) and fast (2-tap
 * bilinear; the converter's linear with 2 taps and no chroma filtering).
 * GstVideoConverter gets the same number of threads. Prints a Markdown table
 * of the median ms per frame and our / GStreamer's ratio. */
#include <gst/gst.h>
#include <gst/video/video.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "effnet.h"

typedef struct {
  EffnetFormat ours;
  GstVideoFormat gst;
} FormatPair;

static const FormatPair kFormats[] = {
    {EFFNET_FORMAT_I420, GST_VIDEO_FORMAT_I420}, {EFFNET_FORMAT_YV12, GST_VIDEO_FORMAT_YV12},
    {EFFNET_FORMAT_NV12, GST_VIDEO_FORMAT_NV12}, {EFFNET_FORMAT_NV21, GST_VIDEO_FORMAT_NV21},
    {EFFNET_FORMAT_YUY2, GST_VIDEO_FORMAT_YUY2}, {EFFNET_FORMAT_UYVY, GST_VIDEO_FORMAT_UYVY},
    {EFFNET_FORMAT_YVYU, GST_VIDEO_FORMAT_YVYU}, {EFFNET_FORMAT_RGB, GST_VIDEO_FORMAT_RGB},
    {EFFNET_FORMAT_BGR, GST_VIDEO_FORMAT_BGR},   {EFFNET_FORMAT_RGBX, GST_VIDEO_FORMAT_RGBx},
    {EFFNET_FORMAT_BGRX, GST_VIDEO_FORMAT_BGRx}, {EFFNET_FORMAT_XRGB, GST_VIDEO_FORMAT_xRGB},
    {EFFNET_FORMAT_XBGR, GST_VIDEO_FORMAT_xBGR}, {EFFNET_FORMAT_GRAY8, GST_VIDEO_FORMAT_GRAY8},
};

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec * 1e-6;
}

static int cmp(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* Median ms of fn(ctx) over about `seconds` (at least 5 runs, after 2). */
static double time_it(void (*fn)(void *), void *ctx, double seconds) {
  double t[400];
  int n = 0;
  fn(ctx);
  fn(ctx);
  double start = now_ms();
  while (n < 400 && (n < 5 || now_ms() - start < seconds * 1000)) {
    double s = now_ms();
    fn(ctx);
    t[n++] = now_ms() - s;
  }
  qsort(t, (size_t)n, sizeof t[0], cmp);
  return t[n / 2];
}

/* ---- ours ---- */
typedef struct {
  EffnetPrep *p;
  float *out;
} Ours;

static void run_ours(void *c) {
  Ours *o = c;
  effnet_prep_run(o->p, o->out, NULL, 0);
}

/* ---- GstVideoConverter + normalization ---- */
typedef struct {
  GstVideoConverter *conv; /* whole frame; NULL: one per region, built per frame */
  const GstVideoInfo *in_info, *rgb_info;
  const EffnetRect *rois;
  int nrois, fast, threads;
  GstVideoFrame *in, *rgb;
  int S;
  float *out;
  float lut[3][256];
} Gst;

static GstVideoConverter *gst_converter(const GstVideoInfo *in, const GstVideoInfo *out, const EffnetRect *area,
                                        int fast, int threads);

static void normalize(Gst *g, float *out) {
  const int S = g->S;
  for (int y = 0; y < S; y++) {
    const guint8 *row =
        (const guint8 *)GST_VIDEO_FRAME_PLANE_DATA(g->rgb, 0) + y * GST_VIDEO_FRAME_PLANE_STRIDE(g->rgb, 0);
    for (int x = 0; x < S; x++)
      for (int ch = 0; ch < 3; ch++) out[(size_t)ch * S * S + (size_t)y * S + x] = g->lut[ch][row[3 * x + ch]];
  }
}

static void run_gst(void *c) {
  Gst *g = c;
  if (g->conv) {
    gst_video_converter_frame(g->conv, g->in, g->rgb);
    normalize(g, g->out);
    return;
  }
  for (int i = 0; i < g->nrois; i++) {
    GstVideoConverter *conv = gst_converter(g->in_info, g->rgb_info, &g->rois[i], g->fast, g->threads);
    gst_video_converter_frame(conv, g->in, g->rgb);
    gst_video_converter_free(conv);
    normalize(g, g->out + (size_t)i * 3 * g->S * g->S);
  }
}

/* The element's former converter: the centred square of min(w, h) * 0.875
 * of the area, scaled to the output. */
static GstVideoConverter *gst_converter(const GstVideoInfo *in, const GstVideoInfo *out, const EffnetRect *area,
                                        int fast, int threads) {
  int w = area->w, h = area->h;
  int side = (int)floor((w < h ? w : h) * 0.875 + 0.5);
  GstStructure *cfg = gst_structure_new(
      "GstVideoConverter", GST_VIDEO_CONVERTER_OPT_RESAMPLER_METHOD, GST_TYPE_VIDEO_RESAMPLER_METHOD,
      fast ? GST_VIDEO_RESAMPLER_METHOD_LINEAR : GST_VIDEO_RESAMPLER_METHOD_CUBIC,
      GST_VIDEO_CONVERTER_OPT_RESAMPLER_TAPS, G_TYPE_UINT, fast ? 2 : 0, GST_VIDEO_RESAMPLER_OPT_CUBIC_B, G_TYPE_DOUBLE,
      0.0, GST_VIDEO_RESAMPLER_OPT_CUBIC_C, G_TYPE_DOUBLE, 0.5, GST_VIDEO_CONVERTER_OPT_DITHER_METHOD,
      GST_TYPE_VIDEO_DITHER_METHOD, GST_VIDEO_DITHER_NONE, GST_VIDEO_CONVERTER_OPT_SRC_X, G_TYPE_INT,
      area->x + (w - side) / 2, GST_VIDEO_CONVERTER_OPT_SRC_Y, G_TYPE_INT, area->y + (h - side) / 2,
      GST_VIDEO_CONVERTER_OPT_SRC_WIDTH, G_TYPE_INT, side, GST_VIDEO_CONVERTER_OPT_SRC_HEIGHT, G_TYPE_INT, side,
      GST_VIDEO_CONVERTER_OPT_THREADS, G_TYPE_UINT, (guint)threads, NULL);
  if (fast)
    gst_structure_set(cfg, GST_VIDEO_CONVERTER_OPT_CHROMA_MODE, GST_TYPE_VIDEO_CHROMA_MODE, GST_VIDEO_CHROMA_MODE_NONE,
                      NULL);
  return gst_video_converter_new(in, out, cfg);
}

/* "AMD EPYC (family 25 model 17)" from /proc/cpuinfo: the name alone may not
 * tell the generation. */
static void cpu_name(char *out, size_t len) {
  char line[512], name[256] = "unknown CPU", family[32] = "?", model[32] = "?";
  FILE *f = fopen("/proc/cpuinfo", "r");
  while (f && fgets(line, sizeof line, f)) {
    char *v = strchr(line, ':');
    if (!v) continue;
    v += strspn(v + 1, " \t") + 1;
    v[strcspn(v, "\n")] = '\0';
    if (!strncmp(line, "model name", 10) && !strcmp(name, "unknown CPU")) snprintf(name, sizeof name, "%s", v);
    else if (!strncmp(line, "cpu family", 10) && family[0] == '?') snprintf(family, sizeof family, "%s", v);
    else if (!strncmp(line, "model\t", 6) && model[0] == '?') snprintf(model, sizeof model, "%s", v);
  }
  if (f) fclose(f);
  snprintf(out, len, "%s (family %s model %s)", name, family, model);
}

/* ---- arguments ---- */
static int split(const char *s, char out[][32], int max) {
  int n = 0;
  while (s && *s && n < max) {
    const char *e = strchr(s, ',');
    size_t len = e ? (size_t)(e - s) : strlen(s);
    snprintf(out[n++], 32, "%.*s", (int)len, s);
    s = e ? e + 1 : NULL;
  }
  return n;
}

int main(int argc, char **argv) {
  const char *formats = "i420,nv12,yuy2,rgb,bgrx,gray8", *sizes = "640x480,1920x1080,3840x2160";
  const char *Ss = "224,380,600", *threads_s = "1,2";
  double seconds = 0.3;
  int nrois = 0, only = -1; /* --only accurate|fast */
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!strcmp(argv[i], "--formats")) formats = argv[i + 1];
    else if (!strcmp(argv[i], "--sizes")) sizes = argv[i + 1];
    else if (!strcmp(argv[i], "--S")) Ss = argv[i + 1];
    else if (!strcmp(argv[i], "--threads")) threads_s = argv[i + 1];
    else if (!strcmp(argv[i], "--seconds")) seconds = atof(argv[i + 1]);
    else if (!strcmp(argv[i], "--rois")) nrois = atoi(argv[i + 1]);
    else if (!strcmp(argv[i], "--only")) only = !strcmp(argv[i + 1], "fast");
    else {
      fprintf(stderr,
              "usage: %s [--formats f,...] [--sizes WxH,...] [--S s,...] [--threads t,...] [--seconds x] "
              "[--rois N]\n",
              argv[0]);
      return 2;
    }
  }
  gst_init(NULL, NULL);
  char fl[32][32], sl[8][32], Sl[8][32], tl[8][32];
  int nf = split(formats, fl, 32), ns = split(sizes, sl, 8), nS = split(Ss, Sl, 8), nt = split(threads_s, tl, 8);
  if (nrois < 0 || nrois > 256) return 2;
  char cpu[400], day[32];
  time_t now = time(NULL);
  strftime(day, sizeof day, "%Y-%m-%d", localtime(&now));
  cpu_name(cpu, sizeof cpu);
  printf("%s, %s, %s kernels\n\n", day, cpu, effnet_isa_name(effnet_isa_best()));
  printf("%s| format | frame | S | threads | ours accurate ms | GstVideoConverter accurate ms | ratio |"
         " ours fast ms | GstVideoConverter fast ms | ratio |\n|---|---|---|---|---|---|---|---|---|---|\n",
         nrois ? "ms for all regions of a frame (200x400 each)\n" : "");
  for (int fi = 0; fi < nf; fi++) {
    int f = effnet_format_from_name(fl[fi]);
    const FormatPair *fp = NULL;
    for (size_t k = 0; k < sizeof kFormats / sizeof kFormats[0]; k++)
      if ((int)kFormats[k].ours == f) fp = &kFormats[k];
    if (!fp) {
      fprintf(stderr, "unknown format %s\n", fl[fi]);
      return 2;
    }
    for (int si = 0; si < ns; si++) {
      int w, h;
      if (sscanf(sl[si], "%dx%d", &w, &h) != 2) return 2;
      GstVideoInfo in;
      gst_video_info_set_format(&in, fp->gst, w, h);
      GstBuffer *buf = gst_buffer_new_allocate(NULL, in.size, NULL);
      GstVideoFrame frame;
      gst_video_frame_map(&frame, &in, buf, GST_MAP_READWRITE);
      /* a picture: gradients and noise in every plane */
      for (guint p = 0; p < GST_VIDEO_FRAME_N_PLANES(&frame); p++) {
        guint8 *d = GST_VIDEO_FRAME_PLANE_DATA(&frame, p);
        int stride = GST_VIDEO_FRAME_PLANE_STRIDE(&frame, p), rows = GST_VIDEO_FRAME_COMP_HEIGHT(&frame, p);
        guint32 r = 1;
        for (int y = 0; y < rows; y++)
          for (int x = 0; x < stride; x++) {
            r = r * 1664525u + 1013904223u;
            d[(size_t)y * stride + x] = (guint8)((x + 2 * y) / 8 + (r >> 28));
          }
      }
      EffnetFrame ef = {.format = fp->ours,
                        .width = w,
                        .height = h,
                        .matrix = EFFNET_MATRIX_BT709,
                        .chroma_site = EFFNET_CHROMA_COSITED_H};
      for (guint p = 0; p < GST_VIDEO_FRAME_N_PLANES(&frame); p++) {
        ef.data[p] = GST_VIDEO_FRAME_PLANE_DATA(&frame, p);
        ef.stride[p] = (size_t)GST_VIDEO_FRAME_PLANE_STRIDE(&frame, p);
      }
      EffnetRect rois[256];
      for (int i = 0; i < nrois; i++) {
        rois[i] = (EffnetRect){(i * 97) % (w > 200 ? w - 200 : 1), (i * 53) % (h > 400 ? h - 400 : 1), 200, 400};
        if (rois[i].w > w) rois[i].w = w;
        if (rois[i].h > h) rois[i].h = h;
      }
      const int n = nrois ? nrois : 1;
      const EffnetRect whole = {0, 0, w, h};
      for (int Si = 0; Si < nS; Si++) {
        int S = atoi(Sl[Si]);
        GstVideoInfo rgb;
        gst_video_info_set_format(&rgb, GST_VIDEO_FORMAT_RGB, S, S);
        GstBuffer *rgb_buf = gst_buffer_new_allocate(NULL, rgb.size, NULL);
        GstVideoFrame rgb_frame;
        gst_video_frame_map(&rgb_frame, &rgb, rgb_buf, GST_MAP_READWRITE);
        float *out = malloc(sizeof(float) * 3 * S * S * n);
        for (int ti = 0; ti < nt; ti++) {
          int T = atoi(tl[ti]);
          double ms[2][2] = {{0}};
          for (int fast = 0; fast < 2; fast++) {
            if (only >= 0 && fast != only) continue;
            EffnetPrepOptions o;
            effnet_prep_options_init(&o, NULL);
            o.size = S;
            o.filter = fast ? EFFNET_FILTER_FAST : EFFNET_FILTER_BICUBIC;
            char err[EFFNET_ERRLEN];
            Ours ours = {effnet_prep_new(&o, err, sizeof err), out};
            if (!ours.p || effnet_prep_plan(ours.p, &ef, nrois ? rois : NULL, n, T, err, sizeof err) != 0) {
              fprintf(stderr, "%s\n", err);
              return 1;
            }
            ms[fast][0] = time_it(run_ours, &ours, seconds);
            effnet_prep_free(ours.p);
            Gst g = {.conv = nrois ? NULL : gst_converter(&in, &rgb, &whole, fast, T),
                     .in_info = &in,
                     .rgb_info = &rgb,
                     .rois = rois,
                     .nrois = nrois,
                     .fast = fast,
                     .threads = T,
                     .in = &frame,
                     .rgb = &rgb_frame,
                     .S = S,
                     .out = out};
            for (int c = 0; c < 3; c++)
              for (int v = 0; v < 256; v++)
                g.lut[c][v] = (v / 255.0f - effnet_imagenet_mean[c]) / effnet_imagenet_std[c];
            ms[fast][1] = time_it(run_gst, &g, seconds);
            if (g.conv) gst_video_converter_free(g.conv);
          }
          printf("| %s | %dx%d | %d | %d | %.3f | %.3f | %.2f | %.3f | %.3f | %.2f |\n", fl[fi], w, h, S, T, ms[0][0],
                 ms[0][1], ms[0][0] / ms[0][1], ms[1][0], ms[1][1], ms[1][0] / ms[1][1]);
          fflush(stdout);
        }
        free(out);
        gst_video_frame_unmap(&rgb_frame);
        gst_buffer_unref(rgb_buf);
      }
      gst_video_frame_unmap(&frame);
      gst_buffer_unref(buf);
    }
  }
  return 0;
}
