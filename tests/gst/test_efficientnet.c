/* test_efficientnet.c — gst-check tests of the efficientnet element.
 *
 * The weights are untrained B0 (tests/gst/weights, EFFNET_TEST_WEIGHTS), so
 * the checks are about plumbing and exactness, not about what is recognised:
 * the metadata must equal what the engine computes from the same frame
 * prepared the same way (the engine's frame path with the documented fit
 * and filter, effnet_forward, softmax, top-k), done here independently of
 * the element. How exact that frame path is (against Pillow) is tested in
 * tests/prep.
 */
#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <gst/video/video.h>
#include "checkutil.h"
#include <glib/gstdio.h>

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "effnet.h"

/* The contract of gst-plugin/README.md, spelled out rather than included. */
#define ROI_PARAM "classification"
#define NO_FRAME G_MAXUINT64
#define MODEL_NAME "efficientnet-b0"

static const gchar *formats[] = {
  "I420", "YV12", "NV12", "NV21", "YUY2", "UYVY", "YVYU", "RGB", "BGR",
  "RGBx", "BGRx", "xRGB", "xBGR", "RGBA", "BGRA", "ARGB", "ABGR", "GRAY8",
};

static const gchar *weights;

/* The engine, used directly as the reference. */
static EffnetModel *ref_model;
static EffnetWorkspace *ref_ws;
static const EffnetInfo *ref_info;

typedef enum
{
  FIT_CENTER_CROP,
  FIT_LETTERBOX,
  FIT_STRETCH,
} Fit;

static const gchar *fit_names[] = { "center-crop", "letterbox", "stretch" };

static void
ref_setup (void)
{
  char err[EFFNET_ERRLEN];
  EffnetOptions opt;

  effnet_options_init (&opt);
  ref_model = effnet_model_load (weights, &opt, err, sizeof err);
  fail_unless (ref_model != NULL, "reference model: %s", err);
  ref_info = effnet_model_info (ref_model);
  ref_ws = effnet_workspace_new (ref_model, 1, 0, err, sizeof err);
  fail_unless (ref_ws != NULL, "reference workspace: %s", err);
}

static void
ref_teardown (void)
{
  effnet_workspace_free (ref_ws);
  effnet_model_free (ref_model);
  ref_ws = NULL;
  ref_model = NULL;
}

/* The engine's frame description of a GStreamer format, as the README
 * documents it (alpha ignored; colorimetry and chroma siting from the caps). */
static EffnetFrame
ref_frame (const GstVideoFrame * vf)
{
  static const struct
  {
    const gchar *gst, *ours;
  } names[] = { {"RGBA", "rgbx"}, {"BGRA", "bgrx"}, {"ARGB", "xrgb"},
  {"ABGR", "xbgr"}
  };
  const GstVideoInfo *info = &vf->info;
  const gchar *name = GST_VIDEO_INFO_NAME (info);
  const GstVideoColorimetry *c = &GST_VIDEO_INFO_COLORIMETRY (info);
  EffnetFrame f = { 0 };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (names); i++)
    if (!strcmp (name, names[i].gst))
      name = names[i].ours;
  f.format = effnet_format_from_name (name);
  fail_unless ((int) f.format >= 0, "format %s", name);
  f.width = GST_VIDEO_INFO_WIDTH (info);
  f.height = GST_VIDEO_INFO_HEIGHT (info);
  f.matrix = c->matrix == GST_VIDEO_COLOR_MATRIX_BT709 ? EFFNET_MATRIX_BT709 :
      c->matrix == GST_VIDEO_COLOR_MATRIX_BT2020 ? EFFNET_MATRIX_BT2020 :
      EFFNET_MATRIX_BT601;
  f.full_range = c->range == GST_VIDEO_COLOR_RANGE_0_255;
  if (GST_VIDEO_INFO_CHROMA_SITE (info) & GST_VIDEO_CHROMA_SITE_H_COSITED)
    f.chroma_site |= EFFNET_CHROMA_COSITED_H;
  if (GST_VIDEO_INFO_CHROMA_SITE (info) & GST_VIDEO_CHROMA_SITE_V_COSITED)
    f.chroma_site |= EFFNET_CHROMA_COSITED_V;
  for (i = 0; i < GST_VIDEO_FRAME_N_PLANES (vf); i++) {
    f.data[i] = GST_VIDEO_FRAME_PLANE_DATA (vf, i);
    f.stride[i] = GST_VIDEO_FRAME_PLANE_STRIDE (vf, i);
  }
  return f;
}

/* logits and softmax of `area` of the frame (NULL: all of it), fitted the
 * `fit` way with the weights' filter. */
static void
ref_classify (GstBuffer * buf, const GstVideoInfo * info,
    const GstVideoRectangle * area, Fit fit, float *logits, float *probs)
{
  static const EffnetFit fits[] = { EFFNET_FIT_CENTER_CROP,
    EFFNET_FIT_LETTERBOX, EFFNET_FIT_STRETCH
  };
  gint s = ref_info->input_size;
  EffnetRect rect;
  EffnetPrepOptions opt;
  EffnetPrep *prep;
  EffnetFrame f;
  GstVideoFrame in;
  float *input = g_new (float, 3 * s * s);
  char err[EFFNET_ERRLEN];

  effnet_prep_options_init (&opt, ref_info);
  opt.fit = fits[fit];
  prep = effnet_prep_new (&opt, err, sizeof err);
  fail_unless (prep != NULL, "prep: %s", err);
  fail_unless (gst_video_frame_map (&in, info, buf, GST_MAP_READ));
  f = ref_frame (&in);
  if (area)
    rect = (EffnetRect) {
    area->x, area->y, area->w, area->h};
  fail_unless (effnet_prep_plan (prep, &f, area ? &rect : NULL, 1, 1, err,
          sizeof err) == 0, "plan: %s", err);
  fail_unless (effnet_prep_run (prep, input, err, sizeof err) == 0, "%s", err);
  fail_unless (effnet_forward (ref_model, ref_ws, input, 1, logits, err,
          sizeof err) == 0, "forward: %s", err);
  effnet_softmax (logits, ref_info->num_classes, probs);
  gst_video_frame_unmap (&in);
  effnet_prep_free (prep);
  g_free (input);
}

/* ---- reading results ---- */

static gboolean
get_bool (const GstStructure * s, const gchar * field)
{
  gboolean v = FALSE;

  fail_unless (gst_structure_get_boolean (s, field, &v), "no %s", field);
  return v;
}

static gint
get_int (const GstStructure * s, const gchar * field)
{
  gint v = 0;

  fail_unless (gst_structure_get_int (s, field, &v), "no %s", field);
  return v;
}

static guint
array_size (const GstStructure * s, const gchar * field)
{
  const GValue *v = gst_structure_get_value (s, field);

  fail_unless (v != NULL && GST_VALUE_HOLDS_ARRAY (v), "no array %s", field);
  return gst_value_array_get_size (v);
}

static const GValue *
array_item (const GstStructure * s, const gchar * field, guint i)
{
  return gst_value_array_get_value (gst_structure_get_value (s, field), i);
}

/* The ranking of `s` equals softmax/top-k of the reference probabilities.
 * Near-ties may swap (the element runs batched, in another thread team). */
