/* GStreamer EfficientNet classifier
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* effnetenums.c — see effnetenums.h. The value nicks and blurbs are part
 * of the element's public interface (gst-inspect-1.0). */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "effnetenums.h"

GType
gst_efficientnet_variant_get_type (void)
{
  static gsize type = 0;
  static const GEnumValue values[] = {
    {-1, "Whatever the weights are", "auto"},
    {0, "EfficientNet-B0 (224x224)", "b0"},
    {1, "EfficientNet-B1 (240x240)", "b1"},
    {2, "EfficientNet-B2 (260x260)", "b2"},
    {3, "EfficientNet-B3 (300x300)", "b3"},
    {4, "EfficientNet-B4 (380x380)", "b4"},
    {5, "EfficientNet-B5 (456x456)", "b5"},
    {6, "EfficientNet-B6 (528x528)", "b6"},
    {7, "EfficientNet-B7 (600x600)", "b7"},
    {0, NULL, NULL},
  };

  if (g_once_init_enter (&type))
    g_once_init_leave (&type,
        g_enum_register_static ("GstEfficientNetVariant", values));
  return type;
}

GType
gst_efficientnet_scaling_get_type (void)
{
  static gsize type = 0;
  static const GEnumValue values[] = {
    {SCALING_CENTER_CROP, "As timm and torchvision evaluate: the shorter "
          "side scaled to input / crop_pct (crop_pct from the weights' "
          "config.json, else 0.875), the centre cut out", "center-crop"},
    {SCALING_LETTERBOX, "Whole frame fitted inside the input keeping its "
          "aspect ratio, borders in the mean colour", "letterbox"},
    {SCALING_STRETCH, "Whole frame scaled to the input, aspect ratio "
          "not kept", "stretch"},
    {0, NULL, NULL},
  };

  if (g_once_init_enter (&type))
    g_once_init_leave (&type,
        g_enum_register_static ("GstEfficientNetScaling", values));
  return type;
}

GType
gst_efficientnet_resampling_get_type (void)
{
  static gsize type = 0;
  static const GEnumValue values[] = {
    {RESAMPLING_ACCURATE, "The filter the weights were evaluated with "
          "(bicubic or bilinear, from config.json), antialiased as Pillow "
          "does when shrinking: RGB frames give Pillow's own values, the "
          "model sees what it was evaluated on", "accurate"},
    {RESAMPLING_FAST, "Two-tap bilinear without antialiasing (OpenCV's "
          "default resize): cheaper on large frames, less faithful", "fast"},
    {0, NULL, NULL},
  };

  if (g_once_init_enter (&type))
    g_once_init_leave (&type,
        g_enum_register_static ("GstEfficientNetResampling", values));
  return type;
}

GType
gst_efficientnet_mode_get_type (void)
{
  static gsize type = 0;
  static const GEnumValue values[] = {
    {MODE_AUTO, "async when upstream is live, else sync", "auto"},
    {MODE_SYNC, "A classified frame waits for its own result", "sync"},
    {MODE_ASYNC, "Inference runs beside the stream; frames never wait and "
          "carry the latest finished result", "async"},
    {0, NULL, NULL},
  };

  if (g_once_init_enter (&type))
    g_once_init_leave (&type,
        g_enum_register_static ("GstEfficientNetMode", values));
  return type;
}

GType
gst_efficientnet_region_get_type (void)
{
  static gsize type = 0;
  static const GEnumValue values[] = {
    {REGION_FULL_FRAME, "Classify whole frames", "full-frame"},
    {REGION_ROI_LIST, "Classify each GstVideoRegionOfInterestMeta of a "
          "frame (up to max-rois), in batches of up to 16", "roi-list"},
    {0, NULL, NULL},
  };

  if (g_once_init_enter (&type))
    g_once_init_leave (&type,
        g_enum_register_static ("GstEfficientNetRegion", values));
  return type;
}
