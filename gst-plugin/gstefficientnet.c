/* GStreamer EfficientNet classifier
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/**
 * SECTION:element-efficientnet
 * @title: efficientnet
 *
 * Classifies raw video frames, or the regions of interest that an upstream
 * detector attached to them, with an EfficientNet B0–B7 model run on the
 * CPU. Pixels are never modified: every buffer leaves with a
 * "EfficientNetClassification" GstCustomMeta holding the latest result, and in
 * roi-list mode each classified GstVideoRegionOfInterestMeta gets a
 * "classification" parameter structure. See gst-plugin/README.md for the
 * metadata contract.
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 -m videotestsrc num-buffers=10 ! efficientnet weights=/path/to/b0 post-messages=true ! fakesink
 * ]|
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstefficientnetpriv.h"
#include "effnetmeta.h"
#include "effnetprep.h"
#include "effnetresult.h"
#include "effnetroi.h"
#include "effnetsubmit.h"
#include "effnettiming.h"

#include <string.h>

GST_DEBUG_CATEGORY (gst_efficientnet_debug);
#define GST_CAT_DEFAULT gst_efficientnet_debug

#define DEFAULT_WEIGHTS NULL
#define DEFAULT_VARIANT (-1)
#define DEFAULT_LABELS NULL
#define DEFAULT_TOP_K 5
#define DEFAULT_THRESHOLD 0.0
#define DEFAULT_INFERENCE_INTERVAL 1
#define DEFAULT_NUM_THREADS 0
#define DEFAULT_INFERENCE_NICE 0
#define DEFAULT_SCALING SCALING_CENTER_CROP
#define DEFAULT_RESAMPLING RESAMPLING_ACCURATE
#define DEFAULT_MODE MODE_AUTO
#define DEFAULT_POST_MESSAGES FALSE
#define DEFAULT_INFERENCE_REGION REGION_FULL_FRAME
#define DEFAULT_OBJECT_CLASS NULL
#define DEFAULT_ATTACH_LOGITS FALSE
#define DEFAULT_MAX_ROIS 64

enum
{
  PROP_0,
  PROP_WEIGHTS,
  PROP_VARIANT,
  PROP_LABELS,
  PROP_TOP_K,
  PROP_THRESHOLD,
  PROP_INFERENCE_INTERVAL,
  PROP_NUM_THREADS,
  PROP_INFERENCE_NICE,
  PROP_SCALING,
  PROP_RESAMPLING,
  PROP_MEAN,
  PROP_STD,
  PROP_MODE,
  PROP_POST_MESSAGES,
  PROP_INFERENCE_REGION,
  PROP_OBJECT_CLASS,
  PROP_ATTACH_LOGITS,
  PROP_MAX_ROIS,
  PROP_SHARED_USERS,
};

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink",
    GST_PAD_SINK,
    GST_PAD_ALWAYS,
    GST_STATIC_CAPS (GST_VIDEO_CAPS_MAKE (GST_EFFICIENTNET_FORMATS)));

static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE ("src",
    GST_PAD_SRC,
    GST_PAD_ALWAYS,
    GST_STATIC_CAPS (GST_VIDEO_CAPS_MAKE (GST_EFFICIENTNET_FORMATS)));

#define gst_efficientnet_parent_class parent_class
G_DEFINE_TYPE (GstEfficientNet, gst_efficientnet, GST_TYPE_VIDEO_FILTER);
GST_ELEMENT_REGISTER_DEFINE (efficientnet, "efficientnet", GST_RANK_NONE,
    GST_TYPE_EFFICIENTNET);

static void
post_load_error (GstEfficientNet * self, const GError * error,
    const gchar * weights)
{
  gchar *text = gst_efficientnet_sentence (error->message);

  if (error->code == GST_RESOURCE_ERROR_NOT_FOUND)
    GST_ELEMENT_ERROR (self, RESOURCE, NOT_FOUND,
        ("Could not load the EfficientNet weights: %s", text),
        ("weights=%s", weights));
  else
    GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
        ("Could not load the EfficientNet weights: %s", text),
        ("weights=%s", weights));
  g_free (text);
}

/* Everything that depends on the loaded model and stays until stop. */
static gboolean
setup_model (GstEfficientNet * self, const gchar * labels_path)
{
  const EffnetInfo *info = gst_effnet_shared_get_info (self->shared);
  gchar *error = NULL;

  self->size = info->input_size;
  self->classes = info->num_classes;
  self->model_name = g_strdup_printf ("efficientnet-%s",
      effnet_variant_name (info->variant));

  if (labels_path != NULL)
    self->labels = gst_effnet_labels_from_file (labels_path, self->classes,
        &error);
  else
    self->labels = gst_effnet_labels_builtin (self->classes);
  if (self->labels == NULL) {
    GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
        ("Could not read the class names: %s", error),
        ("labels=%s", labels_path));
    g_free (error);
    return FALSE;
  }

  self->probs = g_new (float, self->classes);
  self->top = g_new (int, self->classes);
  self->levels = g_new (float, self->classes);
  self->names = g_new (const gchar *, self->classes);
  self->result.logits = g_new0 (float, self->classes);
  self->jobs[0] = gst_effnet_job_new (info);
  self->jobs[1] = gst_effnet_job_new (info);
  self->client = gst_effnet_client_new (self->shared);
  if (!gst_effnet_job_reserve (self->jobs[0], 1, TRUE) ||
      !gst_effnet_job_reserve (self->jobs[1], 1, TRUE)) {
    GST_ELEMENT_ERROR (self, RESOURCE, NO_SPACE_LEFT,
        ("Not enough memory for the model's input."), (NULL));
    return FALSE;
  }

  GST_INFO_OBJECT (self, "%s, %d classes, %dx%d input", self->model_name,
      self->classes, self->size, self->size);
  return TRUE;
}

