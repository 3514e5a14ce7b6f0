/* GStreamer EfficientNet classifier
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* effnetanalytics.c — see effnetanalytics.h. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "effnetanalytics.h"
#include "effnetmeta.h"

#include <math.h>

static GstAnalyticsRelationMeta *
relation_meta (GstBuffer * buf)
{
  GstAnalyticsRelationMeta *rmeta =
      gst_buffer_get_analytics_relation_meta (buf);

  return rmeta != NULL ? rmeta : gst_buffer_add_analytics_relation_meta (buf);
}

gboolean
gst_effnet_analytics_add_cls (GstBuffer * buf, const GstStructure * result,
    GstAnalyticsClsMtd * cls)
{
  GstEffnetMeta meta;
  GstAnalyticsRelationMeta *rmeta;
  gfloat *levels;
  GQuark *quarks;
  gsize n, i;
  gboolean ok;

  if (!gst_effnet_meta_from_structure (result, &meta))
    return FALSE;
  n = gst_effnet_meta_get_length (&meta);
  if (n == 0)
    return FALSE;
  levels = g_new (gfloat, n);
  quarks = g_new (GQuark, n);
  for (i = 0; i < n; i++) {
    gdouble level = gst_effnet_meta_get_level (&meta, i);

    levels[i] = isnan (level) ? 0.0f : (gfloat) level;
    quarks[i] = gst_effnet_meta_get_quark (&meta, i);
  }
  rmeta = relation_meta (buf);
  ok = rmeta != NULL &&
      gst_analytics_relation_meta_add_cls_mtd (rmeta, n, levels, quarks, cls);
  g_free (levels);
  g_free (quarks);
  return ok;
}

gboolean
gst_effnet_analytics_find_od (GstBuffer * buf,
    const GstVideoRegionOfInterestMeta * roi, GstAnalyticsODMtd * od)
{
  GstAnalyticsRelationMeta *rmeta =
      gst_buffer_get_analytics_relation_meta (buf);
  gpointer state = NULL;

  if (rmeta == NULL)
    return FALSE;
  while (gst_analytics_relation_meta_iterate (rmeta, &state,
          gst_analytics_od_mtd_get_mtd_type (), od)) {
    gint x, y, w, h;
    gfloat conf;
    GQuark type = gst_analytics_od_mtd_get_obj_type (od);

    if (!gst_analytics_od_mtd_get_location (od, &x, &y, &w, &h, &conf))
      continue;
    if ((gint64) x == roi->x && (gint64) y == roi->y &&
        (gint64) w == roi->w && (gint64) h == roi->h &&
        (roi->roi_type == 0 || type == roi->roi_type))
      return TRUE;
  }
  return FALSE;
}

gboolean
gst_effnet_analytics_add_roi_cls (GstBuffer * buf,
    const GstVideoRegionOfInterestMeta * roi, const GstStructure * result)
{
  GstAnalyticsClsMtd cls;
  GstAnalyticsODMtd od;

  if (!gst_effnet_analytics_add_cls (buf, result, &cls))
    return FALSE;
  if (gst_effnet_analytics_find_od (buf, roi, &od)) {
    gst_analytics_relation_meta_set_relation (od.meta,
        GST_ANALYTICS_REL_TYPE_RELATE_TO, od.id, cls.id);
    gst_analytics_relation_meta_set_relation (cls.meta,
        GST_ANALYTICS_REL_TYPE_RELATE_TO, cls.id, od.id);
  }
  return TRUE;
}

/* Whether two Mtds are related, whichever way the relation was set. */
static gboolean
related (GstAnalyticsRelationMeta * rmeta, guint a, guint b)
{
  return gst_analytics_relation_meta_get_relation (rmeta, a, b) !=
      GST_ANALYTICS_REL_TYPE_NONE ||
      gst_analytics_relation_meta_get_relation (rmeta, b, a) !=
      GST_ANALYTICS_REL_TYPE_NONE;
}

/* The first Mtd of `type` related to `mtd`. */
static gboolean
first_related (GstAnalyticsRelationMeta * rmeta, guint id,
    GstAnalyticsMtdType type, GstAnalyticsMtd * out)
{
  gpointer state = NULL;

  while (gst_analytics_relation_meta_iterate (rmeta, &state, type, out)) {
    if (related (rmeta, id, out->id))
      return TRUE;
  }
  return FALSE;
}

gboolean
gst_effnet_analytics_frame_cls (GstBuffer * buf, GstAnalyticsClsMtd * cls)
{
  GstAnalyticsRelationMeta *rmeta =
      gst_buffer_get_analytics_relation_meta (buf);
  gpointer state = NULL;
  GstAnalyticsODMtd od;

  if (rmeta == NULL)
    return FALSE;
  while (gst_analytics_relation_meta_iterate (rmeta, &state,
          gst_analytics_cls_mtd_get_mtd_type (), cls)) {
    if (!first_related (rmeta, cls->id, gst_analytics_od_mtd_get_mtd_type (),
            &od))
      return TRUE;
  }
  return FALSE;
}

gboolean
gst_effnet_analytics_od_cls (const GstAnalyticsODMtd * od,
    GstAnalyticsClsMtd * cls)
{
  return first_related (od->meta, od->id, gst_analytics_cls_mtd_get_mtd_type (),
      cls);
}
