/* GStreamer EfficientNet classifier
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* effnetmeta.c — the metadata contract, written and read (effnetmeta.h). The
 * only file that spells the field names; GStreamer only. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "effnetmeta.h"

#include <math.h>

const GstMetaInfo *
gst_effnet_meta_register (void)
{
  static const gchar *tags[] = { NULL };
  static gsize info = 0;

  /* another copy of this module (a program reading the plugin's metas) may
   * have registered it first */
  if (g_once_init_enter (&info)) {
    const GstMetaInfo *found = gst_meta_get_info (GST_EFFNET_META_NAME);

    if (found == NULL)
      found = gst_meta_register_custom (GST_EFFNET_META_NAME, tags, NULL,
          NULL, NULL);
    g_once_init_leave (&info, (gsize) found);
  }
  return (const GstMetaInfo *) info;
}

/* ---- writing ---- */

static void
array_take (GValue * array, GValue * v)
{
  gst_value_array_append_and_take_value (array, v);
}

static void
array_add_string (GValue * array, const gchar * s)
{
  GValue v = G_VALUE_INIT;

  g_value_init (&v, G_TYPE_STRING);
  g_value_set_string (&v, s);
  array_take (array, &v);
}

static void
array_add_int (GValue * array, gint i)
{
  GValue v = G_VALUE_INIT;

  g_value_init (&v, G_TYPE_INT);
  g_value_set_int (&v, i);
  array_take (array, &v);
}

static void
array_add_double (GValue * array, gdouble d)
{
  GValue v = G_VALUE_INIT;

  g_value_init (&v, G_TYPE_DOUBLE);
  g_value_set_double (&v, d);
  array_take (array, &v);
}

static void
array_add_float (GValue * array, gfloat f)
{
  GValue v = G_VALUE_INIT;

  g_value_init (&v, G_TYPE_FLOAT);
  g_value_set_float (&v, f);
  array_take (array, &v);
}

static gboolean
is_roi_param (const GstStructure * s)
{
  return gst_structure_has_name (s, GST_EFFNET_ROI_PARAM_NAME);
}

GstStructure *
gst_effnet_meta_structure_new (void)
{
  return gst_structure_new_empty (GST_EFFNET_MESSAGE_NAME);
}

GstStructure *
gst_effnet_roi_param_new (const gchar * model)
{
  return gst_structure_new (GST_EFFNET_ROI_PARAM_NAME,
      GST_EFFNET_ROI_FIELD_MODEL, G_TYPE_STRING, model, NULL);
}

void
gst_effnet_meta_set_roi_counts (GstStructure * s, guint count, guint skipped)
{
  gst_structure_set (s, GST_EFFNET_FIELD_ROI_COUNT, G_TYPE_UINT, count,
      GST_EFFNET_FIELD_ROI_SKIPPED, G_TYPE_UINT, skipped, NULL);
}

void
gst_effnet_meta_set_classes (GstStructure * s, gsize length,
    const gfloat * levels, const gint * class_ids, const gchar * const *labels)
{
  GValue l = G_VALUE_INIT, ids = G_VALUE_INIT, scores = G_VALUE_INIT;
  gboolean roi = is_roi_param (s);
  gsize i;

  g_value_init (&l, GST_TYPE_ARRAY);
  g_value_init (&ids, GST_TYPE_ARRAY);
  g_value_init (&scores, GST_TYPE_ARRAY);
  for (i = 0; i < length; i++) {
    array_add_string (&l, labels[i]);
    array_add_int (&ids, class_ids[i]);
    array_add_double (&scores, levels[i]);
  }
  gst_structure_set (s,
      GST_EFFNET_FIELD_LABEL, G_TYPE_STRING, length ? labels[0] : "",
      roi ? GST_EFFNET_ROI_FIELD_LABEL_ID : GST_EFFNET_FIELD_CLASS_ID,
      G_TYPE_INT, length ? class_ids[0] : -1,
      roi ? GST_EFFNET_ROI_FIELD_CONFIDENCE : GST_EFFNET_FIELD_SCORE,
      G_TYPE_DOUBLE, length ? (gdouble) levels[0] : 0.0, NULL);
  gst_structure_take_value (s, GST_EFFNET_FIELD_TOP_LABELS, &l);
  gst_structure_take_value (s, GST_EFFNET_FIELD_TOP_CLASS_IDS, &ids);
  gst_structure_take_value (s, GST_EFFNET_FIELD_TOP_SCORES, &scores);
}

void
gst_effnet_meta_set_logits (GstStructure * s, gsize n, const gfloat * logits)
{
  GValue all = G_VALUE_INIT;
  gsize i;

  g_value_init (&all, GST_TYPE_ARRAY);
  for (i = 0; i < n; i++)
    array_add_float (&all, logits[i]);
  gst_structure_take_value (s, GST_EFFNET_FIELD_LOGITS, &all);
}

