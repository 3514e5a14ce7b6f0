/* GStreamer EfficientNet classifier
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* effnetprep.c — see effnetprep.h. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "effnetprep.h"

#include <math.h>

#define GST_CAT_DEFAULT gst_efficientnet_debug

/* Reads a 3-value mean/std property; an empty one takes `fallback`. */
static gboolean
read_triplet (const GValue * array, const gfloat fallback[3], gfloat out[3],
    const gchar * name, gboolean nonzero, gchar ** error)
{
  guint n = gst_value_array_get_size (array), i;

  if (n == 0) {
    memcpy (out, fallback, 3 * sizeof (gfloat));
    return TRUE;
  }
  if (n != 3) {
    *error = g_strdup_printf ("The \"%s\" property needs 3 values (red, "
        "green, blue) but has %u.", name, n);
    return FALSE;
  }
  for (i = 0; i < 3; i++) {
    GValue d = G_VALUE_INIT;

    g_value_init (&d, G_TYPE_DOUBLE);
    if (!g_value_transform (gst_value_array_get_value (array, i), &d) ||
        !isfinite (g_value_get_double (&d)) ||
        (nonzero && g_value_get_double (&d) == 0.0)) {
      *error = g_strdup_printf ("Value %u of the \"%s\" property is not a "
          "finite%s number.", i + 1, name, nonzero ? ", non-zero" : "");
      return FALSE;
    }
    out[i] = (gfloat) g_value_get_double (&d);
  }
  return TRUE;
}

/* The frame path's plan: fit, filter and normalization from the weights and
 * the properties. At start a bad value is an error; a bad value set while
 * playing is ignored with a warning (the previous plan stays). */
gboolean
gst_efficientnet_setup_preprocessing (GstEfficientNet * self, gboolean at_start)
{
  const EffnetInfo *info = gst_effnet_shared_get_info (self->shared);
  static const EffnetFit fits[] = {
    [SCALING_CENTER_CROP] = EFFNET_FIT_CENTER_CROP,
    [SCALING_LETTERBOX] = EFFNET_FIT_LETTERBOX,
    [SCALING_STRETCH] = EFFNET_FIT_STRETCH,
  };
  EffnetPrepOptions opt;
  EffnetPrep *prep = NULL;
  char err[EFFNET_ERRLEN];
  gchar *error = NULL;
  gboolean ok;

  effnet_prep_options_init (&opt, info);
  GST_OBJECT_LOCK (self);
  opt.fit = fits[self->scaling];
  if (self->resampling == RESAMPLING_FAST)
    opt.filter = EFFNET_FILTER_FAST;
  ok = read_triplet (&self->mean, info->mean, opt.mean, "mean", FALSE, &error)
      && read_triplet (&self->std, info->std, opt.std, "std", TRUE, &error);
  GST_OBJECT_UNLOCK (self);

  if (ok && (prep = effnet_prep_new (&opt, err, sizeof err)) == NULL) {
    error = gst_efficientnet_sentence (err);
    ok = FALSE;
  }
  if (!ok) {
    if (at_start)
      GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS, ("%s", error), (NULL));
    else
      GST_ELEMENT_WARNING (self, RESOURCE, SETTINGS, ("%s", error),
          ("keeping the previous preprocessing"));
    g_free (error);
    return FALSE;
  }
  effnet_prep_free (self->prep);
  self->prep = prep;
  GST_INFO_OBJECT (self, "preprocessing: %s, %s, crop %.3f", effnet_fit_name
      (opt.fit), effnet_filter_name (opt.filter), opt.crop_pct);
  return TRUE;
}