static void
check_ranking (const GstStructure * s, const gchar * id_field,
    const gchar * score_field, const float *probs, guint top_k)
{
  int ref[1000];
  guint n = array_size (s, "top-class-ids"), i;
  int k = effnet_top_k (probs, ref_info->num_classes, (int) top_k, ref);
  gdouble score = 0;

  fail_unless_equals_int (n, k);
  fail_unless_equals_int (array_size (s, "top-scores"), k);
  fail_unless_equals_int (array_size (s, "top-labels"), k);
  for (i = 0; i < n; i++) {
    gint id = g_value_get_int (array_item (s, "top-class-ids", i));
    gdouble sc = g_value_get_double (array_item (s, "top-scores", i));

    fail_unless (id >= 0 && id < ref_info->num_classes);
    if (id != ref[i])
      fail_unless (fabsf (probs[id] - probs[ref[i]]) <= 1e-6f,
          "rank %u: class %d, reference %d", i, id, ref[i]);
    fail_unless (fabs (sc - probs[id]) <= 1e-5, "rank %u: score %g vs %g",
        i, sc, probs[id]);
    fail_unless_equals_string (g_value_get_string (array_item (s,
                "top-labels", i)), effnet_imagenet_label (id));
  }
  fail_unless_equals_int (get_int (s, id_field),
      g_value_get_int (array_item (s, "top-class-ids", 0)));
  fail_unless (gst_structure_get_double (s, score_field, &score));
  fail_unless (score == g_value_get_double (array_item (s, "top-scores", 0)));
  fail_unless_equals_string (gst_structure_get_string (s, "label"),
      effnet_imagenet_label (get_int (s, id_field)));
}

static void
check_logits (const GstStructure * s, const float *logits)
{
  guint i, n = array_size (s, "logits");

  fail_unless_equals_int (n, ref_info->num_classes);
  for (i = 0; i < n; i++) {
    gfloat v = g_value_get_float (array_item (s, "logits", i));

    fail_unless (fabsf (v - logits[i]) <= 1e-4f * MAX (1.0f, fabsf (logits[i])),
        "logit %u: %g vs %g", i, v, logits[i]);
  }
}

static void
check_empty (const GstStructure * s)
{
  fail_unless_equals_string (gst_structure_get_string (s, "label"), "");
  fail_unless_equals_int (get_int (s, "class-id"), -1);
  fail_unless_equals_int (array_size (s, "top-class-ids"), 0);
  fail_unless_equals_int (array_size (s, "top-scores"), 0);
  fail_unless_equals_int (array_size (s, "top-labels"), 0);
}

/* ---- making frames ---- */

/* Deterministic, non-flat content in every plane of any format. */
static void
fill_frame (GstBuffer * buf, const GstVideoInfo * info, guint seed)
{
  GstVideoFrame f;
  guint p, c, x, y;

  fail_unless (gst_video_frame_map (&f, info, buf, GST_MAP_WRITE));
  for (p = 0; p < GST_VIDEO_FRAME_N_PLANES (&f); p++) {
    guint8 *data = GST_VIDEO_FRAME_PLANE_DATA (&f, p);
    gint stride = GST_VIDEO_FRAME_PLANE_STRIDE (&f, p);
    guint rows = 0;

    for (c = 0; c < GST_VIDEO_FRAME_N_COMPONENTS (&f); c++)
      if (GST_VIDEO_FRAME_COMP_PLANE (&f, c) == p)
        rows = GST_VIDEO_FRAME_COMP_HEIGHT (&f, c);
    for (y = 0; y < rows; y++)
      for (x = 0; x < (guint) stride; x++)
        data[y * stride + x] = (guint8) ((x * 3 + y * 5 + seed * 37 + p * 71)
            ^ ((x / 16 + y / 16 + seed) * 29));
  }
  gst_video_frame_unmap (&f);
}

/* A harness around one efficientnet (h->element is the element itself). */
static GstHarness *
harness_new (const gchar * props)
{
  gchar *desc = g_strdup_printf ("efficientnet weights=%s %s", weights, props);
  GstElement *element = gst_parse_launch (desc, NULL);
  GstHarness *h;

  fail_unless (element != NULL, "%s", desc);
  h = gst_harness_new_with_element (element, "sink", "src");
  gst_object_unref (element);
  g_free (desc);
  return h;
}

static GstBuffer *
make_frame (GstHarness * h, const GstVideoInfo * info, guint seed,
    GstClockTime pts)
{
  GstBuffer *buf = gst_harness_create_buffer (h, info->size);

  fill_frame (buf, info, seed);
  GST_BUFFER_PTS (buf) = pts;
  GST_BUFFER_DURATION (buf) = GST_SECOND / 30;
  return buf;
}

/* Pushes one frame through, returns the output (caller unrefs). */
static GstBuffer *
push_frame (GstHarness * h, const GstVideoInfo * info, guint seed,
    GstClockTime pts)
{
  fail_unless_equals_int (gst_harness_push (h, make_frame (h, info, seed,
              pts)), GST_FLOW_OK);
  return gst_harness_pull (h);
}

/* ---- pipelines ---- */

typedef struct
{
  guint buffers, metas, fresh;
} Count;

static GstPadProbeReturn
count_probe (GstPad * pad, GstPadProbeInfo * info, gpointer data)
{
  Count *count = data;
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);
  GstCustomMeta *meta = gst_buffer_get_custom_meta (buf, META_NAME);

  count->buffers++;
  if (meta != NULL) {
    GstStructure *s = gst_custom_meta_get_structure (meta);
    gint id = get_int (s, "class-id");

    count->metas++;
    if (!get_bool (s, "stale") && id >= 0 && id < 1000 &&
        get_u64 (s, "source-frame") == count->buffers - 1)
      count->fresh++;
  }
  return GST_PAD_PROBE_OK;
}

static GstElement *
pipeline_new (const gchar * fmt, ...)
{
  GError *error = NULL;
  GstElement *pipeline;
  gchar *desc;
  va_list args;

  va_start (args, fmt);
  desc = g_strdup_vprintf (fmt, args);
  va_end (args);
  pipeline = gst_parse_launch (desc, &error);
  fail_unless (pipeline != NULL, "%s: %s", desc, error ? error->message : "");
  g_clear_error (&error);
  g_free (desc);
  return pipeline;
}

static void
probe_sink (GstElement * pipeline, Count * count)
{
  GstElement *sink = gst_bin_get_by_name (GST_BIN (pipeline), "sink");
  GstPad *pad = gst_element_get_static_pad (sink, "sink");

  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, count_probe, count, NULL);
  gst_object_unref (pad);
  gst_object_unref (sink);
}

/* PLAYING until EOS or an error; the message is returned, the pipeline set
 * to NULL. */
static GstMessage *
run_pipeline (GstElement * pipeline)
{
  GstBus *bus = gst_element_get_bus (pipeline);
  GstMessage *msg;

  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  msg = gst_bus_timed_pop_filtered (bus, 120 * GST_SECOND,
      GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  fail_unless (msg != NULL, "pipeline neither ended nor failed");
  fail_unless_equals_int (gst_element_set_state (pipeline, GST_STATE_NULL),
      GST_STATE_CHANGE_SUCCESS);
  gst_object_unref (bus);
  return msg;
}

static void
run_to_eos (GstElement * pipeline)
{
  GstMessage *msg = run_pipeline (pipeline);

  if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR) {
    GError *error = NULL;

    gst_message_parse_error (msg, &error, NULL);
    fail ("pipeline error: %s", error->message);
  }
  gst_message_unref (msg);
}

/* ---- tests ---- */

/* Every format, odd and tiny sizes, through a real pipeline: negotiation
 * works and each buffer leaves with a fresh result. */
GST_START_TEST (test_formats)
{
  static const gint sizes[][2] = { {641, 359}, {2, 2}, {1, 1} };
  guint f, z;

  for (f = 0; f < G_N_ELEMENTS (formats); f++) {
    for (z = 0; z < G_N_ELEMENTS (sizes); z++) {
      Count count = { 0 };
      GstElement *pipeline = pipeline_new ("videotestsrc num-buffers=2 ! "
          "video/x-raw,format=%s,width=%d,height=%d ! efficientnet "
          "weights=%s ! fakesink name=sink", formats[f], sizes[z][0],
          sizes[z][1], weights);

      probe_sink (pipeline, &count);
      run_to_eos (pipeline);
      fail_unless_equals_int (count.buffers, 2);
      fail_unless_equals_int (count.metas, 2);
      fail_unless (count.fresh == 2, "%s %dx%d: %u fresh results",
          formats[f], sizes[z][0], sizes[z][1], count.fresh);
      gst_object_unref (pipeline);
    }
  }
}

GST_END_TEST;