static gboolean
gst_efficientnet_src_event (GstBaseTransform * trans, GstEvent * event)
{
  GstEfficientNet *self = GST_EFFICIENTNET (trans);
  GstClockTimeDiff diff;
  GstClockTime timestamp;

  if (GST_EVENT_TYPE (event) != GST_EVENT_QOS)
    return GST_BASE_TRANSFORM_CLASS (parent_class)->src_event (trans, event);

  gst_event_parse_qos (event, NULL, NULL, &diff, &timestamp);
  GST_OBJECT_LOCK (self);
  if (!GST_CLOCK_TIME_IS_VALID (timestamp))
    self->earliest_time = GST_CLOCK_TIME_NONE;
  else if (diff < 0 && timestamp < (GstClockTime) (-diff))
    self->earliest_time = 0;
  else
    self->earliest_time = timestamp + diff;
  GST_OBJECT_UNLOCK (self);
  /* Not chained up: the base class would record the event too and then drop
   * late buffers before transform_ip sees them. Late frames must instead pass
   * on with the last result, so the event only goes upstream. */
  return gst_pad_push_event (GST_BASE_TRANSFORM_SINK_PAD (trans), event);
}

static gboolean
gst_efficientnet_sink_event (GstBaseTransform * trans, GstEvent * event)
{
  GstEfficientNet *self = GST_EFFICIENTNET (trans);

  if (GST_EVENT_TYPE (event) == GST_EVENT_FLUSH_STOP) {
    GST_OBJECT_LOCK (self);
    self->earliest_time = GST_CLOCK_TIME_NONE;
    GST_OBJECT_UNLOCK (self);
  }
  return GST_BASE_TRANSFORM_CLASS (parent_class)->sink_event (trans, event);
}

/* Sync mode adds the largest measured inference time to the latency; async
 * adds nothing (frames never wait). */
static gboolean
gst_efficientnet_query (GstBaseTransform * trans, GstPadDirection direction,
    GstQuery * query)
{
  GstEfficientNet *self = GST_EFFICIENTNET (trans);
  GstClockTime min, max, ours;
  gboolean live;

  if (direction != GST_PAD_SRC || GST_QUERY_TYPE (query) != GST_QUERY_LATENCY)
    return GST_BASE_TRANSFORM_CLASS (parent_class)->query (trans, direction,
        query);

  if (!GST_BASE_TRANSFORM_CLASS (parent_class)->query (trans, direction, query))
    return FALSE;
  gst_query_parse_latency (query, &live, &min, &max);
  GST_OBJECT_LOCK (self);
  /* mode=auto may be decided here, before the first buffer: a live
   * pipeline asks for latency before data flows */
  if (!self->mode_decided)
    gst_efficientnet_set_mode_locked (self, live);
  ours = self->async ? 0 : self->latency;
  GST_OBJECT_UNLOCK (self);

  GST_DEBUG_OBJECT (self, "adding %" GST_TIME_FORMAT " of latency",
      GST_TIME_ARGS (ours));
  min += ours;
  if (GST_CLOCK_TIME_IS_VALID (max))
    max += ours;
  gst_query_set_latency (query, live, min, max);
  return TRUE;
}

