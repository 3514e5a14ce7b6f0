/* gstefficientnet.h — the efficientnet element: EfficientNet B0–B7
 * classification of raw video frames (or of their regions of interest) on the
 * CPU, results attached to each buffer as metadata. See README.md. */
#ifndef __GST_EFFICIENTNET_H__
#define __GST_EFFICIENTNET_H__

#include <gst/gst.h>
#include <gst/video/video.h>
#include <gst/video/gstvideofilter.h>

G_BEGIN_DECLS

/* Name of the GstCustomMeta every buffer leaving the element carries; read it
 * with gst_buffer_get_custom_meta (buf, GST_EFFICIENTNET_META_NAME). */
#define GST_EFFICIENTNET_META_NAME "EfficientNetClassification"

/* Name of the GstStructure added to each classified
 * GstVideoRegionOfInterestMeta in roi-list mode (DL Streamer's field names). */
#define GST_EFFICIENTNET_ROI_PARAM_NAME "classification"

/* The raw video formats both elements of the plugin take. */
#define GST_EFFICIENTNET_FORMATS "{ I420, YV12, NV12, NV21, YUY2, UYVY, " \
    "YVYU, RGB, BGR, RGBx, BGRx, xRGB, xBGR, RGBA, BGRA, ARGB, ABGR, GRAY8 }"

/* "source-frame" of a meta that carries no result yet. */
#define GST_EFFICIENTNET_NO_FRAME G_MAXUINT64

#define GST_TYPE_EFFICIENTNET (gst_efficientnet_get_type ())
G_DECLARE_FINAL_TYPE (GstEfficientNet, gst_efficientnet, GST, EFFICIENTNET,
    GstVideoFilter)

GST_ELEMENT_REGISTER_DECLARE (efficientnet);

G_END_DECLS

#endif /* __GST_EFFICIENTNET_H__ */
