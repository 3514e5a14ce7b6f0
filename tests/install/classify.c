/* classify WEIGHTS PICTURE.ppm — the installed libeffnet from outside the
 * source tree: built with `pkg-config --cflags --libs effnet` by
 * scripts/test-install.sh. Prints the best class and its probability. */
#include <effnet.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
  char err[EFFNET_ERRLEN];
  int w, h, maxval, best;
  FILE *f = argc == 3 ? fopen(argv[2], "rb") : NULL;
  if (!f || fscanf(f, "P6 %d %d %d%*c", &w, &h, &maxval) != 3 || maxval != 255 || w < 1 || h < 1 ||
      w > EFFNET_FRAME_MAX || h > EFFNET_FRAME_MAX)
    return fprintf(stderr, "usage: classify WEIGHTS PICTURE.ppm (binary PPM)\n"), 2;
  unsigned char *rgb = malloc((size_t)w * h * 3);
  if (!rgb || fread(rgb, 3, (size_t)w * h, f) != (size_t)w * h) return fprintf(stderr, "%s: truncated\n", argv[2]), 1;
  EffnetOptions opt;
  effnet_options_init(&opt);
  EffnetModel *m = effnet_model_load(argv[1], &opt, err, sizeof err);
  if (!m) return fprintf(stderr, "%s\n", err), 1;
  const EffnetInfo *info = effnet_model_info(m);
  EffnetPrepOptions popt;
  effnet_prep_options_init(&popt, info);
  EffnetPrep *p = effnet_prep_new(&popt, err, sizeof err);
  EffnetWorkspace *ws = effnet_workspace_new(m, 1, 0, err, sizeof err);
  EffnetFrame frame = {.format = EFFNET_FORMAT_RGB, .width = w, .height = h, .data = {rgb}, .stride = {(size_t)w * 3}};
  float *probs = malloc(sizeof(float) * info->num_classes);
  if (!p || !ws || !probs || effnet_prep_plan(p, &frame, NULL, 1, 0, err, sizeof err) ||
      effnet_forward_prep(m, ws, p, probs, err, sizeof err))
    return fprintf(stderr, "%s\n", err), 1;
  effnet_softmax(probs, info->num_classes, probs);
  effnet_top_k(probs, info->num_classes, 1, &best);
  printf("class %d p=%.4f %s\n", best, probs[best], info->num_classes == 1000 ? effnet_imagenet_label(best) : "");
  effnet_workspace_free(ws), effnet_prep_free(p), effnet_model_free(m), free(probs), free(rgb), fclose(f);
  return 0;
}
