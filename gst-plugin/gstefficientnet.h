/* gstefficientnet.h — the efficientnet element: EfficientNet B0–B7
 * classification of raw video frames (or of their regions of interest) on the
 * CPU, results attached to each buffer as metadata (the contract:
 * effnetmeta.h). See README.md. */
#ifndef __GST_EFFICIENTNET_H__
#define __GST_EFFICIENTNET_H__

#include <gst/gst.h>
#include <gst/video/video.h>
#include <gst/video/gstvideofilter.h>

G_BEGIN_DECLS
/* The raw video formats both elements of the plugin take. */
#define GST_EFFICIENTNET_FORMATS "{ I420, YV12, NV12, NV21, YUY2, UYVY, " \
    "YVYU, RGB, BGR, RGBx, BGRx, xRGB, xBGR, RGBA, BGRA, ARGB, ABGR, GRAY8 }"
#define GST_TYPE_EFFICIENTNET (gst_efficientnet_get_type ())
G_DECLARE_FINAL_TYPE (GstEfficientNet, gst_efficientnet, GST, EFFICIENTNET,
    GstVideoFilter)
GST_ELEMENT_REGISTER_DECLARE (efficientnet);

G_END_DECLS
#endif /* __GST_EFFICIENTNET_H__ */