/* ---- GstBaseTransform / GstVideoFilter ---- */

static void
release_model (GstEfficientNet * self)
{
  GstEffnetShared *shared;

  /* an async job still references our buffers: leave the rotation, taking
   * back a pending job and waiting for one being run */
  if (self->client != NULL && (!gst_effnet_job_is_done (self->jobs[0]) ||
          !gst_effnet_job_is_done (self->jobs[1])))
    GST_DEBUG_OBJECT (self, "stopping: waiting for the job in flight");
  g_clear_pointer (&self->client, gst_effnet_client_free);
  g_clear_pointer (&self->jobs[0], gst_effnet_job_free);
  g_clear_pointer (&self->jobs[1], gst_effnet_job_free);
  g_clear_pointer (&self->prep, effnet_prep_free);
  g_clear_pointer (&self->labels, g_strfreev);
  g_clear_pointer (&self->model_name, g_free);
  g_clear_pointer (&self->probs, g_free);
  g_clear_pointer (&self->top, g_free);
  g_clear_pointer (&self->levels, g_free);
  g_clear_pointer (&self->names, g_free);
  g_clear_pointer (&self->result.logits, g_free);
  g_clear_pointer (&self->result.error, g_free);
  gst_video_info_init (&self->in_info);

  g_mutex_lock (&self->shared_lock);
  shared = g_steal_pointer (&self->shared);
  g_mutex_unlock (&self->shared_lock);
  gst_effnet_shared_release (shared);
}

static void
reset_stream (GstEfficientNet * self)
{
  self->frame_count = 0;
  self->next_due = 0;
  self->roi_frame = GST_EFFNET_NO_FRAME;
  self->roi_ns = 0;
  self->warned_max_rois = FALSE;
  self->result.valid = FALSE;
  GST_OBJECT_LOCK (self);
  self->mode_decided = FALSE;
  self->async = FALSE;
  self->earliest_time = GST_CLOCK_TIME_NONE;
  self->latency = 0;
  self->reconfigure = FALSE;
  GST_OBJECT_UNLOCK (self);
}

static gboolean
gst_efficientnet_start (GstBaseTransform * trans)
{
  GstEfficientNet *self = GST_EFFICIENTNET (trans);
  GstEffnetShared *shared;
  gchar *weights, *labels;
  GError *error = NULL;
  guint threads;
  gint variant, nice;
  gboolean ok = FALSE;

  GST_OBJECT_LOCK (self);
  weights = g_strdup (self->weights);
  labels = g_strdup (self->labels_path);
  variant = self->variant;
  threads = self->num_threads;
  nice = self->inference_nice;
  self->active_mode = self->mode;
  self->active_region = self->region;
  GST_OBJECT_UNLOCK (self);

  if (weights == NULL || weights[0] == '\0') {
    /* no weights given: the variant's (b0 for auto) from the weights cache */
    gint v = variant >= 0 ? variant : 0;
    gchar cached[4096];
    gint found = effnet_cached_weights (v, cached, sizeof cached);

    if (found != 1) {
      GST_ELEMENT_ERROR (self, RESOURCE, NOT_FOUND,
          ("No EfficientNet weights given and none cached for %s%s%s: set the "
              "\"weights\" property to a .safetensors file or a folder holding "
              "model.safetensors and config.json, or fetch the published ones "
              "with the command effnet-fetch-weights %s.",
              effnet_variant_name (v), found == 0 ? " in " : "",
              found == 0 ? cached : "", effnet_variant_name (v)), (NULL));
      goto cleanup;
    }
    GST_INFO_OBJECT (self, "no weights given: using the cached %s", cached);
    g_free (weights);
    weights = g_strdup (cached);
  }
  if (self->active_mode == MODE_ASYNC && self->active_region == REGION_ROI_LIST)
    GST_WARNING_OBJECT (self, "mode=async does not apply to roi-list: ROIs "
        "are classified synchronously");

  shared = gst_effnet_shared_acquire (weights, variant, threads, nice,
      G_OBJECT (self), &error);
  if (shared == NULL) {
    post_load_error (self, error, weights);
    goto cleanup;
  }
  g_mutex_lock (&self->shared_lock);
  self->shared = shared;
  g_mutex_unlock (&self->shared_lock);

  if (!setup_model (self, labels) ||
      !gst_efficientnet_setup_preprocessing (self, TRUE))
    goto cleanup;
  reset_stream (self);
  ok = TRUE;

cleanup:
  if (!ok)
    release_model (self);
  g_clear_error (&error);
  g_free (weights);
  g_free (labels);
  return ok;
}

