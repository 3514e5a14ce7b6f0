/* effnetshared.c — process-wide table of loaded models, one inference thread
 * per model. See effnetshared.h for the contract. */
#include "effnetshared.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

GST_DEBUG_CATEGORY_EXTERN (gst_efficientnet_debug);
#define GST_CAT_DEFAULT gst_efficientnet_debug

/* Test-only: milliseconds the model thread sleeps before each job, read when a
 * model is loaded. Lets tests make inference slow without a large model. */
#define TEST_DELAY_ENV "EFFNET_GST_TEST_DELAY_MS"
/* Test-only: "MS:TEXT" makes the load of every weights path (as written)
 * that contains TEXT sleep MS milliseconds first, so tests can make one load
 * slow. */
#define TEST_LOAD_DELAY_ENV "EFFNET_GST_TEST_LOAD_DELAY"

struct _GstEffnetShared
{
  gchar *key;
  gchar *name;                  /* the weights file, for the log */
  /* with registry_lock */
  guint users;
  gboolean loading;             /* being loaded: wait on `loaded` */
  GError *error;                /* the load failed (the entry is out of the table) */
  GCond loaded;

  /* set by the load, then read-only */
  EffnetModel *model;
  guint num_threads;            /* as asked (0 = all cores) */
  guint threads;                /* resolved */
  guint test_delay_ms;
  GAsyncQueue *queue;           /* of GstEffnetJob */
  GThread *thread;

  /* the model thread's */
  EffnetWorkspace *ws;
  int ws_images;                /* batch ws was made for (0: none) */
  int ws_limit;                 /* largest batch to grow it to */
};

static GMutex registry_lock;
static GHashTable *registry;    /* key -> GstEffnetShared, with registry_lock */

/* One file the engine will read, for the key: resolved (two spellings of a
 * file are one file), with its identity, size and modification time (a file
 * replaced or rewritten since is another file). NULL when it cannot be
 * resolved. */
static gchar *
describe_file (const gchar * name)
{
  char *real = realpath (name, NULL);
  struct stat st;
  gchar *text;

  if (real == NULL)
    return NULL;
  if (stat (real, &st) != 0) {
    free (real);
    return NULL;
  }
  text = g_strdup_printf ("%s (%lld bytes, inode %llu:%llu, modified "
      "%lld.%09ld)", real, (long long) st.st_size,
      (unsigned long long) st.st_dev, (unsigned long long) st.st_ino,
      (long long) st.st_mtim.tv_sec, (long) st.st_mtim.tv_nsec);
  free (real);
  return text;
}

/* The registry key of a model: the two files the engine reads for `path`
 * (the weights, and the config.json beside the path as written, which is
 * not always beside the file a symlink leads to), variant and padding.
 * *weights_file gets the weights file's name as written. NULL when the
 * path is too long to name them. */
static gchar *
model_key (const gchar * path, gint variant, gchar ** weights_file)
{
  gchar weights[PATH_MAX + 64], config[PATH_MAX + 64];
  gchar *w, *c, *key;

  if (effnet_model_files (path, weights, sizeof weights, config,
          sizeof config) != 0)
    return NULL;
  *weights_file = g_strdup (weights);
  /* A weights file that cannot be resolved fails to load, with the engine's
   * sentence; its key only has to be its own. */
  w = describe_file (weights);
  if (w == NULL)
    w = g_strdup_printf ("%s (unresolved)", weights);
  c = describe_file (config);
  /* The padding is part of the key for when it becomes an option; today
   * every element lets the weights' config.json decide it. */
  key = g_strdup_printf ("%s + %s (variant %d, padding %s)", w,
      c != NULL ? c : "no config.json", variant,
      effnet_padding_name (EFFNET_PAD_AUTO));
  g_free (w);
  g_free (c);
  return key;
}

/* A workspace for jobs of n images: the one there, or a larger one (up to
 * the chunk limit) made for them. A larger one the engine refuses leaves
 * the jobs in chunks of what there is (and is not asked for again). FALSE,
 * with the engine's sentence in err, when there is no workspace at all. */
static gboolean
fit_workspace (GstEffnetShared * shared, int n, char *err, size_t errlen)
{
  int want = CLAMP (n, 1, shared->ws_limit);
  int had = shared->ws_images;
  char why[EFFNET_ERRLEN];

  if (shared->ws != NULL && want <= had)
    return TRUE;
  /* the old one goes first: the two are never held together */
  g_clear_pointer (&shared->ws, effnet_workspace_free);
  shared->ws_images = 0;
  shared->ws = effnet_workspace_new (shared->model, want,
      (int) shared->num_threads, why, sizeof why);
  if (shared->ws == NULL && had > 0 && want > had) {
    GST_WARNING ("no workspace for %d images (%s): batches of model %s stay "
        "in chunks of %d", want, why, shared->name, had);
    shared->ws_limit = want = had;
    shared->ws = effnet_workspace_new (shared->model, want,
        (int) shared->num_threads, why, sizeof why);
  }
  if (shared->ws == NULL) {
    g_strlcpy (err, why, errlen);
    return FALSE;
  }
  shared->ws_images = want;
  GST_INFO ("workspace for %d image%s, %" G_GSIZE_FORMAT " bytes, model %s",
      want, want == 1 ? "" : "s", effnet_workspace_bytes (shared->ws),
      shared->name);
  return TRUE;
}

