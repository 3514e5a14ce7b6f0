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

#include "gstefficientnet.h"
#include "effnetshared.h"
#include "effnetmeta.h"

#include <math.h>
#include <string.h>

GST_DEBUG_CATEGORY (gst_efficientnet_debug);
#define GST_CAT_DEFAULT gst_efficientnet_debug

typedef enum
{
  SCALING_CENTER_CROP,
  SCALING_LETTERBOX,
  SCALING_STRETCH,
} GstEfficientNetScaling;

typedef enum
{
  RESAMPLING_ACCURATE,
  RESAMPLING_FAST,
} GstEfficientNetResampling;

typedef enum
{
  MODE_AUTO,
  MODE_SYNC,
  MODE_ASYNC,
} GstEfficientNetMode;

typedef enum
{
  REGION_FULL_FRAME,
  REGION_ROI_LIST,
} GstEfficientNetRegion;

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

/* The latest full-frame result; written by the streaming thread (sync) or a
 * worker of the shared model (async), so it lives under result_lock. */
typedef struct
{
  float *logits;
  gboolean valid;
  guint64 source_frame;
  guint64 inference_ns;
  gchar *error;                 /* async failure, reported on the next frame */
} Result;

/* A region to classify: its meta and its rectangle clamped to the frame. */
typedef struct
{
  GstVideoRegionOfInterestMeta *meta;
  GstVideoRectangle rect;
} Roi;

/* Per-frame copy of the properties that may change while PLAYING. */
typedef struct
{
  guint top_k;
  gdouble threshold;
  guint interval;
  gboolean post_messages;
  gboolean attach_logits;
  gchar *object_class;
  guint max_rois;
  gboolean reconfigure;
} FrameSettings;

struct _GstEfficientNet
{
  GstVideoFilter parent;

  /* properties, with the object lock */
  gchar *weights;
  gint variant;
  gchar *labels_path;
  guint top_k;
  gdouble threshold;
  guint interval;
  guint num_threads;
  gint inference_nice;
  GstEfficientNetScaling scaling;
  GstEfficientNetResampling resampling;
  GValue mean;                  /* GstValueArray, empty = from the weights */
  GValue std;
  GstEfficientNetMode mode;
  gboolean post_messages;
  GstEfficientNetRegion region;
  gchar *object_class;
  gboolean attach_logits;
  guint max_rois;
  gboolean reconfigure;         /* scaling, mean or std changed */

  /* the model, from start to stop; shared_lock guards the pointer for
   * get_property, which may run while the element starts or stops */
  GMutex shared_lock;
  GstEffnetShared *shared;
  gchar **labels;
  gchar *model_name;
  gint size;                    /* the model's square input side */
  gint classes;
  GstEfficientNetMode active_mode;
  GstEfficientNetRegion active_region;

  /* preprocessing (the engine's frame path), owned by the streaming thread */
  EffnetPrep *prep;
  GstVideoInfo in_info;
  EffnetFrame frame;            /* format and colour from the caps */
  GArray *rois;                 /* of Roi, up to max-rois */
  GArray *rects;                /* of EffnetRect, one chunk of the ROIs' */
  float *probs;
  int *top;
  float *levels;                /* the ranking's probabilities and names */
  const gchar **names;

  /* stream state, streaming thread */
  GstEffnetClient *client;      /* our place in the shared model's rotation */
  GstEffnetJob *jobs[2];        /* [0]: sync and ROI jobs; async: one pending,
                                 * one running at most */
  guint64 frame_count;
  guint64 next_due;
  guint64 roi_frame;            /* last frame whose ROIs were classified */
  guint64 roi_ns;
  gboolean warned_max_rois;

  /* with the object lock */
  gboolean mode_decided;
  gboolean async;
  GstClockTime earliest_time;   /* QoS: frames up to this running time are late */
  GstClockTime latency;         /* largest measured sync inference */

