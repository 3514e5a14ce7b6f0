/* effnetscheduler.c — the workers of one shared model and the scheduler
 * that gives them every element's jobs: the rotation over clients, teams and
 * side-by-side jobs, batches of an overloaded model, and the two governors
 * (effnetgovernor.h). The rules are in effnetshared.h. */
#include "effnetscheduler.h"
#include "effnetgovernor.h"

#include <errno.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

GST_DEBUG_CATEGORY_EXTERN (gst_efficientnet_debug);
#define GST_CAT_DEFAULT gst_efficientnet_debug

/* Test-only: milliseconds a worker sleeps before each job (or batch), read when a
 * model is loaded. Lets tests make inference slow without a large model. */
#define TEST_DELAY_ENV "EFFNET_GST_TEST_DELAY_MS"
/* Tuning: the most async frames of different elements one single-thread job
 * may run as one batch (1: no batching), read when a model is loaded. */
#define BATCH_ENV "EFFNET_GST_BATCH_MAX"

/* Async full frames of several elements may run as one single-thread forward
 * pass when more jobs wait than workers are free, in batches of the size the
 * batch governor measures fastest, up to this (see effnetshared.h): batches
 * of 4 ran B0 35 % faster per image on a Xeon, 7 % slower on a Zen 4
 * (bench/README.md, "Many live streams"). */
#define DEFAULT_BATCH_MAX 4

/* Another size replaces the best only when this much faster (see
 * effnetgovernor.h). Team sizes differ by 1.8x on an idle machine and by
 * several times under contention; batches by -7 % to +35 % per image
 * (bench/README.md), so they need more evidence. */
#define GOVERNOR_TEAM_MARGIN 0.9
#define GOVERNOR_BATCH_MARGIN 0.8

typedef struct _Worker Worker;

struct _Worker
{
  EffnetScheduler *sched;
  guint index;                  /* 0 runs teams; the others one thread */
  GThread *thread;
  gboolean busy;                /* with sched->lock */
  EffnetWorkspace *ws;          /* the worker's own */
  int ws_images;                /* batch ws was made for (0: none) */
  int ws_limit;                 /* largest batch to grow it to */
  float *batch_input;           /* [batch_max][3][S][S], made at the first batch */
  float *batch_logits;          /* [batch_max][classes] */
};

struct _GstEffnetClient
{
  EffnetScheduler *sched;
  /* with sched->lock */
  GstEffnetJob *pending;        /* submitted, not started */
  GstEffnetJob *running;
};

