/* effnetshared.c — process-wide table of loaded models, and the workers and
 * scheduler that run every element's jobs on each. See effnetshared.h for
 * the contract. */
#include "effnetshared.h"
#include "effnetgovernor.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

GST_DEBUG_CATEGORY_EXTERN (gst_efficientnet_debug);
#define GST_CAT_DEFAULT gst_efficientnet_debug

/* Test-only: milliseconds a worker sleeps before each job (or batch), read when a
 * model is loaded. Lets tests make inference slow without a large model. */
#define TEST_DELAY_ENV "EFFNET_GST_TEST_DELAY_MS"
/* Test-only: "MS:TEXT" makes the load of every weights path (as written)
 * that contains TEXT sleep MS milliseconds first, so tests can make one load
 * slow. */
#define TEST_LOAD_DELAY_ENV "EFFNET_GST_TEST_LOAD_DELAY"
/* Tuning: the most async frames of different elements one single-thread job
 * may run as one batch (1: no batching), read when a model is loaded. */
#define BATCH_ENV "EFFNET_GST_BATCH_MAX"

/* Async full frames of several elements may run as one single-thread forward
 * pass when more jobs wait than workers are free, in batches of the size the
 * batch governor measures fastest, up to this (see effnetshared.h): batches
 * of 4 ran B0 35 % faster per image on a Xeon, 7 % slower on a Zen 4
 * (bench/README.md, "Many live streams"). */
#define DEFAULT_BATCH_MAX 4

typedef struct _Worker Worker;

/* Another size replaces the best only when this much faster (see
 * effnetgovernor.h). Team sizes differ by 1.8x on an idle machine and by
 * several times under contention; batches by -7 % to +35 % per image
 * (bench/README.md), so they need more evidence. */
#define GOVERNOR_TEAM_MARGIN 0.9
#define GOVERNOR_BATCH_MARGIN 0.8

struct _Worker
{
  GstEffnetShared *shared;
  guint index;                  /* 0 runs teams; the others one thread */
  GThread *thread;
  gboolean busy;                /* with shared->lock */
  EffnetWorkspace *ws;          /* the worker's own */
  int ws_images;                /* batch ws was made for (0: none) */
  int ws_limit;                 /* largest batch to grow it to */
  float *batch_input;           /* [batch_max][3][S][S], made at the first batch */
  float *batch_logits;          /* [batch_max][classes] */
};

struct _GstEffnetClient
{
  GstEffnetShared *shared;
  /* with shared->lock */
  GstEffnetJob *pending;        /* submitted, not started */
  GstEffnetJob *running;
};

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
  guint test_delay_ms;
  guint batch_max;              /* async frames per single-thread job, >= 1 */
  Worker *workers;
  guint n_workers;              /* started */

  /* the scheduler */
  GMutex lock;
  GCond wake;                   /* a job was submitted or cores were freed */
  GPtrArray *clients;           /* of GstEffnetClient, the rotation */
  guint next;                   /* where the rotation resumes */
  guint pending;                /* clients with a pending job */
  guint cores_busy;             /* threads of the jobs being run */
  guint running;                /* jobs being run */
  guint64 starts;               /* jobs started, ever */
  gboolean quit;
  EffnetGovernor governor;      /* worker 0's lone jobs: team sizes */
  EffnetGovernor batching;      /* single-thread jobs of an overloaded model: batch sizes */
  gboolean cpu_times;           /* the machine's CPU times can be read */
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

/* A workspace for jobs of n images: the one the worker has, or a larger one
 * (up to the chunk limit) made for them. A larger one the engine refuses
 * leaves the jobs in chunks of what there is (and is not asked for again).
 * FALSE, with the engine's sentence in err, when there is no workspace at
 * all. Worker 0's is planned for every core (it runs teams), the others' for
 * one thread. */
