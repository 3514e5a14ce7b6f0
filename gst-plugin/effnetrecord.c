/* GStreamer EfficientNet classifier
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* effnetrecord.c — a buffer's results as one JSON record (effnetrecord.h).
 * The results are read through effnetmeta; the JSON field names are written
 * here and nowhere else. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "effnetrecord.h"
#include "effnetmeta.h"

#include <math.h>

GstClockTime
gst_effnet_record_stream_time (const GstSegment * segment, GstClockTime pts)
{
  guint64 t;

  if (!GST_CLOCK_TIME_IS_VALID (pts))
    return GST_CLOCK_TIME_NONE;
  if (segment == NULL || segment->format != GST_FORMAT_TIME)
    return pts;
  /* as DL Streamer's gvametaconvert computes it: the stream time less the
   * segment's time (the PTS itself for the usual segment from 0) */
  t = gst_segment_to_stream_time (segment, GST_FORMAT_TIME, pts);
  if (!GST_CLOCK_TIME_IS_VALID (t) || t < segment->time)
    return GST_CLOCK_TIME_NONE;
  return t - segment->time;
}

gboolean
gst_effnet_record_is_new (GstBuffer * buf, guint64 * last_source_frame)
{
  GstEffnetMeta meta;
  guint64 frame;

  if (!gst_effnet_meta_from_buffer (buf, &meta) ||
      !gst_effnet_meta_get_source_frame (&meta, &frame) ||
      frame == GST_EFFNET_NO_FRAME || frame == *last_source_frame)
    return FALSE;
  *last_source_frame = frame;
  return TRUE;
}

/* A string for JSON, which must be UTF-8: invalid UTF-8 becomes U+FFFD. */
static void
add_string (JsonBuilder * b, const gchar * name, const gchar * s)
{
  gchar *valid = g_utf8_make_valid (s != NULL ? s : "", -1);

  json_builder_set_member_name (b, name);
  json_builder_add_string_value (b, valid);
  g_free (valid);
}

static void
add_int (JsonBuilder * b, const gchar * name, gint64 v)
{
  json_builder_set_member_name (b, name);
  json_builder_add_int_value (b, v);
}

/* A confidence: NaN or infinite (never from a softmax; not JSON) is null. */
static void
add_level (JsonBuilder * b, const gchar * name, gdouble v)
{
  json_builder_set_member_name (b, name);
  if (isfinite (v))
    json_builder_add_double_value (b, v);
  else
    json_builder_add_null_value (b);
}

/* The "classification" attribute of an object: top-1 as DL Streamer writes
 * a classification, and with the effnet format the whole ranking. */
static void
add_classification (JsonBuilder * b, const GstEffnetMeta * meta,
    GstEffnetRecordFormat format)
{
  gsize n = gst_effnet_meta_get_length (meta), i;

  json_builder_set_member_name (b, "classification");
  json_builder_begin_object (b);
  add_string (b, "label", gst_effnet_meta_get_label (meta, 0));
  add_int (b, "label_id", gst_effnet_meta_get_class_id (meta, 0));
  add_level (b, "confidence", gst_effnet_meta_get_level (meta, 0));
  json_builder_set_member_name (b, "model");
  json_builder_begin_object (b);
  add_string (b, "name", gst_effnet_meta_get_model (meta));
  json_builder_end_object (b);
  if (format == GST_EFFNET_RECORD_EFFNET) {
    json_builder_set_member_name (b, "top");
    json_builder_begin_array (b);
    for (i = 0; i < n; i++) {
      json_builder_begin_object (b);
      add_string (b, "label", gst_effnet_meta_get_label (meta, i));
      add_int (b, "label_id", gst_effnet_meta_get_class_id (meta, i));
      add_level (b, "confidence", gst_effnet_meta_get_level (meta, i));
      json_builder_end_object (b);
    }
    json_builder_end_array (b);
  }
  json_builder_end_object (b);
}

static void
begin_object (JsonBuilder * b, guint x, guint y, guint w, guint h)
{
  json_builder_begin_object (b);
  add_int (b, "x", x);
  add_int (b, "y", y);
  add_int (b, "w", w);
  add_int (b, "h", h);
}

/* One object per region of interest, classified or not (DL Streamer lists
 * every region). */