/* The metadata equals the engine run here on the same frame, for every
 * scaling mode and a planar, a semi-planar, a packed-alpha and a grey
 * format. */
GST_START_TEST (test_reference)
{
  static const struct
  {
    const gchar *format;
    gint w, h;
  } inputs[] = { {"I420", 641, 359}, {"NV12", 320, 480}, {"RGBA", 97, 131},
  {"GRAY8", 300, 300}, {"YUY2", 2, 2}
  };
  float *logits = g_new (float, 1000), *probs = g_new (float, 1000);
  guint i, fit;

  for (i = 0; i < G_N_ELEMENTS (inputs); i++) {
    for (fit = FIT_CENTER_CROP; fit <= FIT_STRETCH; fit++) {
      gchar *props = g_strdup_printf ("mode=sync attach-logits=true "
          "scaling=%s", fit_names[fit]);
      GstHarness *h = harness_new (props);
      GstVideoInfo info;
      GstBuffer *out;
      GstStructure *s;

      harness_caps (h, &info, inputs[i].format, inputs[i].w, inputs[i].h);
      out = push_frame (h, &info, i + fit, 0);
      s = frame_meta (out);
      ref_classify (out, &info, NULL, fit, logits, probs);
      check_ranking (s, "class-id", "score", probs, 5);
      check_logits (s, logits);
      fail_unless_equals_string (gst_structure_get_string (s, "model"),
          MODEL_NAME);
      fail_unless (!get_bool (s, "stale"));
      fail_unless_equals_uint64 (get_u64 (s, "source-frame"), 0);
      fail_unless (get_u64 (s, "inference-ns") > 0);
      gst_buffer_unref (out);
      gst_harness_teardown (h);
      g_free (props);
    }
  }
  g_free (logits);
  g_free (probs);
}

GST_END_TEST;

/* top-k, threshold, mean/std and scaling changed while playing. */
GST_START_TEST (test_settings)
{
  GstHarness *h = harness_new ("mode=sync top-k=3");
  float *logits = g_new (float, 1000), *probs = g_new (float, 1000);
  GstVideoInfo info;
  GstBuffer *out;
  GstStructure *s;
  int top[1];

  harness_caps (h, &info, "BGRx", 160, 120);
  out = push_frame (h, &info, 1, 0);
  s = frame_meta (out);
  ref_classify (out, &info, NULL, FIT_CENTER_CROP, logits, probs);
  check_ranking (s, "class-id", "score", probs, 3);
  fail_if (gst_structure_has_field (s, "logits"));
  gst_buffer_unref (out);

  /* above the best score: nothing is reported */
  effnet_top_k (probs, 1000, 1, top);
  g_object_set (h->element, "threshold", MIN (1.0, probs[top[0]] * 1.5), NULL);
  out = push_frame (h, &info, 1, GST_SECOND / 30);
  s = frame_meta (out);
  check_empty (s);
  fail_unless (!get_bool (s, "stale"));
  fail_unless (get_u64 (s, "source-frame") == 1);
  gst_buffer_unref (out);

  /* scaling follows a change while playing */
  g_object_set (h->element, "threshold", 0.0, "top-k", 5, "scaling",
      1 /* letterbox */ , NULL);
  out = push_frame (h, &info, 2, 2 * GST_SECOND / 30);
  ref_classify (out, &info, NULL, FIT_LETTERBOX, logits, probs);
  check_ranking (frame_meta (out), "class-id", "score", probs, 5);
  gst_buffer_unref (out);

  gst_harness_teardown (h);
  g_free (logits);
  g_free (probs);
}

GST_END_TEST;

/* interval 3: frames 0, 3, 6 are classified, the others carry the last
 * result marked stale. */
GST_START_TEST (test_interval)
{
  GstHarness *h = harness_new ("mode=sync inference-interval=3");
  GstStructure *fresh = NULL;
  GstVideoInfo info;
  guint i;

  harness_caps (h, &info, "RGB", 64, 48);
  for (i = 0; i < 8; i++) {
    GstBuffer *out = push_frame (h, &info, i, i * GST_SECOND / 30);
    GstStructure *s = frame_meta (out);
    guint64 source = get_u64 (s, "source-frame");

    if (i % 3 == 0) {
      fail_unless (!get_bool (s, "stale"), "frame %u stale", i);
      fail_unless_equals_uint64 (source, i);
      if (fresh)
        gst_structure_free (fresh);
      fresh = gst_structure_copy (s);
    } else {
      fail_unless (get_bool (s, "stale"), "frame %u fresh", i);
      fail_unless_equals_uint64 (source, i - i % 3);
      fail_unless (gst_value_compare (gst_structure_get_value (s,
                  "top-class-ids"), gst_structure_get_value (fresh,
                  "top-class-ids")) == GST_VALUE_EQUAL);
      fail_unless_equals_uint64 (get_u64 (s, "inference-ns"),
          get_u64 (fresh, "inference-ns"));
    }
    gst_buffer_unref (out);
  }
  gst_structure_free (fresh);
  gst_harness_teardown (h);
}

GST_END_TEST;

#define SLOW_MS 400

/* async: with inference slowed to 400 ms a frame, no frame waits; results
 * arrive later, stale, naming the frame they were computed on. */
GST_START_TEST (test_async)
{
  GstHarness *h;
  GstVideoInfo info;
  GstClockTime first = 0;
  guint i;
  gboolean got = FALSE;

  g_setenv ("EFFNET_GST_TEST_DELAY_MS", G_STRINGIFY (SLOW_MS), TRUE);
  h = harness_new ("mode=async");
  harness_caps (h, &info, "I420", 320, 240);
  for (i = 0; i < 200 && !got; i++) {
    GstClockTime start = gst_util_get_timestamp (), spent;
    GstBuffer *out = push_frame (h, &info, i, i * GST_SECOND / 30);
    GstStructure *s = frame_meta (out);

    spent = gst_util_get_timestamp () - start;
    if (i == 0)
      first = start;
    fail_unless (spent < SLOW_MS * GST_MSECOND / 2,
        "frame %u held back %" GST_TIME_FORMAT, i, GST_TIME_ARGS (spent));
    fail_unless (get_bool (s, "stale"));
    if (get_u64 (s, "source-frame") == NO_FRAME) {
      /* no result can exist before the slowed inference is over */
      check_empty (s);
    } else {
      fail_unless (start - first >= SLOW_MS * GST_MSECOND,
          "a result after %" GST_TIME_FORMAT, GST_TIME_ARGS (start - first));
      fail_unless_equals_uint64 (get_u64 (s, "source-frame"), 0);
      fail_unless (get_int (s, "class-id") >= 0);
      fail_unless (get_u64 (s, "inference-ns") >= SLOW_MS * GST_MSECOND);
      got = TRUE;
    }
    gst_buffer_unref (out);
    g_usleep (20 * 1000);
  }
  fail_unless (got, "no async result after %u frames", i);
  gst_harness_teardown (h);
  g_unsetenv ("EFFNET_GST_TEST_DELAY_MS");
}

GST_END_TEST;

/* mode=auto: async behind a live source (the harness says it is live), sync
 * behind a non-live one (test_formats: every result fresh). */
GST_START_TEST (test_auto_mode)
{
  GstHarness *h;
  GstVideoInfo info;
  GstBuffer *out;

  g_setenv ("EFFNET_GST_TEST_DELAY_MS", "200", TRUE);
  h = harness_new ("");
  harness_caps (h, &info, "RGB", 64, 48);
  out = push_frame (h, &info, 0, 0);
  fail_unless (get_bool (frame_meta (out), "stale"));
  check_empty (frame_meta (out));
  gst_buffer_unref (out);
  fail_unless_equals_uint64 (gst_harness_query_latency (h), 0);
  gst_harness_teardown (h);
  g_unsetenv ("EFFNET_GST_TEST_DELAY_MS");
}

GST_END_TEST;