/* The frame path's description of the negotiated video. */
gboolean
gst_effnet_frame_from_info (const GstVideoInfo * info, EffnetFrame * f)
{
  static const struct
  {
    GstVideoFormat gst;
    EffnetFormat ours;
  } formats[] = {
    {GST_VIDEO_FORMAT_I420, EFFNET_FORMAT_I420},
    {GST_VIDEO_FORMAT_YV12, EFFNET_FORMAT_YV12},
    {GST_VIDEO_FORMAT_NV12, EFFNET_FORMAT_NV12},
    {GST_VIDEO_FORMAT_NV21, EFFNET_FORMAT_NV21},
    {GST_VIDEO_FORMAT_YUY2, EFFNET_FORMAT_YUY2},
    {GST_VIDEO_FORMAT_UYVY, EFFNET_FORMAT_UYVY},
    {GST_VIDEO_FORMAT_YVYU, EFFNET_FORMAT_YVYU},
    {GST_VIDEO_FORMAT_RGB, EFFNET_FORMAT_RGB},
    {GST_VIDEO_FORMAT_BGR, EFFNET_FORMAT_BGR},
    {GST_VIDEO_FORMAT_RGBx, EFFNET_FORMAT_RGBX},
    {GST_VIDEO_FORMAT_RGBA, EFFNET_FORMAT_RGBX},
    {GST_VIDEO_FORMAT_BGRx, EFFNET_FORMAT_BGRX},
    {GST_VIDEO_FORMAT_BGRA, EFFNET_FORMAT_BGRX},
    {GST_VIDEO_FORMAT_xRGB, EFFNET_FORMAT_XRGB},
    {GST_VIDEO_FORMAT_ARGB, EFFNET_FORMAT_XRGB},
    {GST_VIDEO_FORMAT_xBGR, EFFNET_FORMAT_XBGR},
    {GST_VIDEO_FORMAT_ABGR, EFFNET_FORMAT_XBGR},
    {GST_VIDEO_FORMAT_GRAY8, EFFNET_FORMAT_GRAY8},
  };
  const GstVideoColorimetry *c = &GST_VIDEO_INFO_COLORIMETRY (info);
  guint i;

  memset (f, 0, sizeof *f);
  for (i = 0; i < G_N_ELEMENTS (formats); i++)
    if (formats[i].gst == GST_VIDEO_INFO_FORMAT (info))
      break;
  if (i == G_N_ELEMENTS (formats))
    return FALSE;
  f->format = formats[i].ours;
  f->width = GST_VIDEO_INFO_WIDTH (info);
  f->height = GST_VIDEO_INFO_HEIGHT (info);
  /* SMPTE 240M is within a part in a thousand of BT.709, FCC of BT.601 */
  f->matrix = c->matrix == GST_VIDEO_COLOR_MATRIX_BT2020 ?
      EFFNET_MATRIX_BT2020 : c->matrix == GST_VIDEO_COLOR_MATRIX_BT709 ||
      c->matrix == GST_VIDEO_COLOR_MATRIX_SMPTE240M ? EFFNET_MATRIX_BT709 :
      EFFNET_MATRIX_BT601;
  f->full_range = c->range == GST_VIDEO_COLOR_RANGE_0_255;
  /* unknown siting is centred, as GstVideoConverter takes it */
  f->chroma_site =
      (GST_VIDEO_INFO_CHROMA_SITE (info) & GST_VIDEO_CHROMA_SITE_H_COSITED ?
      EFFNET_CHROMA_COSITED_H : 0) |
      (GST_VIDEO_INFO_CHROMA_SITE (info) & GST_VIDEO_CHROMA_SITE_V_COSITED ?
      EFFNET_CHROMA_COSITED_V : 0);
  return TRUE;
}

/* Plans n images of the mapped frame (rects NULL: the whole frame) for
 * `threads` threads. */
gboolean
gst_efficientnet_plan_frame (GstEfficientNet * self, GstVideoFrame * frame,
    const EffnetRect * rects, gint n, guint threads)
{
  char err[EFFNET_ERRLEN];
  guint p;

  for (p = 0; p < GST_VIDEO_FRAME_N_PLANES (frame) && p < 3; p++) {
    self->frame.data[p] = GST_VIDEO_FRAME_PLANE_DATA (frame, p);
    self->frame.stride[p] = (size_t) GST_VIDEO_FRAME_PLANE_STRIDE (frame, p);
  }
  if (effnet_prep_plan (self->prep, &self->frame, rects, n, (int) threads,
          err, sizeof err) != 0) {
    gchar *text = gst_efficientnet_sentence (err);

    GST_ELEMENT_ERROR (self, STREAM, FAILED,
        ("Cannot prepare the %s frame for the model: %s",
            GST_VIDEO_INFO_NAME (&self->in_info), text), (NULL));
    g_free (text);
    return FALSE;
  }
  return TRUE;
}
