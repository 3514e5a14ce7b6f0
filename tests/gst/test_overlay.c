/* test_overlay.c — gst-check tests of the efficientnetoverlay element.
 *
 * Most checks attach the "EfficientNetClassification" meta (and ROI
 * "classification" params) themselves, as the contract in
 * gst-plugin/README.md describes them, so the drawn content is known; one
 * runs the real efficientnet element (EFFNET_TEST_WEIGHTS) in front.
 *
 * Where the element draws is learnt from the element itself: the same frame
 * through a harness whose downstream takes the overlay composition meta gives
 * the rectangles; blended, every sample outside them must be bit-identical to
 * the input. A PNG of an overlaid frame is written to $EFFNET_OVERLAY_SNAPSHOT
 * (meson: <build>/tests/gst/overlay-snapshot.png) for a person to look at.
 */
#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <gst/video/video.h>
#include <cairo.h>

#include <stdio.h>
#include <string.h>

/* The contract of gst-plugin/README.md, spelled out rather than included. */
#define META_NAME "EfficientNetClassification"
#define ROI_PARAM "classification"
#define FEATURE GST_CAPS_FEATURE_META_GST_VIDEO_OVERLAY_COMPOSITION
#define MAX_BOXES 32

static const gchar *formats[] = {
  "I420", "YV12", "NV12", "NV21", "YUY2", "UYVY", "YVYU", "RGB", "BGR",
  "RGBx", "BGRx", "xRGB", "xBGR", "RGBA", "BGRA", "ARGB", "ABGR", "GRAY8",
};

static const gchar *cat_labels[] = {
  "tabby, tabby cat", "tiger cat", "Egyptian cat", "lynx, catamount",
  "Persian cat",
};
static const gint cat_ids[] = { 281, 282, 285, 287, 283 };
static const gdouble cat_scores[] = { 0.8731, 0.0912, 0.0214, 0.0101, 0.0042 };

static const gchar *weights;

typedef enum
{
  DOWNSTREAM_PLAIN,             /* blend */
  DOWNSTREAM_CAPS_META,         /* accepts only caps with the meta feature */
  DOWNSTREAM_ALLOC_META,        /* plain caps, meta listed in the allocation answer */
} Downstream;

/* ---- metadata ---- */

static void
add_result_full (GstBuffer * buf, const gchar ** labels, const gint * ids,
    const gdouble * scores, guint n, gboolean stale)
{
  GstCustomMeta *meta = gst_buffer_add_custom_meta (buf, META_NAME);
  GValue l = G_VALUE_INIT, c = G_VALUE_INIT, s = G_VALUE_INIT;
  GstStructure *st;
  guint i;

  fail_unless (meta != NULL, "the %s meta is not registered", META_NAME);
  st = gst_custom_meta_get_structure (meta);
  g_value_init (&l, GST_TYPE_ARRAY);
  g_value_init (&c, GST_TYPE_ARRAY);
  g_value_init (&s, GST_TYPE_ARRAY);
  for (i = 0; i < n; i++) {
    GValue v = G_VALUE_INIT;

    g_value_init (&v, G_TYPE_STRING);
    g_value_set_string (&v, labels[i]);
    gst_value_array_append_and_take_value (&l, &v);
    g_value_init (&v, G_TYPE_INT);
    g_value_set_int (&v, ids[i]);
    gst_value_array_append_and_take_value (&c, &v);
    g_value_init (&v, G_TYPE_DOUBLE);
    g_value_set_double (&v, scores[i]);
    gst_value_array_append_and_take_value (&s, &v);
  }
  gst_structure_set (st, "label", G_TYPE_STRING, n ? labels[0] : "",
      "class-id", G_TYPE_INT, n ? ids[0] : -1,
      "score", G_TYPE_DOUBLE, n ? scores[0] : 0.0,
      "model", G_TYPE_STRING, "efficientnet-b0",
      "stale", G_TYPE_BOOLEAN, stale,
      "source-frame", G_TYPE_UINT64, (guint64) 0,
      "inference-ns", G_TYPE_UINT64, (guint64) 1000000, NULL);
  gst_structure_take_value (st, "top-labels", &l);
  gst_structure_take_value (st, "top-class-ids", &c);
  gst_structure_take_value (st, "top-scores", &s);
}

/* The first n cat classes. */
static void
add_result (GstBuffer * buf, guint n, gboolean stale)
{
  add_result_full (buf, cat_labels, cat_ids, cat_scores, n, stale);
}

static GstVideoRegionOfInterestMeta *
add_roi (GstBuffer * buf, guint x, guint y, guint w, guint h,
    const gchar * label, gdouble confidence)
{
  GstVideoRegionOfInterestMeta *roi =
      gst_buffer_add_video_region_of_interest_meta (buf, "dog", x, y, w, h);

  if (label != NULL)
    gst_video_region_of_interest_meta_add_param (roi,
        gst_structure_new (ROI_PARAM, "label", G_TYPE_STRING, label,
            "label_id", G_TYPE_INT, 207, "confidence", G_TYPE_DOUBLE,
            confidence, "model_name", G_TYPE_STRING, "efficientnet-b0", NULL));
  return roi;
}

/* ---- frames ---- */

/* Deterministic, non-flat content in every plane of any format. */
static GstBuffer *
pattern_frame (const GstVideoInfo * info, guint seed)
{
  GstBuffer *buf = gst_buffer_new_allocate (NULL, info->size, NULL);
  GstMapInfo map;
  gsize i;

  fail_unless (gst_buffer_map (buf, &map, GST_MAP_WRITE));
  for (i = 0; i < map.size; i++)
    map.data[i] = (guint8) ((i * 7 + seed * 37) ^ ((i / 64 + seed) * 29));
  gst_buffer_unmap (buf, &map);
  GST_BUFFER_PTS (buf) = 0;
  GST_BUFFER_DURATION (buf) = GST_SECOND / 30;
  return buf;
}