/* The workers of one model and what they share. */
struct _EffnetScheduler
{
  /* set when made, then read-only */
  const EffnetModel *model;
  gchar *name;                  /* the weights file, for the log */
  gint nice;                    /* the workers' */
  guint threads;                /* cores to use, workers */
  guint test_delay_ms;
  guint batch_max;              /* async frames per single-thread job, >= 1 */
  Worker *workers;
  guint n_workers;              /* started */

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

/* A workspace for jobs of n images: the one the worker has, or a larger one
 * (up to the chunk limit) made for them. A larger one the engine refuses
 * leaves the jobs in chunks of what there is (and is not asked for again).
 * FALSE, with the engine's sentence in err, when there is no workspace at
 * all. Worker 0's is planned for every core (it runs teams), the others' for
 * one thread. */
static gboolean
fit_workspace (Worker * w, int n, char *err, size_t errlen)
{
  EffnetScheduler *sched = w->sched;
  int want = CLAMP (n, 1, w->ws_limit), had = w->ws_images;
  int threads = w->index == 0 ? (int) sched->threads : 1;
  char why[EFFNET_ERRLEN];

  if (w->ws != NULL && want <= had)
    return TRUE;
  /* the old one goes first: the two are never held together */
  g_clear_pointer (&w->ws, effnet_workspace_free);
  w->ws_images = 0;
  w->ws = effnet_workspace_new (sched->model, want, threads, why, sizeof why);
  if (w->ws == NULL && had > 0 && want > had) {
    GST_WARNING ("no workspace for %d images (%s): batches of model %s stay "
        "in chunks of %d on worker %u", want, why, sched->name, had, w->index);
    w->ws_limit = want = had;
    w->ws = effnet_workspace_new (sched->model, want, threads, why, sizeof why);
  }
  if (w->ws == NULL) {
    g_strlcpy (err, why, errlen);
    return FALSE;
  }
  w->ws_images = want;
  GST_INFO ("workspace for %d image%s, %" G_GSIZE_FORMAT " bytes, %d "
      "thread%s, model %s, worker %u", want, want == 1 ? "" : "s",
      effnet_workspace_bytes (w->ws), threads, threads == 1 ? "" : "s",
      sched->name, w->index);
  return TRUE;
}

/* ---- the workers ---- */

/* The next client in the rotation with a pending job and none running. */
static GstEffnetClient *
next_client_locked (EffnetScheduler * sched)
{
  guint n = sched->clients->len, i;

  for (i = 0; i < n; i++) {
    guint at = (sched->next + i) % n;
    GstEffnetClient *c = g_ptr_array_index (sched->clients, at);

    if (c->pending != NULL && c->running == NULL) {
      sched->next = (at + 1) % n;
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
choose_team_locked (EffnetScheduler * sched, guint free, gboolean * sample)
{
  guint skipped = sched->governor.skipped;
  guint threads = effnet_governor_choose (&sched->governor, free,
      sched->cpu_times ? sample : NULL);

  if (sched->governor.skipped != skipped)
    GST_DEBUG ("governor: no try of a larger team: %.2f of %u cores were "
        "idle while lone jobs ran, model %s", sched->governor.last_idle,
        sched->governor.ncpu, sched->name);
  return threads;
}

/* Takes the client's pending job into the worker's list. */
static void
take_locked (EffnetScheduler * sched, GstEffnetClient * c,
    GstEffnetJob ** jobs, GstEffnetClient ** clients, guint * n)
{
  jobs[*n] = c->pending;
  clients[*n] = c;
  (*n)++;
  c->running = c->pending;
  c->pending = NULL;
  sched->pending--;
}

/* Waits for jobs this worker may start: usually one; up to batch_max async
 * frames of different elements when more jobs wait than workers are free
 * to take them. 0 when the model quits. */
static guint
take_jobs_locked (Worker * w, GstEffnetJob ** jobs, GstEffnetClient ** clients,
    guint * threads, gboolean * lone, gboolean * overloaded, gboolean * sample)
{
  EffnetScheduler *sched = w->sched;

  for (;;) {
    GstEffnetClient *c;
    guint free, n = 0;

    if (sched->quit)
      return 0;
    free = sched->threads - MIN (sched->cores_busy, sched->threads);
    /* a lone job waits for worker 0, which can run it as a team */
    if (free > 0 && sched->pending > 0 && (w->index == 0 ||
            sched->pending > 1 || sched->workers[0].busy) &&
        (c = next_client_locked (sched)) != NULL) {
      take_locked (sched, c, jobs, clients, &n);
      *lone = sched->running == 0 && sched->pending == 0;
      if (w->index != 0)
        *threads = 1;
      else if (*lone)
        *threads = choose_team_locked (sched, free, sample);
      else
        *threads = MAX (1, free / (sched->pending + 1));
      /* more waiting than the other free cores can start: batch, as many
       * as the batch governor finds fastest */
      *overloaded = *threads == 1 && batchable (jobs[0]) &&
          sched->pending > free - 1;
      if (*overloaded) {
        guint cap = effnet_governor_choose (&sched->batching,
            sched->batch_max, NULL);

        while (n < cap && sched->pending > free - 1 &&
            (c = next_client_locked (sched)) != NULL && batchable (c->pending))
          take_locked (sched, c, jobs, clients, &n);
      }
      if (c != NULL && c->pending != NULL && !batchable (c->pending))
        /* a client passed over for the batch stays first in the rotation */
        sched->next = (sched->next + sched->clients->len - 1) %
            sched->clients->len;
      sched->running += n;
      sched->cores_busy += *threads;
      sched->starts++;
      w->busy = TRUE;
      return n;
    }
    g_cond_wait (&sched->wake, &sched->lock);
  }
}

static void
run_job (Worker * w, GstEffnetJob * job, guint threads)
{
  EffnetScheduler *sched = w->sched;
  GstClockTime start = gst_util_get_timestamp ();

  if (sched->test_delay_ms > 0)
    g_usleep ((gulong) sched->test_delay_ms * 1000);
  job->err[0] = '\0';
  if (!fit_workspace (w, job->n, job->err, sizeof job->err)) {
    job->rc = -1;
  } else {
    effnet_workspace_use_threads (w->ws, (int) threads);
    if (job->prep != NULL)
      job->rc = effnet_forward_prep (sched->model, w->ws, job->prep,
          job->logits, job->err, sizeof job->err);
    else
      job->rc = effnet_forward (sched->model, w->ws, job->input, job->n,
          job->logits, job->err, sizeof job->err);
  }
  job->forward_ns = (gint64) (gst_util_get_timestamp () - start);
  GST_DEBUG ("forward: %d image(s) in one batch, %u thread(s), worker %u, %"
      G_GINT64_FORMAT " ns, model %s", job->n, threads, w->index,
      job->forward_ns, sched->name);
}

/* n one-image async jobs of different elements as one forward pass on one
 * thread: their inputs gathered, their logits scattered back. */
static void
run_batch (Worker * w, GstEffnetJob ** jobs, guint n)
{
  EffnetScheduler *sched = w->sched;
  const gsize image = jobs[0]->image_floats, classes = jobs[0]->classes;
  GstClockTime start = gst_util_get_timestamp ();
  char err[EFFNET_ERRLEN] = "";
  int rc = -1;
  guint i;

  if (sched->test_delay_ms > 0)
    g_usleep ((gulong) sched->test_delay_ms * 1000);
  if (w->batch_input == NULL) {
    w->batch_input = g_try_new (float, sched->batch_max * image);
    w->batch_logits = g_try_new (float, sched->batch_max * classes);
  }
  if (w->batch_input == NULL || w->batch_logits == NULL) {
    g_strlcpy (err, "out of memory for a batch of frames", sizeof err);
  } else if (fit_workspace (w, (int) n, err, sizeof err)) {
    for (i = 0; i < n; i++)
      memcpy (w->batch_input + i * image, jobs[i]->input,
          image * sizeof (float));
    effnet_workspace_use_threads (w->ws, 1);
    rc = effnet_forward (sched->model, w->ws, w->batch_input, (int) n,
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
      w->index, jobs[0]->forward_ns, sched->name);
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
  EffnetScheduler *sched = w->sched;
  GstEffnetJob **jobs = g_new (GstEffnetJob *, sched->batch_max);
  GstEffnetClient **clients = g_new (GstEffnetClient *, sched->batch_max);

  /* Linux: one thread's nice value; the team threads libgomp starts from
   * worker 0 inherit it */
  if (sched->nice > 0
      && setpriority (PRIO_PROCESS, (id_t) syscall (SYS_gettid),
          sched->nice) != 0)
    GST_WARNING ("could not set the nice value of inference worker %u to %d: "
        "%s", w->index, sched->nice, g_strerror (errno));
  g_mutex_lock (&sched->lock);
  for (;;) {
    guint threads = 1, n, i;
    gboolean lone = FALSE, overloaded = FALSE, sample = FALSE;
    EffnetCpuTimes before, after;
    guint64 started;

    n = take_jobs_locked (w, jobs, clients, &threads, &lone, &overloaded,
        &sample);
    if (n == 0)
      break;
    started = sched->starts;
    g_mutex_unlock (&sched->lock);

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

    g_mutex_lock (&sched->lock);
    /* alone from start to end: a fair time for its team size */
    if (w->index == 0 && lone && jobs[0]->rc == 0 && sched->starts == started) {
      effnet_governor_record (&sched->governor, threads, jobs[0]->n,
          jobs[0]->forward_ns);
      if (sample)
        effnet_governor_record_idle (&sched->governor, &before, &after);
    }
    /* one frame or a batch, run while the model was overloaded */
    if (overloaded && jobs[0]->rc == 0)
      effnet_governor_record (&sched->batching, n, (int) n,
          jobs[0]->forward_ns);
    sched->running -= n;
    sched->cores_busy -= threads;
    w->busy = FALSE;
    /* done, and out of `running`, together: a client that finds nothing
     * running may free its jobs at once */
    for (i = 0; i < n; i++) {
      clients[i]->running = NULL;
      job_set_done (jobs[i]);
    }
    g_cond_broadcast (&sched->wake);
  }
  g_mutex_unlock (&sched->lock);
  g_free (jobs);
  g_free (clients);
  return NULL;
}

/* The team governor of worker 0's lone jobs: it starts with all the
 * model's threads, and samples the machine's CPU times where it can. */
static void
governor_init_team (EffnetScheduler * sched)
{
  EffnetCpuTimes t;

  effnet_governor_init (&sched->governor, sched->threads, sched->threads,
      GOVERNOR_TEAM_MARGIN, TRUE);
  sched->cpu_times = effnet_cpu_times_read (&t);
  if (!sched->cpu_times)
    GST_INFO ("the machine's CPU times cannot be read: the governor tries "
        "larger teams without knowing whether cores are idle");
}

EffnetScheduler *
effnet_scheduler_new (const EffnetModel * model, const gchar * name,
    guint threads, gint nice, GError ** error)
{
  EffnetScheduler *sched = g_new0 (EffnetScheduler, 1);
  char err[EFFNET_ERRLEN];
  const gchar *delay, *batch;
  GError *thread_err = NULL;
  guint i;

  sched->model = model;
  sched->name = g_strdup (name);
  sched->nice = nice;
  sched->threads = MAX (threads, 1);
  g_mutex_init (&sched->lock);
  g_cond_init (&sched->wake);
  sched->clients = g_ptr_array_new ();
  /* Planned now for worker 0 (the largest: a team's), so a model whose
   * activations cannot be planned fails here, at start; the other workers
   * make theirs when they first run a job. */
  sched->workers = g_new0 (Worker, sched->threads);
  for (i = 0; i < sched->threads; i++) {
    sched->workers[i].sched = sched;
    sched->workers[i].index = i;
    sched->workers[i].ws_limit = GST_EFFNET_SHARED_MAX_BATCH;
  }
  governor_init_team (sched);
  delay = g_getenv (TEST_DELAY_ENV);
  if (delay != NULL)
    sched->test_delay_ms = (guint) g_ascii_strtoull (delay, NULL, 10);
  batch = g_getenv (BATCH_ENV);
  sched->batch_max = batch != NULL ?
      CLAMP (g_ascii_strtoull (batch, NULL, 10), 1,
      GST_EFFNET_SHARED_MAX_BATCH) : DEFAULT_BATCH_MAX;
  /* batches start at one frame: tried, and kept where they run faster */
  effnet_governor_init (&sched->batching, sched->batch_max, 1,
      GOVERNOR_BATCH_MARGIN, FALSE);
  if (!fit_workspace (&sched->workers[0], 1, err, sizeof err)) {
    g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_NO_SPACE_LEFT,
        "%s", err);
    effnet_scheduler_free (sched);
    return NULL;
  }

  for (i = 0; i < sched->threads; i++) {
    gchar *thread_name = g_strdup_printf ("effnet-model-%u", i);

    sched->workers[i].thread = g_thread_try_new (thread_name, worker_thread,
        &sched->workers[i], &thread_err);
    g_free (thread_name);
    if (sched->workers[i].thread == NULL) {
      g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_FAILED,
          "Could not start the inference threads: %s.", thread_err->message);
      g_clear_error (&thread_err);
      effnet_scheduler_free (sched);
      return NULL;
    }
    sched->n_workers++;
  }
  return sched;
}

void
effnet_scheduler_free (EffnetScheduler * sched)
{
  guint i;

  if (sched == NULL)
    return;
  g_mutex_lock (&sched->lock);
  sched->quit = TRUE;
  g_cond_broadcast (&sched->wake);
  g_mutex_unlock (&sched->lock);
  for (i = 0; i < sched->n_workers; i++)
    g_thread_join (sched->workers[i].thread);
  for (i = 0; sched->workers != NULL && i < sched->threads; i++) {
    effnet_workspace_free (sched->workers[i].ws);
    g_free (sched->workers[i].batch_input);
    g_free (sched->workers[i].batch_logits);
  }
  g_free (sched->workers);
  effnet_governor_clear (&sched->governor);
  effnet_governor_clear (&sched->batching);
  g_ptr_array_unref (sched->clients);
  g_mutex_clear (&sched->lock);
  g_cond_clear (&sched->wake);
  g_free (sched->name);
  g_free (sched);
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
effnet_scheduler_add_client (EffnetScheduler * sched)
{
  GstEffnetClient *client = g_new0 (GstEffnetClient, 1);

  client->sched = sched;
  g_mutex_lock (&sched->lock);
  g_ptr_array_add (sched->clients, client);
  g_mutex_unlock (&sched->lock);
  return client;
}

GstEffnetJob *
gst_effnet_client_withdraw (GstEffnetClient * client)
{
  EffnetScheduler *sched = client->sched;
  GstEffnetJob *job;

  g_mutex_lock (&sched->lock);
  job = g_steal_pointer (&client->pending);
  if (job != NULL)
    sched->pending--;
  g_mutex_unlock (&sched->lock);
  if (job != NULL)
    job_set_done (job);
  return job;
}

GstEffnetJob *
gst_effnet_client_submit (GstEffnetClient * client, GstEffnetJob * job)
{
  EffnetScheduler *sched = client->sched;
  GstEffnetJob *replaced;

  g_mutex_lock (&job->lock);
  job->done = FALSE;
  g_mutex_unlock (&job->lock);

  g_mutex_lock (&sched->lock);
  replaced = client->pending;
  client->pending = job;
  if (replaced == NULL)
    sched->pending++;
  g_cond_broadcast (&sched->wake);
  g_mutex_unlock (&sched->lock);

  if (replaced != NULL)
    job_set_done (replaced);
  return replaced;
}

void
gst_effnet_client_free (GstEffnetClient * client)
{
  EffnetScheduler *sched;
  GstEffnetJob *running;
  guint i;

  if (client == NULL)
    return;
  sched = client->sched;
  gst_effnet_client_withdraw (client);
  g_mutex_lock (&sched->lock);
  running = client->running;
  g_mutex_unlock (&sched->lock);
  /* the worker marks the job done as it clears `running` (both with the
   * lock), and touches it no more */
  if (running != NULL)
    gst_effnet_job_wait (running);
  g_mutex_lock (&sched->lock);
  for (i = 0; i < sched->clients->len; i++) {
    if (g_ptr_array_index (sched->clients, i) == client) {
      g_ptr_array_remove_index (sched->clients, i);
      if (sched->next > i)
        sched->next--;
      if (sched->next >= sched->clients->len)
        sched->next = 0;
      break;
    }
  }
  g_mutex_unlock (&sched->lock);
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