/* ROIs get ids 0, 1, ... in the order they are added */
static void
add_roi (GstBuffer * buf, const gchar * type, guint x, guint y, guint w,
    guint hgt)
{
  GstVideoRegionOfInterestMeta *roi;
  gpointer state = NULL;
  gint id = 0;

  while (gst_buffer_iterate_meta_filtered (buf, &state,
          GST_VIDEO_REGION_OF_INTEREST_META_API_TYPE))
    id++;
  roi = gst_buffer_add_video_region_of_interest_meta (buf, type, x, y, w, hgt);
  roi->id = id;
}

static void
check_roi (GstBuffer * buf, GstVideoRegionOfInterestMeta * roi,
    const GstVideoInfo * info, gint x, gint y, gint w, gint hgt)
{
  GstVideoRectangle area = { x, y, w, hgt };
  float *logits = g_new (float, 1000), *probs = g_new (float, 1000);
  GstStructure *p = gst_video_region_of_interest_meta_get_param (roi,
      ROI_PARAM);

  fail_unless (p != NULL, "ROI %d without a result", roi->id);
  ref_classify (buf, info, &area, FIT_CENTER_CROP, logits, probs);
  check_ranking (p, "label_id", "confidence", probs, 5);
  fail_unless_equals_string (gst_structure_get_string (p, "model_name"),
      MODEL_NAME);
  g_free (logits);
  g_free (probs);
}

/* roi-list: each region is classified (clamped to the frame, empty ones
 * skipped) in one batch, its result added to its meta; object-class picks a
 * roi_type. */
GST_START_TEST (test_roi)
{
  GstHarness *h = harness_new ("inference-region=roi-list");
  GstVideoRegionOfInterestMeta *car, *person, *outside, *corner;
  GstVideoInfo info;
  GstBuffer *in, *out;
  GstStructure *s;

  log_start ();
  harness_caps (h, &info, "RGB", 320, 240);
  in = make_frame (h, &info, 3, 0);
  add_roi (in, "car", 10, 20, 100, 80);
  add_roi (in, "person", 150, 100, 200, 200);
  add_roi (in, "car", 400, 300, 10, 10);
  add_roi (in, "person", 0, 0, 64, 64);
  fail_unless_equals_int (gst_harness_push (h, in), GST_FLOW_OK);
  out = gst_harness_pull (h);
  car = gst_buffer_get_video_region_of_interest_meta_id (out, 0);
  person = gst_buffer_get_video_region_of_interest_meta_id (out, 1);
  outside = gst_buffer_get_video_region_of_interest_meta_id (out, 2);
  corner = gst_buffer_get_video_region_of_interest_meta_id (out, 3);
  check_roi (out, car, &info, 10, 20, 100, 80);
  check_roi (out, person, &info, 150, 100, 170, 140);
  fail_unless (gst_video_region_of_interest_meta_get_param (outside,
          ROI_PARAM) == NULL);
  check_roi (out, corner, &info, 0, 0, 64, 64);
  s = frame_meta (out);
  fail_unless_equals_int (g_value_get_uint (gst_structure_get_value (s,
              "roi-count")), 3);
  check_empty (s);
  fail_unless (!get_bool (s, "stale"));
  fail_unless_equals_int (log_count ("forward: 3 image(s) in one batch"), 1);
  fail_unless_equals_int (log_count ("forward: "), 1);
  gst_buffer_unref (out);

  g_object_set (h->element, "object-class", "person", NULL);
  in = make_frame (h, &info, 4, GST_SECOND / 30);
  add_roi (in, "car", 10, 20, 100, 80);
  add_roi (in, "person", 30, 40, 120, 90);
  fail_unless_equals_int (gst_harness_push (h, in), GST_FLOW_OK);
  out = gst_harness_pull (h);
  car = gst_buffer_get_video_region_of_interest_meta_id (out, 0);
  person = gst_buffer_get_video_region_of_interest_meta_id (out, 1);
  fail_unless (gst_video_region_of_interest_meta_get_param (car,
          ROI_PARAM) == NULL);
  check_roi (out, person, &info, 30, 40, 120, 90);
  fail_unless_equals_int (log_count ("forward: 1 image(s) in one batch"), 1);
  gst_buffer_unref (out);

  gst_harness_teardown (h);
  log_stop ();
}

GST_END_TEST;

/* A caps change mid-stream rebuilds the conversion. */
GST_START_TEST (test_caps_change)
{
  GstHarness *h = harness_new ("mode=sync");
  float *logits = g_new (float, 1000), *probs = g_new (float, 1000);
  GstVideoInfo info;
  GstBuffer *out;

  harness_caps (h, &info, "RGB", 320, 240);
  out = push_frame (h, &info, 5, 0);
  ref_classify (out, &info, NULL, FIT_CENTER_CROP, logits, probs);
  check_ranking (frame_meta (out), "class-id", "score", probs, 5);
  gst_buffer_unref (out);

  harness_caps (h, &info, "NV12", 640, 480);
  out = push_frame (h, &info, 6, GST_SECOND / 30);
  ref_classify (out, &info, NULL, FIT_CENTER_CROP, logits, probs);
  check_ranking (frame_meta (out), "class-id", "score", probs, 5);
  fail_unless_equals_uint64 (get_u64 (frame_meta (out), "source-frame"), 1);
  gst_buffer_unref (out);

  gst_harness_teardown (h);
  g_free (logits);
  g_free (probs);
}

GST_END_TEST;

/* NULL -> PLAYING -> NULL again and again, with and without data. */
GST_START_TEST (test_states)
{
  guint i;

  for (i = 0; i < 3; i++) {
    Count count = { 0 };
    GstElement *pipeline = pipeline_new ("videotestsrc num-buffers=3 ! "
        "efficientnet weights=%s ! fakesink name=sink", weights);

    probe_sink (pipeline, &count);
    run_to_eos (pipeline);
    fail_unless_equals_int (count.metas, 3);
    /* and once more on the same pipeline, stopped before the end */
    fail_unless (gst_element_set_state (pipeline, GST_STATE_PLAYING) !=
        GST_STATE_CHANGE_FAILURE);
    fail_unless_equals_int (gst_element_set_state (pipeline, GST_STATE_NULL),
        GST_STATE_CHANGE_SUCCESS);
    gst_object_unref (pipeline);
  }
}

GST_END_TEST;

static guint
users (GstElement * pipeline, const gchar * name)
{
  GstElement *e = gst_bin_get_by_name (GST_BIN (pipeline), name);
  guint n = 0;

  g_object_get (e, "shared-users", &n, NULL);
  gst_object_unref (e);
  return n;
}

/* Two elements naming the same weights (two spellings) share one model. */
GST_START_TEST (test_shared)
{
  gchar *file = g_build_filename (weights, "model.safetensors", NULL);
  GstElement *pipeline = pipeline_new ("videotestsrc num-buffers=2 ! "
      "efficientnet name=a weights=%s ! efficientnet name=b weights=%s "
      "mode=async ! fakesink name=sink", weights, file);
  GstBus *bus = gst_element_get_bus (pipeline);
  GstMessage *msg;

  log_start ();
  fail_unless_equals_int (users (pipeline, "a"), 0);
  gst_element_set_state (pipeline, GST_STATE_PAUSED);
  fail_unless_equals_int (gst_element_get_state (pipeline, NULL, NULL,
          GST_CLOCK_TIME_NONE), GST_STATE_CHANGE_SUCCESS);
  fail_unless_equals_int (users (pipeline, "a"), 2);
  fail_unless_equals_int (users (pipeline, "b"), 2);
  fail_unless_equals_int (log_count ("loaded model"), 1);
  fail_unless_equals_int (log_count ("sharing model"), 1);
  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  msg = gst_bus_timed_pop_filtered (bus, 60 * GST_SECOND,
      GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  fail_unless (msg != NULL && GST_MESSAGE_TYPE (msg) == GST_MESSAGE_EOS);
  gst_message_unref (msg);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  fail_unless_equals_int (users (pipeline, "a"), 0);
  fail_unless_equals_int (log_count ("freeing model"), 1);
  log_stop ();
  gst_object_unref (bus);
  gst_object_unref (pipeline);
  g_free (file);
}

GST_END_TEST;

/* What each branch of a tee saw: the first memory of every buffer (kept
 * alive, so addresses cannot be reused) and whether it had our meta. */
typedef struct
{
  GMutex lock;
  GPtrArray *memory[2];
  guint metas[2];
} TeeSeen;

static GstPadProbeReturn
tee_probe (GstPad * pad, GstPadProbeInfo * info, gpointer data)
{
  TeeSeen *seen = data;
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);
  guint branch = g_str_equal (GST_OBJECT_NAME (GST_PAD_PARENT (pad)), "sink");

  g_mutex_lock (&seen->lock);
  g_ptr_array_add (seen->memory[branch],
      gst_memory_ref (gst_buffer_peek_memory (buf, 0)));
  seen->metas[branch] += gst_buffer_get_custom_meta (buf, META_NAME) != NULL;
  g_mutex_unlock (&seen->lock);
  return GST_PAD_PROBE_OK;
}