static void
add_roi_objects (JsonBuilder * b, GstBuffer * buf, GstEffnetRecordFormat format)
{
  gpointer state = NULL;
  GstMeta *m;

  while ((m = gst_buffer_iterate_meta_filtered (buf, &state,
              GST_VIDEO_REGION_OF_INTEREST_META_API_TYPE)) != NULL) {
    GstVideoRegionOfInterestMeta *roi = (GstVideoRegionOfInterestMeta *) m;
    GstEffnetMeta cls;

    begin_object (b, roi->x, roi->y, roi->w, roi->h);
    if (roi->roi_type != 0)
      add_string (b, "roi_type", g_quark_to_string (roi->roi_type));
    if (gst_effnet_meta_from_roi (roi, &cls)
        && gst_effnet_meta_get_length (&cls) > 0)
      add_classification (b, &cls, format);
    json_builder_end_object (b);
  }
}

gboolean
gst_effnet_record_append (GString * out, GstEffnetRecordFormat format,
    GstBuffer * buf, const GstEffnetRecordFrame * frame)
{
  GstEffnetMeta meta;
  JsonBuilder *b;
  JsonNode *root;
  guint roi_count, roi_skipped;
  gboolean rois, stale;
  guint64 v;

  if (!gst_effnet_meta_from_buffer (buf, &meta))
    return FALSE;
  rois = gst_effnet_meta_get_roi_counts (&meta, &roi_count, &roi_skipped);

  b = json_builder_new ();
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "resolution");
  json_builder_begin_object (b);
  add_int (b, "width", frame->width);
  add_int (b, "height", frame->height);
  json_builder_end_object (b);
  if (GST_CLOCK_TIME_IS_VALID (frame->timestamp))
    add_int (b, "timestamp", (gint64) frame->timestamp);
  if (frame->source != NULL)
    add_string (b, "source", frame->source);
  json_builder_set_member_name (b, "objects");
  json_builder_begin_array (b);
  if (rois)
    add_roi_objects (b, buf, format);
  else if (gst_effnet_meta_get_length (&meta) > 0) {
    /* a full-frame result: an object covering the frame */
    begin_object (b, 0, 0, (guint) MAX (frame->width, 0),
        (guint) MAX (frame->height, 0));
    add_classification (b, &meta, format);
    json_builder_end_object (b);
  }
  json_builder_end_array (b);

  if (format == GST_EFFNET_RECORD_EFFNET) {
    if (gst_effnet_meta_get_source_frame (&meta, &v)
        && v != GST_EFFNET_NO_FRAME)
      add_int (b, "frame", (gint64) v);
    if (gst_effnet_meta_get_stale (&meta, &stale)) {
      json_builder_set_member_name (b, "stale");
      json_builder_add_boolean_value (b, stale);
    }
    if (gst_effnet_meta_get_inference_ns (&meta, &v))
      add_int (b, "inference_ns", (gint64) MIN (v, (guint64) G_MAXINT64));
    if (gst_effnet_meta_get_model (&meta) != NULL)
      add_string (b, "model", gst_effnet_meta_get_model (&meta));
    if (gst_effnet_meta_get_element (&meta) != NULL)
      add_string (b, "element", gst_effnet_meta_get_element (&meta));
    if (rois) {
      add_int (b, "roi_count", roi_count);
      add_int (b, "roi_skipped", roi_skipped);
    }
  }
  json_builder_end_object (b);

  root = json_builder_get_root (b);
  gst_effnet_json_append (out, root);
  g_string_append_c (out, '\n');
  json_node_unref (root);
  g_object_unref (b);
  return TRUE;
}

void
gst_effnet_json_append (GString * out, JsonNode * root)
{
  JsonGenerator *gen = json_generator_new ();
  gsize start = out->len, j;

  json_generator_set_root (gen, root);
  json_generator_to_gstring (gen, out);
  /* json-glib (1.6) writes U+001F as it is, which JSON does not allow in a
   * string (and nowhere else does it write that byte). */
  for (j = start; j < out->len; j++)
    if (out->str[j] == '\x1f') {
      out->str[j] = '\\';
      g_string_insert (out, j + 1, "u001f");
    }
  g_object_unref (gen);
}
