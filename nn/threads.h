/* threads.h — the engine's one threading rule (nn/README.md, Threading).
 *
 * Every thread of the team calls every op with its index ith of nth; the op
 * takes its own share of the work and never waits on the others. Barriers
 * are the graph's alone (forward.c: between ops that depend on each other). */
#ifndef EFFNET_THREADS_H
#define EFFNET_THREADS_H

/* Share ith of nth (0 <= ith < nth) of n items: [*lo, *hi). Shares are
 * contiguous, in thread order, cover all n items, and differ in size by at
 * most one. */
static inline void effnet_share(long long n, int ith, int nth, long long *lo, long long *hi) {
  *lo = n * ith / nth;
  *hi = n * (ith + 1) / nth;
}

#endif
