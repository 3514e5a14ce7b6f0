/* test_meta_contract.c — the efficientnet element writes, and the readers
 * (efficientnetoverlay, effnet-classify, applications) read, the same
 * metadata contract: gst-plugin/effnetmeta.{h,c}, compiled into this program
 * as into any reader outside the plugin.
 *
 * The element runs on real frames (untrained B0, EFFNET_TEST_WEIGHTS); its
 * meta, its ROI parameters and its element message are read back with the
 * effnetmeta read helpers only, and every field is checked against what the
 * element itself was set up with or computed: its name, its model, the frame
 * index, the built-in class names, the softmax of the logits it attached.
 * A buffer without the meta, and metas or parameters that break the
 * contract, read as FALSE.
 */
#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <gst/video/video.h>

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "checkutil.h"
#include "effnet.h"
#include "effnetmeta.h"

#define TOP_K 5

static const gchar *weights;

static GstHarness *
harness_new (const gchar * props, GstVideoInfo * info)
{
  gchar *desc = g_strdup_printf ("efficientnet name=classifier weights=%s %s",
      weights, props);
  GstElement *element = gst_parse_launch (desc, NULL);
  GstHarness *h;

  fail_unless (element != NULL, "%s", desc);
  h = gst_harness_new_with_element (element, "sink", "src");
  gst_object_unref (element);
  g_free (desc);
  harness_caps (h, info, "I420", 320, 240);
  return h;
}

static GstBuffer *
push_frame (GstHarness * h, const GstVideoInfo * info, guint seed,
    GstBuffer * (*decorate) (GstBuffer *))
{
  GstBuffer *buf = gst_harness_create_buffer (h, info->size);
  GstMapInfo map;
  gsize i;

  fail_unless (gst_buffer_map (buf, &map, GST_MAP_WRITE));
  for (i = 0; i < map.size; i++)
    map.data[i] = (guint8) ((i * 7 + seed * 37) ^ ((i / 320 + seed) * 29));
  gst_buffer_unmap (buf, &map);
  GST_BUFFER_PTS (buf) = gst_util_uint64_scale (seed, GST_SECOND, 30);
  GST_BUFFER_DURATION (buf) = GST_SECOND / 30;
  if (decorate != NULL)
    buf = decorate (buf);
  fail_unless_equals_int (gst_harness_push (h, buf), GST_FLOW_OK);
  buf = gst_harness_pull (h);
  fail_unless (buf != NULL);
  return buf;
}

/* The ranking read through the helpers is the element's: `top_k` entries
 * best first, the built-in class names, confidences that are the softmax of
 * `probs` (NULL: not checked), and top-1 equal to entry 0. */
static void
check_ranking (const GstEffnetMeta * m, const float *probs)
{
  gsize n = gst_effnet_meta_get_length (m), i;
  gdouble top;

  fail_unless_equals_int (n, TOP_K);
  for (i = 0; i < n; i++) {
    gint id = gst_effnet_meta_get_class_id (m, i);
    gdouble level = gst_effnet_meta_get_level (m, i);
    const gchar *label = gst_effnet_meta_get_label (m, i);

    fail_unless (id >= 0 && id < 1000, "entry %" G_GSIZE_FORMAT ": id %d",
        i, id);
    fail_unless (level >= 0.0 && level <= 1.0);
    if (i > 0)
      fail_unless (level <= gst_effnet_meta_get_level (m, i - 1));
    if (probs != NULL)
      fail_unless (level == (gdouble) probs[id], "entry %" G_GSIZE_FORMAT
          ": %g, softmax %g", i, level, probs[id]);
    fail_unless_equals_string (label, effnet_imagenet_label (id));
    fail_unless (gst_effnet_meta_get_quark (m, i) ==
        g_quark_from_string (effnet_imagenet_label (id)));
  }
  fail_unless_equals_string (gst_effnet_meta_get_top_label (m),
      gst_effnet_meta_get_label (m, 0));
  fail_unless_equals_int (gst_effnet_meta_get_top_class_id (m),
      gst_effnet_meta_get_class_id (m, 0));
  fail_unless (gst_effnet_meta_get_top_level (m, &top));
  fail_unless (top == gst_effnet_meta_get_level (m, 0));
  /* past the end */
  fail_unless (isnan (gst_effnet_meta_get_level (m, n)));
  fail_unless (gst_effnet_meta_get_label (m, n) == NULL);
  fail_unless (gst_effnet_meta_get_quark (m, n) == 0);
  fail_unless_equals_int (gst_effnet_meta_get_class_id (m, n), -1);
}

