/* test_governor.c — the size governor of the shared model's scheduler
 * (gst-plugin/effnetgovernor.c), fed made-up times and CPU samples: it keeps
 * the fastest size, tries neighbours on schedule with back-off, and skips a
 * try of a larger team when the machine had no idle cores for it. */
#include <gst/check/gstcheck.h>

#include "effnetgovernor.h"

#define MS 1000000

/* Choices until the governor picks something other than `size` (the jobs
 * in between all record `ns` on it, and, when `idle` >= 0, CPU samples in
 * which `idle` of 2 cores were idle), at most `limit`. */
static guint
choices_until_other (EffnetGovernor * g, guint size, gint64 ns, gdouble idle,
    guint limit, guint * got, guint * sampled)
{
  static EffnetCpuTimes clock = { 0, 0, 2 };
  guint i;

  *sampled = 0;
  for (i = 1; i <= limit; i++) {
    gboolean sample = FALSE;
    guint s = effnet_governor_choose (g, 2, idle >= 0 ? &sample : NULL);

    if (s != size) {
      *got = s;
      return i;
    }
    effnet_governor_record (g, s, 1, ns);
    if (sample) {
      EffnetCpuTimes before = clock;

      /* a 20 ms job on 2 CPUs: 4 ticks */
      clock.total += 4;
      clock.idle += (guint64) (idle * 2 + 0.5);
      effnet_governor_record_idle (g, &before, &clock);
      (*sampled)++;
    }
  }
  *got = size;
  return 0;
}

GST_START_TEST (test_fastest)
{
  EffnetGovernor g;
  guint got, sampled, at, i;

  /* never more threads than free cores */
  effnet_governor_init (&g, 2, 2, 0.9, TRUE);
  fail_unless_equals_int (effnet_governor_choose (&g, 1, NULL), 1);
  effnet_governor_clear (&g);

  effnet_governor_init (&g, 2, 2, 0.9, TRUE);
  /* the team of 2 at 10 ms; the first try of 1 thread comes at choice 16 */
  at = choices_until_other (&g, 2, 10 * MS, -1, 100, &got, &sampled);
  fail_unless_equals_int (at, 16);
  fail_unless_equals_int (got, 1);
  /* 1 thread is twice as slow: the next try waits 16 x 2 (slower) x 2
   * (back-off) choices */
  effnet_governor_record (&g, 1, 1, 20 * MS);
  fail_unless_equals_int (g.best, 2);
  at = choices_until_other (&g, 2, 10 * MS, -1, 1000, &got, &sampled);
  fail_unless_equals_int (at, 64);
  /* 5 % faster is within the margin: the best stays */
  effnet_governor_record (&g, 1, 1, (gint64) (9.5 * MS));
  fail_unless_equals_int (g.best, 2);
  /* the average of 1 falls well below: it becomes the best */
  for (i = 0; i < 5; i++)
    effnet_governor_record (&g, 1, 1, 2 * MS);
  fail_unless_equals_int (g.best, 1);
  fail_unless_equals_int (g.backoff, 1);
  effnet_governor_clear (&g);
}

GST_END_TEST;

GST_START_TEST (test_no_idle_cores)
{
  EffnetGovernor g;
  guint got, sampled, at, i;

  /* one thread is the best: a try of 2 is due at choice 16 */
  effnet_governor_init (&g, 2, 1, 0.9, TRUE);
  effnet_governor_record (&g, 1, 1, 20 * MS);
  /* another process keeps the other core busy: no idle core while our
   * jobs ran, so no try, ever */
  for (i = 0; i < 5; i++) {
    at = choices_until_other (&g, 1, 20 * MS, 0.0, 16, &got, &sampled);
    fail_unless_equals_int (at, 0);
    /* the 8 jobs before the try were sampled */
    fail_unless_equals_int (sampled, 8);
    fail_unless_equals_int (g.skipped, i + 1);
    fail_unless (g.last_idle == 0.0, "idle %g", g.last_idle);
  }
  /* the other core frees up: the next try happens */
  at = choices_until_other (&g, 1, 20 * MS, 1.0, 16, &got, &sampled);
  fail_unless_equals_int (at, 16);
  fail_unless_equals_int (got, 2);
  fail_unless (g.last_idle == 1.0, "idle %g", g.last_idle);
  fail_unless_equals_int (g.skipped, 5);
  effnet_governor_clear (&g);
}

