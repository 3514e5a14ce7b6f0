/* GStreamer EfficientNet classifier
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* effnetroi.c — see effnetroi.h. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "effnetroi.h"
#include "effnetmeta.h"
#include "effnetprep.h"
#include "effnetresult.h"
#include "effnetsubmit.h"
#include "effnettiming.h"
#ifdef EFFNET_HAVE_ANALYTICS
#include "effnetanalytics.h"
#endif

#define GST_CAT_DEFAULT gst_efficientnet_debug

/* The ROI metas to classify, clamped to the frame; empty ones are skipped.
 * Beyond max_rois (0: no limit) they are only counted: returns how many. */
static guint
collect_rois (GstEfficientNet * self, GstBuffer * buf,
    const gchar * object_class, guint max_rois)
{
  guint64 width = GST_VIDEO_INFO_WIDTH (&self->in_info);
  guint64 height = GST_VIDEO_INFO_HEIGHT (&self->in_info);
  gpointer state = NULL;
  GstMeta *meta;
  guint skipped = 0;

  g_array_set_size (self->rois, 0);
  while ((meta = gst_buffer_iterate_meta_filtered (buf, &state,
              GST_VIDEO_REGION_OF_INTEREST_META_API_TYPE))) {
    GstVideoRegionOfInterestMeta *m = (GstVideoRegionOfInterestMeta *) meta;
    guint64 x0 = MIN (m->x, width), y0 = MIN (m->y, height);
    guint64 x1 = MIN ((guint64) m->x + m->w, width);
    guint64 y1 = MIN ((guint64) m->y + m->h, height);
    Roi roi = { m, {(gint) x0, (gint) y0, (gint) (x1 - x0), (gint) (y1 - y0)}
    };

    if (object_class != NULL &&
        g_strcmp0 (g_quark_to_string (m->roi_type), object_class) != 0)
      continue;
    if (x1 <= x0 || y1 <= y0) {
      GST_LOG_OBJECT (self, "skipping empty ROI %d", m->id);
      continue;
    }
    if (max_rois > 0 && self->rois->len >= max_rois)
      skipped++;
    else
      g_array_append_val (self->rois, roi);
  }
  return skipped;
}

static GstStructure *
roi_param_new (GstEfficientNet * self, const float *logits,
    const FrameSettings * fs)
{
  GstStructure *s = gst_effnet_roi_param_new (self->model_name);

  if (gst_efficientnet_set_ranking (self, s, logits, fs) == 0) {
    /* nothing above the threshold: the ROI gets no result */
    gst_structure_free (s);
    return NULL;
  }
  return s;
}

/* `n` collected ROIs from `first` through the model in one batch, prepared
 * by the inference threads; adds the time spent to *inference_ns. */
static gboolean
classify_roi_chunk (GstEfficientNet * self, GstVideoFrame * frame,
    guint first, guint n, const FrameSettings * fs, guint64 * inference_ns)
{
  GstEffnetJob *job = self->jobs[0];
  GstClockTime start = gst_util_get_timestamp (), pre;
  guint i;
  gboolean ok;

  g_array_set_size (self->rects, n);
  for (i = 0; i < n; i++) {
    const GstVideoRectangle *r = &g_array_index (self->rois, Roi,
        first + i).rect;

    g_array_index (self->rects, EffnetRect, i) = (EffnetRect) {
    r->x, r->y, r->w, r->h};
  }
  if (!gst_efficientnet_plan_frame (self, frame,
          (const EffnetRect *) self->rects->data, (gint) n,
          gst_effnet_shared_get_threads (self->shared)))
    return FALSE;
  pre = gst_util_get_timestamp () - start;
  job->prep = self->prep;
  job->n = (int) n;
  ok = gst_efficientnet_run_job (self);
  job->prep = NULL;
  if (!ok)
    return FALSE;
  for (i = 0; i < n; i++) {
    GstVideoRegionOfInterestMeta *roi = g_array_index (self->rois, Roi,
        first + i).meta;
    GstStructure *param = roi_param_new (self, job->logits + i * job->classes,
        fs);

    if (param == NULL)
      continue;
#ifdef EFFNET_HAVE_ANALYTICS
    /* also a ClsMtd, related to the detector's ODMtd of this region */
    gst_effnet_analytics_add_roi_cls (frame->buffer, roi, param);
#endif
    gst_video_region_of_interest_meta_add_param (roi, param);
  }
  *inference_ns += pre + job->forward_ns;
  return TRUE;
}

/* All collected ROIs, in batches of at most GST_EFFNET_SHARED_MAX_BATCH: what
 * a frame costs in memory (the plan, the logits, the model's workspace) is
 * bounded whatever the number of regions. */
static gboolean
classify_rois (GstEfficientNet * self, GstVideoFrame * frame,
    const FrameSettings * fs, guint64 * inference_ns)
{
  GstClockTime start = gst_util_get_timestamp ();
  guint n = self->rois->len, chunk = MIN (n, GST_EFFNET_SHARED_MAX_BATCH);
  guint first;

  if (!gst_effnet_job_reserve (self->jobs[0], (int) chunk, FALSE)) {
    GST_ELEMENT_ERROR (self, RESOURCE, NO_SPACE_LEFT,
        ("Not enough memory for %u regions of interest.", chunk), (NULL));
    return FALSE;
  }
  *inference_ns = 0;
  for (first = 0; first < n; first += chunk) {
    if (!classify_roi_chunk (self, frame, first, MIN (chunk, n - first), fs,
            inference_ns))
      return FALSE;
  }
  gst_efficientnet_update_latency (self, gst_util_get_timestamp () - start);
  return TRUE;
}

/* roi-list mode: results go to the ROIs; the frame meta carries no ranking,
 * only roi-count and the timing of the frame's batch. */
GstFlowReturn
gst_efficientnet_classify_roi_frame (GstEfficientNet * self,
    GstVideoFrame * frame, guint64 index, gboolean due,
    const FrameSettings * fs)
{
  GstStructure *s;
  guint count = 0, skipped = 0;

  if (due) {
    guint64 ns = 0;

    skipped = collect_rois (self, frame->buffer, fs->object_class,
        fs->max_rois);
    count = self->rois->len;
    if (skipped > 0 && !self->warned_max_rois) {
      GST_WARNING_OBJECT (self, "frame %" G_GUINT64_FORMAT " has %u regions "
          "to classify, more than max-rois=%u: the %u after the first %u are "
          "not classified (counted in roi-skipped; warned once)", index,
          count + skipped, fs->max_rois, skipped, count);
      self->warned_max_rois = TRUE;
    } else if (skipped > 0) {
      GST_LOG_OBJECT (self, "frame %" G_GUINT64_FORMAT ": %u regions skipped",
          index, skipped);
    }
    if (count > 0 && !classify_rois (self, frame, fs, &ns))
      return GST_FLOW_ERROR;
    self->roi_frame = index;
    self->roi_ns = ns;
    self->next_due = index + fs->interval;
  }
  s = gst_effnet_meta_structure_new ();
  gst_effnet_meta_set_roi_counts (s, count, skipped);
  gst_efficientnet_set_ranking (self, s, NULL, fs);
  gst_efficientnet_publish (self, frame->buffer, index, self->roi_frame,
      self->roi_ns, s, fs);
  return GST_FLOW_OK;
}