  GMutex result_lock;
  Result result;
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

/* ---- enum types ---- */

#define GST_TYPE_EFFICIENTNET_VARIANT (gst_efficientnet_variant_get_type ())
static GType
gst_efficientnet_variant_get_type (void)
{
  static gsize type = 0;
  static const GEnumValue values[] = {
    {-1, "Whatever the weights are", "auto"},
    {0, "EfficientNet-B0 (224x224)", "b0"},
    {1, "EfficientNet-B1 (240x240)", "b1"},
    {2, "EfficientNet-B2 (260x260)", "b2"},
    {3, "EfficientNet-B3 (300x300)", "b3"},
    {4, "EfficientNet-B4 (380x380)", "b4"},
    {5, "EfficientNet-B5 (456x456)", "b5"},
    {6, "EfficientNet-B6 (528x528)", "b6"},
    {7, "EfficientNet-B7 (600x600)", "b7"},
    {0, NULL, NULL},
  };

  if (g_once_init_enter (&type))
    g_once_init_leave (&type,
        g_enum_register_static ("GstEfficientNetVariant", values));
  return type;
}

#define GST_TYPE_EFFICIENTNET_SCALING (gst_efficientnet_scaling_get_type ())
static GType
gst_efficientnet_scaling_get_type (void)
{
  static gsize type = 0;
  static const GEnumValue values[] = {
    {SCALING_CENTER_CROP, "As timm and torchvision evaluate: the shorter "
          "side scaled to input / crop_pct (crop_pct from the weights' "
          "config.json, else 0.875), the centre cut out", "center-crop"},
    {SCALING_LETTERBOX, "Whole frame fitted inside the input keeping its "
          "aspect ratio, borders in the mean colour", "letterbox"},
    {SCALING_STRETCH, "Whole frame scaled to the input, aspect ratio "
          "not kept", "stretch"},
    {0, NULL, NULL},
  };

  if (g_once_init_enter (&type))
    g_once_init_leave (&type,
        g_enum_register_static ("GstEfficientNetScaling", values));
  return type;
}

#define GST_TYPE_EFFICIENTNET_RESAMPLING (gst_efficientnet_resampling_get_type ())
static GType
gst_efficientnet_resampling_get_type (void)
{
  static gsize type = 0;
  static const GEnumValue values[] = {
    {RESAMPLING_ACCURATE, "The filter the weights were evaluated with "
          "(bicubic or bilinear, from config.json), antialiased as Pillow "
          "does when shrinking: RGB frames give Pillow's own values, the "
          "model sees what it was evaluated on", "accurate"},
    {RESAMPLING_FAST, "Two-tap bilinear without antialiasing (OpenCV's "
          "default resize): cheaper on large frames, less faithful", "fast"},
    {0, NULL, NULL},
  };

  if (g_once_init_enter (&type))
    g_once_init_leave (&type,
        g_enum_register_static ("GstEfficientNetResampling", values));
  return type;
}

#define GST_TYPE_EFFICIENTNET_MODE (gst_efficientnet_mode_get_type ())
static GType
gst_efficientnet_mode_get_type (void)
{
  static gsize type = 0;
  static const GEnumValue values[] = {
    {MODE_AUTO, "async when upstream is live, else sync", "auto"},
    {MODE_SYNC, "A classified frame waits for its own result", "sync"},
    {MODE_ASYNC, "Inference runs beside the stream; frames never wait and "
          "carry the latest finished result", "async"},
    {0, NULL, NULL},
  };

  if (g_once_init_enter (&type))
    g_once_init_leave (&type,
        g_enum_register_static ("GstEfficientNetMode", values));
  return type;
}

#define GST_TYPE_EFFICIENTNET_REGION (gst_efficientnet_region_get_type ())
static GType
gst_efficientnet_region_get_type (void)
{
  static gsize type = 0;
  static const GEnumValue values[] = {
    {REGION_FULL_FRAME, "Classify whole frames", "full-frame"},
    {REGION_ROI_LIST, "Classify each GstVideoRegionOfInterestMeta of a "
          "frame (up to max-rois), in batches of up to 16", "roi-list"},
    {0, NULL, NULL},
  };

  if (g_once_init_enter (&type))
    g_once_init_leave (&type,
        g_enum_register_static ("GstEfficientNetRegion", values));
  return type;
}

/* ---- small helpers ---- */

/* Reads a 3-value mean/std property; an empty one takes `fallback`. */
static gboolean
read_triplet (const GValue * array, const gfloat fallback[3], gfloat out[3],
    const gchar * name, gboolean nonzero, gchar ** error)
{
  guint n = gst_value_array_get_size (array), i;

  if (n == 0) {
    memcpy (out, fallback, 3 * sizeof (gfloat));
    return TRUE;
  }
  if (n != 3) {
    *error = g_strdup_printf ("The \"%s\" property needs 3 values (red, "
        "green, blue) but has %u.", name, n);
    return FALSE;
  }
  for (i = 0; i < 3; i++) {
    GValue d = G_VALUE_INIT;

    g_value_init (&d, G_TYPE_DOUBLE);
    if (!g_value_transform (gst_value_array_get_value (array, i), &d) ||
        !isfinite (g_value_get_double (&d)) ||
        (nonzero && g_value_get_double (&d) == 0.0)) {
      *error = g_strdup_printf ("Value %u of the \"%s\" property is not a "
          "finite%s number.", i + 1, name, nonzero ? ", non-zero" : "");
      return FALSE;
    }
    out[i] = (gfloat) g_value_get_double (&d);
  }
  return TRUE;
}

static gchar *
sentence (const gchar * text)
{
  gsize len = strlen (text);

  return g_strdup_printf ("%s%s", text,
      len > 0 && text[len - 1] == '.' ? "" : ".");
}

/* ---- model, labels, preprocessing ---- */

/* The engine's reader checks what reaches the metadata (and so Pango, JSON
 * and Python): a regular file of bounded size, one valid UTF-8 name a line
 * without control characters, as many as the model has classes. */
static gchar **
labels_from_file (const gchar * path, gint classes, gchar ** error)
{
  char err[EFFNET_ERRLEN];
  char **names = effnet_labels_load (path, classes, err, sizeof err);
  gchar **labels;

  if (names == NULL) {
    *error = sentence (err);
    return NULL;
  }
  labels = g_strdupv (names);
  effnet_labels_free (names);
  return labels;
}

static gchar **
labels_builtin (gint classes)
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

static void
post_load_error (GstEfficientNet * self, const GError * error,
    const gchar * weights)
{
  gchar *text = sentence (error->message);

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
    self->labels = labels_from_file (labels_path, self->classes, &error);
  else
    self->labels = labels_builtin (self->classes);
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

/* The frame path's plan: fit, filter and normalization from the weights and
 * the properties. At start a bad value is an error; a bad value set while
 * playing is ignored with a warning (the previous plan stays). */
static gboolean
setup_preprocessing (GstEfficientNet * self, gboolean at_start)
{
  const EffnetInfo *info = gst_effnet_shared_get_info (self->shared);
  static const EffnetFit fits[] = {
    [SCALING_CENTER_CROP] = EFFNET_FIT_CENTER_CROP,
    [SCALING_LETTERBOX] = EFFNET_FIT_LETTERBOX,
    [SCALING_STRETCH] = EFFNET_FIT_STRETCH,
  };
  EffnetPrepOptions opt;
  EffnetPrep *prep = NULL;
  char err[EFFNET_ERRLEN];
  gchar *error = NULL;
  gboolean ok;

  effnet_prep_options_init (&opt, info);
  GST_OBJECT_LOCK (self);
  opt.fit = fits[self->scaling];
  if (self->resampling == RESAMPLING_FAST)
    opt.filter = EFFNET_FILTER_FAST;
  ok = read_triplet (&self->mean, info->mean, opt.mean, "mean", FALSE, &error)
      && read_triplet (&self->std, info->std, opt.std, "std", TRUE, &error);
  GST_OBJECT_UNLOCK (self);

  if (ok && (prep = effnet_prep_new (&opt, err, sizeof err)) == NULL) {
    error = sentence (err);
    ok = FALSE;
  }
  if (!ok) {
    if (at_start)
      GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS, ("%s", error), (NULL));
    else
      GST_ELEMENT_WARNING (self, RESOURCE, SETTINGS, ("%s", error),
          ("keeping the previous preprocessing"));
    g_free (error);
    return FALSE;
  }
  effnet_prep_free (self->prep);
  self->prep = prep;
  GST_INFO_OBJECT (self, "preprocessing: %s, %s, crop %.3f", effnet_fit_name
      (opt.fit), effnet_filter_name (opt.filter), opt.crop_pct);
  return TRUE;
}

/* The frame path's description of the negotiated video. */
static gboolean
frame_from_info (const GstVideoInfo * info, EffnetFrame * f)
{
  static const struct
  {
    GstVideoFormat gst;
    EffnetFormat ours;
  } formats[] = {
    {GST_VIDEO_FORMAT_I420, EFFNET_FORMAT_I420},
    {GST_VIDEO_FORMAT_YV12, EFFNET_FORMAT_YV12},
    {GST_VIDEO_FORMAT_NV12, EFFNET_FORMAT_NV12},
    {GST_VIDEO_FORMAT_NV21, EFFNET_FORMAT_NV21},
    {GST_VIDEO_FORMAT_YUY2, EFFNET_FORMAT_YUY2},
    {GST_VIDEO_FORMAT_UYVY, EFFNET_FORMAT_UYVY},
    {GST_VIDEO_FORMAT_YVYU, EFFNET_FORMAT_YVYU},
    {GST_VIDEO_FORMAT_RGB, EFFNET_FORMAT_RGB},
    {GST_VIDEO_FORMAT_BGR, EFFNET_FORMAT_BGR},
    {GST_VIDEO_FORMAT_RGBx, EFFNET_FORMAT_RGBX},
    {GST_VIDEO_FORMAT_RGBA, EFFNET_FORMAT_RGBX},
    {GST_VIDEO_FORMAT_BGRx, EFFNET_FORMAT_BGRX},
    {GST_VIDEO_FORMAT_BGRA, EFFNET_FORMAT_BGRX},
    {GST_VIDEO_FORMAT_xRGB, EFFNET_FORMAT_XRGB},
    {GST_VIDEO_FORMAT_ARGB, EFFNET_FORMAT_XRGB},
    {GST_VIDEO_FORMAT_xBGR, EFFNET_FORMAT_XBGR},
    {GST_VIDEO_FORMAT_ABGR, EFFNET_FORMAT_XBGR},
    {GST_VIDEO_FORMAT_GRAY8, EFFNET_FORMAT_GRAY8},
  };
  const GstVideoColorimetry *c = &GST_VIDEO_INFO_COLORIMETRY (info);
  guint i;

  memset (f, 0, sizeof *f);
  for (i = 0; i < G_N_ELEMENTS (formats); i++)
    if (formats[i].gst == GST_VIDEO_INFO_FORMAT (info))
      break;
  if (i == G_N_ELEMENTS (formats))
    return FALSE;
  f->format = formats[i].ours;
  f->width = GST_VIDEO_INFO_WIDTH (info);
  f->height = GST_VIDEO_INFO_HEIGHT (info);
  /* SMPTE 240M is within a part in a thousand of BT.709, FCC of BT.601 */
  f->matrix = c->matrix == GST_VIDEO_COLOR_MATRIX_BT2020 ?
      EFFNET_MATRIX_BT2020 : c->matrix == GST_VIDEO_COLOR_MATRIX_BT709 ||
      c->matrix == GST_VIDEO_COLOR_MATRIX_SMPTE240M ? EFFNET_MATRIX_BT709 :
      EFFNET_MATRIX_BT601;
  f->full_range = c->range == GST_VIDEO_COLOR_RANGE_0_255;
  /* unknown siting is centred, as GstVideoConverter takes it */
  f->chroma_site =
      (GST_VIDEO_INFO_CHROMA_SITE (info) & GST_VIDEO_CHROMA_SITE_H_COSITED ?
      EFFNET_CHROMA_COSITED_H : 0) |
      (GST_VIDEO_INFO_CHROMA_SITE (info) & GST_VIDEO_CHROMA_SITE_V_COSITED ?
      EFFNET_CHROMA_COSITED_V : 0);
  return TRUE;
}

/* Plans n images of the mapped frame (rects NULL: the whole frame) for
 * `threads` threads. */
static gboolean
plan_frame (GstEfficientNet * self, GstVideoFrame * frame,
    const EffnetRect * rects, gint n, guint threads)
{
  char err[EFFNET_ERRLEN];
  guint p;

  for (p = 0; p < GST_VIDEO_FRAME_N_PLANES (frame) && p < 3; p++) {
    self->frame.data[p] = GST_VIDEO_FRAME_PLANE_DATA (frame, p);
    self->frame.stride[p] = (size_t) GST_VIDEO_FRAME_PLANE_STRIDE (frame, p);
  }
  if (effnet_prep_plan (self->prep, &self->frame, rects, n, (int) threads,
          err, sizeof err) != 0) {
    gchar *text = sentence (err);

    GST_ELEMENT_ERROR (self, STREAM, FAILED,
        ("Cannot prepare the %s frame for the model: %s",
            GST_VIDEO_INFO_NAME (&self->in_info), text), (NULL));
    g_free (text);
    return FALSE;
  }
  return TRUE;
}

/* ---- results ---- */

/* Softmax, top-k and threshold into self->probs / self->top; returns how
 * many classes are reported. */
static gint
rank_classes (GstEfficientNet * self, const float *logits,
    const FrameSettings * fs)
{
  gint count, i;

  effnet_softmax (logits, self->classes, self->probs);
  count = effnet_top_k (self->probs, self->classes, (int) fs->top_k,
      self->top);
  for (i = 0; i < count; i++) {
    if (!(self->probs[self->top[i]] >= fs->threshold))
      break;
  }
  return i;
}

/* The ranking of one result (an empty one when logits is NULL), plus the
 * logits when asked for; returns how many classes are reported. */
static gint
set_ranking (GstEfficientNet * self, GstStructure * s, const float *logits,
    const FrameSettings * fs)
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
post_result_message (GstEfficientNet * self, GstBuffer * buf,
    GstStructure * s)
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
 * custom meta, and posts it when asked. Takes `s`. */
static void
publish (GstEfficientNet * self, GstBuffer * buf, guint64 index,
    guint64 source_frame, guint64 inference_ns, GstStructure * s,
    const FrameSettings * fs)
{
  gst_effnet_meta_set_source (s, self->model_name, source_frame != index,
      source_frame, inference_ns, GST_ELEMENT_NAME (self));
  gst_effnet_meta_add (buf, s);
  if (fs->post_messages)
    post_result_message (self, buf, s);
  else
    gst_structure_free (s);
}

static void
store_result (GstEfficientNet * self, const float *logits, guint64 frame,
    guint64 inference_ns)
{
  g_mutex_lock (&self->result_lock);
  memcpy (self->result.logits, logits, self->classes * sizeof (float));
  self->result.valid = TRUE;
  self->result.source_frame = frame;
  self->result.inference_ns = inference_ns;
  g_mutex_unlock (&self->result_lock);
}

static void
attach_frame_result (GstEfficientNet * self, GstBuffer * buf, guint64 index,
    const FrameSettings * fs)
{
  GstStructure *s = gst_effnet_meta_structure_new ();
  guint64 source, ns;

  g_mutex_lock (&self->result_lock);
  set_ranking (self, s, self->result.valid ? self->result.logits : NULL, fs);
  source = self->result.valid ? self->result.source_frame :
      GST_EFFNET_NO_FRAME;
  ns = self->result.valid ? self->result.inference_ns : 0;
  g_mutex_unlock (&self->result_lock);
  publish (self, buf, index, source, ns, s, fs);
}

/* ---- inference ---- */

/* Latency is the largest time a classified frame spent in the element. A
 * clearly larger one (10 %) asks the pipeline to query latency again. */
static void
update_latency (GstEfficientNet * self, GstClockTime spent)
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

/* Before a sync job: no async job of ours pending or running (the mode can
 * change while playing; jobs[0] is the sync job). */
static void
settle_jobs (GstEfficientNet * self)
{
  gst_effnet_client_withdraw (self->client);
  gst_effnet_job_wait (self->jobs[0]);
  gst_effnet_job_wait (self->jobs[1]);
}

static gboolean
run_job (GstEfficientNet * self)
{
  GstEffnetJob *job = self->jobs[0];

  settle_jobs (self);
  job->done_func = NULL;
  gst_effnet_client_submit (self->client, job);
  gst_effnet_job_wait (job);
  if (job->rc != 0) {
    gchar *text = sentence (job->err);

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

  if (!plan_frame (self, frame, NULL, 1,
          gst_effnet_shared_get_threads (self->shared)))
    return GST_FLOW_ERROR;
  pre = gst_util_get_timestamp () - start;
  self->jobs[0]->prep = self->prep;
  self->jobs[0]->n = 1;
  ok = run_job (self);
  self->jobs[0]->prep = NULL;
  if (!ok)
    return GST_FLOW_ERROR;
  store_result (self, self->jobs[0]->logits, index, pre + self->jobs[0]->forward_ns);
  update_latency (self, gst_util_get_timestamp () - start);
  return GST_FLOW_OK;
}

/* Model thread: the async job is over. */
static void
async_done (GstEffnetJob * job, gpointer user_data)
{
  GstEfficientNet *self = user_data;

  if (job->rc == 0) {
    store_result (self, job->logits, job->frame, job->pre_ns + job->forward_ns);
    return;
  }
  g_mutex_lock (&self->result_lock);
  if (self->result.error == NULL)
    self->result.error = sentence (job->err);
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
  if (!plan_frame (self, frame, NULL, 1, 1))
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

static GstFlowReturn
classify_full_frame (GstEfficientNet * self, GstVideoFrame * frame,
    guint64 index, gboolean due, const FrameSettings * fs)
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
    attach_frame_result (self, frame->buffer, index, fs);
  return ret;
}

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
    Roi roi = { m, {(gint) x0, (gint) y0, (gint) (x1 - x0), (gint) (y1 - y0)} };

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

  if (set_ranking (self, s, logits, fs) == 0) {
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
  if (!plan_frame (self, frame, (const EffnetRect *) self->rects->data,
          (gint) n, gst_effnet_shared_get_threads (self->shared)))
    return FALSE;
  pre = gst_util_get_timestamp () - start;
  job->prep = self->prep;
  job->n = (int) n;
  ok = run_job (self);
  job->prep = NULL;
  if (!ok)
    return FALSE;
  for (i = 0; i < n; i++) {
    GstStructure *param = roi_param_new (self, job->logits + i * job->classes,
        fs);

    if (param != NULL)
      gst_video_region_of_interest_meta_add_param (g_array_index (self->rois,
              Roi, first + i).meta, param);
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
  update_latency (self, gst_util_get_timestamp () - start);
  return TRUE;
}

/* roi-list mode: results go to the ROIs; the frame meta carries no ranking,
 * only roi-count and the timing of the frame's batch. */
static GstFlowReturn
classify_roi_frame (GstEfficientNet * self, GstVideoFrame * frame,
    guint64 index, gboolean due, const FrameSettings * fs)
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
  set_ranking (self, s, NULL, fs);
  publish (self, frame->buffer, index, self->roi_frame, self->roi_ns, s, fs);
  return GST_FLOW_OK;
}

/* ---- mode, QoS, latency ---- */

static void
set_mode_locked (GstEfficientNet * self, gboolean live)
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
static void
decide_mode (GstEfficientNet * self)
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
    set_mode_locked (self, live);
  async = self->async;
  GST_OBJECT_UNLOCK (self);
  GST_INFO_OBJECT (self, "running %s", async ? "async" : "sync");
}

/* Late by the last QoS event: such frames pass without inference. */
static gboolean
is_late (GstEfficientNet * self, GstBuffer * buf)
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
    set_mode_locked (self, live);
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
              "with scripts/fetch_weights.sh %s.", effnet_variant_name (v),
              found == 0 ? " in " : "", found == 0 ? cached : "",
              effnet_variant_name (v)), (NULL));
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

  if (!setup_model (self, labels) || !setup_preprocessing (self, TRUE))
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
  if (!frame_from_info (in_info, &self->frame)) {
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
    setup_preprocessing (self, FALSE);
  decide_mode (self);
  due = index >= self->next_due && !is_late (self, frame->buffer);

  if (self->active_region == REGION_ROI_LIST)
    ret = classify_roi_frame (self, frame, index, due, &fs);
  else
    ret = classify_full_frame (self, frame, index, due, &fs);
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
          "fetched into the cache by scripts/fetch_weights.sh ($EFFNET_CACHE, "
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
          GST_TYPE_EFFICIENTNET_REGION,
          DEFAULT_INFERENCE_REGION, READY_FLAGS));
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
              1.0, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS),
          PLAYING_FLAGS));
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
