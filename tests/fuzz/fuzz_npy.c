/* fuzz_npy.c — libFuzzer target: the .npy reader of the effnet tool
 * (nn/cli/npy.c). npy_read_f32 takes a path, so each input is written to one
 * memory file made once per process (memfd_create, truncated and rewritten
 * every run) and read back through /proc/self/fd/N. An accepted file must
 * give prod(shape) floats (all of them are read, so ASan sees a short
 * buffer); a refused one must come with a sentence. */
#include "npy.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static void fail(const char *why, const char *detail) {
  fprintf(stderr, "fuzz_npy: %s%s%s\n", why, detail ? ": " : "", detail ? detail : "");
  abort();
}

static volatile unsigned g_sink;
static int g_fd = -1;
static char g_path[64];

static void write_input(const uint8_t *data, size_t size) {
  if (g_fd < 0) {
    g_fd = memfd_create("fuzz.npy", 0);
    if (g_fd < 0) fail("memfd_create failed", NULL);
    snprintf(g_path, sizeof g_path, "/proc/self/fd/%d", g_fd);
  }
  if (ftruncate(g_fd, 0) != 0) fail("ftruncate failed", NULL);
  size_t done = 0;
  while (done < size) {
    ssize_t w = pwrite(g_fd, data + done, size - done, (off_t)done);
    if (w <= 0) fail("pwrite failed", NULL);
    done += (size_t)w;
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  write_input(data, size);
  char err[512];
  err[0] = '\0';
  int ndim = -1;
  int64_t shape[NPY_MAX_NDIM];
  float *v = npy_read_f32(g_path, &ndim, shape, err, sizeof err);
  if (!v) {
    if (err[0] == '\0') fail("npy_read_f32 failed without a sentence", NULL);
    return 0;
  }
  if (ndim < 0 || ndim > NPY_MAX_NDIM) fail("ndim out of range", NULL);
  uint64_t count = 1;
  for (int d = 0; d < ndim; d++) {
    if (shape[d] < 0) fail("a negative dimension", NULL);
    if (__builtin_mul_overflow(count, (uint64_t)shape[d], &count)) fail("the element count overflows", NULL);
  }
  /* the data follows a header of at least 10 bytes in the file */
  if (count > size / 4) fail("more floats than the file has bytes for", NULL);
  for (uint64_t i = 0; i < count; i++) g_sink += v[i] == v[i];
  free(v);
  return 0;
}
