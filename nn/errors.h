/* errors.h — how the engine reports a failure: one sentence into the
 * caller's buffer (which may be NULL or empty: then nothing is written). */
#ifndef EFFNET_ERRORS_H
#define EFFNET_ERRORS_H

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

__attribute__((format(printf, 3, 4))) static inline void set_error(char *err, size_t errlen,
                                                                   const char *fmt, ...) {
  if (err == NULL || errlen == 0) return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err, errlen, fmt, ap);
  va_end(ap);
}

#endif
