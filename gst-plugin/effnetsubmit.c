/* GStreamer EfficientNet classifier
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* effnetsubmit.c — see effnetsubmit.h. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "effnetsubmit.h"
#include "effnetprep.h"
#include "effnetresult.h"
#include "effnettiming.h"

#define GST_CAT_DEFAULT gst_efficientnet_debug

/* Before a sync job: no async job of ours pending or running (the mode can
 * change while playing; jobs[0] is the sync job). */
static void
settle_jobs (GstEfficientNet * self)
{
  gst_effnet_client_withdraw (self->client);
  gst_effnet_job_wait (self->jobs[0]);
  gst_effnet_job_wait (self->jobs[1]);
}

gboolean
gst_efficientnet_run_job (GstEfficientNet * self)
{
  GstEffnetJob *job = self->jobs[0];

  settle_jobs (self);
  job->done_func = NULL;
  gst_effnet_client_submit (self->client, job);
  gst_effnet_job_wait (job);
  if (job->rc != 0) {
    gchar *text = gst_efficientnet_sentence (job->err);

    GST_ELEMENT_ERROR (self, STREAM, FAILED, ("Inference failed: %s", text),
        (NULL));
    g_free (text);
    return FALSE;
  }
  return TRUE;
}

/* Sync: the inference threads prepare the frame themselves, straight into
 * the network's input. */
static GstFlowReturn
classify_sync (GstEfficientNet * self, GstVideoFrame * frame, guint64 index)
{
  GstClockTime start = gst_util_get_timestamp (), pre;
  gboolean ok;

  if (!gst_efficientnet_plan_frame (self, frame, NULL, 1,
          gst_effnet_shared_get_threads (self->shared)))
    return GST_FLOW_ERROR;
  pre = gst_util_get_timestamp () - start;
  self->jobs[0]->prep = self->prep;
  self->jobs[0]->n = 1;
  ok = gst_efficientnet_run_job (self);
  self->jobs[0]->prep = NULL;
  if (!ok)
    return GST_FLOW_ERROR;
  gst_efficientnet_store_result (self, self->jobs[0]->logits, index,
      pre + self->jobs[0]->forward_ns);
  gst_efficientnet_update_latency (self, gst_util_get_timestamp () - start);
  return GST_FLOW_OK;
}

/* Model thread: the async job is over. */
static void
async_done (GstEffnetJob * job, gpointer user_data)
{
  GstEfficientNet *self = user_data;

  if (job->rc == 0) {
    gst_efficientnet_store_result (self, job->logits, job->frame,
        job->pre_ns + job->forward_ns);
    return;
  }
  g_mutex_lock (&self->result_lock);
  if (self->result.error == NULL)
    self->result.error = gst_efficientnet_sentence (job->err);
  g_mutex_unlock (&self->result_lock);
}

/* Async: the frame leaves before its inference, so it is prepared here, on
 * this thread, into the input of a job of ours that the model does not hold:
 * the pending one, taken back (this newer frame replaces it), or the one
 * not running. */
static GstFlowReturn
classify_async (GstEfficientNet * self, GstVideoFrame * frame, guint64 index)
{
  GstClockTime start = gst_util_get_timestamp ();
  GstEffnetJob *job = gst_effnet_client_withdraw (self->client);
  char err[EFFNET_ERRLEN];

  if (job != NULL)
    GST_DEBUG_OBJECT (self, "frame %" G_GUINT64_FORMAT " replaces pending "
        "frame %" G_GUINT64_FORMAT, index, job->frame);
  else
    job = gst_effnet_job_is_done (self->jobs[0]) ? self->jobs[0] :
        self->jobs[1];
  if (!gst_efficientnet_plan_frame (self, frame, NULL, 1, 1))
    return GST_FLOW_ERROR;
  if (effnet_prep_run (self->prep, job->input, err, sizeof err) != 0) {
    GST_ELEMENT_ERROR (self, STREAM, FAILED, ("%s", err), (NULL));
    return GST_FLOW_ERROR;
  }
  job->frame = index;
  job->pre_ns = gst_util_get_timestamp () - start;
  job->n = 1;
  job->prep = NULL;
  job->done_func = async_done;
  job->user_data = self;
  gst_effnet_client_submit (self->client, job);
  return GST_FLOW_OK;
}

static gboolean
report_async_error (GstEfficientNet * self)
{
  gchar *error;

  g_mutex_lock (&self->result_lock);
  error = g_steal_pointer (&self->result.error);
  g_mutex_unlock (&self->result_lock);
  if (error == NULL)
    return FALSE;
  GST_ELEMENT_ERROR (self, STREAM, FAILED, ("Inference failed: %s", error),
      (NULL));
  g_free (error);
  return TRUE;
}

GstFlowReturn
gst_efficientnet_classify_full_frame (GstEfficientNet * self,
    GstVideoFrame * frame, guint64 index, gboolean due,
    const FrameSettings * fs)
{
  GstFlowReturn ret = GST_FLOW_OK;
  gboolean async;

  GST_OBJECT_LOCK (self);
  async = self->async;
  GST_OBJECT_UNLOCK (self);

  if (async && report_async_error (self))
    return GST_FLOW_ERROR;
  /* async: a due frame becomes our pending job, replacing an older one the
   * model has not started */
  if (due) {
    ret = async ? classify_async (self, frame, index) :
        classify_sync (self, frame, index);
    self->next_due = index + fs->interval;
  }
  if (ret == GST_FLOW_OK)
    gst_efficientnet_attach_frame_result (self, frame->buffer, index, fs);
  return ret;
}
