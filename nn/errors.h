/* errors.h — how the engine reports a failure: one sentence into the
 * caller's buffer (which may be NULL or empty: then nothing is written).
 * Every file of the engine writes its errors with set_error(), or with
 * vset_error_at() behind a prefix of its own (json.c: the byte offset,
 * safetensors.c: the path); there is no other printf into an error buffer. */
#ifndef EFFNET_ERRORS_H
#define EFFNET_ERRORS_H

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

/* The sentence fmt into err after its first `at` bytes, which hold a prefix
 * the caller wrote (0: none). Nothing when err is NULL or the prefix already
 * fills it. */
__attribute__((format(printf, 4, 0))) static inline void vset_error_at(char *err, size_t errlen, size_t at,
                                                                       const char *fmt, va_list ap) {
  if (err == NULL || at >= errlen) return;
  vsnprintf(err + at, errlen - at, fmt, ap);
}

/* The sentence fmt into err. Returns -1, so `return set_error(...)` reports
 * and fails in one. */
__attribute__((format(printf, 3, 4))) static inline int set_error(char *err, size_t errlen, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vset_error_at(err, errlen, 0, fmt, ap);
  va_end(ap);
  return -1;
}

#endif