/* Behind a tee the buffer is shared: the element puts its meta on a shallow
 * copy, so the other branch sees none and no pixel is copied. */
GST_START_TEST (test_tee)
{
  GstElement *pipeline = pipeline_new ("videotestsrc num-buffers=3 ! tee "
      "name=t t. ! queue ! efficientnet weights=%s ! fakesink name=sink "
      "t. ! queue ! fakesink name=other", weights);
  const gchar *names[2] = { "other", "sink" };
  TeeSeen seen = { 0 };
  guint b, i;

  g_mutex_init (&seen.lock);
  for (b = 0; b < 2; b++) {
    GstElement *sink = gst_bin_get_by_name (GST_BIN (pipeline), names[b]);
    GstPad *pad = gst_element_get_static_pad (sink, "sink");

    seen.memory[b] = g_ptr_array_new_with_free_func ((GDestroyNotify)
        gst_memory_unref);
    gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, tee_probe, &seen, NULL);
    gst_object_unref (pad);
    gst_object_unref (sink);
  }
  run_to_eos (pipeline);
  fail_unless_equals_int (seen.metas[1], 3);
  fail_unless_equals_int (seen.metas[0], 0);
  fail_unless_equals_int (seen.memory[0]->len, 3);
  fail_unless_equals_int (seen.memory[1]->len, 3);
  for (i = 0; i < 3; i++)
    fail_unless (g_ptr_array_index (seen.memory[0], i) ==
        g_ptr_array_index (seen.memory[1], i), "frame %u was copied", i);
  for (b = 0; b < 2; b++)
    g_ptr_array_unref (seen.memory[b]);
  g_mutex_clear (&seen.lock);
  gst_object_unref (pipeline);
}

GST_END_TEST;

/* A bad setting fails the state change with a sentence saying why. */
static void
expect_error (const gchar * props, GQuark domain, gint code, const gchar * text)
{
  GstElement *pipeline = pipeline_new ("videotestsrc num-buffers=1 ! "
      "efficientnet %s ! fakesink", props);
  GstBus *bus = gst_element_get_bus (pipeline);
  GError *error = NULL;
  GstMessage *msg;

  fail_unless_equals_int (gst_element_set_state (pipeline, GST_STATE_PLAYING),
      GST_STATE_CHANGE_FAILURE);
  msg = gst_bus_timed_pop_filtered (bus, 10 * GST_SECOND, GST_MESSAGE_ERROR);
  fail_unless (msg != NULL, "%s: no error", props);
  gst_message_parse_error (msg, &error, NULL);
  fail_unless (g_utf8_validate (error->message, -1, NULL),
      "%s: the message is not UTF-8", props);
  fail_unless (strstr (error->message, text) != NULL, "%s: \"%s\"", props,
      error->message);
  fail_unless (error->domain == domain && error->code == code,
      "%s: domain %s code %d", props, g_quark_to_string (error->domain),
      error->code);
  GST_INFO ("%s -> %s", props, error->message);
  g_clear_error (&error);
  gst_message_unref (msg);
  fail_unless_equals_int (gst_element_set_state (pipeline, GST_STATE_NULL),
      GST_STATE_CHANGE_SUCCESS);
  gst_object_unref (bus);
  gst_object_unref (pipeline);
}

GST_START_TEST (test_errors)
{
  gchar *dir = g_dir_make_tmp ("effnet-gst-XXXXXX", NULL);
  gchar *corrupt = g_build_filename (dir, "corrupt.safetensors", NULL);
  gchar *labels = g_build_filename (dir, "labels.txt", NULL);
  gchar *props;

  fail_unless (g_file_set_contents (corrupt, "not a safetensors file at all",
          -1, NULL));
  fail_unless (g_file_set_contents (labels, "cat\ndog\nbird\n", -1, NULL));

  expect_error ("", GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_NOT_FOUND,
      "No EfficientNet weights given");
  expect_error ("weights=/nonexistent/weights.safetensors",
      GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_NOT_FOUND,
      "Could not load the EfficientNet weights: /nonexistent/weights."
      "safetensors: cannot open: No such file or directory.");
  props = g_strdup_printf ("weights=%s", dir);
  expect_error (props, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_NOT_FOUND,
      "the folder holds no model.safetensors.");
  g_free (props);
  props = g_strdup_printf ("weights=%s", corrupt);
  expect_error (props, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS,
      "Could not load the EfficientNet weights: ");
  g_free (props);
  props = g_strdup_printf ("weights=%s variant=b3", weights);
  expect_error (props, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS,
      "not the requested b3");
  g_free (props);
  props = g_strdup_printf ("weights=%s labels=%s", weights, labels);
  expect_error (props, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS,
      "has 3 names but the model has 1000 classes.");
  g_free (props);
  props = g_strdup_printf ("weights=%s mean=\"<0.5,0.5>\"", weights);
  expect_error (props, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS,
      "needs 3 values");
  g_free (props);

  g_unlink (corrupt);
  g_unlink (labels);
  g_rmdir (dir);
  g_free (corrupt);
  g_free (labels);
  g_free (dir);
}

GST_END_TEST;

static GstBuffer *
push_qos_frame (GstHarness * h, const GstVideoInfo * info, guint seed,
    GstClockTime pts, gboolean expect_stale, guint64 expect_source)
{
  GstBuffer *out = push_frame (h, info, seed, pts);
  GstStructure *s = frame_meta (out);

  fail_unless (get_bool (s, "stale") == expect_stale, "pts %" GST_TIME_FORMAT,
      GST_TIME_ARGS (pts));
  fail_unless_equals_uint64 (get_u64 (s, "source-frame"), expect_source);
  return out;
}

/* Late frames (by the sink's QoS events) pass on without inference, with
 * the last result; with qos=false they are classified. */
GST_START_TEST (test_qos)
{
  gboolean qos;

  for (qos = FALSE; qos <= TRUE; qos++) {
    GstHarness *h = harness_new ("mode=sync");
    GstVideoInfo info;
    GstEvent *event;
    guint i, upstream_qos = 0;

    g_object_set (h->element, "qos", qos, NULL);
    harness_caps (h, &info, "RGB", 64, 48);
    gst_buffer_unref (push_qos_frame (h, &info, 0, 0, FALSE, 0));
    /* the sink saw frame 0 one second late */
    fail_unless (gst_harness_push_upstream_event (h,
            gst_event_new_qos (GST_QOS_TYPE_UNDERFLOW, 0.5, GST_SECOND, 0)));
    for (i = 1; i <= 3; i++)
      gst_buffer_unref (push_qos_frame (h, &info, i, i * GST_SECOND / 30,
              qos, qos ? 0 : i));
    gst_buffer_unref (push_qos_frame (h, &info, 4, 2 * GST_SECOND, FALSE, 4));

    while ((event = gst_harness_try_pull_upstream_event (h))) {
      upstream_qos += GST_EVENT_TYPE (event) == GST_EVENT_QOS;
      gst_event_unref (event);
    }
    fail_unless_equals_int (upstream_qos, 1);
    fail_unless_equals_int (gst_harness_buffers_received (h), 5);
    gst_harness_teardown (h);
  }
}