/* A solid RGBx frame. */
static GstBuffer *
solid_rgbx (const GstVideoInfo * info, guint8 r, guint8 g, guint8 b)
{
  GstBuffer *buf = gst_buffer_new_allocate (NULL, info->size, NULL);
  GstVideoFrame f;
  gint x, y;

  fail_unless_equals_int (GST_VIDEO_INFO_FORMAT (info), GST_VIDEO_FORMAT_RGBx);
  fail_unless (gst_video_frame_map (&f, info, buf, GST_MAP_WRITE));
  for (y = 0; y < GST_VIDEO_INFO_HEIGHT (info); y++) {
    guint8 *row = (guint8 *) GST_VIDEO_FRAME_PLANE_DATA (&f, 0) +
        y * GST_VIDEO_FRAME_PLANE_STRIDE (&f, 0);

    for (x = 0; x < GST_VIDEO_INFO_WIDTH (info); x++) {
      row[4 * x] = r;
      row[4 * x + 1] = g;
      row[4 * x + 2] = b;
      row[4 * x + 3] = 0xff;
    }
  }
  gst_video_frame_unmap (&f);
  GST_BUFFER_PTS (buf) = 0;
  return buf;
}

static const guint8 *
rgbx_pixel (GstVideoFrame * f, gint x, gint y)
{
  return (const guint8 *) GST_VIDEO_FRAME_PLANE_DATA (f, 0) +
      y * GST_VIDEO_FRAME_PLANE_STRIDE (f, 0) + 4 * x;
}

/* ---- the element ---- */

static GstHarness *
overlay_new (const gchar * props, const gchar * format, gint w, gint hgt,
    Downstream ds, GstVideoInfo * info)
{
  gchar *desc = g_strdup_printf ("efficientnetoverlay %s", props ? props : "");
  GstElement *element = gst_parse_launch (desc, NULL);
  gchar *fields = g_strdup_printf ("format=%s,width=%d,height=%d,"
      "framerate=30/1", format, w, hgt);
  gchar *caps_str = g_strdup_printf ("video/x-raw,%s", fields);
  GstCaps *caps = gst_caps_from_string (caps_str);
  GstHarness *h;

  fail_unless (element != NULL, "%s", desc);
  h = gst_harness_new_with_element (element, "sink", "src");
  gst_object_unref (element);
  if (ds == DOWNSTREAM_CAPS_META) {
    gchar *meta_caps = g_strdup_printf ("video/x-raw(%s),%s", FEATURE,
        fields);

    gst_harness_set_sink_caps_str (h, meta_caps);
    g_free (meta_caps);
  } else if (ds == DOWNSTREAM_ALLOC_META) {
    gst_harness_add_propose_allocation_meta (h,
        GST_VIDEO_OVERLAY_COMPOSITION_META_API_TYPE, NULL);
  }
  fail_unless (gst_video_info_from_caps (info, caps));
  gst_harness_set_src_caps (h, caps);
  g_free (caps_str);
  g_free (fields);
  g_free (desc);
  return h;
}

static GstBuffer *
push_pull (GstHarness * h, GstBuffer * buf)
{
  GstBuffer *out;

  fail_unless_equals_int (gst_harness_push (h, buf), GST_FLOW_OK);
  out = gst_harness_pull (h);
  fail_unless (out != NULL);
  return out;
}

static GstVideoOverlayComposition *
composition_of (GstBuffer * buf)
{
  GstVideoOverlayCompositionMeta *meta =
      gst_buffer_get_video_overlay_composition_meta (buf);

  return meta ? meta->overlay : NULL;
}

/* The render rectangles of the buffer's composition. */
static guint
boxes_of (GstBuffer * buf, GstVideoRectangle * boxes)
{
  GstVideoOverlayComposition *comp = composition_of (buf);
  guint i, n;

  if (comp == NULL)
    return 0;
  n = gst_video_overlay_composition_n_rectangles (comp);
  fail_unless (n <= MAX_BOXES);
  for (i = 0; i < n; i++) {
    guint w, h;

    gst_video_overlay_rectangle_get_render_rectangle
        (gst_video_overlay_composition_get_rectangle (comp, i), &boxes[i].x,
        &boxes[i].y, &w, &h);
    boxes[i].w = (gint) w;
    boxes[i].h = (gint) h;
  }
  return n;
}

/* Premultiplied ARGB pixel (x, y) of rectangle i of the buffer's composition. */
static guint32
box_pixel (GstBuffer * buf, guint i, gint x, gint y)
{
  GstVideoOverlayRectangle *rect =
      gst_video_overlay_composition_get_rectangle (composition_of (buf), i);
  GstBuffer *pixels = gst_video_overlay_rectangle_get_pixels_unscaled_raw
      (rect, GST_VIDEO_OVERLAY_FORMAT_FLAG_PREMULTIPLIED_ALPHA);
  GstVideoMeta *vmeta = gst_buffer_get_video_meta (pixels);
  GstMapInfo map;
  guint32 px;

  fail_unless (vmeta != NULL);
  fail_unless (gst_buffer_map (pixels, &map, GST_MAP_READ));
  memcpy (&px, map.data + vmeta->offset[0] + y * vmeta->stride[0] + 4 * x, 4);
  gst_buffer_unmap (pixels, &map);
  return px;
}

/* Where the element draws `in` with these settings: the rectangles it
 * attaches when downstream takes the meta (`in` is consumed). */
static guint
boxes_for (const gchar * props, const gchar * format, gint w, gint hgt,
    GstBuffer * in, GstVideoRectangle * boxes)
{
  GstVideoInfo info;
  GstHarness *h = overlay_new (props, format, w, hgt, DOWNSTREAM_CAPS_META,
      &info);
  GstBuffer *out = push_pull (h, in);
  guint n = boxes_of (out, boxes);

  gst_buffer_unref (out);
  gst_harness_teardown (h);
  return n;
}

static gboolean
near_boxes (const GstVideoRectangle * boxes, guint n, gint x0, gint y0,
    gint x1, gint y1, gint margin)
{
  guint i;

  for (i = 0; i < n; i++)
    if (x0 < boxes[i].x + boxes[i].w + margin && x1 > boxes[i].x - margin &&
        y0 < boxes[i].y + boxes[i].h + margin && y1 > boxes[i].y - margin)
      return TRUE;
  return FALSE;
}

/* Every component sample of `out` farther than `margin` pixels from the
 * boxes equals `in`'s; returns how many samples near them differ. */
