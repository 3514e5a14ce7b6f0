/* effnetshared.c — process-wide table of loaded models, one inference thread
 * per model. See effnetshared.h for the contract. */
#include "effnetshared.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

GST_DEBUG_CATEGORY_EXTERN (gst_efficientnet_debug);
#define GST_CAT_DEFAULT gst_efficientnet_debug

/* Images per effnet_forward chunk; larger batches run in chunks of this. */
#define SHARED_MAX_BATCH 16

/* Test-only: milliseconds the model thread sleeps before each job, read when a
 * model is loaded. Lets tests make inference slow without a large model. */
#define TEST_DELAY_ENV "EFFNET_GST_TEST_DELAY_MS"

struct _GstEffnetShared
{
  gchar *key;
  guint users;                  /* with registry_lock */
  EffnetModel *model;
  EffnetWorkspace *ws;          /* used by the model thread only */
  guint num_threads;
  guint test_delay_ms;
  GAsyncQueue *queue;           /* of GstEffnetJob */
  GThread *thread;
};

static GMutex registry_lock;
static GHashTable *registry;    /* key -> GstEffnetShared, with registry_lock */

/* The file the engine will read: a folder means its model.safetensors. Two
 * spellings of one file (relative, symlinked, folder) then share a model. */
static gchar *
resolve_weights (const gchar * path)
{
  char *real = realpath (path, NULL);
  gchar *file;

  if (real == NULL)
    return NULL;
  if (g_file_test (real, G_FILE_TEST_IS_DIR))
    file = g_build_filename (real, "model.safetensors", NULL);
  else
    file = g_strdup (real);
  free (real);
  return file;
}

static void
run_job (GstEffnetShared * shared, GstEffnetJob * job)
{
  GstClockTime start = gst_util_get_timestamp ();

  if (shared->test_delay_ms > 0)
    g_usleep ((gulong) shared->test_delay_ms * 1000);
  job->err[0] = '\0';
  if (job->prep != NULL)
    job->rc = effnet_forward_prep (shared->model, shared->ws, job->prep,
        job->logits, job->err, sizeof job->err);
  else
    job->rc = effnet_forward (shared->model, shared->ws, job->input, job->n,
        job->logits, job->err, sizeof job->err);
  job->forward_ns = (gint64) (gst_util_get_timestamp () - start);
  GST_DEBUG ("forward: %d image(s) in one batch, %" G_GINT64_FORMAT
      " ns, model %s", job->n, job->forward_ns, shared->key);

  if (job->done_func)
    job->done_func (job, job->user_data);

  g_mutex_lock (&job->lock);
  job->done = TRUE;
  g_cond_broadcast (&job->cond);
  g_mutex_unlock (&job->lock);
}

/* The only thread that calls effnet_forward for this model, so the OpenMP
 * team libgomp creates for it is the one pool every element shares. */
static gpointer
model_thread (gpointer data)
{
  GstEffnetShared *shared = data;

  for (;;) {
    GstEffnetJob *job = g_async_queue_pop (shared->queue);

    if (job->quit)
      break;
    run_job (shared, job);
  }
  return NULL;
}

static void
shared_free (GstEffnetShared * shared)
{
  if (shared->thread) {
    GstEffnetJob quit = {.quit = TRUE };

    g_async_queue_push (shared->queue, &quit);
    g_thread_join (shared->thread);
  }
  if (shared->queue)
    g_async_queue_unref (shared->queue);
  effnet_workspace_free (shared->ws);
  effnet_model_free (shared->model);
  g_free (shared->key);
  g_free (shared);
}

/* Loads `path` (the user's spelling, so that the engine's messages name
 * it); `file` is what it resolves to. */
static GstEffnetShared *
shared_new (const gchar * key, const gchar * path, const gchar * file,
    gint variant, guint num_threads, GError ** error)
{
  GstEffnetShared *shared = g_new0 (GstEffnetShared, 1);
  EffnetOptions opt;
  char err[EFFNET_ERRLEN];
  const gchar *delay;
  GError *thread_err = NULL;

  shared->key = g_strdup (key);
  shared->users = 1;
  shared->num_threads = num_threads;

  effnet_options_init (&opt);
  opt.variant = variant;
  shared->model = effnet_model_load (path, &opt, err, sizeof err);
  if (shared->model == NULL) {
    g_set_error (error, GST_RESOURCE_ERROR,
        g_file_test (file, G_FILE_TEST_EXISTS) ?
        GST_RESOURCE_ERROR_SETTINGS : GST_RESOURCE_ERROR_NOT_FOUND, "%s", err);
    goto error;
  }
  shared->ws = effnet_workspace_new (shared->model, SHARED_MAX_BATCH,
      (int) num_threads, err, sizeof err);
  if (shared->ws == NULL) {
    g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_NO_SPACE_LEFT,
        "%s", err);
    goto error;
  }

  delay = g_getenv (TEST_DELAY_ENV);
  if (delay != NULL)
    shared->test_delay_ms = (guint) g_ascii_strtoull (delay, NULL, 10);

  shared->queue = g_async_queue_new ();
  shared->thread = g_thread_try_new ("effnet-model", model_thread, shared,
      &thread_err);
  if (shared->thread == NULL) {
    g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_FAILED,
        "Could not start the inference thread: %s.", thread_err->message);
    g_clear_error (&thread_err);
    goto error;
  }
  return shared;

error:
  shared_free (shared);
  return NULL;
}