static gboolean
fit_workspace (Worker * w, int n, char *err, size_t errlen)
{
  GstEffnetShared *shared = w->shared;
  int want = CLAMP (n, 1, w->ws_limit), had = w->ws_images;
  int threads = w->index == 0 ? (int) shared->threads : 1;
  char why[EFFNET_ERRLEN];

  if (w->ws != NULL && want <= had)
    return TRUE;
  /* the old one goes first: the two are never held together */
  g_clear_pointer (&w->ws, effnet_workspace_free);
  w->ws_images = 0;
  w->ws = effnet_workspace_new (shared->model, want, threads, why, sizeof why);
  if (w->ws == NULL && had > 0 && want > had) {
    GST_WARNING ("no workspace for %d images (%s): batches of model %s stay "
        "in chunks of %d on worker %u", want, why, shared->name, had, w->index);
    w->ws_limit = want = had;
    w->ws = effnet_workspace_new (shared->model, want, threads, why,
        sizeof why);
  }
  if (w->ws == NULL) {
    g_strlcpy (err, why, errlen);
    return FALSE;
  }
  w->ws_images = want;
  GST_INFO ("workspace for %d image%s, %" G_GSIZE_FORMAT " bytes, %d "
      "thread%s, model %s, worker %u", want, want == 1 ? "" : "s",
      effnet_workspace_bytes (w->ws), threads, threads == 1 ? "" : "s",
      shared->name, w->index);
  return TRUE;
}

/* ---- the workers ---- */

/* The next client in the rotation with a pending job and none running. */
static GstEffnetClient *
next_client_locked (GstEffnetShared * shared)
{
  guint n = shared->clients->len, i;

  for (i = 0; i < n; i++) {
    guint at = (shared->next + i) % n;
    GstEffnetClient *c = g_ptr_array_index (shared->clients, at);

    if (c->pending != NULL && c->running == NULL) {
      shared->next = (at + 1) % n;
      return c;
    }
  }
  return NULL;
}

/* A job other elements' async frames may join: one normalized image. */
static gboolean
batchable (const GstEffnetJob * job)
{
  return job->n == 1 && job->prep == NULL && job->input != NULL;
}

/* The team size of a lone job. */
static guint
choose_team_locked (GstEffnetShared * shared, guint free, gboolean * sample)
{
  guint skipped = shared->governor.skipped;
  guint threads = effnet_governor_choose (&shared->governor, free,
      shared->cpu_times ? sample : NULL);

  if (shared->governor.skipped != skipped)
    GST_DEBUG ("governor: no try of a larger team: %.2f of %u cores were "
        "idle while lone jobs ran, model %s", shared->governor.last_idle,
        shared->governor.ncpu, shared->name);
  return threads;
}

/* Takes the client's pending job into the worker's list. */
static void
take_locked (GstEffnetShared * shared, GstEffnetClient * c,
    GstEffnetJob ** jobs, GstEffnetClient ** clients, guint * n)
{
  jobs[*n] = c->pending;
  clients[*n] = c;
  (*n)++;
  c->running = c->pending;
  c->pending = NULL;
  shared->pending--;
}

/* Waits for jobs this worker may start: usually one; up to batch_max async
 * frames of different elements when more jobs wait than workers are free
 * to take them. 0 when the model quits. */
static guint
take_jobs_locked (Worker * w, GstEffnetJob ** jobs, GstEffnetClient ** clients,
    guint * threads, gboolean * lone, gboolean * overloaded, gboolean * sample)
{
  GstEffnetShared *shared = w->shared;

  for (;;) {
    GstEffnetClient *c;
    guint free, n = 0;

    if (shared->quit)
      return 0;
    free = shared->threads - MIN (shared->cores_busy, shared->threads);
    /* a lone job waits for worker 0, which can run it as a team */
    if (free > 0 && shared->pending > 0 && (w->index == 0 ||
            shared->pending > 1 || shared->workers[0].busy) &&
        (c = next_client_locked (shared)) != NULL) {
      take_locked (shared, c, jobs, clients, &n);
      *lone = shared->running == 0 && shared->pending == 0;
      if (w->index != 0)
        *threads = 1;
      else if (*lone)
        *threads = choose_team_locked (shared, free, sample);
      else
        *threads = MAX (1, free / (shared->pending + 1));
      /* more waiting than the other free cores can start: batch, as many
       * as the batch governor finds fastest */
      *overloaded = *threads == 1 && batchable (jobs[0]) &&
          shared->pending > free - 1;
      if (*overloaded) {
        guint cap = effnet_governor_choose (&shared->batching,
            shared->batch_max, NULL);

        while (n < cap && shared->pending > free - 1 &&
            (c = next_client_locked (shared)) != NULL && batchable (c->pending))
          take_locked (shared, c, jobs, clients, &n);
      }
      if (c != NULL && c->pending != NULL && !batchable (c->pending))
        /* a client passed over for the batch stays first in the rotation */
        shared->next = (shared->next + shared->clients->len - 1) %
            shared->clients->len;
      shared->running += n;
      shared->cores_busy += *threads;
      shared->starts++;
      w->busy = TRUE;
      return n;
    }
    g_cond_wait (&shared->wake, &shared->lock);
  }
}

