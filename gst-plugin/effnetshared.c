/* effnetshared.c — the process-wide table of loaded models: one per weights
 * file, loaded once, shared by every element that names it, freed with its
 * last user. Each model's workers are its EffnetScheduler
 * (effnetscheduler.c). See effnetshared.h for the contract. */
#include "effnetshared.h"
#include "effnetscheduler.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

GST_DEBUG_CATEGORY_EXTERN (gst_efficientnet_debug);
#define GST_CAT_DEFAULT gst_efficientnet_debug

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
  gint nice;                    /* the workers' */
  guint threads;                /* resolved: cores to use, workers */
  EffnetScheduler *sched;       /* its workers */
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

static GstEffnetShared *
shared_new (const gchar * key, const gchar * name, guint num_threads, gint nice)
{
  GstEffnetShared *shared = g_new0 (GstEffnetShared, 1);

  shared->key = g_strdup (key);
  shared->name = g_strdup (name);
  shared->users = 1;
  shared->loading = TRUE;
  shared->num_threads = num_threads;
  shared->nice = nice;
  g_cond_init (&shared->loaded);
  return shared;
}

static void
shared_free (GstEffnetShared * shared)
{
  /* the workers stop before the model they run goes */
  effnet_scheduler_free (shared->sched);
  effnet_model_free (shared->model);
  g_clear_error (&shared->error);
  g_cond_clear (&shared->loaded);
  g_free (shared->key);
  g_free (shared->name);
  g_free (shared);
}

/* 0 = every core this process may run on */
static guint
num_threads_resolved (guint num_threads)
{
  return num_threads > 0 ? num_threads : MAX (1, g_get_num_processors ());
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
  shared->threads = num_threads_resolved (shared->num_threads);
  shared->sched = effnet_scheduler_new (shared->model, shared->name,
      shared->threads, shared->nice, error);
  return shared->sched != NULL;
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
    guint num_threads, gint nice, GObject * requester, GError ** error)
{
  GstEffnetShared *shared, *dead = NULL;
  gboolean loaded = FALSE;
  guint users = 0, threads = 0;
  gint had_nice = 0;
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

    shared = shared_new (key, file, num_threads, nice);
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
    had_nice = shared->nice;
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
  if (shared != NULL && !loaded && had_nice != nice)
    GST_WARNING_OBJECT (requester, "inference-nice=%d ignored: the shared "
        "model's workers already run at nice %d, set by the element that "
        "loaded it", nice, had_nice);

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


GstEffnetClient *
gst_effnet_client_new (GstEffnetShared * shared)
{
  return effnet_scheduler_add_client (shared->sched);
}