static guint
compare_outside (const GstVideoInfo * info, GstBuffer * in, GstBuffer * out,
    const GstVideoRectangle * boxes, guint n, gint margin)
{
  GstVideoFrame a, b;
  guint c, changed = 0;
  gint x, y;

  fail_unless (gst_video_frame_map (&a, info, in, GST_MAP_READ));
  fail_unless (gst_video_frame_map (&b, info, out, GST_MAP_READ));
  for (c = 0; c < GST_VIDEO_FRAME_N_COMPONENTS (&a); c++) {
    gint ws = GST_VIDEO_FORMAT_INFO_W_SUB (info->finfo, c);
    gint hs = GST_VIDEO_FORMAT_INFO_H_SUB (info->finfo, c);
    gint stride = GST_VIDEO_FRAME_COMP_STRIDE (&a, c);
    gint pstride = GST_VIDEO_FRAME_COMP_PSTRIDE (&a, c);
    const guint8 *pa = GST_VIDEO_FRAME_COMP_DATA (&a, c);
    const guint8 *pb = GST_VIDEO_FRAME_COMP_DATA (&b, c);

    for (y = 0; y < GST_VIDEO_FRAME_COMP_HEIGHT (&a, c); y++) {
      for (x = 0; x < GST_VIDEO_FRAME_COMP_WIDTH (&a, c); x++) {
        guint8 va = pa[y * stride + x * pstride], vb = pb[y * stride +
            x * pstride];

        if (near_boxes (boxes, n, x << ws, y << hs, (x + 1) << ws,
                (y + 1) << hs, margin))
          changed += va != vb;
        else
          fail_unless (va == vb, "%s: component %u at (%d, %d) changed "
              "outside the overlay: %u -> %u",
              gst_video_format_to_string (GST_VIDEO_INFO_FORMAT (info)), c,
              x << ws, y << hs, va, vb);
      }
    }
  }
  gst_video_frame_unmap (&b);
  gst_video_frame_unmap (&a);
  return changed;
}

static gboolean
buffers_equal (GstBuffer * a, GstBuffer * b)
{
  GstMapInfo ma, mb;
  gboolean eq;

  fail_unless (gst_buffer_map (a, &ma, GST_MAP_READ));
  fail_unless (gst_buffer_map (b, &mb, GST_MAP_READ));
  eq = ma.size == mb.size && memcmp (ma.data, mb.data, ma.size) == 0;
  gst_buffer_unmap (b, &mb);
  gst_buffer_unmap (a, &ma);
  return eq;
}

/* ---- tests ---- */

/* A solid frame with three results: only the box changes; inside it the
 * background halves the colour and the text is near white. */
