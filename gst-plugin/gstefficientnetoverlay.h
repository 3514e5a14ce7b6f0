/* gstefficientnetoverlay.h — the efficientnetoverlay element: draws the
 * classification results the efficientnet element attached to a frame (its
 * top labels, and in roi-list mode each region's box and label) with
 * Pango/Cairo, as a GstVideoOverlayComposition that is either attached for
 * downstream to render or blended into the frame. See README.md. */
#ifndef __GST_EFFICIENTNET_OVERLAY_H__
#define __GST_EFFICIENTNET_OVERLAY_H__

#include <gst/gst.h>
#include <gst/video/video.h>
#include <gst/video/gstvideofilter.h>

G_BEGIN_DECLS
#define GST_TYPE_EFFICIENTNET_OVERLAY (gst_efficientnet_overlay_get_type ())
G_DECLARE_FINAL_TYPE (GstEfficientNetOverlay, gst_efficientnet_overlay, GST,
    EFFICIENTNET_OVERLAY, GstVideoFilter)
GST_ELEMENT_REGISTER_DECLARE (efficientnetoverlay);

G_END_DECLS
#endif /* __GST_EFFICIENTNET_OVERLAY_H__ */