GST_END_TEST;

/* sync adds the measured inference time to the latency, async nothing. */
GST_START_TEST (test_latency)
{
  GstHarness *h = harness_new ("mode=sync");
  GstVideoInfo info;
  GstBuffer *out;
  GstClockTime latency;

  harness_caps (h, &info, "RGB", 64, 48);
  fail_unless_equals_uint64 (gst_harness_query_latency (h), 0);
  out = push_frame (h, &info, 0, 0);
  latency = gst_harness_query_latency (h);
  fail_unless (latency >= get_u64 (frame_meta (out), "inference-ns"),
      "latency %" GST_TIME_FORMAT, GST_TIME_ARGS (latency));
  fail_unless (latency < 60 * GST_SECOND);
  gst_buffer_unref (out);
  gst_harness_teardown (h);

  h = harness_new ("mode=async");
  harness_caps (h, &info, "RGB", 64, 48);
  gst_buffer_unref (push_frame (h, &info, 0, 0));
  fail_unless_equals_uint64 (gst_harness_query_latency (h), 0);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* post-messages: one element message per frame, same fields as the meta
 * plus the timestamps. */
GST_START_TEST (test_messages)
{
  GstElement *pipeline = pipeline_new ("videotestsrc num-buffers=3 ! "
      "video/x-raw,framerate=30/1 ! efficientnet weights=%s "
      "post-messages=true ! fakesink", weights);
  GstBus *bus = gst_element_get_bus (pipeline);
  guint n = 0;

  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  for (;;) {
    GstMessage *msg = gst_bus_timed_pop_filtered (bus, 60 * GST_SECOND,
        GST_MESSAGE_EOS | GST_MESSAGE_ERROR | GST_MESSAGE_ELEMENT);
    const GstStructure *s;

    fail_unless (msg != NULL);
    fail_if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR);
    if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_EOS) {
      gst_message_unref (msg);
      break;
    }
    s = gst_message_get_structure (msg);
    if (gst_structure_has_name (s, "efficientnet")) {
      GstClockTime expect = gst_util_uint64_scale (n, GST_SECOND, 30);

      fail_unless_equals_uint64 (get_u64 (s, "timestamp"), expect);
      fail_unless_equals_uint64 (get_u64 (s, "running-time"), expect);
      fail_unless_equals_uint64 (get_u64 (s, "stream-time"), expect);
      fail_unless_equals_uint64 (get_u64 (s, "source-frame"), n);
      fail_unless (!get_bool (s, "stale"));
      fail_unless (get_int (s, "class-id") >= 0);
      fail_unless_equals_int (array_size (s, "top-scores"), 5);
      fail_unless_equals_string (gst_structure_get_string (s, "model"),
          MODEL_NAME);
      n++;
    }
    gst_message_unref (msg);
  }
  fail_unless_equals_int (n, 3);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (bus);
  gst_object_unref (pipeline);
}

GST_END_TEST;

/* A labels file names the classes. */
GST_START_TEST (test_labels)
{
  gchar *dir = g_dir_make_tmp ("effnet-gst-XXXXXX", NULL);
  gchar *path = g_build_filename (dir, "labels.txt", NULL);
  GString *text = g_string_new (NULL);
  gchar *props, *expect;
  GstHarness *h;
  GstVideoInfo info;
  GstBuffer *out;
  GstStructure *s;
  guint i;

  for (i = 0; i < 1000; i++)
    g_string_append_printf (text, "thing %u\r\n", i);
  fail_unless (g_file_set_contents (path, text->str, -1, NULL));
  props = g_strdup_printf ("mode=sync labels=%s", path);
  h = harness_new (props);
  harness_caps (h, &info, "RGB", 64, 48);
  out = push_frame (h, &info, 0, 0);
  s = frame_meta (out);
  expect = g_strdup_printf ("thing %d", get_int (s, "class-id"));
  fail_unless_equals_string (gst_structure_get_string (s, "label"), expect);
  gst_buffer_unref (out);
  gst_harness_teardown (h);

  g_unlink (path);
  g_rmdir (dir);
  g_free (expect);
  g_free (props);
  g_string_free (text, TRUE);
  g_free (path);
  g_free (dir);
}

GST_END_TEST;

/* ---- weights folders of the tests' own ---- */

/* A folder `name` in `parent` whose model.safetensors links to the test
 * weights and whose config.json asks for an input of `size` pixels and a red
 * mean of `mean`. */
static void
weights_dir_set_config (const gchar * dir, gint size, gdouble mean)
{
  gchar *config = g_build_filename (dir, "config.json", NULL);
  gchar m[G_ASCII_DTOSTR_BUF_SIZE];
  gchar *text = g_strdup_printf ("{\"architecture\": \"efficientnet_b0\", "
      "\"num_classes\": 1000, \"untrained\": true, \"pretrained_cfg\": "
      "{\"input_size\": [3, %d, %d], \"interpolation\": \"bicubic\", "
      "\"crop_pct\": 0.875, \"mean\": [%s, 0.456, 0.406], "
      "\"std\": [0.229, 0.224, 0.225]}}\n", size, size,
      g_ascii_dtostr (m, sizeof m, mean));

  fail_unless (g_file_set_contents (config, text, -1, NULL));
  g_free (text);
  g_free (config);
}

static gchar *
weights_dir_new (const gchar * parent, const gchar * name, gint size,
    gdouble mean)
{
  gchar *dir = g_build_filename (parent, name, NULL);
  gchar *link = g_build_filename (dir, "model.safetensors", NULL);
  gchar *target = g_build_filename (weights, "model.safetensors", NULL);

  fail_unless (g_mkdir (dir, 0755) == 0, "mkdir %s", dir);
  fail_unless (symlink (target, link) == 0, "symlink %s", link);
  weights_dir_set_config (dir, size, mean);
  g_free (link);
  g_free (target);
  return dir;
}

/* Removes a folder of plain files and links (not recursive). */
static void
remove_dir (gchar * dir)
{
  GDir *d = g_dir_open (dir, 0, NULL);
  const gchar *name;

  while (d != NULL && (name = g_dir_read_name (d)) != NULL) {
    gchar *path = g_build_filename (dir, name, NULL);

    g_unlink (path);
    g_free (path);
  }
  if (d != NULL)
    g_dir_close (d);
  g_rmdir (dir);
  g_free (dir);
}

static void
set_paused (GstElement * pipeline)
{
  gst_element_set_state (pipeline, GST_STATE_PAUSED);
  fail_unless_equals_int (gst_element_get_state (pipeline, NULL, NULL,
          60 * GST_SECOND), GST_STATE_CHANGE_SUCCESS);
}

/* Two folders whose model.safetensors link to one file but whose config.json
 * differ are two models: the engine reads the config.json beside the path
 * written, so the shared model is keyed on both files (and their contents:
 * a config.json changed since is another model for elements started after
 * the change). */