static void
run_job (Worker * w, GstEffnetJob * job, guint threads)
{
  GstEffnetShared *shared = w->shared;
  GstClockTime start = gst_util_get_timestamp ();

  if (shared->test_delay_ms > 0)
    g_usleep ((gulong) shared->test_delay_ms * 1000);
  job->err[0] = '\0';
  if (!fit_workspace (w, job->n, job->err, sizeof job->err)) {
    job->rc = -1;
  } else {
    effnet_workspace_use_threads (w->ws, (int) threads);
    if (job->prep != NULL)
      job->rc = effnet_forward_prep (shared->model, w->ws, job->prep,
          job->logits, job->err, sizeof job->err);
    else
      job->rc = effnet_forward (shared->model, w->ws, job->input, job->n,
          job->logits, job->err, sizeof job->err);
  }
  job->forward_ns = (gint64) (gst_util_get_timestamp () - start);
  GST_DEBUG ("forward: %d image(s) in one batch, %u thread(s), worker %u, %"
      G_GINT64_FORMAT " ns, model %s", job->n, threads, w->index,
      job->forward_ns, shared->name);
}

/* n one-image async jobs of different elements as one forward pass on one
 * thread: their inputs gathered, their logits scattered back. */
static void
run_batch (Worker * w, GstEffnetJob ** jobs, guint n)
{
  GstEffnetShared *shared = w->shared;
  const gsize image = jobs[0]->image_floats, classes = jobs[0]->classes;
  GstClockTime start = gst_util_get_timestamp ();
  char err[EFFNET_ERRLEN] = "";
  int rc = -1;
  guint i;

  if (shared->test_delay_ms > 0)
    g_usleep ((gulong) shared->test_delay_ms * 1000);
  if (w->batch_input == NULL) {
    w->batch_input = g_try_new (float, shared->batch_max * image);
    w->batch_logits = g_try_new (float, shared->batch_max * classes);
  }
  if (w->batch_input == NULL || w->batch_logits == NULL) {
    g_strlcpy (err, "out of memory for a batch of frames", sizeof err);
  } else if (fit_workspace (w, (int) n, err, sizeof err)) {
    for (i = 0; i < n; i++)
      memcpy (w->batch_input + i * image, jobs[i]->input,
          image * sizeof (float));
    effnet_workspace_use_threads (w->ws, 1);
    rc = effnet_forward (shared->model, w->ws, w->batch_input, (int) n,
        w->batch_logits, err, sizeof err);
  }
  for (i = 0; i < n; i++) {
    jobs[i]->rc = rc;
    g_strlcpy (jobs[i]->err, err, sizeof jobs[i]->err);
    if (rc == 0)
      memcpy (jobs[i]->logits, w->batch_logits + i * classes,
          classes * sizeof (float));
    jobs[i]->forward_ns = (gint64) (gst_util_get_timestamp () - start);
  }
  GST_DEBUG ("forward: %u image(s) in one batch of %u elements' frames, 1 "
      "thread(s), worker %u, %" G_GINT64_FORMAT " ns, model %s", n, n,
      w->index, jobs[0]->forward_ns, shared->name);
}

/* Marks a job done and wakes its waiters (it is the last thing done with a
 * job: its owner may free it then). */
static void
job_set_done (GstEffnetJob * job)
{
  g_mutex_lock (&job->lock);
  job->done = TRUE;
  g_cond_broadcast (&job->cond);
  g_mutex_unlock (&job->lock);
}

/* Each worker takes jobs from the rotation; worker 0 is the only one that
 * runs OpenMP teams, so libgomp keeps one pool of team threads per model
 * (and counts no more threads than the cores it may use). */
