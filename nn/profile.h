/* profile.h — where a forward pass spends its time, op by op (bench/layers.c).
 *
 * A workspace given a profile records, on thread 0, the wall time from one
 * point of the graph to the next: every op of the pass ends at a barrier
 * (forward.c), so that time is the op's, the wait for the team's slowest
 * thread included. Nothing is recorded (one pointer test per op) unless a
 * profile is set. Not part of the public API (effnet.h). */
#ifndef EFFNET_PROFILE_H
#define EFFNET_PROFILE_H

#include "arch.h"
#include "effnet.h"

typedef enum {
  OP_INPUT = 0,  /* the input images into the stem's buffer (copy or frame path) */
  OP_STEM,       /* 3x3 stride-2 conv + SiLU (a GEMM over im2col) */
  OP_EXPAND,     /* 1x1 expand conv + SiLU, held whole */
  OP_DWCONV,     /* depthwise conv + SiLU, with the SE pool sums */
  OP_EXPAND_DW,  /* expand and depthwise streamed together row by row (large blocks) */
  OP_SE,         /* SE: pooled means, reduce FC + SiLU, expand FC + sigmoid */
  OP_GATE,       /* the SE gate applied to the project weights or to the activations */
  OP_PROJECT,    /* 1x1 project conv (+ residual) */
  OP_HEAD,       /* 1x1 head conv + SiLU */
  OP_POOL,       /* global average pool */
  OP_CLASSIFIER, /* the fully connected classifier */
  OP_KINDS
} OpKind;

/* Layer index of the ops outside blocks. */
enum { PROFILE_STEM_LAYER = 0, PROFILE_BLOCK0 = 1 }; /* block i is layer i + 1; the head is num_blocks + 1 */
#define PROFILE_LAYERS (EFFNET_MAX_BLOCKS + 2)

typedef struct {
  double ms[PROFILE_LAYERS][OP_KINDS]; /* summed over the passes */
  int passes;
  int cpu_clock; /* set by the caller: 0 = wall-clock time; 1 = thread 0's CPU time
                  * (on one thread, an op's cost even while other programs take
                  * turns on the core; with a team it would count spin waits) */
  double last;   /* internal: thread 0's clock at the previous point */
} EffnetProfile;

/* Record into p from the next pass on (NULL: stop recording). The caller
 * zeroes p and owns it; a workspace records into at most one profile. */
void effnet_workspace_set_profile(EffnetWorkspace *ws, EffnetProfile *p);

/* The kind's name as layers.c prints it ("expand", "dwconv", ...). */
const char *profile_kind_name(OpKind k);

#endif