GST_START_TEST (test_blend)
{
  const gint W = 320, H = 240;
  GstVideoRectangle boxes[MAX_BOXES], *b;
  GstVideoInfo info;
  GstHarness *h;
  GstBuffer *in, *out, *ref;
  GstVideoFrame f;
  guint n, changed, brightest = 0;
  gint x, y;

  /* where: one box (no ROIs), top left, inside the frame */
  h = overlay_new (NULL, "RGBx", W, H, DOWNSTREAM_CAPS_META, &info);
  in = solid_rgbx (&info, 200, 100, 50);
  add_result (in, 3, FALSE);
  out = push_pull (h, in);
  n = boxes_of (out, boxes);
  fail_unless_equals_int (n, 1);
  b = &boxes[0];
  fail_unless (b->x > 0 && b->y > 0 && b->x + b->w < W / 2 + 60 &&
      b->y + b->h < H / 2, "box %d,%d %dx%d", b->x, b->y, b->w, b->h);
  /* its corner is the background colour, premultiplied */
  fail_unless_equals_int (box_pixel (out, 0, 0, 0), 0x80000000u);
  gst_buffer_unref (out);
  gst_harness_teardown (h);

  /* blended */
  h = overlay_new (NULL, "RGBx", W, H, DOWNSTREAM_PLAIN, &info);
  in = solid_rgbx (&info, 200, 100, 50);
  add_result (in, 3, FALSE);
  ref = solid_rgbx (&info, 200, 100, 50);
  out = push_pull (h, in);
  fail_if (gst_buffer_get_video_overlay_composition_meta (out) != NULL);
  changed = compare_outside (&info, ref, out, boxes, n, 0);
  fail_unless (changed > 0);
  fail_unless (gst_video_frame_map (&f, &info, out, GST_MAP_READ));
  {
    const guint8 *p = rgbx_pixel (&f, b->x, b->y);

    /* 50 % black over (200, 100, 50) */
    fail_unless (ABS (p[0] - 100) <= 2 && ABS (p[1] - 50) <= 2 &&
        ABS (p[2] - 25) <= 2, "box corner %u %u %u", p[0], p[1], p[2]);
  }
  for (y = b->y; y < b->y + b->h; y++)
    for (x = b->x; x < b->x + b->w; x++)
      brightest = MAX (brightest, rgbx_pixel (&f, x, y)[2]);
  fail_unless (brightest >= 240, "no white text: brightest blue %u", brightest);
  gst_video_frame_unmap (&f);
  gst_buffer_unref (out);
  gst_buffer_unref (ref);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* Every format negotiates, and blending changes the box only (chroma
 * subsampling: within 2 pixels of it). */
GST_START_TEST (test_formats)
{
  static const gint sizes[][2] = { {160, 120}, {97, 61} };
  guint f, z;

  for (f = 0; f < G_N_ELEMENTS (formats) * G_N_ELEMENTS (sizes); f++) {
    const gint W = sizes[f % 2][0], H = sizes[f % 2][1];
    GstVideoRectangle boxes[MAX_BOXES];
    GstVideoInfo info;
    GstBuffer *in, *ref, *out;
    GstHarness *h;
    guint n;

    const gchar *format = formats[f / 2];

    gst_video_info_set_format (&info, gst_video_format_from_string (format),
        W, H);
    in = pattern_frame (&info, f);
    add_result (in, 3, FALSE);
    add_roi (in, 51, 31, 37, 25, "beagle", 0.51);
    n = boxes_for (NULL, format, W, H, in, boxes);
    fail_unless_equals_int (n, 6);      /* 4 edges, ROI label, results */
    for (z = 0; z < n; z++)
      fail_unless (boxes[z].x >= 0 && boxes[z].y >= 0 &&
          boxes[z].x + boxes[z].w <= W && boxes[z].y + boxes[z].h <= H);

    h = overlay_new (NULL, format, W, H, DOWNSTREAM_PLAIN, &info);
    in = pattern_frame (&info, f);
    add_result (in, 3, FALSE);
    add_roi (in, 51, 31, 37, 25, "beagle", 0.51);
    ref = pattern_frame (&info, f);
    out = push_pull (h, in);
    fail_unless (compare_outside (&info, ref, out, boxes, n, 2) > 0,
        "%s %dx%d: nothing drawn", format, W, H);
    gst_buffer_unref (out);
    gst_buffer_unref (ref);
    gst_harness_teardown (h);
  }
}

GST_END_TEST;

/* Nothing to draw: the frame leaves bit-identical, its memory not copied. */
GST_START_TEST (test_no_meta)
{
  GstVideoInfo info;
  GstHarness *h;
  guint i;

  for (i = 0; i < 5; i++) {
    GstBuffer *in, *ref, *out;

    h = overlay_new (i == 3 ? "max-labels=0" : i == 4 ? "draw-rois=false" :
        NULL, "I420", 160, 120, DOWNSTREAM_PLAIN, &info);
    in = pattern_frame (&info, i);
    ref = pattern_frame (&info, i);
    switch (i) {
      case 0:                  /* no meta at all */
        break;
      case 1:                  /* a region without a classification */
        add_roi (in, 10, 10, 50, 50, NULL, 0);
        break;
      case 2:                  /* no result yet: empty ranking */
        add_result (in, 0, TRUE);
        break;
      case 3:                  /* results, but max-labels=0 */
        add_result (in, 3, FALSE);
        break;
      case 4:                  /* a classified region, draw-rois=false */
        add_roi (in, 10, 10, 50, 50, "beagle", 0.5);
        break;
    }
    gst_buffer_ref (in);
    out = push_pull (h, in);
    fail_unless (buffers_equal (out, ref), "case %u: pixels changed", i);
    fail_unless (gst_buffer_peek_memory (out, 0) ==
        gst_buffer_peek_memory (in, 0), "case %u: memory copied", i);
    fail_if (gst_buffer_get_video_overlay_composition_meta (out) != NULL);
    gst_buffer_unref (in);
    gst_buffer_unref (out);
    gst_buffer_unref (ref);
    gst_harness_teardown (h);
  }
}

GST_END_TEST;

/* A classified region: its outline in the text colour, its label above it
 * (inside when there is no room above), nothing else touched. */
GST_START_TEST (test_roi)
{
  const gint W = 320, H = 240, RX = 100, RY = 80, RW = 120, RH = 90;
  GstVideoRectangle boxes[MAX_BOXES];
  GstVideoInfo info;
  GstHarness *h;
  GstBuffer *in, *out, *ref;
  GstVideoFrame f;
  guint n, i;
  gint t = 2, x, y;             /* edge thickness: max (2, height / 180) */

  h = overlay_new (NULL, "RGBx", W, H, DOWNSTREAM_CAPS_META, &info);
  in = solid_rgbx (&info, 20, 40, 60);
  add_roi (in, RX, RY, RW, RH, "golden retriever", 0.934);
  out = push_pull (h, in);
  n = boxes_of (out, boxes);
  fail_unless_equals_int (n, 5);
  /* edges: top, bottom, left, right, not overlapping */
  fail_unless (boxes[0].x == RX && boxes[0].y == RY && boxes[0].w == RW &&
      boxes[0].h == t);
  fail_unless (boxes[1].x == RX && boxes[1].y == RY + RH - t &&
      boxes[1].w == RW && boxes[1].h == t);
  fail_unless (boxes[2].x == RX && boxes[2].y == RY + t && boxes[2].w == t &&
      boxes[2].h == RH - 2 * t);
  fail_unless (boxes[3].x == RX + RW - t && boxes[3].y == RY + t &&
      boxes[3].w == t && boxes[3].h == RH - 2 * t);
  fail_unless_equals_int (box_pixel (out, 0, 0, 0), 0xffffffffu);
  /* label: left-aligned with the region, just above it */
  fail_unless (boxes[4].x == RX && boxes[4].y + boxes[4].h == RY,
      "label at %d,%d %dx%d", boxes[4].x, boxes[4].y, boxes[4].w, boxes[4].h);
  gst_buffer_unref (out);
  gst_harness_teardown (h);

  h = overlay_new (NULL, "RGBx", W, H, DOWNSTREAM_PLAIN, &info);
  in = solid_rgbx (&info, 20, 40, 60);
  add_roi (in, RX, RY, RW, RH, "golden retriever", 0.934);
  ref = solid_rgbx (&info, 20, 40, 60);
  out = push_pull (h, in);
  fail_unless (compare_outside (&info, ref, out, boxes, n, 0) > 0);
  fail_unless (gst_video_frame_map (&f, &info, out, GST_MAP_READ));
  /* the outline is white all round, the inside untouched */
  for (i = 0; i < (guint) RW; i++) {
    fail_unless_equals_int (rgbx_pixel (&f, RX + i, RY + RH - 1)[0], 255);
    fail_unless_equals_int (rgbx_pixel (&f, RX + i, RY + t)[0], i < (guint) t
        || i >= (guint) (RW - t) ? 255 : 20);
  }
  for (y = RY; y < RY + RH; y++) {
    fail_unless_equals_int (rgbx_pixel (&f, RX, y)[1], 255);
    fail_unless_equals_int (rgbx_pixel (&f, RX + RW - 1, y)[2], 255);
  }
  for (y = RY + t; y < RY + RH - t; y++)
    for (x = RX + t; x < RX + RW - t; x++)
      fail_unless (rgbx_pixel (&f, x, y)[0] == 20, "inside at %d,%d", x, y);
  gst_video_frame_unmap (&f);
  gst_buffer_unref (out);
  gst_buffer_unref (ref);
  gst_harness_teardown (h);

  /* a region at the top edge, partly outside the frame: clamped, label
   * inside it */
  in = solid_rgbx (&info, 20, 40, 60);
  add_roi (in, W - 50, 0, 100, 60, "beagle", 0.5);
  n = boxes_for (NULL, "RGBx", W, H, in, boxes);
  fail_unless_equals_int (n, 5);
  fail_unless (boxes[0].x == W - 50 && boxes[0].w == 50 && boxes[0].y == 0);
  fail_unless (boxes[4].y == 0 && boxes[4].x + boxes[4].w <= W);
}

GST_END_TEST;

/* Downstream takes the composition meta: it is attached, pixels untouched.
 * Through the caps feature and through the allocation answer; next to a
 * composition an upstream overlay attached; after a RECONFIGURE. */
GST_START_TEST (test_meta_path)
{
  Downstream ds;

  for (ds = DOWNSTREAM_CAPS_META; ds <= DOWNSTREAM_ALLOC_META; ds++) {
    GstVideoRectangle boxes[MAX_BOXES];
    GstVideoInfo info;
    GstHarness *h = overlay_new (NULL, "NV12", 320, 240, ds, &info);
    GstBuffer *in = pattern_frame (&info, 3), *ref = pattern_frame (&info, 3);
    GstBuffer *out;
    GstCaps *caps;
    gboolean has_feature;

    add_result (in, 3, FALSE);
    add_roi (in, 100, 100, 60, 60, "beagle", 0.7);
    out = push_pull (h, in);
    fail_unless (buffers_equal (out, ref), "pixels changed");
    fail_unless_equals_int (boxes_of (out, boxes), 6);
    caps = gst_pad_get_current_caps (h->sinkpad);
    has_feature = gst_caps_features_contains (gst_caps_get_features (caps, 0),
        FEATURE);
    fail_unless (has_feature == (ds == DOWNSTREAM_CAPS_META),
        "caps %" GST_PTR_FORMAT, caps);
    gst_caps_unref (caps);
    gst_buffer_unref (out);

    /* an upstream composition stays as it was; ours is a second meta */
    in = pattern_frame (&info, 3);
    add_result (in, 3, FALSE);
    {
      GstBuffer *pixels = gst_buffer_new_allocate (NULL, 8 * 8 * 4, NULL);
      GstVideoOverlayRectangle *rect;
      GstVideoOverlayComposition *comp;
      GstVideoOverlayCompositionMeta *meta;
      gpointer state = NULL;
      guint count = 0;

      gst_buffer_memset (pixels, 0, 0xff, 8 * 8 * 4);
      gst_buffer_add_video_meta (pixels, GST_VIDEO_FRAME_FLAG_NONE,
          GST_VIDEO_OVERLAY_COMPOSITION_FORMAT_RGB, 8, 8);
      rect = gst_video_overlay_rectangle_new_raw (pixels, 300, 220, 8, 8,
          GST_VIDEO_OVERLAY_FORMAT_FLAG_NONE);
      comp = gst_video_overlay_composition_new (rect);
      gst_buffer_add_video_overlay_composition_meta (in, comp);
      out = push_pull (h, in);
      fail_unless (buffers_equal (out, ref), "pixels changed");
      while ((meta = (GstVideoOverlayCompositionMeta *)
              gst_buffer_iterate_meta_filtered (out, &state,
                  GST_VIDEO_OVERLAY_COMPOSITION_META_API_TYPE))) {
        if (count == 0)
          fail_unless (meta->overlay == comp, "upstream composition changed");
        else
          fail_unless_equals_int (gst_video_overlay_composition_n_rectangles
              (meta->overlay), 1);
        count++;
      }
      fail_unless_equals_int (count, 2);
      gst_video_overlay_composition_unref (comp);
      gst_video_overlay_rectangle_unref (rect);
      gst_buffer_unref (pixels);
    }
    gst_buffer_unref (out);
    gst_buffer_unref (ref);
    gst_harness_teardown (h);
  }

  /* a downstream that starts taking the meta says so with a reconfigure
   * event: blended before, attached after */
  {
    GstVideoInfo info;
    GstHarness *h = overlay_new (NULL, "I420", 160, 120, DOWNSTREAM_PLAIN,
        &info);
    GstBuffer *in = pattern_frame (&info, 1), *ref = pattern_frame (&info, 1);
    GstBuffer *out;

    add_result (in, 3, FALSE);
    out = push_pull (h, in);
    fail_if (buffers_equal (out, ref));
    fail_if (composition_of (out) != NULL);
    gst_buffer_unref (out);
    gst_harness_add_propose_allocation_meta (h,
        GST_VIDEO_OVERLAY_COMPOSITION_META_API_TYPE, NULL);
    fail_unless (gst_pad_push_event (h->sinkpad, gst_event_new_reconfigure ()));
    in = pattern_frame (&info, 1);
    add_result (in, 3, FALSE);
    out = push_pull (h, in);
    fail_unless (buffers_equal (out, ref));
    fail_unless (composition_of (out) != NULL);
    gst_buffer_unref (out);
    gst_buffer_unref (ref);
    gst_harness_teardown (h);
  }
}

GST_END_TEST;

/* Tiny frames (the box is clipped to them) and a size change mid-stream. */
GST_START_TEST (test_sizes)
{
  static const gint sizes[][2] = { {1, 1}, {2, 2}, {33, 17} };
  GstVideoRectangle boxes[MAX_BOXES];
  GstVideoInfo info;
  GstHarness *h;
  GstBuffer *in, *out;
  guint z, i, n;

  for (z = 0; z < G_N_ELEMENTS (sizes); z++) {
    const gint W = sizes[z][0], H = sizes[z][1];

    gst_video_info_set_format (&info, GST_VIDEO_FORMAT_I420, W, H);
    in = pattern_frame (&info, z);
    add_result (in, 5, TRUE);
    add_roi (in, 0, 0, W, H, "beagle", 0.5);
    n = boxes_for (NULL, "I420", W, H, in, boxes);
    fail_unless (n >= 2);
    for (i = 0; i < n; i++)
      fail_unless (boxes[i].x >= 0 && boxes[i].y >= 0 && boxes[i].w > 0 &&
          boxes[i].h > 0 && boxes[i].x + boxes[i].w <= W &&
          boxes[i].y + boxes[i].h <= H, "%dx%d: box %d,%d %dx%d", W, H,
          boxes[i].x, boxes[i].y, boxes[i].w, boxes[i].h);
    h = overlay_new (NULL, "I420", W, H, DOWNSTREAM_PLAIN, &info);
    in = pattern_frame (&info, z);
    add_result (in, 5, TRUE);
    add_roi (in, 0, 0, W, H, "beagle", 0.5);
    gst_buffer_unref (push_pull (h, in));
    gst_harness_teardown (h);
  }

  /* 320x240, then 160x120: the box is drawn again for the new size */
  h = overlay_new (NULL, "RGBx", 320, 240, DOWNSTREAM_CAPS_META, &info);
  in = pattern_frame (&info, 0);
  add_result (in, 3, FALSE);
  out = push_pull (h, in);
  fail_unless_equals_int (boxes_of (out, boxes), 1);
  i = boxes[0].h;
  gst_buffer_unref (out);
  gst_harness_set_sink_caps_str (h, "video/x-raw(" FEATURE "),format=RGBx,"
      "width=160,height=120,framerate=30/1");
  gst_harness_set_src_caps_str (h, "video/x-raw,format=RGBx,width=160,"
      "height=120,framerate=30/1");
  gst_video_info_set_format (&info, GST_VIDEO_FORMAT_RGBx, 160, 120);
  in = pattern_frame (&info, 0);
  add_result (in, 3, FALSE);
  out = push_pull (h, in);
  fail_unless_equals_int (boxes_of (out, boxes), 1);
  fail_unless ((guint) boxes[0].h < i && boxes[0].x + boxes[0].w <= 160);
  gst_buffer_unref (out);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* Unchanged results reuse the composition (same seqnum), a rendered text is
 * reused by later frames, stale results are drawn dimmer, and a property
 * change renders again. */
GST_START_TEST (test_cache)
{
  GstVideoInfo info;
  GstHarness *h = overlay_new (NULL, "RGBx", 320, 240, DOWNSTREAM_CAPS_META,
      &info);
  GstBuffer *out[6], *in;
  GstBuffer *px[6];
  guint seq[6], i, max_alpha[6];
  static const gdouble other_scores[] = { 0.5, 0.3, 0.1 };

  for (i = 0; i < 6; i++) {
    GstVideoOverlayRectangle *rect;
    GstMapInfo map;
    guint j;

    if (i == 5)
      g_object_set (h->element, "color", 0xffffff00u, NULL);
    in = pattern_frame (&info, 0);
    if (i == 2)                 /* other scores */
      add_result_full (in, cat_labels, cat_ids, other_scores, 3, FALSE);
    else
      add_result (in, 3, i == 4);       /* 4: stale */
    out[i] = push_pull (h, in);
    seq[i] = gst_video_overlay_composition_get_seqnum (composition_of (out[i]));
    rect = gst_video_overlay_composition_get_rectangle (composition_of
        (out[i]), 0);
    px[i] = gst_video_overlay_rectangle_get_pixels_unscaled_raw (rect,
        GST_VIDEO_OVERLAY_FORMAT_FLAG_PREMULTIPLIED_ALPHA);
    fail_unless (gst_buffer_map (px[i], &map, GST_MAP_READ));
    max_alpha[i] = 0;
    for (j = 0; j < map.size; j += 4) {
      guint32 p;

      memcpy (&p, map.data + j, 4);
      max_alpha[i] = MAX (max_alpha[i], p >> 24);
    }
    gst_buffer_unmap (px[i], &map);
  }
  fail_unless (seq[1] == seq[0], "same results, new composition");
  fail_unless (seq[2] != seq[1]);
  fail_unless (seq[3] != seq[2]);
  fail_unless (px[3] == px[0], "text drawn again");
  fail_unless (px[4] != px[0] && seq[4] != seq[3]);
  fail_unless (max_alpha[0] == 255 && max_alpha[4] < 230 &&
      max_alpha[4] > 128, "alpha fresh %u stale %u", max_alpha[0],
      max_alpha[4]);
  fail_unless (seq[5] != seq[3] && px[5] != px[0]);
  for (i = 0; i < 6; i++)
    gst_buffer_unref (out[i]);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* Defaults, and every property reads back what was set. */
GST_START_TEST (test_properties)
{
  GstElement *e = gst_element_factory_make ("efficientnetoverlay", NULL);
  gchar *font = NULL;
  guint color, background, max_labels;
  gint position;
  gboolean show_scores, draw_rois;

  fail_unless (e != NULL);
  g_object_get (e, "font-desc", &font, "color", &color, "background",
      &background, "position", &position, "show-scores", &show_scores,
      "max-labels", &max_labels, "draw-rois", &draw_rois, NULL);
  fail_unless (font == NULL);
  fail_unless_equals_int (color, 0xffffffffu);
  fail_unless_equals_int (background, 0x80000000u);
  fail_unless_equals_int (position, 0);
  fail_unless (show_scores);
  fail_unless_equals_int (max_labels, 3);
  fail_unless (draw_rois);

  g_object_set (e, "font-desc", "Serif Bold 20", "color", 0xff00ff00u,
      "background", 0x40102030u, "show-scores", FALSE, "max-labels", 7,
      "draw-rois", FALSE, NULL);
  gst_util_set_object_arg (G_OBJECT (e), "position", "bottom-right");
  g_object_get (e, "font-desc", &font, "color", &color, "background",
      &background, "position", &position, "show-scores", &show_scores,
      "max-labels", &max_labels, "draw-rois", &draw_rois, NULL);
  fail_unless_equals_string (font, "Serif Bold 20");
  fail_unless_equals_int (color, 0xff00ff00u);
  fail_unless_equals_int (background, 0x40102030u);
  fail_unless_equals_int (position, 3);
  fail_unless (!show_scores);
  fail_unless_equals_int (max_labels, 7);
  fail_unless (!draw_rois);
  g_free (font);
  g_object_set (e, "font-desc", NULL, NULL);
  g_object_get (e, "font-desc", &font, NULL);
  fail_unless (font == NULL);
  gst_object_unref (e);
}

GST_END_TEST;

/* What the properties do to the box: corner, number of lines, scores,
 * font size, colours. */
GST_START_TEST (test_layout)
{
  static const gchar *positions[] = { "top-left", "top-right", "bottom-left",
    "bottom-right"
  };
  const gint W = 320, H = 240;
  GstVideoRectangle boxes[MAX_BOXES], b3, b5, b9, nosc, big, small;
  GstVideoInfo info;
  GstBuffer *in;
  guint p;

  gst_video_info_set_format (&info, GST_VIDEO_FORMAT_RGBx, W, H);
  for (p = 0; p < G_N_ELEMENTS (positions); p++) {
    gchar *props = g_strdup_printf ("position=%s", positions[p]);
    gint cx, cy;

    in = pattern_frame (&info, 0);
    add_result (in, 3, FALSE);
    fail_unless_equals_int (boxes_for (props, "RGBx", W, H, in, boxes), 1);
    cx = boxes[0].x + boxes[0].w / 2;
    cy = boxes[0].y + boxes[0].h / 2;
    fail_unless ((cx > W / 2) == (p & 1) && (cy > H / 2) == (p >> 1),
        "%s: box at %d,%d %dx%d", positions[p], boxes[0].x, boxes[0].y,
        boxes[0].w, boxes[0].h);
    fail_unless (boxes[0].x >= 0 && boxes[0].y >= 0 &&
        boxes[0].x + boxes[0].w <= W && boxes[0].y + boxes[0].h <= H);
    g_free (props);
  }

#define ONE_BOX(props, out) G_STMT_START {                              \
    in = pattern_frame (&info, 0);                                      \
    add_result (in, 5, FALSE);                                          \
    fail_unless_equals_int (boxes_for (props, "RGBx", W, H, in, boxes), 1); \
    out = boxes[0];                                                     \
  } G_STMT_END
  ONE_BOX ("max-labels=3", b3);
  ONE_BOX ("max-labels=5", b5);
  ONE_BOX ("max-labels=9", b9);
  ONE_BOX ("show-scores=false", nosc);
  ONE_BOX ("font-desc=\"Sans 30\"", big);
  ONE_BOX ("font-desc=\"Sans 8\"", small);
#undef ONE_BOX
  fail_unless (b5.h > b3.h && b5.h - b3.h < b3.h, "%d, %d", b3.h, b5.h);
  fail_unless (b9.h == b5.h && b9.w == b5.w, "more lines than results");
  fail_unless (nosc.h == b3.h && nosc.w < b3.w);
  fail_unless (big.h > 2 * small.h);

  /* colours: the box corner is the background, premultiplied */
  {
    GstHarness *h = overlay_new ("background=0x40ff0000", "RGBx", W, H,
        DOWNSTREAM_CAPS_META, &info);
    GstBuffer *out;

    in = pattern_frame (&info, 0);
    add_result (in, 1, FALSE);
    out = push_pull (h, in);
    fail_unless_equals_int (box_pixel (out, 0, 0, 0), 0x40400000u);
    gst_buffer_unref (out);
    gst_harness_teardown (h);
  }
}

GST_END_TEST;

/* A frame someone else still holds (a tee's other branch): it is drawn on,
 * in a copy; the other holder's pixels stay as they were. */
GST_START_TEST (test_shared)
{
  GstVideoInfo info;
  GstHarness *h = overlay_new (NULL, "I420", 320, 240, DOWNSTREAM_PLAIN,
      &info);
  GstBuffer *in = pattern_frame (&info, 5), *ref = pattern_frame (&info, 5);
  GstBuffer *out;

  add_result (in, 3, FALSE);
  gst_buffer_ref (in);
  out = push_pull (h, in);
  fail_unless (out != in);
  fail_unless (buffers_equal (in, ref), "the shared frame was drawn on");
  fail_if (buffers_equal (out, ref), "nothing drawn");
  gst_buffer_unref (out);
  gst_buffer_unref (in);
  gst_buffer_unref (ref);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* ---- with the real efficientnet element ---- */

typedef struct
{
  GstVideoInfo info;
  GQueue inputs;
  guint frames, drawn, with_meta, untouched;
} Watch;

static GstPadProbeReturn
watch_in (GstPad * pad, GstPadProbeInfo * pi, gpointer data)
{
  Watch *w = data;

  g_queue_push_tail (&w->inputs,
      gst_buffer_copy_deep (GST_PAD_PROBE_INFO_BUFFER (pi)));
  return GST_PAD_PROBE_OK;
}

static GstPadProbeReturn
watch_out (GstPad * pad, GstPadProbeInfo * pi, gpointer data)
{
  Watch *w = data;
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (pi);
  GstBuffer *in = g_queue_pop_head (&w->inputs);

  if (w->frames == 0) {
    GstCaps *caps = gst_pad_get_current_caps (pad);

    fail_unless (gst_video_info_from_caps (&w->info, caps));
    gst_caps_unref (caps);
  }
  w->frames++;
  fail_unless (in != NULL);
  if (buffers_equal (in, buf))
    w->untouched++;
  else
    w->drawn++;
  w->with_meta += gst_buffer_get_video_overlay_composition_meta (buf) != NULL;
  gst_buffer_unref (in);
  return GST_PAD_PROBE_OK;
}

static void
run_watched (const gchar * desc, Watch * w)
{
  GstElement *pipeline = gst_parse_launch (desc, NULL);
  GstElement *ov;
  GstPad *pad;
  GstBus *bus;
  GstMessage *msg;

  fail_unless (pipeline != NULL, "%s", desc);
  ov = gst_bin_get_by_name (GST_BIN (pipeline), "ov");
  pad = gst_element_get_static_pad (ov, "sink");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, watch_in, w, NULL);
  gst_object_unref (pad);
  pad = gst_element_get_static_pad (ov, "src");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, watch_out, w, NULL);
  gst_object_unref (pad);
  gst_object_unref (ov);
  g_queue_init (&w->inputs);
  bus = gst_element_get_bus (pipeline);
  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  msg = gst_bus_timed_pop_filtered (bus, 120 * GST_SECOND,
      GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  fail_unless (msg != NULL && GST_MESSAGE_TYPE (msg) == GST_MESSAGE_EOS,
      "%s did not end well", desc);
  gst_message_unref (msg);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  g_queue_clear_full (&w->inputs, (GDestroyNotify) gst_buffer_unref);
  gst_object_unref (bus);
  gst_object_unref (pipeline);
}

/* efficientnet ! efficientnetoverlay: every frame drawn on (I420, RGBx);
 * with a downstream that asks for the meta feature, attached instead. */
GST_START_TEST (test_pipeline)
{
  static const gchar *fmts[] = { "I420", "RGBx" };
  guint f;

  for (f = 0; f < G_N_ELEMENTS (fmts); f++) {
    Watch w = { 0 };
    gchar *desc = g_strdup_printf ("videotestsrc num-buffers=3 ! "
        "video/x-raw,format=%s,width=320,height=240 ! efficientnet "
        "weights=%s ! efficientnetoverlay name=ov ! fakesink", fmts[f],
        weights);

    run_watched (desc, &w);
    fail_unless_equals_int (w.frames, 3);
    fail_unless_equals_int (w.drawn, 3);
    fail_unless_equals_int (w.with_meta, 0);
    g_free (desc);
  }
  {
    Watch w = { 0 };
    gchar *desc = g_strdup_printf ("videotestsrc num-buffers=3 ! "
        "video/x-raw,format=NV12,width=320,height=240 ! efficientnet "
        "weights=%s ! efficientnetoverlay name=ov ! "
        "capsfilter caps=\"video/x-raw(" FEATURE ")\" ! fakesink", weights);

    run_watched (desc, &w);
    fail_unless_equals_int (w.frames, 3);
    fail_unless_equals_int (w.untouched, 3);
    fail_unless_equals_int (w.with_meta, 3);
    g_free (desc);
  }
}

GST_END_TEST;

/* ---- a picture for people ---- */

GST_START_TEST (test_snapshot)
{
  const gint W = 640, H = 360;
  /* cairo's RGB24 is a native-endian 0x00RRGGBB word */
  const gchar *format = G_BYTE_ORDER == G_LITTLE_ENDIAN ? "BGRx" : "xRGB";
  const gchar *path = g_getenv ("EFFNET_OVERLAY_SNAPSHOT");
  GstVideoInfo info;
  GstHarness *h = overlay_new (NULL, format, W, H, DOWNSTREAM_PLAIN, &info);
  GstBuffer *in = gst_buffer_new_allocate (NULL, info.size, NULL), *out;
  GstVideoFrame f;
  cairo_surface_t *surface;
  cairo_pattern_t *grad;
  cairo_t *cr;

  if (path == NULL)
    path = "overlay-snapshot.png";
  /* a picture: sky-to-grass gradient, a sun, a "dog" */
  fail_unless (gst_video_frame_map (&f, &info, in, GST_MAP_WRITE));
  surface = cairo_image_surface_create_for_data (GST_VIDEO_FRAME_PLANE_DATA
      (&f, 0), CAIRO_FORMAT_RGB24, W, H, GST_VIDEO_FRAME_PLANE_STRIDE (&f, 0));
  cr = cairo_create (surface);
  grad = cairo_pattern_create_linear (0, 0, 0, H);
  cairo_pattern_add_color_stop_rgb (grad, 0, 0.35, 0.6, 0.9);
  cairo_pattern_add_color_stop_rgb (grad, 0.6, 0.75, 0.85, 0.95);
  cairo_pattern_add_color_stop_rgb (grad, 0.61, 0.3, 0.6, 0.25);
  cairo_pattern_add_color_stop_rgb (grad, 1, 0.15, 0.4, 0.1);
  cairo_set_source (cr, grad);
  cairo_paint (cr);
  cairo_pattern_destroy (grad);
  cairo_set_source_rgb (cr, 1.0, 0.85, 0.3);
  cairo_arc (cr, 560, 70, 40, 0, 2 * G_PI);
  cairo_fill (cr);
  cairo_set_source_rgb (cr, 0.8, 0.6, 0.3);
  cairo_arc (cr, 470, 250, 60, 0, 2 * G_PI);
  cairo_fill (cr);
  cairo_destroy (cr);
  cairo_surface_destroy (surface);
  gst_video_frame_unmap (&f);

  add_result (in, 5, FALSE);
  add_roi (in, 390, 170, 160, 150, "golden retriever", 0.934);
  out = push_pull (h, in);

  fail_unless (gst_video_frame_map (&f, &info, out, GST_MAP_READ));
  surface = cairo_image_surface_create_for_data (GST_VIDEO_FRAME_PLANE_DATA
      (&f, 0), CAIRO_FORMAT_RGB24, W, H, GST_VIDEO_FRAME_PLANE_STRIDE (&f, 0));
  fail_unless_equals_int (cairo_surface_write_to_png (surface, path),
      CAIRO_STATUS_SUCCESS);
  cairo_surface_destroy (surface);
  gst_video_frame_unmap (&f);
  g_print ("overlay snapshot: %s\n", path);
  fail_unless (g_file_test (path, G_FILE_TEST_IS_REGULAR));

  gst_buffer_unref (out);
  gst_harness_teardown (h);
}

GST_END_TEST;

static Suite *
overlay_suite (void)
{
  Suite *s = suite_create ("efficientnetoverlay");
  TCase *tc = tcase_create ("overlay");

  tcase_add_test (tc, test_blend);
  tcase_add_test (tc, test_formats);
  tcase_add_test (tc, test_no_meta);
  tcase_add_test (tc, test_roi);
  tcase_add_test (tc, test_meta_path);
  tcase_add_test (tc, test_sizes);
  tcase_add_test (tc, test_cache);
  tcase_add_test (tc, test_properties);
  tcase_add_test (tc, test_layout);
  tcase_add_test (tc, test_shared);
  tcase_add_test (tc, test_pipeline);
  tcase_add_test (tc, test_snapshot);
  suite_add_tcase (s, tc);
  return s;
}

int
main (int argc, char **argv)
{
  Suite *s;

  weights = g_getenv ("EFFNET_TEST_WEIGHTS");
  if (weights == NULL) {
    fprintf (stderr, "EFFNET_TEST_WEIGHTS must name the test weights\n");
    return 1;
  }
  gst_check_init (&argc, &argv);
  /* loading the element registers the meta (see add_result_full) */
  {
    GstElement *e = gst_element_factory_make ("efficientnetoverlay", NULL);

    if (e == NULL) {
      fprintf (stderr, "no efficientnetoverlay element\n");
      return 1;
    }
    gst_object_unref (e);
  }
  s = overlay_suite ();
  /* runs gst_deinit() at the end, so leak checkers see only real leaks */
  return gst_check_run_suite (s, "efficientnetoverlay", __FILE__);
}