void
gst_effnet_meta_set_source (GstStructure * s, const gchar * model,
    gboolean stale, guint64 source_frame, guint64 inference_ns,
    const gchar * element)
{
  gst_structure_set (s, GST_EFFNET_FIELD_MODEL, G_TYPE_STRING, model,
      GST_EFFNET_FIELD_STALE, G_TYPE_BOOLEAN, stale,
      GST_EFFNET_FIELD_SOURCE_FRAME, G_TYPE_UINT64, source_frame,
      GST_EFFNET_FIELD_INFERENCE_NS, G_TYPE_UINT64, inference_ns,
      GST_EFFNET_FIELD_ELEMENT, G_TYPE_STRING, element, NULL);
}

void
gst_effnet_meta_set_timestamps (GstStructure * s, GstClockTime timestamp,
    GstClockTime stream_time, GstClockTime running_time)
{
  gst_structure_set (s, GST_EFFNET_FIELD_TIMESTAMP, G_TYPE_UINT64, timestamp,
      GST_EFFNET_FIELD_STREAM_TIME, G_TYPE_UINT64, stream_time,
      GST_EFFNET_FIELD_RUNNING_TIME, G_TYPE_UINT64, running_time, NULL);
}

static gboolean
copy_field (GQuark field, const GValue * value, gpointer user_data)
{
  gst_structure_id_set_value (user_data, field, value);
  return TRUE;
}

GstCustomMeta *
gst_effnet_meta_add (GstBuffer * buf, const GstStructure * s)
{
  GstCustomMeta *meta;

  gst_effnet_meta_register ();
  meta = gst_buffer_add_custom_meta (buf, GST_EFFNET_META_NAME);
  if (meta != NULL)
    gst_structure_foreach (s, copy_field, gst_custom_meta_get_structure (meta));
  return meta;
}

/* ---- reading ---- */

/* An array field, NULL when absent or not an array. */
static const GValue *
array_field (const GstEffnetMeta * meta, const gchar * name)
{
  const GValue *v = gst_structure_get_value (meta->s, name);

  return v != NULL && GST_VALUE_HOLDS_ARRAY (v) ? v : NULL;
}

/* Entry `index` of an array field, NULL when absent or out of range. */
static const GValue *
array_item (const GstEffnetMeta * meta, const gchar * name, gsize index)
{
  const GValue *v = array_field (meta, name);

  return v != NULL && index < gst_value_array_get_size (v) ?
      gst_value_array_get_value (v, (guint) index) : NULL;
}

gboolean
gst_effnet_meta_from_structure (const GstStructure * s, GstEffnetMeta * meta)
{
  static const gchar *arrays[] = { GST_EFFNET_FIELD_TOP_CLASS_IDS,
    GST_EFFNET_FIELD_TOP_SCORES
  };
  GstEffnetMeta m;
  const GValue *labels, *v;
  guint n = 0, i;

  if (s == NULL)
    return FALSE;
  m.s = s;
  m.roi = is_roi_param (s);
  if (!gst_structure_has_field_typed (s, GST_EFFNET_FIELD_LABEL,
          G_TYPE_STRING) || !gst_structure_has_field_typed (s,
          m.roi ? GST_EFFNET_ROI_FIELD_LABEL_ID : GST_EFFNET_FIELD_CLASS_ID,
          G_TYPE_INT))
    return FALSE;
  labels = gst_structure_get_value (s, GST_EFFNET_FIELD_TOP_LABELS);
  if (labels != NULL) {
    if (!GST_VALUE_HOLDS_ARRAY (labels))
      return FALSE;
    n = gst_value_array_get_size (labels);
  }
  for (i = 0; i < G_N_ELEMENTS (arrays); i++) {
    v = gst_structure_get_value (s, arrays[i]);
    if (v != NULL && (!GST_VALUE_HOLDS_ARRAY (v) ||
            gst_value_array_get_size (v) != n))
      return FALSE;
  }
  *meta = m;
  return TRUE;
}

gboolean
gst_effnet_meta_from_buffer (GstBuffer * buf, GstEffnetMeta * meta)
{
  GstCustomMeta *custom;

  if (buf == NULL || gst_meta_get_info (GST_EFFNET_META_NAME) == NULL)
    return FALSE;
  custom = gst_buffer_get_custom_meta (buf, GST_EFFNET_META_NAME);
  return custom != NULL &&
      gst_effnet_meta_from_structure (gst_custom_meta_get_structure (custom),
      meta);
}

gboolean
gst_effnet_meta_from_roi (GstVideoRegionOfInterestMeta * roi,
    GstEffnetMeta * meta)
{
  return roi != NULL &&
      gst_effnet_meta_from_structure
      (gst_video_region_of_interest_meta_get_param (roi,
          GST_EFFNET_ROI_PARAM_NAME), meta);
}

gboolean
gst_effnet_meta_is_roi (const GstEffnetMeta * meta)
{
  return meta->roi;
}

gsize
gst_effnet_meta_get_length (const GstEffnetMeta * meta)
{
  const GValue *v = array_field (meta, GST_EFFNET_FIELD_TOP_LABELS);

  return v != NULL ? gst_value_array_get_size (v) : 0;
}

