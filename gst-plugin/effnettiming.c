/* GStreamer EfficientNet classifier
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* effnettiming.c — see effnettiming.h. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "effnettiming.h"

#define GST_CAT_DEFAULT gst_efficientnet_debug

void
gst_efficientnet_set_mode_locked (GstEfficientNet * self, gboolean live)
{
  if (self->active_mode == MODE_AUTO)
    self->async = live;
  else
    self->async = self->active_mode == MODE_ASYNC;
  /* ROI results belong to the ROIs of the frame they were computed on, which
   * has left by the time an async result arrives. */
  if (self->active_region == REGION_ROI_LIST)
    self->async = FALSE;
  self->mode_decided = TRUE;
}

/* mode=auto follows upstream's liveness, asked once per run. */
void
gst_efficientnet_decide_mode (GstEfficientNet * self)
{
  gboolean decided, async, live = FALSE;

  GST_OBJECT_LOCK (self);
  decided = self->mode_decided;
  GST_OBJECT_UNLOCK (self);
  if (decided)
    return;

  if (self->active_mode == MODE_AUTO) {
    GstQuery *query = gst_query_new_latency ();

    if (gst_pad_peer_query (GST_BASE_TRANSFORM_SINK_PAD (self), query))
      gst_query_parse_latency (query, &live, NULL, NULL);
    gst_query_unref (query);
  }
  GST_OBJECT_LOCK (self);
  if (!self->mode_decided)
    gst_efficientnet_set_mode_locked (self, live);
  async = self->async;
  GST_OBJECT_UNLOCK (self);
  GST_INFO_OBJECT (self, "running %s", async ? "async" : "sync");
}

/* Late by the last QoS event: such frames pass without inference. */
gboolean
gst_efficientnet_is_late (GstEfficientNet * self, GstBuffer * buf)
{
  GstBaseTransform *trans = GST_BASE_TRANSFORM (self);
  GstClockTime running, earliest;

  if (!gst_base_transform_is_qos_enabled (trans) ||
      trans->segment.format != GST_FORMAT_TIME ||
      !GST_BUFFER_PTS_IS_VALID (buf))
    return FALSE;
  running = gst_segment_to_running_time (&trans->segment, GST_FORMAT_TIME,
      GST_BUFFER_PTS (buf));
  GST_OBJECT_LOCK (self);
  earliest = self->earliest_time;
  GST_OBJECT_UNLOCK (self);
  if (!GST_CLOCK_TIME_IS_VALID (running) ||
      !GST_CLOCK_TIME_IS_VALID (earliest) || running > earliest)
    return FALSE;
  GST_DEBUG_OBJECT (self, "late frame (%" GST_TIME_FORMAT " <= %"
      GST_TIME_FORMAT "): no inference", GST_TIME_ARGS (running),
      GST_TIME_ARGS (earliest));
  return TRUE;
}

/* Latency is the largest time a classified frame spent in the element. A
 * clearly larger one (10 %) asks the pipeline to query latency again. */
void
gst_efficientnet_update_latency (GstEfficientNet * self, GstClockTime spent)
{
  gboolean grew = FALSE;

  GST_OBJECT_LOCK (self);
  if (spent > self->latency) {
    grew = spent > self->latency + self->latency / 10;
    self->latency = spent;
  }
  GST_OBJECT_UNLOCK (self);
  if (grew) {
    GST_DEBUG_OBJECT (self, "latency now %" GST_TIME_FORMAT,
        GST_TIME_ARGS (spent));
    gst_element_post_message (GST_ELEMENT (self),
        gst_message_new_latency (GST_OBJECT (self)));
  }
}
