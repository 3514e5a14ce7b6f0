/* test_analytics.c — the results as GStreamer's analytics metadata (built
 * against GStreamer >= 1.24 only; scripts/test-gst-latest.sh runs it in a
 * Debian 13 root with 1.26).
 *
 *  - cls: every buffer leaving the element carries, besides the
 *    EfficientNetClassification meta, one GstAnalyticsClsMtd with the same
 *    ranking (confidences and label quarks, best first); an empty ranking
 *    (threshold above every score) adds none.
 *  - roi: in roi-list mode each classified region gets a ClsMtd with its
 *    "classification" parameter's ranking, related (RELATE_TO, both ways) to
 *    the detector's object-detection Mtd at that region; a region without one
 *    and a detection elsewhere stay unrelated.
 *  - overlay: efficientnetoverlay draws a ClsMtd alone (no custom meta) and a
 *    detection's related ClsMtd as a labelled box.
 */
#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <gst/video/video.h>
#include <gst/analytics/analytics.h>

#include <stdio.h>
#include <string.h>

#include "checkutil.h"

#define ROI_PARAM "classification"

static const gchar *weights;

static GstHarness *
harness_new (const gchar * props, GstVideoInfo * info)
{
  gchar *desc = g_strdup_printf ("efficientnet weights=%s %s", weights, props);
  GstElement *element = gst_parse_launch (desc, NULL);
  GstHarness *h;

  fail_unless (element != NULL, "%s", desc);
  h = gst_harness_new_with_element (element, "sink", "src");
  gst_object_unref (element);
  g_free (desc);
  harness_caps (h, info, "RGB", 320, 240);
  return h;
}

static GstBuffer *
make_frame (GstHarness * h, const GstVideoInfo * info, guint seed)
{
  GstBuffer *buf = gst_harness_create_buffer (h, info->size);
  GstMapInfo map;
  gsize i;

  fail_unless (gst_buffer_map (buf, &map, GST_MAP_WRITE));
  for (i = 0; i < map.size; i++)
    map.data[i] = (guint8) ((i * 7 + seed * 37) ^ ((i / 960 + seed) * 29));
  gst_buffer_unmap (buf, &map);
  GST_BUFFER_PTS (buf) = gst_util_uint64_scale (seed, GST_SECOND, 30);
  GST_BUFFER_DURATION (buf) = GST_SECOND / 30;
  return buf;
}

/* The ClsMtds of a buffer, in the order they were added. */
static GArray *
cls_mtds (GstBuffer * buf)
{
  GstAnalyticsRelationMeta *rmeta =
      gst_buffer_get_analytics_relation_meta (buf);
  GArray *all = g_array_new (FALSE, FALSE, sizeof (GstAnalyticsClsMtd));
  GstAnalyticsClsMtd cls;
  gpointer state = NULL;

  while (rmeta != NULL && gst_analytics_relation_meta_iterate (rmeta, &state,
          gst_analytics_cls_mtd_get_mtd_type (), &cls))
    g_array_append_val (all, cls);
  return all;
}

/* The ClsMtd holds the result's ranking: top-scores and top-labels. */
static void
check_same_ranking (const GstAnalyticsClsMtd * cls, const GstStructure * s)
{
  const GValue *scores = gst_structure_get_value (s, "top-scores");
  const GValue *labels = gst_structure_get_value (s, "top-labels");
  guint n, i;

  fail_unless (scores != NULL && labels != NULL);
  n = gst_value_array_get_size (scores);
  fail_unless (n > 0);
  fail_unless_equals_int (gst_analytics_cls_mtd_get_length (cls), n);
  for (i = 0; i < n; i++) {
    gdouble score = g_value_get_double (gst_value_array_get_value (scores, i));
    const gchar *label =
        g_value_get_string (gst_value_array_get_value (labels, i));

    fail_unless_equals_float (gst_analytics_cls_mtd_get_level (cls, i),
        (gfloat) score);
    fail_unless_equals_string (g_quark_to_string
        (gst_analytics_cls_mtd_get_quark (cls, i)), label);
    if (i > 0)
      fail_unless (gst_analytics_cls_mtd_get_level (cls, i) <=
          gst_analytics_cls_mtd_get_level (cls, i - 1));
  }
}