gdouble
gst_effnet_meta_get_level (const GstEffnetMeta * meta, gsize index)
{
  const GValue *v = array_item (meta, GST_EFFNET_FIELD_TOP_SCORES, index);

  return v != NULL && G_VALUE_HOLDS_DOUBLE (v) ? g_value_get_double (v) : NAN;
}

const gchar *
gst_effnet_meta_get_label (const GstEffnetMeta * meta, gsize index)
{
  const GValue *v = array_item (meta, GST_EFFNET_FIELD_TOP_LABELS, index);

  return v != NULL && G_VALUE_HOLDS_STRING (v) ? g_value_get_string (v) : NULL;
}

GQuark
gst_effnet_meta_get_quark (const GstEffnetMeta * meta, gsize index)
{
  const gchar *label = gst_effnet_meta_get_label (meta, index);

  return label != NULL ? g_quark_from_string (label) : 0;
}

gint
gst_effnet_meta_get_class_id (const GstEffnetMeta * meta, gsize index)
{
  const GValue *v = array_item (meta, GST_EFFNET_FIELD_TOP_CLASS_IDS, index);

  return v != NULL && G_VALUE_HOLDS_INT (v) ? g_value_get_int (v) : -1;
}

const gchar *
gst_effnet_meta_get_top_label (const GstEffnetMeta * meta)
{
  return gst_structure_get_string (meta->s, GST_EFFNET_FIELD_LABEL);
}

gint
gst_effnet_meta_get_top_class_id (const GstEffnetMeta * meta)
{
  gint id = -1;

  gst_structure_get_int (meta->s, meta->roi ? GST_EFFNET_ROI_FIELD_LABEL_ID :
      GST_EFFNET_FIELD_CLASS_ID, &id);
  return id;
}

gboolean
gst_effnet_meta_get_top_level (const GstEffnetMeta * meta, gdouble * level)
{
  return gst_structure_get_double (meta->s, meta->roi ?
      GST_EFFNET_ROI_FIELD_CONFIDENCE : GST_EFFNET_FIELD_SCORE, level);
}

const gchar *
gst_effnet_meta_get_model (const GstEffnetMeta * meta)
{
  return gst_structure_get_string (meta->s, meta->roi ?
      GST_EFFNET_ROI_FIELD_MODEL : GST_EFFNET_FIELD_MODEL);
}

const gchar *
gst_effnet_meta_get_element (const GstEffnetMeta * meta)
{
  return gst_structure_get_string (meta->s, GST_EFFNET_FIELD_ELEMENT);
}

gboolean
gst_effnet_meta_get_stale (const GstEffnetMeta * meta, gboolean * stale)
{
  return gst_structure_get_boolean (meta->s, GST_EFFNET_FIELD_STALE, stale);
}

gboolean
gst_effnet_meta_get_source_frame (const GstEffnetMeta * meta,
    guint64 * source_frame)
{
  return gst_structure_get_uint64 (meta->s, GST_EFFNET_FIELD_SOURCE_FRAME,
      source_frame);
}

gboolean
gst_effnet_meta_get_inference_ns (const GstEffnetMeta * meta,
    guint64 * inference_ns)
{
  return gst_structure_get_uint64 (meta->s, GST_EFFNET_FIELD_INFERENCE_NS,
      inference_ns);
}

gboolean
gst_effnet_meta_get_roi_counts (const GstEffnetMeta * meta, guint * count,
    guint * skipped)
{
  guint c, k;

  if (!gst_structure_get_uint (meta->s, GST_EFFNET_FIELD_ROI_COUNT, &c) ||
      !gst_structure_get_uint (meta->s, GST_EFFNET_FIELD_ROI_SKIPPED, &k))
    return FALSE;
  *count = c;
  *skipped = k;
  return TRUE;
}

gboolean
gst_effnet_meta_get_timestamps (const GstEffnetMeta * meta,
    GstClockTime * timestamp, GstClockTime * stream_time,
    GstClockTime * running_time)
{
  guint64 t, st, rt;

  if (!gst_structure_get_uint64 (meta->s, GST_EFFNET_FIELD_TIMESTAMP, &t) ||
      !gst_structure_get_uint64 (meta->s, GST_EFFNET_FIELD_STREAM_TIME, &st) ||
      !gst_structure_get_uint64 (meta->s, GST_EFFNET_FIELD_RUNNING_TIME, &rt))
    return FALSE;
  *timestamp = t;
  *stream_time = st;
  *running_time = rt;
  return TRUE;
}

gsize
gst_effnet_meta_get_n_logits (const GstEffnetMeta * meta)
{
  const GValue *v = array_field (meta, GST_EFFNET_FIELD_LOGITS);

  return v != NULL ? gst_value_array_get_size (v) : 0;
}

gfloat
gst_effnet_meta_get_logit (const GstEffnetMeta * meta, gsize index)
{
  const GValue *v = array_item (meta, GST_EFFNET_FIELD_LOGITS, index);

  return v != NULL && G_VALUE_HOLDS_FLOAT (v) ? g_value_get_float (v) : NAN;
}