static gboolean
gst_efficientnet_stop (GstBaseTransform * trans)
{
  release_model (GST_EFFICIENTNET (trans));
  return TRUE;
}

/* The pixels are never written, only metadata added. A writable buffer is
 * used as it is; a shared one gets a shallow copy (same memory, own metas),
 * so no pixel is copied and nobody else sees our metas. Together with
 * passthrough (frames mapped read-only) this is the in-place path for an
 * analyzer. */
static GstFlowReturn
gst_efficientnet_prepare_output_buffer (GstBaseTransform * trans,
    GstBuffer * input, GstBuffer ** outbuf)
{
  *outbuf = gst_buffer_is_writable (input) ? input : gst_buffer_copy (input);
  return *outbuf ? GST_FLOW_OK : GST_FLOW_ERROR;
}

static gboolean
gst_efficientnet_set_info (GstVideoFilter * filter, GstCaps * incaps,
    GstVideoInfo * in_info, GstCaps * outcaps, GstVideoInfo * out_info)
{
  GstEfficientNet *self = GST_EFFICIENTNET (filter);

  if (self->shared == NULL)
    return FALSE;
  GST_DEBUG_OBJECT (self, "caps %" GST_PTR_FORMAT, incaps);
  if (!gst_effnet_frame_from_info (in_info, &self->frame)) {
    GST_ELEMENT_ERROR (self, CORE, NEGOTIATION,
        ("Cannot classify %s video.", GST_VIDEO_INFO_NAME (in_info)), (NULL));
    return FALSE;
  }
  /* refused here, with a sentence, rather than at every frame */
  if (self->frame.width > EFFNET_FRAME_MAX ||
      self->frame.height > EFFNET_FRAME_MAX) {
    GST_ELEMENT_ERROR (self, CORE, NEGOTIATION,
        ("Cannot classify %dx%d video: a frame may be at most %d pixels on a "
            "side (scale the video down first).", self->frame.width,
            self->frame.height, EFFNET_FRAME_MAX), (NULL));
    return FALSE;
  }
  self->in_info = *in_info;
  return TRUE;
}

static void
read_frame_settings (GstEfficientNet * self, FrameSettings * fs)
{
  GST_OBJECT_LOCK (self);
  fs->top_k = self->top_k;
  fs->threshold = self->threshold;
  fs->interval = self->interval;
  fs->post_messages = self->post_messages;
  fs->attach_logits = self->attach_logits;
  fs->object_class = g_strdup (self->object_class);
  fs->max_rois = self->max_rois;
  fs->reconfigure = self->reconfigure;
  self->reconfigure = FALSE;
  GST_OBJECT_UNLOCK (self);
}

static GstFlowReturn
gst_efficientnet_transform_frame_ip (GstVideoFilter * filter,
    GstVideoFrame * frame)
{
  GstEfficientNet *self = GST_EFFICIENTNET (filter);
  guint64 index = self->frame_count++;
  GstFlowReturn ret;
  FrameSettings fs;
  gboolean due;

  read_frame_settings (self, &fs);
  /* a bad mean/std keeps the previous preprocessing (with a warning) */
  if (fs.reconfigure)
    gst_efficientnet_setup_preprocessing (self, FALSE);
  gst_efficientnet_decide_mode (self);
  due = index >= self->next_due &&
      !gst_efficientnet_is_late (self, frame->buffer);

  if (self->active_region == REGION_ROI_LIST)
    ret = gst_efficientnet_classify_roi_frame (self, frame, index, due, &fs);
  else
    ret = gst_efficientnet_classify_full_frame (self, frame, index, due, &fs);
  g_free (fs.object_class);
  return ret;
}

