/* GStreamer EfficientNet classifier
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* effnetresult.c — see effnetresult.h. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "effnetresult.h"
#include "effnetmeta.h"
#ifdef EFFNET_HAVE_ANALYTICS
#include "effnetanalytics.h"
#endif

#define GST_CAT_DEFAULT gst_efficientnet_debug

/* The engine's reader checks what reaches the metadata (and so Pango, JSON
 * and Python): a regular file of bounded size, one valid UTF-8 name a line
 * without control characters, as many as the model has classes. */
gchar **
gst_effnet_labels_from_file (const gchar * path, gint classes, gchar ** error)
{
  char err[EFFNET_ERRLEN];
  char **names = effnet_labels_load (path, classes, err, sizeof err);
  gchar **labels;

  if (names == NULL) {
    *error = gst_efficientnet_sentence (err);
    return NULL;
  }
  labels = g_strdupv (names);
  effnet_labels_free (names);
  return labels;
}

gchar **
gst_effnet_labels_builtin (gint classes)
{
  gchar **labels = g_new0 (gchar *, classes + 1);
  gint i;

  for (i = 0; i < classes; i++) {
    if (classes == 1000)
      labels[i] = g_strdup (effnet_imagenet_label (i));
    else
      labels[i] = g_strdup_printf ("class %d", i);
  }
  return labels;
}

/* Softmax, top-k and threshold into self->probs / self->top; returns how
 * many classes are reported. */
static gint
rank_classes (GstEfficientNet * self, const float *logits,
    const FrameSettings * fs)
{
  gint count, i;

  effnet_softmax (logits, self->classes, self->probs);
  count = effnet_top_k (self->probs, self->classes, (int) fs->top_k, self->top);
  for (i = 0; i < count; i++) {
    if (!(self->probs[self->top[i]] >= fs->threshold))
      break;
  }
  return i;
}

/* The ranking of one result (an empty one when logits is NULL), plus the
 * logits when asked for; returns how many classes are reported. */
gint
gst_efficientnet_set_ranking (GstEfficientNet * self, GstStructure * s,
    const float *logits, const FrameSettings * fs)
{
  gint count = logits ? rank_classes (self, logits, fs) : 0, i;

  for (i = 0; i < count; i++) {
    self->levels[i] = self->probs[self->top[i]];
    self->names[i] = self->labels[self->top[i]];
  }
  gst_effnet_meta_set_classes (s, count, self->levels, self->top,
      (const gchar * const *) self->names);
  if (fs->attach_logits && logits != NULL)
    gst_effnet_meta_set_logits (s, self->classes, logits);
  return count;
}

static void
post_result_message (GstEfficientNet * self, GstBuffer * buf, GstStructure * s)
{
  GstSegment *segment = &GST_BASE_TRANSFORM (self)->segment;
  GstClockTime pts = GST_BUFFER_PTS (buf);
  GstClockTime running = GST_CLOCK_TIME_NONE, stream = GST_CLOCK_TIME_NONE;

  if (segment->format == GST_FORMAT_TIME && GST_CLOCK_TIME_IS_VALID (pts)) {
    running = gst_segment_to_running_time (segment, GST_FORMAT_TIME, pts);
    stream = gst_segment_to_stream_time (segment, GST_FORMAT_TIME, pts);
  }
  gst_effnet_meta_set_timestamps (s, pts, stream, running);
  gst_element_post_message (GST_ELEMENT (self),
      gst_message_new_element (GST_OBJECT (self), s));
}

/* Attaches `s` (from gst_effnet_meta_structure_new) to the buffer as the
 * custom meta (and, built with GstAnalytics, its ranking as a ClsMtd), and
 * posts it when asked. Takes `s`. */
void
gst_efficientnet_publish (GstEfficientNet * self, GstBuffer * buf,
    guint64 index, guint64 source_frame, guint64 inference_ns, GstStructure * s,
    const FrameSettings * fs)
{
  gst_effnet_meta_set_source (s, self->model_name, source_frame != index,
      source_frame, inference_ns, GST_ELEMENT_NAME (self));
  gst_effnet_meta_add (buf, s);
#ifdef EFFNET_HAVE_ANALYTICS
  /* the ranking also as GstAnalytics' ClsMtd (none when it is empty) */
  gst_effnet_analytics_add_cls (buf, s, NULL);
#endif
  if (fs->post_messages)
    post_result_message (self, buf, s);
  else
    gst_structure_free (s);
}

void
gst_efficientnet_store_result (GstEfficientNet * self, const float *logits,
    guint64 frame, guint64 inference_ns)
{
  g_mutex_lock (&self->result_lock);
  memcpy (self->result.logits, logits, self->classes * sizeof (float));
  self->result.valid = TRUE;
  self->result.source_frame = frame;
  self->result.inference_ns = inference_ns;
  g_mutex_unlock (&self->result_lock);
}

void
gst_efficientnet_attach_frame_result (GstEfficientNet * self, GstBuffer * buf,
    guint64 index, const FrameSettings * fs)
{
  GstStructure *s = gst_effnet_meta_structure_new ();
  guint64 source, ns;

  g_mutex_lock (&self->result_lock);
  gst_efficientnet_set_ranking (self, s,
      self->result.valid ? self->result.logits : NULL, fs);
  source = self->result.valid ? self->result.source_frame : GST_EFFNET_NO_FRAME;
  ns = self->result.valid ? self->result.inference_ns : 0;
  g_mutex_unlock (&self->result_lock);
  gst_efficientnet_publish (self, buf, index, source, ns, s, fs);
}
