/* gstefficientnetpriv.h — the efficientnet element's instance and what its
 * files share. The element is split by concern:
 *
 *   gstefficientnet.c  the element: properties, start/stop, caps, QoS and
 *                      latency events and queries, the per-frame entry point
 *   effnetenums.c      the properties' enumerations
 *   effnetprep.c       the frame path's plan (caps -> EffnetFrame, fit,
 *                      filter, normalization) for the engine's nn/prep.c
 *   effnetresult.c     class names, ranking, the latest result, publishing
 *                      it as meta and message (fields: effnetmeta.c)
 *   effnetsubmit.c     full frames to the shared model, sync or async
 *   effnetroi.c        regions of interest, in batches, sync
 *   effnettiming.c     mode (sync/async), QoS lateness, measured latency
 *
 * The shared models are effnetshared.c, their scheduler effnetscheduler.c. */
#ifndef __GST_EFFICIENTNET_PRIV_H__
#define __GST_EFFICIENTNET_PRIV_H__

#include "gstefficientnet.h"
#include "effnetenums.h"
#include "effnetshared.h"

#include <string.h>

G_BEGIN_DECLS GST_DEBUG_CATEGORY_EXTERN (gst_efficientnet_debug);

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

/* An engine or GLib message as a sentence (a final full stop). */
static inline gchar *
gst_efficientnet_sentence (const gchar * text)
{
  gsize len = strlen (text);

  return g_strdup_printf ("%s%s", text,
      len > 0 && text[len - 1] == '.' ? "" : ".");
}

G_END_DECLS
#endif /* __GST_EFFICIENTNET_PRIV_H__ */