GST_END_TEST;

GST_START_TEST (test_unknown_idle)
{
  EffnetGovernor g;
  guint got, sampled, at, i;

  /* no sampling (CPU times unreadable): tries as scheduled */
  effnet_governor_init (&g, 2, 1, 0.9, TRUE);
  effnet_governor_record (&g, 1, 1, 20 * MS);
  at = choices_until_other (&g, 1, 20 * MS, -1, 100, &got, &sampled);
  fail_unless_equals_int (at, 16);
  fail_unless_equals_int (got, 2);
  effnet_governor_clear (&g);

  /* samples asked for but never given: a due try waits 64 choices for
   * them, then happens */
  effnet_governor_init (&g, 2, 1, 0.9, TRUE);
  effnet_governor_record (&g, 1, 1, 20 * MS);
  for (i = 1; i <= 200; i++) {
    gboolean sample;

    if (effnet_governor_choose (&g, 2, &sample) != 1)
      break;
    fail_unless (sample == (i >= 8), "choice %u sample %d", i, sample);
  }
  fail_unless_equals_int (i, 16 + 64);
  fail_unless (g.last_idle < 0);
  effnet_governor_clear (&g);

  /* batch sizes need no idle cores: never sampled, tried as scheduled */
  effnet_governor_init (&g, 4, 1, 0.8, FALSE);
  effnet_governor_record (&g, 1, 1, 20 * MS);
  at = choices_until_other (&g, 1, 20 * MS, 0.0, 100, &got, &sampled);
  fail_unless_equals_int (at, 16);
  fail_unless_equals_int (got, 2);
  fail_unless_equals_int (sampled, 0);
  effnet_governor_clear (&g);
}

GST_END_TEST;

GST_START_TEST (test_cpu_times)
{
  EffnetCpuTimes a, b;

  fail_unless (effnet_cpu_times_parse ("cpu  100 5 50 1000 20 3 2 1 7 0\n"
          "cpu0 50 2 25 500 10 1 1 0 3 0\ncpu1 50 3 25 500 10 2 1 1 4 0\n"
          "intr 12345 1 2 3\nctxt 99\n", &a));
  /* idle + iowait; total without guest time (counted in user already) */
  fail_unless_equals_uint64 (a.idle, 1020);
  fail_unless_equals_uint64 (a.total, 1181);
  fail_unless_equals_int (a.ncpu, 2);
  /* not /proc/stat */
  fail_if (effnet_cpu_times_parse ("", &a));
  fail_if (effnet_cpu_times_parse ("hello\nworld\n", &a));
  fail_if (effnet_cpu_times_parse ("cpu  1 2 3\ncpu0 1 2 3\n", &a));
  fail_if (effnet_cpu_times_parse ("cpu  1 2 3 4 5\n", &a));
#ifdef __linux__
  fail_unless (effnet_cpu_times_read (&a));
  g_usleep (30000);
  fail_unless (effnet_cpu_times_read (&b));
  fail_unless (a.ncpu >= 1 && b.ncpu == a.ncpu);
  fail_unless (b.total >= a.total && b.idle >= a.idle);
#endif
}

GST_END_TEST;

static Suite *
governor_suite (void)
{
  Suite *s = suite_create ("efficientnet-governor");
  TCase *tc = tcase_create ("governor");

  tcase_add_test (tc, test_fastest);
  tcase_add_test (tc, test_no_idle_cores);
  tcase_add_test (tc, test_unknown_idle);
  tcase_add_test (tc, test_cpu_times);
  suite_add_tcase (s, tc);
  return s;
}

GST_CHECK_MAIN (governor);