GST_START_TEST (test_cls)
{
  GstVideoInfo info;
  GstHarness *h = harness_new ("mode=sync top-k=5", &info);
  GstBuffer *out;
  GArray *all;
  guint i;

  for (i = 0; i < 3; i++) {
    fail_unless_equals_int (gst_harness_push (h, make_frame (h, &info, i)),
        GST_FLOW_OK);
    out = gst_harness_pull (h);
    all = cls_mtds (out);
    fail_unless_equals_int (all->len, 1);
    fail_unless_equals_int (gst_analytics_cls_mtd_get_length (&g_array_index
            (all, GstAnalyticsClsMtd, 0)), 5);
    check_same_ranking (&g_array_index (all, GstAnalyticsClsMtd, 0),
        frame_meta (out));
    g_array_unref (all);
    gst_buffer_unref (out);
  }

  /* nothing reported: no ClsMtd (the custom meta says so on its own) */
  g_object_set (h->element, "threshold", 1.0, NULL);
  fail_unless_equals_int (gst_harness_push (h, make_frame (h, &info, 9)),
      GST_FLOW_OK);
  out = gst_harness_pull (h);
  all = cls_mtds (out);
  fail_unless_equals_int (all->len, 0);
  fail_unless (gst_buffer_get_custom_meta (out, META_NAME) != NULL);
  g_array_unref (all);
  gst_buffer_unref (out);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* Regions get ids 0, 1, ... in the order they are added. */
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

static GstAnalyticsODMtd
add_od (GstBuffer * buf, const gchar * type, gint x, gint y, gint w, gint hgt)
{
  GstAnalyticsRelationMeta *rmeta =
      gst_buffer_get_analytics_relation_meta (buf);
  GstAnalyticsODMtd od;

  if (rmeta == NULL)
    rmeta = gst_buffer_add_analytics_relation_meta (buf);
  fail_unless (gst_analytics_relation_meta_add_od_mtd (rmeta,
          g_quark_from_string (type), x, y, w, hgt, 0.9f, &od));
  return od;
}

/* The ClsMtd related to `od` (fails the test when there is none, or more). */
static GstAnalyticsClsMtd
related_cls (GstBuffer * buf, const GstAnalyticsODMtd * od)
{
  GArray *all = cls_mtds (buf);
  GstAnalyticsClsMtd found = { 0, NULL };
  guint i, n = 0;

  for (i = 0; i < all->len; i++) {
    GstAnalyticsClsMtd *cls = &g_array_index (all, GstAnalyticsClsMtd, i);
    GstAnalyticsRelTypes a =
        gst_analytics_relation_meta_get_relation (cls->meta,
        od->id, cls->id);
    GstAnalyticsRelTypes b =
        gst_analytics_relation_meta_get_relation (cls->meta,
        cls->id, od->id);

    if (a == GST_ANALYTICS_REL_TYPE_NONE && b == GST_ANALYTICS_REL_TYPE_NONE)
      continue;
    fail_unless_equals_int (a, GST_ANALYTICS_REL_TYPE_RELATE_TO);
    fail_unless_equals_int (b, GST_ANALYTICS_REL_TYPE_RELATE_TO);
    found = *cls;
    n++;
  }
  g_array_unref (all);
  fail_unless_equals_int (n, 1);
  return found;
}

static gboolean
cls_related_to_any_od (GstBuffer * buf, const GstAnalyticsClsMtd * cls)
{
  GstAnalyticsRelationMeta *rmeta =
      gst_buffer_get_analytics_relation_meta (buf);
  GstAnalyticsODMtd od;
  gpointer state = NULL;

  while (gst_analytics_relation_meta_iterate (rmeta, &state,
          gst_analytics_od_mtd_get_mtd_type (), &od)) {
    if (gst_analytics_relation_meta_get_relation (rmeta, od.id, cls->id) !=
        GST_ANALYTICS_REL_TYPE_NONE ||
        gst_analytics_relation_meta_get_relation (rmeta, cls->id, od.id) !=
        GST_ANALYTICS_REL_TYPE_NONE)
      return TRUE;
  }
  return FALSE;
}

static const GstStructure *
roi_param (GstBuffer * buf, gint id)
{
  GstVideoRegionOfInterestMeta *roi =
      gst_buffer_get_video_region_of_interest_meta_id (buf, id);
  GstStructure *s;

  fail_unless (roi != NULL);
  s = gst_video_region_of_interest_meta_get_param (roi, ROI_PARAM);
  fail_unless (s != NULL, "region %d not classified", id);
  return s;
}

GST_START_TEST (test_roi)
{
  GstVideoInfo info;
  GstHarness *h = harness_new ("inference-region=roi-list top-k=3", &info);
  GstBuffer *in, *out;
  GstAnalyticsODMtd car, person, decoy;
  GstAnalyticsClsMtd cls;
  GArray *all;
  guint i, unrelated = 0;

  in = make_frame (h, &info, 1);
  /* what a detector leaves: ROI metas, and ODMtds at the same places */
  add_roi (in, "car", 10, 20, 100, 80);
  add_roi (in, "person", 150, 100, 200, 200);
  add_roi (in, "dog", 0, 0, 64, 64);
  car = add_od (in, "car", 10, 20, 100, 80);
  person = add_od (in, "person", 150, 100, 200, 200);
  decoy = add_od (in, "car", 11, 20, 100, 80);  /* no region there */
  fail_unless_equals_int (gst_harness_push (h, in), GST_FLOW_OK);
  out = gst_harness_pull (h);
  car.meta = person.meta = decoy.meta =
      gst_buffer_get_analytics_relation_meta (out);

  all = cls_mtds (out);
  fail_unless_equals_int (all->len, 3);
  /* the frame has no ranking in roi-list mode: every ClsMtd is a region's */
  cls = related_cls (out, &car);
  check_same_ranking (&cls, roi_param (out, 0));
  fail_unless_equals_int (gst_analytics_cls_mtd_get_length (&cls), 3);
  cls = related_cls (out, &person);
  check_same_ranking (&cls, roi_param (out, 1));
  for (i = 0; i < all->len; i++) {
    GstAnalyticsClsMtd *c = &g_array_index (all, GstAnalyticsClsMtd, i);

    fail_unless (gst_analytics_relation_meta_get_relation (c->meta, decoy.id,
            c->id) == GST_ANALYTICS_REL_TYPE_NONE);
    if (!cls_related_to_any_od (out, c)) {
      check_same_ranking (c, roi_param (out, 2));       /* the dog */
      unrelated++;
    }
  }
  fail_unless_equals_int (unrelated, 1);
  g_array_unref (all);
  gst_buffer_unref (out);

  /* regions without any relation meta: ClsMtds all the same, unrelated */
  in = make_frame (h, &info, 2);
  add_roi (in, "car", 10, 20, 100, 80);
  fail_unless_equals_int (gst_harness_push (h, in), GST_FLOW_OK);
  out = gst_harness_pull (h);
  all = cls_mtds (out);
  fail_unless_equals_int (all->len, 1);
  check_same_ranking (&g_array_index (all, GstAnalyticsClsMtd, 0),
      roi_param (out, 0));
  g_array_unref (all);
  gst_buffer_unref (out);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* ---- efficientnetoverlay reads ClsMtd too ---- */

/* The frame through efficientnetoverlay (caller unrefs). */
static GstBuffer *
overlay (GstBuffer * in)
{
  GstHarness *h = gst_harness_new_parse ("efficientnetoverlay");
  GstVideoInfo info;
  GstBuffer *out;

  harness_caps (h, &info, "RGB", 320, 240);
  fail_unless_equals_int (gst_harness_push (h, gst_buffer_copy_deep (in)),
      GST_FLOW_OK);
  out = gst_harness_pull (h);
  gst_harness_teardown (h);
  return out;
}

/* Pixels (RGB, 320 wide) of `b` that differ from `a`: all of them, or the
 * one at (x, y) when x >= 0. */
static guint
changed (GstBuffer * a, GstBuffer * b, gint x, gint y)
{
  GstMapInfo ma, mb;
  gsize i, n = 0;

  fail_unless (gst_buffer_map (a, &ma, GST_MAP_READ));
  fail_unless (gst_buffer_map (b, &mb, GST_MAP_READ));
  fail_unless_equals_int (ma.size, mb.size);
  for (i = 0; i + 3 <= ma.size; i += 3) {
    if (x >= 0 && i != ((gsize) y * 320 + x) * 3)
      continue;
    n += memcmp (ma.data + i, mb.data + i, 3) != 0;
  }
  gst_buffer_unmap (a, &ma);
  gst_buffer_unmap (b, &mb);
  return n;
}

GST_START_TEST (test_overlay)
{
  GstVideoInfo info;
  GstHarness *src = harness_new ("mode=sync", &info);
  GstBuffer *plain = make_frame (src, &info, 3), *frame, *boxed, *out;
  GstAnalyticsRelationMeta *rmeta;
  GstAnalyticsClsMtd cls;
  GstAnalyticsODMtd od;
  gfloat levels[2] = { 0.75f, 0.25f };
  GQuark quarks[2];

  quarks[0] = g_quark_from_string ("tabby");
  quarks[1] = g_quark_from_string ("tiger cat");

  /* nothing to draw */
  out = overlay (plain);
  fail_unless_equals_int (changed (plain, out, -1, 0), 0);
  gst_buffer_unref (out);

  /* a frame ClsMtd only, as another classifier would leave it: text, no box */
  frame = gst_buffer_copy_deep (plain);
  rmeta = gst_buffer_add_analytics_relation_meta (frame);
  fail_unless (gst_analytics_relation_meta_add_cls_mtd (rmeta, 2, levels,
          quarks, &cls));
  out = overlay (frame);
  fail_unless (changed (plain, out, -1, 0) > 0, "the overlay ignored a ClsMtd");
  fail_unless_equals_int (changed (plain, out, 100, 200), 0);
  gst_buffer_unref (out);

  /* a detection with its classification: a box (its left edge at x = 100) */
  boxed = gst_buffer_copy_deep (plain);
  rmeta = gst_buffer_add_analytics_relation_meta (boxed);
  fail_unless (gst_analytics_relation_meta_add_od_mtd (rmeta,
          g_quark_from_string ("cat"), 100, 60, 120, 160, 0.9f, &od));
  fail_unless (gst_analytics_relation_meta_add_cls_mtd (rmeta, 2, levels,
          quarks, &cls));
  fail_unless (gst_analytics_relation_meta_set_relation (rmeta,
          GST_ANALYTICS_REL_TYPE_RELATE_TO, od.id, cls.id));
  out = overlay (boxed);
  fail_unless_equals_int (changed (plain, out, 100, 200), 1);
  gst_buffer_unref (out);

  gst_buffer_unref (plain);
  gst_buffer_unref (frame);
  gst_buffer_unref (boxed);
  gst_harness_teardown (src);
}

GST_END_TEST;

static Suite *
analytics_suite (void)
{
  Suite *s = suite_create ("efficientnet-analytics");
  TCase *tc = tcase_create ("analytics");

  tcase_set_timeout (tc, 300);
  tcase_add_test (tc, test_cls);
  tcase_add_test (tc, test_roi);
  tcase_add_test (tc, test_overlay);
  suite_add_tcase (s, tc);
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
  s = analytics_suite ();
  failed = gst_check_run_suite (s, "efficientnet-analytics", __FILE__);
  return failed ? 1 : 0;
}
