/* npy.h — reading and writing float32 NumPy .npy files for the command-line
 * tool (inputs and logits). Only what the tool exchanges is supported:
 * little-endian float32 ('<f4'), C order, up to NPY_MAX_NDIM dimensions. */
#ifndef EFFNET_NPY_H
#define EFFNET_NPY_H

#include <stddef.h>
#include <stdint.h>

#define NPY_MAX_NDIM 8
/* Longest header accepted (numpy writes a few hundred bytes). */
#define NPY_MAX_HEADER_BYTES (1u << 20)

/* Reads an .npy file of format version 1.0, 2.0 or 3.0. On success returns a
 * malloc'd buffer of prod(shape) floats (never NULL, even for an empty array;
 * the caller frees it) and sets *ndim (0 for a scalar) and shape[0..ndim).
 * On failure returns NULL and writes one sentence naming the file to err. */
float *npy_read_f32(const char *path, int *ndim, int64_t shape[NPY_MAX_NDIM], char *err, size_t errlen);

/* Writes data (prod(shape) floats, C order) as a version 1.0 file, byte for
 * byte as numpy.save would. ndim is 0..NPY_MAX_NDIM. Returns 0, or -1 with err
 * filled (a partly written file is removed). */
int npy_write_f32(const char *path, const float *data, int ndim, const int64_t *shape, char *err, size_t errlen);

#endif
