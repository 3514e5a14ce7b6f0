/* safetensors.h — validated reader of the safetensors format.
 *
 * Layout: u64 little-endian N, N bytes of UTF-8 JSON header
 * {"name": {"dtype": "F32", "shape": [..], "data_offsets": [b, e]}, ...,
 *  "__metadata__": {str: str}}, then the data buffer (offsets relative to it).
 *
 * Everything a hostile or damaged file can get wrong is checked at open, so
 * later code can trust every tensor it is given. */
#ifndef EFFNET_SAFETENSORS_H
#define EFFNET_SAFETENSORS_H

#include <stddef.h>
#include <stdint.h>

typedef enum {
  ST_F32,
  ST_F16,
  ST_BF16,
  ST_F64,
  ST_I64,
  ST_I32,
  ST_I16,
  ST_I8,
  ST_U8,
  ST_BOOL,
  /* accepted in the header (valid safetensors) but not usable as weights */
  ST_U16,
  ST_U32,
  ST_U64,
  ST_F8_E4M3,
  ST_F8_E5M2,
} StDtype;

#define ST_MAX_DIMS 8

typedef struct {
  const char *name;
  StDtype dtype;
  int ndim;
  int64_t shape[ST_MAX_DIMS];
  int64_t numel;
  const uint8_t *data; /* points into the file's bytes */
  size_t nbytes;
} StTensor;

typedef struct StFile StFile;

/* Read and validate a file. Errors (one sentence naming the file and the
 * problem): cannot open; too short for the 8-byte length; header length beyond
 * the file or over 16 MiB; header root not an object (checked before parsing); header not valid JSON / not an object; a tensor entry
 * missing dtype/shape/data_offsets or with wrong types; unknown dtype string;
 * negative or absurd shape; data_offsets out of the data buffer, end < begin,
 * not aligned to the dtype size, overlapping another tensor; shape x dtype size
 * != byte length; duplicate tensor names. */
StFile *st_open(const char *path, char *err, size_t errlen);
/* The same checks on bytes the caller holds (and keeps until st_close);
 * name is used in messages. */
StFile *st_open_memory(const void *data, size_t size, const char *name, char *err, size_t errlen);
void st_close(StFile *f);

size_t st_count(const StFile *f);
const StTensor *st_tensor_at(const StFile *f, size_t i);
const StTensor *st_find(const StFile *f, const char *name); /* NULL if absent */
/* __metadata__ value for key, NULL if absent. */
const char *st_metadata(const StFile *f, const char *key);

const char *st_dtype_name(StDtype d); /* "F32" ... */
size_t st_dtype_size(StDtype d);

/* Convert a tensor of dtype F32, F16, BF16 or F64 to float32 (little-endian
 * file data, any host alignment). Returns 0, or -1 for other dtypes. */
int st_to_f32(const StTensor *t, float *out);

/* IEEE half / bfloat16 conversions. */
float st_f16_to_f32(uint16_t h);
float st_bf16_to_f32(uint16_t h);

#endif
