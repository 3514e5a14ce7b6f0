/* fuzz_json.c — libFuzzer target: json_parse() (nn/json.c) on raw bytes.
 *
 * The input is parsed from an exact-size heap copy (libFuzzer's own buffer),
 * so ASan flags any read past len. A parsed tree is walked completely (every
 * string byte, key and child), json_get/json_at are checked against the
 * tree, then freed (LSan checks nothing leaks). A refused document must come
 * with a sentence. */
#include "json.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void fail(const char *why) {
  fprintf(stderr, "fuzz_json: %s\n", why);
  abort();
}

static volatile unsigned g_sink;

static void walk(const JsonValue *v, int depth) {
  if (!v) fail("a NULL value in the tree");
  if (depth > 100000) fail("the tree is deeper than any input could make it");
  switch (v->type) {
    case JSON_NULL: break;
    case JSON_BOOL:
      if (v->number != 0.0 && v->number != 1.0) fail("a bool that is neither 0 nor 1");
      break;
    case JSON_NUMBER:
      g_sink += (unsigned)(v->number == v->number);
      if (v->number_is_integer) g_sink += (unsigned)v->integer;
      break;
    case JSON_STRING: {
      if (!v->string) fail("a string without its bytes");
      if (v->string[v->string_len] != '\0') fail("a string that is not NUL-terminated at string_len");
      for (size_t i = 0; i < v->string_len; i++) g_sink += (unsigned char)v->string[i];
      break;
    }
    case JSON_ARRAY:
    case JSON_OBJECT:
      for (size_t i = 0; i < v->count; i++) {
        if (v->type == JSON_OBJECT) {
          const char *k = v->keys[i];
          if (!k) fail("an object member without a key");
          g_sink += (unsigned)strlen(k);
          /* json_get finds the first member of that name: never nothing */
          if (!json_get(v, k)) fail("json_get misses a key the object has");
        } else if (json_at(v, i) != v->items[i]) {
          fail("json_at disagrees with items[]");
        }
        walk(v->items[i], depth + 1);
      }
      if (json_at(v, v->count) != NULL && v->type == JSON_ARRAY) fail("json_at past the end is not NULL");
      break;
    default: fail("a value of unknown type");
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char err[256];
  err[0] = '\0';
  JsonDoc *doc = json_parse((const char *)data, size, err, sizeof err);
  if (!doc) {
    if (err[0] == '\0') fail("json_parse failed without a sentence");
    if (!memchr(err, '\0', sizeof err)) fail("the error is not NUL-terminated");
    return 0;
  }
  const JsonValue *root = json_root(doc);
  walk(root, 0);
  /* lookups on values of the wrong kind answer NULL */
  if (root->type != JSON_OBJECT && json_get(root, "x") != NULL) fail("json_get on a non-object");
  if (root->type != JSON_ARRAY && json_at(root, 0) != NULL) fail("json_at on a non-array");
  json_free(doc);
  return 0;
}
