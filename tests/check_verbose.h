/* check_verbose.h — the assertions of test_json.c and test_safetensors.c:
 * CHECK(cond) prints the condition, CHECK_MSG(cond, ...) a sentence too;
 * every failure is printed. g_verbose: print every rejection message (the
 * test's *_TEST_VERBOSE variable). rnd(): a deterministic PRNG, so failures
 * reproduce. */
#ifndef EFFNET_TESTS_CHECK_VERBOSE_H
#define EFFNET_TESTS_CHECK_VERBOSE_H

#include <stdint.h>
#include <stdio.h>

static int g_failures;
static int g_checks;
static int g_verbose;

#define CHECK(cond)                                                                                                    \
  do {                                                                                                                 \
    g_checks++;                                                                                                        \
    if (!(cond)) {                                                                                                     \
      g_failures++;                                                                                                    \
      fprintf(stderr, "FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond);                                                  \
    }                                                                                                                  \
  } while (0)

#define CHECK_MSG(cond, ...)                                                                                           \
  do {                                                                                                                 \
    g_checks++;                                                                                                        \
    if (!(cond)) {                                                                                                     \
      g_failures++;                                                                                                    \
      fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond);                                                  \
      fprintf(stderr, __VA_ARGS__);                                                                                    \
      fputc('\n', stderr);                                                                                             \
    }                                                                                                                  \
  } while (0)

static uint64_t g_rng = 0x9E3779B97F4A7C15ull;
static uint32_t rnd(void) {
  g_rng ^= g_rng << 13;
  g_rng ^= g_rng >> 7;
  g_rng ^= g_rng << 17;
  return (uint32_t)(g_rng >> 32);
}

#endif
