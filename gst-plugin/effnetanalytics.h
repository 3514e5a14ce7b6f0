/* effnetanalytics.h — the results as GStreamer's analytics metadata
 * (GStreamer >= 1.24, gstreamer-analytics-1.0): each result the efficientnet
 * element publishes is also a classification Mtd (GstAnalyticsClsMtd: the
 * top-k confidences, the class names as quarks, best first) in the buffer's
 * GstAnalyticsRelationMeta; a region's result is related to the detector's
 * object-detection Mtd of that region when there is one. The
 * EfficientNetClassification meta stays: it carries what ClsMtd cannot
 * (stale, source-frame, timing, class ids, ROI counts).
 *
 * Compiled only when gstreamer-analytics-1.0 is found (EFFNET_HAVE_ANALYTICS);
 * GStreamer 1.22 builds have the custom meta only. */
#ifndef __EFFNET_ANALYTICS_H__
#define __EFFNET_ANALYTICS_H__

#include <gst/gst.h>
#include <gst/video/video.h>
#include <gst/analytics/analytics.h>

G_BEGIN_DECLS
/* The ranking of `result` (a frame result or a ROI's "classification"
 * structure, see effnetmeta.h) as a ClsMtd in the buffer's relation meta
 * (added when the buffer has none). FALSE, nothing added, when the result
 * reports no class. */
    gboolean gst_effnet_analytics_add_cls (GstBuffer * buf,
    const GstStructure * result, GstAnalyticsClsMtd * cls);

/* The object-detection Mtd of the buffer that `roi` was made from: the
 * first whose location is the region's rectangle and whose type is the
 * region's (any type when the region has none). */
gboolean gst_effnet_analytics_find_od (GstBuffer * buf,
    const GstVideoRegionOfInterestMeta * roi, GstAnalyticsODMtd * od);

/* A region's result: its ClsMtd, related to the region's object-detection
 * Mtd when the buffer has one (GST_ANALYTICS_REL_TYPE_RELATE_TO, both
 * ways). FALSE when the result reports no class. */
gboolean gst_effnet_analytics_add_roi_cls (GstBuffer * buf,
    const GstVideoRegionOfInterestMeta * roi, const GstStructure * result);

/* ---- reading (efficientnetoverlay) ---- */

/* The first ClsMtd of the buffer related to no object-detection Mtd: a
 * result for the whole frame. */
gboolean gst_effnet_analytics_frame_cls (GstBuffer * buf,
    GstAnalyticsClsMtd * cls);

/* The ClsMtd related to an object-detection Mtd, if any. */
gboolean gst_effnet_analytics_od_cls (const GstAnalyticsODMtd * od,
    GstAnalyticsClsMtd * cls);

G_END_DECLS
#endif /* __EFFNET_ANALYTICS_H__ */