/* What a frame meta says about its source. */
static void
check_source (const GstEffnetMeta * m, gboolean stale, guint64 frame)
{
  gboolean s = !stale;
  guint64 f = 0, ns = 0;

  fail_unless_equals_string (gst_effnet_meta_get_model (m), "efficientnet-b0");
  fail_unless_equals_string (gst_effnet_meta_get_element (m), "classifier");
  fail_unless (gst_effnet_meta_get_stale (m, &s));
  fail_unless_equals_int (s, stale);
  fail_unless (gst_effnet_meta_get_source_frame (m, &f));
  fail_unless_equals_uint64 (f, frame);
  fail_unless (gst_effnet_meta_get_inference_ns (m, &ns));
  fail_unless (ns > 0);
}

/* Every field of a frame meta is one of the contract's (so readers miss
 * nothing the element writes). */
static gboolean
known_field (GQuark field, const GValue * value, gpointer user_data)
{
  static const gchar *names[] = { GST_EFFNET_FIELD_LABEL,
    GST_EFFNET_FIELD_CLASS_ID, GST_EFFNET_FIELD_SCORE,
    GST_EFFNET_FIELD_TOP_LABELS, GST_EFFNET_FIELD_TOP_CLASS_IDS,
    GST_EFFNET_FIELD_TOP_SCORES, GST_EFFNET_FIELD_LOGITS,
    GST_EFFNET_FIELD_MODEL, GST_EFFNET_FIELD_STALE,
    GST_EFFNET_FIELD_SOURCE_FRAME, GST_EFFNET_FIELD_INFERENCE_NS,
    GST_EFFNET_FIELD_ELEMENT, GST_EFFNET_FIELD_ROI_COUNT,
    GST_EFFNET_FIELD_ROI_SKIPPED, GST_EFFNET_FIELD_TIMESTAMP,
    GST_EFFNET_FIELD_STREAM_TIME, GST_EFFNET_FIELD_RUNNING_TIME,
    GST_EFFNET_ROI_FIELD_LABEL_ID, GST_EFFNET_ROI_FIELD_CONFIDENCE,
    GST_EFFNET_ROI_FIELD_MODEL,
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (names); i++)
    if (field == g_quark_from_string (names[i]))
      return TRUE;
  fail ("field %s is not in effnetmeta.h", g_quark_to_string (field));
  return FALSE;
}

static GstMessage *
pop_result_message (GstBus * bus)
{
  GstMessage *msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ELEMENT);

  fail_unless (msg != NULL, "no element message");
  fail_unless (gst_message_has_name (msg, GST_EFFNET_MESSAGE_NAME));
  return msg;
}

/* Full frames: the meta and the message of a classified frame and of a
 * stale one (inference-interval=2), with logits. */
GST_START_TEST (test_frame)
{
  GstVideoInfo info;
  GstHarness *h = harness_new ("attach-logits=true post-messages=true "
      "inference-interval=2 top-k=5 mode=sync", &info);
  GstBus *bus = gst_bus_new ();
  float logits[1000], probs[1000];
  guint frame, count, skipped;

  gst_element_set_bus (h->element, bus);
  for (frame = 0; frame < 2; frame++) {
    GstBuffer *buf = push_frame (h, &info, frame, NULL);
    GstMessage *msg = pop_result_message (bus);
    GstEffnetMeta m, mm;
    GstClockTime ts, st, rt;
    gsize i;

    fail_unless (gst_effnet_meta_from_buffer (buf, &m));
    fail_if (gst_effnet_meta_is_roi (&m));
    gst_structure_foreach (m.s, known_field, NULL);
    fail_unless_equals_int (gst_effnet_meta_get_n_logits (&m), 1000);
    for (i = 0; i < 1000; i++)
      logits[i] = gst_effnet_meta_get_logit (&m, i);
    fail_unless (isnan (gst_effnet_meta_get_logit (&m, 1000)));
    effnet_softmax (logits, 1000, probs);
    check_ranking (&m, probs);
    /* frame 1 carries frame 0's result */
    check_source (&m, frame == 1, 0);
    fail_if (gst_effnet_meta_get_roi_counts (&m, &count, &skipped));

    /* the message: the same result, plus the buffer's times */
    fail_unless (gst_effnet_meta_from_structure (gst_message_get_structure
            (msg), &mm));
    gst_structure_foreach (mm.s, known_field, NULL);
    check_ranking (&mm, probs);
    check_source (&mm, frame == 1, 0);
    for (i = 0; i < 1000; i++)
      fail_unless (gst_effnet_meta_get_logit (&mm, i) == logits[i]);
    fail_unless (gst_effnet_meta_get_timestamps (&mm, &ts, &st, &rt));
    fail_unless_equals_uint64 (ts, GST_BUFFER_PTS (buf));
    fail_unless_equals_uint64 (st, GST_BUFFER_PTS (buf));
    fail_unless_equals_uint64 (rt, GST_BUFFER_PTS (buf));
    fail_if (gst_effnet_meta_get_timestamps (&m, &ts, &st, &rt));

    gst_message_unref (msg);
    gst_buffer_unref (buf);
  }
  gst_element_set_bus (h->element, NULL);
  gst_object_unref (bus);
  gst_harness_teardown (h);
}

