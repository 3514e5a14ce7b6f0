/* effnetshared.h — one loaded EfficientNet per weights file per process, and
 * the workers that run every element's jobs on it.
 *
 * Every efficientnet element that names the same weights (the same weights
 * file and config.json, resolved, unchanged since; same variant and padding)
 * gets the same GstEffnetShared: the model is loaded once, without holding
 * the table's lock (elements asking for a model being loaded wait for that
 * load only), and freed when the last element releases it.
 *
 * Scheduling (effnetscheduler.c). Each element is a client of the model
 * with at most one pending job (submitting another replaces it: an async
 * element's newest due frame takes the place of an older one not yet
 * started) and at most one job being run. The model has one worker thread
 * per core it may use (num-threads); free workers take pending jobs round
 * robin over the clients, so no stream waits behind another's backlog and
 * no core idles while a stream has a job:
 *  - a lone job (nothing else pending) runs on worker 0 as one OpenMP team
 *    of the free cores, as many as the governor allows (below);
 *  - while several jobs are pending they run side by side, one thread each —
 *    no barriers between them, so a descheduled thread slows only its own
 *    job;
 *  - jobs never take more threads than there are free cores;
 *  - when more jobs wait than free workers can start, a single-thread
 *    worker may take several async frames (of different elements) as one
 *    batch, of the size a second governor finds fastest per image.
 * The governor (effnetgovernor.h) times worker 0's lone jobs per team size
 * (an average per image) and uses the fastest, trying a neighbouring size
 * now and then (more rarely the slower it measured), and a larger team only
 * when the machine's CPU times show idle cores for it: when other processes
 * take the cores, a team that waits for a descheduled member at every layer
 * is slower than one thread, and the model then runs one. The workers run
 * at the loading element's inference-nice (default 0).
 *
 * Elements hand work to it as a GstEffnetJob: n normalized images, or a frame
 * path plan (EffnetPrep, planned for gst_effnet_shared_get_threads()
 * threads) whose frames the inference threads prepare themselves, in; n rows
 * of logits out. A job belongs to its element; from submission until it is
 * done (or taken back) the model owns it.
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
typedef struct _GstEffnetClient GstEffnetClient;
typedef struct _GstEffnetJob GstEffnetJob;

/* Called on the worker that ran the job once the forward pass is over (rc
 * and logits are final), before waiters are woken. Must not block. */
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
  guint64 frame;                /* the element's: which frame, what it cost */
  guint64 pre_ns;

  /* set by the worker that ran it */
  gint64 forward_ns;            /* monotonic time of effnet_forward */
  int rc;                       /* 0, or -1 with err filled */
  char err[EFFNET_ERRLEN];

  /* private */
  gsize capacity;               /* results `logits` can hold */
  gsize input_capacity;         /* images `input` can hold */
  gsize image_floats, classes;
  gboolean done;
  GMutex lock;
  GCond cond;
};

/* num_threads: cores to use (0 = all); nice: the workers' nice value (0 to
 * 19). Both are the loading element's; a user asking for other values gets
 * the model as it is, with a warning. */
GstEffnetShared *gst_effnet_shared_acquire (const gchar * path, gint variant,
    guint num_threads, gint nice, GObject * requester, GError ** error);
void gst_effnet_shared_release (GstEffnetShared * shared);

const EffnetModel *gst_effnet_shared_get_model (GstEffnetShared * shared);
const EffnetInfo *gst_effnet_shared_get_info (GstEffnetShared * shared);
guint gst_effnet_shared_get_users (GstEffnetShared * shared);
/* Cores the model's inference may use (resolved: never 0): its workers, and
 * the largest team. */
guint gst_effnet_shared_get_threads (GstEffnetShared * shared);

/* A place in the model's rotation, for one element. */
GstEffnetClient *gst_effnet_client_new (GstEffnetShared * shared);
/* Takes back a pending job, waits for the one being run, leaves the
 * rotation. */
void gst_effnet_client_free (GstEffnetClient * client);

GstEffnetJob *gst_effnet_job_new (const EffnetInfo * info);
void gst_effnet_job_free (GstEffnetJob * job);
/* Room for n results (and n input images when `input`). */
gboolean gst_effnet_job_reserve (GstEffnetJob * job, int n, gboolean input);

/* Makes `job` (done: never submitted, or finished) the client's pending job
 * and returns at once (its done_func reports completion). A job still
 * pending, not started, is replaced: it is returned, done and not run, for
 * the caller to reuse; NULL when there was none. */
GstEffnetJob *gst_effnet_client_submit (GstEffnetClient * client,
    GstEffnetJob * job);
/* The client's pending job, taken back before any worker started it (done,
 * not run), or NULL. */
GstEffnetJob *gst_effnet_client_withdraw (GstEffnetClient * client);
/* Block until a submitted job is done. */
void gst_effnet_job_wait (GstEffnetJob * job);
/* Whether the last submitted job is done (TRUE for a job never submitted). */
gboolean gst_effnet_job_is_done (GstEffnetJob * job);

G_END_DECLS
#endif /* __GST_EFFNET_SHARED_H__ */
