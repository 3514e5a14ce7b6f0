/* effnetenums.h — the enumerations of the efficientnet element's properties
 * and their GTypes (variant, scaling, resampling, mode, inference-region). */
#ifndef __EFFNET_ENUMS_H__
#define __EFFNET_ENUMS_H__

#include <glib-object.h>

G_BEGIN_DECLS typedef enum
{
  SCALING_CENTER_CROP,
  SCALING_LETTERBOX,
  SCALING_STRETCH,
} GstEfficientNetScaling;

typedef enum
{
  RESAMPLING_ACCURATE,
  RESAMPLING_FAST,
} GstEfficientNetResampling;

typedef enum
{
  MODE_AUTO,
  MODE_SYNC,
  MODE_ASYNC,
} GstEfficientNetMode;

typedef enum
{
  REGION_FULL_FRAME,
  REGION_ROI_LIST,
} GstEfficientNetRegion;

#define GST_TYPE_EFFICIENTNET_VARIANT (gst_efficientnet_variant_get_type ())
#define GST_TYPE_EFFICIENTNET_SCALING (gst_efficientnet_scaling_get_type ())
#define GST_TYPE_EFFICIENTNET_RESAMPLING (gst_efficientnet_resampling_get_type ())
#define GST_TYPE_EFFICIENTNET_MODE (gst_efficientnet_mode_get_type ())
#define GST_TYPE_EFFICIENTNET_REGION (gst_efficientnet_region_get_type ())

GType gst_efficientnet_variant_get_type (void);
GType gst_efficientnet_scaling_get_type (void);
GType gst_efficientnet_resampling_get_type (void);
GType gst_efficientnet_mode_get_type (void);
GType gst_efficientnet_region_get_type (void);

G_END_DECLS
#endif /* __EFFNET_ENUMS_H__ */