GstEffnetShared *
gst_effnet_shared_acquire (const gchar * path, gint variant,
    guint num_threads, GObject * requester, GError ** error)
{
  GstEffnetShared *shared = NULL;
  gboolean loaded = FALSE;
  guint users = 0, threads = 0;
  gchar *file, *key;

  file = resolve_weights (path);
  if (file == NULL) {
    g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_NOT_FOUND,
        "%s: cannot open: %s", path, g_strerror (errno));
    return NULL;
  }
  /* The padding is part of the key for when it becomes an option; today
   * every element lets the weights' config.json decide it. */
  key = g_strdup_printf ("%s (variant %d, padding %s)", file, variant,
      effnet_padding_name (EFFNET_PAD_AUTO));

  /* Loading happens under the lock so that two elements starting at once
   * with the same weights cannot load them twice. */
  g_mutex_lock (&registry_lock);
  if (registry == NULL)
    registry = g_hash_table_new (g_str_hash, g_str_equal);
  shared = g_hash_table_lookup (registry, key);
  if (shared != NULL) {
    shared->users++;
  } else {
    shared = shared_new (key, path, file, variant, num_threads, error);
    loaded = shared != NULL;
    if (loaded)
      g_hash_table_insert (registry, shared->key, shared);
  }
  if (shared != NULL) {
    users = shared->users;
    threads = shared->num_threads;
  } else if (g_hash_table_size (registry) == 0) {
    g_clear_pointer (&registry, g_hash_table_unref);
  }
  g_mutex_unlock (&registry_lock);

  /* Logged after unlocking: logging an object takes its lock. */
  if (loaded)
    GST_INFO_OBJECT (requester, "loaded model %s", key);
  else if (shared != NULL)
    GST_INFO_OBJECT (requester, "sharing model %s (%u users)", key, users);
  if (shared != NULL && !loaded && threads != num_threads)
    GST_WARNING_OBJECT (requester, "num-threads=%u ignored: the shared model "
        "already runs on %u thread(s) (0 = all cores), set by the element "
        "that loaded it", num_threads, threads);

  g_free (key);
  g_free (file);
  return shared;
}

void
gst_effnet_shared_release (GstEffnetShared * shared)
{
  gboolean last;

  if (shared == NULL)
    return;
  g_mutex_lock (&registry_lock);
  last = --shared->users == 0;
  if (last) {
    g_hash_table_remove (registry, shared->key);
    if (g_hash_table_size (registry) == 0)
      g_clear_pointer (&registry, g_hash_table_unref);
  }
  g_mutex_unlock (&registry_lock);

  if (last) {
    GST_INFO ("freeing model %s", shared->key);
    shared_free (shared);
  }
}

const EffnetModel *
gst_effnet_shared_get_model (GstEffnetShared * shared)
{
  return shared->model;
}

guint
gst_effnet_shared_get_threads (GstEffnetShared * shared)
{
  return (guint) effnet_workspace_threads (shared->ws);
}

const EffnetInfo *
gst_effnet_shared_get_info (GstEffnetShared * shared)
{
  return effnet_model_info (shared->model);
}

guint
gst_effnet_shared_get_users (GstEffnetShared * shared)
{
  guint users;

  g_mutex_lock (&registry_lock);
  users = shared->users;
  g_mutex_unlock (&registry_lock);
  return users;
}

GstEffnetJob *
gst_effnet_job_new (const EffnetInfo * info)
{
  GstEffnetJob *job = g_new0 (GstEffnetJob, 1);

  job->image_floats = (gsize) 3 * info->input_size * info->input_size;
  job->classes = (gsize) info->num_classes;
  job->done = TRUE;
  g_mutex_init (&job->lock);
  g_cond_init (&job->cond);
  return job;
}

void
gst_effnet_job_free (GstEffnetJob * job)
{
  if (job == NULL)
    return;
  g_free (job->input);
  g_free (job->logits);
  g_mutex_clear (&job->lock);
  g_cond_clear (&job->cond);
  g_free (job);
}

/* *buf holding at least n items of `item` floats; *cap counts items. */
static gboolean
grow (float **buf, gsize * cap, gsize n, gsize item)
{
  float *grown;

  if (n <= *cap)
    return TRUE;
  grown = g_try_realloc_n (*buf, n * item, sizeof (float));
  if (grown == NULL)
    return FALSE;
  *buf = grown;
  *cap = n;
  return TRUE;
}

/* Only while the job is not queued. */
gboolean
gst_effnet_job_reserve (GstEffnetJob * job, int n, gboolean input)
{
  if (n <= 0)
    return TRUE;
  if (input && !grow (&job->input, &job->input_capacity, (gsize) n,
          job->image_floats))
    return FALSE;
  return grow (&job->logits, &job->capacity, (gsize) n, job->classes);
}

void
gst_effnet_shared_submit (GstEffnetShared * shared, GstEffnetJob * job)
{
  g_mutex_lock (&job->lock);
  job->done = FALSE;
  g_mutex_unlock (&job->lock);
  g_async_queue_push (shared->queue, job);
}

void
gst_effnet_job_wait (GstEffnetJob * job)
{
  g_mutex_lock (&job->lock);
  while (!job->done)
    g_cond_wait (&job->cond, &job->lock);
  g_mutex_unlock (&job->lock);
}

gboolean
gst_effnet_job_is_done (GstEffnetJob * job)
{
  gboolean done;

  g_mutex_lock (&job->lock);
  done = job->done;
  g_mutex_unlock (&job->lock);
  return done;
}
