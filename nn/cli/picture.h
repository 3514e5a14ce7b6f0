/* picture.h — pictures for the effnet tool: an image file (PNG, JPEG,
 * PPM/PGM) or a raw frame file, read into memory and described as the
 * EffnetFrame the frame path takes. */
#ifndef EFFNET_PICTURE_H
#define EFFNET_PICTURE_H

#include <stddef.h>
#include <stdint.h>

#include "effnet.h"

typedef struct {
  EffnetFrame frame;
  uint8_t *pixels; /* owns the planes */
} Picture;

/* PNG (RGB, or RGBA with the alpha ignored; gray as GRAY8), JPEG (decoded
 * to RGB by libjpeg, or GRAY8), binary PPM/PGM with maxval 255: chosen by
 * the file's first bytes. PNG and JPEG need the libraries at build time. */
int picture_read_image(const char *path, Picture *pic, char *err, size_t errlen);

/* A raw frame with tightly packed rows (as GStreamer's filesink writes
 * them for widths whose rows need no padding; effnet_frame_layout). */
int picture_read_raw(const char *path, EffnetFormat format, int width, int height, Picture *pic, char *err,
                     size_t errlen);

void picture_free(Picture *pic);

#endif
