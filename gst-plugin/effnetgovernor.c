/* effnetgovernor.c — picks a size by timing the sizes it tries; see
 * effnetgovernor.h. */
#include "effnetgovernor.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Choices between tries of a neighbouring size: 16, times how much slower it
 * last measured, times 2 for each try in a row that found it slower (up to
 * PROBE_MAX; back to 16 when the best size changes). A size that ran 3 times
 * slower costs 12 % at first, then less and less. */
#define PROBE_EVERY 16
#define PROBE_MAX 1024
/* weight of the newest time in a size's average */
#define ALPHA 0.3
/* Before a try of a larger team: the jobs sampled (the choices before the
 * try is due), the clock ticks of all CPUs together the samples must hold
 * (USER_HZ is 100: 2 CPUs give 2 ticks per 10 ms), the choices a due try
 * waits for them, and the share of the extra cores that must have been
 * idle. */
#define IDLE_JOBS 8
#define IDLE_MIN_TICKS 8
#define IDLE_WAIT_MAX 64
#define IDLE_SHARE 0.5

void
effnet_governor_init (EffnetGovernor * g, guint max, guint first,
    gdouble margin, gboolean cores)
{
  memset (g, 0, sizeof *g);
  g->margin = margin;
  g->max = MAX (max, 1);
  g->ns = g_new0 (gdouble, g->max + 1);
  g->best = CLAMP (first, 1, g->max);
  g->backoff = 1;
  g->cores = cores;
  g->last_idle = -1;
}

void
effnet_governor_clear (EffnetGovernor * g)
{
  g_clear_pointer (&g->ns, g_free);
}

/* A size on at most `free` cores (at least 1). */
static guint
fit (guint size, guint free)
{
  return CLAMP (size, 1, MAX (free, 1));
}

guint
effnet_governor_choose (EffnetGovernor * g, guint free, gboolean * sample)
{
  guint size = g->best, probe, cand[2], n = 0;
  gdouble every;
  gboolean grows;

  if (sample != NULL)
    *sample = FALSE;
  if (g->best > 1)
    cand[n++] = g->best / 2;
  if (g->best < g->max)
    cand[n++] = MIN (g->best * 2, g->max);
  if (n == 0)
    return fit (size, free);
  probe = cand[g->probe_turn % n];
  every = (gdouble) PROBE_EVERY *g->backoff;
  if (g->ns[probe] > 0 && g->ns[g->best] > 0)
    every *= MAX (1.0, g->ns[probe] / g->ns[g->best]);
  every = MIN (every, PROBE_MAX);
  grows = g->cores && probe > g->best;
  g->since_probe++;
  if (g->since_probe < every) {
    /* the jobs just before a try of a larger team are sampled */
    if (grows && sample != NULL && g->since_probe + IDLE_JOBS >= every)
      *sample = TRUE;
    return fit (size, free);
  }

  if (grows) {
    if (sample != NULL && g->total_ticks < IDLE_MIN_TICKS &&
        g->waited < IDLE_WAIT_MAX) {
      /* too few ticks sampled to tell: sample more first */
      g->waited++;
      *sample = TRUE;
      return fit (size, free);
    }
    g->last_idle = g->total_ticks >= IDLE_MIN_TICKS ?
        (gdouble) g->ncpu * g->idle_ticks / g->total_ticks : -1;
    g->idle_ticks = g->total_ticks = 0;
    g->waited = 0;
    if (g->last_idle >= 0 && g->last_idle < IDLE_SHARE * (probe - g->best)) {
      /* the cores a larger team would take are someone else's */
      g->since_probe = 0;
      g->probe_turn++;
      g->skipped++;
      return fit (size, free);
    }
  }
  g->since_probe = 0;
  g->probe_turn++;
  return fit (probe, free);
}

void
effnet_governor_record (EffnetGovernor * g, guint size, int n, gint64 ns)
{
  gdouble per = (gdouble) ns / MAX (n, 1);
  guint s, was = g->best;

  if (size < 1 || size > g->max)
    return;
  g->ns[size] = g->ns[size] > 0 ? (1 - ALPHA) * g->ns[size] + ALPHA * per : per;
  if (g->ns[was] <= 0)
    g->best = size;
  for (s = 1; s <= g->max; s++)
    if (s != was && g->ns[s] > 0 && g->ns[s] < g->margin * g->ns[was]
        && g->ns[s] < g->ns[g->best])
      g->best = s;
  if (g->best != was) {
    g->backoff = 1;
    g->idle_ticks = g->total_ticks = 0;
  } else if (size != was) {
    g->backoff = MIN (g->backoff * 2, PROBE_MAX);
  }
}

void
effnet_governor_record_idle (EffnetGovernor * g,
    const EffnetCpuTimes * before, const EffnetCpuTimes * after)
{
  if (after->total <= before->total || after->idle < before->idle ||
      after->ncpu == 0)
    return;
  g->idle_ticks += MIN (after->idle - before->idle,
      after->total - before->total);
  g->total_ticks += after->total - before->total;
  g->ncpu = after->ncpu;
}

gboolean
effnet_cpu_times_parse (const gchar * text, EffnetCpuTimes * t)
{
  const gchar *line = text;
  gboolean found = FALSE;

  memset (t, 0, sizeof *t);
  while (line != NULL && *line != '\0') {
    if (strncmp (line, "cpu ", 4) == 0 && !found) {
      /* user nice system idle iowait irq softirq steal (guest and
       * guest_nice are counted in user and nice already) */
      guint64 v[8] = { 0 };
      const gchar *p = line + 4;
      gchar *end;
      guint i;

      for (i = 0; i < G_N_ELEMENTS (v); i++) {
        errno = 0;
        v[i] = g_ascii_strtoull (p, &end, 10);
        if (end == p || errno != 0)
          break;
        p = end;
      }
      if (i < 4)                /* idle is the fourth: not /proc/stat */
        return FALSE;
      t->idle = v[3] + v[4];
      for (i = 0; i < G_N_ELEMENTS (v); i++)
        t->total += v[i];
      found = TRUE;
    } else if (strncmp (line, "cpu", 3) == 0 && g_ascii_isdigit (line[3])) {
      t->ncpu++;
    }
    line = strchr (line, '\n');
    if (line != NULL)
      line++;
  }
  return found && t->ncpu > 0;
}

gboolean
effnet_cpu_times_read (EffnetCpuTimes * t)
{
  /* the cpu lines come first; 32 KiB holds them for ~500 CPUs (the
   * interrupt counts after them can be long). On the stack: the workers
   * call this around jobs, and allocate nothing there. */
  gchar buf[32 * 1024];
  gsize got = 0;
  int fd = open ("/proc/stat", O_RDONLY | O_CLOEXEC);

  if (fd < 0)
    return FALSE;
  while (got < sizeof buf - 1) {
    ssize_t r = read (fd, buf + got, sizeof buf - 1 - got);

    if (r < 0 && errno == EINTR)
      continue;
    if (r <= 0)
      break;
    got += (gsize) r;
  }
  close (fd);
  buf[got] = '\0';
  return effnet_cpu_times_parse (buf, t);
}