GST_START_TEST (test_shared_config)
{
  gchar *tmp = g_dir_make_tmp ("effnet-gst-XXXXXX", NULL);
  gchar *a = weights_dir_new (tmp, "a", 224, 0.485);
  gchar *b = weights_dir_new (tmp, "b", 192, 0.5);
  gchar *a_file = g_build_filename (a, "model.safetensors", NULL);
  gchar *b_file = g_build_filename (b, "model.safetensors", NULL);
  GstElement *one = pipeline_new ("videotestsrc num-buffers=1 ! "
      "efficientnet name=a weights=%s ! efficientnet name=b weights=%s ! "
      "efficientnet name=c weights=%s ! fakesink", a, b_file, a_file);
  GstElement *two;

  log_start ();
  set_paused (one);
  /* b reads another config.json; a and c the same two files */
  fail_unless_equals_int (users (one, "b"), 1);
  fail_unless_equals_int (users (one, "a"), 2);
  fail_unless_equals_int (users (one, "c"), 2);
  fail_unless_equals_int (log_count ("loaded model"), 2);
  fail_unless_equals_int (log_count ("192x192 input"), 1);
  fail_unless_equals_int (log_count ("224x224 input"), 2);

  weights_dir_set_config (a, 256, 0.4);
  two = pipeline_new ("videotestsrc num-buffers=1 ! efficientnet name=d "
      "weights=%s ! fakesink", a);
  set_paused (two);
  fail_unless_equals_int (users (two, "d"), 1);
  fail_unless_equals_int (users (one, "a"), 2);
  fail_unless_equals_int (log_count ("256x256 input"), 1);

  gst_element_set_state (two, GST_STATE_NULL);
  gst_element_set_state (one, GST_STATE_NULL);
  fail_unless_equals_int (log_count ("freeing model"), 3);
  log_stop ();
  gst_object_unref (two);
  gst_object_unref (one);
  g_free (a_file);
  g_free (b_file);
  remove_dir (a);
  remove_dir (b);
  remove_dir (tmp);
}

GST_END_TEST;

/* A frame of `count` ROIs of a 320x240 frame, none empty. */
static GstBuffer *
roi_frame (GstHarness * h, const GstVideoInfo * info, guint seed, guint count)
{
  GstBuffer *buf = make_frame (h, info, seed, seed * GST_SECOND / 30);
  guint i;

  for (i = 0; i < count; i++)
    add_roi (buf, "thing", (i * 23) % 250, (i * 17) % 180, 16 + i * 3,
        12 + i * 2);
  return buf;
}

/* The shared model's workspace holds what the jobs ask for: one image for
 * full frames, a frame's ROIs up to the chunk of 16; it grows, never
 * shrinks. */
GST_START_TEST (test_workspace)
{
  GstHarness *full, *rois;
  GstVideoInfo info, roi_info;

  log_start ();
  full = harness_new ("mode=sync");
  harness_caps (full, &info, "RGB", 64, 48);
  gst_buffer_unref (push_frame (full, &info, 0, 0));
  fail_unless_equals_int (log_count ("workspace for "), 1);
  fail_unless_equals_int (log_count ("workspace for 1 image,"), 1);

  rois = harness_new ("inference-region=roi-list");
  harness_caps (rois, &roi_info, "RGB", 320, 240);
  fail_unless_equals_int (gst_harness_push (rois, roi_frame (rois, &roi_info,
              1, 5)), GST_FLOW_OK);
  gst_buffer_unref (gst_harness_pull (rois));
  fail_unless_equals_int (log_count ("workspace for 5 images,"), 1);
  fail_unless_equals_int (gst_harness_push (rois, roi_frame (rois, &roi_info,
              2, 3)), GST_FLOW_OK);
  gst_buffer_unref (gst_harness_pull (rois));
  fail_unless_equals_int (log_count ("workspace for "), 2);
  fail_unless_equals_int (gst_harness_push (rois, roi_frame (rois, &roi_info,
              3, 20)), GST_FLOW_OK);
  gst_buffer_unref (gst_harness_pull (rois));
  fail_unless_equals_int (log_count ("workspace for 16 images,"), 1);
  fail_unless_equals_int (log_count ("workspace for "), 3);
  /* what an idle full-frame model holds is a small part of 16 images' */
  fail_unless (log_number ("workspace for 1 image, ") * 6 <
      log_number ("workspace for 16 images, "), "%" G_GUINT64_FORMAT
      " bytes for 1 image, %" G_GUINT64_FORMAT " for 16",
      log_number ("workspace for 1 image, "),
      log_number ("workspace for 16 images, "));
  gst_buffer_unref (push_frame (full, &info, 1, GST_SECOND / 30));
  fail_unless_equals_int (log_count ("workspace for "), 3);

  gst_harness_teardown (rois);
  gst_harness_teardown (full);
  log_stop ();
}

GST_END_TEST;

/* The ROI of `id` (320x240 frame, see roi_frame) has a result equal to the
 * reference. */
static void
check_roi_frame_roi (GstBuffer * buf, const GstVideoInfo * info, guint id)
{
  GstVideoRegionOfInterestMeta *roi =
      gst_buffer_get_video_region_of_interest_meta_id (buf, (gint) id);
  gint x = (id * 23) % 250, y = (id * 17) % 180;

  fail_unless (roi != NULL);
  check_roi (buf, roi, info, x, y, MIN (16 + (gint) id * 3, 320 - x),
      MIN (12 + (gint) id * 2, 240 - y));
}

/* max-rois: regions beyond it are not classified and are counted in
 * roi-skipped (warned once); any number of regions runs in chunks of at
 * most 16. */
GST_START_TEST (test_roi_cap)
{
  GstHarness *h = harness_new ("inference-region=roi-list max-rois=10");
  GstVideoInfo info;
  GstBuffer *in, *out;
  GstStructure *s;
  guint i, frame;

  log_start ();
  harness_caps (h, &info, "RGB", 320, 240);
  for (frame = 0; frame < 2; frame++) {
    /* 14 regions, of which ids 3 and 8 are outside the frame */
    in = make_frame (h, &info, frame, frame * GST_SECOND / 30);
    for (i = 0; i < 14; i++) {
      if (i == 3 || i == 8)
        add_roi (in, "thing", 400, 10, 20, 20);
      else
        add_roi (in, "thing", (i * 23) % 250, (i * 17) % 180, 16 + i * 3,
            12 + i * 2);
    }
    fail_unless_equals_int (gst_harness_push (h, in), GST_FLOW_OK);
    out = gst_harness_pull (h);
    s = frame_meta (out);
    fail_unless_equals_int (get_uint (s, "roi-count"), 10);
    fail_unless_equals_int (get_uint (s, "roi-skipped"), 2);
    for (i = 0; i < 14; i++) {
      GstVideoRegionOfInterestMeta *roi =
          gst_buffer_get_video_region_of_interest_meta_id (out, (gint) i);
      gboolean classified = i != 3 && i != 8 && i < 12;

      fail_unless ((gst_video_region_of_interest_meta_get_param (roi,
                  ROI_PARAM) != NULL) == classified, "ROI %u", i);
    }
    check_roi_frame_roi (out, &info, 0);
    check_roi_frame_roi (out, &info, 11);
    gst_buffer_unref (out);
  }
  fail_unless_equals_int (log_count ("max-rois"), 1);

  /* no limit: 40 regions in chunks of 16, 16 and 8 */
  g_object_set (h->element, "max-rois", 0, NULL);
  fail_unless_equals_int (gst_harness_push (h, roi_frame (h, &info, 2, 40)),
      GST_FLOW_OK);
  out = gst_harness_pull (h);
  s = frame_meta (out);
  fail_unless_equals_int (get_uint (s, "roi-count"), 40);
  fail_unless_equals_int (get_uint (s, "roi-skipped"), 0);
  for (i = 0; i < 40; i++)
    fail_unless (gst_video_region_of_interest_meta_get_param
        (gst_buffer_get_video_region_of_interest_meta_id (out, (gint) i),
            ROI_PARAM) != NULL, "ROI %u", i);
  check_roi_frame_roi (out, &info, 0);
  check_roi_frame_roi (out, &info, 17);
  check_roi_frame_roi (out, &info, 39);
  fail_unless_equals_int (log_count ("forward: 16 image(s)"), 2);
  fail_unless_equals_int (log_count ("forward: 8 image(s)"), 1);
  gst_buffer_unref (out);

  gst_harness_teardown (h);
  log_stop ();
}

GST_END_TEST;

/* A labels file must be UTF-8 text, one name a line: a Latin-1 name or a
 * control character is a clear error at start, never garbage in the
 * metadata (and so in Pango or Python). */