static gpointer
worker_thread (gpointer data)
{
  Worker *w = data;
  GstEffnetShared *shared = w->shared;
  GstEffnetJob **jobs = g_new (GstEffnetJob *, shared->batch_max);
  GstEffnetClient **clients = g_new (GstEffnetClient *, shared->batch_max);

  /* Linux: one thread's nice value; the team threads libgomp starts from
   * worker 0 inherit it */
  if (shared->nice > 0
      && setpriority (PRIO_PROCESS, (id_t) syscall (SYS_gettid),
          shared->nice) != 0)
    GST_WARNING ("could not set the nice value of inference worker %u to %d: "
        "%s", w->index, shared->nice, g_strerror (errno));
  g_mutex_lock (&shared->lock);
  for (;;) {
    guint threads = 1, n, i;
    gboolean lone = FALSE, overloaded = FALSE, sample = FALSE;
    EffnetCpuTimes before, after;
    guint64 started;

    n = take_jobs_locked (w, jobs, clients, &threads, &lone, &overloaded,
        &sample);
    if (n == 0)
      break;
    started = shared->starts;
    g_mutex_unlock (&shared->lock);

    /* the governor asks how busy the machine is around a lone job */
    sample = sample && effnet_cpu_times_read (&before);
    if (n == 1)
      run_job (w, jobs[0], threads);
    else
      run_batch (w, jobs, n);
    sample = sample && effnet_cpu_times_read (&after);
    for (i = 0; i < n; i++)
      if (jobs[i]->done_func)
        jobs[i]->done_func (jobs[i], jobs[i]->user_data);

    g_mutex_lock (&shared->lock);
    /* alone from start to end: a fair time for its team size */
    if (w->index == 0 && lone && jobs[0]->rc == 0 && shared->starts == started) {
      effnet_governor_record (&shared->governor, threads, jobs[0]->n,
          jobs[0]->forward_ns);
      if (sample)
        effnet_governor_record_idle (&shared->governor, &before, &after);
    }
    /* one frame or a batch, run while the model was overloaded */
    if (overloaded && jobs[0]->rc == 0)
      effnet_governor_record (&shared->batching, n, (int) n,
          jobs[0]->forward_ns);
    shared->running -= n;
    shared->cores_busy -= threads;
    w->busy = FALSE;
    /* done, and out of `running`, together: a client that finds nothing
     * running may free its jobs at once */
    for (i = 0; i < n; i++) {
      clients[i]->running = NULL;
      job_set_done (jobs[i]);
    }
    g_cond_broadcast (&shared->wake);
  }
  g_mutex_unlock (&shared->lock);
  g_free (jobs);
  g_free (clients);
  return NULL;
}

/* The team governor of worker 0's lone jobs: it starts with all the
 * model's threads, and samples the machine's CPU times where it can. */
static void
governor_init_team (GstEffnetShared * shared)
{
  EffnetCpuTimes t;

  effnet_governor_init (&shared->governor, shared->threads, shared->threads,
      GOVERNOR_TEAM_MARGIN, TRUE);
  shared->cpu_times = effnet_cpu_times_read (&t);
  if (!shared->cpu_times)
    GST_INFO ("the machine's CPU times cannot be read: the governor tries "
        "larger teams without knowing whether cores are idle");
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
  g_mutex_init (&shared->lock);
  g_cond_init (&shared->wake);
  shared->clients = g_ptr_array_new ();
  return shared;
}

