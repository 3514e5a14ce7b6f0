/* fuzz_config.c — libFuzzer target: the interpretation of config.json
 * (config_parse() in nn/config.c), then what the element does with what it
 * accepted: the frame path's options built from it (as the loader and
 * effnet_prep_options_init do) must be accepted too, and a small frame must
 * plan and run to finite values — a config.json accepted at load must not
 * fail (or misbehave on) every frame.
 *
 * Checked on every accepted document: the ranges config.h promises (variant,
 * classes, input size, finite mean, std and crop_pct within effnet.h's bounds) and
 * NUL-terminated strings. A refusal must come with a sentence. */
#include "config.h"
#include "effnet.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void fail(const char *why, const char *detail) {
  fprintf(stderr, "fuzz_config: %s%s%s\n", why, detail ? ": " : "", detail ? detail : "");
  abort();
}

enum { FRAME_W = 24, FRAME_H = 17, RUN_MAX_SIZE = 320 };

static void check_ranges(const ModelConfig *c) {
  if (!memchr(c->architecture, '\0', sizeof c->architecture)) fail("architecture is not NUL-terminated", NULL);
  if (!memchr(c->interpolation, '\0', sizeof c->interpolation)) fail("interpolation is not NUL-terminated", NULL);
  if (c->variant < -1 || c->variant > 7) fail("variant out of range", NULL);
  if (c->num_classes != -1 && c->num_classes < 1) fail("num_classes out of range", NULL);
  if (c->input_size != 0 && (c->input_size < 1 || c->input_size > 2048)) fail("input_size out of range", NULL);
  if (c->crop_pct != 0.0f && !(c->crop_pct >= EFFNET_CROP_PCT_MIN && c->crop_pct <= 1.0f))
    fail("crop_pct out of range", NULL);
  for (int i = 0; i < 3; i++) {
    if (c->has_mean && !isfinite(c->mean[i])) fail("a mean that is not finite", NULL);
    if (c->has_std && (!isfinite(c->std[i]) || fabsf(c->std[i]) < EFFNET_STD_MIN))
      fail("a std that is (nearly) zero or not finite", NULL);
  }
}

/* The frame path as the element would set it up from this config. */
static void use_config(const ModelConfig *c) {
  EffnetInfo info;
  memset(&info, 0, sizeof info);
  info.variant = c->variant >= 0 ? c->variant : 0;
  info.input_size = c->input_size ? c->input_size : effnet_variant_input_size(info.variant);
  memcpy(info.mean, c->has_mean ? c->mean : effnet_imagenet_mean, sizeof info.mean);
  memcpy(info.std, c->has_std ? c->std : effnet_imagenet_std, sizeof info.std);
  info.crop_pct = c->crop_pct;
  info.interpolation = c->interpolation;
  info.isa = EFFNET_ISA_AUTO;
  EffnetPrepOptions opt;
  effnet_prep_options_init(&opt, &info);

  char err[EFFNET_ERRLEN];
  /* a small frame, exactly allocated; the whole of it and two thin regions */
  size_t stride[3], offset[3];
  long long bytes = effnet_frame_layout(EFFNET_FORMAT_RGB, FRAME_W, FRAME_H, stride, offset);
  if (bytes <= 0) fail("effnet_frame_layout refused a small RGB frame", NULL);
  uint8_t *pixels = malloc((size_t)bytes);
  if (!pixels) abort();
  for (long long i = 0; i < bytes; i++) pixels[i] = (uint8_t)(i * 37 + 11);
  EffnetFrame f;
  memset(&f, 0, sizeof f);
  f.format = EFFNET_FORMAT_RGB;
  f.width = FRAME_W;
  f.height = FRAME_H;
  f.data[0] = pixels;
  f.stride[0] = stride[0];
  const EffnetRect rects[3] = {{0, 0, FRAME_W, FRAME_H}, {3, 0, 1, FRAME_H}, {0, 5, FRAME_W, 1}};
  for (int fit = EFFNET_FIT_CENTER_CROP; fit <= EFFNET_FIT_LETTERBOX; fit++) {
    opt.fit = (EffnetFit)fit;
    err[0] = '\0';
    EffnetPrep *p = effnet_prep_new(&opt, err, sizeof err);
    if (!p) fail("config.json was accepted but the frame path refuses its values", err);
    err[0] = '\0';
    if (effnet_prep_plan(p, &f, rects, 3, 1, err, sizeof err) != 0)
      fail("config.json was accepted but a small frame cannot be planned with it", err);
    if (opt.size > RUN_MAX_SIZE) { /* planned (the geometry), not run: it would be slow */
      effnet_prep_free(p);
      continue;
    }
    size_t count = (size_t)3 * 3 * (size_t)opt.size * (size_t)opt.size;
    float *out = malloc(count * sizeof *out);
    if (!out) abort();
    for (size_t i = 0; i < count; i++) out[i] = NAN;
    if (effnet_prep_run(p, out, err, sizeof err) != 0) fail("a planned frame did not run", err);
    for (size_t i = 0; i < count; i++)
      if (!isfinite(out[i])) fail("a value prepared with the config's normalization is not finite", NULL);
    free(out);
    effnet_prep_free(p);
  }
  free(pixels);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  ModelConfig cfg;
  memset(&cfg, 0xA5, sizeof cfg);
  char err[EFFNET_ERRLEN];
  err[0] = '\0';
  if (config_parse((const char *)data, size, "fuzz/config.json", &cfg, err, sizeof err) != 0) {
    if (err[0] == '\0') fail("config_parse failed without a sentence", NULL);
    return 0;
  }
  check_ranges(&cfg);
  use_config(&cfg);
  return 0;
}
