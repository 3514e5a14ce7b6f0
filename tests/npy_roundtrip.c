/* npy_roundtrip.c — drives nn/cli/npy.c for tests/test_npy_numpy.py.
 * Usage: npy_roundtrip IN.npy OUT.npy
 * Reads IN with npy_read_f32 and writes the same array to OUT with
 * npy_write_f32; on failure prints the error and exits 1. */
#include "npy.h"

#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: %s IN.npy OUT.npy\n", argv[0]);
    return 2;
  }
  char err[512];
  int ndim = 0;
  int64_t shape[NPY_MAX_NDIM];
  float *data = npy_read_f32(argv[1], &ndim, shape, err, sizeof err);
  if (data == NULL) {
    fprintf(stderr, "npy_roundtrip: %s\n", err);
    return 1;
  }
  int rc = npy_write_f32(argv[2], data, ndim, shape, err, sizeof err);
  free(data);
  if (rc != 0) {
    fprintf(stderr, "npy_roundtrip: %s\n", err);
    return 1;
  }
  return 0;
}