static void
shared_free (GstEffnetShared * shared)
{
  guint i;

  g_mutex_lock (&shared->lock);
  shared->quit = TRUE;
  g_cond_broadcast (&shared->wake);
  g_mutex_unlock (&shared->lock);
  for (i = 0; i < shared->n_workers; i++)
    g_thread_join (shared->workers[i].thread);
  for (i = 0; shared->workers != NULL && i < shared->threads; i++) {
    effnet_workspace_free (shared->workers[i].ws);
    g_free (shared->workers[i].batch_input);
    g_free (shared->workers[i].batch_logits);
  }
  g_free (shared->workers);
  effnet_governor_clear (&shared->governor);
  effnet_governor_clear (&shared->batching);
  g_ptr_array_unref (shared->clients);
  g_mutex_clear (&shared->lock);
  g_cond_clear (&shared->wake);
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
  const gchar *delay, *batch;
  GError *thread_err = NULL;
  guint i;

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
  /* Planned now for worker 0 (the largest: a team's), so a model whose
   * activations cannot be planned fails here, at start; the other workers
   * make theirs when they first run a job. */
  shared->threads = num_threads_resolved (shared->num_threads);
  shared->workers = g_new0 (Worker, shared->threads);
  for (i = 0; i < shared->threads; i++) {
    shared->workers[i].shared = shared;
    shared->workers[i].index = i;
    shared->workers[i].ws_limit = GST_EFFNET_SHARED_MAX_BATCH;
  }
  if (!fit_workspace (&shared->workers[0], 1, err, sizeof err)) {
    g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_NO_SPACE_LEFT,
        "%s", err);
    return FALSE;
  }
  governor_init_team (shared);

  delay = g_getenv (TEST_DELAY_ENV);
  if (delay != NULL)
    shared->test_delay_ms = (guint) g_ascii_strtoull (delay, NULL, 10);
  batch = g_getenv (BATCH_ENV);
  shared->batch_max = batch != NULL ?
      CLAMP (g_ascii_strtoull (batch, NULL, 10), 1,
      GST_EFFNET_SHARED_MAX_BATCH) : DEFAULT_BATCH_MAX;
  /* batches start at one frame: tried, and kept where they run faster */
  effnet_governor_init (&shared->batching, shared->batch_max, 1,
      GOVERNOR_BATCH_MARGIN, FALSE);

  for (i = 0; i < shared->threads; i++) {
    gchar *name = g_strdup_printf ("effnet-model-%u", i);

    shared->workers[i].thread = g_thread_try_new (name, worker_thread,
        &shared->workers[i], &thread_err);
    g_free (name);
    if (shared->workers[i].thread == NULL) {
      g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_FAILED,
          "Could not start the inference threads: %s.", thread_err->message);
      g_clear_error (&thread_err);
      return FALSE;
    }
    shared->n_workers++;
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

GstEffnetJob *
gst_effnet_job_new (const EffnetInfo * info)
{
  GstEffnetJob *job = g_new0 (GstEffnetJob, 1);

  job->image_floats = (gsize) 3 *info->input_size * info->input_size;
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

GstEffnetClient *
gst_effnet_client_new (GstEffnetShared * shared)
{
  GstEffnetClient *client = g_new0 (GstEffnetClient, 1);

  client->shared = shared;
  g_mutex_lock (&shared->lock);
  g_ptr_array_add (shared->clients, client);
  g_mutex_unlock (&shared->lock);
  return client;
}

GstEffnetJob *
gst_effnet_client_withdraw (GstEffnetClient * client)
{
  GstEffnetShared *shared = client->shared;
  GstEffnetJob *job;

  g_mutex_lock (&shared->lock);
  job = g_steal_pointer (&client->pending);
  if (job != NULL)
    shared->pending--;
  g_mutex_unlock (&shared->lock);
  if (job != NULL)
    job_set_done (job);
  return job;
}

GstEffnetJob *
gst_effnet_client_submit (GstEffnetClient * client, GstEffnetJob * job)
{
  GstEffnetShared *shared = client->shared;
  GstEffnetJob *replaced;

  g_mutex_lock (&job->lock);
  job->done = FALSE;
  g_mutex_unlock (&job->lock);

  g_mutex_lock (&shared->lock);
  replaced = client->pending;
  client->pending = job;
  if (replaced == NULL)
    shared->pending++;
  g_cond_broadcast (&shared->wake);
  g_mutex_unlock (&shared->lock);

  if (replaced != NULL)
    job_set_done (replaced);
  return replaced;
}

void
gst_effnet_client_free (GstEffnetClient * client)
{
  GstEffnetShared *shared;
  GstEffnetJob *running;
  guint i;

  if (client == NULL)
    return;
  shared = client->shared;
  gst_effnet_client_withdraw (client);
  g_mutex_lock (&shared->lock);
  running = client->running;
  g_mutex_unlock (&shared->lock);
  /* the worker marks the job done as it clears `running` (both with the
   * lock), and touches it no more */
  if (running != NULL)
    gst_effnet_job_wait (running);
  g_mutex_lock (&shared->lock);
  for (i = 0; i < shared->clients->len; i++) {
    if (g_ptr_array_index (shared->clients, i) == client) {
      g_ptr_array_remove_index (shared->clients, i);
      if (shared->next > i)
        shared->next--;
      if (shared->next >= shared->clients->len)
        shared->next = 0;
      break;
    }
  }
  g_mutex_unlock (&shared->lock);
  g_free (client);
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