GST_START_TEST (test_labels_checked)
{
  static const struct
  {
    const gchar *name, *line, *expect;
  } cases[] = {
    {"latin1.txt", "caf\xe9 au lait", "line 3 is not valid UTF-8"},
    {"escape.txt", "red \x1b[31mthing", "line 3 holds the control character"},
  };
  gchar *dir = g_dir_make_tmp ("effnet-gst-XXXXXX", NULL);
  gchar *props;
  guint c, i;

  for (c = 0; c < G_N_ELEMENTS (cases); c++) {
    gchar *path = g_build_filename (dir, cases[c].name, NULL);
    GString *text = g_string_new (NULL);

    for (i = 0; i < 1000; i++)
      g_string_append_printf (text, "%s\n", i == 2 ? cases[c].line : "x");
    fail_unless (g_file_set_contents (path, text->str, -1, NULL));
    props = g_strdup_printf ("weights=%s labels=%s", weights, path);
    expect_error (props, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS,
        cases[c].expect);
    g_free (props);
    g_string_free (text, TRUE);
    g_free (path);
  }
  props = g_strdup_printf ("weights=%s labels=%s", weights, dir);
  expect_error (props, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS,
      "is not a regular file");
  g_free (props);
  remove_dir (dir);
}

GST_END_TEST;

typedef struct
{
  GstElement *element;
  GstStateChangeReturn ret;
  gint done;
} Starter;

static gpointer
start_element (gpointer data)
{
  Starter *s = data;

  s->ret = gst_element_set_state (s->element, GST_STATE_PAUSED);
  g_atomic_int_set (&s->done, 1);
  return NULL;
}

static GThread *
start_in_thread (Starter * s, GstElement * element)
{
  s->element = element;
  s->ret = GST_STATE_CHANGE_FAILURE;
  s->done = 0;
  return g_thread_new ("starter", start_element, s);
}

static GstElement *
element_new (const gchar * props)
{
  gchar *desc = g_strdup_printf ("efficientnet %s", props);
  GstElement *e = gst_parse_launch (desc, NULL);

  fail_unless (e != NULL, "%s", desc);
  g_free (desc);
  return e;
}

/* Waits (up to 2 s) until `count` loads have begun. */
static void
wait_loads (guint count)
{
  gint64 end = g_get_monotonic_time () + 2 * G_TIME_SPAN_SECOND;

  while (log_count ("loading model") < count && g_get_monotonic_time () < end)
    g_usleep (10 * 1000);
}

#define SLOW_LOAD_MS 5000

/* A slow load blocks only the elements waiting for that model: another
 * model's element starts meanwhile, an element asking for the same model
 * waits and shares it, and a failed load hands its error to its waiters. */
GST_START_TEST (test_slow_load)
{
  gchar *tmp = g_dir_make_tmp ("effnet-gst-XXXXXX", NULL);
  gchar *slow = g_build_filename (tmp, "slow", NULL);
  gchar *broken = g_build_filename (tmp, "slow-broken", NULL);
  gchar *broken_file = g_build_filename (broken, "model.safetensors", NULL);
  gchar *props;
  GstElement *a, *b, *c, *d, *e;
  Starter sa, sc, sd, se;
  GThread *ta, *tc, *td, *te;
  guint n;

  fail_unless (symlink (weights, slow) == 0);
  fail_unless (g_mkdir (broken, 0755) == 0);
  fail_unless (g_file_set_contents (broken_file, "not safetensors", -1, NULL));
  g_setenv ("EFFNET_GST_TEST_LOAD_DELAY", G_STRINGIFY (SLOW_LOAD_MS) ":slow",
      TRUE);
  log_start ();

  /* a and c: the slow folder; b: the same files by another name and with
   * variant=b0, so another model that loads at normal speed */
  props = g_strdup_printf ("weights=%s", slow);
  a = element_new (props);
  c = element_new (props);
  g_free (props);
  props = g_strdup_printf ("weights=%s variant=b0", weights);
  b = element_new (props);
  g_free (props);

  ta = start_in_thread (&sa, a);
  wait_loads (1);
  tc = start_in_thread (&sc, c);
  fail_unless_equals_int (gst_element_set_state (b, GST_STATE_PAUSED),
      GST_STATE_CHANGE_SUCCESS);
  fail_if (g_atomic_int_get (&sa.done), "the second model's start waited "
      "for the first model's slow load");
  g_thread_join (ta);
  g_thread_join (tc);
  fail_unless_equals_int (sa.ret, GST_STATE_CHANGE_SUCCESS);
  fail_unless_equals_int (sc.ret, GST_STATE_CHANGE_SUCCESS);
  g_object_get (a, "shared-users", &n, NULL);
  fail_unless_equals_int (n, 2);
  g_object_get (b, "shared-users", &n, NULL);
  fail_unless_equals_int (n, 1);
  fail_unless_equals_int (log_count ("loaded model"), 2);
  fail_unless_equals_int (log_count ("loading model"), 2);

  /* d loads broken weights slowly, e waits for that load and gets its
   * error without loading again */
  props = g_strdup_printf ("weights=%s", broken);
  d = element_new (props);
  e = element_new (props);
  g_free (props);
  td = start_in_thread (&sd, d);
  wait_loads (3);
  te = start_in_thread (&se, e);
  g_thread_join (td);
  g_thread_join (te);
  fail_unless_equals_int (sd.ret, GST_STATE_CHANGE_FAILURE);
  fail_unless_equals_int (se.ret, GST_STATE_CHANGE_FAILURE);
  fail_unless_equals_int (log_count ("loading model"), 3);

  gst_element_set_state (a, GST_STATE_NULL);
  gst_element_set_state (b, GST_STATE_NULL);
  gst_element_set_state (c, GST_STATE_NULL);
  gst_element_set_state (d, GST_STATE_NULL);
  gst_element_set_state (e, GST_STATE_NULL);
  fail_unless_equals_int (log_count ("freeing model"), 2);
  log_stop ();
  g_unsetenv ("EFFNET_GST_TEST_LOAD_DELAY");
  gst_object_unref (a);
  gst_object_unref (b);
  gst_object_unref (c);
  gst_object_unref (d);
  gst_object_unref (e);
  g_unlink (slow);
  g_free (slow);
  g_free (broken_file);
  remove_dir (broken);
  remove_dir (tmp);
}

GST_END_TEST;

static Suite *
efficientnet_suite (void)
{
  Suite *s = suite_create ("efficientnet");
  TCase *plain = tcase_create ("plain");
  TCase *reference = tcase_create ("reference");

  tcase_add_checked_fixture (reference, ref_setup, ref_teardown);
  tcase_add_test (reference, test_reference);
  tcase_add_test (reference, test_settings);
  tcase_add_test (reference, test_roi);
  tcase_add_test (reference, test_caps_change);
  tcase_add_test (reference, test_roi_cap);
  suite_add_tcase (s, reference);

  tcase_add_test (plain, test_formats);
  tcase_add_test (plain, test_interval);
  tcase_add_test (plain, test_async);
  tcase_add_test (plain, test_auto_mode);
  tcase_add_test (plain, test_states);
  tcase_add_test (plain, test_shared);
  tcase_add_test (plain, test_tee);
  tcase_add_test (plain, test_errors);
  tcase_add_test (plain, test_qos);
  tcase_add_test (plain, test_latency);
  tcase_add_test (plain, test_messages);
  tcase_add_test (plain, test_labels);
  tcase_add_test (plain, test_shared_config);
  tcase_add_test (plain, test_workspace);
  tcase_add_test (plain, test_labels_checked);
  tcase_add_test (plain, test_slow_load);
  suite_add_tcase (s, plain);
  return s;
}

int
main (int argc, char **argv)
{
  Suite *s;
  int failed;

  weights = g_getenv ("EFFNET_TEST_WEIGHTS");
  if (weights == NULL) {
    fprintf (stderr, "EFFNET_TEST_WEIGHTS must name the test weights\n");
    return 1;
  }
  gst_check_init (&argc, &argv);
  s = efficientnet_suite ();
  /* runs gst_deinit() at the end, so leak checkers see only real leaks */
  failed = gst_check_run_suite (s, "efficientnet", __FILE__);
  return failed;
}
