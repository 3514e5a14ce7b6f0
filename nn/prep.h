/* prep.h — the frame path as forward.c runs it: inside the inference's
 * parallel region, each thread preparing its share of the planned images'
 * rows straight into the network's input buffer. */
#ifndef EFFNET_PREP_H
#define EFFNET_PREP_H

#include <stddef.h>

#include "effnet.h"

/* Where prepared images go: pixel (image i, row y, column x, channel c) at
 * data + i * img + y * row + (nhwc ? 3 * x + c : c * chan + x). */
typedef struct {
  float *data;
  ptrdiff_t img, row, chan;
  int nhwc;
} PrepDest;

int prep_size(const EffnetPrep *p);
int prep_count(const EffnetPrep *p);
int prep_threads(const EffnetPrep *p);
/* An op (nn/threads.h): thread ith of nth's share of the rows of planned
 * images [first, first + count), image first going to dest image 0. No
 * barrier; the caller waits before reading dest. */
void prep_run_share(EffnetPrep *p, int first, int count, const PrepDest *dest, int ith, int nth);

#endif