/* ---- GObject ---- */

static void
set_triplet (GstEfficientNet * self, GValue * dest, const GValue * value)
{
  GST_OBJECT_LOCK (self);
  g_value_copy (value, dest);
  self->reconfigure = TRUE;
  GST_OBJECT_UNLOCK (self);
}

static void
gst_efficientnet_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstEfficientNet *self = GST_EFFICIENTNET (object);

  if (prop_id == PROP_MEAN || prop_id == PROP_STD) {
    set_triplet (self, prop_id == PROP_MEAN ? &self->mean : &self->std, value);
    return;
  }

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_WEIGHTS:
      g_free (self->weights);
      self->weights = g_value_dup_string (value);
      break;
    case PROP_VARIANT:
      self->variant = g_value_get_enum (value);
      break;
    case PROP_LABELS:
      g_free (self->labels_path);
      self->labels_path = g_value_dup_string (value);
      break;
    case PROP_TOP_K:
      self->top_k = g_value_get_uint (value);
      break;
    case PROP_THRESHOLD:
      self->threshold = g_value_get_double (value);
      break;
    case PROP_INFERENCE_INTERVAL:
      self->interval = g_value_get_uint (value);
      break;
    case PROP_NUM_THREADS:
      self->num_threads = g_value_get_uint (value);
      break;
    case PROP_INFERENCE_NICE:
      self->inference_nice = g_value_get_int (value);
      break;
    case PROP_SCALING:
      self->scaling = g_value_get_enum (value);
      self->reconfigure = TRUE;
      break;
    case PROP_RESAMPLING:
      self->resampling = g_value_get_enum (value);
      self->reconfigure = TRUE;
      break;
    case PROP_MODE:
      self->mode = g_value_get_enum (value);
      break;
    case PROP_POST_MESSAGES:
      self->post_messages = g_value_get_boolean (value);
      break;
    case PROP_INFERENCE_REGION:
      self->region = g_value_get_enum (value);
      break;
    case PROP_OBJECT_CLASS:
      g_free (self->object_class);
      self->object_class = g_value_dup_string (value);
      break;
    case PROP_ATTACH_LOGITS:
      self->attach_logits = g_value_get_boolean (value);
      break;
    case PROP_MAX_ROIS:
      self->max_rois = g_value_get_uint (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static guint
shared_users (GstEfficientNet * self)
{
  guint users = 0;

  g_mutex_lock (&self->shared_lock);
  if (self->shared != NULL)
    users = gst_effnet_shared_get_users (self->shared);
  g_mutex_unlock (&self->shared_lock);
  return users;
}

static void
gst_efficientnet_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec)
{
  GstEfficientNet *self = GST_EFFICIENTNET (object);

  if (prop_id == PROP_SHARED_USERS) {
    g_value_set_uint (value, shared_users (self));
    return;
  }

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_WEIGHTS:
      g_value_set_string (value, self->weights);
      break;
    case PROP_VARIANT:
      g_value_set_enum (value, self->variant);
      break;
    case PROP_LABELS:
      g_value_set_string (value, self->labels_path);
      break;
    case PROP_TOP_K:
      g_value_set_uint (value, self->top_k);
      break;
    case PROP_THRESHOLD:
      g_value_set_double (value, self->threshold);
      break;
    case PROP_INFERENCE_INTERVAL:
      g_value_set_uint (value, self->interval);
      break;
    case PROP_NUM_THREADS:
      g_value_set_uint (value, self->num_threads);
      break;
    case PROP_INFERENCE_NICE:
      g_value_set_int (value, self->inference_nice);
      break;
    case PROP_SCALING:
      g_value_set_enum (value, self->scaling);
      break;
    case PROP_RESAMPLING:
      g_value_set_enum (value, self->resampling);
      break;
    case PROP_MEAN:
      g_value_copy (&self->mean, value);
      break;
    case PROP_STD:
      g_value_copy (&self->std, value);
      break;
    case PROP_MODE:
      g_value_set_enum (value, self->mode);
      break;
    case PROP_POST_MESSAGES:
      g_value_set_boolean (value, self->post_messages);
      break;
    case PROP_INFERENCE_REGION:
      g_value_set_enum (value, self->region);
      break;
    case PROP_OBJECT_CLASS:
      g_value_set_string (value, self->object_class);
      break;
    case PROP_ATTACH_LOGITS:
      g_value_set_boolean (value, self->attach_logits);
      break;
    case PROP_MAX_ROIS:
      g_value_set_uint (value, self->max_rois);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_efficientnet_finalize (GObject * object)
{
  GstEfficientNet *self = GST_EFFICIENTNET (object);

  g_free (self->weights);
  g_free (self->labels_path);
  g_free (self->object_class);
  g_value_unset (&self->mean);
  g_value_unset (&self->std);
  g_array_unref (self->rois);
  g_array_unref (self->rects);
  g_mutex_clear (&self->shared_lock);
  g_mutex_clear (&self->result_lock);

  G_OBJECT_CLASS (parent_class)->finalize (object);
}

#define READY_FLAGS \
    (G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY)
#define PLAYING_FLAGS \
    (G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_PLAYING)

static void
install_model_properties (GObjectClass * gobject_class)
{
  g_object_class_install_property (gobject_class, PROP_WEIGHTS,
      g_param_spec_string ("weights", "Weights",
          "EfficientNet weights: a .safetensors file, or a folder holding "
          "model.safetensors and config.json (elements naming the same file "
          "share one loaded model). Unset: the variant's (b0 for auto) weights "
          "fetched into the cache by the command effnet-fetch-weights ($EFFNET_CACHE, "
          "else $XDG_CACHE_HOME/effnet or ~/.cache/effnet)", DEFAULT_WEIGHTS,
          READY_FLAGS));
  g_object_class_install_property (gobject_class, PROP_VARIANT,
      g_param_spec_enum ("variant", "Variant",
          "Variant the weights must be (auto: whatever they are; anything "
          "else is checked against them)", GST_TYPE_EFFICIENTNET_VARIANT,
          DEFAULT_VARIANT, READY_FLAGS));
  g_object_class_install_property (gobject_class, PROP_LABELS,
      g_param_spec_string ("labels", "Labels",
          "Text file with one class name per line, as many lines as the model "
          "has classes (NULL: the built-in ImageNet-1k names for 1000 "
          "classes, else \"class N\")", DEFAULT_LABELS, READY_FLAGS));
  g_object_class_install_property (gobject_class, PROP_NUM_THREADS,
      g_param_spec_uint ("num-threads", "Number of threads",
          "Cores the shared model's inference may use (0 = every core): one "
          "worker each; a lone job runs on a team of them, jobs of several "
          "streams side by side; the element that loads a model decides for "
          "every element sharing it", 0, 1024, DEFAULT_NUM_THREADS,
          READY_FLAGS));
  g_object_class_install_property (gobject_class, PROP_INFERENCE_NICE,
      g_param_spec_int ("inference-nice", "Inference nice value",
          "Nice value of the shared model's inference threads (0 = the "
          "pipeline's priority): above 0, every other thread of the machine "
          "gets the CPU first — decoders keep their frames on time, but a "
          "busy process beside can starve the inference; the element that "
          "loads a model decides for every element sharing it",
          0, 19, DEFAULT_INFERENCE_NICE, READY_FLAGS));
  g_object_class_install_property (gobject_class, PROP_MODE,
      g_param_spec_enum ("mode", "Mode",
          "When results are computed: sync makes a classified frame wait for "
          "its result; async never holds a frame back (it carries the latest "
          "finished result, marked stale); auto is async for live sources",
          GST_TYPE_EFFICIENTNET_MODE, DEFAULT_MODE, READY_FLAGS));
  g_object_class_install_property (gobject_class, PROP_INFERENCE_REGION,
      g_param_spec_enum ("inference-region", "Inference region",
          "What is classified: whole frames, or each region of interest "
          "(GstVideoRegionOfInterestMeta) of a frame (up to max-rois, in "
          "batches of up to 16), always synchronously",
          GST_TYPE_EFFICIENTNET_REGION, DEFAULT_INFERENCE_REGION, READY_FLAGS));
  g_object_class_install_property (gobject_class, PROP_SHARED_USERS,
      g_param_spec_uint ("shared-users", "Shared users",
          "Elements in this process using the same loaded model as this one, "
          "itself included (0 when not started)", 0, G_MAXUINT, 0,
          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));
}

static void
install_frame_properties (GObjectClass * gobject_class)
{
  g_object_class_install_property (gobject_class, PROP_TOP_K,
      g_param_spec_uint ("top-k", "Top K",
          "Number of best classes reported, best first", 1, 1000,
          DEFAULT_TOP_K, PLAYING_FLAGS));
  g_object_class_install_property (gobject_class, PROP_THRESHOLD,
      g_param_spec_double ("threshold", "Threshold",
          "Classes whose softmax score is below this are not reported", 0.0,
          1.0, DEFAULT_THRESHOLD, PLAYING_FLAGS));
  g_object_class_install_property (gobject_class, PROP_INFERENCE_INTERVAL,
      g_param_spec_uint ("inference-interval", "Inference interval",
          "Classify every Nth frame; the frames between carry the last "
          "result, marked stale", 1, G_MAXUINT, DEFAULT_INFERENCE_INTERVAL,
          PLAYING_FLAGS));
  g_object_class_install_property (gobject_class, PROP_SCALING,
      g_param_spec_enum ("scaling", "Scaling",
          "How a frame (or region) is fitted to the model's square input",
          GST_TYPE_EFFICIENTNET_SCALING, DEFAULT_SCALING, PLAYING_FLAGS));
  g_object_class_install_property (gobject_class, PROP_RESAMPLING,
      g_param_spec_enum ("resampling", "Resampling",
          "Filter that shrinks the frame (or region) to the model's input",
          GST_TYPE_EFFICIENTNET_RESAMPLING, DEFAULT_RESAMPLING, PLAYING_FLAGS));
  g_object_class_install_property (gobject_class, PROP_MEAN,
      gst_param_spec_array ("mean", "Mean",
          "Normalization mean of red, green and blue, in 0..1 units, e.g. "
          "\"<0.485, 0.456, 0.406>\" (empty: from the weights' config.json, "
          "else ImageNet's)",
          g_param_spec_double ("channel-mean", "Channel mean",
              "Mean of one channel", -G_MAXDOUBLE, G_MAXDOUBLE, 0.0,
              G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS), PLAYING_FLAGS));
  g_object_class_install_property (gobject_class, PROP_STD,
      gst_param_spec_array ("std", "Standard deviation",
          "Normalization standard deviation of red, green and blue, in 0..1 "
          "units, e.g. \"<0.229, 0.224, 0.225>\" (empty: from the weights' "
          "config.json, else ImageNet's)",
          g_param_spec_double ("channel-std", "Channel std",
              "Standard deviation of one channel", -G_MAXDOUBLE, G_MAXDOUBLE,
              1.0, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS), PLAYING_FLAGS));
  g_object_class_install_property (gobject_class, PROP_POST_MESSAGES,
      g_param_spec_boolean ("post-messages", "Post messages",
          "Post an element message named \"efficientnet\" with each frame's "
          "result and its timestamps", DEFAULT_POST_MESSAGES, PLAYING_FLAGS));
  g_object_class_install_property (gobject_class, PROP_OBJECT_CLASS,
      g_param_spec_string ("object-class", "Object class",
          "With inference-region=roi-list, classify only regions whose "
          "roi_type is this (NULL: all regions)", DEFAULT_OBJECT_CLASS,
          PLAYING_FLAGS));
  g_object_class_install_property (gobject_class, PROP_ATTACH_LOGITS,
      g_param_spec_boolean ("attach-logits", "Attach logits",
          "Also put the raw logits (an array of floats, one per class) in "
          "the metadata", DEFAULT_ATTACH_LOGITS, PLAYING_FLAGS));
  g_object_class_install_property (gobject_class, PROP_MAX_ROIS,
      g_param_spec_uint ("max-rois", "Maximum ROIs",
          "With inference-region=roi-list, classify at most this many regions "
          "of a frame, the first ones in metadata order; the others get no "
          "result and are counted in roi-skipped (0: no limit). A bound on "
          "the time a frame can take (each region is one inference: 64 B0 "
          "regions take about as long as 64 frames), not on memory: regions "
          "always run in batches of at most 16", 0, G_MAXUINT,
          DEFAULT_MAX_ROIS, PLAYING_FLAGS));
}

static void
gst_efficientnet_class_init (GstEfficientNetClass * klass)
{
  GObjectClass *gobject_class = (GObjectClass *) klass;
  GstElementClass *element_class = (GstElementClass *) klass;
  GstBaseTransformClass *trans_class = (GstBaseTransformClass *) klass;
  GstVideoFilterClass *filter_class = (GstVideoFilterClass *) klass;

  GST_DEBUG_CATEGORY_INIT (gst_efficientnet_debug, "efficientnet", 0,
      "EfficientNet classifier");
  gst_effnet_meta_register ();

  gobject_class->set_property = gst_efficientnet_set_property;
  gobject_class->get_property = gst_efficientnet_get_property;
  gobject_class->finalize = gst_efficientnet_finalize;
  install_model_properties (gobject_class);
  install_frame_properties (gobject_class);

  gst_element_class_set_static_metadata (element_class,
      "EfficientNet classifier", "Filter/Analyzer/Video",
      "Classifies video frames or their regions of interest with EfficientNet "
      "B0-B7 on the CPU and attaches the results as metadata",
      "effnet project");
  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_add_static_pad_template (element_class, &src_template);

  trans_class->passthrough_on_same_caps = TRUE;
  trans_class->transform_ip_on_passthrough = TRUE;
  trans_class->start = GST_DEBUG_FUNCPTR (gst_efficientnet_start);
  trans_class->stop = GST_DEBUG_FUNCPTR (gst_efficientnet_stop);
  trans_class->prepare_output_buffer =
      GST_DEBUG_FUNCPTR (gst_efficientnet_prepare_output_buffer);
  trans_class->src_event = GST_DEBUG_FUNCPTR (gst_efficientnet_src_event);
  trans_class->sink_event = GST_DEBUG_FUNCPTR (gst_efficientnet_sink_event);
  trans_class->query = GST_DEBUG_FUNCPTR (gst_efficientnet_query);
  filter_class->set_info = GST_DEBUG_FUNCPTR (gst_efficientnet_set_info);
  filter_class->transform_frame_ip =
      GST_DEBUG_FUNCPTR (gst_efficientnet_transform_frame_ip);

  gst_type_mark_as_plugin_api (GST_TYPE_EFFICIENTNET_VARIANT, 0);
  gst_type_mark_as_plugin_api (GST_TYPE_EFFICIENTNET_SCALING, 0);
  gst_type_mark_as_plugin_api (GST_TYPE_EFFICIENTNET_MODE, 0);
  gst_type_mark_as_plugin_api (GST_TYPE_EFFICIENTNET_REGION, 0);
}

static void
gst_efficientnet_init (GstEfficientNet * self)
{
  self->variant = DEFAULT_VARIANT;
  self->top_k = DEFAULT_TOP_K;
  self->threshold = DEFAULT_THRESHOLD;
  self->interval = DEFAULT_INFERENCE_INTERVAL;
  self->num_threads = DEFAULT_NUM_THREADS;
  self->inference_nice = DEFAULT_INFERENCE_NICE;
  self->scaling = DEFAULT_SCALING;
  self->resampling = DEFAULT_RESAMPLING;
  self->mode = DEFAULT_MODE;
  self->post_messages = DEFAULT_POST_MESSAGES;
  self->region = DEFAULT_INFERENCE_REGION;
  self->attach_logits = DEFAULT_ATTACH_LOGITS;
  self->max_rois = DEFAULT_MAX_ROIS;
  g_value_init (&self->mean, GST_TYPE_ARRAY);
  g_value_init (&self->std, GST_TYPE_ARRAY);
  g_mutex_init (&self->shared_lock);
  g_mutex_init (&self->result_lock);
  self->rois = g_array_new (FALSE, FALSE, sizeof (Roi));
  self->rects = g_array_new (FALSE, FALSE, sizeof (EffnetRect));
  gst_video_info_init (&self->in_info);
  self->earliest_time = GST_CLOCK_TIME_NONE;
  /* analyzer: caps and pixels pass unchanged, see prepare_output_buffer */
  gst_base_transform_set_passthrough (GST_BASE_TRANSFORM (self), TRUE);
}
