/* check.h — the assertion the C tests share: count the check, and on failure
 * count it and print where and why (the first 30; a broken kernel fails
 * thousands of points and the first few say enough). main returns
 * failures != 0. */
#ifndef EFFNET_TESTS_CHECK_H
#define EFFNET_TESTS_CHECK_H

#include <stdio.h>

static int failures, checks;

#define CHECK(cond, ...)                                                                                               \
  do {                                                                                                                 \
    checks++;                                                                                                          \
    if (!(cond) && failures++ < 30) {                                                                                  \
      fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);                                                             \
      fprintf(stderr, __VA_ARGS__);                                                                                    \
      fputc('\n', stderr);                                                                                             \
    }                                                                                                                  \
  } while (0)

#endif
