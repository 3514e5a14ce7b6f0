/* effnetgovernor.h — picks a size by timing the sizes it tries: the team
 * size of a shared model's lone jobs, or the batch size of its single-thread
 * jobs when it is overloaded (effnetscheduler.c uses one of each).
 *
 * The governor keeps an average time per image for each size, uses the
 * fastest (another size must beat the current one by a margin: times under
 * contention vary by tens of percent from job to job), and tries a
 * neighbouring size (half or double) now and then: every 16 choices, times
 * how much slower that size last measured, times 2 for each try in a row
 * that left the best unchanged (at most every 1,024 choices; back to 16
 * when the best size changes).
 *
 * A try of a larger team needs cores nobody else is using, and trying one
 * when there are none costs a live stream frames (a B2 team of 2 beside a
 * busy process took 63-221 ms instead of 25 ms on one thread). So for team
 * sizes the governor first looks at the machine: it asks its user to sample
 * how many cores were idle while the last lone jobs before a try ran (the
 * kernel's CPU times, EffnetCpuTimes), and skips the try when fewer than
 * half the extra cores were idle. Where the CPU times cannot be read, it
 * tries as before.
 *
 * GLib only; not thread-safe (the scheduler calls it under its lock). */
#ifndef __EFFNET_GOVERNOR_H__
#define __EFFNET_GOVERNOR_H__

#include <glib.h>

G_BEGIN_DECLS typedef struct
{
  guint max;                    /* the largest size */
  gdouble *ns;                  /* [max + 1]: average ns per image, 0 = unknown */
  guint best;                   /* the size to use */
  guint since_probe;            /* choices since a neighbour was tried */
  guint probe_turn;
  guint backoff;                /* doubles each time a try leaves `best` */
  gdouble margin;               /* another size must take less than this
                                 * times the best's time to replace it */
  gboolean cores;               /* sizes are threads: a larger size needs
                                 * idle cores */
  /* idle cores seen while jobs of the best size ran, before a try */
  guint64 idle_ticks, total_ticks;
  guint ncpu;
  guint waited;                 /* choices a due try waited for samples */
  guint skipped;                /* tries skipped for want of idle cores */
  gdouble last_idle;            /* idle cores at the last decision, -1 unknown */
} EffnetGovernor;

/* The machine's CPU times since boot, all CPUs together, in clock ticks. */
typedef struct
{
  guint64 idle;                 /* idle and iowait */
  guint64 total;
  guint ncpu;                   /* CPUs counted */
} EffnetCpuTimes;

/* sizes 1..max, starting at `first`; `cores`: sizes are team threads */
void effnet_governor_init (EffnetGovernor * g, guint max, guint first,
    gdouble margin, gboolean cores);
void effnet_governor_clear (EffnetGovernor * g);

/* The size for the next job, at most `free`. For a team governor, *sample
 * (when not NULL) says whether to sample the CPU times around this job and
 * pass them to effnet_governor_record_idle(). */
guint effnet_governor_choose (EffnetGovernor * g, guint free,
    gboolean * sample);

/* A job of n images took ns on `size`. */
void effnet_governor_record (EffnetGovernor * g, guint size, int n, gint64 ns);

/* The machine's CPU times before and after a job of the best size. */
void effnet_governor_record_idle (EffnetGovernor * g,
    const EffnetCpuTimes * before, const EffnetCpuTimes * after);

/* Parses /proc/stat's text: FALSE when it has no "cpu" line. */
gboolean effnet_cpu_times_parse (const gchar * text, EffnetCpuTimes * t);

/* Reads /proc/stat (Linux): FALSE where it cannot. */
gboolean effnet_cpu_times_read (EffnetCpuTimes * t);

G_END_DECLS
#endif /* __EFFNET_GOVERNOR_H__ */
