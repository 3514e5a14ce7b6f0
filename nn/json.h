/* json.h — a small, strict JSON reader (RFC 8259) for safetensors headers and
 * timm config.json files. Parses into a tree allocated in one arena; never
 * reads past the given length; depth-limited so hostile input cannot recurse
 * the stack away. */
#ifndef EFFNET_JSON_H
#define EFFNET_JSON_H

#include <stddef.h>

typedef enum { JSON_NULL, JSON_BOOL, JSON_NUMBER, JSON_STRING, JSON_ARRAY, JSON_OBJECT } JsonType;

typedef struct JsonValue JsonValue;
struct JsonValue {
  JsonType type;
  int number_is_integer; /* JSON_NUMBER written without fraction/exponent */
  double number;         /* JSON_NUMBER; JSON_BOOL: 0 or 1 */
  long long integer;     /* JSON_NUMBER when number_is_integer and it fits */
  const char *string;    /* JSON_STRING: NUL-terminated, escapes decoded (UTF-8) */
  size_t string_len;     /* bytes, without the NUL (strings may hold \u0000) */
  size_t count;          /* JSON_ARRAY / JSON_OBJECT: number of items */
  const char **keys;     /* JSON_OBJECT: keys[i] names items[i] (in file order) */
  JsonValue **items;     /* JSON_ARRAY / JSON_OBJECT: the children */
};

/* Memory a parse may take: JSON_MEMORY_PER_BYTE bytes per byte of text plus
 * JSON_MEMORY_BASE. A document of many tiny values (a 100 MB "[0,0,0,...]")
 * is refused with a sentence instead of taking gigabytes; real safetensors
 * headers need about half of it (B7's 112 KB header: 7.9 bytes a byte). */
#define JSON_MEMORY_PER_BYTE 16
#define JSON_MEMORY_BASE ((size_t)1 << 20)

typedef struct JsonDoc JsonDoc;

/* Parse len bytes (need not be NUL-terminated). Trailing whitespace allowed,
 * anything else after the value is an error, and so is an object key holding
 * \u0000 (C code would see it cut at the NUL). Numbers are read the same
 * whatever the process's locale (LC_NUMERIC). On failure returns NULL and
 * writes a sentence with the byte offset into err. */
JsonDoc *json_parse(const char *text, size_t len, char *err, size_t errlen);
const JsonValue *json_root(const JsonDoc *doc);
void json_free(JsonDoc *doc);

/* Object member by key (first match), NULL when absent or not an object. */
const JsonValue *json_get(const JsonValue *obj, const char *key);
/* Index into an array, NULL when out of range or not an array. */
const JsonValue *json_at(const JsonValue *arr, size_t i);

#endif
