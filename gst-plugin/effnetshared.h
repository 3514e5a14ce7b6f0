/* effnetshared.h — one loaded EfficientNet per weights file per process, and
 * one inference thread per loaded model.
 *
 * Every efficientnet element that names the same weights (the same weights
 * file and config.json, resolved, unchanged since; same variant and padding)
 * gets the same GstEffnetShared: the model is loaded once, without holding
 * the table's lock (elements asking for a model being loaded wait for that
 * load only), and freed when the last element releases it. Each shared model
 * owns one thread that runs every forward pass of every element using it,
 * with one EffnetWorkspace, made for one image and grown to the largest job
 * (up to GST_EFFNET_SHARED_MAX_BATCH images); libgomp keeps one thread team
 * per calling thread, so all the OpenMP work of that model runs in one pool
 * however many elements use it.
 *
 * Elements hand work to the thread as a GstEffnetJob: n normalized images, or
 * a frame path plan (EffnetPrep) whose frames the inference threads prepare
 * themselves, in; n rows of logits out. A job is owned by its element; it is
 * in the thread's queue or being run from gst_effnet_shared_submit() until it
 * is done.
 */
#ifndef __GST_EFFNET_SHARED_H__
#define __GST_EFFNET_SHARED_H__

#include <gst/gst.h>

#include "effnet.h"

G_BEGIN_DECLS

/* Images per forward chunk at most: the largest workspace a shared model
 * makes, and the largest job an element should submit. */
#define GST_EFFNET_SHARED_MAX_BATCH 16

typedef struct _GstEffnetShared GstEffnetShared;
typedef struct _GstEffnetJob GstEffnetJob;

/* Called on the model thread once the forward pass is over (rc and logits
 * are final), before waiters are woken. Must not block. */
typedef void (*GstEffnetJobDoneFunc) (GstEffnetJob * job, gpointer user_data);

struct _GstEffnetJob
{
  /* set by the element before submitting */
  EffnetPrep *prep;             /* planned frames (mapped until done), or NULL: */
  float *input;                 /* [n, 3, S, S], planar, normalized */
  float *logits;                /* [n, num_classes] */
  int n;
  GstEffnetJobDoneFunc done_func;
  gpointer user_data;

  /* set by the model thread */
  gint64 forward_ns;            /* monotonic time of effnet_forward */
  int rc;                       /* 0, or -1 with err filled */
  char err[EFFNET_ERRLEN];

  /* private */
  gsize capacity;               /* results `logits` can hold */
  gsize input_capacity;         /* images `input` can hold */
  gsize image_floats, classes;
  gboolean quit;
  gboolean done;
  GMutex lock;
  GCond cond;
};

GstEffnetShared *gst_effnet_shared_acquire (const gchar * path, gint variant,
    guint num_threads, GObject * requester, GError ** error);
void gst_effnet_shared_release (GstEffnetShared * shared);

const EffnetModel *gst_effnet_shared_get_model (GstEffnetShared * shared);
const EffnetInfo *gst_effnet_shared_get_info (GstEffnetShared * shared);
guint gst_effnet_shared_get_users (GstEffnetShared * shared);
/* Threads the model's inference runs on (resolved: never 0). */
guint gst_effnet_shared_get_threads (GstEffnetShared * shared);

GstEffnetJob *gst_effnet_job_new (const EffnetInfo * info);
void gst_effnet_job_free (GstEffnetJob * job);
/* Room for n results (and n input images when `input`). */
gboolean gst_effnet_job_reserve (GstEffnetJob * job, int n, gboolean input);

/* Queue the job and return at once (its done_func reports completion). */
void gst_effnet_shared_submit (GstEffnetShared * shared, GstEffnetJob * job);
/* Block until a submitted job is done. */
void gst_effnet_job_wait (GstEffnetJob * job);
/* Whether the last submitted job is done (TRUE for a job never submitted). */
gboolean gst_effnet_job_is_done (GstEffnetJob * job);

G_END_DECLS

#endif /* __GST_EFFNET_SHARED_H__ */