GST_END_TEST;

static GstBuffer *
add_two_rois (GstBuffer * buf)
{
  gst_buffer_add_video_region_of_interest_meta (buf, "cat", 10, 20, 100, 80);
  gst_buffer_add_video_region_of_interest_meta (buf, "dog", 150, 40, 160, 190);
  return buf;
}

/* roi-list: each region's parameter, and the frame meta's counts. */
GST_START_TEST (test_roi)
{
  GstVideoInfo info;
  GstHarness *h = harness_new ("inference-region=roi-list top-k=5", &info);
  GstBuffer *buf = push_frame (h, &info, 3, add_two_rois);
  GstVideoRegionOfInterestMeta *roi;
  gpointer state = NULL;
  GstEffnetMeta m;
  guint count = 0, skipped = 1, n = 0;

  fail_unless (gst_effnet_meta_from_buffer (buf, &m));
  gst_structure_foreach (m.s, known_field, NULL);
  fail_unless (gst_effnet_meta_get_roi_counts (&m, &count, &skipped));
  fail_unless_equals_int (count, 2);
  fail_unless_equals_int (skipped, 0);
  fail_unless_equals_int (gst_effnet_meta_get_length (&m), 0);
  fail_unless_equals_string (gst_effnet_meta_get_top_label (&m), "");
  fail_unless_equals_int (gst_effnet_meta_get_top_class_id (&m), -1);
  check_source (&m, FALSE, 0);

  while ((roi = (GstVideoRegionOfInterestMeta *)
          gst_buffer_iterate_meta_filtered (buf, &state,
              GST_VIDEO_REGION_OF_INTEREST_META_API_TYPE))) {
    GstEffnetMeta r;
    gboolean stale;

    fail_unless (gst_effnet_meta_from_roi (roi, &r));
    fail_unless (gst_effnet_meta_is_roi (&r));
    gst_structure_foreach (r.s, known_field, NULL);
    check_ranking (&r, NULL);
    fail_unless_equals_string (gst_effnet_meta_get_model (&r),
        "efficientnet-b0");
    fail_unless (gst_effnet_meta_get_n_logits (&r) == 0);
    fail_if (gst_effnet_meta_get_stale (&r, &stale));
    n++;
  }
  fail_unless_equals_int (n, 2);
  gst_buffer_unref (buf);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* A custom meta holding `s`'s fields on a new buffer. */
static GstBuffer *
buffer_with (GstStructure * s)
{
  GstBuffer *buf = gst_buffer_new ();

  fail_unless (gst_effnet_meta_add (buf, s) != NULL);
  gst_structure_free (s);
  return buf;
}

static gboolean
reads (GstBuffer * buf)
{
  GstEffnetMeta m = { NULL, FALSE };
  gboolean ok = gst_effnet_meta_from_buffer (buf, &m);

  /* a FALSE leaves the view untouched */
  fail_unless (ok || m.s == NULL);
  gst_buffer_unref (buf);
  return ok;
}

/* What is not the contract reads as FALSE, never as a crash. */
GST_START_TEST (test_malformed)
{
  static const gfloat levels[] = { 0.5f, 0.25f };
  static const gint ids[] = { 3, 7 };
  static const gchar *labels[] = { "three", "seven" };
  GstStructure *s;
  GstVideoRegionOfInterestMeta *roi;
  GstBuffer *buf;
  GstEffnetMeta m;
  gboolean b = TRUE;
  guint64 u = 42;
  guint c = 9, k = 9;

  gst_effnet_meta_register ();
  fail_unless (gst_effnet_meta_register () == gst_effnet_meta_register ());

  /* no buffer, no meta, no structure */
  fail_if (gst_effnet_meta_from_buffer (NULL, &m));
  fail_if (reads (gst_buffer_new ()));
  fail_if (gst_effnet_meta_from_structure (NULL, &m));
  fail_if (gst_effnet_meta_from_roi (NULL, &m));

  /* an empty meta; top-1 missing or of the wrong type */
  fail_if (reads (buffer_with (gst_structure_new_empty ("x"))));
  fail_if (reads (buffer_with (gst_structure_new ("x",
                  GST_EFFNET_FIELD_LABEL, G_TYPE_STRING, "a", NULL))));
  fail_if (reads (buffer_with (gst_structure_new ("x",
                  GST_EFFNET_FIELD_LABEL, G_TYPE_INT, 1,
                  GST_EFFNET_FIELD_CLASS_ID, G_TYPE_INT, 1, NULL))));
  fail_if (reads (buffer_with (gst_structure_new ("x",
                  GST_EFFNET_FIELD_LABEL, G_TYPE_STRING, "a",
                  GST_EFFNET_FIELD_CLASS_ID, G_TYPE_STRING, "1", NULL))));

  /* the ranking not an array, or arrays of different lengths */
  s = gst_effnet_meta_structure_new ();
  gst_effnet_meta_set_classes (s, 2, levels, ids, labels);
  gst_structure_set (s, GST_EFFNET_FIELD_TOP_LABELS, G_TYPE_STRING, "a", NULL);
  fail_if (reads (buffer_with (s)));
  s = gst_effnet_meta_structure_new ();
  gst_effnet_meta_set_classes (s, 2, levels, ids, labels);
  gst_structure_set (s, GST_EFFNET_FIELD_TOP_SCORES, G_TYPE_DOUBLE, 0.5, NULL);
  fail_if (reads (buffer_with (s)));
  s = gst_effnet_meta_structure_new ();
  gst_effnet_meta_set_classes (s, 2, levels, ids, labels);
  {
    GstStructure *one = gst_effnet_meta_structure_new ();

    gst_effnet_meta_set_classes (one, 1, levels, ids, labels);
    gst_structure_set_value (s, GST_EFFNET_FIELD_TOP_CLASS_IDS,
        gst_structure_get_value (one, GST_EFFNET_FIELD_TOP_CLASS_IDS));
    gst_structure_free (one);
  }
  fail_if (reads (buffer_with (s)));

  /* a bare ranking reads; what it lacks reads as absent */
  s = gst_effnet_meta_structure_new ();
  gst_effnet_meta_set_classes (s, 2, levels, ids, labels);
  buf = buffer_with (s);
  fail_unless (gst_effnet_meta_from_buffer (buf, &m));
  fail_unless_equals_int (gst_effnet_meta_get_length (&m), 2);
  fail_unless_equals_string (gst_effnet_meta_get_label (&m, 1), "seven");
  fail_unless_equals_int (gst_effnet_meta_get_class_id (&m, 1), 7);
  fail_unless (gst_effnet_meta_get_level (&m, 1) == 0.25);
  fail_unless (gst_effnet_meta_get_model (&m) == NULL);
  fail_unless (gst_effnet_meta_get_element (&m) == NULL);
  fail_if (gst_effnet_meta_get_stale (&m, &b));
  fail_if (gst_effnet_meta_get_source_frame (&m, &u));
  fail_if (gst_effnet_meta_get_inference_ns (&m, &u));
  fail_if (gst_effnet_meta_get_roi_counts (&m, &c, &k));
  fail_unless (b && u == 42 && c == 9 && k == 9);
  fail_unless_equals_int (gst_effnet_meta_get_n_logits (&m), 0);
  fail_unless (isnan (gst_effnet_meta_get_logit (&m, 0)));
  gst_buffer_unref (buf);

  /* a region without our parameter, or with a broken one */
  buf = gst_buffer_new ();
  roi = gst_buffer_add_video_region_of_interest_meta (buf, "cat", 0, 0, 4, 4);
  fail_if (gst_effnet_meta_from_roi (roi, &m));
  gst_video_region_of_interest_meta_add_param (roi,
      gst_structure_new (GST_EFFNET_ROI_PARAM_NAME, GST_EFFNET_FIELD_LABEL,
          G_TYPE_STRING, "a", NULL));
  fail_if (gst_effnet_meta_from_roi (roi, &m));
  gst_buffer_unref (buf);

  /* a ROI parameter takes the ROI field names */
  s = gst_effnet_roi_param_new ("m");
  gst_effnet_meta_set_classes (s, 2, levels, ids, labels);
  fail_unless (gst_structure_has_field (s, GST_EFFNET_ROI_FIELD_LABEL_ID));
  fail_unless (gst_structure_has_field (s, GST_EFFNET_ROI_FIELD_CONFIDENCE));
  fail_if (gst_structure_has_field (s, GST_EFFNET_FIELD_CLASS_ID));
  fail_unless (gst_effnet_meta_from_structure (s, &m));
  fail_unless_equals_int (gst_effnet_meta_get_top_class_id (&m), 3);
  fail_unless_equals_string (gst_effnet_meta_get_model (&m), "m");
  gst_structure_free (s);
}

GST_END_TEST;

static Suite *
meta_contract_suite (void)
{
  Suite *s = suite_create ("meta-contract");
  TCase *tc = tcase_create ("contract");

  tcase_set_timeout (tc, 300);
  tcase_add_test (tc, test_frame);
  tcase_add_test (tc, test_roi);
  tcase_add_test (tc, test_malformed);
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
  s = meta_contract_suite ();
  return gst_check_run_suite (s, "meta-contract", __FILE__);
}
