/* frame.h — what each frame format is made of, for the frame path (prep.c).
 *
 * A format is one or two sample groups. A group is the channels that share
 * one sampling grid (so one set of filter tables): the RGB of a packed pixel,
 * the luma of YUV, or its two chroma channels at half resolution. Each
 * channel says where its samples are: plane, byte offset of the first, and
 * the bytes from one sample to the next (its group's step). */
#ifndef EFFNET_FRAME_H
#define EFFNET_FRAME_H

#include "effnet.h"

enum { FRAME_MAX_GROUPS = 2, FRAME_MAX_CHANNELS = 3 };

/* What a channel holds: an RGB component or a YUV one. */
typedef enum { COMP_R = 0, COMP_G, COMP_B, COMP_Y = 0, COMP_U, COMP_V } Component;

typedef struct {
  int plane;  /* which of the frame's planes */
  int offset; /* byte of the first sample in a row */
  Component comp;
} FrameChannel;

typedef struct {
  int shift_x, shift_y; /* subsampling: the group has ceil(w >> shift_x) samples a row */
  int step;             /* bytes from one sample to the next in a row */
  int nch;
  FrameChannel ch[FRAME_MAX_CHANNELS];
} FrameGroup;

typedef struct {
  const char *name; /* lower case, GStreamer's spelling */
  int planes;
  int yuv;  /* channels are Y, U, V (else R, G, B) */
  int gray; /* one luma channel, R = G = B */
  int ngroups;
  FrameGroup group[FRAME_MAX_GROUPS];
} FrameFormat;

/* The description of a valid format, NULL otherwise. */
const FrameFormat *frame_format(EffnetFormat f);

/* Samples of a group in a frame w x h: (w + 2^s - 1) >> s. */
static inline int frame_group_size(int n, int shift) { return (n + (1 << shift) - 1) >> shift; }

/* Checks a frame: format, sizes, planes present, strides wide enough.
 * Returns 0, or -1 with one sentence in err. */
int frame_check(const EffnetFrame *f, char *err, size_t errlen);

#endif
