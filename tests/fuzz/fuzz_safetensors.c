/* fuzz_safetensors.c — libFuzzer target: the safetensors reader
 * (nn/safetensors.c) on bytes held in memory, st_open_memory().
 *
 * Whatever st_open_memory accepts must be trustworthy, as its header promises:
 * every tensor's bytes lie inside the input, shape x dtype size is its byte
 * length, names are unique (st_find finds each one). Small float tensors are
 * converted with st_to_f32 so every data byte is read; the metadata is looked
 * up. A refusal must come with a sentence. */
#include "safetensors.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void fail(const char *why, const char *name) {
  fprintf(stderr, "fuzz_safetensors: %s%s%s\n", why, name ? ": " : "", name ? name : "");
  abort();
}

static volatile unsigned g_sink;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char err[512];
  err[0] = '\0';
  StFile *f = st_open_memory(data, size, "fuzz", err, sizeof err);
  if (!f) {
    if (err[0] == '\0') fail("st_open_memory failed without a sentence", NULL);
    return 0;
  }
  size_t n = st_count(f);
  for (size_t i = 0; i < n; i++) {
    const StTensor *t = st_tensor_at(f, i);
    if (!t || !t->name) fail("st_tensor_at gave no tensor", NULL);
    if (st_find(f, t->name) != t) fail("st_find does not find the tensor of that name", t->name);
    if (!st_dtype_name(t->dtype)) fail("a tensor with a dtype that has no name", t->name);
    if (t->ndim < 0 || t->ndim > ST_MAX_DIMS) fail("ndim out of range", t->name);
    int64_t numel = 1;
    int overflow = 0, zero = 0;
    for (int d = 0; d < t->ndim; d++) {
      if (t->shape[d] < 0) fail("a negative dimension", t->name);
      zero |= t->shape[d] == 0;
      overflow |= __builtin_mul_overflow(numel, t->shape[d], &numel);
    }
    if (zero) numel = 0;
    else if (overflow) fail("an accepted shape whose element count overflows", t->name);
    if (numel != t->numel) fail("numel is not the product of the shape", t->name);
    if ((uint64_t)t->numel * st_dtype_size(t->dtype) != t->nbytes) fail("nbytes is not numel x dtype size", t->name);
    if (t->nbytes > 0 && (t->data < data || t->data > data + size || t->nbytes > (size_t)(data + size - t->data)))
      fail("the tensor's bytes are not inside the file", t->name);
    g_sink += st_metadata(f, t->name) != NULL;
    if (t->numel <= (1 << 20)) {
      float *out = malloc(sizeof *out * (size_t)(t->numel ? t->numel : 1));
      if (!out) abort();
      int r = st_to_f32(t, out);
      int is_float = t->dtype == ST_F32 || t->dtype == ST_F16 || t->dtype == ST_BF16 || t->dtype == ST_F64;
      if ((r == 0) != is_float) fail("st_to_f32 converts exactly the float dtypes", t->name);
      if (r == 0)
        for (int64_t k = 0; k < t->numel; k++) g_sink += out[k] == out[k];
      free(out);
    }
  }
  if (st_tensor_at(f, n) != NULL) fail("st_tensor_at past the end is not NULL", NULL);
  const char *fmt = st_metadata(f, "format");
  if (fmt) g_sink += (unsigned)strlen(fmt);
  g_sink += st_find(f, "") != NULL;
  st_close(f);
  return 0;
}