static void
run_job (GstEffnetShared * shared, GstEffnetJob * job)
{
  GstClockTime start = gst_util_get_timestamp ();

  if (shared->test_delay_ms > 0)
    g_usleep ((gulong) shared->test_delay_ms * 1000);
  job->err[0] = '\0';
  if (!fit_workspace (shared, job->n, job->err, sizeof job->err))
    job->rc = -1;
  else if (job->prep != NULL)
    job->rc = effnet_forward_prep (shared->model, shared->ws, job->prep,
        job->logits, job->err, sizeof job->err);
  else
    job->rc = effnet_forward (shared->model, shared->ws, job->input, job->n,
        job->logits, job->err, sizeof job->err);
  job->forward_ns = (gint64) (gst_util_get_timestamp () - start);
  GST_DEBUG ("forward: %d image(s) in one batch, %" G_GINT64_FORMAT
      " ns, model %s", job->n, job->forward_ns, shared->name);

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

static GstEffnetShared *
shared_new (const gchar * key, const gchar * name, guint num_threads)
{
  GstEffnetShared *shared = g_new0 (GstEffnetShared, 1);

  shared->key = g_strdup (key);
  shared->name = g_strdup (name);
  shared->users = 1;
  shared->loading = TRUE;
  shared->num_threads = num_threads;
  shared->ws_limit = GST_EFFNET_SHARED_MAX_BATCH;
  g_cond_init (&shared->loaded);
  return shared;
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
  g_clear_error (&shared->error);
  g_cond_clear (&shared->loaded);
  g_free (shared->key);
  g_free (shared->name);
  g_free (shared);
}

static void
test_load_delay (const gchar * path)
{
  const gchar *env = g_getenv (TEST_LOAD_DELAY_ENV), *text;

  if (env == NULL || (text = strchr (env, ':')) == NULL ||
      strstr (path, text + 1) == NULL)
    return;
  g_usleep ((gulong) g_ascii_strtoull (env, NULL, 10) * 1000);
}

/* Loads `path` (the user's spelling, so that the engine's messages name it;
 * `file` is the weights file it names) into the new entry, without the
 * registry lock. */
static gboolean
shared_load (GstEffnetShared * shared, const gchar * path, const gchar * file,
    gint variant, GError ** error)
{
  EffnetOptions opt;
  char err[EFFNET_ERRLEN];
  const gchar *delay;
  GError *thread_err = NULL;

  test_load_delay (path);
  effnet_options_init (&opt);
  opt.variant = variant;
  shared->model = effnet_model_load (path, &opt, err, sizeof err);
  if (shared->model == NULL) {
    g_set_error (error, GST_RESOURCE_ERROR,
        g_file_test (file, G_FILE_TEST_EXISTS) ?
        GST_RESOURCE_ERROR_SETTINGS : GST_RESOURCE_ERROR_NOT_FOUND, "%s", err);
    return FALSE;
  }
  /* One image (full frames) until a job asks for more: planned now, so a
   * model whose activations cannot be planned fails here, at start. */
  if (!fit_workspace (shared, 1, err, sizeof err)) {
    g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_NO_SPACE_LEFT,
        "%s", err);
    return FALSE;
  }
  shared->threads = (guint) effnet_workspace_threads (shared->ws);

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
    return FALSE;
  }
  return TRUE;
}

/* Drops one reference to an entry; the last frees it (after the lock). */
static gboolean
unref_locked (GstEffnetShared * shared)
{
  if (--shared->users > 0)
    return FALSE;
  if (registry != NULL && g_hash_table_lookup (registry, shared->key) == shared)
    g_hash_table_remove (registry, shared->key);
  return TRUE;
}

static void
registry_trim_locked (void)
{
  if (registry != NULL && g_hash_table_size (registry) == 0)
    g_clear_pointer (&registry, g_hash_table_unref);
}

/* The registry lock is held only to look up, insert and count: a model is
 * loaded without it, so a slow load holds back only the elements that asked
 * for that same model (they wait on its entry), never the starts and stops
 * of others. */
GstEffnetShared *
gst_effnet_shared_acquire (const gchar * path, gint variant,
    guint num_threads, GObject * requester, GError ** error)
{
  GstEffnetShared *shared, *dead = NULL;
  gboolean loaded = FALSE;
  guint users = 0, threads = 0;
  gchar *key, *file = NULL;

  key = model_key (path, variant, &file);
  if (key == NULL) {
    g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_NOT_FOUND,
        "%s: the path is too long", path);
    return NULL;
  }

  g_mutex_lock (&registry_lock);
  if (registry == NULL)
    registry = g_hash_table_new (g_str_hash, g_str_equal);
  shared = g_hash_table_lookup (registry, key);
  if (shared != NULL) {
    shared->users++;
    while (shared->loading)
      g_cond_wait (&shared->loaded, &registry_lock);
  } else {
    GError *load_error = NULL;
    gboolean ok;

    shared = shared_new (key, file, num_threads);
    g_hash_table_insert (registry, shared->key, shared);
    g_mutex_unlock (&registry_lock);

    GST_INFO_OBJECT (requester, "loading model %s", key);
    ok = shared_load (shared, path, file, variant, &load_error);

    g_mutex_lock (&registry_lock);
    shared->loading = FALSE;
    if (!ok) {
      shared->error = load_error;
      /* the next element asking loads again */
      g_hash_table_remove (registry, shared->key);
    }
    loaded = ok;
    g_cond_broadcast (&shared->loaded);
  }
  if (shared->error != NULL) {
    g_propagate_error (error, g_error_copy (shared->error));
    if (unref_locked (shared))
      dead = shared;
    shared = NULL;
  } else {
    users = shared->users;
    threads = shared->num_threads;
  }
  registry_trim_locked ();
  g_mutex_unlock (&registry_lock);

  if (dead != NULL)
    shared_free (dead);
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
  last = unref_locked (shared);
  registry_trim_locked ();
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
  return shared->threads;
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
